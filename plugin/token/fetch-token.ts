// One token request, exactly one (the model of Go's oauth2/clientcredentials):
// RFC 6749 §4.4.2 over undici, bounded in time and size, never redirected.
import { request, type Dispatcher } from 'undici'
import { AppToken } from './app-token.js'
import { AppTokenError, NetworkError, ResponseTooLargeError, ScopeNarrowedError, SecretUnavailableError, TimeoutError } from './errors.js'
import { tokenLifetime } from './expiry.js'
import { decodeJwtClaims } from './jwt.js'
import { basicCredentials, secretForms } from './credentials.js'
import { readTokenResponse } from './response.js'
import { serverWords } from './server-words.js'
import { resolveRequestOptions, type ClientSecret, type FetchTokenOptions, type ResolvedRequestOptions } from './options.js'
import { checkResource, toScopeSet } from './scopes.js'

export interface FetchedToken {
  token: AppToken
  /** Epoch ms when the request was sent: expiry counts from here. */
  sentAt: number
  /** expires_in as received. */
  expiresIn?: number
  /** Epoch ms after which the token must not be handed out; not after sentAt means: do not cache. */
  usableUntil: number
  lifetimeSource: 'expires_in' | 'jwt' | 'default'
  /** The JWT exp, when it was present and ignored (with the reason). */
  expIgnored?: { exp: number; reason: 'not after the send time' | 'beyond maxLifetime' }
  /** True when the lifetime was cut to maxLifetime. */
  clamped: boolean
  /** The normalised scope set that was sent. */
  requestedScopes: string[]
  /** Where the granted scopes came from. */
  grantedFrom: 'response' | 'jwt' | 'requested'
  /** Requested scopes the server did not grant (only with onScopeNarrowed: 'warn'). */
  missingScopes: string[]
}

/** The secret, from a string or a function; the attempt's signal bounds a function that never settles. */
export async function resolveSecret (source: ClientSecret, signal: AbortSignal): Promise<string> {
  let secret: unknown
  if (typeof source === 'function') {
    let onAbort = (): void => {}
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => reject(new Error('aborted while resolving the client secret'))
      signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      secret = await Promise.race([(async () => await source())(), aborted])
    } catch (err) {
      if (signal.aborted) throw err
      throw new SecretUnavailableError('the clientSecret function failed', { cause: err })
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  } else {
    secret = source
  }
  if (typeof secret !== 'string' || secret === '') throw new SecretUnavailableError('the client secret is empty or not a string')
  return secret
}

/** One token request: the options checked, then sent (docs/token-core.md). */
export async function fetchToken (options: FetchTokenOptions): Promise<FetchedToken> {
  const resolved = resolveRequestOptions(options, 'fetchToken')
  return await requestToken(resolved, {
    scopes: toScopeSet(options.scopes),
    resource: options.resource,
    dispatcher: options.dispatcher,
    signal: options.signal
  })
}

export interface SendOptions {
  /** Normalised (toScopeSet). */
  scopes: string[]
  resource: string | undefined
  dispatcher: Dispatcher | undefined
  signal: AbortSignal | undefined
}

