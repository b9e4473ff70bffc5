// The compose interceptor of app.appToken.dispatcher() (docs/plugin.md, "Calling the API"):
// the token on requests to the listed origins only, judged per dispatch, so a redirect
// followed above it (fetch, the redirect interceptor) reaches another origin without it.
// After a 401 that a fresh token can cure, the token is dropped and the request sent once
// more; a DPoP nonce challenge is answered once with a new proof.
import type { IncomingHttpHeaders } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { AppToken } from '../token/app-token.js'
import type { TokenLogger } from '../token/logger.js'
import { challengeErrors, insufficientScope, useDpopNonce } from './challenges.js'
import { dpopProof, isDpopBound } from './dpop.js'
import { baseHeaders, withHeaders, type BaseHeaders } from './headers.js'
import { originOf } from './origins.js'

/** The tokens of one dispatcher's scope set. */
export interface TokenSource {
  /** The cached token, or the one fetch all waiters share. */
  get (): Promise<AppToken>
  /** Drops this token if it is still the cached one (late 401s of its other holders do nothing). */
  invalidate (token: AppToken): void
}

export interface TokenInterceptorOptions {
  /** Normalised by parseOrigins. */
  origins: ReadonlySet<string>
  tokens: TokenSource
  /** RFC 9449 §9: the latest DPoP-Nonce of each origin. */
  nonces: Map<string, string>
  log: Pick<TokenLogger, 'debug'>
}

/** A dispatch option app.appToken.fetch() sets: the body again (fetch hands undici a one-shot stream). */
export const kReplayBody = Symbol('fastify-app-token replay body')

type Body = Dispatcher.DispatchOptions['body']
const NOT_REPLAYABLE = Symbol('not replayable')

/** RFC 9110 §9.2.2 aside, a body can be sent again only when it is held whole. */
function replayable (body: Body): Body | typeof NOT_REPLAYABLE {
  return body == null || typeof body === 'string' || ArrayBuffer.isView(body) ? body : NOT_REPLAYABLE
}

export function tokenInterceptor (options: TokenInterceptorOptions): Dispatcher.DispatcherComposeInterceptor {
  const { origins } = options
  return (dispatch) => function dispatchWithToken (opts, handler) {
    const origin = typeof opts.origin === 'string' && origins.has(opts.origin) ? opts.origin : originOf(opts.origin)
    if (origin === undefined || !origins.has(origin)) return dispatch(opts, handler)
    const headers = baseHeaders(opts.headers)
    if (headers === undefined) return dispatch(opts, handler) // the caller's own Authorization
    const request = new AuthorizedRequest(dispatch, opts, origin, headers, handler, options)
    options.tokens.get().then((token) => request.attempt(token), (err: Error) => request.fail(err))
    return true
  }
}

/** One request to a listed origin, across its attempts: the handler below sees one request. */
class AuthorizedRequest implements Dispatcher.DispatchHandler {
  readonly #dispatch: Dispatcher.Dispatch
  readonly #opts: Dispatcher.DispatchOptions
  readonly #origin: string
  readonly #handler: Dispatcher.DispatchHandler
  readonly #options: TokenInterceptorOptions
  readonly #controller = new StableController()
  readonly #replay: Body | typeof NOT_REPLAYABLE
  readonly #headers: BaseHeaders
  #token: AppToken | undefined
  #started = false
  #tokenRetried = false
  #nonceRetried = false
  /** While a refused response is read to its end: the token of the next attempt. */
  #next: Promise<AppToken> | undefined

  constructor (dispatch: Dispatcher.Dispatch, opts: Dispatcher.DispatchOptions, origin: string, headers: BaseHeaders, handler: Dispatcher.DispatchHandler, options: TokenInterceptorOptions) {
    const replay = (opts as { [kReplayBody]?: Body })[kReplayBody]
    this.#dispatch = dispatch
    this.#opts = opts
    this.#origin = origin
    this.#headers = headers
    this.#handler = handler
    this.#options = options
    // fetch's body is a one-shot stream; its source comes along when it can be sent again.
    this.#replay = opts.body == null ? opts.body : replay !== undefined ? replay : replayable(opts.body)
  }

