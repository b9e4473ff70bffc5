// `scope-policy verify`: asks each client's real token endpoint for its whitelist and reports
// drift between the policy and the provider's portal (docs/verify.md).
import { join } from 'node:path'
import { FAIL_ON, FAILING, STATUSES, verifyPolicies, type FailOn, type VerifyReport, type VerifyResult } from '../../policy/verify/index.js'
import { VARIABLE_NAME_PATTERN } from '../../policy/schema.js'
import type { PolicySet } from '../../policy/types.js'
import { CliError, formatOption, policyDirOption, stringListOption, stringOption, UsageError, type Format } from '../args.js'
import type { Command } from '../command.js'
import { loadValidSet } from '../load.js'
import { annotation } from '../output/github.js'
import { cell, codeCell, renderMarkdown } from '../output/markdown.js'
import { plural } from '../output/plural.js'
import { visibleLines } from '../output/visible.js'

const MAX_CONCURRENCY = 64

function failOnOption (args: Parameters<Command['run']>[1]): FailOn {
  const value = stringOption(args, 'fail-on', 'verify') ?? 'drift'
  if (!(FAIL_ON as readonly string[]).includes(value)) throw new UsageError(`unknown --fail-on '${value}' (use ${FAIL_ON.join(' or ')})`, 'verify')
  return value as FailOn
}

function concurrencyOption (args: Parameters<Command['run']>[1]): number | undefined {
  const value = stringOption(args, 'concurrency', 'verify')
  if (value === undefined) return undefined
  const n = /^[0-9]+$/.test(value) ? Number(value) : NaN
  if (!(n >= 1 && n <= MAX_CONCURRENCY)) throw new UsageError(`--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, got '${value}'`, 'verify')
  return n
}

const VARIABLE_NAME = new RegExp(VARIABLE_NAME_PATTERN)

function allowEnvOption (args: Parameters<Command['run']>[1]): string[] | undefined {
  const names = stringListOption(args, 'allow-env', 'verify')
  const bad = names?.find((n) => !VARIABLE_NAME.test(n))
  if (bad !== undefined) throw new UsageError(`--allow-env takes a variable name (A-Z, 0-9 and _), got '${bad}'`, 'verify')
  return names
}

function allowHostOption (args: Parameters<Command['run']>[1]): string[] | undefined {
  const hosts = stringListOption(args, 'allow-host', 'verify')
  // A host, optionally with its port: no scheme, path or credentials (those would never match).
  const bad = hosts?.find((h) => !/^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/.test(h))
  if (bad !== undefined) throw new UsageError(`--allow-host takes a host name (optionally host:port), got '${bad}'`, 'verify')
  return hosts
}

function counts (report: VerifyReport): string {
  return STATUSES.filter((s) => report.summary.counts[s] > 0).map((s) => `${report.summary.counts[s]} ${s}`).join(', ') || 'nothing verified'
}

function headline (report: VerifyReport): string {
  const { entries, failing, failOn } = report.summary
  return `${entries} ${entries === 1 ? 'entry' : 'entries'}: ${counts(report)}` +
    (failing > 0 ? ` — ${failing} failing (--fail-on ${failOn})` : '')
}

const who = (r: VerifyResult): string => `${r.app}/${r.environment}`

/** Where a reviewer acts on this entry: its whitelist, or the environment itself. */
function placeOf (r: VerifyResult, policies: PolicySet): { file: string; line: number } | undefined {
  const app = policies.apps.get(r.app)
  const env = app?.environments.get(r.environment)
  if (!app || !env) return undefined
  const at = r.missing.length > 0 || r.extra.length > 0 || r.status === 'refused' ? env.scopesAt : env.at
  return { file: join(policies.dir, at.file), line: at.line }
}

