// A token endpoint on node:http that misbehaves on cue: what oidc-provider
// cannot be made to do (5xx, 429, hangs, resets, HTML, huge bodies, redirects,
// odd expires_in). Each request takes the next scripted reply; the last one repeats.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface FaultReply {
  /** Default 200. */
  status?: number
  headers?: Record<string, string | string[]>
  /** A string or Buffer is sent as is; anything else as JSON. */
  body?: unknown
  /** ms to wait before answering. */
  delay?: number
  /** Never answer. */
  hang?: boolean
  /** Destroy the socket without an answer (the client sees a reset or a closed socket). */
  reset?: boolean
  /** Send this many bytes of body (in 64 KiB chunks) instead of `body`. */
  hugeBody?: number
  /** Answer 302 with this Location. */
  redirect?: string
}

export interface RecordedRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
  /** The form body, parsed. */
  form: URLSearchParams
  at: number
}

export type FaultScript = FaultReply | ((request: RecordedRequest, index: number) => FaultReply | Promise<FaultReply>)

export interface FaultServer {
  url: string
  tokenEndpoint: string
  requests: RecordedRequest[]
  /** Replace the script: replies taken in order, the last one repeated. */
  script(...replies: FaultScript[]): void
  close(): Promise<void>
}

let counter = 0

/** Every access token tokenBody() made in this process: what tests grep logs for. */
export const issuedTokens = new Set<string>()

/** A successful RFC 6749 §5.1 body with a fresh access token. */
export function tokenBody (fields: Record<string, unknown> = {}): Record<string, unknown> {
  counter++
  const accessToken = `fault-token-${counter}-${Math.random().toString(36).slice(2)}`
  issuedTokens.add(accessToken)
  return { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, ...fields }
}

export async function startFaultServer (...initial: FaultScript[]): Promise<FaultServer> {
  let replies: FaultScript[] = initial.length > 0 ? initial : [() => ({ body: tokenBody() })]
  const requests: RecordedRequest[] = []
  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString()
      const record: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        form: new URLSearchParams(body),
        at: Date.now()
      }
      const index = requests.push(record) - 1
      const step = replies[Math.min(index, replies.length - 1)]!
      void Promise.resolve(typeof step === 'function' ? step(record, index) : step).then(async (reply) => {
        if (reply.delay !== undefined) await new Promise((resolve) => setTimeout(resolve, reply.delay))
        if (reply.hang === true) return
        if (reply.reset === true) { req.socket.destroy(); return }
        if (reply.redirect !== undefined) {
          res.writeHead(302, { location: reply.redirect }).end()
          return
        }
        res.statusCode = reply.status ?? 200
        for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value)
        if (reply.hugeBody !== undefined) {
          res.setHeader('content-type', 'application/json')
          let left = reply.hugeBody
          const chunk = Buffer.alloc(64 * 1024, 'x')
          const pump = (): void => {
            while (left > 0 && !res.destroyed) {
              const piece = left >= chunk.length ? chunk : chunk.subarray(0, left)
              left -= piece.length
              if (!res.write(piece)) { res.once('drain', pump); return }
            }
            res.end()
          }
          res.on('error', () => {})
          pump()
          return
        }
        if (reply.body === undefined) { res.end(); return }
        if (typeof reply.body === 'string' || Buffer.isBuffer(reply.body)) { res.end(reply.body); return }
        if (!res.hasHeader('content-type')) res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify(reply.body))
      })
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    tokenEndpoint: `${url}/token`,
    requests,
    script (...next) { replies = next },
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    })
  }
}
