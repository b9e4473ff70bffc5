import t from 'tap'
import { check, checkGeneric, loadPolicyFiles, normaliseScopes, type PolicySet, type Violation } from '../../service/policy/index.js'

// Line 11 holds the prod `scopes:` key, line 17 the staging one.
const WORKER = `app: agent-desktop-worker
description: Background worker of the agent desktop wrapper
owner: "@contact-center/desktop"
provider: generic
environments:
  prod:
    clientId: prod-app-8821
    tokenEndpoint: https://api.example.com/api/v2/oauth/token
    authMethod: client_secret_basic
    resource: https://api.example.com
    scopes:
      read:interaction: sync interactions into the desktop (SEC-123)
      read:analytics: queue dashboards (SEC-140)
  staging:
    clientId: stg-app-8821
    tokenEndpoint: https://staging.example.com/api/v2/oauth/token
    scopes: {}
`

const MANY = `app: big-app
owner: "@team/big"
provider: generic
environments:
  prod:
    clientId: big-prod
    tokenEndpoint: https://auth.example.com/token
    scopes:
${Array.from({ length: 25 }, (_, i) => `      read:thing-${String(i).padStart(2, '0')}: reason ${i}`).join('\n')}
`

function load (): PolicySet {
  const { policies, findings } = loadPolicyFiles(
    [
      { file: 'agent-desktop-worker.yaml', text: WORKER },
      { file: 'big-app.yaml', text: MANY },
    ],
    { dir: 'policies' }
  )
  if (!policies) throw new Error(JSON.stringify(findings))
  return policies
}
const policies = load()
const prod = (scopes: string | readonly string[]) => check(policies, { clientId: 'prod-app-8821', environment: 'prod', scopes })
const only = (v: Violation[]): Violation => {
  if (v.length !== 1) throw new Error(`expected one violation, got ${JSON.stringify(v)}`)
  return v[0] as Violation
}

t.test('a whitelisted request is allowed, with the app and environment', async (t) => {
  t.same(prod('read:interaction read:analytics'), {
    allowed: true,
    app: 'agent-desktop-worker',
    environment: 'prod',
    scopes: ['read:interaction', 'read:analytics'],
    violations: [],
  })
  t.same(prod(['read:analytics']).scopes, ['read:analytics'], 'an array works too')
  t.equal(check(policies, { clientId: 'prod-app-8821', scopes: 'read:analytics' }).allowed, true, 'environment is optional')
})

t.test('scopes are normalised: any whitespace run, de-duplicated in request order', async (t) => {
  const r = prod('  read:analytics\tread:interaction \n read:analytics  ')
  t.equal(r.allowed, true)
  t.same(r.scopes, ['read:analytics', 'read:interaction'])
  t.same(prod(['read:interaction read:analytics', 'read:interaction', '']).scopes, ['read:interaction', 'read:analytics'])
  t.same(normaliseScopes(' a  b\u00a0c a '), ['a', 'b', 'c'])
  t.same(normaliseScopes(['x', 1, null, 'y x']), ['x', 'y'], 'non-strings dropped')
  t.same(normaliseScopes(undefined), [])
  t.same(normaliseScopes(42), [])
  const many = Array.from({ length: 40 }, (_, i) => `s${i % 20}`)
  t.same(normaliseScopes(many), Array.from({ length: 20 }, (_, i) => `s${i}`), 'long lists de-duplicate too')
})

t.test('case_mismatch suggests the whitelisted spelling', async (t) => {
  const r = prod('read:Interaction')
  t.equal(r.allowed, false)
  const v = only(r.violations)
  t.equal(v.code, 'case_mismatch')
  t.equal(v.scope, 'read:Interaction')
  t.equal(v.suggestion, 'read:interaction')
  t.match(v.message, /case-sensitive/)
  t.match(v.message, 'read:interaction, read:analytics')
  t.match(v.message, 'policies/agent-desktop-worker.yaml:11')
  t.equal(only(prod('READ:ANALYTICS').violations).suggestion, 'read:analytics')
})

t.test('near_miss: separator swaps, reordering and one-edit typos', async (t) => {
  const cases: Array<[string, string]> = [
    ['read_interaction', 'read:interaction'],
    ['read.interaction', 'read:interaction'],
    ['read-interaction', 'read:interaction'],
    ['interaction:read', 'read:interaction'],
    ['Interaction_Read', 'read:interaction'],
    ['read:interactiom', 'read:interaction'], // substitution
    ['read:interation', 'read:interaction'], // deletion
    ['read:interacction', 'read:interaction'], // insertion
    ['read:inetraction', 'read:interaction'], // transposition
    ['raed:analytics', 'read:analytics'],
    ['read:analytic', 'read:analytics'],
  ]
  for (const [asked, suggested] of cases) {
    const v = only(prod(asked).violations)
    t.equal(v.code, 'near_miss', asked)
    t.equal(v.suggestion, suggested, asked)
    t.match(v.message, `did you mean "${suggested}"`)
    t.match(v.message, 'policies/agent-desktop-worker.yaml:11')
  }
})

