// The policy fields of the provider profiles (docs/providers.md), merged into schema.ts.
import { Type } from '@sinclair/typebox'

export const PROVIDER_NAMES = ['generic', 'auth0', 'entra', 'okta', 'keycloak', 'genesys'] as const
/** The profile of a file written before `provider` was required: RFC 6749 alone. */
export const DEFAULT_PROVIDER = 'generic' satisfies (typeof PROVIDER_NAMES)[number]

export const ProviderSchema = Type.Union(
  PROVIDER_NAMES.map((name) => Type.Literal(name)),
  {
    default: DEFAULT_PROVIDER,
    description:
      'Rule profile of the token provider (docs/providers.md): generic (RFC 6749 only), auth0, entra, okta, keycloak or genesys.',
  }
)

const uriList = (what: string) =>
  Type.Array(Type.String({ minLength: 1 }), {
    description: `Further ${what} values a route or call may ask for; anything else is refused before a request is sent.`,
  })

/** Appended to each environment's properties. */
export const ProviderEnvironmentFields = {
  audience: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'Sent as the `audience` form parameter (Auth0: the API identifier, required there).',
    })
  ),
  roles: Type.Optional(
    Type.Record(
      Type.String(),
      Type.Union([Type.String(), Type.Null()], { description: 'Why the app needs this application permission.' }),
      {
        description:
          'Entra only: application permissions (app roles) expected in the token\'s `roles` claim -> reason.',
      }
    )
  ),
  resources: Type.Optional(uriList('`resource`')),
  audiences: Type.Optional(uriList('`audience`')),
}
