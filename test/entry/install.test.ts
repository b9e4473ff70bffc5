// The packed package installed as a user installs it (docs/install.md): `npm pack`, then the
// tarball added to a fresh app beside `fastify`, compared with the same app without us. The
// plugin face brings only what the plugin needs (no service packages, no second fastify) and
// works there; the service says what to install, and works once that is installed.
//
// Offline: the apps start from this repository's package-lock.json, so npm takes every version
// from it and every tarball from the cache `npm ci` filled (it keeps no registry metadata).
// `--legacy-peer-deps` skips resolving peers, which needs that metadata: the apps list fastify
// themselves, and optional peers are never installed, so the tree is the one a user gets.
// `npm test` builds dist/ first (pretest).
import t from 'tap'
import { execFile } from 'node:child_process'
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { startOidcServer } from '../helpers/oidc-server.js'
import { SERVICE_INSTALL } from '../../service/http/peers.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
  peerDependencies: Record<string, string>
  peerDependenciesMeta: Record<string, { optional?: boolean }>
}
const MB = 1024 * 1024
/** The goal for the plugin face, on disk as `du` counts it (it added 30 MB on disk, 41 packages, before). */
const PLUGIN_FACE_MAX_BYTES = 8 * MB
/** What the service's peers are not: the plugin's own optional peers. */
const PLUGIN_PEERS = ['ioredis', '@opentelemetry/api']
const servicePeers = Object.keys(pkg.peerDependencies).filter((name) => pkg.peerDependenciesMeta[name]?.optional === true && !PLUGIN_PEERS.includes(name))

// No tap loaders in the children, no settings of a parent npm run (but its cache).
const { NODE_OPTIONS: _tapLoaders, ...inherited } = process.env
const env = Object.fromEntries(Object.entries(inherited).filter(([name]) => !name.startsWith('npm_') || name === 'npm_config_cache'))
const run = async (file: string, args: string[], cwd: string) => await promisify(execFile)(file, args, { cwd, env, encoding: 'utf8', maxBuffer: 16 * MB })

t.setTimeout(600_000)
const work = await mkdtemp(join(tmpdir(), 'app-token-install-'))
t.teardown(() => rm(work, { recursive: true, force: true }))

const tarball = join(work, JSON.parse((await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], root)).stdout)[0].filename)

/** A fresh app with these dependencies, installed offline (see the header). */
async function app (name: string, dependencies: Record<string, string>): Promise<string> {
  const dir = join(work, name)
  await cp(join(root, 'package-lock.json'), join(dir, 'package-lock.json'))
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, type: 'module', dependencies }))
  await run('npm', ['install', '--offline', '--legacy-peer-deps', '--ignore-scripts', '--no-audit', '--no-fund'], dir)
  return dir
}

interface Footprint { bytes: number, disk: number, packages: string[] }

/** Bytes of every file (npm's "unpacked size"), disk use as `du` counts it, and the installed packages by path. */
async function footprint (dir: string): Promise<Footprint> {
  const found: Footprint = { bytes: 0, disk: 0, packages: [] }
  const walk = async (path: string, rel: string): Promise<void> => {
    const stat = await lstat(path)
    found.disk += stat.blocks * 512
    if (!stat.isDirectory()) { found.bytes += stat.size; return }
    const names = await readdir(path)
    if (/(^|\/)node_modules\/(@[^/]+\/)?[^@/][^/]*$/.test(rel) && names.includes('package.json')) found.packages.push(rel)
    for (const name of names) await walk(join(path, name), rel === '' ? name : `${rel}/${name}`)
  }
  await walk(join(dir, 'node_modules'), 'node_modules')
  return found
}

const text = (n: number): string => `${(n / MB).toFixed(1)} MB`

const oidc = await startOidcServer({ clients: [{ clientId: 'lean-app', clientSecret: 'lean-secret-0123456789', scopes: ['read:interaction'] }] })
t.teardown(() => oidc.close())

const fastifyRange = pkg.peerDependencies.fastify as string
const bare = await footprint(await app('bare', { fastify: fastifyRange }))
const pluginApp = await app('plugin', { fastify: fastifyRange, 'fastify-app-token': `file:${tarball}` })
const withPlugin = await footprint(pluginApp)

