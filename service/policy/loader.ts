// Loads a folder of policy files into a PolicySet (docs/policy-files.md). Every problem is a Finding.
import { capFindings, compareFindings, finding, formatFinding, hasErrors, quote } from './findings.js'
import { parsePolicyFile, type Occurrence } from './policy-file.js'
import { policySetBuilder } from './policy-set.js'
import { listPolicyFolder, MAX_FILE_BYTES, readPolicyFile, tooLarge, type PolicyFolder } from './policy-folder.js'
import { secretEnvCollisions, secretEnvWarnings } from './secret-env.js'
import { credentialFieldProblem } from './rules/auth-method.js'
import type { AppPolicy, Finding, LoadResult, PolicySet, PolicySource } from './types.js'

/** Options of the loaders. */
export interface LoadOptions {
  /** The folder the sources come from, for messages (`policies/app.yaml:8`). Default `.`. */
  dir?: string
}

const where = (o: Occurrence): string => `${o.at.file}:${o.at.line}:${o.at.col}`

/**
 * Pure: parses in-memory files (the CLI's diff reads them from git). Sorted by file name; the
 * findings capped (capFindings) for every consumer.
 */
export function loadPolicyFiles (sources: readonly PolicySource[], options: LoadOptions = {}): LoadResult {
  const result = loadAll(sources, options)
  return { policies: result.policies, findings: capFindings(result.findings) }
}

function loadAll (sources: readonly PolicySource[], options: LoadOptions): LoadResult {
  const dir = options.dir ?? '.'
  const findings: Finding[] = []
  const apps = new Map<string, AppPolicy>()
  const firstApp = new Map<string, Occurrence>()
  const firstClient = new Map<string, Occurrence>()
  const sorted = [...sources].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
  for (const source of sorted) {
    const text = typeof source.text === 'string' ? source.text : ''
    // Sources from git are read whole by git; the cap holds for them all the same.
    if (Buffer.byteLength(text) > MAX_FILE_BYTES) {
      findings.push(tooLarge(source.file))
      continue
    }
    const parsed = parsePolicyFile(source.file, text)
    findings.push(...parsed.findings)
    let clean = parsed.policy !== null
    if (parsed.appName) {
      const first = firstApp.get(parsed.appName.value)
      if (first) {
        clean = false
        findings.push(
          finding(parsed.appName.at, 'error', 'duplicate-app', `app ${quote(first.value)} is already defined at ${where(first)}: one file per app`)
        )
      } else firstApp.set(parsed.appName.value, parsed.appName)
    }
    for (const id of parsed.clientIds) {
      const first = firstClient.get(id.value)
      if (first) {
        clean = false
        findings.push(
          finding(
            id.at,
            'error',
            'duplicate-client-id',
            `clientId ${quote(id.value)} of ${id.app}/${id.environment ?? '?'} is already used by ${first.app}/${first.environment ?? '?'} at ${where(first)}: a clientId belongs to one app and environment`
          )
        )
      } else firstClient.set(id.value, id)
    }
    if (clean && parsed.policy) apps.set(parsed.policy.app, parsed.policy)
  }
  findings.push(...secretEnvCollisions(apps.values()), ...secretEnvWarnings(apps.values()))
  for (const app of apps.values()) {
    for (const env of app.environments.values()) {
      const problem = credentialFieldProblem(env)
      if (problem !== null) findings.push(finding(env.at, 'warning', 'auth-method-credential', `${app.app}/${env.name}: ${problem}`))
    }
  }
  findings.sort(compareFindings)
  if (hasErrors(findings)) return { policies: null, findings }
  // Every lookup built up front, so the first checks are as fast as the rest.
  const builder = policySetBuilder(dir)
  for (const app of apps.values()) builder.add(app)
  return { policies: builder.set, findings }
}

const READS_IN_FLIGHT = 16

const folderAt = (code: string, message: string): Finding =>
  finding({ file: '.', line: 1, col: 1 }, 'error', code, message)

/** Reads the policy files of `dir` (not sub-folders, no symlinks), sorted. Never throws. */
export async function loadPolicyDir (dir: string): Promise<LoadResult> {
  let folder: PolicyFolder
  try {
    folder = await listPolicyFolder(dir)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a folder' : `cannot be read (${code ?? 'error'})`
    return { policies: null, findings: [folderAt('missing-folder', `policy folder ${quote(dir, 200)} ${why}`)] }
  }
  const { names } = folder
  // A few reads in flight at once: a large folder loads faster than one by one, without
  // opening thousands of files together.
  const texts: Array<string | Finding> = new Array(names.length)
  let next = 0
  const worker = async (): Promise<void> => {
    for (let i = next++; i < names.length; i = next++) texts[i] = await readPolicyFile(dir, names[i] as string)
  }
  await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, names.length) }, worker))
  const sources: PolicySource[] = []
  const unreadable: Finding[] = [...folder.findings]
  names.forEach((file, i) => {
    const text = texts[i]
    if (typeof text === 'string') sources.push({ file, text })
    else if (text) unreadable.push(text)
  })
  const result = loadAll(sources, { dir })
  if (names.length + folder.findings.length === 0) {
    result.findings.push(finding({ file: '.', line: 1, col: 1 }, 'warning', 'empty-folder', `no *.yaml policy file in ${quote(dir, 200)}: every clientId is unknown`))
  }
  if (unreadable.length === 0) return { policies: result.policies, findings: capFindings(result.findings) }
  const findings = [...result.findings, ...unreadable].sort(compareFindings)
  return { policies: null, findings: capFindings(findings) }
}

/** Thrown by loadPolicySet when the folder has an error; `findings` holds every finding. */
export class PolicyLoadError extends Error {
  override readonly name = 'PolicyLoadError'
  constructor (
    readonly dir: string,
    readonly findings: Finding[]
  ) {
    const errors = findings.filter((f) => f.severity === 'error')
    super(`invalid policy folder ${dir} (${errors.length} error${errors.length === 1 ? '' : 's'}):\n${errors.map((f) => `  ${formatFinding(f, dir)}`).join('\n')}`)
  }
}

/** The policy set of `dir`, or a PolicyLoadError listing every error `file:line:col`. */
export async function loadPolicySet (dir: string): Promise<PolicySet> {
  const { policies, findings } = await loadPolicyDir(dir)
  if (policies === null) throw new PolicyLoadError(dir, findings)
  return policies
}
