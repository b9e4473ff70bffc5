// TypeBox schemas of the preflight API (docs/preflight-api.md): request validation, response
// serialization and the OpenAPI document all come from these. TypeBox is an optional peer
// (peers.ts): the schemas are built with the TypeBox it loads, when the first app is built.
import type { Type as TypeBuilder } from '@sinclair/typebox'
import type { AuthMethod, ViolationCode } from '../policy/types.js'
import { AUTH_METHODS } from '../policy/rules/auth-method.js'
import { servicePeers } from './peers.js'

// A record, so that a code added to ViolationCode fails to compile until listed here.
export const violationCodes: Record<ViolationCode, true> = {
  unknown_client: true,
  not_whitelisted: true,
  case_mismatch: true,
  near_miss: true,
  user_scope: true,
  malformed: true,
  empty: true,
  provider_rule: true,
  missing_audience: true,
  resource_not_allowed: true,
  audience_not_allowed: true,
}

/** Request limits: each breach is a 400 naming the limit. */
export const LIMITS = {
  bodyBytes: 64 * 1024,
  scopes: 100,
  scopeLength: 256,
  clientIdLength: 256,
  environmentLength: 64,
  targetLength: 2048,
} as const

// The longest space-delimited string that can still hold LIMITS.scopes tokens.
const scopeStringLength = LIMITS.scopes * (LIMITS.scopeLength + 1)

