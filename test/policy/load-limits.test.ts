// A hostile policy file cannot stall a load nor flood its consumers (docs/policy-files.md,
// "Findings"): schema errors are reported in linear time, and the loader caps its findings
// (100 per file, 1,000 per load, each cut marked by one too-many-findings finding).
import fc from 'fast-check'
import t from 'tap'
import { loadPolicyDir, loadPolicyFiles } from '../../service/policy/index.js'
import type { Finding, PolicySource } from '../../service/policy/types.js'

const HEAD = 'app: big\nowner: "@o/t"\nprovider: generic\nenvironments:\n'

/** `big.yaml` of about `bytes` bytes: the header, then `line(i)` lines. */
function file (bytes: number, line: (i: number) => string): PolicySource {
  const lines: string[] = []
  let size = HEAD.length
  for (let i = 0; size < bytes; i++) {
    const text = line(i)
    lines.push(text)
    size += text.length + 1
  }
  return { file: 'big.yaml', text: `${HEAD}${lines.join('\n')}\n` }
}

/** One schema error per line: the shape that took 86 s for 0.95 MB when each error searched its mapping. */
const badEnvironment = (i: number): string => `  e${i}: {clientId: 1}`

const marks = (findings: Finding[]): Finding[] => findings.filter((f) => f.code === 'too-many-findings')

t.test('a file with thousands of problems: its first 100 findings, then one too-many-findings "N more"', async (t) => {
  const source = file(64 * 1024, badEnvironment)
  const lines = source.text.split('\n').length - 5
  const { policies, findings } = loadPolicyFiles([source])
  t.equal(policies, null, 'the file is still invalid')
  t.equal(findings.length, 101)
  const [mark] = marks(findings)
  t.equal(findings[100], mark, 'the mark comes last')
  t.equal(mark?.severity, 'error', 'an error was left out: the mark is an error')
  // Each bad environment has three schema findings (clientId's type, two fields missing).
  t.match(mark?.message, new RegExp(`^${lines * 3 - 100} more findings in this file`))
  // 100 = 33 lines × 3 + 1: the 100th finding is the first of line 34's three, the mark points at its second.
  t.equal(mark?.line, findings[99]!.line, 'it points at the first finding left out')
})

t.test('a folder of many such files: at most 1,000 findings in all, then one mark for the load', async (t) => {
  const dir = t.testdir(Object.fromEntries(Array.from({ length: 14 }, (_, i) => [
    `app-${String(i).padStart(2, '0')}.yaml`,
    `${HEAD.replace('big', `app-${String(i).padStart(2, '0')}`)}${Array.from({ length: 200 }, (_, e) => badEnvironment(e)).join('\n')}\n`,
  ])))
  const { policies, findings } = await loadPolicyDir(dir)
  t.equal(policies, null)
  t.equal(findings.length, 1001)
  const last = findings[1000]!
  t.equal(last.code, 'too-many-findings')
  t.match(last.message, /^\d+ more findings in this load/)
  t.equal(marks(findings).filter((f) => f.message.includes('in this file')).length, 9, 'nine files shown (100 + their mark each), the tenth cut by the load cap')
  t.same([...new Set(findings.map((f) => f.file))].length, 10)
})

t.test('warnings beyond the cap are marked as a warning: a valid folder stays valid', async (t) => {
  const scopes = Array.from({ length: 150 }, (_, i) => `      read:x${i}: ""`).join('\n')
  const text = `${HEAD}  prod:\n    clientId: c1\n    tokenEndpoint: https://auth.example.com/oauth/token\n    scopes:\n${scopes}\n`
  const { policies, findings } = loadPolicyFiles([{ file: 'big.yaml', text }])
  t.ok(policies, 'missing reasons are warnings: the set loads')
  t.equal(findings.length, 101)
  t.equal(marks(findings)[0]?.severity, 'warning')
  t.match(marks(findings)[0]?.message, /^50 more findings in this file/)
})

/** Median ms of `runs` loads of the source. */
function medianLoadMs (source: PolicySource, runs: number): number {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    loadPolicyFiles([source])
    times.push(performance.now() - started)
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)] as number
}

// Lines that each make the loader work: schema errors on a large mapping (the quadratic case
// that was), bad scope names and missing reasons.
const HOSTILE_LINES: Array<(i: number) => string> = [
  badEnvironment,
  (i) => `  e${i}: {clientId: c${i}, tokenEndpoint: "https://a.example/t", scopes: {"bad scope ${i}": x, "r:${i}": ""}}`,
]

t.test('property: a policy file\'s load time grows linearly with its size (64 KB vs 512 KB, medians, ratio ≤ 16)', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...HOSTILE_LINES.keys()), async (shape) => {
      const line = HOSTILE_LINES[shape]!
      const small = file(64 * 1024, line)
      const large = file(512 * 1024, line)
      medianLoadMs(small, 1) // warm-up
      const smallMs = medianLoadMs(small, 3)
      const largeMs = medianLoadMs(large, 3)
      const ratio = largeMs / smallMs
      t.comment(`shape ${shape}: 64 KB ${smallMs.toFixed(0)} ms, 512 KB ${largeMs.toFixed(0)} ms, ratio ${ratio.toFixed(1)} (linear: 8, quadratic: 64)`)
      return ratio <= 16
    }),
    { numRuns: HOSTILE_LINES.length, examples: HOSTILE_LINES.map((_, i) => [i]) }
  )
  t.pass('linear for every shape')
})
