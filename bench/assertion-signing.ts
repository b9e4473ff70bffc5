// private_key_jwt signing cost: one assertion with the key parsed once per key material (what the
// token core does) against parsing the PEM on every request. Prints assertions/s and the ratio.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto'
import { cpus, loadavg } from 'node:os'
import { SignJWT } from 'jose'
import { AssertionSigner } from '../plugin/token/assertion.js'

const settings = { clientId: 'bench-client', audience: 'https://auth.example.com/oauth/token', alg: undefined, kid: 'k1', certificate: undefined }

async function perSecond (sign: () => Promise<string>): Promise<number> {
  for (let i = 0; i < 200; i++) await sign() // warm-up
  let n = 0
  const t0 = process.hrtime.bigint()
  while (process.hrtime.bigint() - t0 < 1_000_000_000n) {
    await sign()
    n++
  }
  return n / (Number(process.hrtime.bigint() - t0) / 1e9)
}

console.log(`cpus ${cpus().length}, load ${loadavg()[0]?.toFixed(2)}`)
for (const [name, pair] of [['ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' })], ['RS256', generateKeyPairSync('rsa', { modulusLength: 2048 })]] as const) {
  const pem = pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
  const signer = new AssertionSigner(settings)
  const cached = await perSecond(async () => await signer.sign(pem))
  const parsedEachTime = await perSecond(async () => await new SignJWT({}).setProtectedHeader({ alg: name }).setIssuer('bench-client')
    .setSubject('bench-client').setAudience(settings.audience).setJti(crypto.randomUUID()).setIssuedAt().setExpirationTime('60s')
    .sign(createPrivateKey(pem)))
  console.log(`${name}: ${cached.toFixed(0)} assertions/s with the parsed key kept, ${parsedEachTime.toFixed(0)}/s parsing the PEM each time: ratio ${(cached / parsedEachTime).toFixed(2)}`)
}
