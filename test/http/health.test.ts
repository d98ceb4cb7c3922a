import t from 'tap'
import { buildTestApp } from '../helper.js'

t.test('healthz, readyz, docs and the error shape', async (t) => {
  const app = await buildTestApp(t)

  const health = await app.inject('/healthz')
  t.equal(health.statusCode, 200)
  t.same(health.json(), { status: 'ok' })
  t.ok(health.headers['x-request-id'], 'every answer carries its request id')

  const ready = await app.inject('/readyz')
  t.equal(ready.statusCode, 200)
  t.equal(ready.json().status, 'ready')
  t.type(ready.json().catalogVersion, 'number')

  const missing = await app.inject('/nope?x=1')
  t.equal(missing.statusCode, 404)
  t.same(Object.keys(missing.json()).sort(), ['error', 'message', 'statusCode'])
  t.match(missing.json().message, /GET \/nope not found/)

  const given = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123' } })
  t.equal(given.headers['x-request-id'], 'abc-123', 'a sane incoming request id is kept')

  const docs = await app.inject('/docs/json')
  t.equal(docs.statusCode, 200)
  t.equal(docs.json().openapi.slice(0, 2), '3.')
  t.ok(docs.json().paths['/readyz'], 'routes appear in the OpenAPI document')
})

t.test('readyz turns 503 with the reason when the database does not answer', async (t) => {
  const app = await buildTestApp(t)
  const ping = app.ctx.db.ping
  app.ctx.db.ping = async () => {
    throw new Error('connection refused')
  }
  t.teardown(() => {
    app.ctx.db.ping = ping
  })
  const res = await app.inject('/readyz')
  t.equal(res.statusCode, 503)
  t.match(res.json().message, /database .* does not answer: connection refused/)
})
