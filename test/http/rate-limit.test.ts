import t from 'tap'
import Fastify from 'fastify'
import { clientKey, describeWindow, RateLimiter } from '../../src/http/rate-limit.js'
import { requestPolicy } from '../../src/http/security.js'

/** What a take() decided, copied (the limiter rewrites its verdict on the next call). */
const take = (limiter: RateLimiter, key: string) => ({ ...limiter.take(key) })
/** 0 when allowed, else the seconds to wait (the old take()'s answer, for the window tests). */
const wait = (limiter: RateLimiter, key: string): number => {
  const v = limiter.take(key)
  return v.allowed ? 0 : v.reset
}

t.test('a fixed window per key: max requests pass, the next ones wait for the window to end', async (t) => {
  let now = 1_000_000
  const limiter = new RateLimiter({ max: 3, windowMs: 60_000, now: () => now })
  t.same([1, 2, 3].map(() => wait(limiter, 'a')), [0, 0, 0], 'the first three pass')
  t.equal(wait(limiter, 'a'), 60, 'the fourth waits the whole window (rounded up to seconds)')
  now += 59_001
  t.equal(wait(limiter, 'a'), 1, 'a refused request still counts, and never waits less than a second')
  t.equal(wait(limiter, 'b'), 0, 'another key has its own window')
  now += 999
  t.equal(wait(limiter, 'a'), 0, 'a new window starts when the old one ends')
  t.same([wait(limiter, 'a'), wait(limiter, 'a'), wait(limiter, 'a')], [0, 0, 60], 'and counts afresh from where it started')
})

t.test('every verdict says the limit left and when the window ends (the x-ratelimit-* headers)', async (t) => {
  let now = 0
  const limiter = new RateLimiter({ max: 3, windowMs: 10_000, now: () => now })
  t.same(take(limiter, 'k'), { allowed: true, remaining: 2, reset: 10, refused: null })
  now = 2500
  t.same(take(limiter, 'k'), { allowed: true, remaining: 1, reset: 8, refused: null })
  t.same(take(limiter, 'k'), { allowed: true, remaining: 0, reset: 8, refused: null }, 'the last one allowed leaves 0')
  t.same(take(limiter, 'k'), { allowed: false, remaining: 0, reset: 8, refused: 'limit' })
})

t.test('Retry-After is the rest of the window, rounded up', async (t) => {
  let now = 0
  const limiter = new RateLimiter({ max: 1, windowMs: 10_000, now: () => now })
  limiter.take('k')
  for (const [elapsed, seconds] of [
    [0, 10],
    [1, 10],
    [999, 10],
    [1000, 9],
    [9001, 1],
    [9999, 1],
  ] as const) {
    now = elapsed
    t.equal(wait(limiter, 'k'), seconds, `after ${elapsed} ms`)
  }
})

t.test('memory is bounded, and a full table drops only windows that have ended', async (t) => {
  let now = 0
  const limiter = new RateLimiter({ max: 2, windowMs: 1000, maxClients: 3, now: () => now })
  for (const k of ['a', 'b', 'c']) limiter.take(k)
  t.equal(limiter.size, 3)
  now = 10
  t.same(take(limiter, 'd'), { allowed: false, remaining: 0, reset: 1, refused: 'full' }, 'a new key waits while every window is live')
  t.equal(limiter.size, 3, 'never more than maxClients')
  t.same(take(limiter, 'a'), { allowed: true, remaining: 0, reset: 1, refused: null }, 'a tracked key keeps its count (its second request)')
  t.equal(take(limiter, 'a').refused, 'limit', 'and its limit')
  // b and c end at 1000, a too: once they have ended, they make room.
  now = 1000
  t.equal(take(limiter, 'd').allowed, true, 'the ended windows are dropped for the new key')
  t.equal(limiter.size, 1, 'all three ended, so all three went (d alone is left)')
  // Tracked windows end in the order they started, so the ended ones are always the oldest.
  now = 1200
  limiter.take('e')
  now = 1400
  limiter.take('f') // d (ends 2000), e (2200), f (2400)
  now = 2100
  t.equal(take(limiter, 'g').allowed, true, 'g takes the place of d, the one window that has ended')
  t.equal(take(limiter, 'e').remaining, 0, 'e, still live, was not touched: its second request leaves 0')
  t.same(take(limiter, 'h'), { allowed: false, remaining: 0, reset: 1, refused: 'full' }, 'the next new key waits for e (ends at 2200)')
})

