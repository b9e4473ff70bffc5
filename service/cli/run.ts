// The dispatcher: picks the command, turns every failure into one line and an exit code
// (0 ok, 1 findings or failure, 2 usage error). Never prints a stack trace.
import { readFileSync } from 'node:fs'
import { CliError, parseCommandArgs, UsageError } from './args.js'
import type { Command, Io } from './command.js'
import { check } from './commands/check.js'
import { diff } from './commands/diff.js'
import { fmt } from './commands/fmt.js'
import { lint } from './commands/lint.js'
import { schema } from './commands/schema.js'
import { serve } from './commands/serve.js'
import { verify } from './commands/verify.js'
import { visible } from './output/visible.js'

const COMMANDS: readonly Command[] = [lint, check, diff, fmt, schema, verify, serve]

function mainHelp (): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return `Usage: scope-policy <command> [options]

Lint, check, diff, format and verify the scope policy files (policies/<app>.yaml).

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Every command reads the folder given by --policies DIR (or [dir]), else $POLICY_DIR,
else ./policies. Reporting commands take --format text|json|github|markdown.
Run 'scope-policy <command> --help' for its options.
Exit: 0 ok, 1 findings (or denied, or a change at --fail-on), 2 usage error.
`
}

function version (): string {
  // dist/service/cli/run.js → package.json at the package root.
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

// Reasons quote what the user typed, and file names: visible() keeps the one line one line.
function usageLine (err: UsageError): string {
  const help = err.command ? `scope-policy ${err.command} --help` : 'scope-policy --help'
  return `scope-policy: ${visible(err.message)} (see '${help}')\n`
}

/** Runs one invocation; resolves to the exit code. */
export async function run (argv: string[], io: Io): Promise<number> {
  try {
    const [name, ...rest] = argv
    if (name === undefined) throw new UsageError('missing command')
    if (name === '--help' || name === '-h' || name === 'help') {
      io.out(mainHelp())
      return 0
    }
    if (name === '--version' || name === '-v') {
      io.out(`${version()}\n`)
      return 0
    }
    const command = COMMANDS.find((c) => c.name === name)
    if (!command) {
      throw new UsageError(name.startsWith('-') ? `unknown option '${name}' before the command` : `unknown command '${name}'`)
    }
    const args = parseCommandArgs(command.name, rest, command.options)
    if (args.values.help === true) {
      io.out(command.help)
      return 0
    }
    return await command.run(io, args)
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(usageLine(err))
      return 2
    }
    if (err instanceof CliError) {
      io.err(`scope-policy: ${visible(err.message)}\n`)
      return err.exitCode
    }
    // A bug or an unexpected failure: one line still, the stack only on request.
    const message = err instanceof Error ? err.message : String(err)
    io.err(`scope-policy: ${visible(message.split('\n')[0] ?? '')}\n`)
    if (io.env.SCOPE_POLICY_DEBUG) io.err(`${err instanceof Error ? err.stack : ''}\n`)
    return 1
  }
}
