import t from 'tap'
import { gunzipSync } from 'node:zlib'
import { acceptsGzip, MIN_GZIP_BYTES } from '../../src/http/encoding.js'
import { buildTestApp } from '../helper.js'

// The subtests that need no settings of their own share one app: each asks its own questions and
// none writes to the catalog.
const shared = await buildTestApp(t)

t.test('Accept-Encoding: gzip is taken when the client allows it, and only then', async (t) => {
  const cases: Array<[string | string[] | undefined, boolean]> = [
    [undefined, false],
    ['', false],
    ['identity', false],
    ['br', false],
    ['deflate, br', false],
    ['gzip', true],
    ['GZIP', true],
    ['x-gzip', true],
    ['gzip, deflate, br', true], // undici fetch, browsers
    ['br;q=1.0, gzip;q=0.8, *;q=0.1', true],
    ['gzip;q=0', false],
    ['gzip; q=0.000', false],
    ['gzip;q=0.001', true],
    ['gzip;Q=0.5', true],
    ['gzip;q=1', true],
    ['gzip;q=1.000', true],
    ['gzip;q=2', false], // out of range: counted as 0
    ['gzip;q=abc', false], // malformed weight: 0 for this entry
    ['gzip;level=9', true], // another parameter: the weight stays 1
    ['gzip;q=0.5.5', false], // malformed weight: 0 for this entry
    ['*', true],
    ['*;q=0', false],
    ['*, gzip;q=0', false], // gzip named and refused: * does not bring it back
    ['gzip;q=0, *', false],
    ['identity;q=1, *;q=0', false],
    [['deflate', 'gzip'], true], // a repeated header
    [' gzip ; q=0.5 ', true],
    ['gzipx', false],
    ['a'.repeat(2000) + ',gzip', false], // absurdly long headers are not parsed
  ]
  for (const [header, expected] of cases) t.equal(acceptsGzip(header), expected, JSON.stringify(header))
})

t.test('kept answers go gzipped to clients that accept it, byte for byte the same content', async (t) => {
  const app = shared
  const gzip = { 'accept-encoding': 'gzip, deflate, br' }
  const doors: Array<{ name: string; method: 'GET' | 'POST'; url: string; payload?: object }> = [
    { name: 'REST recommendation', method: 'POST', url: '/v1/recommendations', payload: { performance: 'high', networkPolicy: 'required', totalPods: 3000 } },
    { name: 'recommendation CSV', method: 'GET', url: '/v1/recommendations?encryption=required&format=csv' },
    { name: 'capacity plan CSV', method: 'GET', url: '/v1/capacity-plans?totalPods=3000&format=csv' },
    { name: 'capacity plan JSON', method: 'GET', url: '/v1/capacity-plans?totalPods=3000&instanceTypes=m5.large,m6i.large' },
    { name: 'instance types CSV', method: 'GET', url: '/v1/instance-types?family=m5&format=csv' },
    { name: 'instance types JSON', method: 'GET', url: '/v1/instance-types?family=m5' },
  ]
  for (const d of doors) {
    const plain = await app.inject({ method: d.method, url: d.url, payload: d.payload })
    t.equal(plain.statusCode, 200, `${d.name}: 200`)
    t.ok(plain.rawPayload.length >= MIN_GZIP_BYTES, `${d.name}: a body big enough to compress (${plain.rawPayload.length} bytes)`)
    t.equal(plain.headers['content-encoding'], undefined, `${d.name}: no gzip unless asked`)
    // (A GET without `format` also varies by Accept, which may ask for CSV: test/http/conditional.test.ts.)
    t.match(plain.headers.vary, /^(accept, )?accept-encoding$/, `${d.name}: says it varies by Accept-Encoding`)

    for (let i = 0; i < 2; i++) {
      const zipped = await app.inject({ method: d.method, url: d.url, payload: d.payload, headers: gzip })
      t.equal(zipped.statusCode, 200)
      t.equal(zipped.headers['content-encoding'], 'gzip', `${d.name}: gzipped`)
      t.equal(zipped.headers.vary, plain.headers.vary)
      t.equal(zipped.headers['content-type'], plain.headers['content-type'], `${d.name}: same content type`)
      t.equal(Number(zipped.headers['content-length']), zipped.rawPayload.length, `${d.name}: content-length is the compressed size`)
      t.ok(zipped.rawPayload.length < plain.rawPayload.length / 2, `${d.name}: ${plain.rawPayload.length} → ${zipped.rawPayload.length} bytes`)
      t.ok(gunzipSync(zipped.rawPayload).equals(plain.rawPayload), `${d.name}: unzips to the very same bytes`)
    }

    const refused = await app.inject({ method: d.method, url: d.url, payload: d.payload, headers: { 'accept-encoding': 'gzip;q=0, br' } })
    t.equal(refused.headers['content-encoding'], undefined, `${d.name}: gzip;q=0 is respected`)
    t.ok(refused.rawPayload.equals(plain.rawPayload))
  }
})

