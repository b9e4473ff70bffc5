// Local Redis Cluster and Sentinel set-ups for the fleet tests: every node a
// redis-server of the test's own on loopback ports, in a temp dir, killed and
// removed at teardown. Under CI=true a missing binary fails the test; elsewhere
// the file is skipped with a one-line reason.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { redisAnswers, sleep } from './redis.js'

interface TestLike {
  plan(n: number, reason?: string): void
  teardown(fn: () => unknown): void
}

/** No persistence, and replicas synced at once (diskless sync waits 5 s by default to batch replicas). */
const NO_DISK = ['--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0']

export interface Node {
  port: number
  /** Kills it like a crash (SIGKILL) and waits for the exit. */
  stop(): Promise<void>
}

/** True when the binaries are there; false (file skipped) or a throw under CI=true when not. */
export function topologyAvailable (t: TestLike, what: string): boolean {
  const missing = ['redis-server', 'redis-cli'].filter((bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status !== 0)
  if (missing.length === 0) return true
  if (process.env.CI === 'true') throw new Error(`${missing.join(' and ')} not installed (CI=true: the ${what} tests need them)`)
  t.plan(0, `no ${missing.join(' and ')} to start a local ${what}`)
  return false
}

/** A base port with `count` ports (and their cluster-bus ports, +10000) free, from `from` upwards in steps of 20. */
async function freeBase (from: number, count: number, bus: boolean): Promise<number> {
  for (let base = from; base < from + 2000; base += 20) {
    const ports = Array.from({ length: count }, (_, i) => base + i)
    const taken = await Promise.all(ports.flatMap((p) => bus ? [p, p + 10_000] : [p]).map((p) => redisAnswers(p, '127.0.0.1', 150)))
    if (!taken.some(Boolean) && await allBindable(ports.flatMap((p) => bus ? [p, p + 10_000] : [p]))) return base
  }
  throw new Error(`no free ports from ${from}`)
}

async function allBindable (ports: number[]): Promise<boolean> {
  const { createServer } = await import('node:net')
  for (const port of ports) {
    const ok = await new Promise<boolean>((resolve) => {
      const server = createServer()
      server.once('error', () => resolve(false))
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
    })
    if (!ok) return false
  }
  return true
}

async function startNode (args: string[], port: number, dir: string, procs: Set<ChildProcess>): Promise<Node> {
  const proc = spawn('redis-server', args, { cwd: dir, stdio: 'ignore' })
  procs.add(proc)
  const deadline = Date.now() + 10_000
  while (!(await redisAnswers(port, '127.0.0.1', 300))) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`)
    await sleep(50)
  }
  return {
    port,
    async stop () {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      const exited = new Promise((resolve) => proc.once('exit', resolve))
      proc.kill('SIGKILL')
      await exited
    }
  }
}

async function workspace (t: TestLike, name: string): Promise<{ dir: string, procs: Set<ChildProcess> }> {
  const dir = await mkdtemp(join(tmpdir(), `fat-${name}-`))
  const procs = new Set<ChildProcess>()
  t.teardown(async () => {
    await Promise.all([...procs].map((proc) => new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve(undefined)
      proc.once('exit', resolve)
      proc.kill('SIGKILL')
    })))
    await rm(dir, { recursive: true, force: true })
  })
  return { dir, procs }
}

export interface LocalCluster {
  nodes: Node[]
  /** Startup nodes for `new Cluster(...)`. */
  startup: Array<{ host: string, port: number }>
  /** The master currently serving the slot of `key`. */
  masterOf(key: string): Promise<Node>
  /** Resolves when every slot is served again (after a failover), or rejects after timeoutMs. */
  healthy(timeoutMs?: number): Promise<void>
}

/** 6 nodes, 3 masters with one replica each, cluster-node-timeout 1000 (fast failover). */
export async function startCluster (t: TestLike): Promise<LocalCluster> {
  const { dir, procs } = await workspace(t, 'cluster')
  const base = await freeBase(7100, 6, true)
  const nodes = await Promise.all(Array.from({ length: 6 }, (_, i) => {
    const port = base + i
    return startNode(['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
      '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '1000',
      // A replica idle for long (no writes) must still take over: no data-age limit.
      '--cluster-replica-validity-factor', '0', ...NO_DISK], port, dir, procs)
  }))
  const create = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'],
    { encoding: 'utf8', timeout: 30_000 })
  if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${(create.stdout + create.stderr).slice(-500)}`)
  const alive = new Set(nodes)

  async function ask<T> (fn: (client: Redis) => Promise<T>): Promise<T> {
    for (const node of alive) {
      const client = new Redis({ port: node.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 500, retryStrategy: () => null })
      client.on('error', () => {})
      try { return await fn(client) } catch { /* next node */ } finally { client.disconnect() }
    }
    throw new Error('no cluster node answers')
  }

  const cluster: LocalCluster = {
    nodes: nodes.map((node) => ({ port: node.port, stop: async () => { alive.delete(node); await node.stop() } })),
    startup: nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
    async masterOf (key) {
      const port = await ask(async (client) => {
        const slot = await client.call('CLUSTER', 'KEYSLOT', key) as number
        const ranges = await client.call('CLUSTER', 'SLOTS') as Array<[number, number, [string, number]]>
        const range = ranges.find(([from, to]) => slot >= from && slot <= to)
        if (range === undefined) throw new Error(`slot ${slot} not served`)
        return range[2][1]
      })
      return cluster.nodes.find((n) => n.port === port) as Node
    },
    async healthy (timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const ok = await ask(async (client) => String(await client.call('CLUSTER', 'INFO')).includes('cluster_state:ok')).catch(() => false)
        if (ok) return
        if (Date.now() > deadline) throw new Error('the cluster did not become healthy')
        await sleep(200)
      }
    }
  }
  await cluster.healthy()
  await Promise.all(nodes.map((node) => linkUp(node.port, true)))
  return cluster
}

