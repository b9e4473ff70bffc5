// A wrong credential reads as invalid_client on every provider (docs/providers.md, "Credential
// failures"): the credentials hint, the provider's own page, and the mounted secret file read again
// so a rotated secret needs no restart. Against each provider's fake, with the words it answers.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import Fastify from 'fastify'
import appToken, { OAuthError } from '../../plugin/index.js'
import type { FaultServer } from '../helpers/fault-server.js'
import { assertNoSecrets, logCapture } from '../helpers/log-capture.js'
import { startAuth0 } from '../helpers/providers/auth0.js'
import { startGenesys } from '../helpers/providers/genesys.js'
import { startKeycloak } from '../helpers/providers/keycloak.js'
import { setEnv, tempDir } from './fixtures/helpers.js'

const CLIENT_ID = 'svc-credentials-4'
const SECRET = 'sk_current_Zt93'
const OLD = 'sk_rotated_away_Qm07'
const API = 'https://orders.example.com/api'

interface Case {
  provider: 'auth0' | 'keycloak' | 'genesys'
  start: () => Promise<FaultServer & { tokenEndpoint: string }>
  options: Record<string, unknown>
  status: number
  serverError: string
  words: string
  where: RegExp
}

const cases: Case[] = [
  {
    provider: 'auth0',
    start: () => startAuth0({ clientId: CLIENT_ID, clientSecret: SECRET, grants: { [API]: ['read:orders'] } }),
    options: { audience: API, scopes: ['read:orders'] },
    status: 401,
    serverError: 'access_denied',
    words: 'Unauthorized',
    where: /Where: Auth0 Dashboard: Applications → Applications → \(your app\) → Settings/
  },
  {
    provider: 'keycloak',
    start: () => startKeycloak({ realm: 'acme', clientId: CLIENT_ID, clientSecret: SECRET, defaultScopes: [], optionalScopes: ['orders:read'] }),
    options: { scopes: ['orders:read'] },
    status: 401,
    serverError: 'unauthorized_client',
    words: 'Invalid client or Invalid client credentials',
    where: /Where: Keycloak Admin Console: Clients → \(your client\) → Credentials/
  },
  {
    provider: 'genesys',
    start: () => startGenesys({ clientId: CLIENT_ID, clientSecret: SECRET }),
    options: {},
    status: 401,
    serverError: 'invalid_client',
    words: 'authentication failed',
    where: /Where: check the region: the client exists only in its own region's login host/
  }
]

async function rotation (t: Test, c: Case): Promise<void> {
  const server = await c.start()
  t.teardown(() => server.close())
  const secretFile = join(await tempDir(t), 'client-secret')
  await writeFile(secretFile, `${OLD}\n`)
  setEnv(t, { APP_TOKEN_CLIENT_ID: CLIENT_ID, APP_TOKEN_CLIENT_SECRET_FILE: secretFile, APP_TOKEN_ENDPOINT: server.tokenEndpoint })
  const log = logCapture()
  const app = Fastify({ logger: { stream: log.stream } })
  t.teardown(() => app.close())
  await app.register(appToken, { provider: c.provider, authMethod: 'client_secret_post', ...c.options })

  const err = await app.appToken.get().catch((e: unknown) => e) as OAuthError
  t.ok(err instanceof OAuthError)
  t.equal(err.status, c.status)
  t.equal(err.error, 'invalid_client', 'read as a credentials failure')
  if (c.serverError !== 'invalid_client') t.equal(err.serverError, c.serverError, 'the server\'s own code kept')
  t.equal(err.error_description, c.words, 'the server\'s words verbatim')
  t.equal(err.transient, false)
  t.match(err.hint, /^The server did not accept the client credentials \(sent with client_secret_post\): check clientId, clientSecret \(rotated\?\)/, 'the credentials hint every provider shares')
  t.match(err.hint, c.where, 'and where to look at this provider')
  t.notMatch(err.hint, /Machine to Machine|Service accounts roles|Client scopes|→ Roles/, 'not a grant hint')

  await writeFile(secretFile, `${SECRET}\n`) // the orchestrator mounts the new secret
  // The permanent failure is remembered for a second, so a hot route cannot hammer the endpoint.
  await new Promise((resolve) => setTimeout(resolve, 1100))
  const token = await app.appToken.get()
  t.ok(token.accessToken, 'the rotated secret is read again after invalid_client: no restart')
  t.equal(server.requests.length, 2, 'one refused request, one with the new secret')
  assertNoSecrets(t, log, [SECRET, OLD])
}

for (const c of cases) t.test(`${c.provider}: a wrong secret is invalid_client, and the secret file is read again`, (t) => rotation(t, c))

t.test('keycloak: an unknown client is invalid_client too; a client without service accounts is not', async (t) => {
  const kc = await startKeycloak({ realm: 'acme', clientId: CLIENT_ID, clientSecret: SECRET, defaultScopes: [], optionalScopes: ['orders:read'], serviceAccounts: false })
  t.teardown(() => kc.close())
  let invalidClient = 0
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(appToken, { provider: 'keycloak', tokenEndpoint: kc.tokenEndpoint, clientId: CLIENT_ID, clientSecret: SECRET, scopes: ['orders:read'], onInvalidClient: () => { invalidClient++ } })
  const err = await app.appToken.get().catch((e: unknown) => e) as OAuthError
  t.equal(err.status, 401, 'Keycloak answers 401 here')
  t.equal(err.error, 'unauthorized_client', 'the client is known and its secret right: not a credentials failure')
  t.equal(err.error_description, 'Client not enabled to retrieve service account')
  t.match(err.hint, /Service accounts roles/)
  t.equal(invalidClient, 0, 'no secret re-read')

  const other = Fastify()
  t.teardown(() => other.close())
  await other.register(appToken, { provider: 'keycloak', tokenEndpoint: kc.tokenEndpoint, clientId: 'no-such-client', clientSecret: SECRET, scopes: ['orders:read'] })
  const unknown = await other.appToken.get().catch((e: unknown) => e) as OAuthError
  t.equal(unknown.error, 'invalid_client')
  t.notOk(unknown.serverError, 'Keycloak said invalid_client itself')
  t.match(unknown.hint, /did not accept the client credentials.*Where: Keycloak Admin Console/)
})
