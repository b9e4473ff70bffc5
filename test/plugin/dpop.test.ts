// DPoP through the plugin (docs/dpop.md): the option, the policy entry's `dpop: true`, the key
// from APP_TOKEN_DPOP_KEY / _FILE, the one warning of a per-process key with a shared store,
// the register errors; against oidc-provider with required nonces.
import { generateKeyPairSync } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { inspect } from 'node:util'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import Fastify from 'fastify'
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWK } from 'jose'
import { request } from 'undici'
import appToken from '../../plugin/index.js'
import { memoryStore } from '../../plugin/store/memory.js'
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js'
import { assertNoSecrets, logCapture } from '../helpers/log-capture.js'
import { CLIENT_ID, SECRET, register, setEnv, tempDir } from './fixtures/helpers.js'

const INTROSPECTOR = 'introspector'
const INTROSPECTOR_SECRET = 'introspector-secret'
const key = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const keyPem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
const keyBody = keyPem.split('\n').slice(1, -2).join('')

async function jktOf (server: OidcServer, token: string): Promise<string | undefined> {
  const res = await request(server.introspectionEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, client_id: INTROSPECTOR, client_secret: INTROSPECTOR_SECRET }).toString()
  })
  return ((await res.body.json()) as { cnf?: { jkt?: string } }).cnf?.jkt
}

async function fixture (t: Test, dpop: string | undefined): Promise<{ oidc: OidcServer; policy: string }> {
  const oidc = await startOidcServer({
    clients: [
      { clientId: CLIENT_ID, clientSecret: SECRET, scopes: ['read:interaction'] },
      { clientId: INTROSPECTOR, clientSecret: INTROSPECTOR_SECRET, authMethod: 'client_secret_post', scopes: ['introspect'] }
    ],
    dpop: { requireNonce: true }
  })
  t.teardown(() => oidc.close())
  const policy = await tempDir(t)
  await writeFile(join(policy, 'bound-service.yaml'),
    'app: bound-service\nowner: "@team/test"\nprovider: generic\nenvironments:\n  test:\n' +
    `    clientId: ${CLIENT_ID}\n    tokenEndpoint: ${oidc.tokenEndpoint}\n` + (dpop === undefined ? '' : `    dpop: ${dpop}\n`) +
    '    scopes:\n      read:interaction: needed by the tests (SEC-1)\n')
  return { oidc, policy }
}

t.test('a policy entry with dpop: true switches the plugin to DPoP', async (t) => {
  const { oidc, policy } = await fixture(t, 'true')
  setEnv(t, {})
  const log = logCapture()
  const app = Fastify({ logger: { level: 'debug', stream: log.stream } })
  t.teardown(() => app.close())
  await app.register(appToken, { clientId: CLIENT_ID, clientSecret: SECRET, policy, scopes: ['read:interaction'] })
  app.get('/', async (req) => ({ authorization: req.appToken.authorization.split(' ')[0], proof: await req.appToken.proof({ method: 'GET', url: 'https://api.example.com/items?x=1' }) }))
  const res = await app.inject('/')
  t.equal(res.statusCode, 200)
  const body = res.json() as { authorization: string; proof: string }
  t.equal(body.authorization, 'DPoP', 'request.appToken.authorization is DPoP <token>')
  const token = await app.appToken.get()
  t.equal(token.tokenType, 'DPoP')
  const { payload, protectedHeader } = await jwtVerify(body.proof, EmbeddedJWK, { typ: 'dpop+jwt' })
  t.equal(payload.htu, 'https://api.example.com/items')
  t.equal(await calculateJwkThumbprint(protectedHeader.jwk as JWK), await jktOf(oidc, token.accessToken), 'the proof\'s key is the one the token is bound to')
  t.equal(oidc.tokenRequests.length, 2, 'one token request and its nonce round trip')
  t.notOk(inspect(app.appToken.stats(), { depth: 9 }).includes(token.accessToken))
  assertNoSecrets(t, log, [SECRET, token.accessToken])
})

