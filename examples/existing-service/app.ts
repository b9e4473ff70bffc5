// An existing Fastify service that adds fastify-app-token to the routes it
// already has. In your project: import appToken from 'fastify-app-token'.
import Fastify, { type FastifyServerOptions } from 'fastify'
import { request } from 'undici'
import appToken, { type AppToken, type AppTokenOptions, type AppTokenRequestOptions } from '../../plugin/index.js'

export interface ServiceOptions {
  /** Base URL of the contact-center API the service calls. */
  upstreamUrl: string
  /** Credentials, policy, scopes: anything not given here comes from APP_TOKEN_* variables. */
  appToken?: AppTokenOptions
  logger?: FastifyServerOptions['logger']
}

const ANALYTICS = { scopes: ['read:analytics'] }

export async function buildService (options: ServiceOptions) {
  const app = Fastify({ logger: options.logger ?? true })

  // Every route gets a token for read:interaction unless it says otherwise.
  await app.register(appToken, { scopes: ['read:interaction'], ...options.appToken })

  /**
   * Calls the upstream API with the route's token (`route`: the route's config.appToken); on a 401
   * that token is dropped and the call made once more with a fresh one.
   */
  async function upstream (path: string, token: AppToken, route: AppTokenRequestOptions = {}): Promise<unknown> {
    const call = (t: AppToken) => request(new URL(path, options.upstreamUrl), { headers: { authorization: t.authorization } })
    let res = await call(token)
    if (res.statusCode === 401) {
      await res.body.dump()
      // Revoked or rotated upstream: drop this token (unless a 401 of another request already did); the next get() fetches once for all.
      app.appToken.invalidate({ token })
      res = await call(await app.appToken.get(route))
    }
    if (res.statusCode !== 200) {
      await res.body.dump()
      throw Object.assign(new Error(`upstream answered ${res.statusCode}`), { statusCode: 502 })
    }
    return await res.body.json()
  }

  // The routes the service already had: only their handlers changed to use the token.
  app.get('/health', { config: { appToken: false } }, async () => ({ ok: true }))

  app.get('/calls', async (req) => await upstream('/api/v2/interactions', req.appToken))

  app.get('/queues/stats', { config: { appToken: ANALYTICS } }, async (req) =>
    await upstream('/api/v2/analytics/queues', req.appToken, ANALYTICS))

  return app
}
