// Runs the built `scope-policy` bin as a user would, and writes policy files for it.
// `npm test` builds first (pretest); these helpers never build.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const BIN = fileURLToPath(new URL('../../dist/bin/scope-policy.js', import.meta.url))

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

export function runCli (args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  // POLICY_DIR of the calling shell must not leak into the tests.
  const { POLICY_DIR: _ignored, ...env } = process.env
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: { ...env, ...options.env },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

export interface EnvSpec {
  clientId: string
  tokenEndpoint?: string
  /** scope -> reason; null writes a scope without a reason. */
  scopes: Record<string, string | null>
}

/** The YAML of one valid policy file. */
export function policyYaml (app: string, environments: Record<string, EnvSpec>, owner = '@team/owners'): string {
  const lines = [`app: ${app}`, `owner: "${owner}"`, 'provider: generic', 'environments:']
  for (const [name, env] of Object.entries(environments)) {
    lines.push(`  ${name}:`, `    clientId: ${env.clientId}`,
      `    tokenEndpoint: ${env.tokenEndpoint ?? `https://${name}.example.com/oauth/token`}`)
    const scopes = Object.entries(env.scopes)
    if (scopes.length === 0) lines.push('    scopes: {}')
    else {
      lines.push('    scopes:')
      for (const [scope, reason] of scopes) lines.push(reason === null ? `      ${scope}:` : `      ${scope}: ${reason}`)
    }
  }
  return `${lines.join('\n')}\n`
}

/** The forum thread's worker: read:interaction and read:analytics in prod, nothing in staging. */
export const WORKER = policyYaml('agent-desktop-worker', {
  prod: { clientId: 'prod-app-8821', scopes: { 'read:analytics': 'queue dashboards (SEC-140)', 'read:interaction': 'sync interactions (SEC-123)' } },
  staging: { clientId: 'stg-app-8821', scopes: {} },
})
