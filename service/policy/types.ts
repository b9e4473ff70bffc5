// Shared shapes of the policy engine (docs/policy-files.md). The plugin, the preflight
// service and the CLI all read these; keep them stable.

import type { PROVIDER_NAMES } from './provider-schema.js'
import type { AuthMethod } from './rules/auth-method.js'

export type { AuthMethod } from './rules/auth-method.js'

/** The rule profile of the token provider (docs/providers.md). */
export type ProviderName = (typeof PROVIDER_NAMES)[number]

/** Where a value sits in a policy file (1-based line and column). */
export interface SourceLocation {
  /** Path of the policy file, relative to the folder given to the loader. */
  file: string
  line: number
  col: number
}

/** A whitelisted scope with the reason it is needed and where it is written. */
export interface WhitelistedScope {
  name: string
  /** Why the app needs it (the YAML value). */
  reason: string
  at: SourceLocation
}

/** One environment of an app: its client, token endpoint, auth method and whitelist. */
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

/** One policy file: an app, its owner, provider and environments. */
export interface AppPolicy {
  app: string
  description?: string
  owner: string
  provider: ProviderName
  /** Relative path of the file, e.g. `agent-desktop-worker.yaml`. */
  file: string
  environments: ReadonlyMap<string, EnvironmentPolicy>
}

/** A loaded policy folder, looked up by clientId (what `check` reads). */
export interface PolicySet {
  /** The folder the set was loaded from (as given). */
  dir: string
  apps: ReadonlyMap<string, AppPolicy>
  /** clientId -> its app and environment (clientIds are unique in a folder). */
  byClientId: ReadonlyMap<string, { app: AppPolicy; environment: EnvironmentPolicy }>
}

/** A finding is an `error` (lint exits 1) or a `warning`. */
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

/** What `loadPolicyDir` and `loadPolicyFiles` return: the set (null when a finding is an error) and every finding. */
export interface LoadResult {
  /** Null when any finding is an error: an invalid set never replaces a good one. */
  policies: PolicySet | null
  findings: Finding[]
}

// §4 — the preflight check
/** Why a scope request is refused (docs/policy-files.md). */
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

/** One reason a request is refused, with what to do and, where there is one, the spelling the policy has. */
export interface Violation {
  scope: string
  code: ViolationCode
  message: string
  suggestion?: string
}

/** The input of `check`: a clientId, optionally its environment, and the scopes (RFC 6749 §3.3), resource (RFC 8707) or audience asked for. */
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

/** The output of `check`: allowed or not, the app and environment, the normalised scopes, every violation. */
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
