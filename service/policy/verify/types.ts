// The result of `scope-policy verify` (docs/verify.md), as its JSON output prints it.

export const STATUSES = ['ok', 'narrowed', 'widened', 'unverified', 'refused', 'invalid_client', 'unreachable', 'skipped'] as const
export type VerifyStatus = (typeof STATUSES)[number]

/** Statuses that fail a run under each `--fail-on` level. */
export const FAILING: Record<FailOn, readonly VerifyStatus[]> = {
  drift: ['narrowed', 'widened', 'refused'],
  error: ['narrowed', 'widened', 'refused', 'invalid_client', 'unreachable', 'unverified'],
}
export const FAIL_ON = ['drift', 'error'] as const
export type FailOn = (typeof FAIL_ON)[number]

export interface VerifyResult {
  app: string
  environment: string
  clientId: string
  status: VerifyStatus
  /** The whitelist: what was asked for. */
  requested: string[]
  /** What the server says it granted (empty unless it said). */
  granted: string[]
  grantedFrom: 'response' | 'jwt' | 'none'
  /** Whitelisted scopes the server did not grant. */
  missing: string[]
  /** Granted scopes the policy does not list. */
  extra: string[]
  roles?: string[]
  /** RFC 6749 §5.2, the server's words verbatim. */
  error?: string
  error_description?: string
  /** Short sha256 of the access token (never the token). */
  fingerprint?: string
  /** Token requests sent for this entry: 0, 1, or 2 after a transient failure. */
  requests: number
  /** One line for people: what happened and what to do. */
  message: string
}

export interface VerifySummary {
  dir: string
  failOn: FailOn
  entries: number
  /** Entries whose status fails the run under `failOn`. */
  failing: number
  counts: Record<VerifyStatus, number>
}

export interface VerifyReport {
  summary: VerifySummary
  results: VerifyResult[]
}
