// `scope-policy schema`: the JSON Schema of a policy file, for editors (yaml-language-server).
import { policyJsonSchema } from '../../policy/schema.js'
import { noPositionals } from '../args.js'
import type { Command } from '../command.js'

export const schema: Command = {
  name: 'schema',
  summary: 'print the JSON Schema of a policy file',
  help: `Usage: scope-policy schema > policy.schema.json

Prints the JSON Schema of a policy file (the schema the loader validates with).
Point your editor at it, e.g. with a first line
  # yaml-language-server: $schema=./policy.schema.json

Exit: 0; 2 usage error.
`,
  options: {},
  async run (io, args) {
    noPositionals(args, 'schema')
    io.out(`${JSON.stringify(policyJsonSchema(), null, 2)}\n`)
    return 0
  },
}
