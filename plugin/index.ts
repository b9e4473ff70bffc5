/**
 * The Fastify plugin and everything of `fastify-app-token/token` (docs/api.md).
 *
 * @module fastify-app-token
 */
// fastify-app-token: the Fastify plugin (docs/plugin.md). `request.appToken` on
// every route that needs one, `app.appToken` for background jobs, and every
// scope set checked against the policy before any token request.
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { TokenCache } from './token/cache.js'
import { tokenMetrics } from './token/metrics.js'
import { readEnv, mountedSecret } from './env.js'
import { resolveOptions, type AppTokenOptions, type ResolvedOptions } from './options.js'
import { asOption } from './option-errors.js'
import { routePlanner, scopeDecider } from './route-scopes.js'
import { refusal, tokenRequests } from './token-requests.js'
import { PLUGIN, requestTokenHook } from './request-hook.js'
import { RouteScopesError, describeViolations, type RouteViolation } from './errors.js'
import { InvalidOptionError } from './token/errors.js'
import { profileOf } from '../service/policy/providers/index.js'
import { tlsConnectOptions } from './token/client-auth.js'
import { credentialKind, DEFAULT_AUTH_METHOD } from '../service/policy/rules/auth-method.js'
import { apiCalls } from './dispatcher/index.js'
import type { AppTokenDecorator } from './types.js'

async function appToken (fastify: FastifyInstance, options: AppTokenOptions): Promise<void> {
  const settings = await resolveOptions(options, readEnv())
  const { name } = settings
  if (fastify.hasDecorator(name) || fastify.hasRequestDecorator(name)) {
    throw new InvalidOptionError(`option name: "${name}" is already decorated on this instance: register the second plugin with another name, e.g. { name: 'billingToken' }`)
  }
  const log = fastify.log.child(name === 'appToken' ? { plugin: PLUGIN } : { plugin: PLUGIN, name })
  const secret = settings.secretFile === undefined ? undefined : await mountedSecret(settings.secretFile)

  const metrics = await tokenMetrics(name)
  const cache = asOption(() => new TokenCache({
    ...settings.passThrough,
    tokenEndpoint: settings.tokenEndpoint,
    clientId: settings.clientId,
    clientSecret: secret?.clientSecret ?? settings.clientSecret as NonNullable<ResolvedOptions['clientSecret']>,
    ...(settings.authMethod === undefined ? {} : { authMethod: settings.authMethod }),
    logger: log,
    provider: settings.provider,
    expectedRoles: settings.roles,
    metrics,
    scopeHint: policyHint(settings),
    onInvalidClient: secret === undefined
      ? settings.passThrough.onInvalidClient
      : () => { secret.onInvalidClient(); settings.passThrough.onInvalidClient?.() }
  }), settings.optionLabels)
  // The core has checked its options; then the plugin's own rules, on the values the core accepted.
  const decide = scopeDecider(settings)
  const defaults = decide(settings.scopes)
  // Allowed, but the provider may answer other than expected (Auth0 without audience): said once, here.
  for (const warning of profileOf(settings.provider).requestWarnings?.({ scopes: defaults.scopes, audience: settings.audience, resource: settings.resource, tokenEndpoint: settings.tokenEndpoint, authMethod: settings.authMethod }) ?? []) {
    log.warn(warning)
  }
  if (settings.scopesGiven && defaults.violations.length > 0) {
    await cache.close()
    throw new InvalidOptionError(`option scopes: not allowed: ${describeViolations(defaults.violations)}`)
  }
  // Checked requests of get() and the dispatchers: a refused one rejects with ScopePolicyError (nothing sent).
  const requests = tokenRequests({ scopes: settings.scopes, resource: settings.resource, audience: settings.audience }, decide)
  const tls = settings.passThrough.tls
  const apis = apiCalls({
    origins: settings.origins,
    resolve: (opts) => {
      const resolved = requests.resolve(opts)
      if ('violations' in resolved) throw refusal(resolved)
      return resolved
    },
    cache,
    // RFC 8705 §3: a certificate-bound token is only accepted over a connection with the certificate.
    clientCertificate: tls !== undefined && credentialKind(settings.authMethod ?? DEFAULT_AUTH_METHOD) === 'tls' ? tlsConnectOptions({ kind: 'tls', tls }) : undefined,
    log
  })
  fastify.addHook('onClose', async () => {
    // First: a request in flight may still need a token.
    await apis.close()
    await cache.close()
    // The store's own connections would keep the process alive (it never closes a client it was given).
    await settings.passThrough.store?.close()
  })

  const byDefault = requests.resolve(undefined)
  const defaultRequest = 'violations' in byDefault ? undefined : byDefault
  const api: AppTokenDecorator = {
    get: (opts) => {
      if (opts === undefined && defaultRequest !== undefined) return cache.get(defaultRequest)
      const resolved = requests.resolve(opts)
      return 'violations' in resolved ? Promise.reject(refusal(resolved)) : cache.get(resolved)
    },
    invalidate: (opts) => {
      if (opts?.token !== undefined) { cache.invalidate({ token: opts.token }); return }
      if (opts === undefined) { cache.invalidate(); return }
      const resolved = requests.resolve(opts)
      if (!('violations' in resolved)) cache.invalidate(resolved)
    },
    stats: () => cache.stats(),
    dispatcher: apis.dispatcher,
    fetch: apis.fetch
  }
  fastify.decorate(name, api)
  fastify.decorateRequest(name, null)

  const plan = routePlanner({ key: name, global: settings.global, scopes: settings.scopes, resource: settings.resource, audience: settings.audience, decide })
  const kPlan = Symbol(`${PLUGIN}:${name}`)
  // Collected, reported by ready(): throwing in onRoute would make app.get() throw.
  // Keyed by URL and scopes: the HEAD route Fastify adds for a GET joins its entry.
  const violations = new Map<string, RouteViolation>()
  fastify.addHook('onRoute', (route) => {
    const routePlan = plan(route.config)
    if (routePlan.kind === 'denied') {
      const { scopes, violations: found } = routePlan.error
      const methods = ([] as string[]).concat(route.method)
      const key = `${route.url}\n${scopes.join(' ')}`
      const seen = violations.get(key)
      if (seen === undefined) violations.set(key, { methods, url: route.url, scopes, violations: found })
      else seen.methods.push(...methods)
    }
    route.config = { ...route.config, [kPlan]: routePlan } as typeof route.config
  })

  fastify.addHook(settings.hook, requestTokenHook({ name, kPlan, plan, cache, log }))

  fastify.addHook('onReady', async () => {
    if (violations.size > 0) throw new RouteScopesError([...violations.values()])
    if (settings.prefetch === 'block') await api.get()
    // Failures are logged by the cache; the first request retries.
    else if (settings.prefetch === 'background') api.get().catch(() => {})
  })
}

