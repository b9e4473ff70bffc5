// Per provider: what verify asks the token endpoint for and how it reads the grant
// (docs/verify.md). Only `generic` exists today; provider profiles (auth0: no scope plus
// audience, keycloak: default scopes not counted, entra: roles) add their entry here.
import type { AppPolicy, EnvironmentPolicy } from '../types.js'

export interface VerifyProfile {
  /** The scopes (and resource) sent for this entry. */
  request(env: EnvironmentPolicy): { scopes: string[]; resource?: string }
  /** Whitelisted scopes the grant lacks, and granted scopes the whitelist does not list. */
  compare(whitelist: readonly string[], granted: readonly string[]): { missing: string[]; extra: string[] }
}

const generic: VerifyProfile = {
  request: (env) => ({
    scopes: [...env.scopes.keys()].sort(),
    ...(env.resource !== undefined ? { resource: env.resource } : {}),
  }),
  compare: (whitelist, granted) => ({
    missing: whitelist.filter((s) => !granted.includes(s)),
    extra: granted.filter((s) => !whitelist.includes(s)),
  }),
}

// Provider-specific entries (auth0, keycloak, entra) come with the token core's provider support.
const PROFILES: Record<AppPolicy['provider'], VerifyProfile> = {
  generic, auth0: generic, entra: generic, okta: generic, keycloak: generic, genesys: generic,
}

export function profileFor (app: AppPolicy): VerifyProfile {
  return PROFILES[app.provider]
}
