// Answers are kept in the one answer pipeline (src/answers/pipeline.ts) under their canonical question:
// a repeat must be the same answer the long way would give, by catalog version, by format and by the
// span the price freshness holds for, whichever door asks and in whatever order its parameters come.
import t from 'tap'
import { buildTestApp } from '../helper.js'
import { defaultDensity, instanceTypeView, orderedTypes } from '../../src/answers/answers.js'
import { AnswerCache, estimateBytes } from '../../src/answers/cache.js'

const DAY_MS = 86_400_000

t.test('a repeated URL gets the same bytes, and its price freshness follows the clock both ways', async (t) => {
  let now = Date.parse('2026-07-21T12:00:00Z') // the seed's us-east-1 prices are of 2026-07-20
  const app = await buildTestApp(t, { env: { PRICE_MAX_AGE_DAYS: '30' }, deps: { clock: () => new Date(now) } })
  const urls = [
    '/v1/instance-types?family=m5',
    '/v1/capacity-plans?totalPods=300&instanceTypes=m5.large,m6i.large',
    '/v1/recommendations?encryption=required&instanceTypes=m6i.large',
  ]
  for (const url of urls) {
    const first = await app.inject({ url })
    const again = await app.inject({ url })
    t.equal(first.statusCode, 200, url)
    t.equal(again.payload, first.payload, `${url}: the same bytes`)
    t.match(first.json().catalog, { stale: false }, `${url}: fresh`)
    const age = first.json().catalog.priceAgeDays as number
    now += 31 * DAY_MS
    t.match((await app.inject({ url })).json().catalog, { priceAgeDays: age + 31, stale: true }, `${url}: 31 days later, stale`)
    now -= 31 * DAY_MS
    t.equal((await app.inject({ url })).payload, first.payload, `${url}: and back again, fresh`)
  }
})

t.test('the same URL asked for CSV by Accept gets CSV; otherwise JSON', async (t) => {
  const app = await buildTestApp(t)
  const url = '/v1/recommendations?multicast=required'
  const json = await app.inject({ url })
  const csv = await app.inject({ url, headers: { accept: 'text/csv' } })
  const jsonAgain = await app.inject({ url, headers: { accept: 'application/json' } })
  t.match(json.headers['content-type'], /^application\/json/)
  t.match(csv.headers['content-type'], /^text\/csv/)
  t.match(csv.headers['content-disposition'], /filename="recommendation\.csv"/)
  t.match(jsonAgain.headers['content-type'], /^application\/json/)
  t.equal(jsonAgain.payload, json.payload)
  t.equal((await app.inject({ url, headers: { accept: 'text/csv' } })).payload, csv.payload, 'a repeated CSV is the same CSV')
  t.equal((await app.inject({ url: `${url}&format=csv` })).payload, csv.payload, 'format=csv and Accept give one CSV')
})

t.test('a refused URL is never kept: it stays refused with its message', async (t) => {
  const app = await buildTestApp(t)
  for (const url of ['/v1/instance-types/m5.large/max-pods?mode=bogus', '/v1/instance-types/m9.huge/max-pods', '/v1/capacity-plans?totalPods=-1']) {
    const first = await app.inject({ url })
    const again = await app.inject({ url })
    t.ok(first.statusCode >= 400 && first.statusCode < 500, `${url}: ${first.statusCode}`)
    t.equal(again.statusCode, first.statusCode)
    t.equal(again.payload, first.payload)
  }
  const ok = await app.inject({ url: '/v1/instance-types/m5.large/max-pods?mode=prefix-delegation' })
  t.equal(ok.json().recommendedMaxPods, 110, 'a good URL next to them answers')
})

