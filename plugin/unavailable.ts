// What a client of the host's API is told when no app token can be had (docs/plugin.md,
// "Errors"): 503, the error's code, Retry-After, and words of our own — never the token
// endpoint's, which go to the log with the error itself.
import { AppTokenError, errorClass } from './token/errors.js'

export const UNAVAILABLE = 'An upstream service cannot be reached right now. Try again later.'
/** Seconds, when the error carries no Retry-After of its own. */
const RETRY_TRANSIENT = 5
const RETRY_PERMANENT = 30

/** The code a client sees: the error's own when it is one of ours. */
export function publicCode (err: unknown): string {
  const code = (err as Partial<AppTokenError>).code
  return typeof code === 'string' && code.startsWith('FST_APP_TOKEN_') ? code : 'FST_APP_TOKEN_UNAVAILABLE'
}

/** Whole seconds of Retry-After (RFC 9110 §10.2.3): the server's, else by whether the failure is transient. */
export function retryAfterOf (err: unknown): number {
  const { retryAfter, transient } = err as Partial<AppTokenError>
  return Math.max(1, Math.ceil(retryAfter ?? (transient === true ? RETRY_TRANSIENT : RETRY_PERMANENT)))
}

const Unavailable = errorClass('FST_APP_TOKEN_UNAVAILABLE', 503)

/**
 * The token error as a rejection of app.appToken.fetch(): safe to let reach a reply (Fastify
 * answers 503 with these words, the error's code and Retry-After from `headers`); the token
 * error itself, with the server's words, is the `cause`.
 */
export function forClients (cause: AppTokenError): AppTokenError & { headers: Record<string, string> } {
  const retryAfter = retryAfterOf(cause)
  return Object.assign(new Unavailable(UNAVAILABLE, { cause, transient: cause.transient, retryAfter }), {
    code: publicCode(cause),
    headers: { 'retry-after': String(retryAfter) }
  })
}
