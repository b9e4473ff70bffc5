// Imports one module specifier in this (fresh) process and prints, as JSON,
// the npm packages that import loaded and the names it exports. Plain ESM run
// by bare `node`, so the probe itself loads nothing but Node builtins.
//
// Node 20 has no list of loaded ES modules, so two records are joined:
// - every URL an `import` resolves to, from a resolve hook (node:module
//   `register`, Node >= 20.6) that appends it synchronously to a file, so the
//   list is complete when the import settles;
// - every CommonJS module in the require cache, which the hook does not see
//   (on Node 20 it sees no `require()` made by a CommonJS package).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire, register } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const specifier = process.argv[2]
if (specifier === undefined) throw new Error('usage: node import-probe.mjs <specifier>')
const dir = mkdtempSync(join(tmpdir(), 'import-probe-'))
const logFile = join(dir, 'resolved.txt')

const hook = `
import { appendFileSync } from 'node:fs'
let logFile
export function initialize (data) { logFile = data.logFile }
export async function resolve (specifier, context, next) {
  const result = await next(specifier, context)
  appendFileSync(logFile, result.url + '\\n')
  return result
}`
register(`data:text/javascript,${encodeURIComponent(hook)}`, import.meta.url, { data: { logFile } })

const exports = await import(specifier)

const files = readFileSync(logFile, 'utf8').split('\n').filter(url => url.startsWith('file:')).map(url => fileURLToPath(url))
files.push(...Object.keys(createRequire(import.meta.url).cache))
rmSync(dir, { recursive: true, force: true })

/** The package of a file under node_modules: `name` or `@scope/name`. */
function packageOf (file) {
  const at = file.lastIndexOf('/node_modules/')
  if (at === -1) return undefined
  const parts = file.slice(at + '/node_modules/'.length).split('/')
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]
}
const packages = [...new Set(files.map(packageOf).filter(name => name !== undefined))].sort()
process.stdout.write(JSON.stringify({ packages, exports: Object.keys(exports).sort() }))
