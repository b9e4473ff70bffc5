// The plugin's options: checked against a JSON Schema, with environment fallbacks, the
// policy entry of the client as the source of endpoint, auth method and
// resource. Every failure names the option and the fix.
import { lazyValidator } from '../service/policy/json-schema.js'
import { DEFAULT_AUTH_METHOD } from '../service/policy/rules/auth-method.js'
import type { AppPolicy, AuthMethod, EnvironmentPolicy, PolicySet, ProviderName } from '../service/policy/types.js'
import type { TokenCacheOptions } from './token/cache.js'
import type { ClientSecret } from './token/options.js'
import { CACHE_TUNING, resolveTuning, type CacheTuning } from './token/options.js'
import { asOption, fail, show } from './option-errors.js'
import { resolveCredentials } from './credential-options.js'
import { parseTokenEndpoint } from './token/endpoint.js'
import { checkResource } from './token/scopes.js'
import type { AppTokenEnv } from './env.js'
import type { Scopes } from './types.js'
import { pluginDpop } from './dpop-option.js'
import { parseOrigins } from './dispatcher/origins.js'
import { InvalidOptionError } from './token/errors.js'

/** Token-core options the plugin passes through as they are, checked by the core (see TokenCacheOptions). */
type CoreOptions = CacheTuning & Pick<TokenCacheOptions, 'privateKey' | 'kid' | 'alg' | 'certificate' | 'assertionAudience' | 'tls' | 'dpop'>

/**
 * Options of `app.register(appToken, options)` (docs/plugin.md): the client (RFC 6749 §2.3,
 * §4.4), its default scopes (§3.3), an optional policy folder that supplies the token endpoint
 * and auth method, and the token core's tuning. Every option has an `APP_TOKEN_…` variable.
 *
 * @example
 * ```ts
 * await app.register(appToken, {
 *   clientId: process.env.APP_CLIENT_ID,
 *   clientSecret: process.env.APP_CLIENT_SECRET,
 *   policy: './policies',      // token endpoint and auth method from the entry
 *   environment: 'prod',
 *   scopes: ['read:interaction'],
 * })
 * ```
 */
export interface AppTokenOptions extends CoreOptions {
  /** Env APP_TOKEN_CLIENT_ID. */
  clientId?: string
  /** Env APP_TOKEN_CLIENT_SECRET, or APP_TOKEN_CLIENT_SECRET_FILE (a mounted secret). Secret methods only. */
  clientSecret?: ClientSecret
  /** A policies folder, or a set loaded with loadPolicySet(). Env APP_TOKEN_POLICY. */
  policy?: string | PolicySet
  /** The environment of the client's policy entry (checked when given). Env APP_TOKEN_ENV. */
  environment?: string
  /** Default scopes of requests and of get(). Env APP_TOKEN_SCOPES (space-delimited). */
  scopes?: string[] | string
  /** Default: the policy entry's. Env APP_TOKEN_ENDPOINT. */
  tokenEndpoint?: string
  /** Default: the policy entry's, else client_secret_basic. private_key_jwt reads privateKey (env APP_TOKEN_PRIVATE_KEY / _FILE); the TLS methods tls (env APP_TOKEN_TLS_CERT_FILE, APP_TOKEN_TLS_KEY_FILE, APP_TOKEN_TLS_CA_FILE). */
  authMethod?: AuthMethod
  /** RFC 8707 resource. Default: the policy entry's. */
  resource?: string
  /** Whose rules apply without a policy (docs/providers.md); with one, the policy file's `provider:`. Env APP_TOKEN_PROVIDER. */
  provider?: ProviderName
  /** Sent as the `audience` form parameter. Default: the policy entry's. Env APP_TOKEN_AUDIENCE. */
  audience?: string
  /** Without a policy: further resources a route or get() may ask for. */
  resources?: string[]
  /** Without a policy: further audiences a route or get() may ask for. */
  audiences?: string[]
  /** API origins (`https://host[:port]`; `http:` on loopback only) that app.appToken.dispatcher() and fetch() send the token to. Env APP_TOKEN_ORIGINS (space-delimited). */
  origins?: string[]
  /** Name of both decorators (request.<name>, app.<name>) and of the route config key. */
  name?: string
  /** Hook that resolves request tokens. */
  hook?: 'onRequest' | 'preHandler'
  /** Every route gets a token unless `config: { <name>: false }`; with false, only routes that set it. */
  global?: boolean
  /** 'block': ready() waits for the default token; 'background': ready() starts it. */
  prefetch?: 'block' | 'background' | false
}

