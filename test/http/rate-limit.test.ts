import t from 'tap'
import { clientKey, describeWindow, RateLimiter } from '../../src/http/rate-limit.js'

t.test('a fixed window per key: max requests pass, the next ones wait for the window to end', async (t) => {
  let now = 1_000_000
  const limiter = new RateLimiter({ max: 3, windowMs: 60_000, now: () => now })
  t.same([1, 2, 3].map(() => limiter.take('a')), [0, 0, 0], 'the first three pass')
  t.equal(limiter.take('a'), 60, 'the fourth waits the whole window (rounded up to seconds)')
  now += 59_001
  t.equal(limiter.take('a'), 1, 'a refused request still counts, and never waits less than a second')
  t.equal(limiter.take('b'), 0, 'another key has its own window')
  now += 999
  t.equal(limiter.take('a'), 0, 'a new window starts when the old one ends')
  t.same([limiter.take('a'), limiter.take('a'), limiter.take('a')], [0, 0, 60], 'and counts afresh from where it started')
})

t.test('Retry-After is the rest of the window, rounded up', async (t) => {
  let now = 0
  const limiter = new RateLimiter({ max: 1, windowMs: 10_000, now: () => now })
  limiter.take('k')
  for (const [elapsed, wait] of [
    [0, 10],
    [1, 10],
    [999, 10],
    [1000, 9],
    [9001, 1],
    [9999, 1],
  ] as const) {
    now = elapsed
    t.equal(limiter.take('k'), wait, `after ${elapsed} ms`)
  }
})

t.test('memory is bounded: past maxClients the oldest window is dropped', async (t) => {
  let now = 0
  const limiter = new RateLimiter({ max: 1, windowMs: 1000, maxClients: 3, now: () => now })
  for (const k of ['a', 'b', 'c']) limiter.take(k)
  t.equal(limiter.size, 3)
  now = 10
  limiter.take('d')
  t.equal(limiter.size, 3, 'never more than maxClients')
  t.equal(limiter.take('a'), 0, 'the oldest (a) was dropped, so it starts afresh')
  t.ok(limiter.take('d') > 0, 'a kept window still counts')
  // Tracked now, oldest first: c, d, a. A key that starts a new window goes to the young end.
  now = 2000
  limiter.take('b') // drops c: d, a, b
  limiter.take('e') // drops d: a, b, e
  limiter.take('f') // drops a: b, e, f
  t.equal(limiter.take('b'), 1, 'b, younger than a and d, is still tracked and counts its second request')
  t.equal(limiter.take('a'), 0, 'a, older, was dropped')
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