t.test('a flood of distinct keys never resets a client that is still sending', async (t) => {
  // The attack: 10,000 posts with distinct team ids used to push every other client's window
  // out of the table, so their counts started again from zero. Here at the default size, in memory.
  let now = 0
  const limiter = new RateLimiter({ max: 5, windowMs: 60_000, now: () => now })
  t.equal(limiter.maxClients, 10_000, 'the default table size')
  for (let i = 0; i < 5; i++) limiter.take('victim-or-heavy-user')
  t.equal(take(limiter, 'victim-or-heavy-user').refused, 'limit', 'a client at its limit')
  let full = 0
  for (let i = 0; i < 20_000; i++) {
    now = i // the flood takes 20 s of the window
    if (take(limiter, `flood-${i}`).refused === 'full') full++
  }
  t.equal(limiter.size, 10_000, 'memory stays bounded')
  t.equal(full, 10_001, 'past the table size, the flood itself is refused')
  t.equal(take(limiter, 'victim-or-heavy-user').refused, 'limit', 'the client at its limit is still held to it')
  now = 60_000
  t.equal(take(limiter, 'victim-or-heavy-user').allowed, true, 'until its own window ends')
  t.equal(take(limiter, 'someone-new').allowed, true, 'and once windows end there is room for new clients')
})

t.test('small table, many keys: only ended windows make room (maxClients 4)', async (t) => {
  let now = 0
  const limiter = new RateLimiter({ max: 3, windowMs: 100, maxClients: 4, now: () => now })
  const counts = new Map<string, number>()
  // Two steady clients send every 10 ms while 500 distinct keys arrive; each steady client must be
  // refused exactly on its 4th request of every 100 ms window, never given a fresh count early.
  for (let ms = 0; ms < 1000; ms += 10) {
    now = ms
    for (const steady of ['s1', 's2']) {
      const v = take(limiter, steady)
      const n = (counts.get(`${steady}@${Math.floor(ms / 100)}`) ?? 0) + 1
      counts.set(`${steady}@${Math.floor(ms / 100)}`, n)
      t.equal(v.allowed, n <= 3, `${steady} at ${ms} ms, request ${n} of its window`)
    }
    for (let k = 0; k < 5; k++) limiter.take(`k${ms}-${k}`)
    t.ok(limiter.size <= 4)
  }
})

t.test('the queue of windows stays bounded, and a full table after churn says when its oldest live window ends', async (t) => {
  let now = 0
  const limiter = new RateLimiter({ max: 100, windowMs: 1000, maxClients: 100, now: () => now })
  // One client, window after window, with the table never full: each ended window leaves a stale place.
  for (let w = 0; w < 5000; w++) {
    now = w * 1000
    limiter.take('steady')
  }
  t.ok(limiter.queued <= 2 * 100 + 1024, `${limiter.queued} places queued for ${limiter.size} window(s)`)
  // Fill half at t, half at t + 500 ms; the first half ends; new keys take their places; then the table is
  // full of live windows and a new key is told to wait for the oldest of them (the t + 500 ms half).
  const t0 = now + 1000
  now = t0
  for (let i = 0; i < 50; i++) limiter.take(`a${i}`)
  now = t0 + 500
  for (let i = 0; i < 49; i++) limiter.take(`b${i}`)
  now = t0 + 1200 // the a-windows (and steady's) have ended
  for (let i = 0; i < 51; i++) t.equal(take(limiter, `c${i}`).allowed, true, `c${i} takes an ended window's place`)
  t.equal(limiter.size, 100)
  const refused = take(limiter, 'late')
  t.same([refused.allowed, refused.refused, refused.reset], [false, 'full', 1], 'full: the oldest live window (b, ends at t + 1500 ms) is 300 ms away')
  now = t0 + 1501
  t.equal(take(limiter, 'late').allowed, true, 'a place once the oldest window ends')
})

