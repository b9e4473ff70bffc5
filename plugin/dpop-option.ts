// The plugin's side of DPoP (docs/dpop.md): the option, the policy entry's `dpop: true` and
// the key from APP_TOKEN_DPOP_KEY / _FILE put together. The token core checks the result.
import type { EnvironmentPolicy } from '../service/policy/types.js'
import type { DpopOption } from './token/dpop.js'
import { InvalidOptionError } from './token/errors.js'
import { readSecretFile, type AppTokenEnv } from './env.js'

/** The `dpop` the core gets: on when the option or the policy entry says so, with the key from the environment when none is given. */
export async function pluginDpop (option: DpopOption | undefined, env: AppTokenEnv, entry: EnvironmentPolicy | undefined, clientId: string): Promise<DpopOption | undefined> {
  if (entry?.dpop === true && option === false) {
    throw new InvalidOptionError(`option dpop: false differs from the policy entry of ${clientId} (dpop: true, ${entry.at.file}:${entry.at.line}): drop the option, or change the policy in a reviewed pull request`)
  }
  if (!(option === true || (typeof option === 'object' && option !== null) || (option === undefined && entry?.dpop === true))) return option
  const given = typeof option === 'object' ? option : {}
  if (given.privateKey !== undefined) return given
  const file = env.APP_TOKEN_DPOP_KEY_FILE
  const privateKey = env.APP_TOKEN_DPOP_KEY ?? (file === undefined ? undefined : await readSecretFile({ path: file, variable: 'APP_TOKEN_DPOP_KEY_FILE', what: 'DPoP private key' }))
  return privateKey === undefined ? given : { ...given, privateKey }
}
