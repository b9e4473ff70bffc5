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
