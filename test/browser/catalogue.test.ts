// The catalogue page (docs/preflight-api.md) in real headless Chromium: what a reviewer and a
// developer do with it, and that it runs under its CSP without a single error.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import type { Test } from 'tap'
import { loadPolicyDir } from '../../service/policy/index.js'
import type { PolicySet } from '../../service/policy/types.js'
import { policyFolder, repoRoot, startService } from '../service/harness.js'
import { launchChromium, openPage, type WatchedPage } from './chromium.js'

const browser = await launchChromium(t)

const hostileReason = '<img src=x onerror="window.__injected = \'reason\'">'

async function expectedSet (dir: string): Promise<PolicySet> {
  const { policies } = await loadPolicyDir(dir)
  if (!policies) throw new Error(`fixture ${dir} does not load`)
  return policies
}

const environments = (set: PolicySet) => [...set.apps.values()].flatMap((a) => [...a.environments.values()].map((e) => ({ app: a, env: e })))

/** No console error, page error, failed request or CSP violation happened; HTTP errors only those named. */
async function expectClean (t: Test, watched: WatchedPage, httpErrors: string[] = []): Promise<void> {
  t.same(watched.errors, [], 'no console errors, page errors or failed requests')
  t.same([...new Set(watched.httpErrors)].sort(), httpErrors, `HTTP error answers: ${httpErrors.join(', ') || 'none'}`)
  t.same(await watched.violations(), [], 'no CSP violations')
  t.equal(await watched.page.evaluate('window.__injected'), undefined, 'no injected code ran')
}

/** Starts the service on the catalogue fixture and opens its page. */
async function catalogue (t: Test, options: { apiKeys?: string[]; viewport?: { width: number; height: number } } = {}) {
  const dir = await policyFolder(t, 'catalogue')
  const service = await startService(t, { policyDir: dir, ...(options.apiKeys ? { apiKeys: options.apiKeys } : {}) })
  const watched = await openPage(t, browser!, options.viewport)
  const response = await watched.page.goto(`${service.origin}/`)
  return { dir, service, watched, page: watched.page, html: (await response?.text()) ?? '', set: await expectedSet(dir) }
}

const visibleEnvironments = (page: WatchedPage['page']) => page.locator('#apps [data-env]:visible')

async function runPreflight (page: WatchedPage['page'], clientId: string, scopes: string): Promise<void> {
  await page.getByLabel('clientId').fill(clientId)
  await page.getByLabel('Scopes').fill(scopes)
  await page.getByRole('button', { name: 'Check' }).click()
}

