// Docs are code: every fenced block of README.md and docs/*.md is checked against the built
// package (`npm test` builds first). The rules are in test/docs/doc-blocks.ts and
// CONTRIBUTING.md; a failure names the doc's file:line.
import t, { type Test } from 'tap'
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import ts from 'typescript'
import { BIN } from '../helpers/cli.js'
import { repoRoot } from '../service/harness.js'
import { spawnServe } from '../service/spawn.js'
import {
  docFiles, fencedBlocks, isFragment, isPolicyFile, policyFileName, shellExamples, shellWords,
  type DocBlock, type ShellExample
} from './doc-blocks.js'

const blocks = docFiles(repoRoot).flatMap(file => fencedBlocks(repoRoot, file))
const where = (b: { file: string, line: number }): string => `${b.file}:${b.line}`
const run = promisify(execFile)

// Generated files live inside the package, so `fastify-app-token/…` resolves to dist/ by
// the package's own name, as in an installed copy.
const scratch = mkdtempSync(join(repoRoot, '.doc-blocks-'))
t.teardown(() => rmSync(scratch, { recursive: true, force: true }))

interface Outcome { code: number, output: string }

async function runCli (args: string[]): Promise<Outcome> {
  const { POLICY_DIR: _ignored, ...env } = process.env
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: repoRoot, env, encoding: 'utf8' })
    return { code: 0, output: stdout + stderr }
  } catch (err) {
    const { code, stdout, stderr } = err as { code: number, stdout: string, stderr: string }
    return { code, output: stdout + stderr }
  }
}

t.test('yaml blocks with a top-level app: pass scope-policy lint', async (t) => {
  const policies = blocks.filter(isPolicyFile)
  t.ok(policies.length > 0, 'the docs show policy files')
  for (const block of policies) {
    const dir = join(scratch, `policy-${block.file.replace(/\W/g, '-')}-${block.line}`)
    mkdirSync(dir)
    writeFileSync(join(dir, policyFileName(block)), `${block.lines.join('\n')}\n`)
    const { code, output } = await runCli(['lint', dir])
    if (code === 0) t.pass(`${where(block)}: passes scope-policy lint`)
    else t.fail(`${where(block)}: this policy file fails scope-policy lint (a partial one starts with "# fragment"):\n${output}`)
  }
})

/**
 * One module per whole ts block; each `// fragment` block is appended to its file's last
 * whole block inside `{ … }` (its import lines hoisted), so it sees that block's names.
 */
interface TsModule { path: string, file: string, lines: Array<{ text: string, from: DocBlock, offset: number }> }

function tsModules (): TsModule[] {
  const modules: TsModule[] = []
  let last: TsModule | undefined
  for (const block of blocks.filter(b => b.lang === 'ts')) {
    const numbered = block.lines.map((text, offset) => ({ text, from: block, offset }))
    const fragment = isFragment(block)
    if (!fragment || last === undefined || last.file !== block.file) {
      last = { path: join(scratch, `${block.file.replace(/\W/g, '-')}-${block.line}.ts`), file: block.file, lines: fragment ? [] : numbered }
      modules.push(last)
      if (!fragment) continue
    }
    const imports = numbered.filter(l => /^import\s/.test(l.text))
    const body = numbered.filter(l => !/^import\s/.test(l.text))
    const marker = { text: '', from: block, offset: 0 }
    last.lines.unshift(...imports)
    last.lines.push({ ...marker, text: '{' }, ...body, { ...marker, text: '}' })
  }
  return modules
}

t.test('ts blocks type-check against the built package (one program)', async (t) => {
  const modules = tsModules()
  t.ok(modules.length > 0, 'the docs show TypeScript')
  for (const m of modules) writeFileSync(m.path, `${m.lines.map(l => l.text).join('\n')}\nexport {}\n`)
  const config = ts.getParsedCommandLineOfConfigFile(join(repoRoot, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })
  const options: ts.CompilerOptions = { ...config!.options, noEmit: true, noUnusedLocals: false, declaration: false, sourceMap: false }
  const program = ts.createProgram(modules.map(m => m.path), options)
  const byPath = new Map(modules.map(m => [m.path, m]))
  const problems = ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n')
    const m = d.file === undefined ? undefined : byPath.get(d.file.fileName)
    if (d.file === undefined || m === undefined || d.start === undefined) return `(${d.file?.fileName ?? 'options'}) TS${d.code}: ${text}`
    const at = m.lines[d.file.getLineAndCharacterOfPosition(d.start).line]
    return at === undefined ? `${m.path} TS${d.code}: ${text}` : `${at.from.file}:${at.from.line + at.offset}: TS${d.code}: ${text}`
  })
  t.same(problems, [], 'no type errors in the docs\' ts blocks (mark a partial block "// fragment")')
})

