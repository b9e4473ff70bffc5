// Per-environment lookups for check(), built once per environment (at load time, or on the
// first check of a set built elsewhere), so a check does map reads only.
import { join } from 'node:path'
import type { AppPolicy, EnvironmentPolicy, PolicySet } from './types.js'

export interface EnvLookup {
  /** The folder `where` was built for: an environment may be shared by two hand-made sets. */
  dir: string
  /** `app/env`, for messages. */
  label: string
  /** `policies/app.yaml:LINE`: the `scopes:` key a reviewer edits. */
  where: string
  /** The whitelist in file order. */
  names: readonly string[]
  /** `names` in lowercase, same order (one-edit near misses ignore case). */
  lowerNames: readonly string[]
  /** lowercase → whitelisted spelling (case_mismatch). */
  lower: ReadonlyMap<string, string>
  /** separator-folded → whitelisted spelling (near_miss: read_interaction, interaction:read). */
  folded: ReadonlyMap<string, string>
  /** What the policy allows, shortened for messages. */
  allowed: string
}

const MAX_LISTED = 10

/** `read:interaction`, `Interaction_Read`, `read.interaction` → `interaction read`. */
export function foldSeparators (scope: string): string {
  return scope
    .toLowerCase()
    .split(/[:_.\-/]+/)
    .filter((p) => p.length > 0)
    .sort()
    .join(' ')
}

function listScopes (names: readonly string[]): string {
  if (names.length === 0) return 'no scope (scopes: {})'
  const shown = names.slice(0, MAX_LISTED).join(', ')
  return names.length > MAX_LISTED ? `${shown} … (${names.length - MAX_LISTED} more)` : shown
}

const cache = new WeakMap<EnvironmentPolicy, EnvLookup>()

export function lookupFor (set: PolicySet, app: AppPolicy, env: EnvironmentPolicy): EnvLookup {
  let lk = cache.get(env)
  if (lk && lk.dir === set.dir) return lk
  const names = [...env.scopes.keys()]
  const lower = new Map<string, string>()
  const folded = new Map<string, string>()
  for (const name of names) {
    if (!lower.has(name.toLowerCase())) lower.set(name.toLowerCase(), name)
    const f = foldSeparators(name)
    if (!folded.has(f)) folded.set(f, name)
  }
  lk = {
    dir: set.dir,
    label: `${app.app}/${env.name}`,
    where: `${join(set.dir, app.file)}:${env.scopesAt.line}`,
    names,
    lowerNames: names.map((n) => n.toLowerCase()),
    lower,
    folded,
    allowed: listScopes(names),
  }
  cache.set(env, lk)
  return lk
}

/** A lookup built elsewhere (the reload's worker) for this environment: check() uses it as its own. */
export function adoptLookup (env: EnvironmentPolicy, lk: EnvLookup): void {
  cache.set(env, lk)
}
