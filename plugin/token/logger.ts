// The logger the token core writes to: a subset of Fastify's (pino) logger,
// and the fields an error is logged with (no secret or token is ever in them).
import type { FastifyBaseLogger } from 'fastify'
import type { AppTokenError } from './errors.js'

/** The logger the token core writes to: a pino or Fastify logger fits. */
export type TokenLogger = Pick<FastifyBaseLogger, 'debug' | 'info' | 'warn' | 'error'>

const noop = (): void => {}

/** The default: silent. */
export const silentLogger: TokenLogger = { debug: noop, info: noop, warn: noop, error: noop }

export function errorFields (err: AppTokenError): Record<string, unknown> {
  return {
    code: err.code,
    status: err.status,
    error: err.error,
    error_description: err.error_description,
    hint: err.hint,
    transient: err.transient,
    retryAfter: err.retryAfter,
    reason: err.message
  }
}
