// The catalogue page, GET /v1/apps and /docs through inject: headers, escaping, the keyed
// shell, readiness (docs/preflight-api.md). The browser side is in test/browser/.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import Ajv2020 from 'ajv/dist/2020.js'
import escapeHtml from 'escape-html'
import t from 'tap'
import type { Test } from 'tap'
import { buildPreflightApp } from '../../service/http/app.js'
import { withoutQuery, type CatalogueApp } from '../../service/http/catalogue/model.js'
import { renderPage } from '../../service/http/catalogue/page.js'
import { loadPolicyDir } from '../../service/policy/index.js'
import type { PolicySet } from '../../service/policy/types.js'
import { policyFolder } from './harness.js'

const Ajv = Ajv2020.default

// The contract's policy, written out: a change to the header must be a change here too.
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
const key = 'catalogue-inject-key-9a8b7c'
const assets = ['/assets/catalogue.js', '/assets/catalogue.css', '/assets/favicon.svg']

async function service (t: Test, options: { apiKeys?: string[]; fixture?: string } = {}) {
  const dir = await policyFolder(t, options.fixture ?? 'catalogue')
  const app = buildPreflightApp({ policyDir: dir, watch: false, ...(options.apiKeys ? { apiKeys: options.apiKeys } : {}) })
  t.teardown(() => app.close())
  await app.ready()
  const { policies } = await loadPolicyDir(dir)
  return { app, dir, set: policies as PolicySet }
}

/** The opening tags of a page, as [name, attributes]; escaped text (`&lt;img`) is no tag. */
const tags = (html: string) => [...html.matchAll(/<([a-zA-Z][\w-]*)([^>]*)>/g)].map((m) => [m[1]!.toLowerCase(), m[2]!] as const)

t.test('GET / sends the exact CSP and serves its own script and stylesheet', async (t) => {
  const { app } = await service(t)
  const res = await app.inject('/')
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-security-policy'], CSP)
  t.equal(res.headers['content-type'], 'text/html; charset=utf-8')
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  t.equal(res.headers['cache-control'], 'no-store', 'policy data is not cached')

  const found = tags(res.body)
  t.same(found.filter(([name]) => name === 'script').map(([, attrs]) => attrs), [' type="module" src="/assets/catalogue.js"'], 'one script, from a file')
  t.same(found.filter(([name, attrs]) => name === 'style' || /\s(style|on\w+)\s*=/i.test(attrs)), [], 'no inline style or handler')
  for (const href of [...res.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)) {
    t.ok(href.startsWith('/') || href.startsWith('#'), `${href} is on this origin`)
  }
  const types = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' }
  for (const path of assets) {
    const asset = await app.inject(path)
    t.equal(asset.statusCode, 200, path)
    t.equal(asset.headers['content-type'], types[path.split('.').pop() as keyof typeof types], `${path} type`)
    t.equal(asset.headers['x-content-type-options'], 'nosniff')
  }
})

t.test('the page CSP is on the page routes only; every route has the security headers, /docs included', async (t) => {
  const { app } = await service(t)
  for (const path of ['/docs', '/docs/json', '/openapi.json', '/v1/apps', '/healthz', '/readyz', '/metrics', '/nowhere']) {
    const res = await app.inject(path)
    t.equal(res.statusCode, path === '/nowhere' ? 404 : 200, path)
    t.equal(res.headers['content-security-policy'], "frame-ancestors 'none'", `${path}: no framing, and not the page CSP`)
    t.equal(res.headers['x-frame-options'], 'DENY', path)
    t.equal(res.headers['x-content-type-options'], 'nosniff', path)
    t.equal(res.headers['referrer-policy'], 'no-referrer', path)
  }
  const page = await app.inject('/')
  t.equal(page.headers['content-security-policy'], CSP, 'the page keeps its own CSP')
  t.equal(page.headers['x-frame-options'], 'DENY')
  t.equal(page.headers['referrer-policy'], 'no-referrer')
  const preflight = await app.inject({ method: 'POST', url: '/v1/preflight', payload: { clientId: 'x', scopes: [] } })
  t.equal(preflight.headers['x-content-type-options'], 'nosniff', 'an API answer too')
})