/** The doc's output compared with the real one: JSON parsed; a last line `…` ends the comparison. */
function compareOutput (t: Test, example: ShellExample, actual: string): void {
  const expected = [...example.output]
  while (expected.length > 0 && expected.at(-1)!.trim() === '') expected.pop()
  const text = expected.join('\n').trim()
  if (/^[[{]/.test(text)) {
    let parsed: unknown
    try { parsed = JSON.parse(actual) } catch { t.fail(`${where(example)}: \`${example.command}\` printed no JSON:\n${actual}`); return }
    t.same(parsed, JSON.parse(text), `${where(example)}: \`${example.command}\` prints what the doc shows`)
    return
  }
  const elided = ['…', '...'].includes(expected.at(-1)?.trim() ?? '')
  if (elided) expected.pop()
  let lines = actual.replace(/\n$/, '').split('\n').map(l => l.trimEnd())
  if (elided) lines = lines.slice(0, expected.length)
  t.same(lines, expected.map(l => l.trimEnd()), `${where(example)}: \`${example.command}\` prints what the doc shows`)
}

type Runner = (words: string[], example: ShellExample) => Promise<Outcome> | undefined

// scope-policy commands that only read the repository's policies/: diff needs git refs,
// verify a live token endpoint, serve runs until stopped, fmt without --check writes.
const reading = (words: string[]): boolean =>
  ['check', 'lint', 'schema'].includes(words[1] ?? '') || (words[1] === 'fmt' && words.includes('--check'))

t.test('shell examples print what the docs show', async (t) => {
  const examples = blocks.flatMap(shellExamples)
  let origin: string | undefined
  const service = async (): Promise<string> => {
    origin ??= await spawnServe(t, {}).origin()
    return origin
  }
  const curlBinary = ['/usr/bin/curl', '/bin/curl', '/usr/local/bin/curl'].find(existsSync)
  const runners: Runner[] = [
    (words) => {
      if (words[0] === 'npx') words = words.slice(1)
      if (words[0] !== 'scope-policy' || !reading(words)) return undefined
      return runCli(words.slice(1))
    },
    (words) => {
      const url = words.find(w => w.includes('localhost:3000'))
      if (words[0] !== 'curl' || url === undefined) return undefined
      return service().then(async (base) => {
        const args = words.slice(1).map(w => w === url ? w.replace(/^(https?:\/\/)?localhost:3000/, base) : w)
        if (curlBinary !== undefined) {
          const { stdout } = await run(curlBinary, args, { encoding: 'utf8' }).catch((err: { stdout: string }) => ({ stdout: err.stdout }))
          return { code: 0, output: stdout }
        }
        return curlWithUndici(args)
      })
    }
  ]
  if (curlBinary === undefined) t.comment('no curl binary: the curl examples are sent with fetch (undici) instead')
  let previous: Outcome | undefined
  let ran = 0
  for (const example of examples) {
    const words = shellWords(example.command)
    if (example.command === 'echo $?') {
      if (previous !== undefined) t.equal(String(previous.code), example.output[0]?.trim(), `${where(example)}: exit code`)
      continue
    }
    previous = undefined
    // Redirections and pipes print elsewhere; assignments need an environment the doc does not give.
    if (/[|<>;&]/.test(example.command) || /^\w+=/.test(words[0] ?? '')) continue
    const outcome = runners.map(r => r(words, example)).find(r => r !== undefined)
    if (outcome === undefined) continue
    previous = await outcome
    ran++
    if (example.output.some(l => l.trim() !== '')) compareOutput(t, example, previous.output)
  }
  t.ok(ran > 0, `ran ${ran} examples`)
})

/** The few curl flags the docs use (-s -X -H -d), sent with fetch. */
async function curlWithUndici (args: string[]): Promise<Outcome> {
  const headers: Record<string, string> = {}
  let method: string | undefined
  let body: string | undefined
  let url = ''
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '-X') method = args[++i]
    else if (arg === '-H') { const [k, ...v] = args[++i]!.split(':'); headers[k!.trim()] = v.join(':').trim() } else if (arg === '-d') body = args[++i]
    else if (!arg.startsWith('-')) url = arg
  }
  const response = await fetch(url, { method: method ?? (body === undefined ? 'GET' : 'POST'), headers, body })
  return { code: 0, output: await response.text() }
}

// The rules see what they should: a broken example in each language is caught.
t.test('the rules recognise what they check', async (t) => {
  const [yaml] = fencedBlocks(repoRoot, 'README.md').filter(isPolicyFile)
  t.ok(yaml, 'the README shows a whole policy file')
  const fragment: DocBlock = { file: 'x.md', line: 1, lang: 'yaml', lines: ['# fragment', 'app: x'] }
  t.notOk(isPolicyFile(fragment), '# fragment marks a partial policy file')
  t.equal(policyFileName({ file: 'x.md', line: 1, lang: 'yaml', lines: ['# policies/a-b.yaml — note', 'app: c'] }), 'a-b.yaml')
  t.equal(policyFileName({ file: 'x.md', line: 1, lang: 'yaml', lines: ['app: c-d'] }), 'c-d.yaml')
  const console: DocBlock = { file: 'x.md', line: 10, lang: 'console', lines: ['$ curl -s \\', '  -d \'{"a":1}\' localhost:3000/x', '{"b":2}', '$ scope-policy lint # after a change', 'bad'] }
  const found = shellExamples(console)
  t.same(found, [{ file: 'x.md', line: 10, command: 'curl -s -d \'{"a":1}\' localhost:3000/x', output: ['{"b":2}'] }], '# after ends what is run')
  t.same(shellWords(found[0]!.command), ['curl', '-s', '-d', '{"a":1}', 'localhost:3000/x'])
})
