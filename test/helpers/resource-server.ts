// A resource server on node:http (or node:https asking for client certificates) for the
// dispatcher's tests: it accepts a Bearer token only when oidc-provider's introspection says
// it is active (RFC 7662), records what each request carried, and answers scripted 401s
// (RFC 6750 §3, RFC 9449 §7.1 and §9) and redirects before looking at the token.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
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
  /** Serve over HTTPS and ask for a client certificate (RFC 8705 §3). */
  https?: { cert: string; key: string; ca: string }
}

export interface ResourceServer {
  origin: string
  /** Every request, in order of arrival. */
  seen: SeenRequest[]
  /** Answer the next requests so, in order, whatever their token. */
  script (...answers: ScriptedAnswer[]): void
  /** From now on, answer 401 invalid_token to this access token (a revocation). */
  revoke (accessToken: string): void
  close (): Promise<void>
}

export async function startResourceServer (options: ResourceServerOptions = {}): Promise<ResourceServer> {
  const seen: SeenRequest[] = []
  const scripted: ScriptedAnswer[] = []
  const revoked = new Set<string>()
  const { introspection } = options
  const dispatcher = introspection?.ca === undefined ? undefined : new Agent({ connect: { ca: introspection.ca } })
  const basic = introspection === undefined ? '' : `Basic ${Buffer.from(`${encodeURIComponent(introspection.clientId)}:${encodeURIComponent(introspection.clientSecret)}`).toString('base64')}`

  async function active (token: string): Promise<boolean> {
    if (introspection === undefined || revoked.has(token)) return false
    const res = await request(introspection.endpoint, {
      method: 'POST',
      ...(dispatcher === undefined ? {} : { dispatcher }),
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString()
    })
    return (await res.body.json() as { active: boolean }).active
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
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    if (bearer === undefined || !(await active(bearer))) {
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
  const { port } = server.address() as AddressInfo
  return {
    origin: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    seen,
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