t.test('every field of the page is escaped', async (t) => {
  const hostile = (field: string) => `<x-${field} a="1">'&"</x-${field}>`
  const app: CatalogueApp = {
    app: hostile('app'),
    owner: hostile('owner'),
    provider: hostile('provider'),
    description: hostile('description'),
    file: hostile('file'),
    environments: [
      {
        name: hostile('environment'),
        clientId: hostile('clientId'),
        tokenEndpoint: hostile('tokenEndpoint'),
        authMethod: hostile('authMethod') as 'client_secret_basic',
        resource: hostile('resource'),
        // An environment's whitelist source shows when it has no scope (below); each scope shows its own.
        source: 'unused',
        scopes: [{ name: hostile('scope'), reason: hostile('reason'), source: hostile('scope-source') }],
      },
      { name: 'empty', clientId: 'c', tokenEndpoint: 'e', authMethod: 'client_secret_basic', source: hostile('empty-source'), scopes: [] },
    ],
  }
  const status = { ready: false as const, reason: hostile('reason-banner'), files: [], findings: [hostile('finding')] }
  const html = renderPage({ keyed: false, status, apps: [app] })
  t.same(tags(html).filter(([name]) => name.startsWith('x-')), [], 'no value became a tag')
  t.notOk(/="[^"]*"[^>\s]/.test(html.replace(/="[^"]*"(?=[\s>/])/g, '=""')), 'no value broke out of an attribute')
  const fields = ['app', 'owner', 'provider', 'description', 'file', 'environment', 'clientId', 'tokenEndpoint', 'authMethod',
    'resource', 'scope', 'reason', 'scope-source', 'empty-source', 'reason-banner', 'finding']
  for (const field of fields) t.ok(html.includes(escapeHtml(hostile(field))), `${field} is shown, escaped`)
})

t.test('hostile policy text through GET /', async (t) => {
  const { app } = await service(t)
  const html = (await app.inject('/')).body
  t.same(tags(html).filter(([name]) => name === 'img'), [], 'no img element')
  t.ok(html.includes('&lt;img src=x onerror=&quot;window.__injected = &#39;reason&#39;&quot;&gt;'), 'the reason, escaped')
  t.ok(html.includes('data-client-id="prod-hostile-&lt;b&gt;5501&lt;/b&gt;"'), 'a clientId in an attribute, escaped')
})

t.test('endpoints show origin and path, never a query', async (t) => {
  const { app } = await service(t)
  const html = (await app.inject('/')).body
  const json = (await app.inject('/v1/apps')).body
  for (const [name, text] of [['page', html], ['/v1/apps', json]] as const) {
    t.ok(text.includes('https://auth.example.com/oauth2/token'), `${name}: the endpoint`)
    t.notOk(text.includes('tenant=acme'), `${name}: not its query`)
    t.notOk(text.includes('visible-only-if-leaked'), `${name}: nor the resource's`)
  }
  t.equal(withoutQuery('https://auth.example.com:8443/a/b?secret=1#frag'), 'https://auth.example.com:8443/a/b')
  t.equal(withoutQuery('https://api.example.com'), 'https://api.example.com', 'the text as written: no slash added')
  t.equal(withoutQuery('urn:example:directory?x=1'), 'urn:example:directory')
})

t.test('a refused reload shows as a banner over the last good set', async (t) => {
  const { app, dir, set } = await service(t)
  t.notOk((await app.inject('/')).body.includes('role="alert"'), 'no banner while ready')
  const file = join(dir, 'agent-desktop-worker.yaml')
  const good = await readFile(file, 'utf8')
  await writeFile(file, `${good}  prod: {}\n`)
  t.equal((await app.preflightPolicies.reload('test')).applied, false)
  const html = (await app.inject('/')).body
  t.match(html, /<div class="banner" role="alert">\s*<h2>Policies not ready<\/h2>/)
  t.match(html, /agent-desktop-worker\.yaml:\d+:\d+: error /, 'naming the finding as file:line:col')
  for (const name of set.apps.keys()) t.ok(html.includes(`<h3>${escapeHtml(name)}</h3>`), `the last good set still lists ${name}`)
  await writeFile(file, good)
  await app.preflightPolicies.reload('test')
  t.notOk((await app.inject('/')).body.includes('role="alert"'), 'the banner goes once fixed')
})

