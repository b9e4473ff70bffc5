// What a token endpoint says is printed by verify only scrubbed of the secret and the access
// token, in every format; text, github and markdown show control, bidi and invisible characters
// as \uXXXX, so a server cannot forge lines or workflow commands (`::add-mask::`); JSON keeps
// the words verbatim. The echoing servers are fault servers: oidc-provider never says such things.
import t from 'tap'
import { runCli } from '../helpers/cli.js'
import { issuedTokens, startFaultServer, tokenBody } from '../helpers/fault-server.js'
import { secretForms, verifyPolicy } from './fixtures.js'

const SECRET = 'echo-s3cr3t/with+plus=eq'
const FORGED = 'x\r\n::add-mask::x\r\n::error::forged'
const HIDDEN = ['\u202Eevil', 'zero\u200Bwidth', 'bom\uFEFF', 'c1\u0085', 'iso\u2066late']

const widening = await startFaultServer(() => {
  const body = tokenBody()
  // RFC 6749 §3.3: space-delimited, so each of these is one granted scope.
  return { body: { ...body, scope: ['read:a', FORGED, ...HIDDEN, SECRET, String(body.access_token)].join(' ') } }
})
const refusing = await startFaultServer({ status: 400, body: { error: 'invalid_scope', error_description: `no ${FORGED} \u202Edesc ${SECRET}` } })
t.teardown(async () => { await widening.close(); await refusing.close() })

const dir = t.testdir({
  'echo.yaml': verifyPolicy('echo', {
    widened: { clientId: 'echo-widened', tokenEndpoint: widening.tokenEndpoint, scopes: ['read:a'] },
    refused: { clientId: 'echo-refused', tokenEndpoint: refusing.tokenEndpoint, scopes: ['read:a'] }
  })
})
const env = { SCOPE_POLICY_SECRET_ECHO_WIDENED: SECRET, SCOPE_POLICY_SECRET_ECHO_REFUSED: SECRET }
const run = (format: string) => runCli(['verify', '--policies', dir, '--format', format], { env })

interface Result { environment: string, status: string, granted: string[], extra: string[], error_description?: string }

const forms = [...secretForms('echo-widened', SECRET), ...secretForms('echo-refused', SECRET)]
/** Raw characters no people-facing format may print (LF only as its own line ends). */
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/

t.test('json: scrubbed of the secret and the token, otherwise the server\'s words verbatim', async (t) => {
  const r = await run('json')
  t.equal(r.code, 1, r.stderr)
  const results = (JSON.parse(r.stdout) as { results: Result[] }).results
  const widened = results.find((x) => x.environment === 'widened')!
  t.equal(widened.status, 'widened')
  t.same(widened.extra, [FORGED, ...HIDDEN, '[redacted]', '[redacted]'], 'controls kept verbatim (JSON escapes them); secret and token cut out')
  t.ok(widened.granted.includes(FORGED))
  const refused = results.find((x) => x.environment === 'refused')!
  t.equal(refused.error_description, `no ${FORGED} \u202Edesc [redacted]`)
})

t.test('text, github, markdown: every hidden character shown as \\uXXXX, no forged line', async (t) => {
  for (const format of ['text', 'github', 'markdown']) {
    const r = await run(format)
    t.equal(r.code, 1, format)
    t.notMatch(r.stdout, RAW, `${format}: no raw control, bidi or invisible character`)
    t.notMatch(r.stdout, /^::(add-mask|error)::/m, `${format}: no forged workflow command`)
    for (const shown of ['\\u000D\\u000A::add-mask::x', '\\u202Eevil', 'zero\\u200Bwidth', 'bom\\uFEFF', 'c1\\u0085', 'iso\\u2066late', '\\u202Edesc']) {
      t.ok(r.stdout.includes(shown) || r.stdout.includes(shown.replace(/\\/g, '\\\\')), `${format} shows ${shown}`)
    }
  }
})

t.test('no format shows the secret (any encoding) or the access token', async (t) => {
  for (const format of ['json', 'text', 'github', 'markdown']) {
    const r = await run(format)
    const text = r.stdout + r.stderr
    t.match(text, /\[redacted\]/, `${format}: the echo is shown as cut out`)
    t.same(forms.filter((f) => text.includes(f)).map((f) => f.slice(0, 3)), [], `${format}: no secret`)
    t.same([...issuedTokens].filter((tok) => text.includes(tok)).map((tok) => tok.slice(0, 12)), [], `${format}: no access token`)
  }
})
