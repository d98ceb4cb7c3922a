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
    }
    for (const url of ['/v1/catalog', '/v1/instance-types/m5.large/max-pods', '/healthz']) {
      const res = await app.inject({ url, remoteAddress: `10.0.1.${url.length}` })
      t.equal(res.headers['x-content-type-options'], 'nosniff', url)
      t.equal(res.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'", url)
      t.equal(res.headers['referrer-policy'], 'no-referrer', url)
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
  const no = await app.inject({ url: '/v1/catalog', headers: { origin: 'https://evil.example' } })
  t.notOk(no.headers['access-control-allow-origin'])
  t.match(page.headers['content-security-policy'], /frame-ancestors 'self' https:\/\/portal\.example\.com/, 'the portal may embed the pages')
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
  t.equal((await post('TB')).statusCode, 200, 'another workspace from the same address is not affected')
})