t.test('small answers and errors go as they are', async (t) => {
  const app = shared
  const small = await app.inject({ url: '/v1/instance-types/m5.large/max-pods', headers: { 'accept-encoding': 'gzip' } })
  t.equal(small.statusCode, 200)
  t.ok(small.rawPayload.length < MIN_GZIP_BYTES, 'max-pods is under the threshold')
  t.equal(small.headers['content-encoding'], undefined)
  t.equal(small.headers.vary, undefined, 'never compressed, so it does not vary')
  t.equal(small.json().maxPods, 29)

  const bad = await app.inject({ url: '/v1/recommendations?performance=warp', headers: { 'accept-encoding': 'gzip' } })
  t.equal(bad.statusCode, 400)
  t.equal(bad.headers['content-encoding'], undefined)
  t.match(bad.json(), { field: 'performance' })
})

t.test('GraphQL: answers go gzipped too, the first and the kept ones alike', async (t) => {
  const app = shared
  const query = `{ recommend(requirements: { performance: HIGH, networkPolicy: REQUIRED, instanceTypes: ["m5.large"] }) {
    summary options { id score verdict criteria { criterion reason } } } }`
  const headers = { 'content-type': 'application/json', 'accept-encoding': 'gzip' }
  const first = await app.inject({ method: 'POST', url: '/graphql', headers, payload: { query } })
  t.equal(first.statusCode, 200)
  t.equal(first.headers['content-encoding'], 'gzip', 'the first answer, computed and kept, goes gzipped too')
  t.equal(first.headers.vary, 'accept-encoding')
  t.equal(Number(first.headers['content-length']), first.rawPayload.length)
  const firstBody = gunzipSync(first.rawPayload)
  t.ok(firstBody.length >= MIN_GZIP_BYTES, `a big answer (${firstBody.length} bytes)`)
  const second = await app.inject({ method: 'POST', url: '/graphql', headers, payload: { query } })
  t.equal(second.headers['content-encoding'], 'gzip', 'the kept answer is sent gzipped')
  t.same(JSON.parse(gunzipSync(second.rawPayload).toString('utf8')), JSON.parse(firstBody.toString('utf8')))
  const plain = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: { query } })
  t.equal(plain.headers['content-encoding'], undefined)
  t.same(plain.json(), JSON.parse(firstBody.toString('utf8')))
})

t.test('with CORS on, Vary keeps Origin and adds Accept-Encoding', async (t) => {
  const app = await buildTestApp(t, { env: { CORS_ORIGINS: 'https://portal.example.com' } })
  const res = await app.inject({
    method: 'POST',
    url: '/v1/recommendations',
    headers: { origin: 'https://portal.example.com', 'accept-encoding': 'gzip' },
    payload: { performance: 'high' },
  })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['access-control-allow-origin'], 'https://portal.example.com')
  t.equal(res.headers['content-encoding'], 'gzip')
  t.same(String(res.headers.vary).split(/\s*,\s*/).map((v) => v.toLowerCase()).sort(), ['accept-encoding', 'origin'])
})

t.test('GraphQL errors and mutations are not kept, and go as they are', async (t) => {
  const app = shared
  const headers = { 'content-type': 'application/json', 'accept-encoding': 'gzip' }
  const bad = await app.inject({ method: 'POST', url: '/graphql', headers, payload: { query: '{ maxPods(instanceType: "m5.large", mode: WARP) { maxPods } }' } })
  t.equal(bad.headers['content-encoding'], undefined)
  t.ok(bad.json().errors.length > 0)
})
