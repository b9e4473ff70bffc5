// How a token request carries the client credentials: a secret (RFC 6749 §2.3.1), an
// assertion (RFC 7523 §2.2) or only client_id (RFC 8705 §2), and every form the secret
// takes on the way: what server words are scrubbed of.
import type { AuthMethod } from '../../service/policy/types.js'
import { ASSERTION_TYPE } from './assertion.js'
import type { ClientAuth } from './client-auth.js'
import { SecretUnavailableError } from './errors.js'

/** What a request carries: a header or form parameters, and the strings scrubbed from server words. */
export interface Credentials {
  authorization?: string
  form: Array<[string, string]>
  words: string[]
}

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

/** The credentials of one request; a secret or key function is bounded by the attempt's signal. */
export async function clientCredentials (auth: ClientAuth, clientId: string, authMethod: AuthMethod, signal: AbortSignal): Promise<Credentials> {
  if (auth.kind === 'tls') return { form: [['client_id', clientId]], words: [] } // RFC 8705 §2
  if (auth.kind === 'private-key') {
    const assertion = await auth.signer.sign(await resolveSource(auth.source, signal, 'privateKey'))
    // RFC 7523 §2.2; client_id too, as OIDC Core §9 servers and Okta expect it.
    return { form: [['client_id', clientId], ['client_assertion_type', ASSERTION_TYPE], ['client_assertion', assertion]], words: [assertion] }
  }
  const secret = await resolveSource(auth.source, signal, 'clientSecret')
  if (typeof secret !== 'string' || secret === '') throw new SecretUnavailableError('the client secret is empty or not a string')
  const words = secretForms(clientId, secret)
  if (authMethod === 'client_secret_basic') return { authorization: `Basic ${basicCredentials(clientId, secret)}`, form: [], words }
  return { form: [['client_id', clientId], ['client_secret', secret]], words }
}

/**
 * The credential itself as text (the secret, the private key, the client certificate and key):
 * what the shared store derives its key name and value MAC from (docs/redis.md).
 */
export async function credentialMaterial (auth: ClientAuth, signal: AbortSignal): Promise<string> {
  if (auth.kind === 'tls') return `${auth.tls.cert}\n${auth.tls.key}`
  const value = await resolveSource(auth.source, signal, auth.kind === 'secret' ? 'clientSecret' : 'privateKey')
  if (typeof value === 'string' && value !== '') return value
  if (auth.kind === 'private-key' && typeof value === 'object' && value !== null) return JSON.stringify(value)
  throw new SecretUnavailableError(`the ${auth.kind === 'secret' ? 'client secret' : 'private key'} is empty or not a ${auth.kind === 'secret' ? 'string' : 'PEM string or JWK'}`)
}

/** A value, or what a function returns; the signal bounds a function that never settles. */
async function resolveSource (source: unknown, signal: AbortSignal, option: string): Promise<unknown> {
  if (typeof source !== 'function') return source
  let onAbort = (): void => {}
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new Error(`aborted while resolving ${option}`))
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([(async () => await (source as () => unknown)())(), aborted])
  } catch (err) {
    if (signal.aborted) throw err
    throw new SecretUnavailableError(`the ${option} function failed`, { cause: err })
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
