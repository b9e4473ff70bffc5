// The Lua scripts of the Redis store (docs/redis.md): each compares and changes in one atomic step.

/** Deletes the lock only when `owner` holds it, then wakes the waiters. */
export const UNLOCK_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('del', KEYS[1])
  redis.call('publish', ARGV[2], ARGV[3])
  return 1
end
return 0`

/** Replaces the value only if it is still the one read, keeping its expiry (Redis ≥ 6). */
export const RESEAL_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('set', KEYS[1], ARGV[2], 'KEEPTTL')
end
return 0`

/**
 * Takes the lock when it is free or lapsed (no expiry, or one beyond the ceiling: a lock no
 * cache of ours wrote), atomically, so two waiters never both take it.
 */
export const LOCK_SCRIPT = `if redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 1 end
local left = redis.call('pttl', KEYS[1])
if left == -1 or left > tonumber(ARGV[3]) then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`

/** Extends the lease only if `owner` still holds it. */
export const RENEW_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0`

/** Deletes the value only if it is still the one read. */
export const DELETE_IF_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0`
