import t from 'tap'
import { gunzipSync } from 'node:zlib'
import { AnswerCache, estimateBytes } from '../../src/answers/cache.js'
import { AnswerPipeline } from '../../src/answers/pipeline.js'
import { CatalogSnapshot } from '../../src/catalog/snapshot.js'

const snapshot = (version: number) =>
  new CatalogSnapshot({ version, createdAt: '2026-11-01T00:00:00.000Z', source: 'seed', instanceTypes: 1, prices: 2 }, [{ name: 'm5.large', family: 'm5' } as never], [
    { region: 'us-east-1', instanceType: 'm5.large', usdPerHour: 0.096, source: 's', asOf: '2026-07-20T00:00:00.000Z' },
    { region: 'eu-west-1', instanceType: 'm5.large', usdPerHour: 0.107, source: 's', asOf: '2026-08-21T00:00:00.000Z' },
  ])

t.test('a snapshot is data: prices and regions', async (t) => {
  const snap = snapshot(7)
  t.equal(snap.price('eu-west-1', 'm5.large')?.usdPerHour, 0.107)
  t.equal(snap.price('ap-east-1', 'm5.large'), undefined)
  t.same(snap.regions.map((r) => r.region), ['eu-west-1', 'us-east-1'])
  t.notOk('memoize' in snap || 'body' in snap || 'gzipped' in snap, 'no caches on the snapshot')
})

t.test('a snapshot holds every price kind and the gp3 price, each region summarised per kind', async (t) => {
  const v = { version: 9, createdAt: '2026-11-01T00:00:00.000Z', source: 'aws', instanceTypes: 2, prices: 6 }
  const p = (region: string, instanceType: string, usdPerHour: number, asOf: string, extra: object = {}) => ({ region, instanceType, usdPerHour, source: 's', asOf, ...extra })
  const snap = new CatalogSnapshot(
    v,
    [{ name: 'm5.large', family: 'm5' } as never, { name: 'c5.large', family: 'c5' } as never],
    [
      p('us-east-1', 'm5.large', 0.096, '2026-10-01T00:00:00.000Z'),
      p('us-east-1', 'c5.large', 0.085, '2026-10-02T00:00:00.000Z'),
      p('us-east-1', 'm5.large', 0.06, '2026-10-03T00:00:00.000Z', { capacityType: 'reserved-1y' }),
      p('us-east-1', 'm5.large', 0.035, '2026-10-04T00:00:00.000Z', { capacityType: 'spot', azCount: 6, spotTimestamp: '2026-09-30T00:00:00.000Z' }),
      p('ap-south-1', 'm5.large', 0.02, '2026-10-05T00:00:00.000Z', { capacityType: 'spot', azCount: 3 }),
    ],
    [{ region: 'us-east-1', volumeType: 'gp3', usdPerGbMonth: 0.08, source: 'pricing page', asOf: '2026-08-21' }, { region: 'sa-east-1', volumeType: 'gp3', usdPerGbMonth: 0.152, source: 's', asOf: '2026-10-06T00:00:00.000Z' }],
  )
  t.equal(snap.price('us-east-1', 'm5.large')?.usdPerHour, 0.096, 'on demand by default')
  t.equal(snap.price('us-east-1', 'm5.large', 'reserved-1y')?.usdPerHour, 0.06)
  t.equal(snap.price('us-east-1', 'm5.large', 'spot')?.azCount, 6)
  t.equal(snap.price('us-east-1', 'c5.large', 'spot'), undefined)
  t.equal(snap.pricesIn('us-east-1')?.size, 2)
  t.equal(snap.pricesIn('us-east-1', 'spot')?.size, 1)
  t.ok(snap.hasRegion('us-east-1'))
  t.notOk(snap.hasRegion('ap-south-1'), 'no on-demand prices there')
  t.ok(snap.hasRegion('ap-south-1', 'spot'))
  t.equal(snap.gp3Price('us-east-1')?.usdPerGbMonth, 0.08)
  t.equal(snap.gp3Price('eu-west-1'), undefined)
  t.same(snap.regions.map((r) => r.region), ['ap-south-1', 'sa-east-1', 'us-east-1'], 'every region with any price, sorted')
  const us = snap.regionPrices('us-east-1')!
  t.same([us.prices, us.oldestAsOf, us.newestAsOf], [2, '2026-10-01T00:00:00.000Z', '2026-10-02T00:00:00.000Z'], 'the top-level figures are on demand')
  t.same(us.byCapacityType, {
    'on-demand': { prices: 2, oldestAsOf: '2026-10-01T00:00:00.000Z', newestAsOf: '2026-10-02T00:00:00.000Z', sources: ['s'] },
    'reserved-1y': { prices: 1, oldestAsOf: '2026-10-03T00:00:00.000Z', newestAsOf: '2026-10-03T00:00:00.000Z', sources: ['s'] },
    spot: { prices: 1, oldestAsOf: '2026-10-04T00:00:00.000Z', newestAsOf: '2026-10-04T00:00:00.000Z', sources: ['s'] },
  })
  t.equal(us.gp3?.source, 'pricing page')
  const ap = snap.regionPrices('ap-south-1')!
  t.same([ap.prices, ap.oldestAsOf, Object.keys(ap.byCapacityType), ap.gp3], [0, '2026-10-05T00:00:00.000Z', ['spot'], null], 'spot only: 0 on demand, the dates of what it has')
  t.same([snap.regionPrices('sa-east-1')?.prices, snap.regionPrices('sa-east-1')?.oldestAsOf], [0, '2026-10-06T00:00:00.000Z'], 'a gp3 price alone')
})

