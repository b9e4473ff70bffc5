// Each public entry point, imported by its package name in a fresh node process
// against dist/ (as an installed package is), loads only what it needs: the token
// core works without Fastify and without the policy-file parser, the plugin without
// the parser (until a policy folder is given) and jose (until a JWT is signed), the
// policy engine without the HTTP app, and the service without its optional peers,
// fastify among them (loaded when an app is built: docs/install.md). How loads are seen:
// test/helpers/import-probe.mjs.
// `npm test` builds first (pretest).
import t from 'tap'
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { EXPORTS } from './export-lists.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const probe = fileURLToPath(new URL('../helpers/import-probe.mjs', import.meta.url))
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  name: string
  exports: Record<string, string | { types: string, default: string }>
}

interface Probe { packages: string[], exports: string[] }

/**
 * Imports `specifier` alone in a new node process; it resolves the package by its
 * own name (self-reference). Without NODE_OPTIONS: tap's loaders stay out of it.
 */
async function load (specifier: string): Promise<Probe> {
  const { NODE_OPTIONS: _tapLoaders, ...env } = process.env
  const { stdout } = await promisify(execFile)(process.execPath, [probe, specifier], { cwd: root, env, encoding: 'utf8' })
  return JSON.parse(stdout) as Probe
}

interface Entry {
  subpath: string
  /** Packages it must not load. */
  never: string[]
}

/** The service's optional peers: loaded by buildPreflightApp() and serve(), never by an import. */
const servicePeers = ['@fastify/env', '@fastify/swagger', '@fastify/swagger-ui', '@sinclair/typebox', 'escape-html', 'prom-client']

const entries: Entry[] = [
  {
    subpath: './token',
    // @opentelemetry/api: only when tokenMetrics() is called.
    never: ['fastify', 'yaml', 'jose', '@opentelemetry/api', ...servicePeers]
  },
  {
    subpath: './policy',
    never: ['fastify', 'undici', 'jose', ...servicePeers]
  },
  { subpath: './redis', never: ['fastify'] },
  { subpath: '.', never: ['fastify', 'yaml', 'jose', '@opentelemetry/api', ...servicePeers] },
  // fastify too: an optional peer, loaded with the others when an app is built.
  { subpath: './service', never: ['fastify', 'jose', ...servicePeers] }
]

t.test('package.json exports exactly these entries, each built with its types', async (t) => {
  t.same(Object.keys(pkg.exports).sort(), [...entries.map(e => e.subpath), './package.json'].sort())
  for (const { subpath } of entries) {
    const target = pkg.exports[subpath]
    if (typeof target !== 'object') { t.fail(`${subpath} has no types/default`); continue }
    t.ok(existsSync(`${root}${target.types}`), `${subpath} types: ${target.types}`)
    t.ok(existsSync(`${root}${target.default}`), `${subpath} code: ${target.default}`)
  }
})

for (const { subpath, never } of entries) {
  const specifier = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`
  t.test(`import '${specifier}'`, async (t) => {
    const { packages, exports } = await load(specifier)
    // Exactly the run-time names of docs/api.md; the types are checked by exports.test.ts.
    t.same(exports, [...EXPORTS[subpath]!.values].sort(), 'exports exactly the values of test/entry/export-lists.ts')
    for (const name of never) t.notOk(packages.includes(name), `does not load ${name}`)
  })
}

// The control that makes the "does not load" checks mean something: the probe
// sees a package imported by ES modules (the service's yaml, fastify itself) and
// one only require()d inside a CommonJS package (fastify's avvio), as the
// service's peers are.
t.test('the probe sees what an import loads', async (t) => {
  t.ok((await load(`${pkg.name}/service`)).packages.includes('yaml'), 'sees the service\'s yaml')
  const { packages } = await load('fastify')
  for (const name of ['fastify', 'avvio']) t.ok(packages.includes(name), `sees ${name}`)
})
