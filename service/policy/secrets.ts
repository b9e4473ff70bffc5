// Secrets never belong in a policy file (docs/policy-files.md). These helpers say why a key or value
// looks like one; callers must never echo the value itself.

// Key names folded to lowercase without separators: clientSecret, client_secret, api-key, …
const SECRET_KEY = /secret|passw(or)?d|passphrase|apikey|privatekey|accesstoken|refreshtoken|clientassertion|credential/

/** True for keys such as `clientSecret`, `client_secret`, `password`, `apiKey`, `private_key`. */
export function isSecretKey (key: string): boolean {
  return SECRET_KEY.test(key.toLowerCase().replace(/[-_.\s]/g, ''))
}

// Patterns that could start inside a long run begin with a lookbehind, so that a pathological
// value is scanned in linear time.
const KNOWN_SECRETS: ReadonlyArray<[RegExp, string]> = [
  [/(?:^|[^A-Za-z0-9])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{4,}/, 'a live/test secret key (sk_live_…)'],
  [/-----BEGIN [A-Z0-9 ]*-----/, 'a PEM block (-----BEGIN …-----)'],
  [/(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./, 'a JWT'],
  [/\b(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}/, 'a GitHub token'],
  [/\bAKIA[0-9A-Z]{16}\b/, 'an AWS access key id'],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/, 'a Slack token'],
  [/\bAIza[0-9A-Za-z_-]{35}\b/, 'a Google API key'],
  [/(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, 'a URL with a password in it'],
]

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Shannon entropy in bits per character. */
function entropy (s: string): number {
  const counts = new Map<string, number>()
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1)
  let h = 0
  for (const n of counts.values()) {
    const p = n / s.length
    h -= p * Math.log2(p)
  }
  return h
}

/**
 * A long random-looking run: base64/hex-like, ≥ 32 characters, high entropy. Identifiers people
 * write into reasons (UUIDs, 40-hex git commit ids, link paths) do not count.
 */
function highEntropyRun (value: string): boolean {
  // Document ids in links (scheme://host/path) are random too; a query string may hold a key.
  const text = value.replace(/(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\/[^\s?#]*/gi, ' ')
  for (const run of text.match(/[A-Za-z0-9+/=_-]{32,}/g) ?? []) {
    if (UUID.test(run)) continue
    if (/^[0-9a-f]+$/i.test(run)) {
      if (run.length !== 40 && entropy(run) >= 3.5) return true
    } else if (/[a-z]/.test(run) && /[A-Z]/.test(run) && /[0-9]/.test(run) && entropy(run) >= 4) {
      return true
    }
  }
  return false
}

/**
 * What kind of secret `value` looks like, or null. `identifier` values (client ids, URLs) are
 * random by nature, so only known secret shapes count there, not entropy.
 */
export function secretKind (value: string, identifier: boolean): string | null {
  for (const [pattern, kind] of KNOWN_SECRETS) if (pattern.test(value)) return kind
  if (!identifier && highEntropyRun(value)) return 'a long random string (high entropy)'
  return null
}
