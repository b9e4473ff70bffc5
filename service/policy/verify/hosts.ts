// `verify --allow-host HOST`: where a credential may be sent (docs/verify.md). A policy change
// that points an entry at another host gets no request, so no secret, until the run lists it.

/** The reason an entry's endpoint is not on the list, or null when it is. A HOST with a port matches that port only. */
export function hostRefusal (tokenEndpoint: string, allowHost: readonly string[]): string | null {
  const url = new URL(tokenEndpoint)
  const allowed = new Set(allowHost.map((h) => h.toLowerCase()))
  if (allowed.has(url.hostname.toLowerCase()) || allowed.has(url.host.toLowerCase())) return null
  return `the token endpoint's host ${url.host} is not one --allow-host names: not asked, no credential sent (add --allow-host ${url.hostname} once the endpoint is known to be the provider's)`
}
