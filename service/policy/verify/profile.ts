// Per provider: what verify asks the token endpoint for and how it reads the grant
// (docs/verify.md, docs/providers.md).
import type { AppPolicy, EnvironmentPolicy, ProviderName } from '../types.js'
import type { TokenGrant } from './fetcher.js'

export interface VerifyProfile {
  /** The scopes, resource and audience sent for this entry. */
  request(env: EnvironmentPolicy): { scopes: string[]; resource?: string; audience?: string }
  /**
   * The grant as verify reports it, with what the policy lists and the grant lacks (`missing`)
   * and what the grant holds beyond the policy (`extra`).
   */
  read(env: EnvironmentPolicy, grant: TokenGrant): { grant: TokenGrant; missing: string[]; extra: string[] }
}

const whitelistOf = (env: EnvironmentPolicy): string[] => [...env.scopes.keys()].sort()

function target (env: EnvironmentPolicy): { resource?: string; audience?: string } {
  return {
    ...(env.resource !== undefined ? { resource: env.resource } : {}),
    ...(env.audience !== undefined ? { audience: env.audience } : {}),
  }
}

/** Both ways: listed but not granted, granted but not listed. */
function bothWays (listed: readonly string[], granted: readonly string[]): { missing: string[]; extra: string[] } {
  return { missing: listed.filter((s) => !granted.includes(s)), extra: granted.filter((s) => !listed.includes(s)) }
}

const generic: VerifyProfile = {
  request: (env) => ({ scopes: whitelistOf(env), ...target(env) }),
  read: (env, grant) => ({ grant, ...bothWays(whitelistOf(env), grant.scopes) }),
}

// Auth0: no `scope` asked, so the token carries every scope granted for the audience; compared both ways.
const auth0: VerifyProfile = {
  request: (env) => ({ scopes: [], ...target(env) }),
  read: generic.read,
}

// Keycloak adds the client's default scopes to every token: a scope granted beyond the
// request is one of them (optional scopes come only when asked), so not a widening.
const keycloak: VerifyProfile = {
  request: generic.request,
  read: (env, grant) => ({ grant, missing: bothWays(whitelistOf(env), grant.scopes).missing, extra: [] }),
}

// Entra: `/.default` grants what admin consent granted, as the JWT's `roles`; compared with `roles:`.
// No roles in the token: nothing to read (not a readable JWT, or none consented), so unverified.
const entra: VerifyProfile = {
  request: generic.request,
  read (env, grant) {
    const roles = grant.roles ?? []
    if (roles.length === 0) return { grant, missing: [], extra: [] }
    return { grant: { ...grant, grantedFrom: 'jwt' }, ...bothWays([...env.roles?.keys() ?? []].sort(), roles) }
  },
}

const PROFILES: Record<ProviderName, VerifyProfile> = { generic, auth0, entra, okta: generic, keycloak, genesys: generic }

export function profileFor (app: AppPolicy): VerifyProfile {
  return PROFILES[app.provider]
}
