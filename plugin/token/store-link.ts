// How a TokenCache joins a shared store (docs/redis.md): the hold-off group always, the
// cross-replica refresh unless its DPoP key is this process's own (RFC 9449 §6).
import { randomUUID } from 'node:crypto'
import { HoldOff } from './hold-off.js'
import type { TokenLogger } from './logger.js'
import type { TokenMetrics } from './metrics.js'
import type { ResolvedCacheOptions } from './options.js'
import { SharedLayer } from './shared-layer.js'
import { lockTtlFor, SharedRefresh, type TokenSink } from './shared-refresh.js'
import type { SharedTokenStore } from './shared-store.js'

export interface StoreLink {
  holdOff: HoldOff
  /** Undefined without a store, or when tokens cannot be shared. */
  shared: SharedRefresh | undefined
}

export function joinStore (
  store: SharedTokenStore | undefined,
  opt: ResolvedCacheOptions,
  log: TokenLogger,
  metrics: TokenMetrics,
  minRefreshInterval: number,
  sink: TokenSink
): StoreLink {
  const layer = store === undefined ? undefined : new SharedLayer(store, log, opt.storeTimeout, () => metrics.storeError())
  const holdOff = new HoldOff(layer)
  if (layer === undefined) return { holdOff, shared: undefined }
  if (opt.dpop?.key.generated === true) {
    // A token bound to a key only this process holds is of no use to another replica (RFC 9449 §6).
    log.warn('dpop uses a key generated for this process: tokens are not shared through the store; give every replica the same key (dpop.privateKey or APP_TOKEN_DPOP_KEY) to share them')
    return { holdOff, shared: undefined }
  }
  const shared = new SharedRefresh(layer, {
    owner: randomUUID(),
    lease: opt.lockTtl,
    lockTtl: lockTtlFor(opt),
    clientAuth: opt.clientAuth,
    dpop: opt.dpop?.key,
    secretTimeout: opt.timeout,
    maxLifetime: opt.maxLifetime,
    minRefreshInterval
  }, log, sink)
  return { holdOff, shared }
}
