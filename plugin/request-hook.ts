// The hook that puts the route's token on the request, or answers 503 when
// it cannot be had (docs/plugin.md). Hot path: one lookup of the route's plan,
// then the cache's settled promise.
import type { FastifyBaseLogger, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import type { AppToken } from './token/app-token.js'
import type { TokenCache } from './token/cache.js'
import type { AppTokenError } from './token/errors.js'
import type { RoutePlan } from './route-scopes.js'
import { publicCode, retryAfterOf, UNAVAILABLE } from './unavailable.js'

export const PLUGIN = 'fastify-app-token'

type PlannedConfig = { url?: string } & Record<symbol, RoutePlan | undefined>

export interface RequestTokenOptions {
  /** The request decorator to set. */
  name: string
  /** Where onRoute left each route's plan in its config. */
  kPlan: symbol
  plan: (config: unknown) => RoutePlan
  cache: TokenCache
  log: FastifyBaseLogger
}

export function requestTokenHook ({ name, kPlan, plan, cache, log }: RequestTokenOptions) {
  // Routes declared before the plugin: planned on their first request, failing closed.
  const latePlans = new WeakMap<object, RoutePlan>()
  const latePlan = (request: FastifyRequest, config: PlannedConfig): RoutePlan => {
    let routePlan = latePlans.get(config)
    if (routePlan === undefined) {
      routePlan = plan(config)
      latePlans.set(config, routePlan)
      const route = `${request.method} ${config.url}`
      if (routePlan.kind === 'denied') {
        log.error({ route, violations: routePlan.error.violations },
          `route ${route} was declared before ${PLUGIN} and asks for scopes that are not allowed: it answers 503. ${routePlan.error.message}`)
      } else if (routePlan.kind === 'token') {
        log.warn({ route }, `route ${route} was declared before ${PLUGIN}: its scopes were checked on its first request; register the plugin before the routes`)
      }
    }
    return routePlan
  }

  function unavailable (request: FastifyRequest, reply: FastifyReply, err: unknown): void {
    const failure = err as Partial<AppTokenError>
    const code = publicCode(err)
    const retryAfter = retryAfterOf(err)
    request.log[failure.transient === true ? 'warn' : 'error'](
      { plugin: PLUGIN, code, status: failure.status, error: failure.error, hint: failure.hint },
      `${name} unavailable, answering 503: ${failure.message ?? String(err)}`
    )
    void reply.code(503).header('retry-after', String(retryAfter))
      .send({ statusCode: 503, code, error: 'Service Unavailable', message: UNAVAILABLE })
  }

  return function resolveToken (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const config = request.routeOptions.config as unknown as PlannedConfig | undefined
    if (config?.url === undefined) { done(); return } // no route matched (404): no token
    const routePlan = config[kPlan] ?? latePlan(request, config)
    if (routePlan.kind === 'none') { done(); return }
    if (routePlan.kind === 'denied') { unavailable(request, reply, routePlan.error); return }
    cache.get(routePlan.request).then((token: AppToken) => {
      (request as unknown as Record<string, AppToken>)[name] = token
      done()
    }, (err: unknown) => { unavailable(request, reply, err) })
  }
}