t.test('a kept answer still goes through the request policy and is counted', async (t) => {
  const app = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '3' } })
  const url = '/v1/instance-types/m5.large/max-pods?mode=ipv6'
  const res = []
  for (let i = 0; i < 4; i++) res.push(await app.inject({ url, remoteAddress: '10.9.0.1' }))
  t.same(res.map((r) => r.statusCode), [200, 200, 200, 429], 'repeats count against the rate limit')
  t.not(res[1]!.headers['x-request-id'], res[0]!.headers['x-request-id'], 'each answer has its own request id')
  t.equal(res[2]!.headers['x-content-type-options'], 'nosniff')
  t.equal(res[2]!.payload, res[0]!.payload)
  const metrics = (await app.inject({ url: '/metrics' })).payload
  t.match(metrics, /http_requests_total\{method="GET",route="\/v1\/instance-types\/:name\/max-pods",status_code="200"\} 3/, 'and counted under its route')
  const head = await app.inject({ method: 'HEAD', url, remoteAddress: '10.9.0.2' })
  t.equal(head.statusCode, 200)
  t.equal(head.payload, '', 'HEAD gets the headers without the body')
  t.equal(head.headers['content-length'], String(Buffer.byteLength(res[0]!.payload)))
})

t.test('a repeated POST body gets the kept answer; another body, or a GET, its own', async (t) => {
  const app = await buildTestApp(t)
  const post = (payload: string, url = '/v1/recommendations') =>
    app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload })
  const body = '{"multicast":"required","instanceTypes":["m5.large"]}'
  const first = await post(body)
  const again = await post(body)
  t.equal(first.statusCode, 200)
  t.equal(again.payload, first.payload, 'the same body, the same bytes')
  // The key is the parsed question, not the body as sent: the same needs in another order, with
  // defaults spelled out, are the same kept answer.
  const entries = app.ctx.answers.cache.entries
  const reordered = await post('{"instanceTypes":["m5.large"],"performance":"medium","multicast":"required"}')
  t.equal(reordered.payload, first.payload, 'the same question in another order')
  t.equal(app.ctx.answers.cache.entries, entries, 'answered from the same entry')
  const viaGet = await app.inject('/v1/recommendations?instanceTypes=m5.large&multicast=required')
  t.equal(viaGet.payload, first.payload, 'and over GET')
  const other = await post('{"multicast":"none","instanceTypes":["m5.large"]}')
  t.not(other.json().recommendation?.id ?? null, undefined)
  t.notSame(other.json().requirements, first.json().requirements, 'another body, another answer')
  const csv = await post(body, '/v1/recommendations?format=csv')
  t.match(csv.headers['content-type'], /^text\/csv/, 'format=csv is part of the key')
  // A GET that carries the same body answers its query, not the body (and keeps nothing under the POST's key).
  const get = await app.inject({ method: 'GET', url: '/v1/recommendations', headers: { 'content-type': 'application/json' }, payload: body })
  t.equal(get.statusCode, 200)
  t.equal(get.json().requirements.multicast, 'none', 'the GET read no body')
  t.equal((await post(body)).payload, first.payload, 'and the POST still gets its own answer')
  const bad = await post('{"multicast":"sometimes"}')
  t.equal(bad.statusCode, 400)
  t.equal((await post('{"multicast":"sometimes"}')).statusCode, 400, 'a refused body stays refused')
})

// Issue 19's bug: GraphQL kept its answers by the UTC day, so at 16:00Z with prices dated 15:00Z ten days
// ago and PRICE_MAX_AGE_DAYS=9, REST said 10 days (stale) and GraphQL 9 (fresh). One freshness model now.
t.test('GraphQL freshness equals REST at any clock reading', async (t) => {
  const asOf = Date.parse('2026-07-20T00:00:00Z') // the seed's us-east-1 prices
  let now = asOf + 9 * 86_400_000 + 60_000
  const app = await buildTestApp(t, { env: { PRICE_MAX_AGE_DAYS: '9' }, deps: { clock: () => new Date(now) } })
  const query = '{ recommend(requirements: { instanceTypes: ["m5.large"] }) { catalog { priceAgeDays stale } } }'
  for (const step of [0, 23 * 3_600_000, 3_600_000 - 120_000, 60_000, 60_000, 86_400_000, -2 * 86_400_000]) {
    now += step
    const rest = (await app.inject('/v1/recommendations?instanceTypes=m5.large')).json().catalog
    const gql = (await app.inject({ method: 'POST', url: '/graphql', payload: { query } })).json().data.recommend.catalog
    t.same(gql, { priceAgeDays: rest.priceAgeDays, stale: rest.stale }, `at ${new Date(now).toISOString()}: ${rest.priceAgeDays} days, stale ${rest.stale}`)
  }
})

