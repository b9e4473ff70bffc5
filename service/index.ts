/**
 * The policy engine and the preflight HTTP API for embedding (docs/api.md).
 *
 * @module fastify-app-token/service
 */
// `fastify-app-token/service`: the scope-policy engine (docs/policy-files.md) and the
// preflight HTTP API (§6), for embedding. Never imports plugin/.
export * from './policy/index.js'
export { diffPolicySets } from './policy/diff.js'
export type { PolicyDiff, PolicyChange } from './policy/policy-change.js'
export type { Risk } from './policy/risk.js'
export { formatPolicyText } from './policy/fmt.js'
export { buildPreflightApp, type PreflightApp, type PreflightAppOptions } from './http/app.js'
export { serve, type ServeOptions } from './http/serve.js'
export type { PolicyStore, PolicyStatus, ReloadOutcome } from './http/policy-store.js'
