// Argument parsing shared by every command: node:util parseArgs in strict mode, usage errors
// as one line, and the policy-folder rule of docs/cli.md (--policies, [dir], POLICY_DIR, ./policies).
import { parseArgs } from 'node:util'

/** Wrong invocation: exit 2 with one line and a hint to --help. */
export class UsageError extends Error {
  constructor (message: string, readonly command?: string) {
    super(message)
  }
}

/** The command could not do its job (unreadable file, git failure): one line, exit 1. */
export class CliError extends Error {
  constructor (message: string, readonly exitCode = 1) {
    super(message)
  }
}

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>
  positionals: string[]
}

/** The one-line reason for a parseArgs error, without its multi-line advice. */
function parseErrorReason (err: unknown): string {
  const e = err as { code?: string; message?: string }
  const message = String(e.message ?? err)
  const option = /'(-[^' ]+)/.exec(message)?.[1]
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option '${option ?? message}'`
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /does not take an argument/.test(message)
        ? `option '${option}' takes no value`
        : `option '${option}' needs a value`
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'[^']*'/.exec(message)?.[0] ?? ''}`.trim()
    default:
      return (message.split('\n')[0] ?? message).replace(/\.$/, '')
  }
}

export function parseCommandArgs (command: string, args: string[], options: OptionSpec): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { help: { type: 'boolean', short: 'h' }, ...options },
      strict: true,
      allowPositionals: true,
    })
    return { values: values as ParsedArgs['values'], positionals }
  } catch (err) {
    throw new UsageError(parseErrorReason(err), command)
  }
}

export function stringOption (parsed: ParsedArgs, name: string, command: string): string | undefined {
  const value = parsed.values[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value === '') throw new UsageError(`option '--${name}' needs a value`, command)
  return value
}

/** A repeatable option (`multiple: true`): every value given, none empty. */
export function stringListOption (parsed: ParsedArgs, name: string, command: string): string[] | undefined {
  const value = parsed.values[name]
  if (value === undefined) return undefined
  const list = Array.isArray(value) ? value : [value]
  if (list.some((v) => typeof v !== 'string' || v === '')) throw new UsageError(`option '--${name}' needs a value`, command)
  return list as string[]
}

export const FORMATS = ['text', 'json', 'github', 'markdown'] as const
export type Format = (typeof FORMATS)[number]

export function formatOption (parsed: ParsedArgs, command: string): Format {
  const value = stringOption(parsed, 'format', command) ?? 'text'
  if (!(FORMATS as readonly string[]).includes(value)) {
    throw new UsageError(`unknown format '${value}' (use ${FORMATS.join(', ')})`, command)
  }
  return value as Format
}

/** docs/cli.md: --policies DIR, else the positional [dir], else POLICY_DIR, else ./policies. */
export function policyDirOption (
  parsed: ParsedArgs,
  command: string,
  env: NodeJS.ProcessEnv,
  positionalDir = true
): string {
  const flag = stringOption(parsed, 'policies', command)
  const rest = positionalDir ? parsed.positionals : []
  if (rest.length > 1) throw new UsageError(`expected one policy folder, got ${rest.length}: ${rest.join(' ')}`, command)
  const given = rest[0]
  if (flag !== undefined && given !== undefined && flag !== given) {
    throw new UsageError(`two policy folders given ('${flag}' and '${given}'): use --policies or [dir], not both`, command)
  }
  return flag ?? given ?? (env.POLICY_DIR || 'policies')
}

export function noPositionals (parsed: ParsedArgs, command: string): void {
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument '${parsed.positionals[0]}'`, command)
}
