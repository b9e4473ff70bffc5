// `provider: generic`: RFC 6749 and nothing more (docs/providers.md).
import { oauthErrorBody, scopeGrant } from './common.js'
import type { ProviderProfile } from './profile.js'

export const generic: ProviderProfile = {
  name: 'generic',
  userScopeRule: true,
  roles: false,
  requestRules: [],
  entryProblems: () => [],
  readGrant: scopeGrant,
  readError (_status, body) {
    const e = oauthErrorBody(body)
    return e && { ...e, hint: "grant the scope to this client in the provider's console" }
  },
  hint: "the provider's console, where the client's scopes are granted",
}
