// examples/background-worker against oidc-provider with 2-second tokens: the
// loop never waits on an expired token and fetches a few tokens, not one per run.
import t from 'tap'
import { startWorker } from '../../examples/background-worker/worker.js'
import { CLIENT_ID, SECRET, policyDir, tokenServer } from '../plugin/fixtures/helpers.js'
import { startUpstream } from './fixtures/upstream.js'

t.test('the worker syncs through several token lifetimes', async (t) => {
  const oidc = await tokenServer(t, 2)
  const upstream = await startUpstream(oidc, { id: CLIENT_ID, secret: SECRET })
  t.teardown(() => upstream.app.close())
  const worker = await startWorker({
    upstreamUrl: upstream.url,
    intervalMs: 50,
    appToken: { clientId: CLIENT_ID, clientSecret: SECRET, policy: await policyDir(t, oidc.tokenEndpoint) },
    logger: false
  })
  t.equal(oidc.tokenRequests.length, 1, "prefetch 'block': the token was there before the first run")
  await new Promise((resolve) => setTimeout(resolve, 4500))
  upstream.rejectNext()
  await new Promise((resolve) => setTimeout(resolve, 300))
  await worker.stop()

  const tokens = new Set(upstream.seen)
  t.ok(worker.runs.ok >= 10, `${worker.runs.ok} runs succeeded`)
  t.equal(worker.runs.failed, 1, 'only the revoked call failed')
  t.ok(tokens.size >= 3, `${tokens.size} tokens over 4.8 s of 2-second tokens: refreshed in the background`)
  const tokenRequests = oidc.tokenRequests.length
  t.ok(tokenRequests <= tokens.size + 1, `${tokenRequests} token requests for ${worker.runs.ok + 1} runs`)
})
