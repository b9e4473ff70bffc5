// The state of one policy file's check (policy-file.ts): its findings, the values already flagged,
// and where a finding about a path points.
import { isMap, LineCounter, type Document, type Node, type Pair, type YAMLMap } from 'yaml'
import { finding } from './findings.js'
import type { Path } from './schema-messages.js'
import type { Finding, SourceLocation } from './types.js'
import { keyText } from './yaml-source.js'

const pointer = (path: Path): string => path.map((s) => `/${s.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('')

/** Each mapping's keys, indexed once: a lookup per finding stays O(1), so a file with a finding
 * on every key of a large mapping loads in linear time (docs/policy-files.md, "Limits"). */
const pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>()

export function pairAt (map: YAMLMap, key: string): Pair | undefined {
  let index = pairIndex.get(map)
  if (index === undefined) {
    index = new Map()
    for (const pair of map.items) {
      const text = keyText(pair)
      // The first of duplicate keys, as a scan would find it (duplicates are findings of their own).
      if (text !== null && !index.has(text)) index.set(text, pair)
    }
    pairIndex.set(map, index)
  }
  return index.get(key)
}

export class FileCheck {
  readonly lc = new LineCounter()
  readonly findings: Finding[] = []
  /** JSON pointers whose value already has a finding: later rules skip them. */
  readonly flagged = new Set<string>()
  doc: Document | null = null
  root: YAMLMap | null = null

  constructor (
    readonly file: string,
    readonly text: string
  ) {}

  loc (offset: number): SourceLocation {
    const { line, col } = this.lc.linePos(offset)
    return { file: this.file, line, col }
  }

  nodeLoc (node: Node | null | undefined): SourceLocation {
    return this.loc(node?.range?.[0] ?? 0)
  }

  error (at: SourceLocation, code: string, message: string, path?: Path): void {
    this.findings.push(finding(at, 'error', code, message))
    if (path) this.flagged.add(pointer(path))
  }

  warn (at: SourceLocation, code: string, message: string): void {
    this.findings.push(finding(at, 'warning', code, message))
  }

  isFlagged (path: Path): boolean {
    if (this.flagged.size === 0) return false
    for (let i = 0; i <= path.length; i++) if (this.flagged.has(pointer(path.slice(0, i)))) return true
    return false
  }

  /** The pair holding `path`'s value, when the path exists in the YAML. */
  pairOf (path: Path): Pair | undefined {
    let node: unknown = this.root
    let pair: Pair | undefined
    for (const seg of path) {
      if (!isMap(node)) return undefined
      pair = pairAt(node, seg)
      if (!pair) return undefined
      node = pair.value
    }
    return pair
  }

  /** Where a finding about `path` points: its value, else its key, else the nearest ancestor. */
  locOf (path: Path, prefer: 'key' | 'value'): SourceLocation {
    for (let n = path.length; n > 0; n--) {
      const pair = this.pairOf(path.slice(0, n))
      if (!pair) continue
      const node = (prefer === 'value' && n === path.length ? pair.value : pair.key) as Node | null
      if (node?.range) return this.nodeLoc(node)
      if ((pair.key as Node | null)?.range) return this.nodeLoc(pair.key as Node)
    }
    return this.nodeLoc(this.root)
  }
}
