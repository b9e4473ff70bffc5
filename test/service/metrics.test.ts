// GET /metrics (docs/metrics.md): Prometheus text read back with a Prometheus text parser on a
// real listening server; the counters move with preflights and reloads, each app counts alone.
import { existsSync } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import parsePrometheusText, { type MetricFamily } from 'parse-prometheus-text-format'
import { register as globalRegistry } from 'prom-client'
import t, { type Test } from 'tap'
import { readServeConfig, ServeConfigError } from '../../service/http/config.js'
import { call, policyFolder, preflight, startService } from './harness.js'
import { cliMain, spawnServe } from './spawn.js'

const allowed = { clientId: 'prod-app-8821', scopes: 'read:interaction' }
const notWhitelisted = { clientId: 'prod-app-8821', scopes: 'write:everything' }
const ghost = { clientId: 'ghost-client-4242', scopes: 'read:queue' }
// Two violations: case_mismatch first, then user_scope.
const twoCodes = { clientId: 'prod-app-8821', scopes: ['Read:interaction', 'openid'] }

const sameLabels = (a: Record<string, string> = {}, b: Record<string, string>): boolean => {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k])
}

interface Scraped {
  text: string
  families: Map<string, MetricFamily>
  /** The sample of `name` with exactly these labels; undefined when there is none. */
  value(name: string, labels?: Record<string, string>): number | undefined
}

async function scrape (t: Test, origin: string, headers: Record<string, string> = {}): Promise<Scraped> {
  const res = await call(origin, '/metrics', { headers })
  t.equal(res.status, 200, 'GET /metrics answers')
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4; charset=utf-8$/, 'Prometheus text format')
  const families = new Map(parsePrometheusText(res.text).map((f) => [f.name, f]))
  for (const f of families.values()) {
    for (const s of f.metrics) t.ok(Number.isFinite(Number(s.value)), `${f.name} ${s.value} is a number`)
  }
  const value = (name: string, labels: Record<string, string> = {}): number | undefined => {
    const sample = families.get(name)?.metrics.find((s) => sameLabels(s.labels, labels))
    return sample === undefined ? undefined : Number(sample.value)
  }
  return { text: res.text, families, value }
}

const decisions = (outcome: string, code: string) => ({ outcome, code })

t.test('the four series, typed, each app on a registry of its own', async (t) => {
  const { origin } = await startService(t)
  const { families } = await scrape(t, origin)
  t.same(
    [...families.values()].map((f) => [f.name, f.type]),
    [
      ['scope_policy_decisions_total', 'COUNTER'],
      ['scope_policy_reloads_total', 'COUNTER'],
      ['scope_policy_apps', 'GAUGE'],
      ['scope_policy_last_reload_timestamp_seconds', 'GAUGE'],
    ],
    'only these: no default process metrics'
  )
  t.same(globalRegistry.getMetricsAsArray(), [], "nothing on prom-client's global registry")
})

t.test('decisions: one per preflight, by outcome and first violation code, no client label', async (t) => {
  const { origin } = await startService(t)
  const before = await scrape(t, origin)
  t.equal(before.value('scope_policy_decisions_total', decisions('allowed', 'none')), 0, 'present before any request')
  t.equal(before.value('scope_policy_decisions_total', decisions('denied', 'not_whitelisted')), 0)

  t.equal((await preflight(origin, allowed)).status, 200)
  t.equal((await preflight(origin, allowed)).status, 200)
  t.equal((await preflight(origin, notWhitelisted)).status, 422)
  t.equal((await preflight(origin, ghost)).status, 422)
  const two = await preflight(origin, twoCodes)
  t.same(two.body.violations.map((v: { code: string }) => v.code), ['case_mismatch', 'user_scope'])
  t.equal((await preflight(origin, { clientId: 'prod-app-8821', scopes: 42 })).status, 400, 'a malformed body is no decision')

  const after = await scrape(t, origin)
  const count = (outcome: string, code: string) => after.value('scope_policy_decisions_total', decisions(outcome, code))
  t.equal(count('allowed', 'none'), 2)
  t.equal(count('denied', 'not_whitelisted'), 1)
  t.equal(count('denied', 'unknown_client'), 1)
  t.equal(count('denied', 'case_mismatch'), 1, 'a denial counts under its first violation')
  t.equal(count('denied', 'user_scope'), 0, 'and only there: the sum is the number of decisions')
  const samples = after.families.get('scope_policy_decisions_total')!.metrics
  t.equal(samples.reduce((sum, s) => sum + Number(s.value), 0), 5, 'five decisions')
  t.ok(samples.every((s) => s.labels?.client_id === undefined), 'no client_id label by default')
  t.notOk(after.text.includes('prod-app-8821') || after.text.includes(ghost.clientId), 'no clientId anywhere')
})