function build (Type: typeof TypeBuilder) {
  // A plain string enum: serialized as a string (an anyOf of literals would make the
  // serializer test each branch) and shown as `enum` in the OpenAPI document.
  const stringEnum = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ type: 'string', enum: values })

  const PreflightBody = Type.Object(
    {
      clientId: Type.String({ minLength: 1, maxLength: LIMITS.clientIdLength }),
      environment: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.environmentLength })),
      scopes: Type.Union(
        [
          // RFC 6749 §3.3: a space-delimited list.
          Type.String({ maxLength: scopeStringLength, description: 'space-delimited scopes' }),
          Type.Array(Type.String({ maxLength: LIMITS.scopeLength }), { maxItems: LIMITS.scopes }),
        ],
        { description: 'the scopes the client would request' }
      ),
      resource: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.targetLength, description: 'RFC 8707 resource instead of the entry\'s: it must be the entry\'s or in its `resources`' })),
      audience: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.targetLength, description: 'audience instead of the entry\'s: it must be the entry\'s or in its `audiences`' })),
    },
    { additionalProperties: false }
  )

  const PreflightAllowed = Type.Object(
    {
      allowed: Type.Literal(true),
      app: Type.String(),
      environment: Type.String(),
      scopes: Type.Array(Type.String(), { description: 'normalised, de-duplicated scopes that would be sent' }),
      warnings: Type.Optional(Type.Array(Type.String(), { description: 'what the provider may do differently though the request passes (e.g. Auth0 without audience)' })),
    },
    { description: 'The request would pass' }
  )

  const ViolationSchema = Type.Object({
    scope: Type.String(),
    code: stringEnum(Object.keys(violationCodes) as ViolationCode[]),
    message: Type.String(),
    suggestion: Type.Optional(Type.String()),
  })

  const PreflightDenied = Type.Object(
    {
      allowed: Type.Literal(false),
      error: stringEnum(['invalid_scope', 'invalid_client', 'invalid_target'] as const),
      error_description: Type.String(),
      violations: Type.Array(ViolationSchema),
    },
    { description: 'The request would be refused: each violation says what to change' }
  )

  /** Fastify's own error shape, kept for every error but the 422. */
  const errorBody = (description: string) =>
    Type.Object(
      { statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() },
      { description }
    )

  const Errors = {
    400: errorBody('Malformed request; `message` says what is wrong'),
    401: errorBody('API keys are set and the request has no valid `Authorization: Bearer <key>`'),
    404: errorBody('No policy has this clientId'),
    413: errorBody('The body is over the size limit'),
    415: errorBody('The content type is not application/json'),
  }

  const ClientParams = Type.Object(
    { clientId: Type.String({ minLength: 1, maxLength: LIMITS.clientIdLength }) },
    { additionalProperties: false }
  )

  const ClientPolicy = Type.Object(
    {
      clientId: Type.String(),
      app: Type.String(),
      environment: Type.String(),
      owner: Type.String(),
      description: Type.Optional(Type.String()),
      tokenEndpoint: Type.String(),
      authMethod: stringEnum<AuthMethod>(AUTH_METHODS),
      dpop: Type.Optional(Type.Literal(true, { description: 'the client asks for DPoP-bound tokens (RFC 9449); left out otherwise' })),
      resource: Type.Optional(Type.String()),
      provider: Type.Optional(Type.String({ description: 'rule profile of the token provider (docs/providers.md); left out for generic, the default' })),
      audience: Type.Optional(Type.String()),
      roles: Type.Optional(Type.Array(Type.Object({ name: Type.String(), reason: Type.String() }), {
        description: 'Entra application permissions expected in the token\'s roles claim',
      })),
      scopes: Type.Array(Type.Object({ name: Type.String(), reason: Type.String() }), {
        description: 'the whitelist; an empty list means the app may request no scope',
      }),
      source: Type.String({ description: 'file:line of the whitelist, where a change is made (relative to the policy folder)' }),
    },
    { description: 'What the policy lets this clientId request' }
  )

  const Health = Type.Object({ status: Type.Literal('ok') }, { description: 'The process is up' })

  const Ready = Type.Object(
    { status: Type.Literal('ready'), apps: Type.Integer(), loadedAt: Type.String({ format: 'date-time' }) },
    { description: 'The policy folder is valid and in force' }
  )

  const NotReady = Type.Object(
    {
      status: Type.Literal('not_ready'),
      reason: Type.String(),
      files: Type.Array(Type.String()),
      findings: Type.Array(Type.String(), { description: 'file:line:col: severity code (no message, no text of the file)' }),
    },
    { description: 'The last reload was refused: the last good set serves, these findings block the new one' }
  )

  const CatalogueScopeSchema = Type.Object({
    name: Type.String(),
    reason: Type.String(),
    source: Type.String({ description: 'file:line of the scope (relative to the policy folder)' }),
  })

  const CatalogueEnvironmentSchema = Type.Object({
    name: Type.String(),
    clientId: Type.String(),
    tokenEndpoint: Type.String({ description: 'origin and path only: a query string may carry secrets' }),
    authMethod: stringEnum<AuthMethod>(AUTH_METHODS),
    dpop: Type.Optional(Type.Literal(true, { description: 'DPoP-bound tokens (RFC 9449)' })),
    resource: Type.Optional(Type.String({ description: 'without its query string' })),
    source: Type.String({ description: 'file:line of the whitelist (relative to the policy folder)' }),
    scopes: Type.Array(CatalogueScopeSchema),
  })

  const AppList = Type.Object(
    {
      apps: Type.Array(
        Type.Object({
          app: Type.String(),
          owner: Type.String(),
          provider: Type.String(),
          description: Type.Optional(Type.String()),
          file: Type.String(),
          environments: Type.Array(CatalogueEnvironmentSchema),
        })
      ),
    },
    { description: 'Every app of the policy set in force, by name' }
  )

  return { PreflightBody, PreflightAllowed, PreflightDenied, Errors, ClientParams, ClientPolicy, Health, Ready, NotReady, AppList }
}

/** The API's schemas, by name. */
export type ServiceSchemas = ReturnType<typeof build>

let built: ServiceSchemas | undefined

/** The schemas, built once; without TypeBox, FST_APP_TOKEN_MISSING_PEER as for every peer. */
export function serviceSchemas (): ServiceSchemas {
  built ??= build(servicePeers().typebox.Type)
  return built
}
