import { readFileSync, statSync } from 'node:fs'
import t from 'tap'
import { BIN, runCli } from '../helpers/cli.js'

const COMMANDS = ['lint', 'check', 'diff', 'fmt', 'schema', 'serve']

t.test('usage errors exit 2 with one line and a hint to --help', async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /^scope-policy: missing command \(see 'scope-policy --help'\)$/],
    [['bogus'], /^scope-policy: unknown command 'bogus' \(see 'scope-policy --help'\)$/],
    [['bo\ngus'], /^scope-policy: unknown command 'bo\\u000Agus' \(see 'scope-policy --help'\)$/],
    [['lint', '--bogus'], /^scope-policy: unknown option '--bogus' \(see 'scope-policy lint --help'\)$/],
    [['lint', '--format'], /^scope-policy: option '--format' needs a value/],
    [['lint', '--format', 'xml'], /^scope-policy: unknown format 'xml' \(use text, json, github, markdown\)/],
    [['lint', '--strict=yes'], /^scope-policy: option '--strict' takes no value/],
    [['lint', 'a', 'b'], /^scope-policy: expected one policy folder, got 2/],
    [['check', '--client'], /^scope-policy: option '--client' needs a value \(see 'scope-policy check --help'\)$/],
    [['diff', '--fail-on', 'severe'], /^scope-policy: unknown --fail-on level 'severe'/],
    [['fmt', '--write'], /^scope-policy: unknown option '--write'/],
    [['schema', 'extra'], /^scope-policy: unexpected argument 'extra'/],
  ]
  for (const [args, expected] of cases) {
    const r = await runCli(args)
    t.equal(r.code, 2, `${args.join(' ')} exits 2`)
    t.equal(r.stdout, '', `${args.join(' ')} prints nothing on stdout`)
    t.equal(r.stderr.split('\n').length, 2, `${args.join(' ')}: one line`)
    t.match(r.stderr.trim(), expected)
  }
})

t.test('--help for the tool and for each command', async (t) => {
  const main = await runCli(['--help'])
  t.equal(main.code, 0)
  for (const name of COMMANDS) t.match(main.stdout, new RegExp(`^  ${name} `, 'm'))
  for (const name of COMMANDS) {
    for (const flag of ['--help', '-h']) {
      const r = await runCli([name, flag])
      t.equal(r.code, 0)
      t.match(r.stdout, new RegExp(`^Usage: scope-policy ${name}`))
    }
  }
})

t.test('--version prints the package version', async (t) => {
  const r = await runCli(['--version'])
  t.equal(r.code, 0)
  t.match(r.stdout, /^\d+\.\d+\.\d+\n$/)
})

t.test('schema prints the JSON Schema of a policy file', async (t) => {
  const r = await runCli(['schema'])
  t.equal(r.code, 0)
  const schema = JSON.parse(r.stdout) as { type: string; required: string[]; properties: Record<string, unknown> }
  t.equal(schema.type, 'object')
  t.same(Object.keys(schema.properties).sort(), ['app', 'description', 'environments', 'owner', 'provider'])
  t.ok(schema.required.includes('owner'))
})

t.test('the built bin runs as a command: shebang and executable bit', async (t) => {
  // `npx scope-policy` in a fresh clone execs dist/bin/scope-policy.js directly; tsc writes
  // it 0644, so the build has to set the bit (npm does it only for installed dependencies).
  t.equal(readFileSync(BIN, 'utf8').split('\n')[0], '#!/usr/bin/env node')
  t.ok(statSync(BIN).mode & 0o111, `${BIN} is executable`)
})
