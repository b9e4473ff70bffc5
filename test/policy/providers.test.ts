// Provider profiles (docs/providers.md): each row of the rule table in lint and in check(),
// and each provider's error reader on the bodies its documentation shows.
import { readdir, readFile } from 'node:fs/promises'
import t from 'tap'
import { check, loadPolicyFiles, policyJsonSchema, type AppPolicy, type Finding, type PolicySet, type ProviderName } from '../../service/policy/index.js'
import { PROFILES, profileOf } from '../../service/policy/providers/index.js'

interface Spec {
  provider: ProviderName
  tokenEndpoint?: string
  scopes?: string[]
  /** Extra lines of the prod environment, indented by 4. */
  extra?: string[]
}

/** One app, one `prod` environment; line 6 is `prod:`, line 9 `scopes:`, line 10 the first scope. */
function policy ({ provider, tokenEndpoint = 'https://auth.example.com/oauth/token', scopes = ['read:a'], extra = [] }: Spec): string {
  return [
    'app: app-one',
    'owner: "@team/one"',
    `provider: ${provider}`,
    'environments:',
    '  # prod',
    '  prod:',
    '    clientId: one-prod',
    `    tokenEndpoint: ${tokenEndpoint}`,
    ...(scopes.length === 0 ? ['    scopes: {}'] : ['    scopes:', ...scopes.map((s) => `      ${JSON.stringify(s)}: needed (T-1)`)]),
    ...extra.map((l) => `    ${l}`),
    '',
  ].join('\n')
}

function lint (spec: Spec): Finding[] {
  return loadPolicyFiles([{ file: 'app-one.yaml', text: policy(spec) }]).findings
}

function load (spec: Spec): PolicySet {
  const { policies, findings } = loadPolicyFiles([{ file: 'app-one.yaml', text: policy(spec) }], { dir: 'policies' })
  if (!policies) throw new Error(JSON.stringify(findings))
  return policies
}

/** The set with another provider and fields, bypassing lint: check() must hold on its own. */
function asProvider (set: PolicySet, provider: ProviderName, fields: Record<string, unknown> = {}): PolicySet {
  const apps = new Map<string, AppPolicy>()
  const byClientId: PolicySet['byClientId'] extends ReadonlyMap<string, infer V> ? Map<string, V> : never = new Map()
  for (const app of set.apps.values()) {
    const environments = new Map([...app.environments].map(([name, env]) => [name, { ...env, ...fields }]))
    const copy = { ...app, provider, environments }
    apps.set(app.app, copy)
    for (const env of environments.values()) byClientId.set(env.clientId, { app: copy, environment: env })
  }
  return { dir: set.dir, apps, byClientId }
}

const codes = (findings: Finding[]) => findings.map((f) => `${f.line}:${f.col} ${f.severity} ${f.code}`)

t.test('generic: no provider finding, no provider violation', async (t) => {
  t.same(lint({ provider: 'generic', scopes: ['read:a', 'https://x.example/.default'] }), [])
  const set = load({ provider: 'generic', scopes: ['a', 'b'] })
  t.same(check(set, { clientId: 'one-prod', scopes: 'a b' }).violations, [])
})

t.test('auth0: a missing audience is a warning (a tenant Default Audience answers 200); check allows it', async (t) => {
  const findings = lint({ provider: 'auth0' })
  t.same(codes(findings), ['6:3 warning missing-audience'], 'pointed at the environment, a warning')
  t.match(findings[0]?.message, /Default Audience.*No audience parameter was provided.*audience:/)
  t.same(lint({ provider: 'auth0', extra: ['audience: https://api.example.com/inventory'] }), [])
  t.ok(loadPolicyFiles([{ file: 'app-one.yaml', text: policy({ provider: 'auth0' }) }]).policies, 'the folder still loads')

  const set = asProvider(load({ provider: 'generic' }), 'auth0')
  const r = check(set, { clientId: 'one-prod', scopes: 'read:a' })
  t.equal(r.allowed, true)
  t.same(r.violations, [], 'no missing_audience violation')
  t.equal(r.warnings?.length, 1)
  t.match(r.warnings?.[0], /Default Audience.*rule auth0-audience/)
  const withAudience = asProvider(load({ provider: 'generic' }), 'auth0', { audience: 'https://api.example.com/inventory' })
  const ok = check(withAudience, { clientId: 'one-prod', scopes: 'read:a' })
  t.equal(ok.allowed, true)
  t.notOk('warnings' in ok, 'no warnings key when there is none')
})

