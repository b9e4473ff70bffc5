// The request's headers with the token's added: a copy (the caller's object, which a
// redirect or retry interceptor above may send again elsewhere, is never changed), in the
// forms undici's dispatch takes (object, flat array, iterable of pairs).
import type { Dispatcher } from 'undici'

export type DispatchHeaders = Dispatcher.DispatchOptions['headers']
/** The caller's headers without `DPoP` (ours replaces it): an object, or a flat name, value list. */
export type BaseHeaders = Record<string, string | string[]> | string[]

/** undefined when the caller set `Authorization` itself: such a request is left as it is. */
export function baseHeaders (headers: DispatchHeaders): BaseHeaders | undefined {
  if (headers == null) return []
  if (Array.isArray(headers) && (headers.length === 0 || !Array.isArray(headers[0]))) return flatten(pairsOfFlat(headers as string[]))
  if (isIterable(headers)) return flatten(headers)
  const out: Record<string, string | string[]> = {}
  for (const name of Object.keys(headers)) {
    const value = (headers as Record<string, string | string[] | undefined>)[name]
    if (value === undefined) continue
    const lower = name.toLowerCase()
    if (lower === 'authorization') return undefined
    if (lower !== 'dpop') out[name] = value
  }
  return out
}

/** A new header set for one attempt: `base` and `added` (a flat name, value list). */
export function withHeaders (base: BaseHeaders, added: readonly string[]): DispatchHeaders {
  if (Array.isArray(base)) return base.length === 0 ? added as string[] : [...base, ...added]
  const out = { ...base }
  for (let i = 0; i < added.length; i += 2) out[added[i]!] = added[i + 1]!
  return out
}

function * pairsOfFlat (flat: readonly string[]): Iterable<[string, string]> {
  for (let i = 0; i < flat.length; i += 2) yield [flat[i]!, flat[i + 1]!]
}

function isIterable (value: object): value is Iterable<[string, string | string[] | undefined]> {
  return typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function'
}

function flatten (pairs: Iterable<readonly [string, string | string[] | undefined]>): string[] | undefined {
  const out: string[] = []
  for (const [name, value] of pairs) {
    if (value === undefined) continue
    const lower = String(name).toLowerCase()
    if (lower === 'authorization') return undefined
    if (lower !== 'dpop') for (const one of [value].flat()) out.push(name, one)
  }
  return out
}
