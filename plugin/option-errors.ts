// The plugin's option errors: "option <name>: <problem and fix>", its own and the token
// core's, relabelled as the option (or variable) the user set.
import { InvalidOptionError } from './token/errors.js'

export function fail (option: string, message: string): never {
  throw new InvalidOptionError(`option ${option}: ${message}`)
}

/**
 * The core's rule, reported as this option: "timeout must be …" → "option timeout: must be …";
 * `labels` names the variable a value came from ({ provider: 'APP_TOKEN_PROVIDER' }).
 */
export function asOption<T> (check: () => T, labels: Readonly<Record<string, string>> = {}): T {
  try {
    return check()
  } catch (err) {
    if (!(err instanceof InvalidOptionError) || err.option === undefined) throw err
    const { option } = err
    const hint = ENV_HINTS[option]
    // "dpop.alg …" keeps ".alg …"; a message that starts otherwise is kept whole.
    const problem = err.message.startsWith(option) ? err.message.slice(option.length).replace(/^ /, '') : err.message
    fail(labels[option] ?? option, problem + (hint === undefined || labels[option] !== undefined ? '' : ` (or env ${hint})`))
  }
}

/** The variables the plugin reads for a core option: named in the core's message, which knows none. */
const ENV_HINTS: Readonly<Record<string, string>> = {
  clientSecret: 'APP_TOKEN_CLIENT_SECRET / APP_TOKEN_CLIENT_SECRET_FILE',
  privateKey: 'APP_TOKEN_PRIVATE_KEY / APP_TOKEN_PRIVATE_KEY_FILE',
  provider: 'APP_TOKEN_PROVIDER'
}

/** A value for a message: never a function's source. */
export function show (value: unknown): string {
  if (typeof value === 'function') return 'a function'
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return typeof value
  }
}
