// The service's environment (docs/preflight-api.md), validated by @fastify/env against a JSON
// Schema before the app is built: the logger level and the keys are needed to build it.
import { apiKeyProblem, parseApiKeys } from './api-key.js'
import { servicePeers } from './peers.js'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
type LogLevel = (typeof LOG_LEVELS)[number]

const ServeEnvSchema = {
  type: 'object',
  required: ['PORT', 'HOST', 'POLICY_DIR', 'LOG_LEVEL', 'METRICS_CLIENT_LABELS'],
  properties: {
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 3000 },
    HOST: { type: 'string', minLength: 1, default: '127.0.0.1' },
    POLICY_DIR: { type: 'string', minLength: 1, default: './policies' },
    // Comma-separated; when set, the /v1 routes need `Authorization: Bearer <key>`. Each key is at
    // least 16 printable ASCII characters (see api-key.ts).
    PREFLIGHT_API_KEYS: { type: 'string', pattern: '^[ \\t]*[!-+\\--~]{16,}([ \\t]*,[ \\t]*[!-+\\--~]{16,})*[ \\t]*,?[ \\t]*$' },
    LOG_LEVEL: { type: 'string', enum: LOG_LEVELS, default: 'info' },
    // `true` adds a client_id label to /metrics (docs/metrics.md): one series per known clientId.
    METRICS_CLIENT_LABELS: { type: 'boolean', default: false },
  },
}

/** The environment once validated, defaults applied. */
interface ServeEnv {
  PORT: number
  HOST: string
  POLICY_DIR: string
  PREFLIGHT_API_KEYS?: string
  LOG_LEVEL: LogLevel
  METRICS_CLIENT_LABELS: boolean
}

export interface ServeConfig {
  port: number
  host: string
  policyDir: string
  apiKeys: string[]
  logLevel: LogLevel
  metricsClientLabels: boolean
}

/** Thrown for a bad environment; the message names each variable, never its value. */
export class ServeConfigError extends Error {
  override name = 'ServeConfigError'
  readonly variables: string[]
  constructor (variables: string[], reasons: string[]) {
    super(`invalid environment: ${reasons.join('; ')}`)
    this.variables = variables
  }
}

interface AjvError {
  instancePath: string
  keyword: string
  message?: string
  params: Record<string, unknown>
}

function reasonFor (e: AjvError, value: string | undefined): string {
  if (e.keyword === 'enum') return `must be one of ${(e.params.allowedValues as string[]).join(', ')}`
  if (e.keyword !== 'pattern') return e.message ?? e.keyword
  // Empty is refused, not read as "no keys": a missing secret must not open the API.
  if (value === '') return 'is empty: unset it to serve without keys'
  const problem = parseApiKeys(value).map(apiKeyProblem).find((p) => p !== null)
  return problem ? `holds ${problem.replace(/^a key/, 'a key that')}` : 'must be a comma-separated list of keys without spaces inside a key'
}

function toConfigError (err: unknown, env: NodeJS.ProcessEnv): Error {
  const errors = (err as { errors?: AjvError[] }).errors
  if (!Array.isArray(errors)) return err as Error
  const byVariable = new Map<string, string>()
  for (const e of errors) {
    const name = e.instancePath.replace(/^\//, '') || String(e.params.missingProperty ?? 'environment')
    if (!byVariable.has(name)) byVariable.set(name, `${name} ${reasonFor(e, env[name])}`)
  }
  return new ServeConfigError([...byVariable.keys()], [...byVariable.values()])
}

export async function readServeConfig (env: NodeJS.ProcessEnv = process.env): Promise<ServeConfig> {
  const { fastify, fastifyEnv } = servicePeers()
  const probe = fastify({ logger: false })
  try {
    // env-schema sets additionalProperties on the schema it is given: give it a copy.
    await probe.register(fastifyEnv, { schema: { ...ServeEnvSchema }, data: env, env: false, dotenv: false })
    const config = probe.getEnvs<ServeEnv>()
    return {
      port: config.PORT,
      host: config.HOST,
      policyDir: config.POLICY_DIR,
      apiKeys: parseApiKeys(config.PREFLIGHT_API_KEYS),
      logLevel: config.LOG_LEVEL,
      metricsClientLabels: config.METRICS_CLIENT_LABELS,
    }
  } catch (err) {
    throw toConfigError(err, env)
  } finally {
    await probe.close()
  }
}