t.test('auth0: openid stays user_scope (a generic code wins over provider_rule)', async (t) => {
  const set = load({ provider: 'auth0', extra: ['audience: https://api.example.com/inventory'] })
  const r = check(set, { clientId: 'one-prod', scopes: 'read:a openid' })
  t.same(r.violations.map((v) => [v.scope, v.code]), [['openid', 'user_scope']])
  t.same(codes(lint({ provider: 'auth0', scopes: ['openid'], extra: ['audience: https://a.example'] })), ['10:7 error user-scope'])
})

t.test('entra: a scope that is not <resource>/.default (AADSTS1002012)', async (t) => {
  const findings = lint({ provider: 'entra', tokenEndpoint: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token', scopes: ['User.Read.All'] })
  t.same(codes(findings), ['10:7 error provider-rule'])
  t.match(findings[0]?.message, /AADSTS1002012.*https:\/\/graph\.microsoft\.com\/\.default/)
  t.match(findings[0]?.message, 'rule entra-default-scope')

  const set = asProvider(load({ provider: 'generic', scopes: ['api://hr-api/read'] }), 'entra')
  const [v] = check(set, { clientId: 'one-prod', scopes: 'api://hr-api/read' }).violations
  t.match(v, { code: 'provider_rule', scope: 'api://hr-api/read', suggestion: 'api://hr-api/.default' })
  const withResource = asProvider(load({ provider: 'generic', scopes: ['read'] }), 'entra', { resource: 'https://hr.example.com/' })
  t.equal(check(withResource, { clientId: 'one-prod', scopes: 'read' }).violations[0]?.suggestion, 'https://hr.example.com/.default')
})

t.test('entra: exactly one scope per request (AADSTS70011); two resources may be whitelisted', async (t) => {
  const two = ['https://graph.microsoft.com/.default', 'api://hr-api/.default']
  const endpoint = 'https://login.microsoftonline.com/3f2a0c1e-1111-4d6b-9c1a-0e5b7a9d1c22/oauth2/v2.0/token'
  t.same(lint({ provider: 'entra', tokenEndpoint: endpoint, scopes: two }), [], 'the whitelist may hold two resources')
  const set = load({ provider: 'entra', tokenEndpoint: endpoint, scopes: two })
  t.equal(check(set, { clientId: 'one-prod', scopes: two[0] as string }).allowed, true)
  const r = check(set, { clientId: 'one-prod', scopes: two })
  t.same(r.violations.map((v) => [v.scope, v.code]), [['', 'provider_rule']])
  t.match(r.violations[0]?.message, /AADSTS70011.*rule entra-one-scope/)
})

t.test('entra: a generic code wins over provider_rule for the same scope or request', async (t) => {
  const endpoint = 'https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token'
  const set = load({ provider: 'entra', tokenEndpoint: endpoint, scopes: ['api://hr-api/.default'] })
  t.same(check(set, { clientId: 'one-prod', scopes: 'openid' }).violations.map((v) => [v.scope, v.code]), [['openid', 'user_scope']],
    'openid is not also a /.default violation')
  t.same(check(set, { clientId: 'one-prod', scopes: '' }).violations.map((v) => v.code), ['empty'], 'no scope: empty, not also entra-one-scope')
})

t.test('entra: the tenant is not common/organizations; resource is never sent; v1 endpoint', async (t) => {
  for (const tenant of ['common', 'organizations']) {
    const f = lint({ provider: 'entra', tokenEndpoint: `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`, scopes: ['api://x/.default'] })
    t.same(codes(f), ['8:20 error provider-rule'], tenant)
    t.match(f[0]?.message, 'rule entra-tenant')
  }
  const f = lint({ provider: 'entra', tokenEndpoint: 'https://login.microsoftonline.com/contoso.com/oauth2/token', scopes: ['api://x/.default'], extra: ['resource: https://x.example'] })
  t.same(codes(f), ['8:20 warning provider-rule', '11:15 warning provider-rule'])
  t.match(f[1]?.message, 'AADSTS901002')
})

t.test('roles: read for entra, a finding elsewhere, never a secret', async (t) => {
  const endpoint = 'https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token'
  const extra = ['roles:', '  User.Read.All: names (HR-1)', '  Secrets.Read.All: vault (HR-2)']
  const set = load({ provider: 'entra', tokenEndpoint: endpoint, scopes: ['https://graph.microsoft.com/.default'], extra })
  const env = set.byClientId.get('one-prod')?.environment
  t.same([...(env?.roles?.keys() ?? [])], ['User.Read.All', 'Secrets.Read.All'])
  t.same(codes(lint({ provider: 'generic', extra })), ['11:5 warning provider-rule'])
  t.match(lint({ provider: 'okta', tokenEndpoint: 'https://a.okta.com/oauth2/default/v1/token', extra })[0]?.message, 'rule roles-entra-only')
})

t.test('okta: custom scopes need a custom authorization server', async (t) => {
  const org = 'https://acme.okta.com/oauth2/v1/token'
  const f = lint({ provider: 'okta', tokenEndpoint: org, scopes: ['orders:read', 'okta.users.read'], extra: ['authMethod: private_key_jwt'] })
  t.same(codes(f), ['10:7 error provider-rule'], 'okta.* scopes are fine on the org server')
  t.match(f[0]?.message, /Custom scopes are not allowed.*\/oauth2\/<authorizationServerId>\/v1\/token/)
  t.same(lint({ provider: 'okta', tokenEndpoint: 'https://acme.okta.com/oauth2/default/v1/token', scopes: ['orders:read'] }), [])

  const set = asProvider(load({ provider: 'generic', tokenEndpoint: org, scopes: ['orders:read'] }), 'okta', { authMethod: 'private_key_jwt' })
  t.same(check(set, { clientId: 'one-prod', scopes: 'orders:read' }).violations.map((v) => v.code), ['provider_rule'])
})

t.test('okta: the org server takes client credentials only with private_key_jwt', async (t) => {
  const org = 'https://acme.okta.com/oauth2/v1/token'
  const f = lint({ provider: 'okta', tokenEndpoint: org, scopes: ['okta.users.read'] })
  t.same(codes(f), ['6:3 error provider-rule'], 'the default client_secret_basic')
  t.match(f[0]?.message, /Client Credentials requests to the Org Authorization Server must use the private_key_jwt token_endpoint_auth_method.*rule okta-org-private-key-jwt/)
  t.same(codes(lint({ provider: 'okta', tokenEndpoint: org, scopes: ['okta.users.read'], extra: ['authMethod: client_secret_post'] })), ['11:17 error provider-rule'], 'pointed at authMethod')
  t.same(lint({ provider: 'okta', tokenEndpoint: org, scopes: ['okta.users.read'], extra: ['authMethod: private_key_jwt'] }).filter((x) => x.code === 'provider-rule'), [])
  t.same(lint({ provider: 'okta', tokenEndpoint: 'https://acme.okta.com/oauth2/default/v1/token', scopes: ['orders:read'] }), [], 'a custom server takes a secret')

  const set = asProvider(load({ provider: 'generic', tokenEndpoint: org, scopes: ['okta.users.read'] }), 'okta')
  const [v] = check(set, { clientId: 'one-prod', scopes: 'okta.users.read' }).violations
  t.match(v, { scope: '', code: 'provider_rule', message: /must use the private_key_jwt token_endpoint_auth_method.*rule okta-org-private-key-jwt/ })
  const signed = asProvider(load({ provider: 'generic', tokenEndpoint: org, scopes: ['okta.users.read'] }), 'okta', { authMethod: 'private_key_jwt' })
  t.equal(check(signed, { clientId: 'one-prod', scopes: 'okta.users.read' }).allowed, true)
})

t.test('okta: endpoint shape and an empty whitelist are warnings', async (t) => {
  t.same(codes(lint({ provider: 'okta', tokenEndpoint: 'https://acme.okta.com/oauth/token' })), ['8:20 warning provider-rule'])
  t.same(codes(lint({ provider: 'okta', tokenEndpoint: 'https://acme.okta.com/oauth2/default/v1/token', scopes: [] })), ['9:5 warning provider-rule'])
})

t.test('keycloak: openid is accepted; the realm path', async (t) => {
  const endpoint = 'https://sso.example.com/realms/finance/protocol/openid-connect/token'
  t.same(lint({ provider: 'keycloak', tokenEndpoint: endpoint, scopes: ['openid', 'ledger:read'] }), [])
  t.same(codes(lint({ provider: 'generic', scopes: ['openid'] })), ['10:7 error user-scope'], 'generic still refuses it')
  t.same(lint({ provider: 'keycloak', tokenEndpoint: 'https://sso.example.com/auth/realms/finance/protocol/openid-connect/token' }), [], 'before Keycloak 17')
  t.same(codes(lint({ provider: 'keycloak', tokenEndpoint: 'https://sso.example.com/protocol/openid-connect/token' })), ['8:20 warning provider-rule'])

  const set = load({ provider: 'keycloak', tokenEndpoint: endpoint, scopes: ['openid', 'ledger:read'] })
  t.equal(check(set, { clientId: 'one-prod', scopes: 'openid ledger:read' }).allowed, true)
  t.same(check(set, { clientId: 'one-prod', scopes: 'email' }).violations.map((v) => v.code), ['not_whitelisted'], 'not user_scope')
})

t.test('genesys: the token endpoint is login.<region>/oauth/token, not the forum thread\'s API path', async (t) => {
  const f = lint({ provider: 'genesys', tokenEndpoint: 'https://api.mypurecloud.com/api/v2/oauth/token' })
  t.same(codes(f), ['8:20 error provider-rule'])
  t.match(f[0]?.message, 'https://login.mypurecloud.com/oauth/token')
  t.same(lint({ provider: 'genesys', tokenEndpoint: 'https://login.mypurecloud.de/oauth/token' }), [])
  t.same(codes(lint({ provider: 'genesys', tokenEndpoint: 'https://auth.example.com/token' })), ['8:20 warning provider-rule'])
  for (const region of ['mypurecloud.com.au', 'usw2.pure.cloud', 'euc2.pure.cloud', 'use2.us-gov-pure.cloud']) {
    t.same(lint({ provider: 'genesys', tokenEndpoint: `https://login.${region}/oauth/token` }), [], region)
  }
  t.same(codes(lint({ provider: 'genesys', tokenEndpoint: 'https://api.usw2.pure.cloud/oauth/token' })), ['8:20 error provider-rule'], 'api. stays an error')
  const unknown = lint({ provider: 'genesys', tokenEndpoint: 'https://login.zaf1.pure.cloud/oauth/token' })
  t.same(codes(unknown), ['8:20 warning provider-rule'], 'a new region warns, the folder still loads')
  t.match(unknown[0]?.message, /zaf1\.pure\.cloud is not one of the known Genesys Cloud regions \(mypurecloud\.com, .*use2\.us-gov-pure\.cloud\)/)
})

t.test('resource and audience: the entry\'s, or one of its lists; nothing else', async (t) => {
  const set = load({ provider: 'generic', extra: ['resource: https://a.example.com', 'resources:', '  - https://b.example.com', 'audience: aud-1', 'audiences: [aud-2]'] })
  const env = set.byClientId.get('one-prod')?.environment
  t.same(env?.resources, ['https://b.example.com'])
  t.same(env?.audiences, ['aud-2'])
  const req = (extra: { resource?: string; audience?: string }) => check(set, { clientId: 'one-prod', scopes: 'read:a', ...extra })
  for (const ok of [{}, { resource: 'https://a.example.com' }, { resource: 'https://b.example.com' }, { audience: 'aud-1' }, { audience: 'aud-2' }]) {
    t.equal(req(ok).allowed, true, JSON.stringify(ok))
  }
  const r = req({ resource: 'https://evil.example.com' })
  t.same(r.violations.map((v) => v.code), ['resource_not_allowed'])
  t.match(r.violations[0]?.message, /https:\/\/a\.example\.com.*https:\/\/b\.example\.com.*resources:/)
  t.same(req({ audience: 'aud-3' }).violations.map((v) => v.code), ['audience_not_allowed'])
  const bare = load({ provider: 'generic' })
  t.same(check(bare, { clientId: 'one-prod', scopes: 'read:a', resource: 'https://a.example.com' }).violations.map((v) => v.code), ['resource_not_allowed'])
  t.same(check(bare, { clientId: 'one-prod', scopes: 'read:a', audience: 42 as unknown as string }).violations.map((v) => v.code), ['audience_not_allowed'])
})

t.test('provider: an unknown name is a schema error naming the profiles', async (t) => {
  const f = lint({ provider: 'azure' as ProviderName })
  t.same(codes(f), ['3:11 error schema'])
  t.match(f[0]?.message, 'generic, auth0, entra, okta, keycloak, genesys')
  t.equal(profileOf('nope').name, 'generic')
})

t.test('error readers: the bodies each provider documents', async (t) => {
  const auth0 = PROFILES.auth0.readError(403, { error: 'access_denied', error_description: 'Client has not been granted scopes: write:stock' })
  t.same(auth0, {
    error: 'invalid_scope',
    error_description: 'Client has not been granted scopes: write:stock',
    hint: PROFILES.auth0.readError(403, { error: 'access_denied', error_description: 'Client has not been granted scopes: x' })?.hint,
  })
  t.match(auth0?.hint, 'Applications → APIs → (your API) → Application Access')
  t.match(PROFILES.auth0.readError(401, { error: 'access_denied', error_description: 'Unauthorized' }), { error: 'invalid_client', error_description: 'Unauthorized', hint: /Client Secret/ },
    'a wrong secret is a credentials error, not a grant one')
  t.match(PROFILES.auth0.readError(403, { error: 'access_denied', error_description: 'Client is not authorized to access "https://api.example.com". You need to create a "client-grant" associated to this API.' }), { error: 'access_denied', hint: /no grant for this audience/ })
  t.match(PROFILES.auth0.readError(403, { error: 'access_denied', error_description: 'Service not found: https://nope.example.com' }), { error: 'access_denied', hint: /API identifier/ })

  const entraBody = {
    error: 'invalid_scope',
    error_description: 'AADSTS1002012: The provided value for scope User.Read is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).\r\nTrace ID: 0',
    error_codes: [1002012],
  }
  t.match(PROFILES.entra.readError(400, entraBody), { error: 'invalid_scope', providerCode: 'AADSTS1002012', hint: /\/\.default.*Grant admin consent/ })
  t.match(PROFILES.entra.readError(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' }), { providerCode: 'AADSTS7000215', hint: /Certificates & secrets/ }, 'from the text when error_codes is missing')
  t.match(PROFILES.entra.readError(401, { error: 'invalid_client', error_description: 'x', error_codes: [7000222] }), { hint: /expired/ })
  t.match(PROFILES.entra.readError(400, { error: 'unauthorized_client', error_description: 'AADSTS700016: Application with identifier x was not found', error_codes: [700016] }), { hint: /no app has this client id/ })
  t.match(PROFILES.entra.readError(400, { error: 'invalid_resource', error_description: 'AADSTS500011: The resource principal named x was not found', error_codes: [500011] }), { error: 'invalid_resource', hint: /not in this tenant/ })

  t.match(PROFILES.okta.readError(400, { error: 'invalid_scope', error_description: 'One or more scopes are not configured for the authorization server resource.' }), { error: 'invalid_scope', hint: /Authorization Servers → \(your server\) → Scopes/ })
  for (const status of [400, 403]) {
    t.match(PROFILES.okta.readError(status, { error: 'access_denied', error_description: 'Policy evaluation failed for this request, please check the policy configurations.' }),
      { error: 'access_denied', hint: /Authorization Servers → \(your server\) → Access Policies/ }, `the code, not the status (${status})`)
  }
  t.match(PROFILES.okta.readError(400, { error: 'invalid_dpop_proof', error_description: 'The DPoP proof JWT header is missing.' }), { error: 'invalid_dpop_proof', hint: /^this app requires DPoP: set `dpop`/ })

  t.match(PROFILES.keycloak.readError(400, { error: 'invalid_scope', error_description: 'Invalid scopes: ledger:write' }), { error: 'invalid_scope', error_description: 'Invalid scopes: ledger:write', hint: /Clients → .*Client scopes/ })
  t.match(PROFILES.keycloak.readError(401, { error: 'unauthorized_client', error_description: 'Client not enabled to retrieve service account' }), { error: 'unauthorized_client', hint: /Service accounts roles/ })
  for (const error of ['unauthorized_client', 'invalid_client']) {
    t.match(PROFILES.keycloak.readError(401, { error, error_description: 'Invalid client or Invalid client credentials' }), { error: 'invalid_client', hint: /Credentials/ }, error)
  }
  for (const [code, hint] of [[700022, /one resource per token/], [9010010, /no `resource` parameter/], [50196, /cache the token/]] as const) {
    t.match(PROFILES.entra.readError(400, { error: 'invalid_request', error_description: `AADSTS${code}: x`, error_codes: [code] }), { providerCode: `AADSTS${code}`, hint }, `AADSTS${code}`)
  }

  t.match(PROFILES.genesys.readError(429, { message: 'Rate limit exceeded' }), { error: 'temporarily_unavailable', hint: /Retry-After/ })
  t.match(PROFILES.genesys.readError(401, { error: 'invalid_client', error_description: 'authentication failed' }), { error: 'invalid_client', hint: /^check the region: the client exists only in its own region's login host.*Menu → IT and Integrations → OAuth/ })
  t.match(PROFILES.genesys.readError(400, { error: 'invalid_scope', error_description: 'x' }), { hint: 'Genesys Cloud: Menu → IT and Integrations → OAuth → (your client) → Roles' })

  for (const profile of Object.values(PROFILES)) {
    t.equal(profile.readError(500, '<html>oops</html>'), null, `${profile.name}: not an OAuth body`)
    t.equal(profile.readError(400, { error: 42 }), null, `${profile.name}: error must be a string`)
  }
})

t.test('granted scopes: Entra reads roles, Keycloak\'s extra default scopes are no narrowing', async (t) => {
  t.same(PROFILES.entra.readGrant({ requested: ['https://graph.microsoft.com/.default'], tokenRoles: ['User.Read.All'], policyRoles: ['User.Read.All', 'Group.Read.All'] }),
    { missingScopes: [], missingRoles: ['Group.Read.All'] })
  t.same(PROFILES.keycloak.readGrant({ requested: ['ledger:read'], scope: 'profile email ledger:read', tokenRoles: [], policyRoles: [] }), { missingScopes: [], missingRoles: [] })
  t.same(PROFILES.okta.readGrant({ requested: ['a', 'b'], scope: 'a', tokenRoles: [], policyRoles: [] }).missingScopes, ['b'])
  t.same(PROFILES.generic.readGrant({ requested: ['a'], tokenRoles: [], policyRoles: [] }).missingScopes, [], 'RFC 6749 §5.1: no scope in the response means as requested')
})

t.test('the JSON Schema shows the provider enum and the new fields', async (t) => {
  const schema = policyJsonSchema() as any
  t.same(schema.properties.provider.anyOf.map((s: { const: string }) => s.const), ['generic', 'auth0', 'entra', 'okta', 'keycloak', 'genesys'])
  t.equal(schema.properties.provider.default, 'generic')
  const env = schema.properties.environments.patternProperties[Object.keys(schema.properties.environments.patternProperties)[0] as string]
  for (const field of ['audience', 'roles', 'resources', 'audiences']) t.ok(env.properties[field]?.description, field)
})

t.test('the profiles are pure: they import only each other and the policy types', async (t) => {
  const dir = new URL('../../service/policy/providers/', import.meta.url)
  for (const file of await readdir(dir)) {
    const text = await readFile(new URL(file, dir), 'utf8')
    const specifiers = [...text.matchAll(/^import .* from '([^']+)'/gm)].map((m) => m[1])
    t.ok(specifiers.every((s) => s?.startsWith('./') || s === '../types.js'), `${file}: ${specifiers.join(', ')}`)
  }
})