if (browser) {
  t.test('the page lists every app of the folder with its facts', async (t) => {
    const { page, watched, set } = await catalogue(t)
    t.same(await page.locator('#apps article h3').allTextContents(), [...set.apps.keys()].sort(), 'every app, by name')
    const envs = environments(set)
    t.same(
      (await page.locator('#apps .client-id').allTextContents()).sort(),
      envs.map(({ env }) => env.clientId).sort(),
      'every clientId'
    )
    t.same(
      (await page.locator('#apps .owner').allTextContents()).sort(),
      [...set.apps.values()].map((a) => a.owner).sort(),
      'every owner'
    )
    t.same(await page.locator('#apps .provider').allTextContents(), [...set.apps.values()].map(() => 'generic'), 'the provider')
    const rows = await page.locator('#apps .scopes tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent))
    )
    const expectedRows = envs.flatMap(({ env }) =>
      [...env.scopes.values()].map((s) => [s.name, s.reason, `${s.at.file}:${s.at.line}`])
    )
    t.same(rows, expectedRows, 'every scope with its reason and file:line')
    const endpoints = await page.locator('#apps dd code').allTextContents()
    t.ok(endpoints.includes('https://auth.example.com/oauth2/token'), 'an endpoint with a query shows origin and path')
    t.notOk((await page.content()).includes('tenant=acme'), 'and none of its query')
    await expectClean(t, watched)
  })

  t.test('the filter narrows the list and says how many match', async (t) => {
    const { page, watched, set } = await catalogue(t)
    const envs = environments(set)
    t.equal(await visibleEnvironments(page).count(), envs.length)

    await page.getByLabel('Filter').fill('write:')
    const writers = envs.filter(({ env }) => [...env.scopes.keys()].some((s) => s.includes('write:')))
    t.ok(writers.length > 0 && writers.length < envs.length, 'the fixture has some writers, not only')
    t.same(
      (await visibleEnvironments(page).locator('.client-id').allTextContents()).sort(),
      writers.map(({ env }) => env.clientId).sort(),
      'only the environments that may write'
    )
    t.equal(await page.locator('#apps article:visible').count(), new Set(writers.map(({ app }) => app.app)).size, 'and only their apps')
    t.match(await page.locator('#filter-count').textContent(), `Showing ${writers.length} of ${envs.length} environments`)

    await page.getByLabel('Filter').fill('contact-center staging')
    t.same(await visibleEnvironments(page).locator('.client-id').allTextContents(), ['stg-app-8821'], 'terms combine: owner and environment')

    await page.getByLabel('Filter').fill('no-such-thing-anywhere')
    t.equal(await visibleEnvironments(page).count(), 0)
    t.ok(await page.locator('#no-match').isVisible(), 'says nothing matches')

    await page.getByLabel('Filter').fill('')
    t.equal(await visibleEnvironments(page).count(), envs.length, 'clearing shows all again')
    t.notOk(await page.locator('#no-match').isVisible())
    await expectClean(t, watched)
  })

  t.test('a denied preflight shows each violation with its suggestion', async (t) => {
    const { page, watched } = await catalogue(t)
    await runPreflight(page, 'prod-app-8821', 'Read:interaction openid')
    const result = page.locator('#preflight-result')
    await result.locator('li').first().waitFor()
    t.match(await result.textContent(), /Denied \(invalid_scope\): 2 problems/)
    const items = await result.locator('li').allTextContents()
    t.equal(items.length, 2, 'one entry per violation')
    t.match(items.find((i) => i.includes('case_mismatch')), /Read:interaction.*scopes are case-sensitive/)
    t.equal(await result.locator('.suggestion').textContent(), 'Suggestion: request read:interaction', 'the suggestion')
    t.match(items.find((i) => i.includes('user_scope')), /openid.*user scope/)

    await runPreflight(page, 'prod-app-8821', 'read:interaction')
    await page.locator('#preflight-result.ok').waitFor()
    t.match(await result.textContent(), /Allowed\. agent-desktop-worker \/ prod would request: read:interaction/)
    await expectClean(t, watched, ['422 /v1/preflight'])
  })

  t.test('the preflight button of an environment fills the form', async (t) => {
    const { page, watched } = await catalogue(t)
    await page.getByRole('button', { name: 'Preflight stg-app-8821' }).click()
    t.equal(await page.getByLabel('clientId').inputValue(), 'stg-app-8821')
    t.equal(await page.getByLabel('Environment').inputValue(), 'staging')
    t.equal(await page.evaluate('document.activeElement.id'), 'pf-scopes', 'focus moves to the scopes')
    await expectClean(t, watched)
  })

  t.test('hostile policy text renders as text', async (t) => {
    const { page, watched, html } = await catalogue(t)
    t.equal(await page.locator('#apps img, #apps script').count(), 0, 'no element came from policy text')
    t.equal(await page.locator('td', { hasText: 'onerror' }).first().textContent(), hostileReason, 'the reason, character for character')
    t.equal(await page.locator('.client-id', { hasText: 'hostile' }).textContent(), 'prod-hostile-<b>5501</b>')
    t.match(await page.locator('.description', { hasText: 'script' }).textContent(), "<script>window.__injected = 'description'</script>")
    t.equal((html.match(/<script/g) ?? []).length, 1, 'the page has one script element: its own')
    await page.waitForTimeout(200) // an image error handler would have fired by now
    await expectClean(t, watched)
  })

  t.test('the CSP is enforced and a violation would be seen', async (t) => {
    const { page, watched } = await catalogue(t)
    await page.evaluate(`{
      const s = document.createElement('script')
      s.textContent = 'window.__inlineRan = true'
      document.body.append(s)
    }`)
    t.equal(await page.evaluate('window.__inlineRan'), undefined, 'an inline script does not run')
    await page.waitForFunction('window.__cspViolations.length > 0')
    t.match(await watched.violations(), [/^script-src/], 'and is reported: the clean checks can fail')
  })

  t.test('keyboard alone: tab to the form, type, press Enter', async (t) => {
    const { page, watched } = await catalogue(t)
    const order: string[] = []
    for (let i = 0; i < 60 && order.at(-1) !== 'pf-client'; i++) {
      await page.keyboard.press('Tab')
      order.push(await page.evaluate<string>('document.activeElement.id || document.activeElement.textContent.trim()'))
    }
    t.equal(order[0], 'Skip to the apps', 'the skip link comes first')
    t.ok(order.indexOf('filter') >= 0 && order.indexOf('filter') < order.indexOf('pf-client'), 'the filter before the form')
    t.equal(order.at(-1), 'pf-client', 'the form is reachable')
    await page.keyboard.type('prod-app-8821')
    await page.keyboard.press('Tab')
    await page.keyboard.type('prod')
    await page.keyboard.press('Tab')
    await page.keyboard.type('Read:interaction')
    await page.keyboard.press('Enter')
    await page.locator('#preflight-result .suggestion').waitFor()
    t.equal(await page.locator('#preflight-result .suggestion').textContent(), 'Suggestion: request read:interaction')
    await expectClean(t, watched, ['422 /v1/preflight'])
  })

  t.test('readable at 375 px: nothing wider than the screen', async (t) => {
    const { page, watched } = await catalogue(t, { viewport: { width: 375, height: 800 } })
    await runPreflight(page, 'prod-app-8821', 'Read:interaction openid')
    await page.locator('#preflight-result li').first().waitFor()
    t.ok((await page.evaluate<number>('document.documentElement.scrollWidth')) <= 375, 'no horizontal scrolling')
    await expectClean(t, watched, ['422 /v1/preflight'])
  })

  t.test('with API keys the page is a shell until a key is given', async (t) => {
    const key = 'catalogue-key-4f1e2d3c'
    const { page, watched, html, set } = await catalogue(t, { apiKeys: [key] })
    for (const { env } of environments(set)) t.notOk(html.includes(env.clientId), `no clientId in the shell: ${env.clientId}`)
    t.equal(await page.locator('#apps article').count(), 0)

    const sent: Array<string | undefined> = []
    page.on('request', (r) => {
      if (r.url().endsWith('/v1/apps')) sent.push(r.headers().authorization)
    })
    await page.getByLabel('Key', { exact: true }).fill('not-the-key')
    await page.getByRole('button', { name: 'Load the catalogue' }).click()
    await page.locator('#key-message.error').waitFor()
    t.match(await page.locator('#key-message').textContent(), /That key was refused \(401\)/, 'a clear message for a wrong key')
    t.equal(await page.locator('#apps article').count(), 0, 'and nothing loaded')

    await page.getByLabel('Key', { exact: true }).fill(key)
    await page.getByLabel('Key', { exact: true }).press('Enter')
    await page.locator('#apps article').first().waitFor()
    t.same(sent, ['Bearer not-the-key', `Bearer ${key}`], 'the key travels as Authorization: Bearer')
    t.same(await page.locator('#apps article h3').allTextContents(), [...set.apps.keys()].sort(), 'every app, from GET /v1/apps')
    t.equal(await page.locator('td', { hasText: 'onerror' }).first().textContent(), hostileReason, 'hostile text stays text here too')
    t.equal(await page.locator('#apps img').count(), 0)
    t.equal(await page.getByLabel('Key', { exact: true }).inputValue(), '', 'the field is cleared')

    await page.getByLabel('Filter').fill('write:')
    t.ok((await visibleEnvironments(page).count()) > 0, 'the filter works on the loaded apps')
    await runPreflight(page, 'prod-app-8821', 'Read:interaction')
    await page.locator('#preflight-result .suggestion').waitFor()
    t.pass('the preflight form sends the key')

    t.same(
      await page.evaluate('[localStorage.length, sessionStorage.length, document.cookie]'),
      [0, 0, ''],
      'the key is in no storage and no cookie'
    )
    await page.getByRole('button', { name: 'Forget the key' }).click()
    t.equal(await page.locator('#apps article').count(), 0, 'forgetting clears the apps')
    await page.reload()
    t.equal(await page.locator('#apps article').count(), 0, 'a reload starts from the empty shell')
    await expectClean(t, watched, ['401 /v1/apps', '422 /v1/preflight'])
  })

  t.test('/docs shows Swagger UI for the served document, without a key', async (t) => {
    const service = await startService(t, { policyDir: await policyFolder(t, 'catalogue'), apiKeys: ['docs-key-1234567890'] })
    const { page } = await openPage(t, browser!)
    await page.goto(`${service.origin}/docs`)
    const operation = page.locator('.opblock-summary-path', { hasText: '/v1/apps' })
    await operation.waitFor()
    t.equal(await operation.count(), 1, 'GET /v1/apps is listed')
    t.ok(await page.getByRole('button', { name: /Authorize/ }).isVisible(), 'with a way to give the key')
  })

  t.test('screenshot for docs/ (UPDATE_SCREENSHOTS=1)', { skip: process.env.UPDATE_SCREENSHOTS !== '1' && 'set UPDATE_SCREENSHOTS=1 to write docs/catalogue.png' }, async (t) => {
    const service = await startService(t, { policyDir: 'policies' })
    const watched = await openPage(t, browser!, { width: 1280, height: 900 })
    const page = watched.page
    await page.goto(`${service.origin}/`)
    await runPreflight(page, 'prod-app-8821', 'Read:interaction openid')
    await page.locator('#preflight-result li').first().waitFor()
    await writeFile(join(repoRoot, 'docs/catalogue.png'), await page.screenshot())
    await expectClean(t, watched, ['422 /v1/preflight'])
  })
}
