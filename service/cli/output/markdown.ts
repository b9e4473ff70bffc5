// Markdown for pull-request comments: a one-line summary, then a table per section, kept under
// a byte budget (GitHub refuses comments over 65,536 characters) by dropping the least
// important rows and saying so.
import { visible } from './visible.js'

/** Default budget for a whole report, in UTF-8 bytes. */
export const MARKDOWN_LIMIT = 60 * 1024

const CELL_MAX = 200

/** One line (line breaks and other hidden characters shown as \uXXXX), `|` escaped (tables split on it even inside code spans), long text cut. */
function tableText (value: string): string {
  const cut = value.length > CELL_MAX ? `${value.slice(0, CELL_MAX)}…` : value
  return visible(cut).replace(/\\/g, '\\\\').replace(/\|/g, '\\|')
}

/**
 * A table cell of text. HTML is escaped: a reason of `<!--` written in a pull request would
 * otherwise hide the rest of the comment, riskier rows included, from its reviewers.
 */
export function cell (value: string): string {
  return tableText(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** A cell shown as code (literal, no HTML); backticks cannot be escaped in a code span, so those stay plain. */
export function codeCell (value: string): string {
  return value.includes('`') || value === '' ? cell(value) : `\`${tableText(value)}\``
}

export interface Row {
  cells: string[]
  /** Higher is kept first when the report must be cut. */
  priority: number
}

export interface Section {
  title: string
  rows: Row[]
}

export interface Report {
  summary: string
  headers: string[]
  sections: Section[]
  /** The note that replaces the rows left out (gets their count and the rows themselves). */
  cutNote: (cut: Row[]) => string
  limit?: number
}

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8')

function sectionHead (title: string, headers: string[]): string {
  return `\n### ${title}\n\n| ${headers.join(' | ')} |\n|${headers.map(() => ' --- |').join('')}\n`
}

function rowLine (row: Row): string {
  return `| ${row.cells.join(' | ')} |\n`
}

/** Room kept for the cut note. */
const NOTE_RESERVE = 1024

export function renderMarkdown (report: Report): string {
  const limit = report.limit ?? MARKDOWN_LIMIT
  const head = `${report.summary}\n`
  const all = report.sections.flatMap((s, si) => s.rows.map((row, ri) => ({ row, si, ri })))
  const total = bytes(head) +
    report.sections.reduce((n, s) => n + bytes(sectionHead(s.title, report.headers)) + s.rows.reduce((m, r) => m + bytes(rowLine(r)), 0), 0)

  let kept: Set<string>
  if (total <= limit) {
    kept = new Set(all.map((x) => `${x.si}:${x.ri}`))
  } else {
    // Most important rows first; a section's heading is paid for by its first kept row.
    kept = new Set()
    const opened = new Set<number>()
    let budget = limit - bytes(head) - NOTE_RESERVE
    const byPriority = [...all].sort((a, b) => b.row.priority - a.row.priority)
    for (const x of byPriority) {
      const cost = bytes(rowLine(x.row)) + (opened.has(x.si) ? 0 : bytes(sectionHead(report.sections[x.si]!.title, report.headers)))
      if (cost > budget) break
      budget -= cost
      opened.add(x.si)
      kept.add(`${x.si}:${x.ri}`)
    }
  }

  let out = head
  report.sections.forEach((s, si) => {
    const rows = s.rows.filter((_, ri) => kept.has(`${si}:${ri}`))
    if (rows.length === 0) return
    out += sectionHead(s.title, report.headers) + rows.map(rowLine).join('')
  })
  const cut = all.filter((x) => !kept.has(`${x.si}:${x.ri}`)).map((x) => x.row)
  if (cut.length > 0) out += `\n${report.cutNote(cut)}\n`
  return out
}
