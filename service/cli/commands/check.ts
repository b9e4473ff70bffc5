// `scope-policy check --client ID [--env E] SCOPE...`: the §4 preflight check on the command line.
import { join } from 'node:path'
import { check as checkScopes } from '../../policy/check.js'
import type { CheckResult, PolicySet } from '../../policy/types.js'
import { formatOption, policyDirOption, stringOption, UsageError, type Format } from '../args.js'
import type { Command } from '../command.js'
import { loadValidSet } from '../load.js'
import { annotation } from '../output/github.js'
import { cell, codeCell, renderMarkdown } from '../output/markdown.js'
import { visibleLines } from '../output/visible.js'

function who (result: CheckResult, clientId: string): string {
  return result.app ? `${clientId} (${result.app}, ${result.environment})` : clientId
}

function render (format: Format, result: CheckResult, clientId: string, policies: PolicySet, dir: string): string {
  const entry = policies.byClientId.get(clientId)
  const scopes = result.scopes.join(' ') || '(no scope)'
  const headline = result.allowed
    ? `allowed: ${who(result, clientId)} may request ${scopes}`
    : `denied: ${who(result, clientId)} may not request ${scopes}`
  switch (format) {
    case 'json':
      return `${JSON.stringify(result, null, 2)}\n`
    case 'github': {
      // Point at the whitelist a reviewer would edit.
      const at = entry ? { file: join(dir, entry.environment.scopesAt.file), line: entry.environment.scopesAt.line } : {}
      if (result.allowed) return `${annotation({ level: 'notice', title: 'scope-policy check', message: headline })}\n`
      return result.violations
        .map((v) => `${annotation({
          level: 'error',
...at,
title: `scope-policy check: ${v.code}`,
          message: v.suggestion ? `${v.message} (suggestion: ${v.suggestion})` : v.message,
        })}\n`)
        .join('') + visibleLines([headline])
    }
    case 'markdown':
      return renderMarkdown({
        summary: `**scope-policy check** ${cell(headline)}`,
        headers: ['Scope', 'Code', 'Message', 'Suggestion'],
        sections: result.violations.length === 0
          ? []
          : [{
              title: codeCell(clientId),
              rows: result.violations.map((v) => ({
                cells: [codeCell(v.scope), codeCell(v.code), cell(v.message), v.suggestion ? codeCell(v.suggestion) : ''],
                priority: 0,
              })),
            }],
        cutNote: (cut) => `_${cut.length} more violations not shown._`,
      })
    case 'text':
      return visibleLines([headline, ...result.violations.flatMap((v) =>
        [`  ${v.scope || '(none)'}: ${v.code}: ${v.message}`, ...(v.suggestion ? [`    suggestion: ${v.suggestion}`] : [])])])
  }
}

export const check: Command = {
  name: 'check',
  summary: 'check a scope request against the policy (docs/policy-files.md)',
  help: `Usage: scope-policy check --client ID [--env ENV] [--resource URI] [--audience AUD] [--policies DIR] [--format FORMAT] SCOPE...

Checks the scopes a client would request against its whitelist, as the plugin
does before every token request. Each violation comes with what to do.

Options:
  --client ID      the client id (as the developer portal shows it)
  --env ENV        the environment the client id must belong to
  --resource URI   the RFC 8707 resource to ask for instead of the entry's
  --audience AUD   the audience to ask for instead of the entry's
  --policies DIR   policy folder (default: $POLICY_DIR, else ./policies)
  --format FORMAT  text (default), json (the check result), github, markdown
  -h, --help       this help

Exit: 0 allowed, 1 denied (or the policy folder has errors), 2 usage error.
`,
  options: {
    client: { type: 'string' }, env: { type: 'string' }, resource: { type: 'string' }, audience: { type: 'string' }, policies: { type: 'string' }, format: { type: 'string' },
  },
  async run (io, args) {
    const format = formatOption(args, 'check')
    const clientId = stringOption(args, 'client', 'check')
    if (clientId === undefined) throw new UsageError('missing --client ID', 'check')
    const environment = stringOption(args, 'env', 'check')
    const resource = stringOption(args, 'resource', 'check')
    const audience = stringOption(args, 'audience', 'check')
    const dir = policyDirOption(args, 'check', io.env, false)
    const policies = await loadValidSet(dir)
    const result = checkScopes(policies, {
      clientId,
      ...(environment !== undefined ? { environment } : {}),
      ...(resource !== undefined ? { resource } : {}),
      ...(audience !== undefined ? { audience } : {}),
      scopes: args.positionals.join(' '),
    })
    io.out(render(format, result, clientId, policies, dir))
    return result.allowed ? 0 : 1
  },
}
