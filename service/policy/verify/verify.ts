// `scope-policy verify` without the CLI (docs/verify.md): one token request per app and
// environment, a second one only after a transient failure, a few in flight at once.
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { AppPolicy, EnvironmentPolicy, PolicySet } from '../types.js'
import { classifyFailure, classifyGrant, type Entry } from './classify.js'
import { asFailure, type TokenFetchFailure, type TokenFetcher, type TokenGrant } from './fetcher.js'
import { profileFor, type VerifyProfile } from './profile.js'
import { lookUpSecret } from './secret.js'
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

async function verifyEntry (target: Target, policies: PolicySet, options: VerifyOptions): Promise<VerifyResult> {
  const { app, env } = target
  const profile = profileFor(app)
  const whitelist = [...env.scopes.keys()].sort()
  const head = { app: app.app, environment: env.name, clientId: env.clientId, requested: whitelist }
  const lookup = await lookUpSecret(app, env, options.env)
  if (lookup.credentials === null) {
    return { ...head, status: 'skipped', granted: [], grantedFrom: 'none', missing: [], extra: [], requests: 0, message: lookup.why }
  }
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
  const results = await mapBounded(targets, options.concurrency ?? VERIFY_DEFAULTS.concurrency, (t) => verifyEntry(t, policies, options))
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
