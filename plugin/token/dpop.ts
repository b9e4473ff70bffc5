// DPoP (RFC 9449): the key that sender-constrains the client's tokens, its proofs
// (§4.2) and the nonces servers hand out (§8). The key is parsed or generated once;
// it never leaves this module except as its public JWK and thumbprint.
import { createHash, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto'
import type { JWK } from 'jose'
import { algFitsKey, readPrivateKey, SIGNING_ALGS, usualAlg, type PrivateKeyMaterial, type SigningAlg } from './assertion.js'
import { InvalidOptionError } from './errors.js'
import { loadJose } from './jose.js'

/** `dpop` of fetchToken, TokenCache and the plugin (docs/dpop.md). */
export type DpopOption = boolean | {
  /** PEM or private JWK (RSA, EC P-256/384/521, Ed25519). Default: a fresh ES256 key for this process, kept in memory. */
  privateKey?: PrivateKeyMaterial
  /** Default from the key (ES256 for the generated one). */
  alg?: SigningAlg
  /** Accept a Bearer token from a server that does not bind tokens (default false: FST_APP_TOKEN_DPOP_NOT_BOUND). */
  allowBearer?: boolean
}

/** What a proof covers (RFC 9449 §4.2). */
export interface ProofRequest {
  /** The HTTP method, e.g. 'GET'. */
  method: string
  /** The request URL; query and fragment are left out of `htu`. */
  url: string | URL
  /** The server's latest `DPoP-Nonce` (§8, §9). */
  nonce?: string
}

const OPTION_KEYS = ['privateKey', 'alg', 'allowBearer']
/** RFC 7638 §3.2: the members of the thumbprint input per key type, in lexicographic order. */
const THUMBPRINT_MEMBERS: Record<string, string[]> = { EC: ['crv', 'kty', 'x', 'y'], RSA: ['e', 'kty', 'n'], OKP: ['crv', 'kty', 'x'] }

/** One DPoP key: signs proofs; shows only its public JWK and thumbprint. */
export class DpopKey {
  readonly #key: KeyObject
  readonly #header: { alg: SigningAlg; typ: 'dpop+jwt'; jwk: JWK }
  /** RFC 7638 JWK SHA-256 thumbprint (base64url): the token's `cnf.jkt` (RFC 9449 §6.1). */
  readonly thumbprint: string
  /** True for the per-process key made when none was given: no other process holds it. */
  readonly generated: boolean

  constructor (key: KeyObject, alg: SigningAlg, generated: boolean) {
    this.#key = key
    const { kty, crv, x, y, n, e } = createPublicKey(key).export({ format: 'jwk' })
    const jwk = Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, value]) => value !== undefined)) as JWK
    this.#header = { alg, typ: 'dpop+jwt', jwk }
    this.thumbprint = jwkThumbprint(jwk)
    this.generated = generated
  }

  get alg (): SigningAlg { return this.#header.alg }

  /** A fresh proof (§4.2): its own jti, iat now; `ath` (§4.2, base64url SHA-256) when an access token goes with it. */
  async proof (req: ProofRequest, accessToken?: string): Promise<string> {
    const payload: Record<string, string> = { htm: req.method.toUpperCase(), htu: htu(req.url) }
    if (req.nonce !== undefined) payload.nonce = req.nonce
    if (accessToken !== undefined) payload.ath = createHash('sha256').update(accessToken).digest('base64url')
    const { SignJWT } = await loadJose()
    return await new SignJWT(payload)
      .setProtectedHeader(this.#header)
      .setJti(randomUUID())
      .setIssuedAt()
      .sign(this.#key)
  }

  toJSON (): { alg: SigningAlg; thumbprint: string } { return { alg: this.alg, thumbprint: this.thumbprint } }
}

/** The checked `dpop` option: its key (parsed or generated once), allowBearer, and the nonces servers gave (per origin). */
export interface DpopSettings {
  key: DpopKey
  allowBearer: boolean
  /** §8: the latest `DPoP-Nonce` of each server, by origin. */
  nonces: Map<string, string>
}

/** The `dpop` option checked: undefined when off. Messages never echo the key. */
export function resolveDpop (option: unknown): DpopSettings | undefined {
  if (option === undefined || option === false) return undefined
  const given = option === true ? {} : option
  if (given === null || typeof given !== 'object' || Object.keys(given).some((name) => !OPTION_KEYS.includes(name))) {
    throw invalid('must be true, false or { privateKey?, alg?, allowBearer? }')
  }
  const { privateKey, alg, allowBearer = false } = given as Exclude<DpopOption, boolean>
  if (alg !== undefined && !(SIGNING_ALGS as readonly unknown[]).includes(alg)) throw invalid(`.alg must be one of ${SIGNING_ALGS.join(', ')}`)
  if (typeof allowBearer !== 'boolean') throw invalid('.allowBearer must be true or false')
  return { key: dpopKey(privateKey, alg), allowBearer, nonces: new Map() }
}

function dpopKey (material: PrivateKeyMaterial | undefined, alg: SigningAlg | undefined): DpopKey {
  if (material === undefined) {
    if (alg !== undefined && alg !== 'ES256') throw invalid(`.alg ${alg} needs dpop.privateKey: the generated key is ES256`)
    return new DpopKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'ES256', true)
  }
  const read = readPrivateKey(material)
  if (read === undefined) {
    throw invalid('.privateKey is not a readable PEM private key or private JWK (with "d"); give a PKCS#8 PEM or a JWK (or APP_TOKEN_DPOP_KEY / APP_TOKEN_DPOP_KEY_FILE)')
  }
  const chosen = alg ?? usualAlg(read.key)
  if (chosen === undefined) throw invalid(`.privateKey of type ${read.key.asymmetricKeyType ?? 'unknown'} cannot sign a proof: use an EC (P-256/384/521), RSA or Ed25519 key`)
  if (!algFitsKey(chosen, read.key)) throw invalid(`.alg ${chosen} does not fit the ${read.key.asymmetricKeyType ?? 'unknown'} key of dpop.privateKey`)
  return new DpopKey(read.key, chosen, false)
}

/** RFC 7638 §3: SHA-256 of the required members, in order, as JSON without spaces. */
export function jwkThumbprint (jwk: JWK): string {
  const members = THUMBPRINT_MEMBERS[jwk.kty ?? ''] ?? []
  const json = JSON.stringify(Object.fromEntries(members.map((name) => [name, (jwk as Record<string, unknown>)[name]])))
  return createHash('sha256').update(json).digest('base64url')
}

/** RFC 9449 §4.2 `htu`: the URI without query and fragment. */
function htu (url: string | URL): string {
  const parsed = new URL(url)
  parsed.search = ''
  parsed.hash = ''
  return parsed.href
}

/** §8: a 400 `use_dpop_nonce` that names the nonce to use. */
export function nonceChallenge (status: number, headers: Record<string, string | string[] | undefined>, body: string): string | undefined {
  const nonce = headerValue(headers['dpop-nonce'])
  if (status !== 400 || nonce === undefined || !body.includes('use_dpop_nonce')) return undefined
  try {
    return (JSON.parse(body) as { error?: unknown }).error === 'use_dpop_nonce' ? nonce : undefined
  } catch {
    return undefined
  }
}

/** The `DPoP-Nonce` header's value (§8.1: one NQCHAR string), if any. */
export function headerValue (value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value
  return text !== undefined && /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(text) ? text : undefined
}

function invalid (problem: string): InvalidOptionError {
  return new InvalidOptionError(`dpop${problem.startsWith('.') ? '' : ' '}${problem}`, { option: 'dpop' })
}
