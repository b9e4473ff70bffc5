// How a token request carries the client credentials (RFC 6749 §2.3.1), and
// every form the secret takes on the way: what server words are scrubbed of.

/** application/x-www-form-urlencoded serialisation of one value (RFC 6749 Appendix B). */
export function formEncode (value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1)
}

/** §2.3.1: id and secret are form-encoded before they are joined and base64-encoded. */
export function basicCredentials (clientId: string, secret: string): string {
  return Buffer.from(`${formEncode(clientId)}:${formEncode(secret)}`).toString('base64')
}

/**
 * The secret raw, form-encoded, percent-encoded, JSON-escaped (with and without `\/`) and
 * base64 (alone, and as the Basic value with and without form-encoding, padded or not):
 * whatever an echoing server could hand back.
 */
export function secretForms (clientId: string, secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1)
  const forms = [
    secret,
    formEncode(secret),
    encodeURIComponent(secret),
    json,
    json.replaceAll('/', '\\/'),
    Buffer.from(secret).toString('base64'),
    basicCredentials(clientId, secret),
    Buffer.from(`${clientId}:${secret}`).toString('base64')
  ]
  return [...new Set(forms.flatMap((form) => [form, form.replace(/=+$/, '')]))].filter((form) => form !== '')
}