t.test('over HTTP, a full table answers a new client 429 in the error shape, and says why once', async (t) => {
  // The request policy on a bare fastify (no database): a table of two clients.
  const lines: Array<{ level: number; msg: string }> = []
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => lines.push(JSON.parse(line)) } } })
  t.teardown(() => app.close())
  const limiter = new RateLimiter({ max: 5, windowMs: 60_000, maxClients: 2 })
  const policy = requestPolicy({ corsOrigins: [], rateLimitMax: 5, rateLimitWindowSeconds: 60 }, limiter)
  app.get('/v1/thing', { onRequest: policy.forRoute('/v1/thing', undefined).onRequest }, async () => ({ ok: true }))
  const from = (ip: string) => app.inject({ url: '/v1/thing', remoteAddress: ip })
  t.equal((await from('10.0.0.1')).statusCode, 200)
  t.equal((await from('10.0.0.2')).statusCode, 200)
  const refused = await from('10.0.0.3')
  t.equal(refused.statusCode, 429)
  t.match(refused.json(), { statusCode: 429, error: 'Too Many Requests', message: /counting as many clients as it can \(2\).*retry in \d+ s$/ })
  t.equal(refused.headers['x-ratelimit-remaining'], '0')
  t.equal(refused.headers['retry-after'], refused.headers['x-ratelimit-reset'])
  await from('10.0.0.4')
  t.equal((await from('10.0.0.1')).statusCode, 200, 'the clients already counted go on')
  t.equal(lines.filter((l) => /rate limit table full/.test(l.msg)).length, 1, 'one warning per window, however many are refused')
})

t.test('bad settings are refused', async (t) => {
  t.throws(() => new RateLimiter({ max: 0, windowMs: 1000 }), RangeError)
  t.throws(() => new RateLimiter({ max: 1, windowMs: 0 }), RangeError)
  t.throws(() => new RateLimiter({ max: Number.NaN, windowMs: 1000 }), RangeError)
})

t.test('client keys: IPv4 as is, IPv4-mapped as IPv4, other IPv6 by its /64', async (t) => {
  const cases: Array<[string, string]> = [
    ['127.0.0.1', '127.0.0.1'],
    ['10.2.0.1', '10.2.0.1'],
    ['::ffff:10.2.0.1', '10.2.0.1'],
    ['::FFFF:10.2.0.1', '10.2.0.1'],
    ['0:0:0:0:0:ffff:192.168.1.7', '192.168.1.7'],
    ['::1', '0:0:0:0::/64'],
    ['::', '0:0:0:0::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:db8:0:0:aaaa::2', '2001:db8:0:0::/64'],
    ['2001:0DB8:0000:0000:1:2:3:4', '2001:db8:0:0::/64'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::', '2001:db8:1:2::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0::/64'],
  ]
  for (const [ip, key] of cases) t.equal(clientKey(ip), key, ip)
  t.equal(clientKey('2001:db8::1'), clientKey('2001:db8:0:0:ffff:ffff:ffff:ffff'), 'one /64, one limit')
  t.not(clientKey('2001:db8:0:1::1'), clientKey('2001:db8:0:2::1'), 'another /64, another limit')
  for (const odd of ['1::2::3', 'zz::1', '1:2:3:4:5:6:7:8:9', '12345::1']) {
    t.equal(clientKey(odd), odd.toLowerCase(), `${odd}: not readable as IPv6, counted as given`)
  }
})

t.test('windows in words', async (t) => {
  t.equal(describeWindow(60_000), '1 minute')
  t.equal(describeWindow(120_000), '2 minutes')
  t.equal(describeWindow(1000), '1 second')
  t.equal(describeWindow(90_000), '90 seconds')
  t.equal(describeWindow(3_600_000), '1 hour')
  t.equal(describeWindow(86_400_000), '24 hours')
})
