// ioredis is an optional peer dependency: without it, importing
// `fastify-app-token/redis` works and redisStore({ url }) says what to install.
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import ts from 'typescript'

const run = promisify(execFile)

/** plugin/store/ (subfolders included) and the plugin/token/ modules it imports, compiled into a folder where no node_modules can be found. */
async function storeWithoutIoredis (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'no-ioredis-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  for (const folder of ['store', 'token']) {
    for (const name of (await readdir(new URL(`../../plugin/${folder}/`, import.meta.url), { recursive: true })).filter((file) => file.endsWith('.ts'))) {
      const source = await readFile(new URL(`../../plugin/${folder}/${name}`, import.meta.url), 'utf8')
      const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } })
      await mkdir(dirname(join(dir, folder, name)), { recursive: true })
      await writeFile(join(dir, folder, name.replace(/\.ts$/, '.js')), outputText)
    }
  }
  // The plugin's own dependency (the errors' base), without ioredis beside it.
  await mkdir(join(dir, 'node_modules', '@fastify'), { recursive: true })
  await symlink(fileURLToPath(new URL('../../node_modules/@fastify/error', import.meta.url)), join(dir, 'node_modules', '@fastify', 'error'))
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }')
  return dir
}

async function node (dir: string, script: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, env: { PATH: process.env.PATH ?? '' } })
  return stdout.trim()
}

const dir = await storeWithoutIoredis()
const module = JSON.stringify(join(dir, 'store', 'redis.js'))

t.test('ioredis is really absent there', async (t) => {
  t.equal(await node(dir, 'import("ioredis").then(() => console.log("found"), (e) => console.log(e.code))'), 'ERR_MODULE_NOT_FOUND')
})

t.test('the module imports; redisStore({ url }) throws an error naming the package to install', async (t) => {
  const out = await node(dir, `
    const { redisStore } = await import(${module})
    try { redisStore({ url: 'redis://127.0.0.1:6379' }); console.log('no error') } catch (err) { console.log(err.message) }`)
  t.match(out, /needs the ioredis package .*npm install ioredis/)
})

t.test('with a client of the caller\'s, ioredis is not loaded by the store', async (t) => {
  const out = await node(dir, `
    const { redisStore } = await import(${module})
    const store = redisStore({ client: { status: 'end' } })
    console.log(typeof store.get)`)
  t.equal(out, 'function')
})
