// app.appToken.dispatcher() and app.appToken.fetch() (docs/plugin.md, "Calling the API"):
// one Agent per (origins, scope set, resource, audience), made on first use and reused,
// closed by app.close(). With a TLS client method the certificate goes on connections to
// the origins too (RFC 8705 §3: certificate-bound tokens).
import { Agent, FormData, Pool, Request, fetch as undiciFetch, type Dispatcher, type RequestInfo, type RequestInit, type Response } from 'undici'
import type { TokenRequest } from '../route-scopes.js'
import type { tlsConnectOptions } from '../token/client-auth.js'
import { AppTokenError, ClosedError, InvalidOptionError } from '../token/errors.js'
import type { TokenCache } from '../token/cache.js'
import type { TokenLogger } from '../token/logger.js'
import type { AppTokenDispatcherOptions, AppTokenRequestOptions } from '../types.js'
import { forClients } from '../unavailable.js'
import { kReplayBody, tokenInterceptor } from './interceptor.js'
import { originOf, parseOrigins } from './origins.js'

export interface ApiCallsOptions {
  /** The plugin's `origins`, normalised; undefined when none were given. */
  origins: readonly string[] | undefined
  /** The checked token request of these options; throws ScopePolicyError for a refused one (nothing sent). */
  resolve (options: AppTokenRequestOptions | undefined): TokenRequest
  cache: Pick<TokenCache, 'get' | 'invalidate'>
  /** tls_client_auth / self_signed_tls_client_auth: undici `connect` options with the certificate. */
  clientCertificate: ReturnType<typeof tlsConnectOptions> | undefined
  log: Pick<TokenLogger, 'debug'>
}

export interface ApiCalls {
  dispatcher (options?: AppTokenDispatcherOptions): Dispatcher
  fetch (input: RequestInfo, init?: RequestInit, options?: AppTokenRequestOptions): Promise<Response>
  /** Closes every Agent made (requests in flight finish first). */
  close (): Promise<void>
}

const DISPATCHER_OPTIONS = new Set(['origins', 'scopes', 'resource', 'audience'])

export function apiCalls ({ origins: defaultOrigins, resolve, cache, clientCertificate, log }: ApiCallsOptions): ApiCalls {
  const made = new Map<string, { agent: Agent; composed: Dispatcher }>()
  const agents = new Set<Agent>()
  const nonces = new Map<string, string>() // RFC 9449 §9: per server, shared by the dispatchers
  let closed = false

  function dispatcher (options?: AppTokenDispatcherOptions): Dispatcher {
    for (const key of Object.keys(options ?? {})) {
      if (!DISPATCHER_OPTIONS.has(key)) throw new InvalidOptionError(`dispatcher(): unknown option ${key}; the options are: ${[...DISPATCHER_OPTIONS].join(', ')}`, { option: key })
    }
    const origins = options?.origins === undefined ? defaultOrigins : parseOrigins(options.origins, 'dispatcher(): origins')
    if (origins === undefined) {
      throw new InvalidOptionError('dispatcher(): no origins to send the token to: pass origins: [\'https://api.example.com\'] to app.register(appToken, { … }) or to dispatcher({ origins })', { option: 'origins' })
    }
    if (closed) throw new ClosedError('dispatcher(): the plugin is closed (app.close() was called)')
    const request = resolve(options)
    const key = `${origins.join(' ')}\n${request.scopes.join(' ')}\n${request.resource ?? ''}\n${request.audience ?? ''}`
    const found = made.get(key)
    if (found !== undefined && !found.agent.closed && !found.agent.destroyed) return found.composed
    const listed = new Set(origins)
    const agent = new Agent(clientCertificate === undefined
      ? {}
      : { factory: (origin, opts) => new Pool(origin, listed.has(originOf(origin) ?? '') ? { ...opts, connect: { ...clientCertificate } } : opts) })
    agents.add(agent)
    const composed = agent.compose(tokenInterceptor({
      origins: listed,
      nonces,
      log,
      tokens: { get: () => cache.get(request), invalidate: (token) => cache.invalidate({ token }) }
    }))
    made.set(key, { agent, composed })
    return composed
  }

  async function fetch (input: RequestInfo, init?: RequestInit, options?: AppTokenRequestOptions): Promise<Response> {
    const base = dispatcher(options === undefined ? undefined : { ...options, origins: undefined })
    checkFetchArguments(input, init)
    const replay = replayBody(init?.body)
    try {
      return await undiciFetch(input, { ...init, dispatcher: replay === undefined ? base : withReplay(base, replay) })
    } catch (err) {
      // undici wraps every dispatch failure in TypeError('fetch failed'): a token that could not be
      // had is a 503 with Retry-After if it reaches a reply, in words fit for the API's clients.
      if (err instanceof TypeError && err.cause instanceof AppTokenError) throw forClients(err.cause)
      throw err
    }
  }

  async function close (): Promise<void> {
    closed = true
    await Promise.all([...agents].map(async (agent) => { await agent.close() }))
  }

  return { dispatcher, fetch, close }
}

/** Node 20's global Request and FormData are another undici's: this fetch would read them as strings. */
function checkFetchArguments (input: RequestInfo, init: RequestInit | undefined): void {
  if (init?.dispatcher !== undefined) {
    throw new InvalidOptionError('fetch(): init.dispatcher is not used (the request goes through the plugin\'s): use app.appToken.dispatcher() with undici\'s fetch to combine it with other interceptors', { option: 'dispatcher' })
  }
  if (foreign(input, 'Request', Request)) {
    throw new InvalidOptionError('fetch(): the Request is Node\'s global one, not undici\'s: import { Request } from \'undici\', or pass the URL and init')
  }
  if (foreign(init?.body, 'FormData', FormData)) {
    throw new InvalidOptionError('fetch(): init.body is Node\'s global FormData, not undici\'s: import { FormData } from \'undici\'')
  }
}

function foreign (value: unknown, name: string, ours: abstract new (...args: never[]) => unknown): boolean {
  return typeof value === 'object' && value !== null && !(value instanceof ours) && Object.prototype.toString.call(value) === `[object ${name}]`
}

/** The body to send again after a 401: fetch streams every body, so a whole one is kept here. */
function replayBody (body: RequestInit['body']): string | Buffer | undefined {
  if (typeof body === 'string') return body
  if (body instanceof URLSearchParams) return body.toString()
  // A copy, as fetch takes one: a later change to the caller's buffer is not sent.
  if (ArrayBuffer.isView(body)) return Buffer.from(new Uint8Array(body.buffer, body.byteOffset, body.byteLength))
  if (body instanceof ArrayBuffer) return Buffer.from(new Uint8Array(body))
  return undefined
}

/** The dispatcher of one fetch() call: every dispatch of it carries the body to send again. */
function withReplay (base: Dispatcher, body: string | Buffer): Dispatcher {
  return Object.create(base, {
    dispatch: { value: (opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) => base.dispatch({ ...opts, [kReplayBody]: body } as Dispatcher.DispatchOptions, handler) }
  }) as Dispatcher
}
