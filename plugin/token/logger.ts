// The logger the token core writes to: a subset of Fastify's (pino) logger.
import type { FastifyBaseLogger } from 'fastify'

export type TokenLogger = Pick<FastifyBaseLogger, 'debug' | 'info' | 'warn' | 'error'>

const noop = (): void => {}

/** The default: silent. */
export const silentLogger: TokenLogger = { debug: noop, info: noop, warn: noop, error: noop }
