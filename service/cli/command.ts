// What every sub-command looks like to the dispatcher in run.ts.
import type { TokenFetcher } from '../policy/verify/index.js'
import type { OptionSpec, ParsedArgs } from './args.js'

export interface Io {
  cwd: string
  env: NodeJS.ProcessEnv
  out: (text: string) => void
  err: (text: string) => void
  /** The token client `verify` asks with; the `scope-policy` bin supplies the token core's. */
  fetchToken?: TokenFetcher
}

export interface Command {
  name: string
  /** One line for the command table of `scope-policy --help`. */
  summary: string
  /** Full `scope-policy <name> --help` text. */
  help: string
  options: OptionSpec
  /** Resolves to the exit code. */
  run: (io: Io, args: ParsedArgs) => Promise<number>
}
