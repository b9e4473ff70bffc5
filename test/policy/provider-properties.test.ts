// Property: for every provider profile, an allowed check() result holds only what the profile
// and the whitelist allow (docs/providers.md): whitelisted scopes, no user scope where the
// profile refuses them, no request rule broken, resource/audience the entry's or in its lists.
import t from 'tap'
import fc from 'fast-check'
import { check, loadPolicyFiles, type PolicySet, type ProviderName } from '../../service/policy/index.js'
import { USER_SCOPES } from '../../service/policy/scope-grammar.js'

interface Setup {
  tokenEndpoint: string
  /** Scopes lint accepts for this profile and endpoint. */
  pool: string[]
}

const SETUPS: Record<ProviderName, Setup> = {
  generic: { tokenEndpoint: 'https://auth.example.com/oauth/token', pool: ['read:a', 'write:b', 'x:c'] },
  auth0: { tokenEndpoint: 'https://acme.eu.auth0.com/oauth/token', pool: ['read:a', 'write:b', 'x:c'] },
  entra: { tokenEndpoint: 'https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token', pool: ['https://graph.microsoft.com/.default', 'api://x/.default'] },
  okta: { tokenEndpoint: 'https://acme.okta.com/oauth2/v1/token', pool: ['okta.users.read', 'okta.apps.read'] },
  keycloak: { tokenEndpoint: 'https://sso.example.com/realms/r/protocol/openid-connect/token', pool: ['openid', 'profile', 'read:a'] },
  genesys: { tokenEndpoint: 'https://login.mypurecloud.com/oauth/token', pool: ['read:a', 'write:b'] },
}
const RESOURCES = ['https://r1.example.com', 'https://r2.example.com']
const AUDIENCES = ['aud-1', 'aud-2']

function policySet (provider: ProviderName, whitelist: string[]): PolicySet {
  const { tokenEndpoint } = SETUPS[provider]
  const text = [
    'app: app-p', 'owner: "@team/p"', `provider: ${provider}`, 'environments:', '  prod:', '    clientId: p-prod',
    `    tokenEndpoint: ${tokenEndpoint}`,
    // Okta's org authorization server takes client credentials only with private_key_jwt.
    ...(provider === 'okta' ? ['    authMethod: private_key_jwt'] : []),
    ...(provider === 'entra' ? [] : [`    resource: ${RESOURCES[0]}`, `    resources: [${RESOURCES[1]}]`]),
    `    audience: ${AUDIENCES[0]}`, `    audiences: [${AUDIENCES[1]}]`,
    ...(whitelist.length === 0 ? ['    scopes: {}'] : ['    scopes:', ...whitelist.map((s) => `      ${JSON.stringify(s)}: needed`)]),
    '',
  ].join('\n')
  const { policies, findings } = loadPolicyFiles([{ file: 'app-p.yaml', text }])
  if (!policies) throw new Error(JSON.stringify(findings))
  return policies
}

interface Sent { scopes: readonly string[]; audience?: string | undefined }

/** docs/providers.md, written out independently of the profiles under test. */
const OBEYS: Record<ProviderName, (sent: Sent) => boolean> = {
  generic: () => true,
  auth0: () => true, // a missing audience is a warning, not a refusal
  entra: (s) => s.scopes.length === 1 && (s.scopes[0] ?? '').endsWith('/.default'),
  okta: (s) => s.scopes.every((x) => x.startsWith('okta.')), // the org authorization server
  keycloak: () => true,
  genesys: () => true,
}

const everyScope = [...new Set([...Object.values(SETUPS).flatMap((s) => s.pool), ...USER_SCOPES, 'Read:a', 'read_a', 'a,b', 'custom:z'])]

for (const provider of Object.keys(SETUPS) as ProviderName[]) {
  t.test(`${provider}: an allowed request holds only what the profile and the whitelist allow`, async (t) => {
    let allowed = 0
    let denied = 0
    fc.assert(
      fc.property(
        fc.subarray(SETUPS[provider].pool),
        fc.oneof(fc.subarray(SETUPS[provider].pool, { maxLength: 2 }), fc.array(fc.constantFrom(...everyScope), { maxLength: 4 })),
        fc.option(fc.constantFrom(...RESOURCES, 'https://evil.example.com'), { nil: undefined, freq: 2 }),
        fc.option(fc.constantFrom(...AUDIENCES, 'aud-evil'), { nil: undefined }),
        (whitelist, scopes, resource, audience) => {
          const set = policySet(provider, whitelist)
          const env = set.byClientId.get('p-prod')!.environment
          const r = check(set, { clientId: 'p-prod', scopes, resource, audience })
          if (!r.allowed) {
            denied++
            return r.violations.length > 0
          }
          allowed++
          return (
            r.scopes.every((s) => whitelist.includes(s)) &&
            (provider === 'keycloak' || r.scopes.every((s) => !USER_SCOPES.has(s))) &&
            OBEYS[provider]({ scopes: r.scopes, audience: audience ?? env.audience }) &&
            (resource === undefined || resource === env.resource || (env.resources ?? []).includes(resource)) &&
            (audience === undefined || AUDIENCES.includes(audience))
          )
        }
      ),
      { numRuns: 400 }
    )
    t.ok(allowed > 0 && denied > 0, `both answers were seen (${allowed} allowed, ${denied} denied)`)
  })
}
