import t from 'tap'
import { buildTestApp } from '../helper.js'

t.test('security headers, CORS, rate limit and size limits', async (t) => {
  const app = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_SECONDS: '60' } })

  t.test('security headers: pages load only their own scripts; answers may not be rendered or framed', async (t) => {
    for (const url of ['/docs/static/index.html', '/graphiql', '/']) {
      const res = await app.inject({ url, remoteAddress: `10.0.0.${url.length}` })
      t.equal(res.headers['x-content-type-options'], 'nosniff', url)
      t.match(res.headers['content-security-policy'], /default-src 'self'/, url)
      t.match(res.headers['content-security-policy'], /script-src 'self'/, url)
      t.ok(res.headers['referrer-policy'], `${url}: a page says what its links may tell (Referrer-Policy)`)
    }
    for (const url of ['/v1/catalog', '/v1/instance-types/m5.large/max-pods', '/healthz']) {
      const res = await app.inject({ url, remoteAddress: `10.0.1.${url.length}` })
      t.equal(res.headers['x-content-type-options'], 'nosniff', url)
      t.equal(res.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'", url)
      t.notOk(res.headers['x-ratelimit-remaining'], 'no rate-limit headers until the limit is hit')
    }
  })

  t.test('CORS is off unless configured', async (t) => {
    const res = await app.inject({ url: '/v1/catalog', headers: { origin: 'https://evil.example' }, remoteAddress: '10.1.0.1' })
    t.notOk(res.headers['access-control-allow-origin'])
  })

  t.test('rate limit per client: 429 with Retry-After and the error shape; probes exempt', async (t) => {
    const ip = '10.2.0.1'
    const statuses: number[] = []
    let last
    for (let i = 0; i < 7; i++) {
      last = await app.inject({ url: '/v1/instance-types/m5.large/max-pods', remoteAddress: ip })
      statuses.push(last.statusCode)
    }
    t.same(statuses, [200, 200, 200, 200, 200, 429, 429])
    t.ok(Number(last!.headers['retry-after']) > 0, 'Retry-After says when to come back')
    t.same(Object.keys(last!.json()).sort(), ['error', 'message', 'statusCode'])
    t.match(last!.json().message, /rate limit exceeded: at most 5 requests per 1 minute/)
    const other = await app.inject({ url: '/v1/catalog', remoteAddress: '10.2.0.2' })
    t.equal(other.statusCode, 200, 'another client is not affected')
    for (let i = 0; i < 8; i++) {
      const probe = await app.inject({ url: '/readyz', remoteAddress: ip })
      t.equal(probe.statusCode, 200, 'readiness probes are never throttled')
    }
  })

  t.test('the 429 says the limit, the window and when to come back', async (t) => {
    const ip = '10.2.1.1'
    let res
    for (let i = 0; i < 6; i++) res = await app.inject({ url: '/v1/catalog', remoteAddress: ip })
    t.equal(res!.statusCode, 429)
    t.equal(res!.headers['x-ratelimit-limit'], '5')
    t.equal(res!.headers['x-ratelimit-remaining'], '0')
    t.equal(res!.headers['x-ratelimit-reset'], res!.headers['retry-after'])
    t.ok(res!.headers['x-request-id'], 'a refused request is named too')
    t.equal(res!.headers['x-content-type-options'], 'nosniff', 'and carries the security headers')
    t.match(res!.json().message, /^rate limit exceeded: at most 5 requests per 1 minute from one client; retry in \d+ s$/)
  })

  t.test('an IPv6 client counts by its /64; an IPv4-mapped one as its IPv4 address', async (t) => {
    const statuses: number[] = []
    for (let i = 1; i <= 6; i++) statuses.push((await app.inject({ url: '/v1/catalog', remoteAddress: `2001:db8:5:6::${i}` })).statusCode)
    t.same(statuses, [200, 200, 200, 200, 200, 429], 'six addresses of one /64 share one limit')
    t.equal((await app.inject({ url: '/v1/catalog', remoteAddress: '2001:db8:5:7::1' })).statusCode, 200, 'the next /64 has its own')
    const mapped: number[] = []
    for (let i = 0; i < 3; i++) mapped.push((await app.inject({ url: '/v1/catalog', remoteAddress: '10.2.2.1' })).statusCode)
    for (let i = 0; i < 3; i++) mapped.push((await app.inject({ url: '/v1/catalog', remoteAddress: '::ffff:10.2.2.1' })).statusCode)
    t.same(mapped, [200, 200, 200, 200, 200, 429])
  })

  t.test('requests no route matches get the same policy: id, headers, URL cap, rate limit', async (t) => {
    const ip = '10.4.0.1'
    const first = await app.inject({ url: '/v1/no-such-thing', remoteAddress: ip })
    t.equal(first.statusCode, 404)
    t.ok(first.headers['x-request-id'])
    t.equal(first.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'", 'an API path gets the API headers')
    const page = await app.inject({ url: '/no-such-page', remoteAddress: '10.4.0.2' })
    t.match(page.headers['content-security-policy'], /default-src 'self'/, 'anything else gets the pages\' headers')
    const statuses = [first.statusCode]
    for (let i = 0; i < 5; i++) statuses.push((await app.inject({ url: `/v1/no-such-thing-${i}`, remoteAddress: ip })).statusCode)
    t.same(statuses, [404, 404, 404, 404, 404, 429], 'unknown paths count against the same limit')
    const long = await app.inject({ url: `/nowhere?x=${'y'.repeat(9000)}`, remoteAddress: '10.4.0.3' })
    t.equal(long.statusCode, 414)
  })

  t.test('every route, however it was registered, carries the request id and its headers', async (t) => {
    const routes = ['/metrics', '/docs/json', '/graphiql', '/healthz', '/v1/charts/pods-per-node.svg?instanceTypes=m5.large']
    for (const [i, url] of routes.entries()) {
      const res = await app.inject({ url, remoteAddress: `10.5.0.${i}` })
      t.equal(res.statusCode, 200, url)
      t.ok(res.headers['x-request-id'], `${url}: x-request-id`)
      t.equal(res.headers['x-content-type-options'], 'nosniff', `${url}: nosniff`)
    }
  })

  t.test('limits on URL and body size answer in the error shape', async (t) => {
    const longUrl = await app.inject({ url: `/v1/recommendations?instanceTypes=${'m5.large,'.repeat(1000)}`, remoteAddress: '10.3.0.1' })
    t.equal(longUrl.statusCode, 414)
    t.match(longUrl.json().message, /at most 8192 are accepted/)
    const big = await app.inject({
      method: 'POST',
      url: '/v1/recommendations',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ region: 'x'.repeat(300 * 1024) }),
      remoteAddress: '10.3.0.2',
    })
    t.equal(big.statusCode, 413)
    t.equal(big.json().statusCode, 413)
    const proto = await app.inject({
      method: 'POST',
      url: '/v1/recommendations',
      headers: { 'content-type': 'application/json' },
      payload: '{"__proto__": {"polluted": true}}',
      remoteAddress: '10.3.0.3',
    })
    t.equal(proto.statusCode, 400, 'prototype poisoning is refused')
    t.equal(({} as Record<string, unknown>).polluted, undefined)
  })
})

