// Issue 21: conditional requests. Every GET answer (REST JSON, CSV, charts, GraphQL by GET) carries a
// weak ETag of the catalog version and the canonical question, Last-Modified and Cache-Control; a client
// that sends back what it has gets a 304. An answer that shows price freshness is never kept past the
// moment its price age moves: max-age stops there, and the ETag changes there.
import t from 'tap'
import { CatalogSnapshot } from '../../src/catalog/snapshot.js'
import { cacheControl, noneMatch, notModifiedSince, parseHttpDate, validatorsFor } from '../../src/http/conditional.js'
import { buildTestApp, testConfig } from '../helper.js'

const DAY_MS = 86_400_000
const gql = (query: string) => `/graphql?${new URLSearchParams({ query })}`

// One request per door, each an answer kept per catalog version.
const DOORS: Array<[string, string]> = [
  ['REST JSON', '/v1/instance-types/m5.large/max-pods?mode=prefix-delegation'],
  ['REST JSON with prices', '/v1/capacity-plans?totalPods=1000&instanceTypes=m5.large,c6i.xlarge'],
  ['CSV', '/v1/capacity-plans?totalPods=1000&family=m5&format=csv'],
  ['chart', '/v1/charts/pods-per-node.svg?instanceTypes=m5.large,c5.xlarge'],
  ['GraphQL GET', gql('{ maxPods(instanceType: "m5.large", mode: PREFIX_DELEGATION) { maxPods recommendedMaxPods } }')],
]