function render (format: Format, report: VerifyReport, policies: PolicySet): string {
  const failing = new Set(FAILING[report.summary.failOn])
  const dir = report.summary.dir
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`
    case 'github':
      return report.results
        .filter((r) => r.status !== 'ok')
        .map((r) => `${annotation({
          level: failing.has(r.status) ? 'error' : r.status === 'skipped' ? 'notice' : 'warning',
          ...placeOf(r, policies),
          title: `scope-policy verify: ${r.status} ${who(r)}`,
          message: r.message,
        })}\n`)
        .join('') + visibleLines([`scope-policy verify ${dir}: ${headline(report)}`])
    case 'markdown': {
      const apps = [...new Set(report.results.map((r) => r.app))]
      return renderMarkdown({
        summary: `**scope-policy verify** ${codeCell(dir)}: ${cell(headline(report))}.`,
        headers: ['Environment', 'Client', 'Status', 'Missing', 'Extra', 'Detail'],
        sections: apps.map((app) => ({
          title: codeCell(app),
          rows: report.results.filter((r) => r.app === app).map((r) => ({
            cells: [
              codeCell(r.environment), codeCell(r.clientId),
              failing.has(r.status) ? `**${r.status}**` : r.status,
              r.missing.map(codeCell).join(' '), r.extra.map(codeCell).join(' '), cell(r.message),
            ],
            priority: failing.has(r.status) ? 2 : r.status === 'ok' ? 0 : 1,
          })),
        })),
        cutNote: (cut) => `_${plural(cut.length, 'more row')} not shown: run ${codeCell(`scope-policy verify --policies ${dir}`)} for all._`,
      })
    }
    case 'text':
      return visibleLines([...report.results.map((r) => `${r.status.padEnd(14)} ${who(r)} (${r.clientId}): ${r.message}`), `${dir}: ${headline(report)}`])
  }
}

export const verify: Command = {
  name: 'verify',
  summary: 'ask each token endpoint for the whitelist: does the portal grant what the policy says?',
  help: `Usage: scope-policy verify [--policies DIR | DIR] [--app APP] [--env ENV] [--format FORMAT]
                           [--fail-on drift|error] [--concurrency N]
                           [--allow-host HOST]... [--allow-env NAME]...

Requests one token per app and environment (client_credentials, exactly the whitelisted
scopes) and compares what the server grants with the policy. The token is never printed,
only a fingerprint. Credentials come from the environment, by the entry's authMethod: the
variable its secretEnv / privateKeyEnv / tlsCertEnv and tlsKeyEnv names, else
SCOPE_POLICY_SECRET_, SCOPE_POLICY_PRIVATE_KEY_, SCOPE_POLICY_TLS_CERT_ and
SCOPE_POLICY_TLS_KEY_<APP>_<ENV> (upper case, other characters as _); NAME_FILE (a file
path) works too. An entry without its credential is skipped. A token endpoint with a private
CA: NODE_EXTRA_CA_CERTS.

A policy change must never steer a secret: an entry is skipped, no request sent, when its
…Env field names a variable outside SCOPE_POLICY_… (unless --allow-env names it), when
another entry reads the same variable, or when --allow-host is given and does not name the
host of its tokenEndpoint.

Statuses: ok, narrowed, widened, unverified, refused, invalid_client, unreachable, skipped.

Options:
  --policies DIR      policy folder (default: $POLICY_DIR, else ./policies)
  --app APP           only this app
  --env ENV           only this environment
  --format FORMAT     text (default), json, github (workflow annotations), markdown
  --fail-on LEVEL     drift (default): narrowed, widened, refused fail;
                      error: also invalid_client, unreachable, unverified
  --concurrency N     token requests in flight at once (default 4, at most ${MAX_CONCURRENCY})
  --allow-host HOST   send credentials only to this host (repeatable; others are skipped)
  --allow-env NAME    let an entry's …Env field name this variable outside SCOPE_POLICY_…
                      (repeatable)
  -h, --help          this help

Exit: 0 no failing entry, 1 a failing entry (or the policies do not load), 2 usage error.
`,
  options: {
    policies: { type: 'string' },
    app: { type: 'string' },
    env: { type: 'string' },
    format: { type: 'string' },
    'fail-on': { type: 'string' },
    concurrency: { type: 'string' },
    'allow-env': { type: 'string', multiple: true },
    'allow-host': { type: 'string', multiple: true },
  },
  async run (io, args) {
    const format = formatOption(args, 'verify')
    const failOn = failOnOption(args)
    const concurrency = concurrencyOption(args)
    const allowEnv = allowEnvOption(args)
    const allowHost = allowHostOption(args)
    const app = stringOption(args, 'app', 'verify')
    const environment = stringOption(args, 'env', 'verify')
    const dir = policyDirOption(args, 'verify', io.env)
    if (!io.fetchToken) throw new CliError('verify needs the token client: run it through the scope-policy bin')
    const policies = await loadValidSet(dir)
    if (app !== undefined && !policies.apps.has(app)) throw new UsageError(`no app '${app}' in ${dir}`, 'verify')
    const report = await verifyPolicies(policies, {
      fetchToken: io.fetchToken,
      env: io.env,
      failOn,
      ...(app !== undefined ? { app } : {}),
      ...(environment !== undefined ? { environment } : {}),
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(allowEnv !== undefined ? { allowEnv } : {}),
      ...(allowHost !== undefined ? { allowHost } : {}),
    })
    if (environment !== undefined && report.results.length === 0) {
      throw new UsageError(`no environment '${environment}'${app !== undefined ? ` in app '${app}'` : ''} in ${dir}`, 'verify')
    }
    io.out(render(format, report, policies))
    return report.summary.failing > 0 ? 1 : 0
  },
}
