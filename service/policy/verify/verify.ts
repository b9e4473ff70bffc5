// `scope-policy verify` without the CLI (docs/verify.md): one token request per app and
// environment, a second one only after a transient failure, a few in flight at once.
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { AppPolicy, EnvironmentPolicy, PolicySet } from '../types.js'
import { classifyFailure, classifyGrant, type Entry } from './classify.js'
import { asFailure, type TokenFetchFailure, type TokenFetcher, type TokenGrant } from './fetcher.js'
import { profileFor, type VerifyProfile } from './profile.js'
import { lookUpSecret } from './secret.js'
import { hostRefusal } from './hosts.js'
import { variableProblems, type VariableProblem } from '../secret-env.js'
import { FAILING, STATUSES, type FailOn, type VerifyReport, type VerifyResult, type VerifyStatus } from './types.js'

export interface VerifyOptions {
  fetchToken: TokenFetcher
  /** Where credentials are looked up (SCOPE_POLICY_SECRET_…, `secretEnv`, `privateKeyEnv`, `tlsCertEnv`/`tlsKeyEnv`, NAME_FILE). */
  env: NodeJS.ProcessEnv
  /** Only this app / this environment; the others are left out of the report. */
  app?: string
  environment?: string
  failOn?: FailOn
  /** Token requests in flight at once. Default 4. */
  concurrency?: number
  /** Variables outside `SCOPE_POLICY_…` that an entry's `…Env` field may name (`--allow-env`). */
  allowEnv?: readonly string[]
  /** Hosts a credential may be sent to (`--allow-host`); an entry elsewhere is skipped. Default: any. */
  allowHost?: readonly string[]
  /** ms per token request. Default 10000. */
  timeout?: number
  /** ms before the one retry of a transient failure, unless Retry-After says more. Default 1000. */
  retryDelay?: number
  /** A Retry-After longer than this (ms) is not waited for: the entry is unreachable. Default 10000. */
  maxRetryWait?: number
}

export const VERIFY_DEFAULTS = { concurrency: 4, timeout: 10_000, retryDelay: 1000, maxRetryWait: 10_000 }

interface Target { app: AppPolicy; env: EnvironmentPolicy }

/** The entries `--app` / `--env` select, in app and environment order. */
export function selectEntries (policies: PolicySet, app?: string, environment?: string): Target[] {
  const targets: Target[] = []
  for (const a of [...policies.apps.values()].sort((x, y) => (x.app < y.app ? -1 : x.app > y.app ? 1 : 0))) {
    if (app !== undefined && a.app !== app) continue
    for (const env of a.environments.values()) {
      if (environment === undefined || env.name === environment) targets.push({ app: a, env })
    }
  }
  return targets
}

type Attempt = { grant: TokenGrant } | { failure: TokenFetchFailure }

async function attempt (fetch: TokenFetcher, request: Parameters<TokenFetcher>[0]): Promise<Attempt> {
  try {
    return { grant: await fetch(request) }
  } catch (err) {
    return { failure: asFailure(err) }
  }
}

/** Why no credential may be read for this entry: a policy change must never steer a secret (docs/verify.md). */
function refusal (env: EnvironmentPolicy, problems: ReadonlyMap<EnvironmentPolicy, VariableProblem[]>, options: VerifyOptions): string | null {
  const host = options.allowHost === undefined ? null : hostRefusal(env.tokenEndpoint, options.allowHost)
  if (host !== null) return host
  const found = problems.get(env)
  return found === undefined ? null : found.map((p) => p.message).join('; ')
}

async function verifyEntry (target: Target, policies: PolicySet, problems: ReadonlyMap<EnvironmentPolicy, VariableProblem[]>, options: VerifyOptions): Promise<VerifyResult> {
  const { app, env } = target
  const profile = profileFor(app)
  const whitelist = [...env.scopes.keys()].sort()
  const head = { app: app.app, environment: env.name, clientId: env.clientId, requested: whitelist }
  const skipped = (message: string): VerifyResult => ({ ...head, status: 'skipped', granted: [], grantedFrom: 'none', missing: [], extra: [], requests: 0, message })
  const refused = refusal(env, problems, options)
  if (refused !== null) return skipped(refused)
  const lookup = await lookUpSecret(app, env, options.env)
  if (lookup.credentials === null) return skipped(lookup.why)
  const request = {
    ...profile.request(env),
    provider: app.provider,
    tokenEndpoint: env.tokenEndpoint,
    clientId: env.clientId,
    ...lookup.credentials,
    authMethod: env.authMethod,
    // A use_dpop_nonce round trip happens inside this one request (docs/verify.md).
    ...(env.dpop === true ? { dpop: true } : {}),
    timeout: options.timeout ?? VERIFY_DEFAULTS.timeout,
  }
  const entry: Entry = {
    clientId: env.clientId,
    whitelistAt: `${join(policies.dir, env.scopesAt.file)}:${env.scopesAt.line}`,
    secretFrom: lookup.from,
    dpop: env.dpop === true,
  }
  let requests = 1
  let result = await attempt(options.fetchToken, request)
  if ('failure' in result && result.failure.transient === true) {
    // One retry only: a nightly audit must not hammer an endpoint that is down.
    const wait = Math.max(options.retryDelay ?? VERIFY_DEFAULTS.retryDelay, (result.failure.retryAfter ?? 0) * 1000)
    if (wait <= (options.maxRetryWait ?? VERIFY_DEFAULTS.maxRetryWait)) {
      await sleep(wait)
      requests = 2
      result = await attempt(options.fetchToken, request)
    }
  }
  const outcome = 'grant' in result
    ? classifyRead(profile.read(env, result.grant), entry)
    : classifyFailure(result.failure, requests, entry)
  return { ...head, ...outcome, requests }
}

/** The grant as the provider profile reads it, classified. */
function classifyRead (read: ReturnType<VerifyProfile['read']>, entry: Entry): ReturnType<typeof classifyGrant> {
  return classifyGrant(read.grant, read, entry)
}

/** Runs `worker` over `items` with at most `limit` at once; results keep the items' order. */
async function mapBounded<T, R> (items: readonly T[], limit: number, worker: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const lane = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await worker(items[i] as T)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
  return results
}

export async function verifyPolicies (policies: PolicySet, options: VerifyOptions): Promise<VerifyReport> {
  const failOn = options.failOn ?? 'drift'
  const targets = selectEntries(policies, options.app, options.environment)
  // Over every entry, not only the selected ones: a variable shared with a filtered-out entry still is.
  const problems = variableProblems(policies.apps.values(), new Set(options.allowEnv ?? []))
  const results = await mapBounded(targets, options.concurrency ?? VERIFY_DEFAULTS.concurrency, (t) => verifyEntry(t, policies, problems, options))
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<VerifyStatus, number>
  for (const r of results) counts[r.status]++
  return {
    summary: {
      dir: policies.dir,
      failOn,
      entries: results.length,
      failing: results.filter((r) => FAILING[failOn].includes(r.status)).length,
      counts,
    },
    results,
  }
}
