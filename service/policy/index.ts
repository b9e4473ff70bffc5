// The policy engine (docs/policy-files.md): policy files in, a pure preflight check out.
export type * from './types.js'
export { PolicyFileSchema, policyJsonSchema, type PolicyFile } from './schema.js'
export { loadPolicyFiles, loadPolicyDir, loadPolicySet, PolicyLoadError, type LoadOptions } from './loader.js'
export { isPolicyFileName, listPolicyFolder, readPolicyFile, MAX_FILE_BYTES, type PolicyFolder } from './policy-folder.js'
export { formatFinding, formatFindingCode } from './findings.js'
export { check, checkGeneric, normaliseScopes } from './check.js'
export { USER_SCOPES, isScopeToken } from './scope-grammar.js'
export { isLoopbackHost, tokenEndpointProblem, type TokenEndpointProblem } from './rules/token-endpoint.js'
