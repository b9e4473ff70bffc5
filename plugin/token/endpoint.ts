// The token endpoint URL: the policy engine's one rule (docs/token-core.md), as typed errors.
import { tokenEndpointProblem } from '../../service/policy/rules/token-endpoint.js'
import { InsecureEndpointError, InvalidOptionError } from './errors.js'

export function parseTokenEndpoint (endpoint: string | URL): URL {
  const problem = tokenEndpointProblem(String(endpoint))
  if (problem === null) return new URL(endpoint)
  if (problem.code === 'insecure-endpoint') throw new InsecureEndpointError(problem.message)
  throw new InvalidOptionError(problem.message)
}
