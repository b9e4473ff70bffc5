// A resource server on node:http (or node:https asking for client certificates) for the
// dispatcher's tests: it accepts a Bearer token only when oidc-provider's introspection says
// it is active (RFC 7662), and a DPoP token only with a proof it verifies with jose (RFC 9449
// §7.1: signature, typ, htm, htu, ath, an unused jti, the key's thumbprint equal to the
// token's cnf.jkt; §9: its nonce when it asks for one). It records what each request carried,
// and answers scripted 401s (RFC 6750 §3, RFC 9449 §7.1 and §9) and redirects first.
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWK } from 'jose'
import { Agent, request } from 'undici'

export interface SeenRequest {
  method: string
  path: string
  authorization: string | undefined
  dpop: string | undefined
  body: string
  /** The subject of the client certificate presented on the connection (https only). */
  clientCertificate: string | undefined
  status: number
}

export type ScriptedAnswer =
  | { status: 401; wwwAuthenticate: string; dpopNonce?: string }
  | { status: 301 | 302 | 303 | 307 | 308; location: string }

export interface ResourceServerOptions {
  /** Introspection at oidc-provider with a confidential client (`ca`: of an https: one); without it, no token is accepted. */
  introspection?: { endpoint: string; clientId: string; clientSecret: string; ca?: string }
  /** DPoP proofs must carry the server's nonce (RFC 9449 §9); the first try of each nonce is refused. */
  requireDpopNonce?: boolean
  /** Serve over HTTPS and ask for a client certificate (RFC 8705 §3). */
  https?: { cert: string; key: string; ca: string }
}

export interface ResourceServer {
  origin: string
  /** Every request, in order of arrival. */
  seen: SeenRequest[]
  /** Answer the next requests so, in order, whatever their token. */
  script (...answers: ScriptedAnswer[]): void
  /** Why each DPoP request was refused, or 'ok'. */
  proofs: string[]
  /** Give out a new nonce: proofs with the old one are refused with use_dpop_nonce. */
  rotateNonce (): void
  /** From now on, answer 401 invalid_token to this access token (a revocation). */
  revoke (accessToken: string): void
  close (): Promise<void>
}

export async function startResourceServer (options: ResourceServerOptions = {}): Promise<ResourceServer> {
  const seen: SeenRequest[] = []
  const scripted: ScriptedAnswer[] = []
  const revoked = new Set<string>()
  const proofs: string[] = []
  const usedJti = new Set<string>()
  let nonce = randomBytes(16).toString('base64url')
  const { introspection } = options
  const dispatcher = introspection?.ca === undefined ? undefined : new Agent({ connect: { ca: introspection.ca } })
  const basic = introspection === undefined ? '' : `Basic ${Buffer.from(`${encodeURIComponent(introspection.clientId)}:${encodeURIComponent(introspection.clientSecret)}`).toString('base64')}`

  async function introspect (token: string): Promise<{ active: boolean; cnf?: { jkt?: string } }> {
    if (introspection === undefined || revoked.has(token)) return { active: false }
    const res = await request(introspection.endpoint, {
      method: 'POST',
      ...(dispatcher === undefined ? {} : { dispatcher }),
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString()
    })
    return await res.body.json() as { active: boolean; cnf?: { jkt?: string } }
  }

  /** RFC 9449 §4.3 and §7.1: 'ok', or what is wrong with the proof. */
  async function checkProof (req: IncomingMessage, origin: string, token: string): Promise<string> {
    const proof = req.headers.dpop
    if (typeof proof !== 'string') return 'no proof'
    const info = await introspect(token)
    if (!info.active) return 'inactive token'
    try {
      const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', maxTokenAge: '60s' })
      if (payload.htm !== req.method) return 'htm'
      if (payload.htu !== origin + (req.url ?? '').replace(/[?#].*$/, '')) return 'htu'
      if (payload.ath !== createHash('sha256').update(token).digest('base64url')) return 'ath'
      if (typeof payload.jti !== 'string' || usedJti.has(payload.jti)) return 'jti reused'
      usedJti.add(payload.jti)
      if (await calculateJwkThumbprint(protectedHeader.jwk as JWK) !== info.cnf?.jkt) return 'thumbprint is not the token\'s cnf.jkt'
      if (options.requireDpopNonce === true && payload.nonce !== nonce) return 'use_dpop_nonce'
      return 'ok'
    } catch (err) {
      return `invalid proof: ${(err as Error).message}`
    }
  }

  async function answer (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const socket = req.socket as Partial<TLSSocket>
    const certificate = socket.getPeerCertificate?.()
    const entry: SeenRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: req.headers.authorization,
      dpop: req.headers.dpop as string | undefined,
      body: Buffer.concat(chunks).toString(),
      clientCertificate: certificate?.subject?.CN as string | undefined,
      status: 200
    }
    seen.push(entry)
    const next = scripted.shift()
    if (next !== undefined && next.status === 401) {
      // RFC 6750 §3 / RFC 9449 §9: the challenge and, for a nonce, the DPoP-Nonce header.
      res.writeHead(entry.status = 401, { 'www-authenticate': next.wwwAuthenticate, ...(next.dpopNonce !== undefined ? { 'dpop-nonce': next.dpopNonce } : {}) })
      res.end('{"error":"scripted"}')
      return
    }
    if (next !== undefined) {
      res.writeHead(entry.status = next.status, { location: next.location })
      res.end()
      return
    }
    const dpop = /^DPoP (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    if (dpop !== undefined) {
      const verdict = await checkProof(req, origin, dpop)
      proofs.push(verdict)
      if (verdict !== 'ok') {
        // RFC 9449 §7.1 / §9: the DPoP challenge; a nonce rides in DPoP-Nonce.
        const error = verdict === 'use_dpop_nonce' ? 'use_dpop_nonce' : 'invalid_token'
        res.writeHead(entry.status = 401, { 'www-authenticate': `DPoP algs="ES256", error="${error}"`, ...(error === 'use_dpop_nonce' ? { 'dpop-nonce': nonce } : {}) })
        res.end(JSON.stringify({ error }))
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ method: entry.method, path: entry.path, body: entry.body }))
      return
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    if (bearer === undefined || !(await introspect(bearer)).active) {
      // RFC 6750 §3.1: invalid_token for an expired, revoked or unknown token.
      res.writeHead(entry.status = 401, { 'www-authenticate': 'Bearer error="invalid_token"', 'content-type': 'application/json' })
      res.end('{"error":"invalid_token"}')
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ method: entry.method, path: entry.path, body: entry.body }))
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    answer(req, res).catch((err: Error) => { res.statusCode = 500; res.end(err.message) })
  }
  const tls = options.https
  const server = tls === undefined
    ? createServer(listener)
    : createHttpsServer({ cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: false }, listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    seen,
    proofs,
    rotateNonce: () => { nonce = randomBytes(16).toString('base64url') },
    script: (...answers) => { scripted.push(...answers) },
    revoke: (accessToken) => { revoked.add(accessToken) },
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((err) => (err ? reject(err) : resolve()))
      })
      await dispatcher?.close()
    }
  }
}