t.test('every door answers with validators, and 304 to a client that has the answer', async (t) => {
  const app = await buildTestApp(t)
  for (const [door, url] of DOORS) {
    t.test(door, async (t) => {
      const first = await app.inject({ url, headers: { 'accept-encoding': 'gzip' } })
      t.equal(first.statusCode, 200)
      const etag = String(first.headers.etag)
      t.match(etag, /^W\/"\d+\.[\w-]{22}"$/, 'a weak ETag: the catalog version and a hash of the question')
      t.match(first.headers['last-modified'], /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/, 'Last-Modified, an HTTP date')
      t.match(first.headers['cache-control'], /^public, max-age=\d+$/)

      const again = await app.inject({ url, headers: { 'if-none-match': etag, 'accept-encoding': 'gzip' } })
      t.equal(again.statusCode, 304, 'If-None-Match with its ETag: 304')
      t.equal(again.body, '', 'no body')
      t.equal(again.headers.etag, etag, 'the same ETag')
      t.equal(again.headers['cache-control'], first.headers['cache-control'], 'the same Cache-Control')
      t.equal(again.headers['content-encoding'], undefined, 'nothing encoded')
      if (first.headers.vary) t.match(String(again.headers.vary), String(first.headers.vary), 'the same Vary')

      t.equal((await app.inject({ url, headers: { 'if-none-match': etag } })).statusCode, 304, 'the same ETag revalidates the identity form (weak comparison)')
      t.equal((await app.inject({ url, headers: { 'if-none-match': etag.slice(2) } })).statusCode, 304, 'and its strong spelling')
      t.equal((await app.inject({ url, headers: { 'if-none-match': `W/"1.other", ${etag}` } })).statusCode, 304, 'one of a list')
      t.equal((await app.inject({ url, headers: { 'if-none-match': '*' } })).statusCode, 304, '*')
      t.equal((await app.inject({ url, headers: { 'if-none-match': 'W/"1.other"' } })).statusCode, 200, 'another ETag: 200')

      const lastModified = String(first.headers['last-modified'])
      t.equal((await app.inject({ url, headers: { 'if-modified-since': lastModified } })).statusCode, 304, 'If-Modified-Since its Last-Modified: 304')
      const before = new Date(Date.parse(lastModified) - 1000).toUTCString()
      t.equal((await app.inject({ url, headers: { 'if-modified-since': before } })).statusCode, 200, 'a second earlier: 200')
      t.equal((await app.inject({ url, headers: { 'if-modified-since': 'yesterday' } })).statusCode, 200, 'not a date: ignored')
      const both = await app.inject({ url, headers: { 'if-none-match': 'W/"1.other"', 'if-modified-since': lastModified } })
      t.equal(both.statusCode, 200, 'If-None-Match decides when both are sent (If-Modified-Since is then ignored)')
      t.equal((await app.inject({ method: 'HEAD', url, headers: { 'if-none-match': etag } })).statusCode, 304, 'HEAD too')
    })
  }

  t.test('a different question, format or catalog version is a different ETag', async (t) => {
    const tag = async (url: string, headers: Record<string, string> = {}) => String((await app.inject({ url, headers })).headers.etag)
    const plan = '/v1/capacity-plans?totalPods=1000&family=m5'
    t.not(await tag(plan), await tag(`${plan}&format=csv`), 'JSON and CSV of one question')
    t.not(await tag(plan), await tag('/v1/capacity-plans?totalPods=1001&family=m5'), 'another question')
    t.equal(await tag(plan), await tag('/v1/capacity-plans?family=m5&totalPods=1000'), 'the same question asked in another order: the canonical question')
    t.equal(await tag(plan), await tag(plan, { 'accept-encoding': 'gzip' }), 'identity and gzip: one answer, one (weak) tag')
    t.not(await tag(gql('{ maxPods(instanceType: "m5.large") { maxPods } }')), await tag(gql('{ maxPods(instanceType: "m5.xlarge") { maxPods } }')), 'GraphQL')
    const other = new CatalogSnapshot({ version: 2, createdAt: '2026-12-01T00:00:00.000Z', source: 'aws', instanceTypes: 0, prices: 0 }, [], [])
    const same = new CatalogSnapshot({ version: 1, createdAt: '2026-12-01T00:00:00.000Z', source: 'aws', instanceTypes: 0, prices: 0 }, [], [])
    const config = testConfig()
    t.not(validatorsFor(config, other, 'json:x', { from: -Infinity, until: Infinity }, 0).etag, validatorsFor(config, same, 'json:x', { from: -Infinity, until: Infinity }, 0).etag, 'another catalog version')
  })

  t.test('a GET whose format came from Accept varies on it', async (t) => {
    const res = await app.inject({ url: '/v1/capacity-plans?totalPods=1000&family=m5', headers: { accept: 'text/csv' } })
    t.match(res.headers['content-type'], /^text\/csv/)
    t.match(String(res.headers.vary), /\baccept\b/)
    const q = await app.inject('/v1/capacity-plans?totalPods=1000&family=m5&format=csv')
    t.notMatch(String(q.headers.vary), /\baccept(,|$)/, 'not when the query names the format')
  })

  t.test('only GET answers are conditional; errors carry no validators', async (t) => {
    const post = await app.inject({ method: 'POST', url: '/v1/capacity-plans', payload: { totalPods: 1000, family: 'm5' }, headers: { 'if-none-match': '*' } })
    t.equal(post.statusCode, 200, 'a POST is answered whatever If-None-Match says')
    t.equal(post.headers.etag, undefined)
    const missing = await app.inject({ url: '/v1/instance-types/m5.nonesuch', headers: { 'if-none-match': '*' } })
    t.equal(missing.statusCode, 404)
    t.equal(missing.headers.etag, undefined)
    const refused = await app.inject({ url: gql('{ maxPods(instanceType: "m5.nonesuch") { maxPods } }') })
    t.match(refused.json(), { errors: [{ extensions: { code: 'NOT_FOUND' } }] })
    t.equal(refused.headers.etag, undefined, 'a GraphQL answer with errors: no ETag')
    t.notMatch(String(refused.headers['cache-control']), /max-age=[1-9]/, 'and not cached')
  })
})

