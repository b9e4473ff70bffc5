// `scope-policy lint [dir]`: every finding of the loader, as text, JSON, annotations or markdown.
import { join } from 'node:path'
import { formatFinding } from '../../policy/findings.js'
import { loadPolicyDir } from '../../policy/loader.js'
import type { Finding } from '../../policy/types.js'
import { formatOption, policyDirOption, type Format } from '../args.js'
import type { Command } from '../command.js'
import { annotation } from '../output/github.js'
import { cell, codeCell, renderMarkdown } from '../output/markdown.js'
import { plural } from '../output/plural.js'
import { visibleLines } from '../output/visible.js'

function render (format: Format, dir: string, findings: Finding[]): string {
  const errors = findings.filter((f) => f.severity === 'error').length
  const warnings = findings.length - errors
  const counts = `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`
  const shown = findings.map((f) => ({ ...f, file: join(dir, f.file) }))
  switch (format) {
    case 'json':
      return `${JSON.stringify({ summary: { dir, errors, warnings }, findings: shown }, null, 2)}\n`
    case 'github':
      return shown
        .map((f) => `${annotation({
          level: f.severity === 'error' ? 'error' : 'warning',
          file: f.file,
line: f.line,
col: f.col,
title: `scope-policy lint: ${f.code}`,
message: f.message,
        })}\n`)
        .join('') + visibleLines([`scope-policy lint ${dir}: ${counts}`])
    case 'markdown': {
      const files = [...new Set(shown.map((f) => f.file))]
      return renderMarkdown({
        summary: findings.length === 0
          ? `**scope-policy lint** ${codeCell(dir)}: no findings.`
          : `**scope-policy lint** ${codeCell(dir)}: ${counts} in ${plural(files.length, 'file')}.`,
        headers: ['Line', 'Severity', 'Code', 'Message'],
        sections: files.map((file) => ({
          title: codeCell(file),
          rows: shown.filter((f) => f.file === file).map((f) => ({
            cells: [`${f.line}:${f.col}`, f.severity, codeCell(f.code), cell(f.message)],
            priority: f.severity === 'error' ? 1 : 0,
          })),
        })),
        cutNote: (cut) => `_${plural(cut.length, 'more finding')} not shown: run ${codeCell(`scope-policy lint ${dir}`)} for all._`,
      })
    }
    case 'text':
      return visibleLines([...shown.map((f) => formatFinding(f)), findings.length === 0 ? `${dir}: no findings` : `${dir}: ${counts}`])
  }
}

export const lint: Command = {
  name: 'lint',
  summary: 'check the policy files (schema, duplicates, secrets, scope names)',
  help: `Usage: scope-policy lint [--policies DIR | DIR] [--strict] [--format FORMAT]

Loads every policy file of the folder and prints each finding as
  path/to/app.yaml:LINE:COL: SEVERITY CODE message

Options:
  --policies DIR   policy folder (default: $POLICY_DIR, else ./policies)
  --strict         warnings fail too
  --format FORMAT  text (default), json, github (workflow annotations), markdown
  -h, --help       this help

Exit: 0 no errors (warnings allowed unless --strict), 1 findings, 2 usage error.
`,
  options: { policies: { type: 'string' }, strict: { type: 'boolean' }, format: { type: 'string' } },
  async run (io, args) {
    const format = formatOption(args, 'lint')
    const dir = policyDirOption(args, 'lint', io.env)
    const { findings } = await loadPolicyDir(dir)
    io.out(render(format, dir, findings))
    const errors = findings.some((f) => f.severity === 'error')
    return errors || (args.values.strict === true && findings.length > 0) ? 1 : 0
  },
}