/** What index.ts builds the plugin from. */
export interface ResolvedOptions {
  name: string
  hook: 'onRequest' | 'preHandler'
  global: boolean
  prefetch: 'block' | 'background' | false
  clientId: string
  /** Default scopes, as given (the check normalises them). */
  scopes: Scopes
  /** True when the default scopes were configured (option or env), so they are checked at register. */
  scopesGiven: boolean
  resource: string | undefined
  audience: string | undefined
  provider: ProviderName
  /** What a route or get() may ask for besides `resource` / `audience` (without a policy). */
  resources: readonly string[]
  audiences: readonly string[]
  /** The API origins that get the token, normalised; undefined when not given. */
  origins: readonly string[] | undefined
  /** The policy entry's `roles:` (Entra): expected in the token's `roles` claim. */
  roles: readonly string[]
  /** The variable a core option came from, for the core's errors (asOption). */
  optionLabels: Readonly<Record<string, string>>
  tokenEndpoint: string
  authMethod: AuthMethod | undefined
  environment: string | undefined
  /** The policy and the client's entry in it; undefined without `policy`. */
  policy: { set: PolicySet; app: AppPolicy; entry: EnvironmentPolicy } | undefined
  /** The secret as given (option or env); secretFile when it comes from APP_TOKEN_CLIENT_SECRET_FILE. */
  clientSecret: ClientSecret | undefined
  secretFile: string | undefined
  /** Options passed through to the token core as they are. */
  passThrough: CoreOptions
}

// The plugin's own plain-data options; objects and functions are checked by hand below, the
// token core's options (authMethod, provider, clientSecret, privateKey, kid, alg, …) by the core.
const OptionsSchema = {
  type: 'object',
  properties: {
    clientId: { type: 'string', minLength: 1, description: 'a non-empty string: the client id the developer portal shows (or env APP_TOKEN_CLIENT_ID)' },
    environment: { type: 'string', minLength: 1, description: 'the name of an environment of the client\'s policy entry, e.g. "prod" (or env APP_TOKEN_ENV)' },
    scopes: { anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'string' }], description: 'an array of scope strings or a space-delimited string (or env APP_TOKEN_SCOPES)' },
    tokenEndpoint: { type: 'string', minLength: 1, description: 'the token endpoint URL, https: (http: only on loopback) (or env APP_TOKEN_ENDPOINT)' },
    resource: { type: 'string', minLength: 1, description: 'an absolute URI (RFC 8707 resource indicator)' },
    audience: { type: 'string', minLength: 1, description: 'a non-empty string, e.g. the API identifier (or env APP_TOKEN_AUDIENCE)' },
    resources: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'an array of absolute URIs (RFC 8707 resource indicators)' },
    audiences: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'an array of non-empty strings' },
    origins: { type: 'array', items: { type: 'string' }, description: 'an array of origins, e.g. [\'https://api.example.com\'] (or env APP_TOKEN_ORIGINS)' },
    name: { type: 'string', pattern: '^[A-Za-z_$][A-Za-z0-9_$]*$', description: 'a JavaScript identifier, e.g. "billingToken"' },
    hook: { enum: ['onRequest', 'preHandler'], description: "'onRequest' or 'preHandler'" },
    global: { type: 'boolean', description: 'true or false' },
    prefetch: { enum: ['block', 'background', false], description: "'block', 'background' or false" },
  },
}

const validate = lazyValidator(OptionsSchema)

const OPTION_NAMES = [...Object.keys(OptionsSchema.properties), 'authMethod', 'provider', 'clientSecret', 'privateKey', 'kid', 'alg', 'certificate',
  'assertionAudience', 'tls', 'policy', 'dpop', ...CACHE_TUNING]
/** Fastify's own register options, which reach the plugin too. */
const FASTIFY_OPTIONS = ['prefix', 'logLevel', 'logSerializers']

