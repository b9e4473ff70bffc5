// `provider: entra` (Microsoft Entra ID, docs/providers.md). Facts from Microsoft's documentation:
// - "OAuth 2.0 client credentials flow" (learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow):
//   `scope` is `<resource>/.default`, one resource per request; the tenant is a GUID or domain,
//   not `common`/`organizations`; application permissions arrive in the token's `roles` claim.
// - "Microsoft Entra authentication and authorization error codes" (learn.microsoft.com/entra/
//   identity-platform/reference-error-codes): AADSTS1002012, 70011, 7000215, 7000222, 700016,
//   500011, 901002; the body's `error_codes` array holds the numbers.
// - AADSTS9010010 "The resource parameter provided in the request doesn't match with the requested
//   scopes": what v2.0 now answers for a `resource` beside the scope (users' reports, 2026:
//   TracecatHQ/tracecat#2466, microsoft/azure-devops-mcp#1601), where it said AADSTS901002.
// - AADSTS50196 "loop detected" (the server ended a burst of identical requests): the fix is to
//   cache the token (error reference; third-party write-ups quote the same cause).
// - AADSTS700022 (several resources in one client-credentials request): from the error codes
//   reference by number only; its exact words were not confirmed from a user's report.
// - `refresh_in` in a token response (MSAL's "proactive refresh": AzureAD/microsoft-authentication-
//   library-for-js#6085 extends it to client_credentials): seconds after which to refresh.
import { oauthErrorBody, parseUrl, providerRule } from './common.js'
import type { EntryProblem, ProviderProfile, RequestContext } from './profile.js'
import type { Violation } from '../types.js'

const CONSENT = 'Entra admin center: App registrations → (your app) → API permissions → add the application permission → Grant admin consent'

const ONE_DEFAULT = `request exactly one scope \`<resource>/.default\` (the application ID URI followed by /.default); the permissions themselves: ${CONSENT}`

const NO_RESOURCE = 'Entra v2.0 takes no `resource` parameter: put it in the scope as `<resource>/.default`'

const CODE_HINTS: Record<string, string> = {
  AADSTS1002012: ONE_DEFAULT,
  AADSTS70011: ONE_DEFAULT,
  AADSTS7000215: 'Entra admin center: App registrations → (your app) → Certificates & secrets: the secret is wrong (send its value, not its ID)',
  AADSTS7000222: 'Entra admin center: App registrations → (your app) → Certificates & secrets: the secret has expired; add a new one',
  AADSTS700016: 'Entra admin center: App registrations: no app has this client id in this tenant (check the tenant in the token endpoint)',
  AADSTS500011: 'Entra admin center: Enterprise applications: the resource of the /.default scope is not in this tenant (check its application ID URI)',
  AADSTS901002: NO_RESOURCE,
  AADSTS9010010: NO_RESOURCE,
  AADSTS700022: 'request one resource per token: exactly one scope `<resource>/.default`; ask for a second token for another resource',
  AADSTS50196: 'Entra saw the same token request too often (a loop): cache the token and reuse it until it is due for refresh; ' +
    'share it between replicas (a shared store) rather than asking per request or per process',
}

const DEFAULT_SUFFIX = '/.default'
const AADSTS = /AADSTS(\d+)/
const NON_TENANTS = new Set(['common', 'organizations', 'consumers'])
const GRAPH = 'https://graph.microsoft.com'

/** The `/.default` scope a developer most likely meant. */
function defaultScopeFor (scope: string, resource: string | undefined): string {
  if (resource !== undefined) return `${resource.replace(/\/+$/, '')}${DEFAULT_SUFFIX}`
  const slash = scope.lastIndexOf('/')
  // `api://app-id/read` → `api://app-id/.default`; `User.Read.All` is a Microsoft Graph permission.
  if (slash > 0 && scope.includes(':')) return `${scope.slice(0, slash)}${DEFAULT_SUFFIX}`
  return `${GRAPH}${DEFAULT_SUFFIX}`
}