t.test('CORS when configured: only the listed origins', async (t) => {
  const app = await buildTestApp(t, { env: { CORS_ORIGINS: 'https://portal.example.com' } })
  const ok = await app.inject({ url: '/v1/catalog', headers: { origin: 'https://portal.example.com' } })
  t.equal(ok.headers['access-control-allow-origin'], 'https://portal.example.com')
  const page = await app.inject({ url: '/graphiql' })
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/v1/recommendations',
    headers: { origin: 'https://portal.example.com', 'access-control-request-method': 'POST' },
  })
  t.equal(preflight.statusCode, 204)
  t.equal(preflight.headers['access-control-allow-origin'], 'https://portal.example.com')
  const no = await app.inject({ url: '/v1/catalog', headers: { origin: 'https://evil.example' } })
  t.notOk(no.headers['access-control-allow-origin'])
  t.match(page.headers['content-security-policy'], /frame-ancestors 'self' https:\/\/portal\.example\.com/, 'the portal may embed the pages')
})

t.test('with CORS on, a browser can read a 429 (and when to come back)', async (t) => {
  const app = await buildTestApp(t, { env: { CORS_ORIGINS: 'https://portal.example.com', RATE_LIMIT_MAX: '1' } })
  const ask = () => app.inject({ url: '/v1/catalog', headers: { origin: 'https://portal.example.com' }, remoteAddress: '10.6.0.1' })
  t.equal((await ask()).statusCode, 200)
  const refused = await ask()
  t.equal(refused.statusCode, 429)
  t.equal(refused.headers['access-control-allow-origin'], 'https://portal.example.com')
  t.match(refused.headers['access-control-expose-headers'], /retry-after/)
})

t.test('behind a trusted proxy, each client counts by the address the proxy names', async (t) => {
  const app = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '2', TRUST_PROXY: '1' } })
  const via = (client: string, forwarded = client) =>
    app.inject({ url: '/v1/catalog', remoteAddress: '10.8.0.1', headers: { 'x-forwarded-for': forwarded } }).then((r) => r.statusCode)
  t.same([await via('203.0.113.5'), await via('203.0.113.5'), await via('203.0.113.5')], [200, 200, 429], 'one client behind the proxy hits its limit')
  t.equal(await via('203.0.113.6'), 200, 'another client behind the same proxy has its own')
  // One hop is trusted: what the client put in front of the proxy's entry does not count.
  t.equal(await via('203.0.113.5', '198.51.100.1, 203.0.113.5'), 429, 'a client cannot take a fresh limit by naming another address')

  const direct = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '2' } })
  const spoof = (forwarded: string) => direct.inject({ url: '/v1/catalog', remoteAddress: '10.8.0.2', headers: { 'x-forwarded-for': forwarded } }).then((r) => r.statusCode)
  t.same([await spoof('1.1.1.1'), await spoof('2.2.2.2'), await spoof('3.3.3.3')], [200, 200, 429], 'without TRUST_PROXY the header is ignored')
})

t.test('Slack requests count per workspace, not per (shared) Slack address', async (t) => {
  const { createHmac } = await import('node:crypto')
  const secret = 'rate-limit-test-secret'
  const now = 1_800_000_000
  const app = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '2', SLACK_SIGNING_SECRET: secret }, deps: { clock: () => new Date(now * 1000) } })
  const post = (team: string) => {
    const body = new URLSearchParams({ command: '/cni', text: 'help', team_id: team, user_id: 'U1' }).toString()
    const signature = `v0=${createHmac('sha256', secret).update(`v0:${now}:${body}`).digest('hex')}`
    return app.inject({
      method: 'POST',
      url: '/slack/commands',
      remoteAddress: '3.3.3.3', // every workspace arrives from Slack's addresses
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(now), 'x-slack-signature': signature },
      payload: body,
    })
  }
  const a = [await post('TA'), await post('TA'), await post('TA')].map((r) => r.statusCode)
  t.same(a, [200, 200, 429], 'one workspace hits its limit')
  const refused = await post('TA')
  t.match(refused.json().message, /from one workspace; retry in \d+ s$/)
  t.equal((await post('TB')).statusCode, 200, 'another workspace from the same address is not affected')
})
