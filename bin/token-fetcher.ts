// verify's token client (docs/verify.md): the token core's one-request fetchToken, read into
// the shape the service asks for. Loaded on first use, so the other commands start without undici.
import type { TokenFetcher } from '../service/policy/verify/index.js'

export const tokenFetcher: TokenFetcher = async (request) => {
  const { fetchToken } = await import('../plugin/token/fetch-token.js')
  // 'warn': a narrowed grant is a result to report, not an error.
  const fetched = await fetchToken({ ...request, onScopeNarrowed: 'warn' })
  return {
    scopes: fetched.grantedFrom === 'requested' ? [] : [...fetched.token.scopes],
    grantedFrom: fetched.grantedFrom === 'requested' ? 'none' : fetched.grantedFrom,
    fingerprint: fetched.token.fingerprint,
    roles: [...fetched.token.roles],
  }
}