/** Resolves when the replica on port has synced with its master (or at once for a master, when `mastersToo`). */
async function linkUp (port: number, mastersToo = false): Promise<void> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 })
  client.on('error', () => {})
  try {
    const deadline = Date.now() + 20_000
    for (;;) {
      const info = await client.info('replication')
      if (info.includes('master_link_status:up') || (mastersToo && info.includes('role:master'))) return
      if (Date.now() > deadline) throw new Error(`the replica on port ${port} did not sync`)
      await sleep(100)
    }
  } finally {
    client.disconnect()
  }
}

export interface LocalSentinel {
  master: Node
  replica: Node
  sentinels: Array<{ host: string, port: number }>
  name: string
  /** The port of the master the sentinels currently name. */
  currentMaster(): Promise<number>
}

/** 1 master, 1 replica, 3 sentinels (quorum 2, down-after 1000 ms). */
export async function startSentinel (t: TestLike): Promise<LocalSentinel> {
  const { dir, procs } = await workspace(t, 'sentinel')
  const base = await freeBase(26400, 5, false)
  const name = 'fatmaster'
  const common = ['--bind', '127.0.0.1', ...NO_DISK]
  const master = await startNode(['--port', String(base), ...common], base, dir, procs)
  const replica = await startNode(['--port', String(base + 1), ...common, '--replicaof', '127.0.0.1', String(base)], base + 1, dir, procs)
  await linkUp(replica.port)
  const sentinels: Array<{ host: string, port: number }> = []
  for (let i = 0; i < 3; i++) {
    const port = base + 2 + i
    const conf = join(dir, `sentinel-${port}.conf`)
    await writeFile(conf, [
      `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${base} 2`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 5000`,
      `sentinel parallel-syncs ${name} 1`, ''
    ].join('\n'))
    await startNode([conf, '--sentinel'], port, dir, procs)
    sentinels.push({ host: '127.0.0.1', port })
  }
  const ask = async (): Promise<number> => {
    for (const s of sentinels) {
      const client = new Redis({ ...s, lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 500, retryStrategy: () => null })
      client.on('error', () => {})
      try {
        const [, port] = await client.call('SENTINEL', 'get-master-addr-by-name', name) as [string, string]
        return Number(port)
      } catch { /* next */ } finally { client.disconnect() }
    }
    throw new Error('no sentinel answers')
  }
  // The replica in sync, the sentinels aware of each other and of the replica.
  const deadline = Date.now() + 20_000
  for (;;) {
    const ready = await Promise.all(sentinels.map(async (s) => {
      const client = new Redis({ ...s, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
      client.on('error', () => {})
      try {
        const info = await client.call('SENTINEL', 'master', name) as string[]
        const field = (k: string): number => Number(info[info.indexOf(k) + 1])
        return field('num-slaves') >= 1 && field('num-other-sentinels') >= 2
      } catch { return false } finally { client.disconnect() }
    }))
    if (ready.every(Boolean)) break
    if (Date.now() > deadline) throw new Error('the sentinels did not settle')
    await sleep(200)
  }
  return { master, replica, sentinels, name, currentMaster: ask }
}

/**
 * Requests through a failover: the running replicas ask for a token every 20 ms for `ms`,
 * and a replica made 500 ms in (it has no token yet, so it may fetch one) joins them.
 */
export async function serveThroughFailover (running: Array<{ get(): Promise<unknown> }>, late: () => { get(): Promise<unknown> }, ms = 6_000): Promise<{ served: number, failed: number }> {
  const replicas = [...running]
  let served = 0
  let failed = 0
  const end = Date.now() + ms
  const joining = sleep(500).then(() => { replicas.push(late()) })
  await Promise.all([joining, ...Array.from({ length: running.length + 1 }, async (_, i) => {
    while (Date.now() < end) {
      const replica = replicas[i]
      if (replica !== undefined) {
        try { await replica.get(); served++ } catch { failed++ }
      }
      await sleep(20)
    }
  })])
  return { served, failed }
}
