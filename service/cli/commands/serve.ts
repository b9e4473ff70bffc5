// `scope-policy serve`: the preflight HTTP API of docs/preflight-api.md.
import { stringOption, noPositionals } from '../args.js'
import type { Command } from '../command.js'

export const serve: Command = {
  name: 'serve',
  summary: 'serve the preflight HTTP API (POST /v1/preflight)',
  help: `Usage: scope-policy serve [--policies DIR | DIR]

Starts the preflight HTTP API. Configured from the environment:
  PORT (3000), HOST (127.0.0.1), POLICY_DIR (./policies),
  PREFLIGHT_API_KEYS (optional, comma-separated bearer keys),
  LOG_LEVEL (info)
The policies reload when their files change and on SIGHUP.

Options:
  --policies DIR   policy folder (overrides POLICY_DIR)
  -h, --help       this help
`,
  options: { policies: { type: 'string' } },
  async run (io, args) {
    const flag = stringOption(args, 'policies', 'serve')
    if (args.positionals.length > 1 || (flag !== undefined && args.positionals.length > 0)) noPositionals(args, 'serve')
    const policyDir = flag ?? args.positionals[0]
    // Loaded only here: the other commands must not pay for starting Fastify.
    const { serve: start } = await import('../../http/serve.js')
    await start(policyDir === undefined ? {} : { policyDir })
    return 0
  },
}
