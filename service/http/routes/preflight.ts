// POST /v1/preflight (docs/policy-files.md, docs/preflight-api.md): "would this scope request pass?"
import createError from '@fastify/error'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { check, normaliseScopes } from '../../policy/check.js'
import type { CheckResult } from '../../policy/types.js'
import { recordDecision } from '../access-log.js'
import type { PreflightMetrics } from '../metrics.js'
import type { PolicyStore } from '../policy-store.js'
import { LIMITS, serviceSchemas } from '../schemas.js'

const LimitError = createError('FST_PREFLIGHT_LIMIT', '%s', 400)

// The schema bounds the array and the string; a string (or an array item) can still
// hold many space-delimited scopes, so the scopes that would be sent are bounded here.
function checkScopeLimits (scopes: string | string[]): void {
  const tokens = normaliseScopes(scopes)
  if (tokens.length > LIMITS.scopes) {
    throw new LimitError(`body/scopes must NOT have more than ${LIMITS.scopes} scopes`)
  }
  if (tokens.some((t) => t.length > LIMITS.scopeLength)) {
    throw new LimitError(`body/scopes must NOT have a scope longer than ${LIMITS.scopeLength} characters`)
  }
}

// One violation speaks for itself; several are named here and explained in `violations`.
function describeDenial ({ violations, app, environment }: CheckResult): string {
  const [first] = violations
  if (violations.length === 1 && first) return first.message
  const list = violations.map((v) => (v.scope ? `${JSON.stringify(v.scope)} (${v.code})` : v.code)).join(', ')
  return `${violations.length} problems${app ? ` for ${app}/${environment}` : ''}: ${list}; see violations`
}

// An unknown client (or one not in the named environment) is the client's fault, not a scope's;
// a resource or audience the entry does not allow is RFC 8707 §2's invalid_target.
function denialError ({ violations }: CheckResult): 'invalid_client' | 'invalid_target' | 'invalid_scope' {
  if (violations.some((v) => v.code === 'unknown_client')) return 'invalid_client'
  if (violations.some((v) => v.code === 'resource_not_allowed' || v.code === 'audience_not_allowed')) return 'invalid_target'
  return 'invalid_scope'
}

export const preflightRoute: FastifyPluginAsyncTypebox<{ store: PolicyStore; metrics: PreflightMetrics }> = async (app, { store, metrics }) => {
  const { Errors, PreflightAllowed, PreflightBody, PreflightDenied } = serviceSchemas()
  app.post(
    '/v1/preflight',
    {
      schema: {
        summary: 'Check a scope request against the policy before sending it',
        body: PreflightBody,
        response: {
          200: PreflightAllowed,
          400: Errors[400],
          401: Errors[401],
          413: Errors[413],
          415: Errors[415],
          422: PreflightDenied,
        },
      },
    },
    async (request, reply) => {
      const { clientId, environment, scopes, resource, audience } = request.body
      checkScopeLimits(scopes)
      const result = check(store.current, { clientId, environment, scopes, resource, audience })
      const codes = [...new Set(result.violations.map((v) => v.code))]
      recordDecision(request, { clientId, decision: result.allowed ? 'allowed' : 'denied', ...(codes.length ? { codes } : {}) })
      metrics.countDecision(clientId, result)
      if (result.allowed && result.app !== null && result.environment !== null) {
        return { allowed: true as const, app: result.app, environment: result.environment, scopes: result.scopes, ...(result.warnings ? { warnings: result.warnings } : {}) }
      }
      return reply.code(422).send({
        allowed: false as const,
        error: denialError(result),
        error_description: describeDenial(result),
        violations: result.violations,
      })
    }
  )
}
