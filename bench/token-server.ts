// A loopback token endpoint for the token-core benches: opaque tokens with a
// chosen expires_in and optional delay; it remembers each token's own expiry
// (issue time rounded down to the second + lifetime, as real servers stamp it).
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface BenchTokenServer {
  url: string
  /** Arrival time of every token request. */
  requests: number[]
  /** access token → the server's expiry (epoch ms). */
  expiry: Map<string, number>
  close(): Promise<void>
}

/** `hang` picks requests that never get an answer (their sender is stuck mid-fetch). */
export async function benchTokenServer (lifetime: number, delay = 0, hang: (req: IncomingMessage) => boolean = () => false): Promise<BenchTokenServer> {
  const requests: number[] = []
  const expiry = new Map<string, number>()
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      requests.push(Date.now())
      if (hang(req)) return
      const accessToken = randomBytes(24).toString('base64url')
      expiry.set(accessToken, (Math.floor(Date.now() / 1000) + lifetime) * 1000)
      setTimeout(() => {
        res.setHeader('content-type', 'application/json')
        // RFC 9449 §5: a request with a DPoP proof gets a DPoP-bound token (the proof is not checked here).
        res.end(JSON.stringify({ access_token: accessToken, token_type: req.headers.dpop === undefined ? 'Bearer' : 'DPoP', expires_in: lifetime }))
      }, delay)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    requests,
    expiry,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()) })
  }
}
