// The preflight HTTP API as a Fastify app factory (docs/preflight-api.md), for `scope-policy serve`
// and for embedding in another process.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyServerOptions,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify'
import { accessLog, redactPaths } from './access-log.js'
import { requireApiKey } from './api-key.js'
import { handleError } from './error-handler.js'
import { PreflightMetrics } from './metrics.js'
import { servicePeers } from './peers.js'
import { PolicyStore } from './policy-store.js'
import { appsRoute } from './routes/apps.js'
import { catalogueRoutes } from './routes/catalogue.js'
import { clientsRoute } from './routes/clients.js'
import { healthRoutes } from './routes/health.js'
import { metricsRoute } from './routes/metrics.js'
import { preflightRoute } from './routes/preflight.js'
import { LIMITS } from './schemas.js'
import { securityHeaders } from './security-headers.js'
import { formatValidationErrors } from './validation-message.js'

/** Options of `buildPreflightApp` (docs/preflight-api.md, "Embedding"). */
export interface PreflightAppOptions {
  /** The policy folder (docs/policy-files.md). The app fails to become ready if its first load is invalid. */
  policyDir: string
  /** When non-empty, the /v1 routes need `Authorization: Bearer <one of these>`. */
  apiKeys?: readonly string[]
  /** Fastify logger options (the Authorization header is always redacted), or a logger instance. */
  logger?: FastifyServerOptions['logger']
  loggerInstance?: FastifyBaseLogger
  /** Reload the policies when the folder changes. Default true. */
  watch?: boolean
  /** Quiet period after the last change before a reload. Default 200 ms. */
  reloadDebounceMs?: number
  /** Largest accepted request body in bytes (413 above). Default 64 KiB. */
  bodyLimit?: number
  /** Adds a client_id label to the /metrics decisions (docs/metrics.md). Default false. */
  metricsClientLabels?: boolean
}

/** The Fastify instance `buildPreflightApp` returns, with `preflightPolicies`. */
export type PreflightApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>

declare module 'fastify' {
  interface FastifyInstance {
    /** The preflight service's policy set: `current`, `status()`, `reload(cause)`. */
    preflightPolicies: PolicyStore
  }
}

function loggerOptions (logger: PreflightAppOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return false
  const own = logger === true ? {} : logger
  const ownPaths = Array.isArray(own.redact) ? own.redact : (own.redact?.paths ?? [])
  return { ...own, redact: { paths: [...redactPaths, ...ownPaths], censor: '[redacted]' } }
}

/**
 * The preflight HTTP API (docs/preflight-api.md) as a Fastify instance, without reading the
 * environment or installing signal handlers: `POST /v1/preflight` answers whether a scope request
 * (RFC 6749 §3.3) would pass the policy, 422 `invalid_scope` / `invalid_client` /
 * `invalid_target` (RFC 8707 §2) when not. `ready()` rejects with `PolicyLoadError` when the
 * folder has errors.
 * Throws `FST_APP_TOKEN_MISSING_PEER`, naming the command that installs them, when the
 * service's optional peers are not installed.
 *
 * @example
 * ```ts
 * import { buildPreflightApp } from 'fastify-app-token/service'
 *
 * const preflight = buildPreflightApp({ policyDir: './policies' })
 * await preflight.listen({ port: 3001 })
 * ```
 */
export function buildPreflightApp (options: PreflightAppOptions): PreflightApp {
  const { fastify, LogController, swagger, swaggerUi } = servicePeers()
  const apiKeys = options.apiKeys ?? []
  const app = fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: loggerOptions(options.logger) }),
    logController: accessLog(LogController),
    bodyLimit: options.bodyLimit ?? LIMITS.bodyBytes,
    // Long clientIds reach the route (and its schema) instead of "route not found";
    // the router measures the percent-encoded form.
    routerOptions: { maxParamLength: LIMITS.clientIdLength * 3 },
    // A client trickling its request cannot hold a connection open for ever.
    requestTimeout: 30_000,
    // The first policy load runs in a worker thread, whose start may take seconds on a busy
    // machine; the load itself is bounded (10 s from the worker being up).
    pluginTimeout: 60_000,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // No coercion (`"scopes": 42` is malformed, not "42") and unknown fields are errors.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    schemaErrorFormatter: formatValidationErrors,
  }).withTypeProvider<TypeBoxTypeProvider>()

  const metrics = new PreflightMetrics({ clientLabels: options.metricsClientLabels ?? false })
  const store = new PolicyStore(options.policyDir, app.log, { onLoad: (outcome, current) => metrics.countLoad(outcome, current) })
  app.decorate('preflightPolicies', store)
  app.addHook('onClose', async () => store.close())

  // Answers still in flight when close() starts end their connection: an idle keep-alive
  // socket would otherwise hold the shutdown open for the whole keep-alive timeout.
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close')
    return payload
  })

  securityHeaders(app)

  // Only JSON is accepted: any other content type is a 415.
  app.removeContentTypeParser('text/plain')
  app.setErrorHandler(handleError)
  app.setNotFoundHandler(async (request, reply) =>
    reply.code(404).send({
      statusCode: 404,
      code: 'FST_ERR_NOT_FOUND',
      error: 'Not Found',
      message: `Route ${request.method}:${request.url} not found`,
    })
  )

  app.register(async () => {
    await store.start()
    if (options.watch ?? true) store.watch(options.reloadDebounceMs ?? 200)
  })

  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'scope-policy preflight API',
        description: 'Checks OAuth 2.0 client_credentials scope requests against the policy folder before they are sent.',
        version: '1.0.0',
      },
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'a key from PREFLIGHT_API_KEYS' } },
      },
      ...(apiKeys.length > 0 ? { security: [{ apiKey: [] }] } : {}),
    },
  })

  app.register(healthRoutes, { store })
  app.register(metricsRoute, { metrics })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  // The page and the docs are open: with keys set the page is a shell that asks for one.
  app.register(catalogueRoutes, { store, keyed: apiKeys.length > 0 })
  app.register(swaggerUi, { routePrefix: '/docs', theme: { title: 'scope-policy preflight API' } })
  app.register(async (api) => {
    if (apiKeys.length > 0) api.addHook('onRequest', requireApiKey(apiKeys))
    await api.register(preflightRoute, { store, metrics })
    await api.register(clientsRoute, { store })
    await api.register(appsRoute, { store })
  })

  return app
}
