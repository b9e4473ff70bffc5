// The resource indicator rule (RFC 8707), for the policy files.

/** RFC 8707 §2: the resource is an absolute URI without a fragment. */
export function resourceProblem (value: string): { code: 'invalid-url'; message: string } | null {
  if (!URL.canParse(value)) return { code: 'invalid-url', message: 'resource must be an absolute URI (RFC 8707 §2)' }
  if (value.includes('#')) return { code: 'invalid-url', message: 'resource must not have a #fragment (RFC 8707 §2)' }
  return null
}
