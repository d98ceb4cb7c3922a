import t from 'tap'
import { gunzipSync } from 'node:zlib'
import { BoundedCache, CatalogSnapshot } from '../../src/catalog/snapshot.js'

t.test('the bounded cache keeps what is used and stays within its budget', async (t) => {
  const c = new BoundedCache<string>(10, (s) => s.length)
  c.set('a', 'aaaa')
  c.set('b', 'bbbb')
  t.equal(c.get('a'), 'aaaa') // a is used: it survives the next eviction
  c.set('c', 'cccc') // 12 > 10: the oldest unused (b) goes
  t.equal(c.get('b'), undefined)
  t.equal(c.get('a'), 'aaaa')
  t.equal(c.get('c'), 'cccc')
  c.set('big', 'x'.repeat(11))
  t.equal(c.get('big'), undefined, 'an entry larger than the budget is not kept')
  for (let i = 0; i < 1000; i++) c.set(`k${i}`, 'zz')
  let kept = 0
  for (let i = 0; i < 1000; i++) if (c.get(`k${i}`)) kept++
  t.ok(kept <= 5, `at most budget/size entries kept (${kept})`)
  c.set('same', 'one')
  c.set('same', 'two')
  t.equal(c.get('same'), 'two', 'a key set again is replaced')
})

t.test('a snapshot answers prices and regions, and memoizes per version', async (t) => {
  const it = { name: 'm5.large', family: 'm5' } as never
  const snap = new CatalogSnapshot({ version: 7, createdAt: '2026-11-01T00:00:00.000Z', source: 'seed', instanceTypes: 1, prices: 2 }, [it], [
    { region: 'us-east-1', instanceType: 'm5.large', usdPerHour: 0.096, source: 's', asOf: '2026-07-20T00:00:00.000Z' },
    { region: 'eu-west-1', instanceType: 'm5.large', usdPerHour: 0.107, source: 's', asOf: '2026-08-21T00:00:00.000Z' },
  ])
  t.equal(snap.price('eu-west-1', 'm5.large')?.usdPerHour, 0.107)
  t.equal(snap.price('ap-east-1', 'm5.large'), undefined)
  t.same(snap.regions.map((r) => r.region), ['eu-west-1', 'us-east-1'])
  let calls = 0
  const f = () => ++calls
  t.equal(snap.memoize('k', f), 1)
  t.equal(snap.memoize('k', f), 1, 'computed once')
  t.same(snap.body('b', () => 'é'), Buffer.from('é'))
  t.equal(snap.peekBody('nope'), undefined)
  snap.keepBody('kept', 'x')
  t.same(snap.peekBody('kept'), Buffer.from('x'))

  const big = snap.body('big', () => 'pods per node, '.repeat(500))
  const gz = snap.gzipped(big)
  t.ok(gunzipSync(gz).equals(big), 'the gzip copy unzips to the body')
  t.equal(snap.gzipped(big), gz, 'compressed once, then kept beside the body')
  t.equal(snap.gzipped(snap.body('big', () => 'never rendered again')), gz, 'the kept body finds its copy')
})

t.test('answers kept by request: per snapshot, bounded by their keys', async (t) => {
  const make = () => new CatalogSnapshot({ version: 1, createdAt: '2026-11-01T00:00:00.000Z', source: 'seed', instanceTypes: 0, prices: 0 }, [], [])
  const snap = make()
  t.equal(snap.answerFor('/v1/x'), undefined)
  snap.keepAnswerFor('/v1/x', 'answer')
  t.equal(snap.answerFor('/v1/x'), 'answer')
  t.equal(make().answerFor('/v1/x'), undefined, 'another snapshot (a new catalog version) keeps nothing of this one')
  const long = `/v1/y?q=${'z'.repeat(8000)}`
  for (let i = 0; i < 2000; i++) snap.keepAnswerFor(`${long}${i}`, i)
  let kept = 0
  for (let i = 0; i < 2000; i++) if (snap.answerFor(`${long}${i}`) !== undefined) kept++
  t.ok(kept < 2000 && kept > 100, `long keys are bounded by their size (${kept} of 2000 kept)`)
})
