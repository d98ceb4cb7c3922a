// The request policy on one app: security headers, CORS, the rate limit (per client address first, per
// Slack workspace only once signed), the URL caps, and malformed URLs going through all of it.
// One app for the whole file (building one takes seconds): each test uses client addresses of its own.
import t from 'tap'
import { signSlackRequest } from '../../src/slack/signature.js'
import { buildTestApp } from '../helper.js'

const SECRET = 'rate-limit-test-secret'
const NOW_S = Math.floor(Date.now() / 1000)
const PORTAL = 'https://portal.example.com'

t.test('security headers, CORS, rate limit and size limits', async (t) => {
  const app = await buildTestApp(t, {
    env: { RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_SECONDS: '60', CORS_ORIGINS: PORTAL, TRUST_PROXY: '1', SLACK_SIGNING_SECRET: SECRET },
    deps: { clock: () => new Date(NOW_S * 1000) },
  })
  const limiter = app.requestPolicy.limiter!

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
    }
  })

  t.test('every rate-limited answer says the limit, what is left and when it resets; probes are not counted', async (t) => {
    const ip = '10.2.5.1'
    const seen: Array<[number, string | undefined, string | undefined, string | undefined]> = []
    for (let i = 0; i < 6; i++) {
      const res = await app.inject({ url: i % 2 ? '/v1/catalog' : '/v1/instance-types/m5.large/max-pods', remoteAddress: ip })
      seen.push([res.statusCode, res.headers['x-ratelimit-limit'] as string, res.headers['x-ratelimit-remaining'] as string, res.headers['retry-after'] as string])
      t.ok(Number(res.headers['x-ratelimit-reset']) >= 1 && Number(res.headers['x-ratelimit-reset']) <= 60, 'reset: seconds until the window ends')
    }
    t.same(
      seen.map(([code, limit, remaining, retry]) => [code, limit, remaining, retry === undefined ? null : 'retry-after']),
      [
        [200, '5', '4', null],
        [200, '5', '3', null],
        [200, '5', '2', null],
        [200, '5', '1', null],
        [200, '5', '0', null],
        [429, '5', '0', 'retry-after'],
      ],
    )
    const probe = await app.inject({ url: '/readyz', remoteAddress: ip })
    t.equal(probe.statusCode, 200)
    t.notOk(probe.headers['x-ratelimit-limit'], 'a probe is not rate-limited, so it says nothing about the limit')
  })

  t.test('CORS: only the listed origins; a browser can read a 429 and the limit headers', async (t) => {
    const no = await app.inject({ url: '/v1/catalog', headers: { origin: 'https://evil.example' }, remoteAddress: '10.1.0.1' })
    t.notOk(no.headers['access-control-allow-origin'])
    const ok = await app.inject({ url: '/v1/catalog', headers: { origin: PORTAL }, remoteAddress: '10.1.0.2' })
    t.equal(ok.headers['access-control-allow-origin'], PORTAL)
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/v1/recommendations',
      headers: { origin: PORTAL, 'access-control-request-method': 'POST' },
      remoteAddress: '10.1.0.3',
    })
    t.equal(preflight.statusCode, 204)
    t.equal(preflight.headers['access-control-allow-origin'], PORTAL)
    const page = await app.inject({ url: '/graphiql', remoteAddress: '10.1.0.4' })
    t.match(page.headers['content-security-policy'], /frame-ancestors 'self' https:\/\/portal\.example\.com/, 'the portal may embed the pages')

    let refused
    for (let i = 0; i < 6; i++) refused = await app.inject({ url: '/v1/catalog', headers: { origin: PORTAL }, remoteAddress: '10.6.0.1' })
    t.equal(refused!.statusCode, 429)
    t.equal(refused!.headers['access-control-allow-origin'], PORTAL)
    for (const h of ['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) {
      t.match(refused!.headers['access-control-expose-headers'], new RegExp(h), `${h} is exposed to the page`)
    }
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
    t.equal(first.headers['x-ratelimit-remaining'], '4')
    t.equal(first.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'", 'an API path gets the API headers')
    const page = await app.inject({ url: '/no-such-page', remoteAddress: '10.4.0.2' })
    t.match(page.headers['content-security-policy'], /default-src 'self'/, "anything else gets the pages' headers")
    const statuses = [first.statusCode]
    for (let i = 0; i < 5; i++) statuses.push((await app.inject({ url: `/v1/no-such-thing-${i}`, remoteAddress: ip })).statusCode)
    t.same(statuses, [404, 404, 404, 404, 404, 429], 'unknown paths count against the same limit')
    const long = await app.inject({ url: `/nowhere?x=${'y'.repeat(9000)}`, remoteAddress: '10.4.0.3' })
    t.equal(long.statusCode, 414)
    // Counted before the body is read: a client at its limit cannot make the server parse 256 KiB.
    const big = await app.inject({
      method: 'POST',
      url: '/v1/no-such-thing',
      headers: { 'content-type': 'application/json' },
      payload: '{',
      remoteAddress: ip,
    })
    t.equal(big.statusCode, 429, 'an unknown path at its limit is refused before its (broken) body is parsed')
  })

  t.test('a route that hands on to the not-found handler counts once', async (t) => {
    const ip = '10.4.1.1'
    const res = await app.inject({ url: '/docs/static/no-such-file.js', remoteAddress: ip })
    t.equal(res.statusCode, 404)
    t.equal(res.headers['x-ratelimit-remaining'], '4', 'one request, one count')
  })

  t.test('malformed URLs get the same policy and the error shape', async (t) => {
    const ip = '10.7.0.1'
    const bad = await app.inject({ url: '/v1/instance-types/%ff%fe', remoteAddress: ip, headers: { origin: PORTAL } })
    t.equal(bad.statusCode, 400)
    t.match(bad.headers['content-type'], /^application\/json/)
    t.same(bad.json(), {
      statusCode: 400,
      error: 'Bad Request',
      message: 'the path /v1/instance-types/%ff%fe is not a valid URL: each % must begin a %XX escape, and the escapes must decode to UTF-8',
    })
    t.ok(bad.headers['x-request-id'], 'a request id')
    t.equal(bad.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'", 'the API headers, by the URL it was sent with')
    t.equal(bad.headers['x-ratelimit-remaining'], '4', 'counted against the limit')
    t.equal(bad.headers['access-control-allow-origin'], PORTAL, 'CORS, so the portal can read why')

    const given = await app.inject({ url: '/v1/instance-types/%zz', headers: { 'x-request-id': 'trace-42' }, remoteAddress: '10.7.0.2' })
    t.equal(given.statusCode, 400)
    t.equal(given.headers['x-request-id'], 'trace-42', "the caller's own request id is kept")

    const page = await app.inject({ url: '/%ff', remoteAddress: '10.7.0.3' })
    t.equal(page.statusCode, 400)
    t.match(page.headers['content-security-policy'], /default-src 'self'/, 'a page path gets the pages’ headers')

    const name = (n: number) => `/v1/instance-types/${'m'.repeat(n)}/max-pods`
    const atMost = await app.inject({ url: name(200), remoteAddress: '10.7.0.4' })
    t.equal(atMost.statusCode, 404, 'a 200-character name is looked up (and not found)')
    const tooLong = await app.inject({ url: name(201), remoteAddress: '10.7.0.4' })
    t.equal(tooLong.statusCode, 414)
    t.same(Object.keys(tooLong.json()).sort(), ['error', 'message', 'statusCode'])
    t.match(tooLong.json(), { statusCode: 414, error: 'URI Too Long', message: /longer than 200 characters/ })
    t.equal(tooLong.headers['x-ratelimit-remaining'], '3', 'counted with the same client’s other requests')

    const huge = await app.inject({ url: `/v1/instance-types/%ff${'x'.repeat(9000)}`, remoteAddress: '10.7.0.5' })
    t.equal(huge.statusCode, 414, 'the URL cap holds for malformed URLs as well')

    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await app.inject({ url: `/v1/instance-types/%ff${i}`, remoteAddress: '10.7.0.6' })).statusCode)
    t.same(statuses, [400, 400, 400, 400, 400, 429], 'and they cannot be sent past the rate limit')

    // Behind the trusted proxy they count by the client the proxy names, as every other request does.
    const viaProxy = () =>
      app.inject({ url: '/v1/instance-types/%ff', remoteAddress: '10.8.9.1', headers: { 'x-forwarded-for': '203.0.113.99' } }).then((r) => r.statusCode)
    for (let i = 0; i < 5; i++) await viaProxy()
    t.equal(await viaProxy(), 429)
    t.equal((await app.inject({ url: '/v1/catalog', remoteAddress: '10.8.9.1', headers: { 'x-forwarded-for': '203.0.113.99' } })).statusCode, 429, 'one limit for all of that client’s requests')

    const metrics = (await app.inject({ url: '/metrics', remoteAddress: '10.7.0.9' })).body
    t.match(metrics, /http_requests_total\{method="GET",route="unmatched",status_code="400"\} \d+/, 'they are in the request metrics')
    t.match(metrics, /http_requests_total\{method="GET",route="unmatched",status_code="414"\} \d+/)
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

  t.test('behind a trusted proxy, each client counts by the address the proxy names', async (t) => {
    const via = (client: string, forwarded = client) =>
      app.inject({ url: '/v1/catalog', remoteAddress: '10.8.0.1', headers: { 'x-forwarded-for': forwarded } }).then((r) => r.statusCode)
    const first: number[] = []
    for (let i = 0; i < 6; i++) first.push(await via('203.0.113.5'))
    t.same(first, [200, 200, 200, 200, 200, 429], 'one client behind the proxy hits its limit')
    t.equal(await via('203.0.113.6'), 200, 'another client behind the same proxy has its own')
    // One hop is trusted: what the client put in front of the proxy's entry does not count.
    t.equal(await via('203.0.113.5', '198.51.100.1, 203.0.113.5'), 429, 'a client cannot take a fresh limit by naming another address')
  })

  // ------------------------------------------------------------------------------------------- Slack
  const slackPost = (opts: { team: string; from: string; signed: boolean; text?: string }) => {
    const body = new URLSearchParams({ command: '/cni', text: opts.text ?? 'help', team_id: opts.team, user_id: 'U1' }).toString()
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(NOW_S) }
    headers['x-slack-signature'] = opts.signed ? signSlackRequest(SECRET, String(NOW_S), body) : `v0=${'0'.repeat(64)}`
    return app.inject({ method: 'POST', url: '/slack/commands', remoteAddress: opts.from, headers, payload: body })
  }

  t.test('Slack: signed requests count per workspace, as well as per address', async (t) => {
    // Slack posts from many shared addresses: a new one each time here, so only the workspace limit bites.
    const a: number[] = []
    for (let i = 0; i < 6; i++) a.push((await slackPost({ team: 'TA', from: `3.3.4.${i}`, signed: true })).statusCode)
    t.same(a, [200, 200, 200, 200, 200, 429], 'one workspace hits its limit, whatever address it comes from')
    const refused = await slackPost({ team: 'TA', from: '3.3.4.9', signed: true })
    t.match(refused.json().message, /from one workspace; retry in \d+ s$/)
    t.equal(refused.headers['x-ratelimit-remaining'], '0')
    const b = await slackPost({ team: 'TB', from: '3.3.4.0', signed: true })
    t.equal(b.statusCode, 200, 'another workspace from the same address is not affected')
    t.equal(b.headers['x-ratelimit-remaining'], '4', "its headers are its workspace's count")
  })

  t.test('Slack: unsigned posts naming a victim workspace cannot lock it out', async (t) => {
    const attacker = '198.51.100.66'
    const unsigned: number[] = []
    for (let i = 0; i < 8; i++) unsigned.push((await slackPost({ team: 'TVICTIM', from: attacker, signed: false })).statusCode)
    t.same(unsigned, [401, 401, 401, 401, 401, 429, 429, 429], 'the attacker is refused, then limited by its own address')
    const victim: number[] = []
    for (let i = 0; i < 5; i++) victim.push((await slackPost({ team: 'TVICTIM', from: `3.3.5.${i}`, signed: true })).statusCode)
    t.same(victim, [200, 200, 200, 200, 200], "the workspace's signed requests all go through: its count started at zero")
  })

  t.test('Slack: a flood of unsigned posts with distinct team ids adds no keys and resets no one', async (t) => {
    const heavy = '10.9.0.1'
    for (let i = 0; i < 5; i++) await app.inject({ url: '/v1/catalog', remoteAddress: heavy })
    t.equal((await app.inject({ url: '/v1/catalog', remoteAddress: heavy })).statusCode, 429, 'a client at its limit')
    const before = limiter.size
    const flood: number[] = []
    for (let i = 0; i < 40; i++) flood.push((await slackPost({ team: `TFLOOD${i}`, from: '198.51.100.77', signed: false })).statusCode)
    t.same(new Set(flood), new Set([401, 429]))
    t.equal(limiter.size, before + 1, 'one key for the one flooding address; none for the team ids it named')
    t.equal((await app.inject({ url: '/v1/catalog', remoteAddress: heavy })).statusCode, 429, 'the client at its limit is still held to it')
  })
})
