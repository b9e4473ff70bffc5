// Type tests (tstyche) of DPoP (docs/dpop.md): the `dpop` option of the plugin and the token
// core, and AppToken.proof().
import Fastify from 'fastify'
import { describe, expect, test } from 'tstyche'
import appToken, { DpopNotBoundError, fetchToken, TokenCache, type AppToken, type AppTokenOptions, type DpopOption, type ProofRequest } from '../../plugin/index.js'

const base = { tokenEndpoint: 'https://idp.example.com/token', clientId: 'svc', clientSecret: 's' }

describe('the dpop option', () => {
  test('true, false or { privateKey?, alg?, allowBearer? } on the plugin', () => {
    expect(Fastify().register).type.toBeCallableWith(appToken, { dpop: true })
    expect(Fastify().register).type.toBeCallableWith(appToken, { dpop: { privateKey: '-----BEGIN PRIVATE KEY-----…', alg: 'ES256', allowBearer: true } })
    expect<AppTokenOptions['dpop']>().type.toBe<DpopOption | undefined>()
    expect<{ dpop: 'yes' }>().type.not.toBeAssignableTo<AppTokenOptions>()
    expect<{ dpop: { alg: 'HS256' } }>().type.not.toBeAssignableTo<AppTokenOptions>()
    expect<{ dpop: { key: string } }>().type.not.toBeAssignableTo<AppTokenOptions>()
  })
  test('on TokenCache and fetchToken', () => {
    expect(new TokenCache({ ...base, dpop: { privateKey: { kty: 'EC', d: '…' } } })).type.toBe<TokenCache>()
    expect(fetchToken).type.toBeCallableWith({ ...base, dpop: true })
    expect(fetchToken).type.not.toBeCallableWith({ ...base, dpop: 'on' })
  })
})

describe('AppToken.proof()', () => {
  test('takes method, url (string or URL) and an optional nonce; resolves to the DPoP header value', () => {
    const token = {} as AppToken
    expect(token.proof({ method: 'GET', url: 'https://api.example.com/x' })).type.toBe<Promise<string>>()
    expect(token.proof).type.toBeCallableWith({ method: 'POST', url: new URL('https://api.example.com/x'), nonce: 'n' })
    expect(token.proof).type.not.toBeCallableWith({ url: 'https://api.example.com/x' })
    expect(token.proof).type.not.toBeCallableWith({ method: 'GET', url: 'https://api.example.com/x', nonce: 1 })
    expect<ProofRequest>().type.toBe<{ method: string; url: string | URL; nonce?: string }>()
  })
  test('a Bearer token rejects with DpopNotBoundError, an AppTokenError', () => {
    expect(new DpopNotBoundError('x').code).type.toBe<'FST_APP_TOKEN_DPOP_NOT_BOUND'>()
  })
})
