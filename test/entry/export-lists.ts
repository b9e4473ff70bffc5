// The exact public names of each entry point, as docs/api.md lists them. Adding a name to
// an entry is a change here (and in docs/api.md): test/entry/ fails until both say it.
export interface ExportList {
  /** Names that exist at run time (functions, classes, constants). */
  values: readonly string[]
  /** Names that exist for TypeScript only. */
  types: readonly string[]
}

const token: ExportList = {
  values: [
    'AppToken',
    'AppTokenError',
    'BadResponseError',
    'ClosedError',
    'DpopNotBoundError',
    'HttpError',
    'InsecureEndpointError',
    'InvalidOptionError',
    'NetworkError',
    'OAuthError',
    'RedirectError',
    'ResponseTooLargeError',
    'ScopeNarrowedError',
    'SecretUnavailableError',
    'TimeoutError',
    'TokenCache',
    'fetchToken',
    'memoryStore',
    'tokenFingerprint',
    'tokenMetrics',
  ],
  types: [
    'AppTokenErrorDetails',
    'AuthMethod',
    'ClientAuthOptions',
    'ClientSecret',
    'DpopOption',
    'FetchTokenOptions',
    'FetchedToken',
    'GetTokenOptions',
    'PrivateJwk',
    'PrivateKey',
    'PrivateKeyMaterial',
    'ProofRequest',
    'ProviderName',
    'Quota',
    'RequestOutcome',
    'SharedTokenStore',
    'SigningAlg',
    'StoredToken',
    'TlsClientOptions',
    'TokenCacheOptions',
    'TokenEntryStats',
    'TokenLogger',
    'TokenMetrics',
    'TokenRequestOptions',
    'TokenStats',
  ],
}

const policy: ExportList = {
  values: [
    'PolicyFileSchema',
    'PolicyLoadError',
    'check',
    'checkGeneric',
    'formatFinding',
    'loadPolicyDir',
    'loadPolicyFiles',
    'loadPolicySet',
    'normaliseScopes',
    'policyJsonSchema',
  ],
  types: [
    'AppPolicy',
    'AuthMethod',
    'CheckRequest',
    'CheckResult',
    'EnvironmentPolicy',
    'Finding',
    'LoadOptions',
    'LoadResult',
    'PolicyFile',
    'PolicySet',
    'PolicySource',
    'ProviderName',
    'Severity',
    'SourceLocation',
    'Violation',
    'ViolationCode',
    'WhitelistedScope',
  ],
}

/** By subpath of package.json `exports`. `.` and `./service` extend `./token` and `./policy`. */
export const EXPORTS: Record<string, ExportList> = {
  '.': {
    values: [...token.values, 'RouteScopesError', 'ScopePolicyError', 'appToken', 'default'],
    types: [...token.types, 'AppTokenDecorator', 'AppTokenDispatcherOptions', 'AppTokenOptions', 'AppTokenRequestOptions', 'AppTokenRouteConfig', 'RouteViolation'],
  },
  './token': token,
  './policy': policy,
  './service': {
    values: [...policy.values, 'buildPreflightApp', 'diffPolicySets', 'formatPolicyText', 'serve'],
    types: [...policy.types, 'PolicyChange', 'PolicyDiff', 'PolicyStatus', 'PolicyStore', 'PreflightApp', 'PreflightAppOptions', 'ReloadOutcome', 'Risk', 'ServeOptions'],
  },
  './redis': {
    values: ['redisStore'],
    types: ['RedisStoreOptions', 'SharedTokenStore', 'StoredToken'],
  },
}