function checkShape (opts: AppTokenOptions): void {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) fail('options', 'pass an options object to app.register(appToken, { ... })')
  for (const key of Object.keys(opts)) {
    // A misspelt option would otherwise be ignored silently.
    if (!OPTION_NAMES.includes(key) && !FASTIFY_OPTIONS.includes(key)) fail(key, `unknown option; the options are: ${OPTION_NAMES.join(', ')}`)
  }
  // The first error, in the order of the schema's properties.
  const [error] = validate(opts)
  if (error !== undefined) {
    const option = error.instancePath.split('/')[1] ?? 'options'
    const schema = (OptionsSchema.properties as Record<string, { description: string } | undefined>)[option]
    fail(option, `must be ${schema?.description ?? error.message} (got ${show((opts as Record<string, unknown>)[option])})`)
  }
  const { policy } = opts
  asOption(() => resolveTuning(opts))
  if (policy !== undefined && (typeof policy === 'string' ? policy === '' : !(policy?.byClientId instanceof Map))) {
    fail('policy', 'must be a policies folder path or a PolicySet from loadPolicySet() (or env APP_TOKEN_POLICY)')
  }
}

/** https:, or http: on a loopback host only (docs/plugin.md): the core's rule, reported as this option. */
function checkEndpoint (url: string, option: string): void {
  try {
    parseTokenEndpoint(url)
  } catch (err) {
    const { message, hint } = err as { message: string; hint?: string }
    fail(option, `${message}${hint === undefined ? '' : `. ${hint}`}`)
  }
}

async function loadPolicy (policy: string | PolicySet): Promise<PolicySet> {
  if (typeof policy !== 'string') return policy
  // The loader (and the YAML parser) is loaded only for a policies folder.
  const { loadPolicySet, PolicyLoadError } = await import('../service/policy/loader.js')
  try {
    return await loadPolicySet(policy)
  } catch (err) {
    if (!(err instanceof PolicyLoadError)) throw err
    // The message lists every error as file:line:col.
    fail('policy', `${err.message}\n  fix them (scope-policy lint ${policy} shows them too)`)
  }
}

/** An option that differs from the policy entry fails at register, as tokenEndpoint does. */
function sameAsPolicy (option: string, value: string | undefined, entry: string | undefined, clientId: string, at: string): void {
  if (value === undefined || value === entry) return
  fail(option, `${show(value)} differs from the policy entry of ${clientId} (${entry === undefined ? 'none set' : show(entry)}, ${at}): drop the option, or change the policy in a reviewed pull request`)
}

