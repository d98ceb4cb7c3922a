// Liveness, readiness ("can answer": the catalog decides, the database is reported), docs, the error
// shape, and what the default settings leave off (CORS, trusting X-Forwarded-For). One app for the file.
import t from 'tap'
import { DatabaseCheck, describeDatabaseError, redactAddresses, READY_DB_WAIT_MS } from '../../src/http/routes/health.js'
import { buildTestApp } from '../helper.js'

t.test('health, readiness and the defaults of the request policy', async (t) => {
  // A rate limit low enough to see, with the default TRUST_PROXY (off) and CORS (off).
  const app = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '3' } })

  t.test('healthz, readyz, docs and the error shape', async (t) => {
    const health = await app.inject('/healthz')
    t.equal(health.statusCode, 200)
    t.same(health.json(), { status: 'ok' })
    t.ok(health.headers['x-request-id'], 'every answer carries its request id')

    const ready = await app.inject('/readyz')
    t.equal(ready.statusCode, 200)
    t.same(ready.json(), { status: 'ready', database: app.ctx.db.kind, databaseUp: true, catalogVersion: app.ctx.catalog.current().version })

    const missing = await app.inject({ url: '/nope?x=1', remoteAddress: '10.0.0.1' })
    t.equal(missing.statusCode, 404)
    t.same(Object.keys(missing.json()).sort(), ['error', 'message', 'statusCode'])
    t.match(missing.json().message, /GET \/nope not found/)

    const given = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123' } })
    t.equal(given.headers['x-request-id'], 'abc-123', 'a sane incoming request id is kept')

    const docs = await app.inject({ url: '/docs/json', remoteAddress: '10.0.0.2' })
    t.equal(docs.statusCode, 200)
    t.equal(docs.json().openapi.slice(0, 2), '3.')
    t.ok(docs.json().paths['/readyz'], 'routes appear in the OpenAPI document')
    t.match(docs.json().paths['/readyz'].get.description, /can answer/, 'the readiness semantics are documented')
  })

  t.test('the database down: still ready (answers come from the catalog), the body says so, no address', async (t) => {
    const ping = app.ctx.db.ping
    t.teardown(() => {
      app.ctx.db.ping = ping
    })
    app.ctx.db.ping = async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 10.20.30.40:5432'), { code: 'ECONNREFUSED', address: '10.20.30.40', port: 5432 })
    }
    const res = await app.inject('/readyz')
    t.equal(res.statusCode, 200, 'a replica with a catalog stays ready')
    t.match(res.json(), {
      status: 'ready',
      database: app.ctx.db.kind,
      databaseUp: false,
      databaseError: /^the database \(\w+\) does not answer: connection refused; answers continue from the catalog in memory$/,
      catalogVersion: app.ctx.catalog.current().version,
    })
    t.notMatch(res.body, /10\.20\.30\.40|5432/, 'neither the address nor the port')

    app.ctx.db.ping = async () => {
      throw Object.assign(new Error('password authentication failed for user "cni" at db.internal.example:5432'), { code: '28P01' })
    }
    const auth = await app.inject('/readyz')
    t.match(auth.json().databaseError, /does not answer: authentication failed;/)
    t.notMatch(auth.body, /cni"|db\.internal/, 'no user, no host')

    // A database that never answers: the probe is answered within the wait (under the probe's 3 s
    // timeout), and probes that come meanwhile share the one ping in flight.
    let pings = 0
    let release: () => void = () => {}
    app.ctx.db.ping = () => {
      pings++
      return new Promise<void>((resolve) => {
        release = resolve
      })
    }
    const started = Date.now()
    const frozen = await Promise.all([app.inject('/readyz'), app.inject('/readyz'), app.inject('/readyz')])
    const took = Date.now() - started
    for (const r of frozen) {
      t.equal(r.statusCode, 200)
      t.equal(r.json().databaseUp, false)
      t.match(r.json().databaseError, new RegExp(`no answer within ${READY_DB_WAIT_MS} ms`))
    }
    t.ok(took >= READY_DB_WAIT_MS - 50 && took < 2500, `answered after the ${READY_DB_WAIT_MS} ms wait (${took} ms)`)
    await app.inject('/readyz')
    t.equal(pings, 1, 'one ping in flight, however many probes')
    release()
    app.ctx.db.ping = ping
    const back = await app.inject('/readyz')
    t.equal(back.json().databaseUp, true, 'up again as soon as it answers')
  })

  t.test('a ping that never settles is given up, so the database is seen coming back', async (t) => {
    let now = 0
    const logged: string[] = []
    const log = { warn: (_o: object, msg?: string) => logged.push(`warn ${msg}`), info: (_o: object, msg?: string) => logged.push(`info ${msg}`) }
    let pings = 0
    let frozen = true
    const db = {
      kind: 'postgres' as const,
      ping: () => {
        pings++
        return frozen ? new Promise<void>(() => {}) : Promise.resolve()
      },
    }
    const check = new DatabaseCheck(db, log, 10_000, () => now)
    t.equal(await check.run(5), 'no answer within 5 ms')
    now = 9_999
    t.equal(await check.run(5), 'no answer within 5 ms')
    t.equal(pings, 1, 'the ping in flight is waited on again')
    frozen = false
    now = 10_000
    t.equal(await check.run(5), null, 'past stalePingMs a new ping starts, and answers')
    t.equal(pings, 2)
    t.same(logged, ['warn readiness: the database does not answer; answering from the catalog in memory', 'info readiness: the database answers again'], 'logged once going down, once coming back')
  })

  t.test('no catalog: not ready (503), with the reason and no address', async (t) => {
    const catalog = app.ctx.catalog
    Object.defineProperty(catalog, 'loaded', { configurable: true, get: () => false })
    Object.defineProperty(catalog, 'error', { configurable: true, get: () => 'connect ECONNREFUSED 10.20.30.40:5432 (postgres://cni:pw@db.internal:5432/cni)' })
    t.teardown(() => {
      delete (catalog as unknown as Record<string, unknown>).loaded
      delete (catalog as unknown as Record<string, unknown>).error
    })
    const res = await app.inject('/readyz')
    t.equal(res.statusCode, 503)
    t.same(Object.keys(res.json()).sort(), ['error', 'message', 'statusCode'])
    t.match(res.json().message, /^not ready: the catalog is not loaded \(connect ECONNREFUSED <address> \(<address>\)\); the database answers$/)
    t.notMatch(res.body, /10\.20|5432|db\.internal|pw/)
  })

  t.test('database errors are named by kind, never by where the database is', async (t) => {
    const cases: Array<[unknown, string]> = [
      [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'connection refused'],
      [Object.assign(new Error('getaddrinfo ENOTFOUND db.internal'), { code: 'ENOTFOUND' }), 'host name not found'],
      [Object.assign(new AggregateError([Object.assign(new Error('connect ETIMEDOUT ::1:5432'), { code: 'ETIMEDOUT' })], 'x'), {}), 'connection timed out'],
      [Object.assign(new Error('database "cni" does not exist'), { code: '3D000' }), 'the database does not exist'],
      [Object.assign(new Error('sorry, too many clients already'), { code: '53300' }), 'too many connections'],
      [Object.assign(new Error('no pg_hba.conf entry for host "10.1.2.3"'), { code: '28000' }), 'authentication failed'],
      [Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), 'the server is shutting down'],
      [Object.assign(new Error('odd'), { code: '22P02' }), 'error 22P02'],
      [new Error('Connection terminated unexpectedly'), 'connection terminated'],
      [new Error('timeout exceeded when trying to connect'), 'connection timed out'],
      [new Error('something at 10.1.2.3'), 'query failed'],
      ['not even an error', 'query failed'],
    ]
    for (const [err, kind] of cases) t.equal(describeDatabaseError(err), kind, kind)
    const redacted: Array<[string, string]> = [
      ['connect ECONNREFUSED 127.0.0.1:5432', 'connect ECONNREFUSED <address>'],
      ['connect ECONNREFUSED ::1:5432, connect ECONNREFUSED 127.0.0.1:5432', 'connect ECONNREFUSED <address>, connect ECONNREFUSED <address>'],
      ['connect ECONNREFUSED [2001:db8::5]:5432', 'connect ECONNREFUSED <address>'],
      ['getaddrinfo ENOTFOUND db.internal.example.com', 'getaddrinfo ENOTFOUND'],
      ['postgres://cni:s3cret@db.example.com:5432/cni failed', '<address> failed'],
      ['could not reach cni@db.example.com', 'could not reach <address>'],
      ['could not connect to db-primary:5432', 'could not connect to <address>'],
      ['could not connect to rds.amazonaws.com:5432', 'could not connect to <address>'],
      ['catalog not loaded yet', 'catalog not loaded yet'],
    ]
    for (const [message, expected] of redacted) t.equal(redactAddresses(message), expected, message)
  })

  t.test('CORS is off unless configured', async (t) => {
    const res = await app.inject({ url: '/v1/catalog', headers: { origin: 'https://evil.example' }, remoteAddress: '10.1.0.1' })
    t.notOk(res.headers['access-control-allow-origin'])
  })

  t.test('without TRUST_PROXY, X-Forwarded-For is ignored: a client cannot take a fresh limit by naming another address', async (t) => {
    const spoof = (forwarded: string) => app.inject({ url: '/v1/catalog', remoteAddress: '10.8.0.2', headers: { 'x-forwarded-for': forwarded } }).then((r) => r.statusCode)
    t.same([await spoof('1.1.1.1'), await spoof('2.2.2.2'), await spoof('3.3.3.3'), await spoof('4.4.4.4')], [200, 200, 200, 429])
  })
})
