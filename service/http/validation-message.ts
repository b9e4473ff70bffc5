// One readable reason per malformed request. Ajv reports every branch of an anyOf
// ("must be string, must be array, must match a schema in anyOf"); a caller wants the
// branch that fits what they sent.
import type { FastifySchemaValidationError } from 'fastify'

export function formatValidationErrors (
  errors: FastifySchemaValidationError[],
  dataVar: string
): Error {
  const specific = errors.filter((e) => e.keyword !== 'anyOf')
  // A branch that accepted the type but broke a limit, or failed deeper down, says more
  // than the branches that rejected the type outright.
  const beyondType = specific.filter((e) => e.keyword !== 'type')
  const candidates = beyondType.length > 0 ? beyondType : specific
  const chosen = candidates.filter(
    (e) => e.keyword !== 'type' || !candidates.some((o) => o.instancePath.startsWith(`${e.instancePath}/`))
  )
  const reasons = new Map<string, string[]>()
  for (const e of chosen) {
    const path = `${dataVar}${e.instancePath}`
    const list = reasons.get(path) ?? []
    list.push(describe(e))
    reasons.set(path, list)
  }
  const message = [...reasons]
    .map(([path, list]) =>
      list.every((r) => r.startsWith('must be '))
        ? `${path} must be ${list.map((r) => r.slice('must be '.length)).join(' or ')}`
        : `${path} ${list.join(', ')}`
    )
    .join('; ')
  return new Error(message || `${dataVar} is malformed`)
}

function describe (e: FastifySchemaValidationError): string {
  const params = e.params as Record<string, unknown>
  if (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return `must NOT have the property '${params.additionalProperty}'`
  }
  return e.message ?? `fails ${e.keyword}`
}
