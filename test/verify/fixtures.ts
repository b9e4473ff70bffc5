// Policy files and secrets for the verify tests.
import type { Test } from 'tap'
import { tokenFetcher } from '../../bin/token-fetcher.js'
import { loadPolicySet } from '../../service/policy/index.js'
import { verifyPolicies, type VerifyResult } from '../../service/policy/verify/index.js'

export interface VerifyEnvSpec {
  clientId: string
  tokenEndpoint: string
  scopes: string[]
  authMethod?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'tls_client_auth' | 'self_signed_tls_client_auth'
  secretEnv?: string
  privateKeyEnv?: string
  tlsCertEnv?: string
  tlsKeyEnv?: string
}

/** One policy file; every scope gets a reason. */
export function verifyPolicy (app: string, envs: Record<string, VerifyEnvSpec>): string {
  const lines = [`app: ${app}`, 'owner: "@platform/identity"', 'provider: generic', 'environments:']
  for (const [name, env] of Object.entries(envs)) {
    lines.push(`  ${name}:`, `    clientId: ${env.clientId}`, `    tokenEndpoint: ${env.tokenEndpoint}`)
    if (env.authMethod) lines.push(`    authMethod: ${env.authMethod}`)
    for (const field of ['secretEnv', 'privateKeyEnv', 'tlsCertEnv', 'tlsKeyEnv'] as const) {
      if (env[field]) lines.push(`    ${field}: ${env[field]}`)
    }
    if (env.scopes.length === 0) lines.push('    scopes: {}')
    else lines.push('    scopes:', ...env.scopes.map((s) => `      ${s}: needed by the test (SEC-1)`))
  }
  return `${lines.join('\n')}\n`
}

/** Every encoding a secret could leak in: raw, URL/form-encoded, base64, and the Basic credential of its client. */
export function secretForms (clientId: string, secret: string): string[] {
  const form = (v: string): string => new URLSearchParams([['', v]]).toString().slice(1)
  return [...new Set([
    secret,
    encodeURIComponent(secret),
    form(secret),
    Buffer.from(secret).toString('base64'),
    Buffer.from(`${form(clientId)}:${form(secret)}`).toString('base64'),
    Buffer.from(`${clientId}:${secret}`).toString('base64'),
  ])]
}

/**
 * verify of one `prod` entry of `app` (a policy file with these extra field lines), through the
 * real token-core client the bin injects; its one result.
 */
export async function verifyOneEntry (t: Test, spec: { app: string; provider: string; clientId: string; tokenEndpoint: string; fields: string[]; env: NodeJS.ProcessEnv }): Promise<VerifyResult> {
  const text = [`app: ${spec.app}`, 'owner: "@platform/identity"', `provider: ${spec.provider}`, 'environments:', '  prod:',
    `    clientId: ${spec.clientId}`, `    tokenEndpoint: ${spec.tokenEndpoint}`, ...spec.fields.map((f) => `    ${f}`)].join('\n') + '\n'
  const policies = await loadPolicySet(t.testdir({ [`${spec.app}.yaml`]: text }))
  const report = await verifyPolicies(policies, { fetchToken: tokenFetcher, env: spec.env, retryDelay: 10 })
  return report.results[0]!
}