t.test('the plugin face adds at most 8 MB on disk and only what the plugin needs', async (t) => {
  const added = withPlugin.packages.filter((path) => !bare.packages.includes(path))
  t.comment(`bare fastify app: ${text(bare.bytes)} (${text(bare.disk)} on disk), ${bare.packages.length} packages`)
  t.comment(`+ fastify-app-token: +${text(withPlugin.bytes - bare.bytes)} (+${text(withPlugin.disk - bare.disk)} on disk), +${added.length} packages: ${added.join(' ')}`)
  // On disk, the measure of the issue: many small files cost far more blocks than bytes.
  t.ok(withPlugin.disk - bare.disk <= PLUGIN_FACE_MAX_BYTES, `adds ${text(withPlugin.disk - bare.disk)} on disk (at most ${text(PLUGIN_FACE_MAX_BYTES)})`)
  t.ok(added.length <= 8, `adds ${added.length} packages (at most 8)`)
  // Typebox among them: the plugin, its env and the policy files are checked with fastify's own Ajv.
  for (const name of servicePeers.filter((name) => name !== 'fastify')) t.notOk(withPlugin.packages.some((path) => path.endsWith(`node_modules/${name}`)), `${name} is not installed`)
  t.same(withPlugin.packages.filter((path) => path.endsWith('node_modules/ajv')), ['node_modules/ajv'], 'one ajv: the one fastify installs')
  t.ok(bare.packages.includes('node_modules/ajv'), 'which the bare app has already')
  t.same(withPlugin.packages.filter((path) => path.endsWith('node_modules/fastify')), ['node_modules/fastify'], 'one fastify: the app\'s')
})

t.test('there, the plugin gets a token', async (t) => {
  await writeFile(join(pluginApp, 'token.js'), `
    import Fastify from 'fastify'
    import appToken from 'fastify-app-token'
    const app = Fastify()
    await app.register(appToken, { tokenEndpoint: process.argv[2], clientId: 'lean-app', clientSecret: 'lean-secret-0123456789', scopes: ['read:interaction'] })
    const token = await app.appToken.get()
    console.log(JSON.stringify(token.scopes))
    await app.close()`)
  const { stdout } = await run(process.execPath, ['token.js', oidc.tokenEndpoint], pluginApp)
  t.same(JSON.parse(stdout), ['read:interaction'])
  t.equal(oidc.tokenRequests.length, 1, 'one token request reached the server')
})

t.test('there, the CLI lints without the service\'s packages', async (t) => {
  await cp(join(root, 'policies'), join(pluginApp, 'policies'), { recursive: true })
  const lint = await run(join(pluginApp, 'node_modules/.bin/scope-policy'), ['lint', 'policies'], pluginApp)
  t.notMatch(lint.stderr, /npm install/)
  // The schema check runs there too (Ajv, the one fastify installed).
  await mkdir(join(pluginApp, 'bad'))
  await writeFile(join(pluginApp, 'bad/app-one.yaml'), 'app: app-one\nowner: ""\n')
  const bad = await run(join(pluginApp, 'node_modules/.bin/scope-policy'), ['lint', 'bad'], pluginApp)
    .then(() => ({ code: 0, stdout: '' }), (err: { code: number, stdout: string }) => err)
  t.equal(bad.code, 1, 'a bad file fails the lint')
  t.match(bad.stdout, 'app-one.yaml:2:8: error schema "owner" must not be empty')
  t.match(bad.stdout, 'error schema missing required field "provider" in the file')
})

