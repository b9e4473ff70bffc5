// The provider profiles by name (docs/providers.md). Pure: the token core may import this.
import { auth0 } from './auth0.js'
import { entra } from './entra.js'
import { generic } from './generic.js'
import { genesys } from './genesys.js'
import { keycloak } from './keycloak.js'
import { okta } from './okta.js'
import type { ProviderProfile } from './profile.js'
import type { ProviderName } from '../types.js'

export const PROFILES: Readonly<Record<ProviderName, ProviderProfile>> = { generic, auth0, entra, okta, keycloak, genesys }

/** The profile of `name`; `generic` for anything unknown (a hand-made set, an old file). */
export function profileOf (name: string | undefined): ProviderProfile {
  return (name !== undefined && Object.hasOwn(PROFILES, name) ? PROFILES[name as ProviderName] : undefined) ?? generic
}

export type * from './profile.js'
