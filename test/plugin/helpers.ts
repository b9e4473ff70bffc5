// Fixtures of the plugin tests: an oidc-provider with one client, a policy
// folder pointing at it, log capture, and an endpoint where nothing listens.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { Test } from 'tap'
import Fastify from 'fastify'
import appToken, { type AppTokenOptions } from '../../plugin/index.js'
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js'

export const CLIENT_ID = 'svc-app-8821'
/** Characters that need form-encoding in Basic credentials (RFC 6749 §2.3.1). */
export const SECRET = 'sk_test+9f3a/b=c%d'
export const ALLOWED = ['read:interaction', 'read:analytics']

/** oidc-provider with CLIENT_ID whitelisted for ALLOWED; `write:admin` is known but not whitelisted. */
export async function tokenServer (t: Test, ttl?: number): Promise<OidcServer> {
  const server = await startOidcServer({
    clients: [{ clientId: CLIENT_ID, clientSecret: SECRET, scopes: ALLOWED }],
    extraScopes: ['write:admin'],
    ...(ttl === undefined ? {} : { ttl })
  })
  t.teardown(() => server.close())
  return server
}

export async function tempDir (t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'app-token-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** A policies folder whose entry for CLIENT_ID (environment `test`) allows `scopes`. */
export async function policyDir (t: Test, tokenEndpoint: string, scopes: string[] = ALLOWED): Promise<string> {
  const dir = await tempDir(t)
  const whitelist = scopes.length === 0
    ? '      scopes: {}\n'
    : '      scopes:\n' + scopes.map((s) => `        ${s}: needed by the tests (SEC-1)\n`).join('')
  await writeFile(join(dir, 'test-service.yaml'),
    'app: test-service\n' +
    'description: The service under test\n' +
    'owner: "@team/test"\n' +
    'provider: generic\n' +
    'environments:\n' +
    '  test:\n' +
    `      clientId: ${CLIENT_ID}\n` +
    `      tokenEndpoint: ${tokenEndpoint}\n` +
    '      authMethod: client_secret_basic\n' +
    whitelist)
  return dir
}

export interface LogCapture {
  stream: Writable
  lines: string[]
  entries: () => Array<Record<string, unknown>>
}

/** A pino destination that keeps every line. */
export function logCapture (): LogCapture {
  const lines: string[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(line)
      callback()
    }
  })
  return { stream, lines, entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) }
}

/** A loopback token endpoint where nothing listens: connections are refused. */
export async function deadEndpoint (): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}/token`
}

/** Registers the plugin on a fresh app (closed at teardown): for tests of register failures. */
export async function register (t: Test, options: AppTokenOptions): Promise<void> {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(appToken, options)
}