t.test('the key from APP_TOKEN_DPOP_KEY_FILE (and _KEY), shared by two replicas through a store', async (t) => {
  const { oidc, policy } = await fixture(t, undefined)
  const dir = await tempDir(t)
  const keyFile = join(dir, 'dpop.pem')
  await writeFile(keyFile, keyPem + '\n')
  setEnv(t, { APP_TOKEN_DPOP_KEY_FILE: keyFile })
  const log = logCapture()
  const store = memoryStore()
  const replicas = [Fastify({ logger: { level: 'debug', stream: log.stream } }), Fastify({ logger: { level: 'debug', stream: log.stream } })]
  for (const app of replicas) {
    t.teardown(() => app.close())
    await app.register(appToken, { clientId: CLIENT_ID, clientSecret: SECRET, policy, scopes: ['read:interaction'], dpop: true, store })
  }
  const first = await replicas[0]!.appToken.get()
  const second = await replicas[1]!.appToken.get()
  t.equal(second.accessToken, first.accessToken, 'the same key: one token for both')
  t.equal(await jktOf(oidc, first.accessToken), await calculateJwkThumbprint(key.publicKey.export({ format: 'jwk' }) as JWK))
  t.notOk(/generated for this process/.test(log.text()), 'no warning with a shared key')

  setEnv(t, { APP_TOKEN_DPOP_KEY: keyPem })
  const third = Fastify()
  t.teardown(() => third.close())
  await third.register(appToken, { clientId: CLIENT_ID, clientSecret: SECRET, policy, scopes: ['read:interaction'], dpop: { allowBearer: false }, store })
  t.equal((await third.appToken.get()).accessToken, first.accessToken, 'APP_TOKEN_DPOP_KEY works the same')
  assertNoSecrets(t, log, [SECRET, first.accessToken, keyBody])
})

t.test('dpop: true with a store and no key: one warning per replica, nothing shared', async (t) => {
  const { policy } = await fixture(t, undefined)
  setEnv(t, {})
  const store = memoryStore()
  const tokens: string[] = []
  for (let i = 0; i < 2; i++) {
    const log = logCapture()
    const app = Fastify({ logger: { level: 'debug', stream: log.stream } })
    t.teardown(() => app.close())
    await app.register(appToken, { clientId: CLIENT_ID, clientSecret: SECRET, policy, scopes: ['read:interaction'], dpop: true, store })
    tokens.push((await app.appToken.get()).accessToken)
    await app.appToken.get()
    const warnings = log.entries().filter((e) => e.level === 40 && /generated for this process/.test(String(e.msg)))
    t.equal(warnings.length, 1, 'one warning')
  }
  t.not(tokens[0], tokens[1], 'each replica fetched a token bound to its own key')
})

t.test('register errors', async (t) => {
  const { policy } = await fixture(t, 'true')
  setEnv(t, {})
  const base = { clientId: CLIENT_ID, clientSecret: SECRET, policy }
  await t.rejects(register(t, { ...base, dpop: false }), { code: 'FST_APP_TOKEN_INVALID_OPTION', message: /option dpop: false differs from the policy entry of svc-app-8821 \(dpop: true, bound-service\.yaml:\d+\)/ })
  await t.rejects(register(t, { ...base, dpop: 'yes' as never }), { message: /^option dpop: must be true, false or \{ privateKey\?, alg\?, allowBearer\? \}/ })
  await t.rejects(register(t, { ...base, dpop: { privateKey: keyPem, alg: 'RS256' } }), { message: /^option dpop: \.?alg RS256 does not fit/ })
  setEnv(t, { APP_TOKEN_DPOP_KEY: 'not a key' })
  const err = await register(t, { ...base }).catch((e: unknown) => e) as Error
  t.match(err.message, /option dpop: \.?privateKey is not a readable PEM/)
  setEnv(t, { APP_TOKEN_DPOP_KEY: keyPem, APP_TOKEN_DPOP_KEY_FILE: '/nowhere' })
  await t.rejects(register(t, { ...base }), /both APP_TOKEN_DPOP_KEY and APP_TOKEN_DPOP_KEY_FILE are set/)
})
