// Type tests (tstyche, `npm run test:types`) of what the plugin adds to Fastify's
// types by declaration merging (docs/plugin.md) and of its options.
import Fastify, { type FastifyContextConfig, type FastifyInstance, type FastifyRequest } from 'fastify'
import { describe, expect, test } from 'tstyche'
import appToken, { memoryStore, type AppToken, type AppTokenOptions, type AppTokenRequestOptions, type TokenStats } from '../../plugin/index.js'

const app = Fastify()

describe('request.appToken', () => {
  test('is an AppToken, not AppToken | null (like @fastify/jwt types request.user)', () => {
    expect<FastifyRequest['appToken']>().type.toBe<AppToken>()
  })
  test('carries the parts a handler uses', () => {
    app.get('/calls', async (request) => {
      expect(request.appToken.authorization).type.toBe<string>()
      expect(request.appToken.accessToken).type.toBe<string>()
      expect(request.appToken.scopes).type.toBe<string[]>()
      expect(request.appToken.expiresAt).type.toBe<Date>()
    })
  })
})

describe('app.appToken', () => {
  test('get() resolves to an AppToken, with or without scopes and resource', () => {
    expect(app.appToken.get()).type.toBe<Promise<AppToken>>()
    expect(app.appToken.get).type.toBeCallableWith({ scopes: ['read:analytics'] })
    expect(app.appToken.get).type.toBeCallableWith({ scopes: 'read:a read:b', resource: 'https://api.example.com' })
    expect(app.appToken.get).type.not.toBeCallableWith({ scopes: 1 })
    expect(app.appToken.get).type.not.toBeCallableWith({ scope: ['read:analytics'] })
  })
  test('invalidate() takes nothing, scopes and resource, or the refused token', () => {
    expect(app.appToken.invalidate()).type.toBe<void>()
    expect(app.appToken.invalidate).type.toBeCallableWith({ scopes: ['read:analytics'] })
    expect(app.appToken.invalidate).type.toBeCallableWith({ token: {} as AppToken })
    expect(app.appToken.invalidate).type.not.toBeCallableWith({ token: 'eyJ…' })
  })
  test('stats() returns TokenStats', () => {
    expect(app.appToken.stats()).type.toBe<TokenStats>()
  })
})

describe('route config.appToken', () => {
  test('is scopes/resource, a boolean, or absent', () => {
    expect<FastifyContextConfig['appToken']>().type.toBe<boolean | AppTokenRequestOptions | undefined>()
  })
  test('routes accept the forms docs/plugin.md shows', () => {
    expect(app.get).type.toBeCallableWith('/b', { config: { appToken: { scopes: ['read:analytics'] } } }, () => 'ok')
    expect(app.get).type.toBeCallableWith('/c', { config: { appToken: { resource: 'https://billing.example.com' } } }, () => 'ok')
    expect(app.get).type.toBeCallableWith('/d', { config: { appToken: false } }, () => 'ok')
  })
  test('a wrong shape is rejected', () => {
    expect(app.get).type.not.toBeCallableWith('/x', { config: { appToken: { scopes: 1 } } }, () => 'ok')
    // A string is checked on the config type itself: app.get() infers a route's own
    // config type and intersects it with FastifyContextConfig, so it lets one through.
    expect<FastifyContextConfig>().type.not.toBeAssignableFrom({ appToken: 'read:analytics' })
    expect<FastifyContextConfig>().type.not.toBeAssignableFrom({ appToken: { scopes: 1 } })
  })
})

describe('plugin options', () => {
  test('register accepts the documented options', () => {
    expect(app.register).type.toBeCallableWith(appToken, {
      clientId: 'app',
      clientSecret: async () => 'secret',
      policy: './policies',
      environment: 'prod',
      scopes: ['read:interaction'],
      authMethod: 'client_secret_post',
      hook: 'preHandler',
      global: false,
      prefetch: 'background',
      store: memoryStore(),
      retry: { retries: 1 },
      timeout: 5000
    })
    expect(app.register).type.toBeCallableWith(appToken, {})
  })
  test('wrong option types are rejected', () => {
    expect<AppTokenOptions>().type.not.toBeAssignableFrom({ timeout: '5000' })
    expect<AppTokenOptions>().type.not.toBeAssignableFrom({ authMethod: 'client_secret_jwt' })
    expect<AppTokenOptions>().type.not.toBeAssignableFrom({ hook: 'onSend' })
    expect<AppTokenOptions>().type.not.toBeAssignableFrom({ prefetch: true })
    expect<AppTokenOptions>().type.not.toBeAssignableFrom({ clientSecret: 42 })
    expect<AppTokenOptions>().type.not.toBeAssignableFrom({ store: {} })
    expect(app.register).type.not.toBeCallableWith(appToken, { scopes: [1] })
  })
})

describe('the instance type', () => {
  test('a plain FastifyInstance has the decorator', () => {
    expect<FastifyInstance['appToken']['get']>().type.toBe<(options?: AppTokenRequestOptions) => Promise<AppToken>>()
  })
})
