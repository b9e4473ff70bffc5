// Canonical layout of one policy file (docs/cli.md `scope-policy fmt`): keys in a fixed order,
// scopes sorted, block style, comments kept. Works on the yaml Document so comments travel
// with the keys they sit above.
import { isMap, isScalar, type Pair, type YAMLMap } from 'yaml'
import { DEFAULT_PROVIDER } from './provider-schema.js'
import { readYaml } from './yaml-source.js'

const APP_KEYS = ['app', 'description', 'owner', 'provider', 'environments']
// Every field of EnvironmentSchema, in reading order: where and how, then what may be asked for.
export const ENV_KEYS = [
  'clientId', 'tokenEndpoint', 'authMethod', 'dpop', 'resource', 'resources', 'audience', 'audiences',
  'secretEnv', 'privateKeyEnv', 'tlsCertEnv', 'tlsKeyEnv', 'scopes', 'roles',
]

export interface FormatProblem {
  code: 'yaml-syntax' | 'duplicate-key'
  line: number
  col: number
  message: string
}

export type FormatResult =
  | { ok: true; text: string; changed: boolean }
  | { ok: false; problems: FormatProblem[] }

function keyName (pair: Pair): string | undefined {
  return isScalar(pair.key) ? String(pair.key.value) : undefined
}

/** Known keys first in `order`; unknown keys keep their place after them (stable sort). */
function orderKeys (map: YAMLMap, order: readonly string[]): void {
  const rank = (pair: Pair): number => {
    const i = order.indexOf(keyName(pair) ?? '')
    return i === -1 ? order.length : i
  }
  map.items.sort((a, b) => rank(a) - rank(b))
}

function sortScopes (map: YAMLMap): void {
  // Code-unit order, not localeCompare: the result must not depend on the machine's locale.
  map.items.sort((a, b) => {
    const x = keyName(a) ?? ''
    const y = keyName(b) ?? ''
    return x < y ? -1 : x > y ? 1 : 0
  })
}

/**
 * yaml keeps the comment above a nested map's first entry on the map itself, where it would
 * end up above whichever entry sorts first: hand it to its entry before reordering. Only a
 * comment written on the `key:` line itself stays with the map.
 */
function keepFirstEntryComment (pair: Pair, map: YAMLMap, text: string): void {
  const first = map.items[0]
  const keyEnd = isScalar(pair.key) ? pair.key.range?.[1] : undefined
  if (!map.commentBefore || !first || !isScalar(first.key) || keyEnd === undefined) return
  const lineEnd = text.indexOf('\n', keyEnd)
  const onKeyLine = text.slice(keyEnd, lineEnd < 0 ? text.length : lineEnd).includes('#')
  const lines = map.commentBefore.split('\n')
  const own = onKeyLine ? lines.slice(1) : lines
  if (own.length === 0) return
  first.key.commentBefore = [own.join('\n'), first.key.commentBefore].filter(Boolean).join('\n')
  map.commentBefore = onKeyLine ? lines[0] : undefined
}

/** Block style, except `{}`: an empty whitelist reads best as `scopes: {}`. */
function blockStyle (map: YAMLMap): void {
  if (map.items.length > 0) map.flow = false
}

/** Returns the canonical text of a policy file, or the YAML problems that prevent formatting. */
export function formatPolicyText (text: string): FormatResult {
  const { doc, lineCounter, problems } = readYaml(text)
  const errors = problems.filter((p) => p.severity === 'error')
  if (errors.length > 0) {
    return {
      ok: false,
      problems: errors.map((p) => ({
        code: p.kind,
        ...lineCounter.linePos(p.offset),
        message: p.message,
      })),
    }
  }
  const root = doc.contents
  // Not an app mapping: nothing canonical to do; lint reports what is wrong with it.
  if (!isMap(root)) return { ok: true, text, changed: false }

  // `provider` is required so that a reviewer sees which rules apply (docs/providers.md);
  // files written before it existed get the profile they were checked with.
  if (!root.has('provider')) root.add(doc.createPair('provider', DEFAULT_PROVIDER))
  // The comment above the first key is the file's header: it stays at the top.
  const first = root.items[0]
  orderKeys(root, APP_KEYS)
  const now = root.items[0]
  if (first && now && first !== now && isScalar(first.key) && isScalar(now.key) && first.key.commentBefore) {
    now.key.commentBefore = [first.key.commentBefore, now.key.commentBefore].filter(Boolean).join('\n')
    first.key.commentBefore = undefined
  }
  const environments = root.get('environments', true)
  if (isMap(environments)) {
    blockStyle(environments)
    for (const pair of environments.items) {
      const env = pair.value
      if (!isMap(env)) continue
      blockStyle(env)
      keepFirstEntryComment(pair, env, text)
      orderKeys(env, ENV_KEYS)
      for (const list of env.items.filter((p) => keyName(p) === 'scopes' || keyName(p) === 'roles')) {
        if (!isMap(list.value)) continue
        blockStyle(list.value)
        keepFirstEntryComment(list, list.value, text)
        sortScopes(list.value)
      }
    }
  }
  // lineWidth 0: never fold a long reason onto several lines.
  const out = doc.toString({ indent: 2, lineWidth: 0 })
  return { ok: true, text: out, changed: out !== text }
}
