// Shared set-up for the preflight service tests: a temp copy of a fixture policy folder,
// a real listening server on 127.0.0.1, and its log lines.
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { request } from 'undici'
import { buildPreflightApp, type PreflightApp, type PreflightAppOptions } from '../../service/http/app.js'

export const fixtures = fileURLToPath(new URL('../fixtures/preflight/', import.meta.url))
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

/** A temp copy of test/fixtures/preflight/<name>, removed after the test. */
export async function policyFolder (t: Test, name = 'basic'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'preflight-'))
  await cp(join(fixtures, name), dir, { recursive: true })
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

export interface Running {
  app: PreflightApp
  origin: string
  /** Every log line the app wrote, as text. */
  logs: string[]
  logLines(): Array<Record<string, unknown>>
}

export async function startService (t: Test, options: Partial<PreflightAppOptions> = {}): Promise<Running> {
  const policyDir = options.policyDir ?? (await policyFolder(t))
  const logs: string[] = []
  const app = buildPreflightApp({
    watch: false,
    ...options,
    policyDir,
    logger: { level: 'info', stream: { write: (line: string) => void logs.push(line) } },
  })
  t.teardown(() => app.close())
  const origin = await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, origin, logs, logLines: () => logs.map((l) => JSON.parse(l) as Record<string, unknown>) }
}

export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: any
  text: string
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** Sent as JSON with content-type application/json. */
  json?: unknown
  /** Sent as-is. */
  body?: string | Buffer
  headers?: Record<string, string>
}

export async function call (origin: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers }
  let body = options.body
  if (options.json !== undefined) {
    body = JSON.stringify(options.json)
    headers['content-type'] ??= 'application/json'
  }
  const res = await request(`${origin}${path}`, {
    method: options.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body === undefined ? {} : { body }),
  })
  const text = await res.body.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON: keep the text
  }
  return { status: res.statusCode, headers: res.headers, body: parsed, text }
}

export const preflight = (origin: string, json: unknown, headers?: Record<string, string>): Promise<Answer> =>
  call(origin, '/v1/preflight', { json, ...(headers ? { headers } : {}) })