  attempt (token: AppToken): void {
    this.#token = token
    if (!isDpopBound(token)) { this.#send(token, undefined); return }
    const url = this.#opts.path.startsWith('/') ? this.#origin + this.#opts.path : this.#opts.path
    dpopProof(token, this.#opts.method, url, this.#options.nonces.get(this.#origin))
      .then((proof) => this.#send(token, proof), (err: Error) => this.fail(err))
  }

  fail (err: Error): void {
    this.#handler.onResponseError?.(this.#controller, err)
  }

  #send (token: AppToken, proof: string | undefined): void {
    if (this.#controller.reason !== null) { this.fail(this.#controller.reason); return } // aborted between attempts
    const added = proof === undefined ? ['authorization', token.authorization] : ['authorization', token.authorization, 'dpop', proof]
    const retry = this.#started
    const body = retry ? this.#replay as Body : this.#opts.body
    try {
      this.#dispatch({ ...this.#opts, body, headers: withHeaders(this.#headers, added), [kReplayBody]: undefined } as Dispatcher.DispatchOptions, this)
    } catch (err) {
      this.fail(err as Error)
    }
  }

  onRequestStart (controller: Dispatcher.DispatchController, context: unknown): void {
    this.#controller.attach(controller)
    if (this.#started) return
    this.#started = true
    this.#handler.onRequestStart?.(this.#controller, context)
  }

  onRequestUpgrade (_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    this.#handler.onRequestUpgrade?.(this.#controller, statusCode, headers, socket)
  }

  onResponseStart (_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    const token = this.#token!
    const nonce = headers['dpop-nonce']
    if (typeof nonce === 'string' && isDpopBound(token)) this.#options.nonces.set(this.#origin, nonce)
    if (statusCode === 401) this.#next = this.#retry(token, headers)
    if (this.#next === undefined) this.#handler.onResponseStart?.(this.#controller, statusCode, headers, statusMessage)
  }

  /** After a 401: the token of the next attempt, or undefined when the 401 goes to the caller. */
  #retry (token: AppToken, headers: IncomingHttpHeaders): Promise<AppToken> | undefined {
    const errors = challengeErrors(headers['www-authenticate'])
    const replayable = this.#replay !== NOT_REPLAYABLE
    if (isDpopBound(token) && useDpopNonce(errors) && typeof headers['dpop-nonce'] === 'string') {
      if (this.#nonceRetried || !replayable) return undefined
      this.#nonceRetried = true
      return Promise.resolve(token) // RFC 9449 §9: the same token, a proof with the nonce
    }
    // RFC 6750 §3.1: a token lacking scope stays lacking it; a fresh one of the same scopes would not help.
    if (this.#tokenRetried || insufficientScope(errors)) return undefined
    this.#tokenRetried = true
    // Dropped even when the body cannot be sent again: the next request gets a fresh token.
    this.#options.tokens.invalidate(token)
    if (!replayable) return undefined
    this.#options.log.debug({ origin: this.#origin, fingerprint: token.fingerprint }, 'the API answered 401: sending the request once more with a fresh token')
    const next = this.#options.tokens.get()
    next.catch(() => {}) // reported when the 401 has been read
    return next
  }

  onResponseData (_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#next === undefined) this.#handler.onResponseData?.(this.#controller, chunk)
  }

  onResponseEnd (_controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    const next = this.#next
    if (next === undefined) { this.#handler.onResponseEnd?.(this.#controller, trailers); return }
    this.#next = undefined
    next.then((token) => this.attempt(token), (err: Error) => this.fail(err))
  }

  onResponseError (_controller: Dispatcher.DispatchController, err: Error): void {
    this.#next = undefined
    this.fail(err)
  }
}

/** The controller the caller's handler holds: it follows each attempt and keeps an abort or pause across them. */
class StableController implements Dispatcher.DispatchController {
  #target: Dispatcher.DispatchController | undefined
  #reason: Error | null = null
  #paused = false

  attach (target: Dispatcher.DispatchController): void {
    this.#target = target
    if (this.#reason !== null) target.abort(this.#reason)
    else if (this.#paused) target.pause()
  }

  get aborted (): boolean { return this.#reason !== null || (this.#target?.aborted ?? false) }
  get paused (): boolean { return this.#paused }
  get reason (): Error | null { return this.#reason ?? this.#target?.reason ?? null }
  get rawHeaders (): Dispatcher.DispatchController['rawHeaders'] { return this.#target?.rawHeaders }
  get rawTrailers (): Dispatcher.DispatchController['rawTrailers'] { return this.#target?.rawTrailers }

  abort (reason: Error): void {
    this.#reason = reason
    this.#target?.abort(reason)
  }

  pause (): void {
    this.#paused = true
    this.#target?.pause()
  }

  resume (): void {
    this.#paused = false
    this.#target?.resume()
  }
}
