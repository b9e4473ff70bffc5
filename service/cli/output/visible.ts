// Words from files and servers printed for people (text, github, markdown): a control or
// invisible character would let them forge lines, workflow commands (`::add-mask::`) or hide
// text (bidi overrides, "Trojan Source"). Each is shown as `\uXXXX` instead; JSON needs none of this.

// C0 (and DEL), C1, zero-width and direction marks, bidi embeddings/overrides and isolates, BOM.
// eslint-disable-next-line no-control-regex
const HIDDEN = /[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g

/** `text` with every control, bidi and invisible character written as `\uXXXX` (upper-case hex). */
export function visible (text: string): string {
  return text.replace(HIDDEN, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)
}

/** Output lines for a terminal or log: each made visible, so a value can never start a line of its own. */
export function visibleLines (lines: readonly string[]): string {
  return lines.map((line) => `${visible(line)}\n`).join('')
}