t.test('the answer cache keeps what is used, counts keys, and stays within its budget', async (t) => {
  const overhead = AnswerCache.keyBytes('a')
  const c = new AnswerCache(3 * (4 + overhead))
  c.set('a', 'aaaa', 4)
  c.set('b', 'bbbb', 4)
  c.set('c', 'cccc', 4)
  t.equal(c.get('a'), 'aaaa') // a is used: it survives the next eviction
  c.set('d', 'dddd', 4) // over budget: the oldest unused (b) goes
  t.equal(c.get('b'), undefined)
  t.equal(c.get('a'), 'aaaa')
  t.ok(c.bytes <= c.budget)
  t.ok(c.evictions >= 1)
  c.set('big', 'x', c.budget)
  t.equal(c.get('big'), undefined, 'an entry larger than the budget is not kept')
  // Long keys cost their own bytes: a flood of distinct long keys cannot grow the cache past its budget.
  const flood = new AnswerCache(1024 * 1024)
  const long = `q=${'z'.repeat(8000)}`
  for (let i = 0; i < 2000; i++) flood.set(`${long}${i}`, i, 8)
  t.ok(flood.bytes <= flood.budget, `bytes ${flood.bytes} within ${flood.budget}`)
  t.ok(flood.entries < 100, `long keys bounded by their size (${flood.entries} kept)`)
  t.equal(flood.hits + flood.misses, 0, 'set counts no lookups')
  flood.get('nope')
  t.equal(flood.misses, 1)
  t.ok(estimateBytes({ a: 'é' }) >= Buffer.byteLength('{"a":"é"}'), 'a value is counted at least at its JSON size')
})