t.test('reloads: ok and refused counted; apps and the last good load follow the set in force', async (t) => {
  const dir = await policyFolder(t)
  const { app, origin } = await startService(t, { policyDir: dir })
  const reloads = (s: Scraped, result: string) => s.value('scope_policy_reloads_total', { result })
  const start = await scrape(t, origin)
  t.equal(reloads(start, 'ok'), 1, 'the first load counts')
  t.equal(reloads(start, 'refused'), 0)
  t.equal(start.value('scope_policy_apps'), 2)
  const startedAt = start.value('scope_policy_last_reload_timestamp_seconds')!
  t.ok(Math.abs(startedAt - Date.now() / 1000) < 60, `a Unix time in seconds: ${startedAt}`)

  await new Promise((resolve) => setTimeout(resolve, 20))
  await rm(join(dir, 'reporting-exporter.yaml'))
  t.equal((await app.preflightPolicies.reload('test')).applied, true)
  const ok = await scrape(t, origin)
  t.equal(reloads(ok, 'ok'), 2)
  t.equal(ok.value('scope_policy_apps'), 1, 'one app left')
  const reloadedAt = ok.value('scope_policy_last_reload_timestamp_seconds')!
  t.ok(reloadedAt > startedAt, 'the timestamp moves on')

  await writeFile(join(dir, 'agent-desktop-worker.yaml'), 'app: [\n')
  t.equal((await app.preflightPolicies.reload('test')).applied, false)
  const refused = await scrape(t, origin)
  t.equal(reloads(refused, 'refused'), 1)
  t.equal(reloads(refused, 'ok'), 2)
  t.equal(refused.value('scope_policy_apps'), 1, 'the last good set still serves')
  t.equal(refused.value('scope_policy_last_reload_timestamp_seconds'), reloadedAt, 'a refusal is no successful reload')
})

t.test('metricsClientLabels: a client_id label, "(unknown)" for a clientId in no policy', async (t) => {
  const { origin } = await startService(t, { metricsClientLabels: true })
  await preflight(origin, allowed)
  await preflight(origin, notWhitelisted)
  await preflight(origin, ghost)
  const s = await scrape(t, origin)
  const count = (outcome: string, code: string, clientId: string) =>
    s.value('scope_policy_decisions_total', { ...decisions(outcome, code), client_id: clientId })
  t.equal(count('allowed', 'none', 'prod-app-8821'), 1)
  t.equal(count('denied', 'not_whitelisted', 'prod-app-8821'), 1)
  t.equal(count('denied', 'unknown_client', '(unknown)'), 1)
  t.notOk(s.text.includes(ghost.clientId), 'what a caller types never becomes a label')
  t.equal(s.families.get('scope_policy_decisions_total')!.metrics.length, 3, 'one series per client and code seen')
})

t.test('two apps in one process keep separate counts', async (t) => {
  const a = await startService(t)
  const b = await startService(t)
  for (let i = 0; i < 3; i++) await preflight(a.origin, allowed)
  await preflight(b.origin, notWhitelisted)
  const sa = await scrape(t, a.origin)
  const sb = await scrape(t, b.origin)
  t.equal(sa.value('scope_policy_decisions_total', decisions('allowed', 'none')), 3)
  t.equal(sa.value('scope_policy_decisions_total', decisions('denied', 'not_whitelisted')), 0)
  t.equal(sb.value('scope_policy_decisions_total', decisions('allowed', 'none')), 0)
  t.equal(sb.value('scope_policy_decisions_total', decisions('denied', 'not_whitelisted')), 1)
})

t.test('with API keys set, /metrics needs none and the OpenAPI document says so', async (t) => {
  const key = 'metrics-test-key-5c1d2e3f'
  const { origin } = await startService(t, { apiKeys: [key] })
  t.equal((await preflight(origin, allowed)).status, 401, 'the API is keyed')
  t.equal((await preflight(origin, allowed, { authorization: `Bearer ${key}` })).status, 200)
  const s = await scrape(t, origin)
  t.equal(s.value('scope_policy_decisions_total', decisions('allowed', 'none')), 1, 'a refused key is no decision')
  t.notOk(s.text.includes(key))

  const doc = (await call(origin, '/openapi.json')).body
  const operation = doc.paths['/metrics']?.get
  t.same(operation?.security, [], 'listed as open')
  t.same(Object.keys(operation?.responses?.['200']?.content ?? {}), ['text/plain'])
})

t.test('METRICS_CLIENT_LABELS from the environment', async (t) => {
  t.equal((await readServeConfig({})).metricsClientLabels, false, 'off by default')
  t.equal((await readServeConfig({ METRICS_CLIENT_LABELS: 'true' })).metricsClientLabels, true)
  const err = await readServeConfig({ METRICS_CLIENT_LABELS: 'yes' }).catch((e: unknown) => e)
  t.type(err, ServeConfigError)
  t.same((err as ServeConfigError).variables, ['METRICS_CLIENT_LABELS'])

  // The built CLI (`npm run build` first) passes it on to the app.
  if (!t.ok(existsSync(cliMain), `${cliMain} exists`)) return
  const server = spawnServe(t, { POLICY_DIR: await policyFolder(t), METRICS_CLIENT_LABELS: 'true' })
  const origin = await server.origin()
  await preflight(origin, allowed)
  const s = await scrape(t, origin)
  t.equal(s.value('scope_policy_decisions_total', { ...decisions('allowed', 'none'), client_id: 'prod-app-8821' }), 1)
})
