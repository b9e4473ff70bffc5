// Parses and checks ONE policy file: YAML syntax, schema, then the rules of docs/policy-files.md that a
// single file can break. Rules across files (duplicate apps and client ids) live in loader.ts.
import { isAlias, isMap, isScalar, type Node, type YAMLMap } from 'yaml'
import { FileCheck, pairAt } from './file-check.js'
import { lazyValidator } from './json-schema.js'
import { quote } from './findings.js'
import { scanNodes } from './node-scan.js'
import { DEFAULT_AUTH_METHOD } from './rules/auth-method.js'
import { resourceProblem } from './rules/resource.js'
import { tokenEndpointProblem } from './rules/token-endpoint.js'
import { commaListMessage, notScopeTokenMessage, userScopeMessage } from './rules/scope-messages.js'
import { lintProviderEntry, providerFields } from './provider-lint.js'
import { profileOf } from './providers/index.js'
import { PolicyFileSchema, type PolicyFile } from './schema.js'
import { schemaErrors, schemaMessage, type Path } from './schema-messages.js'
import { commaListParts, hasWildcard, isScopeToken, USER_SCOPES } from './scope-grammar.js'
import { VARIABLE_NAME_FIELDS } from './secret-env.js'
import { keyText, readYaml } from './yaml-source.js'
import type { AppPolicy, EnvironmentPolicy, Finding, SourceLocation, WhitelistedScope } from './types.js'

const validate = lazyValidator(PolicyFileSchema)

/** Most scopes one environment may whitelist (docs/policy-files.md). */
export const MAX_SCOPES_PER_ENVIRONMENT = 1000

/** A clientId or app name as written, for the loader's checks across files. */
export interface Occurrence {
  value: string
  at: SourceLocation
  app: string
  environment?: string
}

export interface ParsedFile {
  findings: Finding[]
  /** Null when the file has an error. */
  policy: AppPolicy | null
  appName: Occurrence | null
  clientIds: Occurrence[]
}

/** `app.yaml` / `dir/app.yml` → `app`. */
export function appNameOf (file: string): string {
  const base = file.slice(file.lastIndexOf('/') + 1)
  return base.replace(/\.ya?ml$/i, '')
}

function parseYaml (c: FileCheck): boolean {
  const { doc, problems } = readYaml(c.text, c.lc)
  for (const p of problems) {
    const at = c.loc(p.offset)
    if (p.severity === 'error') c.error(at, p.kind, p.message)
    else c.warn(at, 'yaml-syntax', p.message)
  }
  if (problems.some((p) => p.severity === 'error')) return false
  const contents = doc.contents
  if (contents === null || (isScalar(contents) && contents.value === null)) {
    c.error(c.loc(0), 'schema', 'the file is empty: a policy file is a mapping with app, owner, provider and environments')
    return false
  }
  if (!isMap(contents)) {
    c.error(c.nodeLoc(contents), 'schema', 'a policy file is a mapping with app, owner, provider and environments')
    return false
  }
  c.doc = doc
  c.root = contents
  return true
}

function checkSchema (c: FileCheck, js: unknown): void {
  for (const e of schemaErrors(validate(js))) {
    if (c.isFlagged(e.path)) continue
    const { message, prefer } = schemaMessage(e)
    c.error(c.locOf(e.path, prefer), 'schema', message, e.path)
  }
}

function stringAt (c: FileCheck, map: YAMLMap, path: Path): { value: string; at: SourceLocation } | null {
  const pair = pairAt(map, path[path.length - 1] ?? '')
  if (!pair || c.isFlagged(path) || !isScalar(pair.value) || typeof pair.value.value !== 'string') return null
  return { value: pair.value.value, at: c.nodeLoc(pair.value) }
}

function checkScopeName (c: FileCheck, name: string, at: SourceLocation, path: Path, userScopeRule: boolean): boolean {
  if (hasWildcard(name)) {
    c.error(at, 'wildcard', `scope ${quote(name)} has a wildcard: list each scope by its exact name (RFC 6749 §3.3 has no patterns)`, path)
  } else if (commaListParts(name) !== null) {
    const parts = commaListParts(name) ?? []
    c.error(at, 'comma-list', commaListMessage(name, `write one key per scope (${parts.join(', ')})`), path)
  } else if (!isScopeToken(name)) {
    c.error(at, 'malformed-scope', notScopeTokenMessage(name), path)
  } else if (userScopeRule && USER_SCOPES.has(name)) {
    c.error(at, 'user-scope', userScopeMessage(name), path)
  } else {
    return true
  }
  return false
}

interface EnvDraft {
  name: string
  at: SourceLocation
  scopesAt: SourceLocation
  scopes: Map<string, WhitelistedScope>
  roles?: Map<string, WhitelistedScope> | undefined
}

