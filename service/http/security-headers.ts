// Security headers on every route of the preflight service, /docs and the probes included
// (docs/preflight-api.md): no content sniffing, no framing (CSP frame-ancestors and the older
// X-Frame-Options), no referrer. A route with a stricter CSP of its own (the catalogue page) keeps it.
import type { FastifyInstance } from 'fastify'

/** The CSP of every route without its own: framing only (RFC 7034, CSP Level 2 frame-ancestors). */
export const FRAME_CSP = "frame-ancestors 'none'"

export function securityHeaders (app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff')
    reply.header('x-frame-options', 'DENY')
    reply.header('referrer-policy', 'no-referrer')
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', FRAME_CSP)
    return payload
  })
}