function defaultScopeRule (req: RequestContext): Violation[] {
  const out: Violation[] = []
  for (const scope of req.scopes) {
    if (scope.endsWith(DEFAULT_SUFFIX)) continue
    const suggestion = defaultScopeFor(scope, req.resource)
    out.push(providerRule(
      scope,
      'entra-default-scope',
      `scope ${JSON.stringify(scope)} is not a /.default scope: Entra's client_credentials takes only \`<resource>/.default\` and answers invalid_scope AADSTS1002012; request ${suggestion} and grant ${JSON.stringify(scope)} as an application permission (App registrations → API permissions → Grant admin consent), listed under roles:`,
      suggestion
    ))
  }
  return out
}

function oneScopeRule (req: RequestContext): Violation[] {
  if (req.scopes.length === 1) return []
  if (req.scopes.length === 0) {
    return [providerRule('', 'entra-one-scope', 'no scope requested: Entra\'s client_credentials needs exactly one scope `<resource>/.default` (AADSTS900144 otherwise)')]
  }
  return [providerRule(
    '',
    'entra-one-scope',
    `${req.scopes.length} scopes requested: Entra's client_credentials takes exactly one \`<resource>/.default\` (several resources: invalid_scope AADSTS70011); request one resource per token`
  )]
}

function endpointProblems (tokenEndpoint: string, resource: string | undefined): EntryProblem[] {
  const out: EntryProblem[] = []
  const url = parseUrl(tokenEndpoint)
  const [tenant, ...rest] = url ? url.pathname.split('/').filter((s) => s !== '') : []
  if (tenant !== undefined && NON_TENANTS.has(tenant.toLowerCase())) {
    out.push({
      severity: 'error',
      field: 'tokenEndpoint',
      message: `tokenEndpoint names the tenant "${tenant}": client_credentials needs the tenant itself (its ID or domain), e.g. https://login.microsoftonline.com/<tenant-id>/oauth2/v2.0/token (rule entra-tenant)`,
    })
  } else if (rest.join('/') === 'oauth2/token') {
    out.push({
      severity: 'warning',
      field: 'tokenEndpoint',
      message: 'tokenEndpoint is the v1.0 endpoint, which takes `resource` instead of scopes: use /oauth2/v2.0/token (rule entra-v2-endpoint)',
    })
  }
  if (resource !== undefined) {
    out.push({
      severity: 'warning',
      field: 'resource',
      message: 'Entra v2.0 refuses the `resource` parameter (AADSTS9010010, formerly AADSTS901002) and it is never sent: name the resource in the scope, `<resource>/.default` (rule entra-no-resource)',
    })
  }
  return out
}

function entraCode (body: unknown, description: string): string | undefined {
  const codes = (body as { error_codes?: unknown }).error_codes
  if (Array.isArray(codes) && typeof codes[0] === 'number') return `AADSTS${codes[0]}`
  const m = AADSTS.exec(description)
  return m ? `AADSTS${m[1]}` : undefined
}

export const entra: ProviderProfile = {
  name: 'entra',
  userScopeRule: true,
  roles: true,
  requestRules: [
    { name: 'entra-default-scope', check: defaultScopeRule },
    { name: 'entra-one-scope', check: oneScopeRule },
  ],
  entryProblems: (entry) => endpointProblems(entry.tokenEndpoint, entry.resource),
  // `/.default` grants what admin consent granted: the app roles in the token are what counts.
  readGrant: ({ tokenRoles, policyRoles }) => ({
    missingScopes: [],
    missingRoles: policyRoles.filter((r) => !tokenRoles.includes(r)),
  }),
  readError (_status, body) {
    const e = oauthErrorBody(body)
    if (!e) return null
    const code = entraCode(body, e.error_description ?? '')
    const hint = (code !== undefined ? CODE_HINTS[code] : undefined) ?? CONSENT
    return { ...e, hint, ...(code !== undefined ? { providerCode: code } : {}) }
  },
  hint: 'Entra admin center: App registrations → API permissions → Grant admin consent',
}
