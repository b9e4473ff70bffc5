// `scope-policy diff [--base REF] [--head REF] [dir]`: what a pull request changes in the
// policies, each change with a risk flag (rule table: docs/pr-review.md, "What the risk flags mean").
import { stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { diffPolicySets } from '../../policy/diff.js'
import type { PolicyChange, PolicyDiff } from '../../policy/policy-change.js'
import { isRisk, riskRank, RISKS, type Risk } from '../../policy/risk.js'
import { loadPolicyDir } from '../../policy/loader.js'
import type { LoadResult } from '../../policy/types.js'
import { formatOption, policyDirOption, stringOption, UsageError, type Format } from '../args.js'
import type { Command } from '../command.js'
import { locateFolder, resolveCommit } from '../git.js'
import { loadFromCommit, validSet } from '../load.js'
import { annotation } from '../output/github.js'
import { cell, codeCell, renderMarkdown } from '../output/markdown.js'
import { plural } from '../output/plural.js'
import { visibleLines } from '../output/visible.js'

const q = (s: string | undefined): string => (s === undefined ? '(none)' : JSON.stringify(s))

/** One short phrase per change, shared by every format. */
export function describe (c: PolicyChange): string {
  switch (c.kind) {
    case 'app-added': return `new app (owner ${q(c.after)})`
    case 'app-removed': return 'app removed'
    case 'environment-added': return `new environment (clientId ${q(c.after)})`
    case 'environment-removed': return `environment removed (clientId ${q(c.before)})`
    case 'scope-added': return `scope added: ${c.scope}${c.after ? ` (${q(c.after)})` : ''}`
    case 'scope-removed': return `scope removed: ${c.scope}`
    case 'scope-reason-changed': return `reason of ${c.scope}: ${q(c.before)} → ${q(c.after)}`
    case 'owner-changed': return `owner: ${q(c.before)} → ${q(c.after)}`
    case 'description-changed': return `description: ${q(c.before)} → ${q(c.after)}`
    case 'provider-changed': return `provider: ${q(c.before)} → ${q(c.after)}`
    case 'client-id-changed': return `clientId: ${q(c.before)} → ${q(c.after)}`
    case 'token-endpoint-changed': return `tokenEndpoint: ${q(c.before)} → ${q(c.after)}`
    case 'endpoint-host-changed': return `tokenEndpoint host: ${q(c.before)} → ${q(c.after)}`
    case 'secret-env-changed': return `${c.field ?? 'secretEnv'}: ${q(c.before)} → ${q(c.after)}`
    case 'auth-method-changed': return `authMethod: ${q(c.before)} → ${q(c.after)}`
    case 'dpop-changed': return `dpop: ${c.before} → ${c.after}`
    case 'resource-changed': return `resource: ${q(c.before)} → ${q(c.after)}`
    case 'audience-changed': return `audience: ${q(c.before)} → ${q(c.after)}`
    case 'role-added': return `role added: ${c.scope}${c.after ? ` (${q(c.after)})` : ''}`
    case 'role-removed': return `role removed: ${c.scope}`
  }
}

function counts (diff: PolicyDiff): string {
  return RISKS.map((r) => `${diff.summary.byRisk[r]} ${r}`).join(', ')
}

interface Labels {
  base: string
  head: string
  dir: string
  failOn: Risk | undefined
}

function reaches (risk: Risk, level: Risk | undefined): boolean {
  return level !== undefined && riskRank(risk) >= riskRank(level)
}

function markdownDetail (c: PolicyChange): string {
  if (c.scope !== undefined) {
    const reason = c.kind === 'scope-reason-changed' ? `${q(c.before)} → ${q(c.after)}` : (c.after ?? c.before)
    return `${codeCell(c.scope)}${reason ? ` ${cell(reason)}` : ''}`
  }
  return cell(describe(c))
}

function render (format: Format, diff: PolicyDiff, l: Labels): string {
  const range = `${l.base} → ${l.head}`
  const headline = diff.changes.length === 0
    ? `scope-policy diff ${range} (${l.dir}): no changes`
    : `scope-policy diff ${range} (${l.dir}): ${plural(diff.summary.changes, 'change')} in ${plural(diff.summary.apps, 'app')}: ${counts(diff)}`
  switch (format) {
    case 'json':
      return `${JSON.stringify({
        summary: { base: l.base, head: l.head, dir: l.dir, ...diff.summary },
        changes: diff.changes.map(({ at, ...c }) => ({ ...c, ...(at ? { file: join(l.dir, at.file), line: at.line } : {}) })),
      }, null, 2)}\n`
    case 'github':
      return diff.changes.map((c) => `${annotation({
        level: reaches(c.risk, l.failOn) ? 'error' : riskRank(c.risk) >= riskRank('high') ? 'warning' : 'notice',
        ...(c.at ? { file: join(l.dir, c.at.file), line: c.at.line, col: c.at.col } : {}),
        title: `scope-policy diff: ${c.risk} ${c.kind}`,
        message: `${c.app}${c.environment ? `/${c.environment}` : ''}: ${describe(c)} [${c.why}]`,
      })}\n`).join('') + visibleLines([headline])
    case 'markdown': {
      const apps = [...new Set(diff.changes.map((c) => c.app))]
      return renderMarkdown({
        summary: diff.changes.length === 0
          ? `**scope-policy diff** ${codeCell(l.base)} → ${cell(l.head)} (${codeCell(l.dir)}): no changes.`
          : `**scope-policy diff** ${codeCell(l.base)} → ${cell(l.head)} (${codeCell(l.dir)}): ${plural(diff.summary.changes, 'change')} in ${plural(diff.summary.apps, 'app')}, highest risk **${diff.summary.highest}** (${counts(diff)}).`,
        headers: ['Risk', 'Environment', 'Change', 'Detail', 'Why'],
        sections: apps.map((app) => ({
          title: codeCell(app),
          rows: diff.changes.filter((c) => c.app === app).map((c) => ({
            cells: [
              riskRank(c.risk) >= riskRank('high') ? `**${c.risk}**` : c.risk,
              c.environment ? codeCell(c.environment) : '',
              c.kind,
              markdownDetail(c),
              cell(c.why),
            ],
            priority: riskRank(c.risk),
          })),
        })),
        cutNote: (cut) => {
          const left = RISKS.map((r) => [r, cut.filter((row) => row.priority === riskRank(r)).length] as const)
            .filter(([, n]) => n > 0).map(([r, n]) => `${n} ${r}`).join(', ')
          return `_${plural(cut.length, 'more change')} not shown (${left}) to keep this comment under 60 KB: run \`scope-policy diff --format json\` for the full list._`
        },
      })
    }
    case 'text': {
      const lines = [headline]
      let app = ''
      for (const c of diff.changes) {
        if (c.app !== app) lines.push((app = c.app))
        lines.push(`  ${c.risk.padEnd(8)} ${(c.environment ?? '-').padEnd(10)} ${describe(c)} [${c.why}]`)
      }
      return visibleLines(lines)
    }
  }
}

async function folderExists (cwd: string, dir: string): Promise<boolean> {
  return stat(resolve(cwd, dir)).then((s) => s.isDirectory(), () => false)
}

export const diff: Command = {
  name: 'diff',
  summary: 'what changed in the policies between two git revisions, with risk flags',
  help: `Usage: scope-policy diff [--base REF] [--head REF] [--fail-on LEVEL] [--format FORMAT] [--policies DIR | DIR]

Compares the policy folder at --base (default HEAD) with --head (default: the
working tree) and flags each change critical, high, medium, low or info.
In a pull request: scope-policy diff --base origin/main --format markdown

Options:
  --base REF        git revision to compare from (default HEAD)
  --head REF        git revision to compare to (default: the working tree)
  --fail-on LEVEL   exit 1 when a change is LEVEL or higher (critical|high|medium|low|info)
  --policies DIR    policy folder (default: $POLICY_DIR, else ./policies)
  --format FORMAT   text (default), json, github, markdown (under 60 KB, for PR comments)
  -h, --help        this help

Exit: 0, or 1 with --fail-on and a change at that level (or policies that do not load);
2 usage error (unknown ref, not a git repository).
`,
  options: {
    base: { type: 'string' },
    head: { type: 'string' },
    'fail-on': { type: 'string' },
    policies: { type: 'string' },
    format: { type: 'string' },
  },
  async run (io, args) {
    const format = formatOption(args, 'diff')
    const failOnValue = stringOption(args, 'fail-on', 'diff')
    if (failOnValue !== undefined && !isRisk(failOnValue)) {
      throw new UsageError(`unknown --fail-on level '${failOnValue}' (use ${RISKS.join(', ')})`, 'diff')
    }
    const failOn = failOnValue as Risk | undefined
    const base = stringOption(args, 'base', 'diff') ?? 'HEAD'
    const head = stringOption(args, 'head', 'diff')
    const dir = policyDirOption(args, 'diff', io.env)

    const repo = await locateFolder(io.cwd, dir)
    const baseCommit = await resolveCommit(repo.top, base, '--base')
    const headCommit = head === undefined ? undefined : await resolveCommit(repo.top, head, '--head')
    const before = await loadFromCommit(repo.top, baseCommit, repo.dirInRepo, dir)
    let after: LoadResult | null
    if (headCommit !== undefined) after = await loadFromCommit(repo.top, headCommit, repo.dirInRepo, dir)
    else after = (await folderExists(io.cwd, dir)) ? await loadPolicyDir(resolve(io.cwd, dir)) : null
    if (before === null && after === null) {
      throw new UsageError(`no policy folder '${dir}' at ${base} nor at ${head ?? 'the working tree'}`, 'diff')
    }
    const headLabel = head ?? 'working tree'
    const result = diffPolicySets(
      before && validSet(before, dir, `${dir} at ${base}`),
      after && validSet(after, dir, `${dir} at ${headLabel}`)
    )
    io.out(render(format, result, { base, head: headLabel, dir, failOn }))
    return result.changes.some((c) => reaches(c.risk, failOn)) ? 1 : 0
  },
}