/** The rules on values: names, URLs, scope keys and reasons. Collects what the build needs. */
function checkValues (c: FileCheck, parsed: ParsedFile): EnvDraft[] {
  const root = c.root as YAMLMap
  const fileApp = appNameOf(c.file)
  const app = stringAt(c, root, ['app'])
  const appName = app?.value ?? fileApp
  if (app) {
    parsed.appName = { value: app.value, at: app.at, app: app.value }
    if (app.value !== fileApp) {
      c.error(
        app.at,
        'app-name-mismatch',
        `app ${quote(app.value)} does not match the file name ${quote(c.file)}: rename the file to ${app.value}.yaml or set app: ${fileApp}`
      )
    }
  }
  const profile = profileOf(stringAt(c, root, ['provider'])?.value)
  const drafts: EnvDraft[] = []
  const envs = pairAt(root, 'environments')?.value
  if (!isMap(envs) || c.isFlagged(['environments'])) return drafts
  for (const envPair of envs.items) {
    const name = keyText(envPair)
    const env = envPair.value
    if (name === null || !isMap(env) || c.isFlagged(['environments', name])) continue
    const base = ['environments', name]
    const clientId = stringAt(c, env, [...base, 'clientId'])
    if (clientId) parsed.clientIds.push({ value: clientId.value, at: clientId.at, app: appName, environment: name })
    const endpoint = stringAt(c, env, [...base, 'tokenEndpoint'])
    const endpointProblem = endpoint && tokenEndpointProblem(endpoint.value)
    if (endpoint && endpointProblem) c.error(endpoint.at, endpointProblem.code, endpointProblem.message)
    const resource = stringAt(c, env, [...base, 'resource'])
    const resProblem = resource && resourceProblem(resource.value)
    if (resource && resProblem) c.error(resource.at, resProblem.code, resProblem.message)

    const scopesPair = pairAt(env, 'scopes')
    if (!scopesPair || !isMap(scopesPair.value) || c.isFlagged([...base, 'scopes'])) continue
    if (scopesPair.value.items.length > MAX_SCOPES_PER_ENVIRONMENT) {
      c.error(
        c.nodeLoc(scopesPair.key as Node),
        'too-many-scopes',
        `environment ${quote(name)} whitelists ${scopesPair.value.items.length} scopes, more than ${MAX_SCOPES_PER_ENVIRONMENT}: a client_credentials app needs a handful; split it into apps with one job each`,
        [...base, 'scopes']
      )
      continue
    }
    const draft: EnvDraft = {
      name,
      at: c.nodeLoc(envPair.key as Node),
      scopesAt: c.nodeLoc(scopesPair.key as Node),
      scopes: new Map(),
    }
    const byLowercase = new Map<string, WhitelistedScope>()
    for (const scopePair of scopesPair.value.items) {
      const scope = keyText(scopePair)
      if (scope === null || isAlias(scopePair.key)) continue
      const path = [...base, 'scopes', scope]
      const at = c.nodeLoc(scopePair.key as Node)
      if (c.isFlagged(path) || !checkScopeName(c, scope, at, path, profile.userScopeRule)) continue
      const twin = byLowercase.get(scope.toLowerCase())
      if (twin) {
        c.warn(
          at,
          'case-collision',
          `scope ${quote(scope)} differs from ${quote(twin.name)} (line ${twin.at.line}) only in letter case: scopes are case-sensitive, keep the spelling the provider's portal shows`
        )
      }
      const value = scopePair.value
      const reason = isScalar(value) && typeof value.value === 'string' ? value.value : ''
      if (!c.isFlagged(path) && (value === null || (isScalar(value) && (value.value === null || reason.trim() === '')))) {
        c.warn(at, 'missing-reason', `scope ${quote(scope)} has no reason: say why the app needs it (ticket, feature) for reviewers`)
      }
      const entry: WhitelistedScope = { name: scope, reason, at }
      draft.scopes.set(scope, entry)
      byLowercase.set(scope.toLowerCase(), entry)
    }
    draft.roles = lintProviderEntry(c, profile, env, base, draft)
    drafts.push(draft)
  }
  return drafts
}

function build (c: FileCheck, js: PolicyFile, drafts: EnvDraft[]): AppPolicy {
  const environments = new Map<string, EnvironmentPolicy>()
  for (const draft of drafts) {
    const env = js.environments[draft.name]
    if (!env) continue
    environments.set(draft.name, {
      name: draft.name,
      clientId: env.clientId,
      tokenEndpoint: env.tokenEndpoint,
      authMethod: env.authMethod ?? DEFAULT_AUTH_METHOD,
      ...(env.dpop === true ? { dpop: true as const } : {}),
      ...(env.resource !== undefined ? { resource: env.resource } : {}),
      ...Object.fromEntries(VARIABLE_NAME_FIELDS.filter((f) => env[f] !== undefined).map((f) => [f, env[f]])),
      ...providerFields(env, draft.roles),
      scopes: draft.scopes,
      scopesAt: draft.scopesAt,
      at: draft.at,
    })
  }
  return {
    app: js.app,
    ...(js.description !== undefined ? { description: js.description } : {}),
    owner: js.owner,
    provider: js.provider,
    file: c.file,
    environments,
  }
}

/** Never throws: every problem, even an unexpected one, becomes a finding. */
export function parsePolicyFile (file: string, text: string): ParsedFile {
  const parsed: ParsedFile = { findings: [], policy: null, appName: null, clientIds: [] }
  const c = new FileCheck(file, text)
  try {
    if (!parseYaml(c) || !scanNodes(c)) return { ...parsed, findings: c.findings }
    const js: unknown = c.doc?.toJS()
    checkSchema(c, js)
    const drafts = checkValues(c, parsed)
    if (!c.findings.some((f) => f.severity === 'error')) parsed.policy = build(c, js as PolicyFile, drafts)
  } catch (e) {
    // e.g. nesting deep enough to exhaust the stack: report it, never a stack trace.
    c.error(c.loc(0), 'yaml-syntax', `the file could not be read (${e instanceof Error ? e.name : 'unknown error'})`)
  }
  parsed.findings = c.findings
  return parsed
}
