// fastify-app-token: the Fastify plugin (DESIGN §5). `request.appToken` on
// every route that needs one, `app.appToken` for background jobs, and every
// scope set checked against the policy before any token request.
import { join } from 'node:path'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import { TokenCache } from './token/index.js'
import type { AppToken } from './token/app-token.js'
import { readEnv, mountedSecret } from './env.js'
import { resolveOptions, type AppTokenOptions, type ResolvedOptions } from './options.js'
import { routePlanner, scopeDecider, type RoutePlan, type TokenRequest } from './route-scopes.js'
import { RouteScopesError, ScopePolicyError, describeViolations, type RouteViolation } from './errors.js'
import { InvalidOptionError } from './token/errors.js'
import type { AppTokenDecorator, AppTokenRequestOptions } from './types.js'

const PLUGIN = 'fastify-app-token'
/** What an end user reads in a 503: no hint, no path, no token-endpoint words (those are logged). */
const UNAVAILABLE = 'An upstream service cannot be reached right now. Try again later.'
/** Seconds, when the error carries no Retry-After of its own. */
const RETRY_TRANSIENT = 5
const RETRY_PERMANENT = 30

type PlannedConfig = { url?: string } & Record<symbol, RoutePlan | undefined>

async function appToken (fastify: FastifyInstance, options: AppTokenOptions): Promise<void> {
  const o = await resolveOptions(options, readEnv())
  const { name } = o
  if (fastify.hasDecorator(name) || fastify.hasRequestDecorator(name)) {
    throw new InvalidOptionError(`option name: "${name}" is already decorated on this instance: register the second plugin with another name, e.g. { name: 'billingToken' }`)
  }
  const log = fastify.log.child(name === 'appToken' ? { plugin: PLUGIN } : { plugin: PLUGIN, name })
  const decide = scopeDecider(o)
  if (o.scopesGiven) {
    const { violations } = decide(o.scopes)
    if (violations.length > 0) throw new InvalidOptionError(`option scopes: not allowed: ${describeViolations(violations)}`)
  }
  const secret = o.secretFile === undefined ? undefined : await mountedSecret(o.secretFile)

  const cache = new TokenCache({
    ...o.passThrough,
    tokenEndpoint: o.tokenEndpoint,
    clientId: o.clientId,
    clientSecret: secret?.clientSecret ?? o.clientSecret as NonNullable<ResolvedOptions['clientSecret']>,
    ...(o.authMethod === undefined ? {} : { authMethod: o.authMethod }),
    logger: log,
    scopeHint: policyHint(o),
    ...(secret === undefined ? {} : { onInvalidClient: secret.onInvalidClient })
  })
  fastify.addHook('onClose', async () => { await cache.close() })

  /** A get() argument → the token request, checked; throws ScopePolicyError (nothing sent). */
  const tokenRequest = (opts: AppTokenRequestOptions = {}): TokenRequest => {
    const decision = decide(opts.scopes ?? o.scopes)
    if (decision.violations.length > 0) throw new ScopePolicyError(decision.scopes, decision.violations)
    return { scopes: decision.scopes, resource: opts.resource ?? o.resource }
  }
  const api: AppTokenDecorator = {
    get: async (opts) => await cache.get(tokenRequest(opts)),
    invalidate: (opts) => {
      cache.invalidate(opts === undefined ? undefined : { scopes: decide(opts.scopes ?? o.scopes).scopes, resource: opts.resource ?? o.resource })
    },
    stats: () => cache.stats()
  }
  fastify.decorate(name, api)
  fastify.decorateRequest(name, null)

  const plan = routePlanner({ key: name, global: o.global, scopes: o.scopes, resource: o.resource, decide })
  const kPlan = Symbol(`${PLUGIN}:${name}`)
  const violations: RouteViolation[] = []
  fastify.addHook('onRoute', (route) => {
    const routePlan = plan(route.config)
    if (routePlan.kind === 'denied') {
      // Collected, reported by ready(): throwing here would make app.get() throw.
      const { scopes, violations: found } = routePlan.error
      violations.push({ route: `${String(route.method)} ${route.url}`, scopes, violations: found })
    }
    route.config = { ...route.config, [kPlan]: routePlan } as typeof route.config
  })

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
    const e = err as Partial<ScopePolicyError> & { message?: string }
    const code = typeof e.code === 'string' && e.code.startsWith('FST_APP_TOKEN_') ? e.code : 'FST_APP_TOKEN_UNAVAILABLE'
    const retryAfter = Math.max(1, Math.ceil(e.retryAfter ?? (e.transient === true ? RETRY_TRANSIENT : RETRY_PERMANENT)))
    request.log[e.transient === true ? 'warn' : 'error'](
      { plugin: PLUGIN, code, status: e.status, error: e.error, hint: e.hint },
      `${name} unavailable, answering 503: ${e.message ?? String(err)}`
    )
    void reply.code(503).header('retry-after', String(retryAfter))
      .send({ statusCode: 503, code, error: 'Service Unavailable', message: UNAVAILABLE })
  }

  function resolveToken (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
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
  fastify.addHook(o.hook, resolveToken)

  fastify.addHook('onReady', async () => {
    if (violations.length > 0) throw new RouteScopesError(violations)
    if (o.prefetch === 'block') await api.get()
    // Failures are logged by the cache; the first request retries.
    else if (o.prefetch === 'background') api.get().catch(() => {})
  })
}

/** The invalid_scope hint: what the policy allows and where to change it. */
function policyHint (o: ResolvedOptions): ((scopes: readonly string[]) => string | undefined) | undefined {
  if (o.policy === undefined) return undefined
  const { set, app, entry } = o.policy
  const where = `${join(set.dir, entry.scopesAt.file)}:${entry.scopesAt.line}`
  const allowed = [...entry.scopes.keys()].join(' ') || '(none)'
  return () => `The policy of ${app.app}/${entry.name} allows: ${allowed} (${where}). ` +
    `The scopes whitelisted for ${o.clientId} in the provider's portal must match it exactly (case-sensitive).`
}

const plugin = fp(appToken, { name: PLUGIN, fastify: '5.x' })
export default plugin
export { plugin as appToken }

export type { AppTokenOptions } from './options.js'
export type { AppTokenDecorator, AppTokenRequestOptions, AppTokenRouteConfig } from './types.js'
export { ScopePolicyError, RouteScopesError, type RouteViolation } from './errors.js'
export * from './token/index.js'
export { memoryStore } from './store/memory.js'
