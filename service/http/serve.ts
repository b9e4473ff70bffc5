// `scope-policy serve` / `npm start`: the preflight API as a process (docs/preflight-api.md).
import { buildPreflightApp } from './app.js'
import { readServeConfig } from './config.js'

/** Options of `serve`; the rest comes from the environment (docs/preflight-api.md). */
export interface ServeOptions {
  /** Overrides POLICY_DIR (the CLI's --policies). */
  policyDir?: string
  /** The environment to configure from. Default process.env. */
  env?: NodeJS.ProcessEnv
}

/**
 * Starts the service and resolves once it listens. SIGHUP reloads the policies;
 * SIGTERM and SIGINT stop accepting connections, let in-flight requests finish and
 * exit 0. Rejects on a bad environment (the message names the variable) or an invalid
 * policy folder (each finding logged as file:line:col).
 */
export async function serve (options: ServeOptions = {}): Promise<void> {
  const config = await readServeConfig(options.env ?? process.env)
  const app = buildPreflightApp({
    policyDir: options.policyDir ?? config.policyDir,
    apiKeys: config.apiKeys,
    logger: { level: config.logLevel },
    metricsClientLabels: config.metricsClientLabels,
    watch: true,
  })
  try {
    await app.listen({ port: config.port, host: config.host })
  } catch (err) {
    app.log.fatal({ err }, 'preflight service failed to start')
    await app.close()
    throw err
  }
  app.log.info({ policyDir: app.preflightPolicies.dir, apiKeys: config.apiKeys.length > 0 }, 'preflight service ready')

  const reload = (): void => void app.preflightPolicies.reload('SIGHUP')
  let stopping = false
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      app.log.warn({ signal }, 'second signal: exiting without waiting')
      process.exit(1)
    }
    stopping = true
    app.log.info({ signal }, 'shutting down: finishing in-flight requests')
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'shutdown failed')
        process.exit(1)
      }
    )
  }
  process.on('SIGHUP', reload)
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}
