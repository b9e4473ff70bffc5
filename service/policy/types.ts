// Shared shapes of the policy engine (docs/policy-files.md). The plugin, the preflight
// service and the CLI all read these; keep them stable.

export type AuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'tls_client_auth' | 'self_signed_tls_client_auth'

/** The rule profile of the token provider (docs/providers.md). */
export type ProviderName = 'generic' | 'auth0' | 'entra' | 'okta' | 'keycloak' | 'genesys'

/** Where a value sits in a policy file (1-based line and column). */
export interface SourceLocation {
  /** Path of the policy file, relative to the folder given to the loader. */
  file: string
  line: number
  col: number
}

export interface WhitelistedScope {
  name: string
  /** Why the app needs it (the YAML value). */
  reason: string
  at: SourceLocation
}

export interface EnvironmentPolicy {
  name: string
  clientId: string
  tokenEndpoint: string
  authMethod: AuthMethod
  /** True: DPoP-bound tokens (RFC 9449, docs/dpop.md); absent otherwise. */
  dpop?: true
  resource?: string
  /** Name of the environment variable holding the secret (`scope-policy verify`); never the secret. */
  secretEnv?: string
  privateKeyEnv?: string
  tlsCertEnv?: string
  tlsKeyEnv?: string
  /** Sent as the `audience` form parameter (docs/providers.md). */
  audience?: string
  /** Further values a route or call may ask for instead of `resource` / `audience`. */
  resources?: readonly string[]
  audiences?: readonly string[]
  /** Entra application permissions expected in the token's `roles` claim: name → reason. */
  roles?: ReadonlyMap<string, WhitelistedScope>
  /** The whitelist, keyed by exact (case-sensitive) scope name. */
  scopes: ReadonlyMap<string, WhitelistedScope>
  /** Location of the `scopes:` key: where a reviewer edits the whitelist. */
  scopesAt: SourceLocation
  at: SourceLocation
}

export interface AppPolicy {
  app: string
  description?: string
  owner: string
  provider: ProviderName
  /** Relative path of the file, e.g. `agent-desktop-worker.yaml`. */
  file: string
  environments: ReadonlyMap<string, EnvironmentPolicy>
}

export interface PolicySet {
  /** The folder the set was loaded from (as given). */
  dir: string
  apps: ReadonlyMap<string, AppPolicy>
  /** clientId -> its app and environment (clientIds are unique in a folder). */
  byClientId: ReadonlyMap<string, { app: AppPolicy; environment: EnvironmentPolicy }>
}

export type Severity = 'error' | 'warning'

/** One problem found while loading or linting, with its place in the file. */
export interface Finding extends SourceLocation {
  severity: Severity
  /** Stable, kebab-case code, e.g. `duplicate-client-id`, `yaml-syntax`. */
  code: string
  message: string
}

/** An in-memory policy file: what the loader parses (the CLI's diff reads these from git). */
export interface PolicySource {
  file: string
  text: string
}

export interface LoadResult {
  /** Null when any finding is an error: an invalid set never replaces a good one. */
  policies: PolicySet | null
  findings: Finding[]
}

// §4 — the preflight check
export type ViolationCode =
  | 'unknown_client'
  | 'not_whitelisted'
  | 'case_mismatch'
  | 'near_miss'
  | 'user_scope'
  | 'malformed'
  | 'empty'
  | 'provider_rule'
  | 'missing_audience'
  | 'resource_not_allowed'
  | 'audience_not_allowed'

export interface Violation {
  scope: string
  code: ViolationCode
  message: string
  suggestion?: string
}

export interface CheckRequest {
  clientId: string
  environment?: string
  /** Space-delimited string or array of scope tokens. */
  scopes: string | readonly string[]
  /** RFC 8707 resource asked for instead of the entry's; it must be the entry's or in its `resources`. */
  resource?: string
  /** Audience asked for instead of the entry's; it must be the entry's or in its `audiences`. */
  audience?: string
}

export interface CheckResult {
  allowed: boolean
  app: string | null
  environment: string | null
  /** Normalised, de-duplicated scopes that would be sent. */
  scopes: string[]
  violations: Violation[]
  /** What the provider may answer differently than expected, though allowed (Auth0 without `audience`); absent when none. */
  warnings?: string[]
}
