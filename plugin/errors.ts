// Errors raised by the plugin itself; the token core raises the token-endpoint
// ones and InvalidOptionError. All are AppTokenError, so one instanceof matches.
import type { Violation } from '../service/policy/types.js'
import { errorClass } from './token/errors.js'

/** One route of a {@link RouteScopesError}: its methods, URL, scopes and what the policy says. */
export interface RouteViolation {
  /** `['GET', 'HEAD']` */
  methods: string[]
  url: string
  scopes: string[]
  violations: Violation[]
}

export function describeViolations (violations: readonly Violation[]): string {
  return violations.map((v) => `${v.code} ${JSON.stringify(v.scope)}: ${v.message}`).join('; ')
}

/**
 * A scope set the policy (or the generic rules of docs/policy-files.md) does not allow:
 * get() rejects with it, and a route declared before the plugin answers 503 with its code.
 * No token request was sent.
 */
export class ScopePolicyError extends errorClass('FST_APP_TOKEN_SCOPE_POLICY', 503) {
  readonly scopes: string[]
  readonly violations: Violation[]
  constructor (scopes: string[], violations: Violation[]) {
    super(`scopes [${scopes.join(' ')}] are not allowed: ${describeViolations(violations)}`)
    this.scopes = scopes
    this.violations = violations
  }
}

/** app.ready() rejects with it when routes ask for scopes that are not allowed. */
export class RouteScopesError extends errorClass('FST_APP_TOKEN_ROUTE_SCOPES', 500) {
  readonly routes: RouteViolation[]
  constructor (routes: RouteViolation[]) {
    const lines = routes.map((r) => `${r.methods.join(', ')} ${r.url} [${r.scopes.join(' ')}]: ${describeViolations(r.violations)}`)
    super(`${routes.length} route(s) ask for scopes that are not allowed:\n  ${lines.join('\n  ')}`)
    this.routes = routes
  }
}