/** One token request with options already checked: what the cache sends on every attempt. */
export async function requestToken (options: ResolvedRequestOptions, req: SendOptions): Promise<FetchedToken> {
  const { tokenEndpoint: url, authMethod, timeout, maxResponseBytes: maxBytes } = options
  const { scopes, signal } = req
  checkResource(req.resource)

  // One deadline per attempt, from before the secret is resolved: a secret function that
  // never settles fails the attempt like a silent token endpoint.
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => { timedOut = true; controller.abort() }, timeout)
  const onAbort = (): void => controller.abort()
  if (signal?.aborted === true) controller.abort()
  else signal?.addEventListener('abort', onAbort, { once: true })
  let secret: string | undefined
  let sentAt = 0
  let raw
  try {
    secret = await resolveSecret(options.clientSecret, controller.signal)
    sentAt = Date.now()

    const form = new URLSearchParams({ grant_type: 'client_credentials' })
    if (scopes.length > 0) form.set('scope', scopes.join(' ')) // §3.3: space-delimited, omitted when empty
    if (req.resource !== undefined) form.set('resource', req.resource) // RFC 8707
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json'
    }
    if (authMethod === 'client_secret_basic') {
      headers.authorization = `Basic ${basicCredentials(options.clientId, secret)}`
    } else {
      form.set('client_id', options.clientId)
      form.set('client_secret', secret)
    }

    const res = await request(url, {
      method: 'POST',
      headers,
      body: form.toString(),
      signal: controller.signal,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      ...(req.dispatcher !== undefined ? { dispatcher: req.dispatcher } : {})
    })
    raw = { status: res.statusCode, headers: res.headers, body: await readBounded(res.body, res.headers['content-length'], maxBytes, res.statusCode) }
  } catch (err) {
    if (err instanceof AppTokenError) throw err
    if (secret === undefined && timedOut) {
      throw new TimeoutError(`the clientSecret function did not settle within ${timeout} ms (timeout)`, { transient: true })
    }
    throw transportError(err, timedOut, timeout, url)
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }

  const words = serverWords(secretForms(options.clientId, secret ?? ''))
  const fields = readTokenResponse(raw, { scopes, authMethod, scopeHint: options.scopeHint, words })
  const claims = decodeJwtClaims(fields.accessToken)
  let granted = scopes
  let grantedFrom: FetchedToken['grantedFrom'] = 'requested'
  if (fields.scopes !== undefined) {
    granted = fields.scopes
    grantedFrom = 'response' // §5.1
  } else if (claims?.scopes !== undefined) {
    granted = claims.scopes
    grantedFrom = 'jwt' // RFC 9068 §2.2.3
  }
  const missingScopes = scopes.filter((s) => !granted.includes(s))
  if (missingScopes.length > 0 && options.onScopeNarrowed !== 'warn') throw new ScopeNarrowedError(scopes, granted)

  const lifetime = tokenLifetime({
    sentAt,
    ...(fields.expiresIn !== undefined ? { expiresIn: fields.expiresIn } : {}),
    ...(claims?.exp !== undefined ? { jwtExp: claims.exp } : {}),
    defaultLifetime: options.defaultLifetime,
    clockSkew: options.clockSkew,
    maxLifetime: options.maxLifetime
  })
  return {
    token: new AppToken({ accessToken: fields.accessToken, tokenType: fields.tokenType, scopes: granted, expiresAt: lifetime.expiresAt }),
    sentAt,
    ...(fields.expiresIn !== undefined ? { expiresIn: fields.expiresIn } : {}),
    usableUntil: lifetime.usableUntil,
    lifetimeSource: lifetime.source,
    ...(lifetime.expIgnored !== undefined && claims?.exp !== undefined ? { expIgnored: { exp: claims.exp, reason: lifetime.expIgnored } } : {}),
    clamped: lifetime.clamped,
    requestedScopes: scopes,
    grantedFrom,
    missingScopes
  }
}

async function readBounded (body: Dispatcher.ResponseData['body'], contentLength: string | string[] | undefined, max: number, status: number): Promise<string> {
  const tooLarge = (): ResponseTooLargeError => {
    body.destroy()
    return new ResponseTooLargeError(`token endpoint answer (status ${status}) is larger than maxResponseBytes (${max})`, {
      status,
      hint: 'A token response is a few KiB at most: check tokenEndpoint, or raise maxResponseBytes.'
    })
  }
  if (Number(contentLength) > max) throw tooLarge()
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += (chunk as Buffer).length
    if (size > max) throw tooLarge()
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function transportError (err: unknown, timedOut: boolean, timeout: number, url: URL): AppTokenError {
  const code = (err as { code?: unknown })?.code
  if (timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new TimeoutError(`no answer from the token endpoint ${url.host} within ${timeout} ms`, { transient: true })
  }
  const reason = typeof code === 'string' ? code : (err as Error)?.message ?? String(err)
  return new NetworkError(`token request to ${url.host} failed: ${reason}`, { transient: true, cause: err })
}
