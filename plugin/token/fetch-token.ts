// One token request, exactly one (the model of Go's oauth2/clientcredentials):
// RFC 6749 §4.4.2 over undici, bounded in time and size, never redirected.
import { Agent, request, type Dispatcher } from 'undici'
import { AppToken } from './app-token.js'
import { AppTokenError, DpopNotBoundError, NetworkError, ResponseTooLargeError, ScopeNarrowedError, TimeoutError } from './errors.js'
import { tokenLifetime } from './expiry.js'
import { decodeJwtClaims } from './jwt.js'
import { headerValue, nonceChallenge } from './dpop.js'
import { checkTlsDispatcher, credentialOption, tlsConnectOptions } from './client-auth.js'
import { clientCredentials, type Credentials } from './credentials.js'
import type { Quota } from './quota.js'
import { readTokenResponse } from './response.js'
import { serverWords } from './server-words.js'
import { resolveRequestOptions, type FetchTokenOptions, type ResolvedRequestOptions } from './options.js'
import { checkResource, toScopeSet } from './scopes.js'
import type { ProviderProfile } from '../../service/policy/providers/index.js'

/** What `fetchToken` resolves to: the token, when it was sent, how long it may be used and what was granted. */
export interface FetchedToken {
  token: AppToken
  /** Epoch ms when the request was sent: expiry counts from here. */
  sentAt: number
  /** expires_in as received. */
  expiresIn?: number
  /** refresh_in as received (Entra): refresh no later than this many seconds after sentAt. */
  refreshIn?: number
  /** The provider's token quota as this answer reported it (Auth0). */
  quota?: Quota
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
  /** expectedRoles the token's `roles` claim lacks (only with onScopeNarrowed: 'warn'). */
  missingRoles: string[]
}

/**
 * Exactly one client credentials token request (RFC 6749 §4.4.2), no cache: the options checked
 * as `TokenCache` checks them, the client authenticated per `authMethod` (RFC 6749 §2.3.1,
 * RFC 7523 §2.2, RFC 8705 §2), the response read per §5.1 / §5.2 (docs/token-core.md).
 *
 * @example
 * ```ts
 * import { fetchToken } from 'fastify-app-token/token'
 *
 * const { token, usableUntil } = await fetchToken({
 *   tokenEndpoint: 'https://login.example.com/oauth/token',
 *   clientId: 'svc-billing',
 *   clientSecret: process.env.APP_CLIENT_SECRET!,
 *   scopes: ['read:invoices'],
 * })
 * ```
 */
export async function fetchToken (options: FetchTokenOptions): Promise<FetchedToken> {
  const resolved = resolveRequestOptions(options, 'fetchToken')
  checkTlsDispatcher(resolved.clientAuth, options.dispatcher)
  // RFC 8705: the client certificate rides on the connection, so this request gets its own Agent.
  const tlsAgent = resolved.clientAuth.kind === 'tls' ? new Agent({ connect: { timeout: resolved.timeout, ...tlsConnectOptions(resolved.clientAuth) } }) : undefined
  try {
    return await requestToken(resolved, {
      scopes: toScopeSet(options.scopes),
      resource: options.resource,
      audience: options.audience,
      dispatcher: tlsAgent ?? options.dispatcher,
      signal: options.signal
    })
  } finally {
    await tlsAgent?.close()
  }
}

export interface SendOptions {
  /** Normalised (toScopeSet). */
  scopes: string[]
  resource: string | undefined
  /** The `audience` form parameter (docs/providers.md). */
  audience: string | undefined
  dispatcher: Dispatcher | undefined
  signal: AbortSignal | undefined
}