t.test('with keys, / is a shell holding no policy data; /v1/apps needs the key', async (t) => {
  const { app, set } = await service(t, { apiKeys: [key] })
  const shell = await app.inject('/')
  t.equal(shell.statusCode, 200, 'the page needs no key')
  t.equal(shell.headers['content-security-policy'], CSP)
  t.match(shell.body, /<form id="key-form">/, 'it asks for a key')
  for (const policy of set.apps.values()) {
    for (const env of policy.environments.values()) {
      t.notOk(shell.body.includes(escapeHtml(env.clientId)), `no clientId: ${env.clientId}`)
      for (const scope of env.scopes.values()) t.notOk(shell.body.includes(escapeHtml(scope.name)), `no scope: ${scope.name}`)
    }
    t.notOk(shell.body.includes(escapeHtml(policy.owner)), `no owner: ${policy.owner}`)
  }
  for (const path of [...assets, '/docs', '/docs/json', '/openapi.json']) {
    t.equal((await app.inject(path)).statusCode, 200, `${path} needs no key`)
  }

  t.equal((await app.inject('/v1/apps')).statusCode, 401, 'no key')
  const wrong = await app.inject({ url: '/v1/apps', headers: { authorization: 'Bearer not-it' } })
  t.equal(wrong.statusCode, 401, 'a wrong key')
  t.equal(wrong.json().code, 'FST_PREFLIGHT_UNAUTHORIZED')
  const res = await app.inject({ url: '/v1/apps', headers: { authorization: `Bearer ${key}` } })
  t.equal(res.statusCode, 200)
  t.same(res.json().apps.map((a: CatalogueApp) => a.app), [...set.apps.keys()].sort())
})

t.test('without keys, GET /v1/apps is open and matches its OpenAPI schema', async (t) => {
  const { app, set } = await service(t)
  const res = await app.inject('/v1/apps')
  t.equal(res.statusCode, 200)
  const { apps } = res.json() as { apps: CatalogueApp[] }
  const worker = apps.find((a) => a.app === 'agent-desktop-worker')
  const prod = set.apps.get('agent-desktop-worker')!.environments.get('prod')!
  t.same(worker?.environments[0], {
    name: 'prod',
    clientId: prod.clientId,
    tokenEndpoint: prod.tokenEndpoint,
    authMethod: prod.authMethod,
    resource: prod.resource,
    source: `${prod.scopesAt.file}:${prod.scopesAt.line}`,
    scopes: [...prod.scopes.values()].map((s) => ({ name: s.name, reason: s.reason, source: `${s.at.file}:${s.at.line}` })),
  })
  t.equal(worker?.provider, 'generic')

  const doc = (await app.inject('/openapi.json')).json()
  const schema = doc.paths['/v1/apps']?.get?.responses?.['200']?.content?.['application/json']?.schema
  t.ok(schema, 'GET /v1/apps is documented with a response schema')
  const ajv = new Ajv({ strict: false })
  t.ok(ajv.validate(schema, res.json()), ajv.errorsText(ajv.errors))
  t.notOk(doc.paths['/'], 'the page is not an API operation')
  t.same((await app.inject('/docs/json')).json(), doc, 'Swagger UI shows the served document')
  const docs = await app.inject('/docs')
  t.match(docs.body, /swagger-ui/, 'GET /docs is Swagger UI')
})

t.test('GET /, /v1/apps and /v1/clients show paths relative to the policy folder, token endpoints without their query', async (t) => {
  const dir = await policyFolder(t, 'catalogue')
  await writeFile(join(dir, 'b2c-app.yaml'), [
    'app: b2c-app', 'owner: "@o/t"', 'provider: generic', 'environments:', '  prod:', '    clientId: b2c-client',
    '    tokenEndpoint: https://tenant.b2clogin.com/tenant.onmicrosoft.com/oauth2/v2.0/token?p=B2C_1_signin',
    '    scopes:', '      read:a: reason (SEC-1)', '',
  ].join('\n'))
  const app = buildPreflightApp({ policyDir: dir, watch: false })
  t.teardown(() => app.close())
  await app.ready()
  const page = (await app.inject('/')).body
  const apps = (await app.inject('/v1/apps')).json() as { apps: CatalogueApp[] }
  const client = (await app.inject('/v1/clients/b2c-client')).json()
  for (const [what, text] of [['the page', page], ['/v1/apps', JSON.stringify(apps)], ['/v1/clients', JSON.stringify(client)]]) {
    t.notOk(text!.includes(dir), `${what} does not show the server's folder`)
    t.notOk(text!.includes('B2C_1_signin'), `${what} does not show the query string`)
  }
  t.equal(apps.apps.find((a) => a.app === 'b2c-app')?.file, 'b2c-app.yaml')
  t.equal(client.source, 'b2c-app.yaml:8')
  t.equal(client.tokenEndpoint, 'https://tenant.b2clogin.com/tenant.onmicrosoft.com/oauth2/v2.0/token')
  t.match(page, /<code class="file">b2c-app\.yaml<\/code>/)
})
