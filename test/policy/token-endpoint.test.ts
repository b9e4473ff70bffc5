// One token-endpoint rule for the policy files and the plugin (RFC 6749 §3.2): queries allowed,
// secret-looking query parameters, fragments and user:pass@ refused, http: on loopback only.
import t from 'tap'
import { loadPolicyFiles, formatFinding } from '../../service/policy/index.js'
import { buildPreflightApp } from '../../service/http/app.js'
import { parseTokenEndpoint } from '../../plugin/token/endpoint.js'

const SECRET = 'Zx8Qm2Lr7Vt4Np9Kc3Hs6Wd1Fg5Jb0Ye'
const policy = (endpoint: string): string => `app: app-one
owner: "@team/one"
provider: generic
environments:
  prod:
    clientId: one-prod
    tokenEndpoint: "${endpoint}"
    scopes: {}
`

// endpoint → lint code (null: clean); the plugin refuses exactly the same ones.
const CASES: Array<[string, string | null]> = [
  ['https://login.example.com/oauth/token', null],
  ['https://tenant.b2clogin.com/tenant.onmicrosoft.com/oauth2/v2.0/token?p=B2C_1_signin', null],
  ['http://localhost:8080/token', null],
  ['http://127.0.0.9/token', null],
  ['http://[::1]/token', null],
  ['http://auth.example.com/token', 'insecure-endpoint'],
  ['http://localhost.evil.example/token', 'insecure-endpoint'],
  ['not a url', 'invalid-url'],
  ['ftp://auth.example.com/token', 'invalid-url'],
  ['https://auth.example.com/token#frag', 'invalid-url'],
  ['https://auth.example.com/token#', 'invalid-url'],
  ['https://app@auth.example.com/token', 'invalid-url'],
  [`https://app:${SECRET}@auth.example.com/token`, 'secret'],
  [`https://auth.example.com/token?client_secret=${SECRET}`, 'secret'],
  ['https://auth.example.com/token?client_secret=hunter2', 'secret'],
  ['https://auth.example.com/token?password=hunter2', 'secret'],
  ['https://auth.example.com/token?subscription-key=abc123', 'secret'],
  ['https://auth.example.com/token?sig=abc123', 'secret'],
  [`https://auth.example.com/token?p=B2C_1_x&x=${SECRET}`, 'secret'],
  ['https://auth.example.com/token?x=sk_live_9f3a7Bq2abcd', 'secret'],
]

for (const [endpoint, code] of CASES) {
  t.test(`${endpoint}: ${code ?? 'accepted'} by lint and by the plugin`, async (t) => {
    const { findings } = loadPolicyFiles([{ file: 'app-one.yaml', text: policy(endpoint) }])
    t.same(findings.map((f) => f.code), code === null ? [] : [code], 'lint')
    let pluginError: { code?: string; message?: string } | null = null
    try {
      parseTokenEndpoint(endpoint)
    } catch (err) {
      pluginError = err as { code?: string; message?: string }
    }
    if (code === null) t.equal(pluginError, null, 'the plugin accepts it')
    else t.equal(pluginError?.code, code === 'insecure-endpoint' ? 'FST_APP_TOKEN_INSECURE_ENDPOINT' : 'FST_APP_TOKEN_INVALID_OPTION', 'the plugin refuses it')
    const shown = [...findings.map((f) => formatFinding(f)), pluginError?.message ?? '']
    for (const text of shown) {
      t.notOk(text.includes(SECRET) || text.includes('hunter2') || text.includes('abc123') || text.includes('9f3a7Bq2abcd'), 'no secret in any message')
    }
  })
}

t.test('the service never loads, logs or serves a secret in a token endpoint query', async (t) => {
  const dir = t.testdir({ 'app-one.yaml': policy(`https://auth.example.com/token?client_secret=${SECRET}`) })
  const logs: string[] = []
  const app = buildPreflightApp({ policyDir: dir, watch: false, logger: { level: 'info', stream: { write: (l: string) => void logs.push(l) } } })
  t.teardown(() => app.close())
  const err = await app.ready().then(() => null, (e: Error) => e)
  t.match(err?.message, /app-one\.yaml:7:\d+: error secret/)
  t.notOk(err?.message.includes(SECRET), 'not in the start-up error')
  t.notOk(logs.join('\n').includes(SECRET), 'not in the log')
})
