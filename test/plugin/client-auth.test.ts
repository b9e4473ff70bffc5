// The plugin without a shared secret: private_key_jwt from the policy entry with a mounted key
// file that is read again after invalid_client (rotation without a restart), mutual TLS from
// APP_TOKEN_TLS_*_FILE, and the register errors of a mixed-up configuration.
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import Fastify from 'fastify'
import { Agent } from 'undici'
import appToken from '../../plugin/index.js'
import { startOidcServer } from '../helpers/oidc-server.js'
import { makeCertificates } from '../helpers/certificates.js'
import { assertNoSecrets, logCapture } from '../helpers/log-capture.js'
import { setEnv, tempDir } from './fixtures/helpers.js'

const pem = (key: KeyObject): string => key.export({ format: 'pem', type: 'pkcs8' }) as string
const pemBody = (text: string): string => text.split('\n').slice(1, -2).join('')

t.test('private_key_jwt from the policy entry, the key from a mounted file', async (t) => {
  const current = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const old = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const oidc = await startOidcServer({
    clients: [{ clientId: 'signed-app', authMethod: 'private_key_jwt', jwks: { keys: [{ ...current.publicKey.export({ format: 'jwk' }), kid: 'k2' }] }, scopes: ['read:interaction'] }]
  })
  t.teardown(() => oidc.close())
  const dir = await tempDir(t)
  await writeFile(join(dir, 'signed-app.yaml'),
    'app: signed-app\nowner: "@team/test"\nprovider: generic\nenvironments:\n  test:\n' +
    `      clientId: signed-app\n      tokenEndpoint: ${oidc.tokenEndpoint}\n      authMethod: private_key_jwt\n      privateKeyEnv: SIGNED_APP_KEY\n` +
    '      scopes:\n        read:interaction: needed by the tests (SEC-1)\n')
  const keyFile = join(dir, 'private-key.pem')
  await writeFile(keyFile, pem(old.privateKey)) // not yet rotated: the provider knows only the new key
  setEnv(t, { APP_TOKEN_CLIENT_ID: 'signed-app', APP_TOKEN_POLICY: dir, APP_TOKEN_PRIVATE_KEY_FILE: keyFile })
  const log = logCapture()
  const app = Fastify({ logger: { level: 'debug', stream: log.stream } })
  t.teardown(() => app.close())
  await app.register(appToken, { scopes: ['read:interaction'], kid: 'k2' })
  app.get('/', async (request) => request.appToken.scopes)

  const refused = await app.inject('/')
  t.equal(refused.statusCode, 503, 'the old key is refused')
  await writeFile(keyFile, pem(current.privateKey)) // the orchestrator mounts the new key
  await new Promise((resolve) => setTimeout(resolve, 1100)) // past the remembered permanent failure
  const res = await app.inject('/')
  t.equal(res.statusCode, 200, 'the rotated key is used without a restart')
  t.same(res.json(), ['read:interaction'])
  t.match(log.text(), /invalid_client/, 'the refusal was logged')
  assertNoSecrets(t, log, [pemBody(pem(old.privateKey)), pemBody(pem(current.privateKey))])
})

t.test('mutual TLS from APP_TOKEN_TLS_CERT_FILE, _KEY_FILE and _CA_FILE', async (t) => {
  const certs = await makeCertificates(t)
  const [serverPem] = await Promise.all([certs.signed('token-server', { ip: '127.0.0.1' }), certs.signed('tls-app')])
  const oidc = await startOidcServer({
    https: { ...serverPem, ca: certs.ca.cert },
    clients: [{ clientId: 'tls-app', authMethod: 'tls_client_auth', tlsClientAuthSubjectDn: 'CN=tls-app', scopes: ['read:interaction'] }]
  })
  t.teardown(() => oidc.close())
  setEnv(t, {
    APP_TOKEN_CLIENT_ID: 'tls-app',
    APP_TOKEN_ENDPOINT: oidc.tokenEndpoint,
    APP_TOKEN_CLIENT_SECRET: 'left over from before the migration: ignored',
    APP_TOKEN_TLS_CERT_FILE: certs.file('tls-app.crt'),
    APP_TOKEN_TLS_KEY_FILE: certs.file('tls-app.key'),
    APP_TOKEN_TLS_CA_FILE: certs.file('ca.crt')
  })
  const app = Fastify()
  await app.register(appToken, { authMethod: 'tls_client_auth', scopes: ['read:interaction'] })
  app.get('/', async (request) => request.appToken.scopes)
  const res = await app.inject('/')
  t.equal(res.statusCode, 200)
  t.same(res.json(), ['read:interaction'])
  await app.close() // closes the Agent holding the client certificate (else tap would wait on its socket)
})

t.test('register errors name the option and the fix', async (t) => {
  const key = pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)
  const base = { clientId: 'x', tokenEndpoint: 'https://auth.example.com/oauth/token' }
  const dispatcher = new Agent()
  t.teardown(() => dispatcher.close())
  const cases: Array<[string, Record<string, unknown>, RegExp, Record<string, string>?]> = [
    ['tls with a dispatcher', { ...base, authMethod: 'tls_client_auth', tls: { cert: '-----BEGIN CERTIFICATE-----', key: '-----BEGIN PRIVATE KEY-----' }, dispatcher }, /tls and dispatcher cannot be combined/],
    ['a secret with private_key_jwt', { ...base, authMethod: 'private_key_jwt', privateKey: key, clientSecret: 's' }, /clientSecret is not used with authMethod private_key_jwt: remove it/],
    ['no key', { ...base, authMethod: 'private_key_jwt' }, /option privateKey: missing for authMethod private_key_jwt: pass privateKey .*APP_TOKEN_PRIVATE_KEY_FILE/],
    ['no certificate', { ...base, authMethod: 'self_signed_tls_client_auth' }, /option tls: missing for authMethod self_signed_tls_client_auth/],
    ['a key with a secret method', { ...base, clientSecret: 's', privateKey: key }, /privateKey is not used with authMethod client_secret_basic: remove it/],
    ['an unknown alg', { ...base, authMethod: 'private_key_jwt', privateKey: key, alg: 'HS256' }, /option alg: must be one of RS256, /],
    ['an alg that does not fit the key', { ...base, authMethod: 'private_key_jwt', privateKey: key, alg: 'ES384' }, /option alg: ES384 does not fit the private key \(an EC key on prime256v1\): give the alg the key signs with \(ES256\)/],
    ['an alg that does not fit the key from the environment', { ...base, authMethod: 'private_key_jwt', alg: 'RS256' }, /option alg: RS256 does not fit the private key/, { APP_TOKEN_PRIVATE_KEY: key }],
    ['both key variables', { ...base, authMethod: 'private_key_jwt' }, /both APP_TOKEN_PRIVATE_KEY and APP_TOKEN_PRIVATE_KEY_FILE are set/, { APP_TOKEN_PRIVATE_KEY: key, APP_TOKEN_PRIVATE_KEY_FILE: '/k' }]
  ]
  for (const [name, options, message, env] of cases) {
    setEnv(t, env ?? {})
    const app = Fastify()
    void app.register(appToken, options)
    const err = await app.ready().then(() => undefined, (e: unknown) => e) as Error & { code: string }
    await app.close()
    t.equal(err?.code, 'FST_APP_TOKEN_INVALID_OPTION', name)
    t.match(err?.message, message, name)
    t.notOk(err?.message.includes(pemBody(key).slice(0, 40)), `${name}: the key is not echoed`)
  }
})
