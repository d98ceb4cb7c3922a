// GET answers are kept under their URL (src/http/kept.ts): a repeat must be the same answer
// the long way would give, by catalog version, by Accept and by the day of the price freshness.
import t from 'tap'
import { buildTestApp } from '../helper.js'

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
  t.equal(app.ctx.catalog.current().answerFor<{ body: Buffer }>(`/v1/recommendations\n${body}`)?.body.toString(), first.payload, 'kept under the URL and the body as sent')
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
