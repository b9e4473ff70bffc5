// The token endpoint's words (error, error_description, a scope it names, a
// content type or redirect target) are kept in errors and logs only capped and
// scrubbed of every form of the secret: a server that echoes the request back
// must not put the secret into a message.

/** Characters of server words kept at most, per field. */
export const MAX_SERVER_WORDS = 1000
const REDACTED = '[redacted]'

export type ServerWords = (text: string) => string

/** A cleaner that cuts out every given form (any letter case: %2f is %2F) and caps the rest. */
export function serverWords (secretForms: readonly string[]): ServerWords {
  // Longest first, so a form that contains another is cut out whole.
  const forms = [...secretForms].sort((a, b) => b.length - a.length)
  const pattern = forms.length === 0 ? undefined : new RegExp(forms.map(escapeRegExp).join('|'), 'gi')
  return (text) => {
    const clean = pattern === undefined ? text : text.replace(pattern, REDACTED)
    return clean.length <= MAX_SERVER_WORDS ? clean : `${clean.slice(0, MAX_SERVER_WORDS - 1)}…`
  }
}

function escapeRegExp (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
