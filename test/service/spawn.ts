// Runs the built CLI (`node dist/bin/scope-policy.js serve`, what `npm start` runs) as a
// child process and reads its JSON log lines. Build first: `npm run build`.
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import type { Test } from 'tap'
import { repoRoot } from './harness.js'

export const cliMain = join(repoRoot, 'dist/bin/scope-policy.js')

export interface Spawned {
  child: ChildProcess
  /** stdout lines parsed as JSON (pino); other lines as `{ text }`. */
  lines: Array<Record<string, any>>
  stdout(): string
  stderr(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Resolves with the first line (past or future) that `match` accepts. */
  waitForLine(match: (line: Record<string, any>) => boolean, ms?: number): Promise<Record<string, any>>
  /** The http://127.0.0.1:PORT origin, once listening. */
  origin(): Promise<string>
}

/**
 * `group`: run in a process group of its own, and end the whole group at teardown (npm
 * start runs the server as a grandchild).
 */
export function spawnServe (
  t: Test,
  env: Record<string, string>,
  command: string[] = [process.execPath, cliMain, 'serve'],
  group = false
): Spawned {
  const [file, ...args] = command
  const child = spawn(file!, args, {
    cwd: repoRoot,
    detached: group,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: Array<Record<string, any>> = []
  let out = ''
  let err = ''
  let partial = ''
  const waiters = new Set<() => void>()
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
    partial += chunk
    const parts = partial.split('\n')
    partial = parts.pop() ?? ''
    for (const part of parts) {
      if (!part.trim()) continue
      try {
        lines.push(JSON.parse(part) as Record<string, any>)
      } catch {
        lines.push({ text: part })
      }
    }
    for (const wake of waiters) wake()
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => void (err += chunk))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      for (const wake of waiters) wake()
      resolve({ code, signal })
    })
  )
  t.teardown(async () => {
    if (group) {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {
        // the group is gone already
      }
    }
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })

  const waitForLine = (match: (line: Record<string, any>) => boolean, ms = 15_000): Promise<Record<string, any>> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(look)
        reject(new Error(`no matching log line within ${ms} ms; stdout:\n${out}\nstderr:\n${err}`))
      }, ms)
      function look (): void {
        const found = lines.find(match)
        if (found) {
          clearTimeout(timer)
          waiters.delete(look)
          resolve(found)
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer)
          waiters.delete(look)
          reject(new Error(`exited (${child.exitCode ?? child.signalCode}) before a matching log line; stdout:\n${out}\nstderr:\n${err}`))
        }
      }
      waiters.add(look)
      look()
    })

  return {
    child,
    lines,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLine,
    origin: async () => {
      const line = await waitForLine((l) => typeof l.msg === 'string' && l.msg.startsWith('Server listening at http://'))
      return (line.msg as string).slice('Server listening at '.length)
    },
  }
}
