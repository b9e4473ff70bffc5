// Pieces every provider fake shares: a signed JWT access token (HS256 with node:crypto: the
// token core reads claims, it does not verify signatures), the client credentials of a request
// (RFC 6749 §2.3.1: Basic or form), and the fault server every fake answers through.
import { createHmac, randomBytes } from 'node:crypto'
import { issuedTokens, startFaultServer, type FaultReply, type FaultServer, type RecordedRequest } from '../fault-server.js'

const KEY = randomBytes(32)

/** A JWS (RFC 7515) access token with these claims, `iat`/`exp` filled in; remembered for log greps. */
export function jwt (claims: Record<string, unknown>, lifetime = 3600): string {
  const now = Math.floor(Date.now() / 1000)
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  const body = `${part({ alg: 'HS256', typ: 'at+jwt' })}.${part({ iat: now, exp: now + lifetime, jti: randomBytes(8).toString('hex'), ...claims })}`
  const token = `${body}.${createHmac('sha256', KEY).update(body).digest('base64url')}`
  issuedTokens.add(token)
  return token
}

/** An opaque access token (Genesys Cloud issues these), remembered for log greps. */
export function opaqueToken (): string {
  const token = randomBytes(32).toString('base64url')
  issuedTokens.add(token)
  return token
}

/** The client id and secret of a request, from Basic (form-decoded, §2.3.1) or the form body. */
export function clientOf (req: RecordedRequest): { id: string | undefined; secret: string | undefined } {
  const basic = /^Basic (.+)$/i.exec(String(req.headers.authorization ?? ''))
  if (basic !== null) {
    const [id, secret] = Buffer.from(basic[1]!, 'base64').toString().split(':').map((s) => decodeURIComponent(s.replace(/\+/g, ' ')))
    return { id, secret }
  }
  return { id: req.form.get('client_id') ?? undefined, secret: req.form.get('client_secret') ?? undefined }
}

/** The requested scopes, split on spaces (RFC 6749 §3.3). */
export function scopesOf (req: RecordedRequest): string[] {
  return (req.form.get('scope') ?? '').split(' ').filter((s) => s !== '')
}

export function json (status: number, body: unknown, headers: Record<string, string> = {}): FaultReply {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers }, body }
}

/** A fake on the fault server: `answer` decides each reply as the provider would. */
export async function startProviderFake (answer: (req: RecordedRequest) => FaultReply): Promise<FaultServer> {
  return await startFaultServer((req) => answer(req))
}
