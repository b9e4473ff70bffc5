// The expiry arithmetic of docs/token-core.md and the refresh point, for 2-second to
// 24-hour tokens, and the backoff and Retry-After rules.
import t from 'tap'
import { refreshPoint, tokenLifetime } from '../../plugin/token/expiry.js'
import { backoffDelay, parseRetryAfter } from '../../plugin/token/retry.js'

const sentAt = 1_700_000_000_000
const base = { sentAt, defaultLifetime: 300, clockSkew: 5, maxLifetime: 86_400 }

t.test('expires_in counts from the send time, minus 1 s rounding and the skew', async (t) => {
  const day = tokenLifetime({ ...base, expiresIn: 86_400 })
  t.equal(day.expiresAt, sentAt + 86_399_000)
  t.equal(day.usableUntil, sentAt + 86_394_000, '24 h: the full 5 s skew')
  const three = tokenLifetime({ ...base, expiresIn: 3 })
  t.equal(three.expiresAt, sentAt + 2000)
  t.equal(three.usableUntil, sentAt + 1800, '3 s: the skew is capped at 10 % of the lifetime, so the token stays usable')
  const two = tokenLifetime({ ...base, expiresIn: 2 })
  t.ok(two.usableUntil > sentAt, '2 s tokens are usable')
  t.equal(tokenLifetime({ ...base, expiresIn: 1 }).usableUntil, sentAt, '1 s: nothing left after rounding, not cached')
})

t.test('an earlier JWT exp wins; missing expires_in → defaultLifetime; 0 or negative → never cached', async (t) => {
  const jwt = tokenLifetime({ ...base, expiresIn: 3600, jwtExp: sentAt / 1000 + 600 })
  t.equal(jwt.source, 'jwt')
  t.equal(jwt.expiresAt, sentAt + 600_000)
  t.equal(jwt.usableUntil, sentAt + 595_000)
  const alone = tokenLifetime({ ...base, jwtExp: sentAt / 1000 + 600 })
  t.match(alone, { source: 'jwt', expiresAt: sentAt + 600_000 }, 'without expires_in, exp is the server\'s word (RFC 6749 §5.1 "other means")')
  const fallback = tokenLifetime({ ...base })
  t.equal(fallback.source, 'default')
  t.equal(fallback.expiresAt, sentAt + 300_000)
  for (const expiresIn of [0, -5]) {
    const gone = tokenLifetime({ ...base, expiresIn, jwtExp: sentAt / 1000 + 600 })
    t.ok(gone.usableUntil <= sentAt, `expires_in ${expiresIn}: not usable past the send time`)
  }
})

t.test('an unverified exp never extends a lifetime', async (t) => {
  const later = tokenLifetime({ ...base, expiresIn: 2, jwtExp: sentAt / 1000 + 86_400 })
  t.match(later, { source: 'expires_in', expiresAt: sentAt + 1000 }, 'exp a day later than a 2 s expires_in: the 2 s win')
  t.notOk(later.expIgnored, 'a later exp within bounds is simply not the earlier one')
  const ms = tokenLifetime({ ...base, jwtExp: sentAt + 600_000 })
  t.match(ms, { source: 'default', expiresAt: sentAt + 300_000, expIgnored: 'beyond maxLifetime' }, 'an exp in milliseconds is ignored')
  t.ok(new Date(ms.expiresAt).getFullYear() < 3000, 'not the year 58878')
  const past = tokenLifetime({ ...base, expiresIn: 60, jwtExp: sentAt / 1000 - 10 })
  t.match(past, { source: 'expires_in', expiresAt: sentAt + 59_000, expIgnored: 'not after the send time' }, 'an exp in the past is ignored')
  const edge = tokenLifetime({ ...base, jwtExp: sentAt / 1000 + 86_400 })
  t.match(edge, { source: 'jwt', expiresAt: sentAt + 86_400_000, clamped: false }, 'exp exactly sentAt + maxLifetime counts')
  // A 24 h token (Auth0's default) issued 400 ms after the send time, its answer 500 ms after it.
  const inFlight = tokenLifetime({ ...base, expiresIn: 86_400, jwtExp: (sentAt + 400) / 1000 + 86_400, receivedAt: sentAt + 500 })
  t.notOk(inFlight.expIgnored, 'a full-length exp issued while the request was in flight is within bounds')
  t.match(inFlight, { source: 'expires_in', expiresAt: sentAt + 86_399_000 })
  const beyond = tokenLifetime({ ...base, expiresIn: 86_400, jwtExp: (sentAt + 600) / 1000 + 86_400, receivedAt: sentAt + 500 })
  t.equal(beyond.expIgnored, 'beyond maxLifetime', 'issued after its answer arrived: out of bounds')
})

t.test('maxLifetime: a strictly longer lifetime is clamped, and every expiry stays a valid date', async (t) => {
  t.match(tokenLifetime({ ...base, expiresIn: 86_401 }), { clamped: false, expiresAt: sentAt + 86_400_000 }, 'expires_in − 1 s equal to maxLifetime: not clamped')
  t.match(tokenLifetime({ ...base, expiresIn: 86_402 }), { clamped: true, expiresAt: sentAt + 86_400_000 })
  for (const expiresIn of [1e13, 1e306, Number.MAX_VALUE]) {
    const life = tokenLifetime({ ...base, expiresIn })
    t.match(life, { clamped: true, expiresAt: sentAt + 86_400_000 }, `expires_in ${expiresIn}`)
    t.ok(Number.isFinite(life.usableUntil) && life.usableUntil > sentAt, 'usable, for a bounded time')
    t.doesNotThrow(() => new Date(life.expiresAt).toISOString(), 'a valid date')
  }
  t.match(tokenLifetime({ ...base, defaultLifetime: 100_000 }), { clamped: true, expiresAt: sentAt + 86_400_000 }, 'the default lifetime too')
  t.match(tokenLifetime({ ...base, expiresIn: 120, maxLifetime: 60 }), { clamped: true, expiresAt: sentAt + 60_000, usableUntil: sentAt + 55_000 })
})

t.test('refresh at 75–85 % of the usable lifetime, for every lifetime', async (t) => {
  for (const expiresIn of [2, 3, 60, 3600, 86_400]) {
    const { usableUntil } = tokenLifetime({ ...base, expiresIn })
    const usable = usableUntil - sentAt
    const early = refreshPoint(sentAt, usableUntil, () => 0) - sentAt
    const late = refreshPoint(sentAt, usableUntil, () => 1) - sentAt
    t.ok(Math.abs(early - 0.75 * usable) < 1 && Math.abs(late - 0.85 * usable) < 1, `${expiresIn} s: ${early}–${late} ms of ${usable} ms`)
  }
})

t.test('backoff: full jitter under an exponential cap', async (t) => {
  t.equal(backoffDelay(0, 100, 2000, () => 0.999), 99)
  t.equal(backoffDelay(3, 100, 2000, () => 0.999), 799)
  t.equal(backoffDelay(10, 100, 2000, () => 0.999), 1998)
  t.equal(backoffDelay(5, 100, 2000, () => 0), 0)
})

t.test('Retry-After: seconds or an HTTP-date', async (t) => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0)
  t.equal(parseRetryAfter('120', now), 120)
  t.equal(parseRetryAfter('Thu, 01 Jan 2026 12:00:30 GMT', now), 30)
  t.equal(parseRetryAfter('Thu, 01 Jan 2026 11:00:00 GMT', now), 0, 'a date in the past: now')
  t.equal(parseRetryAfter('soon', now), undefined)
  t.equal(parseRetryAfter(undefined, now), undefined)
})
