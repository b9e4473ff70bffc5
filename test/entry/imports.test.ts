// The shape of the source's imports (docs/api.md): internal modules never import a public
// barrel (an entry point's file, or one an entry re-exports whole), and no module imports
// itself back through others, type-only imports included.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { repoRoot } from '../service/harness.js'

const SOURCE = ['bin', 'plugin', 'service']

function sourceFiles (dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { withFileTypes: true }).flatMap(entry => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

/** Relative specifiers of `import … from`, `export … from` and `import()`, type-only included, as repo paths. */
function importsOf (file: string): Array<{ target: string, reexportAll: boolean }> {
  const text = readFileSync(join(repoRoot, file), 'utf8')
  const found: Array<{ target: string, reexportAll: boolean }> = []
  for (const m of text.matchAll(/^\s*(import|export)\b([^'";]*?)\bfrom\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/gm)) {
    const spec = m[3] ?? m[4]!
    const target = relative(repoRoot, resolve(repoRoot, dirname(file), spec)).replace(/\.js$/, '.ts')
    found.push({ target, reexportAll: m[1] === 'export' && /^\s*\*\s*$/.test(m[2] ?? '') })
  }
  return found
}

const files = SOURCE.flatMap(sourceFiles)
const graph = new Map(files.map(file => [file, importsOf(file)]))

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { exports: Record<string, { default: string } | string> }
const entries = Object.values(pkg.exports).flatMap(target => typeof target === 'object'
  ? [target.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts')]
  : [])
const barrels = new Set(entries)
for (let grew = true; grew;) {
  grew = false
  for (const barrel of [...barrels]) {
    for (const { target, reexportAll } of graph.get(barrel) ?? []) {
      if (reexportAll && !barrels.has(target)) { barrels.add(target); grew = true }
    }
  }
}

t.test('internal modules never import a public barrel', async (t) => {
  t.ok(barrels.has('service/policy/index.ts') && barrels.has('plugin/token/index.ts'), 'the barrels are found')
  const offenders = files.flatMap(file => (graph.get(file) ?? [])
    .filter(({ target, reexportAll }) => barrels.has(target) && !(barrels.has(file) && reexportAll))
    .map(({ target }) => `${file} imports ${target}`))
  t.same(offenders, [], 'import from the module that defines the name instead')
})

t.test('no import cycles, type-only imports included', async (t) => {
  const cycles: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const path: string[] = []
  const visit = (file: string): void => {
    state.set(file, 'open')
    path.push(file)
    for (const { target } of graph.get(file) ?? []) {
      if (!graph.has(target)) continue
      if (state.get(target) === 'open') cycles.push([...path.slice(path.indexOf(target)), target].join(' → '))
      else if (state.get(target) === undefined) visit(target)
    }
    path.pop()
    state.set(file, 'done')
  }
  for (const file of files) if (state.get(file) === undefined) visit(file)
  t.same(cycles, [], 'each cycle as file → … → file')
})