t.test('not_whitelisted names the scope, what is allowed and where to add it', async (t) => {
  const v = only(prod('write:interaction').violations)
  t.equal(v.code, 'not_whitelisted')
  t.equal(v.suggestion, undefined)
  t.match(v.message, '"write:interaction" is not whitelisted for agent-desktop-worker/prod')
  t.match(v.message, 'allows: read:interaction, read:analytics')
  t.match(v.message, 'under scopes: at policies/agent-desktop-worker.yaml:11')
  t.equal(only(prod('read:interactions:all').violations).code, 'not_whitelisted', 'two edits away is no near miss')
})

t.test('a long whitelist is cut short in messages', async (t) => {
  const v = only(check(policies, { clientId: 'big-prod', scopes: 'admin:all' }).violations)
  t.match(v.message, 'read:thing-00, read:thing-01')
  t.match(v.message, '… (15 more)')
  t.notMatch(v.message, 'read:thing-24')
})

t.test('scopes: {} denies every scope and allows an empty request', async (t) => {
  const staging = (scopes: string) => check(policies, { clientId: 'stg-app-8821', environment: 'staging', scopes })
  const v = only(staging('read:interaction').violations)
  t.equal(v.code, 'not_whitelisted')
  t.match(v.message, 'may request no scope (scopes: {} at policies/agent-desktop-worker.yaml:17)')
  t.same(staging(''), { allowed: true, app: 'agent-desktop-worker', environment: 'staging', scopes: [], violations: [] })
})

t.test('user_scope: openid, offline_access and the other OIDC user scopes', async (t) => {
  for (const scope of ['openid', 'offline_access', 'profile', 'email', 'address', 'phone']) {
    const v = only(prod(`read:interaction ${scope}`).violations)
    t.equal(v.code, 'user_scope', scope)
    t.equal(v.scope, scope)
    t.match(v.message, /client_credentials/)
  }
})

t.test('malformed: comma lists (with the split as suggestion) and non scope-tokens', async (t) => {
  const comma = only(prod('read:interaction,read:analytics').violations)
  t.equal(comma.code, 'malformed')
  t.equal(comma.suggestion, 'read:interaction read:analytics')
  t.match(comma.message, /separated by spaces/)
  const commas = only(prod(',,').violations)
  t.equal(commas.code, 'malformed')
  t.equal(commas.suggestion, undefined, 'nothing to suggest for a token of commas alone')
  t.match(commas.message, /; remove it$/)
  for (const bad of ['"read:interaction"', 'read\\interaction', 'réad:interaction', 'read:\u0001x']) {
    const v = only(prod(bad).violations)
    t.equal(v.code, 'malformed', JSON.stringify(bad))
    t.match(v.message, /RFC 6749 §3\.3/)
  }
  const notString = only(prod(['read:interaction', 7 as unknown as string]).violations)
  t.equal(notString.code, 'malformed')
  t.match(notString.message, /got a number/)
  t.same(prod(['read:interaction', 7 as unknown as string]).scopes, ['read:interaction'])
  t.equal(only(prod(42 as unknown as string).violations).code, 'malformed', 'scopes neither string nor array')
})

t.test('empty: no scope while the whitelist is not empty', async (t) => {
  for (const scopes of ['', '   ', [] as string[]]) {
    const r = prod(scopes)
    t.equal(r.allowed, false)
    const v = only(r.violations)
    t.equal(v.code, 'empty')
    t.match(v.message, 'read:interaction, read:analytics')
    t.match(v.message, 'policies/agent-desktop-worker.yaml:11')
  }
})

t.test('unknown_client: no policy has this clientId; generic rules still apply', async (t) => {
  const r = check(policies, { clientId: 'prod-app-9999', scopes: 'openid read:interaction' })
  t.same([r.allowed, r.app, r.environment], [false, null, null])
  t.same(
    r.violations.map((v) => v.code),
    ['unknown_client', 'user_scope']
  )
  t.match(r.violations[0]?.message, '"prod-app-9999" is in no policy file')
  t.match(r.violations[0]?.message, 'policies/<app>.yaml')
  const withEnv = check(policies, { clientId: 'nope', environment: 'prod', scopes: 'x' })
  t.match(withEnv.violations[0]?.message, 'under environments.prod')
  t.equal(check(policies, { clientId: 'PROD-APP-8821', scopes: 'read:interaction' }).violations[0]?.code, 'unknown_client', 'clientIds are exact')
})

