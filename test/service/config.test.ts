// The service's environment (@fastify/env + TypeBox): defaults, parsing, and errors that
// name the variable.
import t from 'tap'
import { readServeConfig, ServeConfigError } from '../../service/http/config.js'

t.test('defaults', async (t) => {
  t.same(await readServeConfig({}), { port: 3000, host: '127.0.0.1', policyDir: './policies', apiKeys: [], logLevel: 'info', metricsClientLabels: false })
})

t.test('values from the environment given, not from process.env', async (t) => {
  process.env.PORT = '1'
  t.teardown(() => void delete process.env.PORT)
  const config = await readServeConfig({
    PORT: '8080',
    HOST: '0.0.0.0',
    POLICY_DIR: '/etc/policies',
    PREFLIGHT_API_KEYS: 'k1 , k2,',
    LOG_LEVEL: 'warn',
    UNRELATED: 'x',
  })
  t.same(config, { port: 8080, host: '0.0.0.0', policyDir: '/etc/policies', apiKeys: ['k1', 'k2'], logLevel: 'warn', metricsClientLabels: false })
  t.equal((await readServeConfig({})).port, 3000)
})

t.test('every bad variable is named in one error', async (t) => {
  const err = await readServeConfig({ PORT: '-1', LOG_LEVEL: 'chatty', PREFLIGHT_API_KEYS: 'has space' }).catch((e: unknown) => e)
  t.type(err, ServeConfigError)
  const { message, variables } = err as ServeConfigError
  t.same([...variables].sort(), ['LOG_LEVEL', 'PORT', 'PREFLIGHT_API_KEYS'])
  t.match(message, /^invalid environment: /)
  t.match(message, /PORT must be >= 0/)
  t.match(message, /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/)
  t.notOk(message.includes('has space'), 'a key is never echoed')
})

t.test('an empty PREFLIGHT_API_KEYS is refused, not read as "no keys"', async (t) => {
  await t.rejects(readServeConfig({ PREFLIGHT_API_KEYS: '' }), {
    message: 'invalid environment: PREFLIGHT_API_KEYS is empty: unset it to serve without keys',
  })
  await t.rejects(readServeConfig({ PREFLIGHT_API_KEYS: ' , ' }), { message: /PREFLIGHT_API_KEYS must be a comma-separated list/ })
})
