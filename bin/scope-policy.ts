#!/usr/bin/env node
// The `scope-policy` bin (docs/cli.md): the service's CLI, given the token core's client for
// `verify`. Sets the exit code instead of calling process.exit, so piped output is flushed
// before the process ends.
import { run } from '../service/cli/run.js'
import { tokenFetcher } from './token-fetcher.js'

// `scope-policy diff | head`: the reader left; stop quietly instead of crashing on EPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw err
})

process.exitCode = await run(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  out: (text) => { process.stdout.write(text) },
  err: (text) => { process.stderr.write(text) },
  fetchToken: tokenFetcher,
})
