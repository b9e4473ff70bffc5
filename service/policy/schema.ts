// The JSON Schema (draft-07) of one policy file (docs/policy-files.md). The loader validates with
// it (Ajv, json-schema.ts) and `scope-policy schema` prints it for editors.
import { ProviderEnvironmentFields, ProviderSchema } from './provider-schema.js'
import { AUTH_METHODS, DEFAULT_AUTH_METHOD } from './rules/auth-method.js'
import type { AuthMethod, ProviderName } from './types.js'

export const AuthMethodSchema = {
  default: DEFAULT_AUTH_METHOD,
  description:
    'How the client authenticates at the token endpoint: client_secret_basic / client_secret_post (RFC 6749 §2.3.1, a shared secret), private_key_jwt (RFC 7523 §2.2, an assertion signed with a private key), tls_client_auth / self_signed_tls_client_auth (RFC 8705 §2, a TLS client certificate).',
  anyOf: AUTH_METHODS.map((method) => ({ type: 'string', const: method })),
}

export const ScopesSchema = {
  type: 'object',
  patternProperties: {
    '^(.*)$': {
      anyOf: [{ type: 'string' }, { type: 'null' }],
      description: 'Why the app needs this scope (ticket, feature). Shown to reviewers.',
    },
  },
  description:
    'The whitelist: scope name (RFC 6749 §3.3, exact and case-sensitive, no wildcards) -> reason. `{}` means the app may request no scope.',
  // For editors only (the loader skips its errors: its scope-name findings are more precise):
  // an RFC 6749 §3.3 scope-token without `*` (wildcard) or `,` (list).
  propertyNames: { pattern: '^[\\x21\\x23-\\x29\\x2B\\x2D-\\x5B\\x5D-\\x7E]+$' },
}

/** The pattern of the `…Env` fields: an environment variable's name, never its value. */
export const VARIABLE_NAME_PATTERN = '^[A-Z_][A-Z0-9_]*$'

function variableName (description: string) {
  return { type: 'string', pattern: VARIABLE_NAME_PATTERN, description: `${description} A variable name only, never the value.` }
}

// The order of `scope-policy fmt` is its own list (service/policy/fmt.ts), kept to these fields by a test.
export const EnvironmentSchema = {
  type: 'object',
  required: ['clientId', 'tokenEndpoint', 'scopes'],
  properties: {
    clientId: {
      type: 'string',
      minLength: 1,
      // RFC 6749 Appendix A.1: client-id = *VSCHAR
      pattern: '^[\\x20-\\x7E]+$',
      description: 'The client id the developer portal shows. Unique across the whole policy folder.',
    },
    tokenEndpoint: {
      type: 'string',
      minLength: 1,
      description: 'Token endpoint URL. https: unless the host is loopback (localhost, 127.0.0.0/8, ::1).',
    },
    authMethod: AuthMethodSchema,
    dpop: {
      type: 'boolean',
      description: 'true: the client asks for DPoP-bound tokens (RFC 9449); the plugin and `scope-policy verify` send a proof with every token request.',
    },
    resource: {
      type: 'string',
      minLength: 1,
      description: 'RFC 8707 resource indicator (audience) sent with the token request: an absolute URI.',
    },
    secretEnv: variableName('The environment variable that holds this client\'s secret for `scope-policy verify` (default SCOPE_POLICY_SECRET_<APP>_<ENV>; NAME_FILE works too).'),
    privateKeyEnv: variableName('The environment variable that holds this client\'s private key (PEM or JWK) for private_key_jwt (default SCOPE_POLICY_PRIVATE_KEY_<APP>_<ENV>; NAME_FILE works too).'),
    tlsCertEnv: variableName('The environment variable that holds this client\'s TLS client certificate (PEM) for tls_client_auth / self_signed_tls_client_auth (default SCOPE_POLICY_TLS_CERT_<APP>_<ENV>; NAME_FILE works too).'),
    tlsKeyEnv: variableName('The environment variable that holds the private key (PEM) of this client\'s TLS certificate (default SCOPE_POLICY_TLS_KEY_<APP>_<ENV>; NAME_FILE works too).'),
    scopes: ScopesSchema,
    ...ProviderEnvironmentFields,
  },
  additionalProperties: false,
  description: 'One environment of the app (prod, staging, …).',
}

export const ENVIRONMENT_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$'

/** The JSON Schema (draft-07) of a policy file (docs/policy-files.md); `policyJsonSchema()` adds its `$schema`, `$id` and title. */
export const PolicyFileSchema = {
  type: 'object',
  required: ['app', 'owner', 'provider', 'environments'],
  properties: {
    app: {
      type: 'string',
      pattern: '^[a-z0-9]+(-[a-z0-9]+)*$',
      description: 'App name, kebab-case, equal to the file name (<app>.yaml) and unique in the folder.',
    },
    description: { type: 'string', description: 'What the app does.' },
    owner: {
      type: 'string',
      minLength: 1,
      description: 'Who answers for this app, e.g. a team handle "@org/team".',
    },
    provider: ProviderSchema,
    environments: {
      type: 'object',
      minProperties: 1,
      patternProperties: { [ENVIRONMENT_NAME_PATTERN]: EnvironmentSchema },
      additionalProperties: false,
      description: 'Environment name -> its client, endpoint and scope whitelist.',
    },
  },
  additionalProperties: false,
}

/** A policy file as written, before loading: what `PolicyFileSchema` accepts. */
export interface PolicyFile {
  app: string
  description?: string
  owner: string
  provider: ProviderName
  /** Environment name → its client, endpoint and whitelist. */
  environments: Record<string, {
    clientId: string
    tokenEndpoint: string
    authMethod?: AuthMethod
    dpop?: boolean
    resource?: string
    secretEnv?: string
    privateKeyEnv?: string
    tlsCertEnv?: string
    tlsKeyEnv?: string
    /** Scope name → the reason it is needed (null: none written). */
    scopes: Record<string, string | null>
    audience?: string
    /** Entra app role → the reason it is needed. */
    roles?: Record<string, string | null>
    resources?: string[]
    audiences?: string[]
  }>
}

/** The JSON Schema of a policy file, for editors (yaml-language-server) and `scope-policy schema`. */
export function policyJsonSchema (): Record<string, unknown> {
  // A deep copy that callers may mutate.
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'urn:fastify-app-token:policy-file:v1',
    title: 'fastify-app-token policy file',
    description:
      'One app of policies/<app>.yaml: its owner and, per environment, the client id, token endpoint and the whitelist of scopes it may request.',
    ...structuredClone(PolicyFileSchema),
  }
}