t.test('the CLI alone: no fastify (an optional peer), and every command but serve works', async (t) => {
  t.same(pkg.peerDependenciesMeta.fastify, { optional: true }, 'npm leaves out an optional peer: `npm install --save-dev fastify-app-token` is all a policy repository needs')
  const dir = await app('cli', { 'fastify-app-token': `file:${tarball}` })
  const cli = await footprint(dir)
  t.comment(`the CLI alone: ${text(cli.bytes)} (${text(cli.disk)} on disk), ${cli.packages.length} packages`)
  t.notOk(cli.packages.some((path) => path.endsWith('node_modules/fastify')), 'fastify is not installed')
  await cp(join(root, 'policies'), join(dir, 'policies'), { recursive: true })
  const bin = join(dir, 'node_modules/.bin/scope-policy')
  for (const args of [['lint', 'policies'], ['fmt', '--check', 'policies'], ['schema'], ['check', '--policies', 'policies', '--client', 'prod-app-8821', '--env', 'prod', 'read:interaction']]) {
    const done = await run(bin, args, dir).then(() => 0, (err: { code: number }) => err.code)
    t.equal(done, 0, `scope-policy ${args[0]} runs`)
  }
  // The service's module imports without fastify; building the app says what to install, fastify included.
  await writeFile(join(dir, 'service.js'), `
    import { buildPreflightApp, loadPolicySet } from 'fastify-app-token/service'
    await loadPolicySet('policies')
    try { buildPreflightApp({ policyDir: 'policies' }); console.log('built') } catch (err) { console.log(JSON.stringify({ code: err.code, message: err.message })) }`)
  const built = JSON.parse((await run(process.execPath, ['service.js'], dir)).stdout) as { code: string, message: string }
  t.equal(built.code, 'FST_APP_TOKEN_MISSING_PEER')
  t.match(built.message, /needs @fastify\/env, .*escape-html, fastify, prom-client \(/)
  t.ok(built.message.endsWith(SERVICE_INSTALL), 'and the command that installs them')
})

t.test('there, the service says what to install', async (t) => {
  await writeFile(join(pluginApp, 'service.js'), `
    import { buildPreflightApp } from 'fastify-app-token/service'
    try { buildPreflightApp({ policyDir: 'policies' }); console.log('built') } catch (err) { console.log(JSON.stringify({ code: err.code, message: err.message })) }`)
  const built = JSON.parse((await run(process.execPath, ['service.js'], pluginApp)).stdout) as { code: string, message: string }
  t.equal(built.code, 'FST_APP_TOKEN_MISSING_PEER')
  t.ok(built.message.endsWith(SERVICE_INSTALL), built.message)

  const serve = await run(join(pluginApp, 'node_modules/.bin/scope-policy'), ['serve', 'policies'], pluginApp)
    .then(() => ({ code: 0, stderr: '' }), (err: { code: number, stderr: string }) => err)
  t.equal(serve.code, 1, 'scope-policy serve exits 1')
  // Every package the service loads is named as missing (the typebox provider is types only).
  t.match(serve.stderr, 'scope-policy: the preflight service (fastify-app-token/service, scope-policy serve) needs @fastify/env, @fastify/swagger, @fastify/swagger-ui, @sinclair/typebox, escape-html, prom-client (')
  t.match(serve.stderr, SERVICE_INSTALL)
})

t.test('the install command is the package\'s optional peers, and with them the service runs', async (t) => {
  const specs = SERVICE_INSTALL.replace(/^npm install /, '').split(' ')
  t.same(specs, servicePeers.map((name) => `${name}@${pkg.peerDependencies[name]}`), 'every service peer, at its peer range')
  const dependencies: Record<string, string> = { fastify: fastifyRange, 'fastify-app-token': `file:${tarball}` }
  for (const spec of specs) dependencies[spec.slice(0, spec.lastIndexOf('@'))] = spec.slice(spec.lastIndexOf('@') + 1)
  const dir = await app('service', dependencies)
  await cp(join(root, 'policies'), join(dir, 'policies'), { recursive: true })
  await writeFile(join(dir, 'service.js'), `
    import { buildPreflightApp } from 'fastify-app-token/service'
    const app = buildPreflightApp({ policyDir: 'policies', watch: false })
    const res = await app.inject({ method: 'GET', url: '/readyz' })
    console.log(res.statusCode)
    await app.close()`)
  t.equal((await run(process.execPath, ['service.js'], dir)).stdout.trim(), '200')
  const service = await footprint(dir)
  t.comment(`the service face: +${text(service.bytes - bare.bytes)} (+${text(service.disk - bare.disk)} on disk), +${service.packages.length - bare.packages.length} packages`)
})
