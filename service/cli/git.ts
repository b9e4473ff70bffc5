// The few git reads `diff` needs, through execFile (no shell, so no quoting of refs or paths).
import { execFile } from 'node:child_process'
import { realpath } from 'node:fs/promises'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import type { PolicySource } from '../policy/types.js'
import { CliError, UsageError } from './args.js'

const MAX_OUTPUT = 256 * 1024 * 1024

interface GitFailure {
  code?: string | number
  stderr?: string
}

function git (args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, encoding: 'utf8', maxBuffer: MAX_OUTPUT }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr }))
      else resolve(stdout)
    })
  })
}

/** All blobs in one git process: a folder of thousands of files must not spawn thousands of gits. */
function gitBatch (objects: string[], cwd: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile('git', ['cat-file', '--batch'], { cwd, encoding: 'buffer', maxBuffer: MAX_OUTPUT }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr: stderr.toString('utf8') }))
      else resolve(stdout)
    })
    // If git dies early its exit status reports it; the write error would only repeat it.
    child.stdin?.on('error', () => {})
    child.stdin?.end(objects.map((o) => `${o}\n`).join(''))
  })
}

function firstLine (failure: GitFailure): string {
  return (failure.stderr ?? '').split('\n').find((l) => l.trim() !== '')?.replace(/^(fatal|error): /, '') ?? 'git failed'
}

function gitError (err: unknown, what: string): CliError {
  const failure = err as GitFailure
  if (failure.code === 'ENOENT') return new CliError('git is not installed or not on PATH (diff reads the base from git)')
  return new CliError(`git failed while ${what}: ${firstLine(failure)}`)
}

export interface RepoFolder {
  /** Top of the work tree (real path). */
  top: string
  /** The policy folder relative to `top`, `/`-separated, '' for the top itself. */
  dirInRepo: string
}

/** Where `dir` sits in the repository that contains `cwd`. */
export async function locateFolder (cwd: string, dir: string): Promise<RepoFolder> {
  let top: string
  try {
    top = (await git(['rev-parse', '--show-toplevel'], cwd)).trim()
  } catch (err) {
    if ((err as GitFailure).code === 'ENOENT') throw gitError(err, 'locating the repository')
    throw new UsageError(`diff needs a git repository: ${firstLine(err as GitFailure)}`, 'diff')
  }
  const wanted = resolve(cwd, dir)
  // git prints real paths; the folder may be reached through a symlink (or not exist any more).
  const real = await realpath(wanted).catch(async () => resolve(await realpath(cwd), dir))
  const rel = relative(top, real)
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new UsageError(`policy folder '${dir}' is outside the git repository ${top}`, 'diff')
  }
  return { top, dirInRepo: rel.split(sep).join('/') }
}

/** The commit id of `ref`; a ref that does not exist is a usage error. */
export async function resolveCommit (top: string, ref: string, option: string): Promise<string> {
  if (ref.startsWith('-')) throw new UsageError(`${option}: '${ref}' is not a git ref`, 'diff')
  try {
    return (await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], top)).trim()
  } catch (err) {
    if ((err as GitFailure).code === 'ENOENT') throw gitError(err, 'resolving a ref')
    throw new UsageError(`${option}: unknown git ref '${ref}'`, 'diff')
  }
}

/**
 * The files of one folder (not sub-folders) at `commit` that `keep` accepts, or `null` when the
 * commit has no such folder.
 */
export async function readTree (
  top: string,
  commit: string,
  dirInRepo: string,
  keep: (name: string) => boolean
): Promise<PolicySource[] | null> {
  const treeish = dirInRepo === '' ? commit : `${commit}:${dirInRepo}`
  let listing: string
  try {
    // `<commit>:<dir>` must be a tree; anything else means the folder is not in that commit.
    const type = (await git(['cat-file', '-t', treeish], top).catch(() => '')).trim()
    if (type !== 'tree') return null
    listing = await git(['ls-tree', '-z', treeish], top)
  } catch (err) {
    throw gitError(err, `listing ${dirInRepo || '.'} at ${commit.slice(0, 12)}`)
  }
  const blobs = listing
    .split('\0')
    .filter((line) => line !== '')
    .map((line) => {
      // <mode> SP <type> SP <object> TAB <name>
      const tab = line.indexOf('\t')
      const [, type, object] = line.slice(0, tab).split(' ')
      return { type, object: object ?? '', name: line.slice(tab + 1) }
    })
    .filter((e) => e.type === 'blob' && keep(e.name))
  let batch: Buffer
  try {
    batch = await gitBatch(blobs.map((b) => b.object), top)
  } catch (err) {
    throw gitError(err, `reading ${dirInRepo || '.'} at ${commit.slice(0, 12)}`)
  }
  // `git cat-file --batch` answers each id with `<id> blob <size>\n<content>\n`.
  const sources: PolicySource[] = []
  let offset = 0
  for (const b of blobs) {
    const eol = batch.indexOf(10, offset)
    const header = batch.subarray(offset, eol).toString('utf8').split(' ')
    const size = Number(header[2])
    if (header[1] !== 'blob' || !Number.isInteger(size)) {
      throw new CliError(`git could not read ${dirInRepo ? `${dirInRepo}/` : ''}${b.name} at ${commit.slice(0, 12)}`)
    }
    sources.push({ file: b.name, text: batch.subarray(eol + 1, eol + 1 + size).toString('utf8') })
    offset = eol + 1 + size + 1
  }
  return sources
}
