// Findings: one problem each, with its place in a file, printed the way editors and CI parse.
import { join } from 'node:path'
import type { Finding, Severity, SourceLocation } from './types.js'

export function finding (at: SourceLocation, severity: Severity, code: string, message: string): Finding {
  return { file: at.file, line: at.line, col: at.col, severity, code, message }
}

/** `path/to/app.yaml:LINE:COL: SEVERITY CODE message`; `dir` prefixes the folder-relative path. */
export function formatFinding (f: Finding, dir?: string): string {
  const path = dir === undefined ? f.file : join(dir, f.file)
  return `${path}:${f.line}:${f.col}: ${f.severity} ${f.code} ${f.message}`
}

/** `path:LINE:COL: SEVERITY CODE`, without the message: for unauthenticated readers (/readyz). */
export function formatFindingCode (f: Finding): string {
  return `${f.file}:${f.line}:${f.col}: ${f.severity} ${f.code}`
}

export function compareFindings (a: Finding, b: Finding): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1
  return a.line - b.line || a.col - b.col
}

export function hasErrors (findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error')
}

/** Quotes a user-supplied value for a message, cut short so garbage cannot flood a log line. */
export function quote (value: string, max = 80): string {
  const s = value.length > max ? `${value.slice(0, max)}…` : value
  return JSON.stringify(s)
}

/** Findings kept per file, and in a whole load (docs/policy-files.md, "Findings"). */
export const MAX_FINDINGS_PER_FILE = 100
export const MAX_FINDINGS_PER_LOAD = 1000

/**
 * Sorted findings, at most `MAX_FINDINGS_PER_FILE` per file and `MAX_FINDINGS_PER_LOAD` in all
 * (the marks included), each cut marked by one `too-many-findings` finding ("N more") at the first
 * finding left out: a hostile file cannot flood a log, a report or a probe. The mark is an error
 * when an error was left out, so the capped list fails exactly when the whole one does.
 */
export function capFindings (sorted: readonly Finding[]): Finding[] {
  const out: Finding[] = []
  for (let i = 0; i < sorted.length;) {
    let end = i
    while (end < sorted.length && sorted[end]?.file === sorted[i]?.file) end++
    const room = MAX_FINDINGS_PER_LOAD - out.length
    const keep = Math.min(MAX_FINDINGS_PER_FILE, end - i, room)
    out.push(...sorted.slice(i, i + keep))
    if (keep === room && i + keep < sorted.length) {
      out.push(more(sorted.slice(i + keep), 'in this load'))
      break
    }
    if (i + keep < end) out.push(more(sorted.slice(i + keep, end), 'in this file'))
    i = end
  }
  return out
}

function more (left: readonly Finding[], scope: string): Finding {
  const severity = hasErrors(left) ? 'error' : 'warning'
  return finding(left[0] as Finding, severity, 'too-many-findings', `${left.length} more findings ${scope} from here on are not listed: fix the ones above first`)
}
