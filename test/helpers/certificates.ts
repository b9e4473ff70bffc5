// Test certificates made with the openssl CLI in a temporary folder: a CA, server and
// client certificates it signs, self-signed client certificates (EC P-256: fast to make).
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Test } from 'tap'

const run = promisify(execFile)

export interface Pem { cert: string; key: string }

export interface Certificates {
  /** A certificate signed by the CA; `ip` adds subjectAltName IP (a server's). */
  signed (name: string, opts?: { ip?: string }): Promise<Pem>
  /** A self-signed certificate; `keyFile` reuses an existing PEM key. */
  selfSigned (name: string, opts?: { keyFile?: string }): Promise<Pem>
  /** Where a PEM is written, for the openssl CLI and _FILE variables. */
  file (name: string): string
  ca: Pem
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']

export async function makeCertificates (t: Test): Promise<Certificates> {
  const dir = await mkdtemp(join(tmpdir(), 'app-token-certs-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = (name: string): string => join(dir, name)
  const read = async (name: string): Promise<Pem> => ({ cert: await readFile(file(`${name}.crt`), 'utf8'), key: await readFile(file(`${name}.key`), 'utf8') })

  await run('openssl', ['req', '-x509', ...EC, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '1', '-subj', '/CN=Test CA'])
  const ca = await read('ca')
  return {
    ca,
    file,
    async signed (name, opts = {}) {
      await run('openssl', ['req', ...EC, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', `/CN=${name}`])
      const ext = file(`${name}.ext`)
      await writeFile(ext, opts.ip !== undefined ? `subjectAltName=IP:${opts.ip}\n` : 'basicConstraints=CA:FALSE\n')
      // A random serial, not -CAcreateserial: concurrent signings would race on one ca.srl file.
      await run('openssl', ['x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-set_serial', `0x${randomBytes(16).toString('hex')}`, '-days', '1', '-extfile', ext, '-out', file(`${name}.crt`)])
      return await read(name)
    },
    async selfSigned (name, opts = {}) {
      const key = opts.keyFile !== undefined ? ['-key', opts.keyFile] : [...EC, '-keyout', file(`${name}.key`)]
      await run('openssl', ['req', '-x509', ...key, '-out', file(`${name}.crt`), '-days', '1', '-subj', `/CN=${name}`])
      return opts.keyFile !== undefined ? { cert: await readFile(file(`${name}.crt`), 'utf8'), key: await readFile(opts.keyFile, 'utf8') } : await read(name)
    }
  }
}