export async function resolveOptions (opts: AppTokenOptions, env: AppTokenEnv): Promise<ResolvedOptions> {
  checkShape(opts)
  const clientId = opts.clientId ?? env.APP_TOKEN_CLIENT_ID
  if (clientId === undefined) fail('clientId', 'missing: pass clientId or set APP_TOKEN_CLIENT_ID')

  const environment = opts.environment ?? env.APP_TOKEN_ENV
  const policyOption = opts.policy ?? env.APP_TOKEN_POLICY
  let policy: ResolvedOptions['policy']
  if (policyOption !== undefined) {
    const set = await loadPolicy(policyOption)
    const found = set.byClientId.get(clientId)
    const where = typeof policyOption === 'string' ? policyOption : set.dir
    if (found === undefined) {
      fail('clientId', `${show(clientId)} has no entry in the policies (${where}): add it as environments.<env>.clientId of its app's file, or fix the client id`)
    }
    if (environment !== undefined && found.environment.name !== environment) {
      fail('environment', `${show(environment)} does not match the policy entry of ${clientId}, which is ${found.app.app}/${found.environment.name} (${found.environment.at.file}:${found.environment.at.line}): fix environment or the policy`)
    }
    policy = { set, app: found.app, entry: found.environment }
  }

  const endpointOption = opts.tokenEndpoint !== undefined ? 'tokenEndpoint' : 'APP_TOKEN_ENDPOINT'
  const tokenEndpoint = opts.tokenEndpoint ?? env.APP_TOKEN_ENDPOINT ?? policy?.entry.tokenEndpoint
  if (tokenEndpoint === undefined) {
    fail('tokenEndpoint', 'missing: pass tokenEndpoint or set APP_TOKEN_ENDPOINT (or pass policy, whose entry for the client names it)')
  }
  checkEndpoint(tokenEndpoint, policy !== undefined && tokenEndpoint === policy.entry.tokenEndpoint ? 'policy' : endpointOption)
  if (policy !== undefined && tokenEndpoint !== policy.entry.tokenEndpoint) {
    fail(endpointOption, `${tokenEndpoint} differs from the policy entry of ${clientId} (${policy.entry.tokenEndpoint}, ${policy.entry.at.file}:${policy.entry.at.line}): drop the option, or change the policy in a reviewed pull request`)
  }

  // A name the core does not know fails there, reported as the variable it came from.
  const provider = (opts.provider ?? env.APP_TOKEN_PROVIDER) as ProviderName | undefined
  const audience = opts.audience ?? env.APP_TOKEN_AUDIENCE
  if (policy !== undefined) {
    const { app, entry } = policy
    const at = `${entry.at.file}:${entry.at.line}`
    // The policy entry is the reviewed source: an option may repeat it, never change it.
    sameAsPolicy(opts.provider !== undefined ? 'provider' : 'APP_TOKEN_PROVIDER', provider, app.provider, clientId, `${app.file}`)
    sameAsPolicy('resource', opts.resource, entry.resource, clientId, at)
    sameAsPolicy(opts.audience !== undefined ? 'audience' : 'APP_TOKEN_AUDIENCE', audience, entry.audience, clientId, at)
    sameAsPolicy('authMethod', opts.authMethod, entry.authMethod, clientId, at)
    if (opts.resources !== undefined || opts.audiences !== undefined) {
      fail(opts.resources !== undefined ? 'resources' : 'audiences', `comes from the policy entry of ${clientId} (${at}) when policy is given: drop the option, or list the values under resources:/audiences: there`)
    }
  }
  const resource = opts.resource ?? policy?.entry.resource
  for (const value of [resource, ...opts.resources ?? []]) {
    try {
      checkResource(value)
    } catch (err) {
      fail(value === resource ? 'resource' : 'resources', (err as Error).message)
    }
  }

  const authMethod = opts.authMethod ?? policy?.entry.authMethod
  const credentials = await resolveCredentials(opts, env, authMethod ?? DEFAULT_AUTH_METHOD)
  const scopesOption = opts.scopes ?? env.APP_TOKEN_SCOPES
  const origins = opts.origins ?? originsFromEnv(env.APP_TOKEN_ORIGINS)
  const { dispatcher, store, onScopeNarrowed, defaultLifetime, clockSkew, maxLifetime, timeout, maxWait, maxResponseBytes, retry, storeTimeout, maxEntries, kid, alg, certificate, assertionAudience } = opts
  const core = { dispatcher, store, onScopeNarrowed, defaultLifetime, clockSkew, maxLifetime, timeout, maxWait, maxResponseBytes, retry, storeTimeout, maxEntries }
  const dpop = await pluginDpop(opts.dpop, env, policy?.entry, clientId)
  const signing = definedOnly({ privateKey: credentials.privateKey, tls: credentials.tls, kid, alg, certificate, assertionAudience, dpop })
  // The shared store's lease (docs/redis.md).
  const lease = definedOnly({ lockTtl: opts.lockTtl })
  return {
    name: opts.name ?? 'appToken',
    hook: opts.hook ?? 'onRequest',
    global: opts.global ?? true,
    prefetch: opts.prefetch ?? false,
    clientId,
    scopes: scopesOption ?? [],
    scopesGiven: scopesOption !== undefined,
    resource,
    audience: audience ?? policy?.entry.audience,
    provider: policy?.app.provider ?? provider ?? 'generic',
    resources: policy?.entry.resources ?? opts.resources ?? [],
    audiences: policy?.entry.audiences ?? opts.audiences ?? [],
    origins: origins === undefined ? undefined : parseOrigins(origins, opts.origins === undefined ? 'APP_TOKEN_ORIGINS' : 'option origins'),
    roles: [...policy?.entry.roles?.keys() ?? []],
    optionLabels: opts.provider === undefined && env.APP_TOKEN_PROVIDER !== undefined ? { provider: 'APP_TOKEN_PROVIDER' } : {},
    tokenEndpoint,
    authMethod,
    environment,
    policy,
    clientSecret: credentials.clientSecret,
    secretFile: credentials.secretFile,
    passThrough: { ...core, onInvalidClient: credentials.onInvalidClient, ...signing, ...lease }
  }
}

/** The object without its undefined members: the core tells "not given" from "given". */
function definedOnly<T extends object> (values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>
}

/** APP_TOKEN_ORIGINS: space-delimited, as APP_TOKEN_SCOPES. */
function originsFromEnv (value: string | undefined): string[] | undefined {
  const origins = value?.split(/\s+/).filter((origin) => origin !== '')
  if (origins?.length === 0) {
    throw new InvalidOptionError('environment variable APP_TOKEN_ORIGINS holds no origin: unset it or list origins, space-delimited, e.g. APP_TOKEN_ORIGINS=https://api.example.com', { option: 'origins' })
  }
  return origins
}
