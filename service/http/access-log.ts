// One access log line per request, carrying what an operator asks first: which client
// and what was decided. Headers are never logged (API keys travel in them).
import type { FastifyReply, FastifyRequest, LogController } from 'fastify'

export interface Decision {
  clientId: string
  /** Set by POST /v1/preflight; with `codes`, the violation codes of a denial. */
  decision?: 'allowed' | 'denied'
  codes?: string[]
}

const decisions = new WeakMap<FastifyRequest, Decision>()

export function recordDecision (request: FastifyRequest, decision: Decision): void {
  decisions.set(request, decision)
}

/**
 * Replaces Fastify's two lines per request ("incoming", "completed") with one line. Built on the
 * LogController of the Fastify the service loaded (an optional peer, service/http/peers.ts).
 */
export function accessLog (Base: typeof LogController): LogController {
  return new (class AccessLog extends Base {
    override incomingRequest (): void {}

    override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
      // remoteAddress beside `req`, not in it: Fastify's `req` serializer expects a request
      // and would drop it from a plain object.
      const line = {
        req: { method: request.method, url: request.url },
        remoteAddress: request.ip,
        res: { statusCode: reply.statusCode },
        responseTime: Math.round(reply.elapsedTime * 100) / 100,
        ...decisions.get(request),
      }
      if (error) reply.log.error({ ...line, err: error }, 'request errored')
      else reply.log.info(line, 'request completed')
    }
  })()
}

/** pino redaction: a second guard should a header ever reach a log line. */
export const redactPaths = ['req.headers.authorization', 'req.headers["x-api-key"]', 'headers.authorization']
