// The policy texts and fixture folders the loader's tests share (test/policy/loader-*.test.ts).
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Finding } from '../../service/policy/types.js'

export const root = fileURLToPath(new URL('../..', import.meta.url))
export const fixtures = join(root, 'test/fixtures/policies')
export const bad = (name: string): string => join(fixtures, 'bad', name)

export type Expected = Pick<Finding, 'file' | 'line' | 'col' | 'severity' | 'code'>
export const brief = (f: Finding): Expected => ({ file: f.file, line: f.line, col: f.col, severity: f.severity, code: f.code })

/** Text that must never reach a finding. */
export const CANARY = 'CANARYq7Vx'

/** One valid policy file, `app-one.yaml`, that each test breaks its own way. */
export const VALID = `app: app-one
owner: "@team/one"
provider: generic
environments:
  prod:
    clientId: one-prod
    tokenEndpoint: https://auth.example.com/token
    scopes:
      read:things: list things (T-1)
`
