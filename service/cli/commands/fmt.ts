// `scope-policy fmt [--check] [dir]`: rewrite the policy files in canonical layout (comments kept).
import { constants } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { formatPolicyText } from '../../policy/fmt.js'
import { formatOption, policyDirOption, CliError, type Format } from '../args.js'
import type { Command } from '../command.js'
import type { Finding } from '../../policy/types.js'
import { listPolicyFolder, readPolicyFile, type PolicyFolder } from '../../policy/policy-folder.js'
import { annotation } from '../output/github.js'
import { cell, codeCell, renderMarkdown } from '../output/markdown.js'
import { plural } from '../output/plural.js'

interface Problem {
  file: string
  code: string
  line: number
  col: number
  message: string
}

interface Outcome {
  files: number
  changed: string[]
  problems: Problem[]
}

function render (format: Format, o: Outcome, dir: string, checkOnly: boolean): string {
  const verb = checkOnly ? 'would reformat' : 'reformatted'
  const invalid = new Set(o.problems.map((p) => p.file)).size
  const headline = `scope-policy fmt ${dir}: ${plural(o.files, 'file')}, ${verb} ${o.changed.length}` +
    (invalid > 0 ? `, ${plural(invalid, 'file')} left alone (not valid YAML, a symlink or unreadable)` : '')
  switch (format) {
    case 'json':
      return `${JSON.stringify({ summary: { dir, files: o.files, check: checkOnly, changed: o.changed.length, problems: o.problems.length }, changed: o.changed, problems: o.problems }, null, 2)}\n`
    case 'github':
      return [
        ...o.changed.map((file) => annotation({
          level: checkOnly ? 'error' : 'notice',
          file,
          title: 'scope-policy fmt',
          message: checkOnly ? `not in canonical layout: run scope-policy fmt ${dir}` : 'reformatted',
        })),
        ...o.problems.map((p) => annotation({ level: 'error', file: p.file, line: p.line, col: p.col, title: `scope-policy fmt: ${p.code}`, message: p.message })),
        headline,
      ].map((l) => `${l}\n`).join('')
    case 'markdown':
      return renderMarkdown({
        summary: `**scope-policy fmt** ${codeCell(dir)}: ${plural(o.files, 'file')}, ${verb} ${o.changed.length}` +
          (invalid > 0 ? `, ${plural(invalid, 'file')} left alone (not valid YAML, a symlink or unreadable).` : '.'),
        headers: ['File', 'Status'],
        sections: o.changed.length + o.problems.length === 0
          ? []
          : [{
              title: 'Files',
              rows: [
                ...o.problems.map((p) => ({ cells: [codeCell(`${p.file}:${p.line}:${p.col}`), cell(p.message)], priority: 1 })),
                ...o.changed.map((file) => ({ cells: [codeCell(file), verb], priority: 0 })),
              ],
            }],
        cutNote: (cut) => `_${plural(cut.length, 'more file')} not shown._`,
      })
    case 'text':
      return [
        ...o.problems.map((p) => `${p.file}:${p.line}:${p.col}: error ${p.code} ${p.message}`),
        ...o.changed,
        headline,
      ].map((l) => `${l}\n`).join('')
  }
}

async function policyFolder (dir: string): Promise<PolicyFolder> {
  try {
    return await listPolicyFolder(dir)
  } catch (e) {
    throw new CliError(`cannot read policy folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)
  }
}

export const fmt: Command = {
  name: 'fmt',
  summary: 'rewrite the policy files in canonical order and layout (comments kept)',
  help: `Usage: scope-policy fmt [--check] [--format FORMAT] [--policies DIR | DIR]

Puts every policy file in canonical layout so that diffs stay minimal:
keys app, description, owner, provider, environments; in each environment
clientId, tokenEndpoint, authMethod, resource, scopes; scopes sorted; block
style, 2-space indent. Comments are kept. Running it twice changes nothing.

Options:
  --check          write nothing; list the files that would change, exit 1 if any
  --policies DIR   policy folder (default: $POLICY_DIR, else ./policies)
  --format FORMAT  text (default), json, github, markdown
  -h, --help       this help

Exit: 0; 1 with --check and a file to change, or a file left alone (not valid YAML, a symlink, unreadable); 2 usage error.
`,
  options: { check: { type: 'boolean' }, policies: { type: 'string' }, format: { type: 'string' } },
  async run (io, args) {
    const format = formatOption(args, 'fmt')
    const dir = policyDirOption(args, 'fmt', io.env)
    const checkOnly = args.values.check === true
    const folder = await policyFolder(dir)
    const { names } = folder
    const outcome: Outcome = { files: names.length, changed: [], problems: [] }
    const problem = (f: Finding): Problem => ({ file: join(dir, f.file), code: f.code, line: f.line, col: f.col, message: f.message })
    // Symlinks are never read nor written through: they are reported, as lint does.
    outcome.problems.push(...folder.findings.map(problem))
    for (const name of names) {
      const file = join(dir, name)
      const text = await readPolicyFile(dir, name)
      if (typeof text !== 'string') {
        outcome.problems.push(problem(text))
        continue
      }
      const result = formatPolicyText(text)
      if (!result.ok) {
        outcome.problems.push(...result.problems.map((p) => ({ file, ...p })))
        continue
      }
      if (!result.changed) continue
      outcome.changed.push(file)
      if (checkOnly) continue
      try {
        // O_NOFOLLOW: a file swapped for a symlink since it was read is not written through.
        await writeFile(file, result.text, { encoding: 'utf8', flag: constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW })
      } catch (e) {
        throw new CliError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)
      }
    }
    io.out(render(format, outcome, dir, checkOnly))
    return outcome.problems.length > 0 || (checkOnly && outcome.changed.length > 0) ? 1 : 0
  },
}
