// The service's environment (@fastify/env, a JSON Schema): defaults, parsing, and errors that
// name the variable.
import { fileURLToPath } from 'node:url'
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
    PREFLIGHT_API_KEYS: 'key-one-4f9a2c7e1b , key-two-8d3e6a0c5f,',
    LOG_LEVEL: 'warn',
    UNRELATED: 'x',
  })
  t.same(config, { port: 8080, host: '0.0.0.0', policyDir: '/etc/policies', apiKeys: ['key-one-4f9a2c7e1b', 'key-two-8d3e6a0c5f'], logLevel: 'warn', metricsClientLabels: false })
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

t.test('keys are printable ASCII, at least 16 characters: a clear error naming the variable, never the key', async (t) => {
  const good = 'a-good-key-0123456789'
  const refused: Array<[string, string, RegExp]> = [
    ['a short key', `${good},short-key-123`, /PREFLIGHT_API_KEYS holds a key that is shorter than 16 characters/],
    ['a non-ASCII key', `${good},clé-très-secrète-0123456789`, /PREFLIGHT_API_KEYS holds a key that holds a character other than printable ASCII/],
    ['a control character', `${good},control\u0007char-0123456789`, /other than printable ASCII/],
  ]
  for (const [name, value, reason] of refused) {
    const err = (await readServeConfig({ PREFLIGHT_API_KEYS: value }).catch((e: unknown) => e)) as ServeConfigError
    t.type(err, ServeConfigError, name)
    t.same(err.variables, ['PREFLIGHT_API_KEYS'], name)
    t.match(err.message, reason, name)
    for (const key of value.split(',')) t.notOk(err.message.includes(key), `${name}: no key in the message`)
  }
  t.same((await readServeConfig({ PREFLIGHT_API_KEYS: `${good}, !#$%&'()*+-./:;<=>?@[]^_\`{|}~` })).apiKeys, [good, "!#$%&'()*+-./:;<=>?@[]^_`{|}~"], 'every printable ASCII character but the comma')
})

t.test('an embedder passing a key that cannot work is refused at start, without the key', async (t) => {
  const { buildPreflightApp } = await import('../../service/http/app.js')
  const policyDir = fileURLToPath(new URL('../fixtures/preflight/basic', import.meta.url))
  for (const [key, message] of [['tiny-k3y', /^apiKeys: a key is shorter than 16 characters/], ['ünïcödé-key-0123456789', /printable ASCII/]] as const) {
    const app = buildPreflightApp({ policyDir, watch: false, apiKeys: [key] })
    t.teardown(() => app.close())
    const err = (await app.ready().then(() => null, (e: Error) => e))
    t.match(err?.message, message)
    t.notOk(err?.message.includes(key), 'no key in the message')
  }
})
