// Type test of the second registration under another `name`, typed by the
// declaration merging docs/plugin.md ("Two upstream APIs") tells users to write.
import Fastify from 'fastify'
import { expect, test } from 'tstyche'
import appToken, { type AppToken, type AppTokenDecorator, type AppTokenRouteConfig } from '../../plugin/index.js'

declare module 'fastify' {
  interface FastifyRequest { billingToken: AppToken }
  interface FastifyInstance { billingToken: AppTokenDecorator }
  interface FastifyContextConfig { billingToken?: AppTokenRouteConfig }
}

const app = Fastify()

test('register takes the name option', () => {
  expect(app.register).type.toBeCallableWith(appToken, { name: 'billingToken', clientId: 'billing-app', scopes: ['read:invoices'] })
})

test('request, instance and route config are typed under the second name', () => {
  app.get('/invoices', { config: { appToken: false, billingToken: { scopes: ['read:invoices'] } } }, async (request) => {
    expect(request.billingToken).type.toBe<AppToken>()
    expect(request.billingToken.authorization).type.toBe<string>()
  })
  expect(app.billingToken.get()).type.toBe<Promise<AppToken>>()
  expect(app.get).type.not.toBeCallableWith('/x', { config: { billingToken: { scopes: 1 } } }, () => 'ok')
})