t.test('an answer showing price freshness is not kept past the moment its price age moves', async (t) => {
  let now = Date.parse('2026-12-01T12:00:00.000Z')
  const app = await buildTestApp(t, { deps: { clock: () => new Date(now) } })
  const asOf = Date.parse(app.ctx.catalog.current().regionPrices('us-east-1')!.oldestAsOf)
  // Ten seconds before the prices' day count moves, some 40 days after their date.
  now = asOf + 40 * DAY_MS - 10_000
  const plan = '/v1/capacity-plans?totalPods=1000&instanceTypes=m5.large'
  const before = await app.inject(plan)
  t.equal(before.json().catalog.priceAgeDays, 39)
  t.equal(before.headers['cache-control'], 'public, max-age=10', 'max-age ends when the price age moves')
  const etag = String(before.headers.etag)
  t.equal((await app.inject({ url: plan, headers: { 'if-none-match': etag } })).statusCode, 304, 'still the same answer')
  const withoutPrices = await app.inject('/v1/instance-types/m5.large/max-pods')
  t.equal(withoutPrices.headers['cache-control'], 'public, max-age=300', 'an answer without prices keeps CACHE_MAX_AGE_SECONDS')
  const gqlUrl = gql('{ catalog { stale regions { region priceAgeDays } } }')
  const gqlBefore = await app.inject(gqlUrl)
  t.match(gqlBefore.headers['cache-control'], /^public, max-age=([0-9]|10)$/, 'GraphQL: bounded by every region\'s price age')

  now += 20_000
  const after = await app.inject({ url: plan, headers: { 'if-none-match': etag } })
  t.equal(after.statusCode, 200, 'past that moment the old ETag gets the new answer, not a 304')
  t.equal(after.json().catalog.priceAgeDays, 40)
  t.not(after.headers.etag, etag, 'with a new ETag')
  t.ok(Date.parse(String(after.headers['last-modified'])) >= Date.parse(String(before.headers['last-modified'])), 'Last-Modified moves on with it')
  t.equal((await app.inject({ url: plan, headers: { 'if-modified-since': String(before.headers['last-modified']) } })).statusCode, 200, 'If-Modified-Since the old date: 200')
  t.equal((await app.inject({ url: gqlUrl, headers: { 'if-none-match': String(gqlBefore.headers.etag) } })).statusCode, 200, 'GraphQL too')
  t.equal((await app.inject({ url: '/v1/instance-types/m5.large/max-pods', headers: { 'if-none-match': String(withoutPrices.headers.etag) } })).statusCode, 304, 'an answer without prices is unchanged')
})

t.test('CACHE_MAX_AGE_SECONDS', async (t) => {
  t.equal(testConfig().cacheMaxAgeSeconds, 300, 'five minutes by default')
  t.equal(testConfig({ CACHE_MAX_AGE_SECONDS: '60' }).cacheMaxAgeSeconds, 60)
  t.throws(() => testConfig({ CACHE_MAX_AGE_SECONDS: 'soon' }), { name: 'ConfigError', message: /CACHE_MAX_AGE_SECONDS must be a whole number from 0 to 86400/ })
  t.throws(() => testConfig({ CACHE_MAX_AGE_SECONDS: '86401' }), { name: 'ConfigError', message: /CACHE_MAX_AGE_SECONDS/ })
  const app = await buildTestApp(t, { env: { CACHE_MAX_AGE_SECONDS: '0' } })
  const res = await app.inject('/v1/instance-types/m5.large/max-pods')
  t.equal(res.headers['cache-control'], 'public, no-cache', '0: every use revalidates')
  t.equal((await app.inject({ url: '/v1/instance-types/m5.large/max-pods', headers: { 'if-none-match': String(res.headers.etag) } })).statusCode, 304, '…and revalidation is a 304')
})

t.test('the parts', async (t) => {
  // RFC 9110 §5.6.7's example date in its three forms.
  const ms = Date.parse('1994-11-06T08:49:37Z')
  t.equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT'), ms, 'IMF-fixdate')
  t.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT'), ms, 'RFC 850')
  t.equal(parseHttpDate('Sun Nov  6 08:49:37 1994'), ms, 'asctime, read as GMT')
  for (const bad of ['1994-11-06T08:49:37Z', '2026', 'Sun, 06 Nov 1994 08:49:37 PST', '']) t.equal(parseHttpDate(bad), null, `not an HTTP-date: ${JSON.stringify(bad)}`)
  t.ok(notModifiedSince('Sun, 06 Nov 1994 08:49:37 GMT', ms))
  t.notOk(notModifiedSince('Sun, 06 Nov 1994 08:49:36 GMT', ms))
  t.ok(noneMatch('"a", W/"b"', 'W/"b"'))
  t.notOk(noneMatch('"ab"', 'W/"b"'))
  t.equal(cacheControl(300, Infinity, 0), 'public, max-age=300')
  t.equal(cacheControl(300, 90_500, 0), 'public, max-age=90', 'cut to the end of the span, whole seconds down')
  t.equal(cacheControl(300, 10, 20), 'public, max-age=0', 'a span already over')
  t.equal(cacheControl(0, Infinity, 0), 'public, no-cache')
})
