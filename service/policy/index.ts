/**
 * The policy engine: load policy files, check scope requests (docs/api.md).
 *
 * @module fastify-app-token/policy
 */
// `fastify-app-token/policy`: the policy engine (docs/policy-files.md): policy files in, a pure
// preflight check out. Exactly the names of docs/api.md (test/entry/exports.test.ts); the
// folder walk, the rules and the provider profiles stay inside.
export type {
  AppPolicy,
  AuthMethod,
  CheckRequest,
  CheckResult,
  EnvironmentPolicy,
  Finding,
  LoadResult,
  PolicySet,
  PolicySource,
  ProviderName,
  Severity,
  SourceLocation,
  Violation,
  ViolationCode,
  WhitelistedScope,
} from './types.js'
export { PolicyFileSchema, policyJsonSchema, type PolicyFile } from './schema.js'
export { loadPolicyFiles, loadPolicyDir, loadPolicySet, PolicyLoadError, type LoadOptions } from './loader.js'
export { formatFinding } from './findings.js'
export { check, checkGeneric, normaliseScopes } from './check.js'
