import t from 'tap'
import { MAX_SKEW_SECONDS, signSlackRequest, verifySlackSignature } from '../../src/slack/signature.js'

// Slack's documented example (https://api.slack.com/docs/verifying-requests-from-slack), also used by bolt-js.
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5'
const TIMESTAMP = '1531420618'
const BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
  '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com' +
  '%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c'
const EXPECTED = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503'
const NOW = new Date(1531420618 * 1000)

const check = (over: Partial<Parameters<typeof verifySlackSignature>[0]> = {}) =>
  verifySlackSignature({ secret: SECRET, timestamp: TIMESTAMP, signature: EXPECTED, rawBody: BODY, now: NOW, ...over })

t.test("Slack's documented example verifies (known answer)", async (t) => {
  t.equal(signSlackRequest(SECRET, TIMESTAMP, BODY), EXPECTED)
  t.equal(signSlackRequest(SECRET, 1531420618, BODY), EXPECTED, 'a numeric timestamp signs the same')
  t.same(check(), { ok: true })
})

t.test('a tampered body fails', async (t) => {
  const r = check({ rawBody: BODY.replace('text=', 'text=recommend') })
  t.same(r, { ok: false, reason: 'X-Slack-Signature does not match the request' })
  t.equal(check({ rawBody: `${BODY}&x=1` }).ok, false, 'appended field')
  t.equal(check({ rawBody: '' }).ok, false, 'empty body')
})

t.test('the timestamp must be within 5 minutes, both directions', async (t) => {
  const at = (seconds: number) => check({ now: new Date((1531420618 + seconds) * 1000) })
  t.equal(at(MAX_SKEW_SECONDS).ok, true, 'exactly 5 minutes later is still accepted')
  t.equal(at(-MAX_SKEW_SECONDS).ok, true, 'exactly 5 minutes earlier is still accepted')
  const stale = at(MAX_SKEW_SECONDS + 1)
  t.equal(stale.ok, false, 'a replay after 5 minutes fails')
  t.match(stale, { reason: /no more than 5 minutes/ })
  t.equal(at(-(MAX_SKEW_SECONDS + 1)).ok, false, 'a timestamp from the future fails too')
  t.equal(at(86_400 * 365 * 8).ok, false, 'the 2018 example against a clock of today')
  // A correctly signed but stale request still fails: the window is checked, not just the MAC.
  const old = String(1531420618 - 3600)
  t.equal(check({ timestamp: old, signature: signSlackRequest(SECRET, old, BODY) }).ok, false)
})

t.test('a wrong secret fails', async (t) => {
  t.equal(check({ secret: '8f742231b10e8888abcd99yyyzzz85a6' }).ok, false)
  t.equal(check({ signature: signSlackRequest('another-secret', TIMESTAMP, BODY) }).ok, false)
})

t.test('missing headers', async (t) => {
  t.match(check({ timestamp: undefined }), { ok: false, reason: /X-Slack-Request-Timestamp header is missing/ })
  t.match(check({ timestamp: '' }), { ok: false, reason: /X-Slack-Request-Timestamp header is missing/ })
  t.match(check({ signature: undefined }), { ok: false, reason: /X-Slack-Signature header is missing/ })
  t.match(check({ signature: '' }), { ok: false, reason: /X-Slack-Signature header is missing/ })
})

t.test('malformed headers', async (t) => {
  const hex = EXPECTED.slice(3)
  const malformed = /v0= followed by 64 hex digits/
  t.match(check({ signature: hex }), { ok: false, reason: malformed }, 'no v0= prefix')
  t.match(check({ signature: `v1=${hex}` }), { ok: false, reason: malformed }, 'another version')
  t.match(check({ signature: EXPECTED.slice(0, -2) }), { ok: false, reason: malformed }, 'too short')
  t.match(check({ signature: `${EXPECTED}00` }), { ok: false, reason: malformed }, 'too long')
  t.match(check({ signature: `${EXPECTED.slice(0, -1)}g` }), { ok: false, reason: malformed }, 'not hex')
  t.match(check({ signature: ` ${EXPECTED}` }), { ok: false, reason: malformed }, 'whitespace')
  t.match(check({ timestamp: '1531420618.5' }), { ok: false, reason: /Unix seconds/ })
  t.match(check({ timestamp: 'yesterday' }), { ok: false, reason: /Unix seconds/ })
  t.match(check({ timestamp: '-1531420618' }), { ok: false, reason: /Unix seconds/ })
  t.match(check({ timestamp: '9'.repeat(40) }), { ok: false, reason: /Unix seconds/ })
})