t.test('the cache stays within MEMORY_CACHE_MB under distinct questions', async (t) => {
  const app = await buildTestApp(t, { env: { MEMORY_CACHE_MB: '1' } })
  // Each answer (100 rows) is ~50-150 kB as JSON or CSV: 2 × 40 distinct questions overflow 1 MiB.
  for (let i = 1; i <= 40; i++) {
    for (const format of ['json', 'csv']) {
      const res = await app.inject(`/v1/capacity-plans?totalPods=${i * 7}&limit=100&format=${format}`)
      if (res.statusCode !== 200) t.fail(`${i} ${format}: ${res.statusCode}`)
    }
  }
  const cache = app.ctx.answers.cache
  t.comment(`kept ${cache.entries} entries, ${cache.bytes} bytes, ${cache.evictions} evictions`)
  t.ok(cache.bytes <= 1024 * 1024, `${cache.bytes} bytes kept`)
  t.ok(cache.evictions > 0, 'older answers were evicted')
  const metrics = (await app.inject('/metrics')).payload
  t.match(metrics, /cni_answer_cache_bytes \d+/)
  t.match(metrics, /cni_answer_cache_budget_bytes 1048576/)
  t.match(metrics, /cni_answer_cache_lookups_total\{result="hit"\} \d+/)
  t.match(metrics, /cni_answer_cache_lookups_total\{result="miss"\} \d+/)
})

t.test('a kept small answer holds its own memory, not a slice of a shared buffer pool, and is counted at it', async (t) => {
  const app = await buildTestApp(t)
  const a = app.ctx.answers.current()
  const fromPool = Buffer.from('{"small":true}')
  t.ok(fromPool.buffer.byteLength > fromPool.length, 'Buffer.from cuts a small buffer from a shared pool (the reason for the copy)')
  const before = app.ctx.answers.cache.bytes
  const body = a.keep('a small one', { body: fromPool, type: 'application/json', disposition: null, valid: { from: -Infinity, until: Infinity } }).body
  t.equal(body.buffer.byteLength, body.length, 'the kept copy holds its own bytes only')
  t.same(body, fromPool, 'the same bytes')
  t.equal(app.ctx.answers.cache.bytes - before, body.length + 64 + AnswerCache.keyBytes('a small one'), 'counted at what it holds')
  const big = Buffer.allocUnsafeSlow(10_000).fill(1)
  t.equal(a.keep('a big one', { body: big, type: 'application/json', disposition: null, valid: { from: -Infinity, until: Infinity } }).body, big, 'a buffer of its own is kept as it is')
})

