// Shared bits of the token-core tests: a pino logger writing to memory, and the
// check that no secret or token ever reaches it.
import { Writable } from 'node:stream'
import pino from 'pino'
import type { Test } from 'tap'

export interface CapturedLog {
  logger: pino.Logger
  lines: Array<Record<string, unknown>>
  text: () => string
}

export function captureLog (): CapturedLog {
  const chunks: string[] = []
  const stream = new Writable({
    write (chunk: Buffer, _enc, cb) { chunks.push(chunk.toString()); cb() }
  })
  const logger = pino({ level: 'debug' }, stream)
  return {
    logger,
    get lines () { return chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) },
    text: () => chunks.join('')
  }
}

/** Neither the secrets nor any of the tokens (nor their URL or base64 forms) appear in the log. */
export function assertNoSecrets (t: Test, log: CapturedLog, secrets: Iterable<string>): void {
  const text = log.text()
  const found: string[] = []
  for (const secret of secrets) {
    for (const form of new Set([secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')])) {
      if (form.length >= 4 && text.includes(form)) found.push(form.slice(0, 4) + '…')
    }
  }
  t.same(found, [], 'the log holds no secret and no token')
}
