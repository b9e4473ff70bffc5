// TypeBox schema of one policy file (docs/policy-files.md). The loader validates with it and
// `scope-policy schema` prints it as JSON Schema for editors.
import { Type, type Static } from '@sinclair/typebox'
import { ProviderEnvironmentFields, ProviderSchema } from './provider-schema.js'
import { AUTH_METHODS, DEFAULT_AUTH_METHOD } from './rules/auth-method.js'

export const AuthMethodSchema = Type.Union(
  AUTH_METHODS.map((method) => Type.Literal(method)),
  {
    default: DEFAULT_AUTH_METHOD,
    description:
      'How the client authenticates at the token endpoint: client_secret_basic / client_secret_post (RFC 6749 §2.3.1, a shared secret), private_key_jwt (RFC 7523 §2.2, an assertion signed with a private key), tls_client_auth / self_signed_tls_client_auth (RFC 8705 §2, a TLS client certificate).',
  }
)

export const ScopesSchema = Type.Record(
  Type.String(),
  Type.Union([Type.String(), Type.Null()], {
    description: 'Why the app needs this scope (ticket, feature). Shown to reviewers.',
  }),
  {
    description:
      'The whitelist: scope name (RFC 6749 §3.3, exact and case-sensitive, no wildcards) -> reason. `{}` means the app may request no scope.',
    // For editors only (TypeBox does not check it; the loader's findings are more precise):
    // an RFC 6749 §3.3 scope-token without `*` (wildcard) or `,` (list).
    propertyNames: { pattern: '^[\\x21\\x23-\\x29\\x2B\\x2D-\\x5B\\x5D-\\x7E]+$' },
  }
)

/** The pattern of the `…Env` fields: an environment variable's name, never its value. */
export const VARIABLE_NAME_PATTERN = '^[A-Z_][A-Z0-9_]*$'

function variableName (description: string) {
  return Type.Optional(Type.String({ pattern: VARIABLE_NAME_PATTERN, description: `${description} A variable name only, never the value.` }))
}

// The order of `scope-policy fmt` is its own list (service/policy/fmt.ts), kept to these fields by a test.
export const EnvironmentSchema = Type.Object(
  {
    clientId: Type.String({
      minLength: 1,
      // RFC 6749 Appendix A.1: client-id = *VSCHAR
      pattern: '^[\\x20-\\x7E]+$',
      description: 'The client id the developer portal shows. Unique across the whole policy folder.',
    }),
    tokenEndpoint: Type.String({
      minLength: 1,
      description: 'Token endpoint URL. https: unless the host is loopback (localhost, 127.0.0.0/8, ::1).',
    }),
    authMethod: Type.Optional(AuthMethodSchema),
    dpop: Type.Optional(Type.Boolean({
      description: 'true: the client asks for DPoP-bound tokens (RFC 9449); the plugin and `scope-policy verify` send a proof with every token request.',
    })),
    resource: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'RFC 8707 resource indicator (audience) sent with the token request: an absolute URI.',
      })
    ),
    secretEnv: variableName('The environment variable that holds this client\'s secret for `scope-policy verify` (default SCOPE_POLICY_SECRET_<APP>_<ENV>; NAME_FILE works too).'),
    privateKeyEnv: variableName('The environment variable that holds this client\'s private key (PEM or JWK) for private_key_jwt (default SCOPE_POLICY_PRIVATE_KEY_<APP>_<ENV>; NAME_FILE works too).'),
    tlsCertEnv: variableName('The environment variable that holds this client\'s TLS client certificate (PEM) for tls_client_auth / self_signed_tls_client_auth (default SCOPE_POLICY_TLS_CERT_<APP>_<ENV>; NAME_FILE works too).'),
    tlsKeyEnv: variableName('The environment variable that holds the private key (PEM) of this client\'s TLS certificate (default SCOPE_POLICY_TLS_KEY_<APP>_<ENV>; NAME_FILE works too).'),
    scopes: ScopesSchema,
    ...ProviderEnvironmentFields,
  },
  { additionalProperties: false, description: 'One environment of the app (prod, staging, …).' }
)

export const ENVIRONMENT_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$'

/** The TypeBox schema of a policy file (docs/policy-files.md); `policyJsonSchema()` gives it as JSON Schema. */
export const PolicyFileSchema = Type.Object(
  {
    app: Type.String({
      pattern: '^[a-z0-9]+(-[a-z0-9]+)*$',
      description: 'App name, kebab-case, equal to the file name (<app>.yaml) and unique in the folder.',
    }),
    description: Type.Optional(Type.String({ description: 'What the app does.' })),
    owner: Type.String({
      minLength: 1,
      description: 'Who answers for this app, e.g. a team handle "@org/team".',
    }),
    provider: ProviderSchema,
    environments: Type.Record(Type.String({ pattern: ENVIRONMENT_NAME_PATTERN }), EnvironmentSchema, {
      minProperties: 1,
      additionalProperties: false,
      description: 'Environment name -> its client, endpoint and scope whitelist.',
    }),
  },
  { additionalProperties: false }
)

/** A policy file as written, before loading. */
export type PolicyFile = Static<typeof PolicyFileSchema>

/** The JSON Schema of a policy file, for editors (yaml-language-server) and `scope-policy schema`. */
export function policyJsonSchema (): Record<string, unknown> {
  // JSON round trip: a plain copy without TypeBox's symbol keys that callers may mutate.
  const body = JSON.parse(JSON.stringify(PolicyFileSchema)) as Record<string, unknown>
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'urn:fastify-app-token:policy-file:v1',
    title: 'fastify-app-token policy file',
    description:
      'One app of policies/<app>.yaml: its owner and, per environment, the client id, token endpoint and the whitelist of scopes it may request.',
    ...body,
  }
}
