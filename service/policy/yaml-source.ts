// Reads one policy file's YAML for the loader and for fmt (docs/policy-files.md). Two guarantees:
// duplicate keys are found in linear time (yaml's own `uniqueKeys` compares every pair), and no
// problem ever carries text of the file: a YAML error is described by its code, a duplicate by
// its key (or, when the key looks like a secret, by its kind), each with its offset.
import { isMap, isScalar, LineCounter, parseDocument, visit, type Document, type Pair } from 'yaml'
import { quote } from './findings.js'
import { secretKind } from './secrets.js'

export interface YamlProblem {
  /** Offset in the text. */
  offset: number
  kind: 'yaml-syntax' | 'duplicate-key'
  severity: 'error' | 'warning'
  /** What is wrong, in words that hold no text of the file but a key name. */
  message: string
}

export interface YamlSource {
  doc: Document
  lineCounter: LineCounter
  problems: YamlProblem[]
}

// Our own words per yaml error code: the library's messages may quote the source
// (`Invalid escape sequence \q…`, `Unresolved tag: !…`, a block scalar header).
const YAML_MESSAGES: Record<string, string> = {
  BAD_INDENT: 'bad indentation: items of one mapping or list start at the same column',
  TAB_AS_INDENT: 'a tab used as indentation: indent with spaces',
  MISSING_CHAR: 'a character is missing here (a closing quote or bracket, a ":" or a ",")',
  UNEXPECTED_TOKEN: 'unexpected character here: quote the value if it holds YAML punctuation',
  BAD_DQ_ESCAPE: 'invalid escape sequence in a double-quoted string',
  BAD_SCALAR_START: 'a plain value cannot start with this character: quote the value',
  BLOCK_AS_IMPLICIT_KEY: 'a key must be written on one line',
  MULTILINE_IMPLICIT_KEY: 'a key must be written on one line',
  KEY_OVER_1024_CHARS: 'a key longer than 1024 characters',
  BLOCK_IN_FLOW: 'a block mapping or list inside a flow collection ({…} or […])',
  MULTIPLE_DOCS: 'several YAML documents: a policy file holds one (remove the "---")',
  TAG_RESOLVE_FAILED: 'an unknown YAML tag: remove the "!tag"',
  BAD_COLLECTION_TYPE: 'a YAML tag that does not fit its value: remove the "!tag"',
  BAD_ALIAS: 'an alias to an unknown anchor',
  ALIAS_PROPS: 'an alias cannot carry an anchor or a tag',
  BAD_PROP_ORDER: 'anchors and tags must come after the "-", "?" or ":" indicator',
  MULTIPLE_ANCHORS: 'a value with several anchors',
  MULTIPLE_TAGS: 'a value with several tags',
  BAD_DIRECTIVE: 'an unknown or malformed %directive',
  NON_STRING_KEY: 'keys must be plain names',
}

/** A YAML problem in words that hold no text of the file. */
export const yamlMessage = (code: string): string => YAML_MESSAGES[code] ?? `invalid YAML (${code})`

/** A key as written: `0x1F:` is the scope "0x1F", not 31; `null:` is "null". Null for a non-scalar key. */
export function keyText (pair: Pair): string | null {
  const k = pair.key
  if (isScalar(k)) return k.type === 'PLAIN' && typeof k.source === 'string' ? k.source : String(k.value)
  if (k === null || k === undefined) return ''
  return null
}

function duplicateMessage (key: string): string {
  const kind = secretKind(key, false)
  const shown = kind === null ? quote(key) : `that looks like a secret (${kind}; remove it and rotate it)`
  return `duplicate key ${shown}: keys must be unique and YAML would silently keep one of them; keep a single entry`
}

/**
 * One pass over every mapping, one Set each. A key is a duplicate when it is written the same
 * (what the loader keys on) or resolves to the same value (what YAML keys on: `1` and `1.0`).
 */
function duplicateKeys (doc: Document): YamlProblem[] {
  const found: YamlProblem[] = []
  visit(doc, {
    Map (_, map) {
      if (!isMap(map)) return
      const written = new Set<string>()
      const resolved = new Set<string>()
      for (const pair of map.items) {
        const text = keyText(pair)
        if (text === null) continue
        const value = isScalar(pair.key) ? `${typeof pair.key.value}:${String(pair.key.value)}` : `string:${text}`
        if (written.has(text) || resolved.has(value)) {
          const offset = isScalar(pair.key) ? (pair.key.range?.[0] ?? 0) : 0
          found.push({ offset, kind: 'duplicate-key', severity: 'error', message: duplicateMessage(text) })
        }
        written.add(text)
        resolved.add(value)
      }
    },
  })
  return found
}

export function readYaml (text: string, lineCounter = new LineCounter()): YamlSource {
  // uniqueKeys off: duplicateKeys() does that check in linear time. logLevel: problems are
  // returned, never printed as process warnings.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false, logLevel: 'error' })
  const problems: YamlProblem[] = [
    ...doc.errors.map((e): YamlProblem => ({ offset: e.pos[0], kind: 'yaml-syntax', severity: 'error', message: yamlMessage(e.code) })),
    ...doc.warnings.map((w): YamlProblem => ({ offset: w.pos[0], kind: 'yaml-syntax', severity: 'warning', message: yamlMessage(w.code) })),
  ]
  if (doc.errors.length === 0) problems.push(...duplicateKeys(doc))
  problems.sort((a, b) => a.offset - b.offset)
  return { doc, lineCounter, problems }
}
