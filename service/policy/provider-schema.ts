// The policy fields of the provider profiles (docs/providers.md), merged into schema.ts.

export const PROVIDER_NAMES = ['generic', 'auth0', 'entra', 'okta', 'keycloak', 'genesys'] as const
/** The profile of a file written before `provider` was required: RFC 6749 alone. */
export const DEFAULT_PROVIDER = 'generic' satisfies (typeof PROVIDER_NAMES)[number]

export const ProviderSchema = {
  default: DEFAULT_PROVIDER,
  description:
    'Rule profile of the token provider (docs/providers.md): generic (RFC 6749 only), auth0, entra, okta, keycloak or genesys.',
  anyOf: PROVIDER_NAMES.map((name) => ({ type: 'string', const: name })),
}

const uriList = (what: string) => ({
  type: 'array',
  items: { type: 'string', minLength: 1 },
  description: `Further ${what} values a route or call may ask for; anything else is refused before a request is sent.`,
})

/** Appended to each environment's properties. */
export const ProviderEnvironmentFields = {
  audience: {
    type: 'string',
    minLength: 1,
    description: 'Sent as the `audience` form parameter (Auth0: the API identifier, required there).',
  },
  roles: {
    type: 'object',
    patternProperties: {
      '^(.*)$': {
        anyOf: [{ type: 'string' }, { type: 'null' }],
        description: 'Why the app needs this application permission.',
      },
    },
    description: 'Entra only: application permissions (app roles) expected in the token\'s `roles` claim -> reason.',
  },
  resources: uriList('`resource`'),
  audiences: uriList('`audience`'),
}