t.test('an environment that is not the clientId\'s is unknown_client (docs/policy-files.md), naming the right one', async (t) => {
  const r = check(policies, { clientId: 'stg-app-8821', environment: 'prod', scopes: [] })
  t.equal(r.allowed, false)
  t.equal(r.environment, 'staging', 'the result reports the real environment')
  const v = only(r.violations)
  t.equal(v.code, 'unknown_client')
  t.match(v.message, 'belongs to environment "staging" of agent-desktop-worker, not "prod"')
  t.match(v.message, 'the clientId of prod (prod-app-8821)')
  const unknownEnv = only(check(policies, { clientId: 'prod-app-8821', environment: 'qa', scopes: 'read:analytics' }).violations)
  t.equal(unknownEnv.code, 'unknown_client')
  t.match(unknownEnv.message, 'use environment "prod"')
  t.equal(
    check(policies, { clientId: 'prod-app-8821', environment: null as unknown as string, scopes: 'read:analytics' }).allowed,
    true,
    'a null environment counts as not given'
  )
})

t.test('every violation of a request is reported, in request order', async (t) => {
  const r = prod('read:interaction openid read:Analytics write:x a,b')
  t.same(
    r.violations.map((v) => [v.scope, v.code]),
    [
      ['openid', 'user_scope'],
      ['read:Analytics', 'case_mismatch'],
      ['write:x', 'not_whitelisted'],
      ['a,b', 'malformed'],
    ]
  )
  t.same(r.scopes, ['read:interaction', 'openid', 'read:Analytics', 'write:x', 'a,b'], 'result scopes: what would be sent')
})

t.test('a check never throws, whatever it is given', async (t) => {
  const inputs: unknown[] = [undefined, null, 42, 'x', [], { clientId: 1 }, { clientId: 'prod-app-8821', scopes: { a: 1 } }]
  for (const req of inputs) {
    const r = check(policies, req as never)
    t.equal(r.allowed, false)
    t.ok(r.violations.length > 0)
  }
  t.equal(check(null as never, { clientId: 'prod-app-8821', scopes: 'x' }).violations[0]?.code, 'unknown_client')
  const hostile = new Proxy(
    {},
    {
      get () {
        throw new Error('boom')
      },
    }
  )
  const r = check(policies, hostile as never)
  t.same([r.allowed, r.violations[0]?.code], [false, 'malformed'])
  t.same(checkGeneric(hostile).violations.map((v) => v.code), ['malformed'])
})

t.test('a huge scope string is checked, and messages stay short', async (t) => {
  const huge = 'read:' + 'x'.repeat(1_000_000)
  const v = only(prod(huge).violations)
  t.equal(v.code, 'not_whitelisted')
  t.ok(v.message.length < 1000, 'the scope is quoted truncated')
})

t.test('checkGeneric: only the rules that need no policy', async (t) => {
  t.same(checkGeneric('read:anything write:whatever'), { scopes: ['read:anything', 'write:whatever'], violations: [] })
  t.same(
    checkGeneric(['openid', 'a,b', 'ok', 'bad"quote']).violations.map((v) => [v.scope, v.code, v.suggestion]),
    [
      ['openid', 'user_scope', undefined],
      ['a,b', 'malformed', 'a b'],
      ['bad"quote', 'malformed', undefined],
    ]
  )
  t.same(checkGeneric('').violations, [], 'no policy: nothing to say about an empty request')
})

t.test('a PolicySet built by hand (not by the loader) is checked the same', async (t) => {
  const env = policies.byClientId.get('prod-app-8821')
  if (!env) throw new Error('missing')
  const byHand: PolicySet = { dir: 'elsewhere', apps: policies.apps, byClientId: new Map([['hand-made', env]]) }
  const v = only(check(byHand, { clientId: 'hand-made', scopes: 'read:Interaction' }).violations)
  t.equal(v.suggestion, 'read:interaction')
  t.match(v.message, 'elsewhere/agent-desktop-worker.yaml:11')
})

t.test('non-string scopes give one malformed violation, however many there are', async (t) => {
  const r = prod(['read:interaction', ...Array.from({ length: 1000 }, (_, i) => i)] as unknown as string[])
  const v = only(r.violations)
  t.equal(v.code, 'malformed')
  t.match(v.message, 'got a number (and 999 more)')
  t.same(r.scopes, ['read:interaction'])
})
