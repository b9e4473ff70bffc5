// The shape of a provider profile (docs/providers.md): the rules one token provider adds to
// RFC 6749, how it grants, how its errors read. Pure data and functions: the token core
// imports these, so no yaml, fastify or undici here.
import type { AuthMethod, ProviderName, Severity, Violation } from '../types.js'

/** What a token request would send, as the rules see it. */
export interface RequestContext {
  /** Normalised scopes. */
  scopes: readonly string[]
  /** The audience that would be sent (the call's, else the entry's). */
  audience?: string | undefined
  /** The resource that would be sent. */
  resource?: string | undefined
  tokenEndpoint: string
  /** How the client authenticates (default client_secret_basic). */
  authMethod?: AuthMethod | undefined
}

/** A request rule: used by check() and by lint (on the whitelist as if all of it were asked for). */
export interface RequestRule {
  /** Kebab-case name shown in messages, e.g. `entra-default-scope`. */
  name: string
  /** Violations with code `provider_rule`; empty when the request obeys. */
  check(req: RequestContext): Violation[]
}

/** A lint-only problem with the shape of an entry (endpoint, fields). */
export interface EntryProblem {
  severity: Severity
  /** Which field it is about, for the finding's place. */
  field: 'tokenEndpoint' | 'resource' | 'audience' | 'roles' | 'scopes' | 'authMethod'
  message: string
}

export interface EntryFacts {
  tokenEndpoint: string
  scopes: readonly string[]
  resource?: string | undefined
  audience?: string | undefined
  authMethod?: AuthMethod | undefined
  hasRoles: boolean
}

/** A provider's answer read into RFC 6749 §5.2 terms, with where to fix it. */
export interface ProviderError {
  /** Normalised error code (e.g. Auth0's scope refusal becomes `invalid_scope`). */
  error: string
  /** The server's own words, verbatim. */
  error_description?: string
  /** The provider's console page where the fix is made. */
  hint: string
  /** The provider's own code when it has one, e.g. `AADSTS1002012`. */
  providerCode?: string
}

export interface GrantReading {
  /** Requested scopes the token does not hold. */
  missingScopes: string[]
  /** Policy roles the token's `roles` claim does not hold (Entra). */
  missingRoles: string[]
}

export interface Grant {
  /** Scopes asked for. */
  requested: readonly string[]
  /** The response's `scope` (RFC 6749 §5.1), undefined when the server left it out. */
  scope?: string | undefined
  /** The JWT's `roles` claim, empty when not a readable JWT. */
  tokenRoles: readonly string[]
  /** The policy entry's `roles:` names. */
  policyRoles: readonly string[]
}

export interface ProviderProfile {
  name: ProviderName
  /** Whether the generic `user_scope` rule applies (Keycloak accepts `openid`). */
  userScopeRule: boolean
  /** Whether `roles:` means anything for this provider (Entra only). */
  roles: boolean
  requestRules: readonly RequestRule[]
  /** What a request may lack and still work (Auth0 without `audience`): lint warns, check() allows, the plugin logs once. */
  requestWarnings?(req: RequestContext): string[]
  /** Lint-only checks of one entry: endpoint shape, fields the provider ignores or refuses. */
  entryProblems(entry: EntryFacts): EntryProblem[]
  /** What the token granted against what was asked (and what the policy expects). */
  readGrant(grant: Grant): GrantReading
  /** The provider's error answer, or null when the body is not one of its errors. */
  readError(status: number, body: unknown): ProviderError | null
  /** Where in the provider's console grants are fixed. */
  hint: string
}