/** The invalid_scope hint: what the policy allows and where to change it. */
function policyHint (settings: ResolvedOptions): ((scopes: readonly string[]) => string | undefined) | undefined {
  if (settings.policy === undefined) return undefined
  const { set, app, entry } = settings.policy
  const where = `${join(set.dir, entry.scopesAt.file)}:${entry.scopesAt.line}`
  const allowed = [...entry.scopes.keys()].join(' ') || '(none)'
  // The same text whatever was requested: the policy entry is fixed at register.
  const hint = `The policy of ${app.app}/${entry.name} allows: ${allowed} (${where}). ` +
    `The scopes whitelisted for ${settings.clientId} in the provider's portal must match it exactly (case-sensitive).`
  return () => hint
}

/**
 * The Fastify plugin: every request gets `request.appToken`, background jobs `app.appToken.get()`,
 * an OAuth 2.0 client_credentials token (RFC 6749 §4.4) fetched, cached, refreshed and shared;
 * every scope set is checked against the policy before anything is sent (docs/plugin.md).
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import appToken from 'fastify-app-token'
 *
 * const app = Fastify()
 * await app.register(appToken, { clientId: 'svc', clientSecret: process.env.SECRET, policy: './policies', scopes: ['read:interaction'] })
 * app.get('/calls', async (request) => fetch(url, { headers: { authorization: request.appToken.authorization } }))
 * ```
 */
const plugin = fp(appToken, { name: PLUGIN, fastify: '5.x' })
export default plugin
export { plugin as appToken }

export type { AppTokenOptions } from './options.js'
export type { AppTokenDecorator, AppTokenDispatcherOptions, AppTokenRequestOptions, AppTokenRouteConfig } from './types.js'
export { ScopePolicyError, RouteScopesError, type RouteViolation } from './errors.js'
export * from './token-core.js'