/** One token request with options already checked: what the cache sends on every attempt. */
export async function requestToken (options: ResolvedRequestOptions, req: SendOptions): Promise<FetchedToken> {
  const { tokenEndpoint: url, authMethod, timeout, maxResponseBytes: maxBytes, profile } = options
  const { scopes, signal } = req
  checkResource(req.resource)

  // One deadline per attempt, from before the secret or key is resolved: a function that
  // never settles fails the attempt like a silent token endpoint.
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => { timedOut = true; controller.abort() }, timeout)
  const onAbort = (): void => controller.abort()
  if (signal?.aborted === true) controller.abort()
  else signal?.addEventListener('abort', onAbort, { once: true })
  let credentials: Credentials | undefined
  let sentAt = 0
  let raw
  const { dpop } = options
  try {
    // RFC 9449 §8: a use_dpop_nonce answer is asked again once, with the nonce it names.
    for (let round = 0; ; round++) {
      // Fresh credentials each round: a server may refuse a client assertion's jti seen before.
      credentials = await clientCredentials(options.clientAuth, options.clientId, authMethod, controller.signal)
      const form = new URLSearchParams({ grant_type: 'client_credentials' })
      if (scopes.length > 0) form.set('scope', scopes.join(' ')) // §3.3: space-delimited, omitted when empty
      // RFC 8707; Entra's v2.0 endpoint refuses it (AADSTS901002): the resource is in its /.default scope.
      if (req.resource !== undefined && profile.name !== 'entra') form.set('resource', req.resource)
      if (req.audience !== undefined) form.set('audience', req.audience)
      const headers: Record<string, string> = {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json'
      }
      if (credentials.authorization !== undefined) headers.authorization = credentials.authorization
      for (const [name, value] of credentials.form) form.set(name, value)
      // RFC 9449 §5: the proof of this POST to the token endpoint, with the server's last nonce.
      if (dpop !== undefined) headers.dpop = await dpop.key.proof({ method: 'POST', url, nonce: dpop.nonces.get(url.origin) })

      sentAt = Date.now()
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
      if (dpop === undefined) break
      // §8: any answer may carry the nonce for the next proof to this server.
      const nonce = headerValue(raw.headers['dpop-nonce'])
      if (nonce !== undefined) dpop.nonces.set(url.origin, nonce)
      if (round > 0 || nonceChallenge(raw.status, raw.headers, raw.body) === undefined) break
    }
  } catch (err) {
    if (err instanceof AppTokenError) throw err
    if (credentials === undefined && timedOut) {
      throw new TimeoutError(`the ${credentialOption(options.clientAuth)} function did not settle within ${timeout} ms (timeout)`, { transient: true })
    }
    throw transportError(err, timedOut, timeout, url)
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }

  const words = serverWords(credentials?.words ?? [])
  const fields = readTokenResponse(raw, { scopes, authMethod, scopeHint: options.scopeHint, words, profile })
  if (dpop !== undefined && fields.tokenType !== 'DPoP' && !dpop.allowBearer) throw notBound(words(fields.tokenType), raw.status, profile)
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
  const reading = profile.readGrant({
    requested: scopes,
    scope: grantedFrom === 'requested' ? undefined : granted.join(' '),
    tokenRoles: claims?.roles ?? [],
    policyRoles: options.expectedRoles
  })
  const { missingScopes } = reading
  // Not a readable JWT: its roles are unknown, not missing.
  const missingRoles = claims === undefined ? [] : reading.missingRoles
  // Compared above as sent; kept and shown (errors, the narrowed warning, verify) only scrubbed
  // of every form of the credential and of the access token itself: the server's words.
  const echo = serverWords([...credentials?.words ?? [], fields.accessToken])
  granted = granted.map(echo)
  const roles = (claims?.roles ?? []).map(echo)
  if ((missingScopes.length > 0 || missingRoles.length > 0) && options.onScopeNarrowed !== 'warn') {
    throw new ScopeNarrowedError(scopes, granted, missingRoles, consoleHint(profile))
  }

  const lifetime = tokenLifetime({
    sentAt,
    receivedAt: Date.now(),
    ...(fields.expiresIn !== undefined ? { expiresIn: fields.expiresIn } : {}),
    ...(claims?.exp !== undefined ? { jwtExp: claims.exp } : {}),
    defaultLifetime: options.defaultLifetime,
    clockSkew: options.clockSkew,
    maxLifetime: options.maxLifetime
  })
  return {
    token: new AppToken({ accessToken: fields.accessToken, tokenType: fields.tokenType, scopes: granted, roles, expiresAt: lifetime.expiresAt, dpop: dpop?.key }),
    sentAt,
    ...(fields.expiresIn !== undefined ? { expiresIn: fields.expiresIn } : {}),
    ...(fields.refreshIn !== undefined ? { refreshIn: fields.refreshIn } : {}),
    ...(fields.quota !== undefined ? { quota: fields.quota } : {}),
    usableUntil: lifetime.usableUntil,
    lifetimeSource: lifetime.source,
    ...(lifetime.expIgnored !== undefined && claims?.exp !== undefined ? { expIgnored: { exp: claims.exp, reason: lifetime.expIgnored } } : {}),
    clamped: lifetime.clamped,
    requestedScopes: scopes,
    grantedFrom,
    missingScopes,
    missingRoles
  }
}

/** RFC 9449 §5: the server ignored the proof and issued a token anyone holding it can use. */
function notBound (tokenType: string, status: number, profile: ProviderProfile): DpopNotBoundError {
  return new DpopNotBoundError(`DPoP was asked for but the token endpoint answered token_type ${tokenType}, not DPoP (RFC 9449 §5)`, {
    status,
    hint: 'Turn on DPoP-bound tokens for the client at the provider (docs/dpop.md' + (profile.name === 'generic' ? '' : `, ${profile.name}`) +
      '), or set dpop.allowBearer to accept Bearer tokens from this server.'
  })
}

/** Where the provider's console fixes a grant; generic says nothing more than its hint already does. */
export function consoleHint (profile: ProviderProfile): string | undefined {
  return profile.name === 'generic' ? undefined : profile.hint
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
