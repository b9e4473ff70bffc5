// verify with every auth method (docs/verify.md): private_key_jwt reads its key from
// privateKeyEnv or SCOPE_POLICY_PRIVATE_KEY_<APP>_<ENV> (+ _FILE); the TLS methods their
// certificate and key from tlsCertEnv/tlsKeyEnv or SCOPE_POLICY_TLS_CERT_/TLS_KEY_<APP>_<ENV>
// (+ _FILE), against oidc-provider over HTTPS trusted through NODE_EXTRA_CA_CERTS; an entry
// without its key is skipped. The key never reaches the output.
import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import t from 'tap'
import { runCli } from '../helpers/cli.js'
import { makeCertificates } from '../helpers/certificates.js'
import { startOidcServer } from '../helpers/oidc-server.js'
import { verifyPolicy } from './fixtures.js'

interface Result { app: string, environment: string, status: string, granted: string[], message?: string }

t.test('verify with private_key_jwt and mutual TLS', async (t) => {
  const certs = await makeCertificates(t)
  const [serverPem, pki, selfSigned] = await Promise.all([certs.signed('token-server', { ip: '127.0.0.1' }), certs.signed('tls-app'), certs.selfSigned('self-app')])
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const keyPem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
  const keyFile = certs.file('signed.key')
  await writeFile(keyFile, keyPem)
  const selfCert = new X509Certificate(selfSigned.cert)
  const selfJwk = { ...selfCert.publicKey.export({ format: 'jwk' }), x5c: [selfCert.raw.toString('base64')] }
  const oidc = await startOidcServer({
    https: { ...serverPem, ca: certs.ca.cert },
    clients: [
      { clientId: 'signed-client', authMethod: 'private_key_jwt', jwks: { keys: [key.publicKey.export({ format: 'jwk' })] }, scopes: ['read:a'] },
      { clientId: 'tls-client', authMethod: 'tls_client_auth', tlsClientAuthSubjectDn: 'CN=tls-app', scopes: ['read:a'] },
      { clientId: 'self-client', authMethod: 'self_signed_tls_client_auth', jwks: { keys: [selfJwk] }, scopes: ['read:a'] }
    ]
  })
  t.teardown(() => oidc.close())
  const dir = t.testdir({
    'keyed.yaml': verifyPolicy('keyed', {
      prod: { clientId: 'signed-client', tokenEndpoint: oidc.tokenEndpoint, authMethod: 'private_key_jwt', scopes: ['read:a'] },
      named: { clientId: 'signed-client-2', tokenEndpoint: oidc.tokenEndpoint, authMethod: 'private_key_jwt', privateKeyEnv: 'SCOPE_POLICY_NAMED_KEY', scopes: ['read:a'] }
    }),
    'mtls.yaml': verifyPolicy('mtls', {
      pki: { clientId: 'tls-client', tokenEndpoint: oidc.tokenEndpoint, authMethod: 'tls_client_auth', tlsCertEnv: 'SCOPE_POLICY_PKI_CERT', tlsKeyEnv: 'SCOPE_POLICY_PKI_KEY', scopes: ['read:a'] },
      self: { clientId: 'self-client', tokenEndpoint: oidc.tokenEndpoint, authMethod: 'self_signed_tls_client_auth', scopes: ['read:a'] },
      nokey: { clientId: 'self-client-2', tokenEndpoint: oidc.tokenEndpoint, authMethod: 'self_signed_tls_client_auth', scopes: ['read:a'] }
    })
  })
  const env = {
    NODE_EXTRA_CA_CERTS: certs.file('ca.crt'),
    SCOPE_POLICY_PRIVATE_KEY_KEYED_PROD_FILE: keyFile,
    SCOPE_POLICY_SECRET_KEYED_NAMED: 'a secret is not what this entry reads',
    SCOPE_POLICY_PKI_CERT: pki.cert,
    SCOPE_POLICY_PKI_KEY_FILE: certs.file('tls-app.key'),
    SCOPE_POLICY_TLS_CERT_MTLS_SELF_FILE: certs.file('self-app.crt'),
    SCOPE_POLICY_TLS_KEY_MTLS_SELF: selfSigned.key,
    SCOPE_POLICY_TLS_CERT_MTLS_NOKEY: selfSigned.cert
  }
  const run = await runCli(['verify', '--policies', dir, '--format', 'json'], { env })
  t.equal(run.code, 0, run.stderr)
  const results = (JSON.parse(run.stdout) as { results: Result[] }).results
  const status = Object.fromEntries(results.map((r) => [`${r.app}/${r.environment}`, r.status]))
  t.same(status, { 'keyed/prod': 'ok', 'keyed/named': 'skipped', 'mtls/pki': 'ok', 'mtls/self': 'ok', 'mtls/nokey': 'skipped' })
  const message = (key: string): string | undefined => results.find((r) => `${r.app}/${r.environment}` === key)?.message
  t.match(message('keyed/named'), /no private key: set SCOPE_POLICY_NAMED_KEY \(or SCOPE_POLICY_NAMED_KEY_FILE/)
  t.match(message('mtls/nokey'), /no TLS key: set SCOPE_POLICY_TLS_KEY_MTLS_NOKEY/)
  const body = (pem: string): string => pem.split('\n').slice(1, -2).join('')
  for (const secret of [keyPem, pki.key, selfSigned.key]) t.notOk(`${run.stdout}${run.stderr}`.includes(body(secret).slice(0, 40)), 'no key in the output')
})

t.test('verify: a key whose "alg" does not fit it is the entry\'s error, saying so, after no request', async (t) => {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = { ...key.privateKey.export({ format: 'jwk' }), alg: 'ES256' }
  const dir = t.testdir({
    'keyed.yaml': verifyPolicy('keyed', {
      prod: { clientId: 'signed-client', tokenEndpoint: 'https://127.0.0.1:9/token', authMethod: 'private_key_jwt', scopes: ['read:a'] }
    })
  })
  const run = await runCli(['verify', '--policies', dir, '--format', 'json'], { env: { SCOPE_POLICY_PRIVATE_KEY_KEYED_PROD: JSON.stringify(jwk) } })
  const [result] = (JSON.parse(run.stdout) as { results: Array<Result & { requests: number }> }).results
  t.equal(result?.status, 'unreachable', 'nothing was verified (docs/verify.md)')
  t.match(result?.message, /"alg" ES256 does not fit the private key \(a key of type rsa\)/)
  t.equal(result?.requests, 1, 'not retried')
  t.notOk(`${run.stdout}${run.stderr}`.includes(jwk.d as string), 'no key in the output')
})
