// What a policy diff reports (docs/cli.md `diff`): one change, and the summary of many.
import { RISKS, type Risk } from './risk.js'
import type { VariableNameField } from './secret-env.js'
import type { SourceLocation } from './types.js'

export type ChangeKind =
  | 'app-added'
  | 'app-removed'
  | 'owner-changed'
  | 'description-changed'
  | 'provider-changed'
  | 'environment-added'
  | 'environment-removed'
  | 'client-id-changed'
  | 'token-endpoint-changed'
  | 'endpoint-host-changed'
  | 'secret-env-changed'
  | 'auth-method-changed'
  | 'dpop-changed'
  | 'resource-changed'
  | 'audience-changed'
  | 'role-added'
  | 'role-removed'
  | 'scope-added'
  | 'scope-removed'
  | 'scope-reason-changed'

/** One change between two policy sets, with its risk and why. */
export interface PolicyChange {
  app: string
  /** Null for changes to the app itself (added, removed, owner…). */
  environment: string | null
  kind: ChangeKind
  scope?: string
  /** For `secret-env-changed`: which of secretEnv, privateKeyEnv, tlsCertEnv, tlsKeyEnv. */
  field?: VariableNameField
  /** Old value; for scope changes, the whitelist reason. */
  before?: string
  /** New value; for scope changes, the whitelist reason. */
  after?: string
  risk: Risk
  /** Why this risk, in a few words. */
  why: string
  /** Where a reviewer looks: the head file when the thing still exists there. */
  at?: SourceLocation
}

export interface DiffSummary {
  changes: number
  apps: number
  byRisk: Record<Risk, number>
  /** The highest risk of any change, null when nothing changed. */
  highest: Risk | null
}

/** What `diffPolicySets` returns: a summary and every change (`scope-policy diff --format json`). */
export interface PolicyDiff {
  summary: DiffSummary
  changes: PolicyChange[]
}

export function summarize (changes: readonly PolicyChange[]): DiffSummary {
  const byRisk: Record<Risk, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 }
  for (const c of changes) byRisk[c.risk]++
  return {
    changes: changes.length,
    apps: new Set(changes.map((c) => c.app)).size,
    byRisk,
    highest: RISKS.find((r) => byRisk[r] > 0) ?? null,
  }
}
