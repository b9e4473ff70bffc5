/**
 * The token core without Fastify: `TokenCache`, `fetchToken`, their errors and the shared-store interface (docs/api.md).
 *
 * @module fastify-app-token/token
 */
// `fastify-app-token/token` (docs/token-core.md): TokenCache, fetchToken, their
// errors and the shared-store interface with its in-process implementation.
// Loads neither Fastify nor the policy-file parser.
export * from './token/index.js'
export { memoryStore } from './store/memory.js'
