// Policy folders for the CLI: from the working tree, or from a git commit (for diff).
import { formatFinding } from '../policy/findings.js'
import { loadPolicyDir, loadPolicyFiles } from '../policy/loader.js'
import { isPolicyFileName } from '../policy/policy-folder.js'
import type { LoadResult, PolicySet } from '../policy/types.js'
import { CliError } from './args.js'
import { readTree } from './git.js'

/** A policy set that loads without errors, or one line saying what is wrong and where. */
export function validSet (result: LoadResult, dir: string, source = dir): PolicySet {
  if (result.policies) return result.policies
  const errors = result.findings.filter((f) => f.severity === 'error')
  const first = errors[0]
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''
  throw new CliError(
    `the policies in ${source} do not load: ${first ? formatFinding(first, dir) : 'unknown error'}${more}; run scope-policy lint`
  )
}

export async function loadValidSet (dir: string): Promise<PolicySet> {
  return validSet(await loadPolicyDir(dir), dir)
}

/** The policy folder as committed in `commit`; `null` when the commit has no such folder. */
export async function loadFromCommit (repoTop: string, commit: string, dirInRepo: string, dir: string): Promise<LoadResult | null> {
  const sources = await readTree(repoTop, commit, dirInRepo, isPolicyFileName)
  if (sources === null) return null
  return loadPolicyFiles(sources, { dir })
}