t.test('the answer cache: least recently used out first, bytes counted through keeps, grows and evictions', async (t) => {
  // Every entry costs E bytes in all (its value counted so that value + key overhead = E).
  const E = 400
  const valueFor = (key: string) => E - AnswerCache.keyBytes(key)
  const c = new AnswerCache(10 * E)
  for (let i = 0; i < 10; i++) c.set(`k${i}`, i, valueFor(`k${i}`))
  t.equal(c.entries, 10)
  t.equal(c.bytes, 10 * E, 'keys and values counted')
  c.get('k0') // used last: k1 is now the least recently used
  c.set('k10', 10, valueFor('k10'))
  t.equal(c.get('k1'), undefined, 'the least recently used went')
  t.equal(c.get('k0'), 0, 'the one used lately stayed')
  t.equal(c.evictions, 1)
  // A gzip copy kept beside an entry: counted, and others make room for it.
  c.grow('k0', 1.5 * E)
  t.equal(c.get('k0'), 0, 'the grown entry stays')
  t.equal(c.bytes, 9.5 * E, `${c.bytes} within ${c.budget}`)
  t.equal(c.evictions, 3, 'two more went to make room for one and a half')
  t.equal(c.entries, 8)
  c.grow('gone', 10) // an entry already evicted: nothing to count
  // Replacing a value counts its new size, not both.
  const before = c.bytes
  c.set('k0', 'again', valueFor('k0'))
  t.equal(c.bytes, before - 1.5 * E, 'the old entry (with its gzip bytes) replaced')
  t.equal(c.evictions, 3, 'a replacement is not an eviction')
  c.clear()
  t.same([c.entries, c.bytes], [0, 0])
  // A flood far past the budget: the counts stay exact and within it.
  for (let i = 0; i < 20000; i++) c.set(`flood-${i}`, i, 10 + (i % 50))
  t.ok(c.bytes <= c.budget && c.entries > 0)
  t.equal(c.get('flood-19999'), 19999, 'the newest is kept')
  const none = new AnswerCache(0)
  none.set('a', 1, 1)
  t.same([none.get('a'), none.entries, none.bytes, none.misses], [undefined, 0, 0, 1], 'a budget of 0 keeps nothing')
})

t.test('the pipeline: one cache per catalog version, gzip kept beside the body and counted', async (t) => {
  let current = snapshot(1)
  const p = new AnswerPipeline({ current: () => current }, { clock: () => new Date('2026-11-02T00:00:00Z'), priceMaxAgeDays: 180 }, 1024 * 1024)
  const a = p.current()
  let calls = 0
  t.equal(a.memo('k', () => ++calls), 1)
  t.equal(a.memo('k', () => ++calls), 1, 'computed once')
  const r = a.rendered('big', () => ({ body: Buffer.from('pods per node, '.repeat(500)), type: 'text/plain', disposition: null, valid: { from: -Infinity, until: Infinity } }))
  const before = p.cache.bytes
  const gz = a.gzipped('big', r)
  t.ok(gunzipSync(gz).equals(r.body), 'the gzip copy unzips to the body')
  t.equal(a.gzipped('big', r), gz, 'compressed once')
  t.equal(p.cache.bytes, before + gz.length, 'the gzip copy is counted in the same budget')
  t.equal(a.rendered('big', () => ({ body: Buffer.from('never'), type: 'x', disposition: null, valid: { from: -Infinity, until: Infinity } })), r)

  current = snapshot(2)
  const b = p.current()
  t.not(b, a)
  t.equal(p.cache.entries, 0, 'a new catalog version starts empty')
  t.equal(a.memo('k', () => ++calls), 2, 'a request still on the old version computes, and keeps nothing')
  t.equal(p.cache.entries, 0)
  t.equal(b.memo('k', () => ++calls), 3)
})

t.test('a kept answer holds only over its validity', async (t) => {
  let now = Date.parse('2026-11-02T00:00:00Z')
  const snap = snapshot(1)
  const p = new AnswerPipeline({ current: () => snap }, { clock: () => new Date(now), priceMaxAgeDays: 180 }, 1024 * 1024)
  const a = p.current()
  let n = 0
  const render = () => ({ body: Buffer.from(String(++n)), type: 'text/plain', disposition: null, valid: { from: now - 1000, until: now + 1000 } })
  t.equal(a.rendered('k', render).body.toString(), '1')
  t.equal(a.rendered('k', render).body.toString(), '1', 'kept while it holds')
  now += 1000
  t.equal(a.rendered('k', render).body.toString(), '2', 'rendered again once the span ends')
  now -= 5000
  t.equal(a.rendered('k', render).body.toString(), '3', 'and when the clock goes back before it')
})
