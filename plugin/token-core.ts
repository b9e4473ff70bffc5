// `fastify-app-token/token` (docs/token-core.md): TokenCache, fetchToken, their
// errors and the shared-store interface with its in-process implementation.
// Loads neither Fastify nor the policy-file parser.
export * from './token/index.js'
export { memoryStore } from './store/memory.js'
