// Type tests (tstyche) of "Calling the API" (docs/plugin.md): the `origins` option and
// app.appToken.dispatcher() / fetch() on the decorator.
import Fastify from 'fastify'
import { describe, expect, test } from 'tstyche'
import { FormData, request, type Dispatcher, type Response } from 'undici'
import appToken, { type AppTokenDispatcherOptions, type AppTokenOptions } from '../../plugin/index.js'

const app = Fastify()

describe('option origins', () => {
  test('is an array of strings', () => {
    expect(app.register).type.toBeCallableWith(appToken, { origins: ['https://api.example.com', 'http://localhost:8080'] })
    expect<AppTokenOptions>().type.not.toBeAssignableFrom({ origins: 'https://api.example.com' })
    expect<AppTokenOptions>().type.not.toBeAssignableFrom({ origins: [new URL('https://api.example.com')] })
  })
})

describe('app.appToken.dispatcher()', () => {
  test('returns an undici Dispatcher that request() and compose() take', () => {
    expect(app.appToken.dispatcher()).type.toBe<Dispatcher>()
    expect(request).type.toBeCallableWith('https://api.example.com/v1', { dispatcher: app.appToken.dispatcher() })
    expect(app.appToken.dispatcher().compose).type.toBeCallableWith((dispatch: Dispatcher.Dispatch) => dispatch)
  })
  test('takes origins and the token request\'s options', () => {
    expect(app.appToken.dispatcher).type.toBeCallableWith({ origins: ['https://billing.example.com'], scopes: ['read:invoices'], resource: 'https://billing.example.com', audience: 'billing' })
    expect(app.appToken.dispatcher).type.toBeCallableWith({ scopes: 'read:a read:b' })
    expect<AppTokenDispatcherOptions>().type.not.toBeAssignableFrom({ origins: 'https://api.example.com' })
    expect(app.appToken.dispatcher).type.not.toBeCallableWith({ scopes: 1 })
  })
})

describe('app.appToken.fetch()', () => {
  test('is undici\'s fetch with the token request\'s options third', () => {
    expect(app.appToken.fetch('https://api.example.com/v1')).type.toBe<Promise<Response>>()
    expect(app.appToken.fetch).type.toBeCallableWith(new URL('https://api.example.com/v1'), { method: 'POST', body: 'text' })
    expect(app.appToken.fetch).type.toBeCallableWith('https://api.example.com/v1', { method: 'POST', body: new FormData() }, { scopes: ['read:analytics'] })
    expect(app.appToken.fetch).type.not.toBeCallableWith('https://api.example.com/v1', {}, { origins: ['https://x.example.com'] })
    expect(app.appToken.fetch).type.not.toBeCallableWith('https://api.example.com/v1', {}, { scopes: 1 })
  })
})
