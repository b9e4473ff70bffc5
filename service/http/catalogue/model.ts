// What the catalogue shows of a policy set (docs/preflight-api.md): one shape for the
// server-rendered page and for GET /v1/apps, so both show the same facts.
import type { AuthMethod, PolicySet, SourceLocation } from '../../policy/types.js'

export interface CatalogueScope {
  name: string
  reason: string
  /** `file:line` of the scope, the file relative to the policy folder. */
  source: string
}

export interface CatalogueEnvironment {
  name: string
  clientId: string
  /** Origin and path only: a query string may carry secrets. */
  tokenEndpoint: string
  authMethod: AuthMethod
  /** DPoP-bound tokens (RFC 9449); absent otherwise. */
  dpop?: true
  resource?: string
  /** `file:line` of the whitelist, relative to the policy folder. */
  source: string
  scopes: CatalogueScope[]
}

export interface CatalogueApp {
  app: string
  owner: string
  provider: string
  description?: string
  /** The policy file, relative to the policy folder: the server's own paths are not shown. */
  file: string
  environments: CatalogueEnvironment[]
}

/**
 * The text before a URL's query or fragment (RFC 3986 §3: the first `?` or `#` ends the
 * path). Cut from the text as written, not re-serialised: `https://api.example.com` and
 * `https://api.example.com/` are different audiences (RFC 8707).
 */
export function withoutQuery (value: string): string {
  return value.split(/[?#]/, 1)[0] ?? ''
}

/** `file:line`, the file relative to the policy folder. */
export const sourceOf = (at: SourceLocation): string => `${at.file}:${at.line}`

/** Every app of the set, by name, with its environments in file order. */
export function catalogueOf (policies: PolicySet): CatalogueApp[] {
  return [...policies.apps.values()]
    .sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : 0))
    .map((policy) => ({
      app: policy.app,
      owner: policy.owner,
      // Files may predate the field: generic is the only rule profile so far.
      provider: policy.provider ?? 'generic',
      ...(policy.description === undefined ? {} : { description: policy.description }),
      file: policy.file,
      environments: [...policy.environments.values()].map((env) => ({
        name: env.name,
        clientId: env.clientId,
        tokenEndpoint: withoutQuery(env.tokenEndpoint),
        authMethod: env.authMethod,
        ...(env.dpop === true ? { dpop: true as const } : {}),
        ...(env.resource === undefined ? {} : { resource: withoutQuery(env.resource) }),
        source: sourceOf(env.scopesAt),
        scopes: [...env.scopes.values()].map((s) => ({ name: s.name, reason: s.reason, source: sourceOf(s.at) })),
      })),
    }))
}
