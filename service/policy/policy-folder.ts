// Lists and reads the files of a policy folder (docs/policy-files.md) without following symlinks
// and without reading more than MAX_FILE_BYTES of a file. Used by the loader and by fmt.
import { constants } from 'node:fs'
import { open, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { finding, quote } from './findings.js'
import type { Finding } from './types.js'

/** Largest policy file read: a whitelist never needs more, and a reload must stay cheap. */
export const MAX_FILE_BYTES = 1024 * 1024

/** The files a policy folder holds: `*.yaml` and `*.yml`, not dotfiles. */
export function isPolicyFileName (name: string): boolean {
  return !name.startsWith('.') && /\.ya?ml$/i.test(name)
}

const at = (file: string) => ({ file, line: 1, col: 1 })

export const tooLarge = (file: string): Finding =>
  finding(at(file), 'error', 'file-too-large', `the file is larger than ${MAX_FILE_BYTES / 1024} KiB: split the app or trim it; it was not read`)

const symlinkFinding = (file: string): Finding =>
  finding(at(file), 'error', 'symlink', `${quote(file)} is a symbolic link: policy files are read only as regular files in the folder; replace the link with the file itself`)

export interface PolicyFolder {
  /** The regular policy files, sorted. */
  names: string[]
  /** Policy-named entries that are not read: symlinks, sockets, FIFOs. */
  findings: Finding[]
}

/** The policy files of `dir` (not sub-folders). Throws the readdir error for a missing folder. */
export async function listPolicyFolder (dir: string): Promise<PolicyFolder> {
  const entries = await readdir(dir, { withFileTypes: true })
  const names: string[] = []
  const findings: Finding[] = []
  for (const e of entries) {
    if (!isPolicyFileName(e.name) || e.isDirectory()) continue
    if (e.isSymbolicLink()) findings.push(symlinkFinding(e.name))
    else if (e.isFile()) names.push(e.name)
    else findings.push(finding(at(e.name), 'error', 'unreadable-file', 'not a regular file'))
  }
  names.sort()
  return { names, findings }
}

/**
 * The text of one policy file, or a finding. O_NOFOLLOW: a file swapped for a symlink after the
 * listing is refused, not followed; O_NONBLOCK: a FIFO swapped in cannot hang the read.
 */
export async function readPolicyFile (dir: string, name: string): Promise<string | Finding> {
  let handle
  try {
    handle = await open(join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error'
    return code === 'ELOOP' ? symlinkFinding(name) : finding(at(name), 'error', 'unreadable-file', `cannot read the file (${code})`)
  }
  try {
    const stat = await handle.stat()
    if (!stat.isFile()) return finding(at(name), 'error', 'unreadable-file', 'not a regular file')
    if (stat.size > MAX_FILE_BYTES) return tooLarge(name)
    // Sized from stat(), grown if the file grows while read, never past one byte over the cap.
    let buffer = Buffer.allocUnsafe(stat.size + 1)
    let length = 0
    for (;;) {
      if (length === buffer.length) {
        if (length > MAX_FILE_BYTES) return tooLarge(name)
        const bigger = Buffer.allocUnsafe(Math.min(length * 2, MAX_FILE_BYTES + 1))
        buffer.copy(bigger, 0, 0, length)
        buffer = bigger
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null)
      if (bytesRead === 0) break
      length += bytesRead
    }
    return buffer.toString('utf8', 0, length)
  } catch (e) {
    return finding(at(name), 'error', 'unreadable-file', `cannot read the file (${(e as NodeJS.ErrnoException).code ?? 'error'})`)
  } finally {
    await handle.close()
  }
}
