// Each entry point exports exactly the names of test/entry/export-lists.ts, types included
// (read from the built .d.ts by TypeScript, as a user's editor does), and docs/api.md lists
// exactly those names. `npm test` builds first (pretest).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'
import { repoRoot } from '../service/harness.js'
import { EXPORTS } from './export-lists.js'

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  name: string
  exports: Record<string, { types: string } | string>
}
const specifier = (subpath: string): string => subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`
const expected = (subpath: string): string[] => [...new Set([...EXPORTS[subpath]!.values, ...EXPORTS[subpath]!.types])].sort()

t.test('every entry point declares exactly its list, types included', async (t) => {
  const subpaths = Object.keys(EXPORTS)
  const files = subpaths.map(s => join(repoRoot, (pkg.exports[s] as { types: string }).types))
  const program = ts.createProgram(files, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, skipLibCheck: true, noEmit: true })
  const checker = program.getTypeChecker()
  subpaths.forEach((subpath, i) => {
    const module = checker.getSymbolAtLocation(program.getSourceFile(files[i]!)!)!
    const names = checker.getExportsOfModule(module).map(s => s.name).sort()
    t.same(names, expected(subpath), `${specifier(subpath)}: exactly the names of test/entry/export-lists.ts`)
  })
})

/**
 * docs/api.md: a `## \`<specifier>\`` heading per entry, each name on a `- \`name\`` line; a
 * line "Everything `<specifier>` exports" takes that section's names.
 */
function documented (): Map<string, string[]> {
  const sections = new Map<string, string[]>()
  let names: string[] | undefined
  for (const line of readFileSync(join(repoRoot, 'docs/api.md'), 'utf8').split('\n')) {
    const heading = /^## `([^`]+)`/.exec(line)
    if (heading !== null) { names = []; sections.set(heading[1]!, names); continue }
    if (line.startsWith('## ')) { names = undefined; continue }
    const item = /^- `([\w$]+)`/.exec(line)
    if (item !== null) names?.push(item[1]!)
    const all = /^Everything `([^`]+)` exports/.exec(line)
    if (all !== null) names?.push(...sections.get(all[1]!) ?? [`(no section ${all[1]} above)`])
  }
  return sections
}

t.test('docs/api.md lists exactly the names of each entry point', async (t) => {
  const sections = documented()
  t.same([...sections.keys()].sort(), Object.keys(EXPORTS).map(specifier).sort(), 'one section per entry point')
  for (const subpath of Object.keys(EXPORTS)) {
    t.same([...new Set(sections.get(specifier(subpath)))].sort(), expected(subpath), `docs/api.md, ${specifier(subpath)}`)
  }
})
