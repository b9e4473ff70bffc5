// Where the Redis store keeps an entry (docs/redis.md, key format v3).

export const DEFAULT_PREFIX = 'fastify-app-token:'

/** The Redis keys of one cache key, and the channel that announces a stored token. */
export interface KeyLayout {
  channel: string
  token(key: string): string
  lock(key: string): string
  holdOff(key: string): string
}

export function keyLayout (prefix: string): KeyLayout {
  // The `{…}` hash tag puts an entry's token and lock in one Redis Cluster slot.
  return {
    channel: `${prefix}stored`,
    token: (key) => `${prefix}v3:{${key}}:token`,
    lock: (key) => `${prefix}v3:{${key}}:lock`,
    holdOff: (key) => `${prefix}v3:{${key}}:holdoff`,
  }
}