// bench/run.ts proves its miss rows miss with this counter: lookups of finished answers, apart from the
// worked-out values (a type's max pods in every mode) that a new question still finds kept.
t.test('lookups of finished answers are counted apart: a new question misses, the same one again hits', async (t) => {
  const app = await buildTestApp(t)
  const cache = app.ctx.answers.cache
  const read = async () => {
    const text = (await app.inject('/metrics')).payload
    const n = (result: string) => Number(new RegExp(`^cni_answer_cache_answer_lookups_total\\{result="${result}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? NaN)
    return { hit: n('hit'), miss: n('miss') }
  }
  const before = await read()
  t.ok(Number.isInteger(before.hit) && Number.isInteger(before.miss), '/metrics reports cni_answer_cache_answer_lookups_total')
  const values = cache.hits
  for (const url of ['/v1/instance-types/m5.large/max-pods?mode=overlay', '/v1/instance-types/m5.large/max-pods?mode=ipv6']) {
    t.equal((await app.inject(url)).statusCode, 200, url)
  }
  t.same(await read(), { hit: before.hit, miss: before.miss + 2 }, 'two new questions: two misses')
  t.ok(cache.hits > values, 'the second question found the type\'s max pods kept (a value, not an answer)')
  await app.inject('/v1/instance-types/m5.large/max-pods?mode=ipv6')
  t.same(await read(), { hit: before.hit + 1, miss: before.miss + 2 }, 'the same question again: one hit')
})

// What the cache counts for a worked-out value must be at least what V8 holds for it, or a budget of
// MEMORY_CACHE_MB holds more than that. Measured (heapUsed after gc, before and after keeping every
// type's value; src/answers/cache.ts estimateBytes): a type's density ~11.0 kB an entry, a priced view
// ~1.4 kB, a view in a region without prices ~1.3 kB.
// These check the counts against those figures, over every type of the seed, and against V8's least
// per shape (no timing, no heap readings: the counts are a pure function of the values).
t.test('worked-out values are counted at least at what V8 holds for them, kind by kind', async (t) => {
  const app = await buildTestApp(t)
  const pipe = app.ctx.answers
  const a = pipe.current()
  const types = orderedTypes(a.snap)
  // V8's least for a value: 24 B a heap object and 8 B a member or item, 16 B and one a character a flat
  // one-byte string, 16 B a boxed number; shared parts (property names, catalog strings) taken as held.
  const least = (v: unknown): number => {
    if (typeof v === 'string') return 16 + v.length
    if (typeof v === 'number') return Number.isInteger(v) ? 0 : 16
    if (typeof v !== 'object' || v === null) return 0
    const members = Object.values(v)
    return 24 + 8 * members.length + members.reduce<number>((n, m) => n + least(m), 0)
  }
  const kinds = [
    { kind: 'density', retained: 11_000, keep: (it: (typeof types)[number]) => defaultDensity(a, it) },
    { kind: 'view, priced', retained: 1_400, keep: (it: (typeof types)[number]) => instanceTypeView(a, it, 'us-east-1', 'on-demand') },
    { kind: 'view, no prices', retained: 1_300, keep: (it: (typeof types)[number]) => instanceTypeView(a, it, 'xx-test-1', 'on-demand') },
  ]
  for (const { kind, retained, keep } of kinds) {
    let counted = 0
    let floor = 0
    let below = 0
    for (const it of types) {
      const before = pipe.cache.bytes
      const value = keep(it)
      const bytes = pipe.cache.bytes - before
      counted += bytes
      floor += least(value)
      if (bytes < least(value)) below++
    }
    const perEntry = counted / types.length
    t.equal(below, 0, `${kind}: no value counted below V8's least for its shape`)
    t.ok(perEntry >= retained, `${kind}: ${Math.round(perEntry)} B counted an entry, at least the ~${retained} B measured`)
    t.ok(perEntry <= 1.5 * retained, `${kind}: and within 1.5× of it`)
    t.ok(counted >= floor, `${kind}: ${counted} B counted over the seed's types, V8's least ${floor}`)
  }
})

t.test('estimateBytes walks a value: shared parts once, cycles end, collections and two-byte strings counted', async (t) => {
  const shared = { text: 'x'.repeat(1000) }
  const once = estimateBytes({ a: shared })
  t.equal(estimateBytes({ a: shared, b: shared }), once + estimateBytes({ b: null }) - estimateBytes({}), 'a part shared within the value counted once')
  const cyclic: Record<string, unknown> = { name: 'loop' }
  cyclic['self'] = cyclic
  t.ok(estimateBytes(cyclic) > 0, 'a cycle ends the walk')
  t.ok(estimateBytes('−'.repeat(100)) >= 200, 'a two-byte string at two bytes a character')
  t.ok(estimateBytes(new Map([['k', 'v'.repeat(100)]])) > estimateBytes('v'.repeat(100)), 'a Map counts its entries')
  t.ok(estimateBytes(new Set(['s'.repeat(100)])) > estimateBytes('s'.repeat(100)), 'a Set counts its items')
  t.ok(estimateBytes(Buffer.alloc(4096)) >= 4096, 'a Buffer its bytes')
  t.ok(estimateBytes(0.5) > estimateBytes(5), 'a fraction is a boxed number, a small integer is not')
  const plain = { type: 'm5.large', counts: [1, 2, 3], note: 'é' }
  t.ok(estimateBytes(plain) >= Buffer.byteLength(JSON.stringify(plain)), 'a plain value at least at its JSON size')
})
