// Log capture for the tests: a pino destination that keeps every line (for
// Fastify's logger, or the debug-level pino logger the token core is given),
// and the check that no secret or token ever reaches it.
import { Writable } from 'node:stream'
import pino from 'pino'
import type { Test } from 'tap'

export interface LogCapture {
  /** A pino destination: `Fastify({ logger: { stream } })`. */
  stream: Writable
  /** A debug-level pino logger writing to `stream`. */
  logger: pino.Logger
  /** Every line, as written. */
  lines: string[]
  /** Every line, parsed. */
  entries: () => Array<Record<string, unknown>>
  text: () => string
}

export function logCapture (): LogCapture {
  const lines: string[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(line)
      callback()
    }
  })
  return {
    stream,
    logger: pino({ level: 'debug' }, stream),
    lines,
    entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    text: () => lines.join('\n')
  }
}

/** Neither the secrets nor any of the tokens (nor their URL or base64 forms) appear in the log. */
export function assertNoSecrets (t: Test, log: LogCapture, secrets: Iterable<string>): void {
  const text = log.text()
  const found: string[] = []
  for (const secret of secrets) {
    for (const form of new Set([secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')])) {
      if (form.length >= 4 && text.includes(form)) found.push(form.slice(0, 4) + '…')
    }
  }
  t.same(found, [], 'the log holds no secret and no token')
}
