import t, { type Test } from 'tap'
import { Writable } from 'node:stream'
import { parseRequirements } from '../../src/answers/inputs.js'
import type { RecommendationAnswer } from '../../src/answers/recommendation.js'
import { clip, escapeMrkdwn, firstSentence, recommendationMessage } from '../../src/slack/blocks.js'
import { signSlackRequest } from '../../src/slack/signature.js'
import { buildTestApp } from '../helper.js'

const SECRET = 'test-signing-secret-not-real'
const PUBLIC_URL = 'https://cni-advisor.example.com'
const NOW_S = 1_767_225_600 // 2026-01-01T00:00:00Z
const clock = () => new Date(NOW_S * 1000)

interface TextObject {
  type: string
  text: string
}
interface Block {
  type: string
  text?: TextObject
  fields?: TextObject[]
  elements?: TextObject[]
}
interface Message {
  response_type: string
  text: string
  blocks: Block[]
}

/** A form body as Slack sends it. */
function form(text: string, extra: Record<string, string> = {}): string {
  return new URLSearchParams({
    token: 'deprecated',
    team_id: 'T0001',
    team_domain: 'example',
    channel_id: 'C0001',
    channel_name: 'platform',
    user_id: 'U0001',
    user_name: 'someone',
    command: '/cni',
    text,
    response_url: 'https://hooks.slack.com/commands/T0001/1/abc',
    trigger_id: '1.2.3',
    ...extra,
  }).toString()
}

function signedHeaders(body: string, ts: number = NOW_S, secret = SECRET) {
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': signSlackRequest(secret, String(ts), body),
  }
}

/** The link in the last context block, as a URL the test can inject. */
function contextLink(m: Message): URL {
  const ctx = m.blocks.at(-1)!
  const match = /<([^|>]+)\|[^>]+>/.exec(ctx.elements!.map((e) => e.text).join(' '))
  if (!match) throw new Error('no link in the context block')
  return new URL(match[1]!.replace(/&amp;/g, '&'))
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const pathOf = (u: URL) => `${u.pathname}${u.search}`

function checkLimits(t: Test, m: Message) {
  t.ok(m.text.length > 0 && m.text.length <= 3000, 'fallback text present')
  t.ok(m.blocks.length <= 50, 'at most 50 blocks')
  for (const b of m.blocks) {
    if (b.type === 'header') t.ok(b.text!.text.length <= 150 && b.text!.type === 'plain_text', 'header ≤150, plain text')
    if (b.text && b.type === 'section') t.ok(b.text.text.length <= 3000, 'section text ≤3000')
    if (b.fields) {
      t.ok(b.fields.length <= 10, 'at most 10 fields')
      for (const f of b.fields) t.ok(f.text.length <= 2000, 'field ≤2000')
    }
  }
}

t.test('Slack slash command', async (t) => {
  const app = await buildTestApp(t, { env: { SLACK_SIGNING_SECRET: SECRET, PUBLIC_URL }, deps: { clock } })
  const ask = (text: string, extra: Record<string, string> = {}) => {
    const body = form(text, extra)
    return app.inject({ method: 'POST', url: '/slack/commands', headers: signedHeaders(body), payload: body })
  }
  const answer = async (t: Test, text: string): Promise<Message> => {
    const res = await ask(text)
    t.equal(res.statusCode, 200, `200 for ${JSON.stringify(text)}`)
    t.match(res.headers['content-type'], /^application\/json/)
    return res.json() as Message
  }

  t.test('recommend: header, why, runner-ups, blockers, context link to the same answer', async (t) => {
    const text = 'recommend multicast=required encryption=preferred instance=m5.large pods=3000'
    const m = await answer(t, text)
    checkLimits(t, m)
    t.equal(m.response_type, 'ephemeral')
    const reqs = parseRequirements(
      { multicast: 'required', encryption: 'preferred', instanceTypes: 'm5.large', podsPerNode: '3000' },
      { textual: true },
    )
    const rest = (await app.inject({ method: 'POST', url: '/v1/recommendations', payload: { ...reqs } })).json()
    const [head, why, ...restBlocks] = m.blocks
    t.equal(head!.type, 'header')
    // The contract's own example: 3000 pods per node on an m5.large is out of reach for every option.
    t.equal(rest.satisfiable, false)
    t.equal(head!.text!.text, 'No CNI option meets every required need')
    t.equal(why!.text!.text, esc(rest.summary), 'says so, with the conflicting needs (the summary)')
    t.match(why!.text!.text, /podsPerNode=3000/)
    t.equal(m.text, rest.summary, 'fallback text')
    t.notOk(restBlocks.some((b) => b.text?.text === '*Runner-ups*'), 'no runner-ups when nothing is suitable')
    t.equal(why!.type, 'section')
    const blocked = rest.options.filter((o: { verdict: string }) => o.verdict === 'blocked')
    const blockedSection = restBlocks.find((b) => b.text?.text.startsWith('*Blocked*'))
    t.ok(blockedSection, 'a blockers section')
    t.equal(blockedSection!.text!.text, `*Blocked* (${blocked.length} of ${rest.options.length})`)
    t.equal(blockedSection!.fields!.length, Math.min(10, blocked.length))
    if (blocked.length > 10) t.equal(blockedSection!.fields![9]!.text, `…and ${blocked.length - 9} more blocked options (see the details)`)
    const first = blocked[0] as { name: string; blockers: Array<{ reason: string }> }
    t.equal(
      blockedSection!.fields![0]!.text,
      `*${first.name}*\n${esc(first.blockers[0]!.reason)}`,
    )
    const ctx = m.blocks.at(-1)!
    t.equal(ctx.type, 'context')
    t.match(ctx.elements![0]!.text, /^Catalog v1 · us-east-1 prices as of \d{4}-\d{2}-\d{2}/)
    const link = contextLink(m)
    t.equal(link.origin, PUBLIC_URL)
    t.equal(link.pathname, '/v1/recommendations')
    t.same(parseRequirements(Object.fromEntries(link.searchParams), { textual: true }), reqs, 'the link carries the same requirements')
    const viaLink = await app.inject(pathOf(link))
    t.equal(viaLink.statusCode, 200)
    t.equal(viaLink.json().recommendation?.id ?? null, rest.recommendation?.id ?? null, 'same recommended option')
    t.equal(viaLink.json().satisfiable, rest.satisfiable)
  })

  t.test('recommend, satisfiable: the recommended option with runner-ups', async (t) => {
    const m = await answer(t, 'recommend policy=required perf=high instance=m5.large pods=50 public')
    checkLimits(t, m)
    t.equal(m.response_type, 'in_channel', 'public → in_channel')
    const link = contextLink(m)
    const rest = (await app.inject(pathOf(link))).json()
    t.equal(rest.satisfiable, true)
    const top = rest.recommendation
    t.equal(m.blocks[0]!.text!.text, `${top.name} (score ${top.score})`)
    t.equal(m.blocks[1]!.text!.text.length > 10, true, 'a one-line why')
    t.notMatch(m.blocks[1]!.text!.text, /\n/, 'one line')
    t.ok(top.explanation.startsWith(m.blocks[1]!.text!.text.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>')), 'the first sentence of the explanation')
    const runners = m.blocks.find((b) => b.text?.text === '*Runner-ups*')!
    const expected = rest.options.filter((o: { verdict: string }) => o.verdict === 'suitable').slice(0, 3)
    t.same(
      runners.fields!.map((f) => f.text),
      expected.map((o: { name: string; score: number }) => `*${o.name}*\nscore ${o.score}`),
      'the next 3 with scores',
    )
    t.same(Object.fromEntries(link.searchParams), { performance: 'high', networkPolicy: 'required', podsPerNode: '50' }, 'only non-defaults in the link')
  })

  t.test('maxpods: header, fields, link with the same numbers', async (t) => {
    const m = await answer(t, 'maxpods m5.large prefix-delegation ds=3')
    checkLimits(t, m)
    const link = contextLink(m)
    t.equal(link.pathname, '/v1/instance-types/m5.large/max-pods')
    t.same(Object.fromEntries(link.searchParams), { mode: 'prefix-delegation', daemonSetsPerNode: '3' })
    const rest = (await app.inject(pathOf(link))).json()
    t.match(rest, { instanceType: 'm5.large', mode: 'prefix-delegation', maxPods: 434, recommendedMaxPods: 110, podsForWorkloads: 105 })
    t.same(m.blocks[0], { type: 'header', text: { type: 'plain_text', text: 'm5.large: 110 pods per node (prefix-delegation)', emoji: true } })
    const fields = m.blocks.find((b) => b.fields)!.fields!.map((f) => f.text)
    t.equal(fields[0], '*maxPods* (address limit)\n434')
    t.equal(fields[1], '*recommendedMaxPods* (kubelet --max-pods)\n110')
    t.equal(fields[2], '*podsForWorkloads*\n105')
    t.match(fields[3], /^\*formula\*\n`.+`$/s)
    t.match(m.text, /maxPods 434, recommendedMaxPods 110, podsForWorkloads 105/)

    const plain = await answer(t, 'maxpods m5.large')
    const r2 = (await app.inject(pathOf(contextLink(plain)))).json()
    t.match(r2, { mode: 'secondary-ip', maxPods: 29, recommendedMaxPods: 29, podsForWorkloads: 27 })
    t.equal(plain.blocks[0]!.text!.text, 'm5.large: 29 pods per node (secondary-ip)')
  })

  t.test('maxpods: an unsupported mode gives the reason', async (t) => {
    const res = await app.inject('/v1/instance-types/t2.micro/max-pods?mode=security-groups-for-pods')
    const rest = res.json()
    t.equal(rest.supported, false, 'fixture: t2.micro cannot run security groups for pods')
    const m = await answer(t, 'maxpods t2.micro sgp')
    t.equal(m.blocks[0]!.text!.text, 't2.micro: security-groups-for-pods not supported')
    t.equal(m.blocks[1]!.text!.text, esc(rest.reason))
    t.match(m.text, /t2\.micro cannot run security-groups-for-pods/)
  })

  t.test('plan: the 5 cheapest rows and the link to all', async (t) => {
    const m = await answer(t, 'plan total=3000 cpu=0.25 mem=512 family=m6i mode=pd')
    checkLimits(t, m)
    const link = contextLink(m)
    t.equal(link.pathname, '/v1/capacity-plans')
    t.same(Object.fromEntries(link.searchParams), { totalPods: '3000', podCpu: '0.25', podMemoryMiB: '512', mode: 'prefix-delegation', family: 'm6i' })
    const rest = (await app.inject(pathOf(link))).json()
    t.equal(m.blocks[0]!.text!.text, 'Capacity plan: 3000 pods')
    const fields = m.blocks.find((b) => b.fields)!.fields!
    t.equal(fields.length, Math.min(5, rest.rows.length))
    for (const [i, f] of fields.entries()) {
      const row = rest.rows[i]
      t.match(f.text, new RegExp(`^\\*${row.instanceType.replace('.', '\\.')}\\*: \\$[\\d,]+\\.\\d\\d/month\\n${row.nodes} nodes × ${row.podsPerNode} pods \\(limited by ${row.limitedBy}\\) · ${row.vpcIps} VPC IPs`))
    }
    const best = rest.rows[0]
    t.match(m.blocks[1]!.text!.text, `Cheapest: ${best.nodes} × ${best.instanceType} (prefix-delegation)`)
    t.match(m.blocks.at(-1)!.elements![1]!.text, `5 of ${rest.totalRows} instance types shown`)
  })

  t.test('plan: filters and modes as REST takes them, the same rows', async (t) => {
    const m = await answer(t, 'plan total=3000 arch=arm64 category=c,m gen=7 modes=secondary-ip,pd pernode=40')
    checkLimits(t, m)
    const link = contextLink(m)
    t.same(Object.fromEntries(link.searchParams), {
      totalPods: '3000',
      modes: 'secondary-ip,prefix-delegation',
      podsPerNode: '40',
      arch: 'arm64',
      category: 'c,m',
      generation: '7',
    })
    const rest = (await app.inject(pathOf(link))).json()
    const fields = m.blocks.find((b) => b.fields)!.fields!
    for (const [i, f] of fields.entries()) {
      const row = rest.rows[i]
      t.match(f.text, `*${row.instanceType}* (${row.mode})`, 'several modes: each row says its mode')
      t.match(row.instanceType, /^[cm]([7-9]|\d\d)\w*g/, 'arm64 c/m types of generation 7 on')
    }
    t.match(m.blocks[1]!.text!.text, /^Cheapest: \d+ × \S+ \((secondary-ip|prefix-delegation)\)/)
    t.match(m.blocks[1]!.text!.text, /modes secondary-ip, prefix-delegation, us-east-1, at least 40 pods per node/)
    t.match(m.blocks.at(-1)!.elements![1]!.text, `5 of ${rest.totalRows} rows (instance type × mode) shown`)
  })

  t.test('plan: no claim without a price', async (t) => {
    const m = await answer(t, 'plan total=3000 region=eu-west-1 family=m7i')
    const lead = m.blocks[1]!.text!.text
    t.notMatch(lead, /Cheapest|no price\/month/)
    t.match(lead, /^No on-demand prices in eu-west-1 for these types \(0 of \d+ types priced in eu-west-1 \(on-demand\)\): ranked by nodes, fewest first: \d+ × m7i\./)
    const text = m.blocks.flatMap((b) => [b.text?.text ?? '', ...(b.elements ?? []).map((e) => e.text)]).join('\n')
    t.match(text, /POST \/v1\/admin\/refresh/, 'a hint to refresh')
    t.match(text, /0 of \d+ types priced in eu-west-1/)
    const fields = m.blocks.find((b) => b.fields)!.fields!
    t.ok(fields.every((f) => /no price in the region/.test(f.text) && !/\$/.test(f.text)), 'no dollar figure anywhere in the rows')
    const some = await answer(t, 'plan total=3000 region=eu-west-1 family=m5')
    t.match(some.blocks[1]!.text!.text, /^Lowest priced of the \d+ priced types \(\d+ of 9 types priced in eu-west-1 \(on-demand\)\): .* a type without a price may cost less\./)
    const whole = await answer(t, 'plan total=3000')
    t.match(whole.blocks.flatMap((b) => (b.elements ?? []).map((e) => e.text)).join('\n'), /the whole catalog, amd64 types only/, 'the assumption is said')
  })

  t.test('help, and empty text', async (t) => {
    for (const text of ['', 'help', '   ']) {
      const m = await answer(t, text)
      t.equal(m.response_type, 'ephemeral')
      t.equal(m.blocks[0]!.text!.text, 'cni-advisor: EKS networking answers')
      t.match(m.blocks.map((b) => b.text?.text ?? '').join('\n'), /\/cni recommend[\s\S]*\/cni maxpods[\s\S]*\/cni plan/)
    }
    const one = await answer(t, 'help plan')
    t.same(one.blocks.map((b) => b.type), ['header', 'section', 'actions'], 'the plan usage, then the link buttons')
    t.match(one.blocks[1]!.text!.text, /^`\/cni plan total=N/)
  })

  t.test('bad input: a private 200 naming the field and what is accepted', async (t) => {
    const cases: Array<[string, RegExp]> = [
      ['recommend pods=lots public', /podsPerNode must be a whole number from 1 to 100000; got "lots" \(you wrote pods, short for podsPerNode\)/],
      ['recommend multicast=maybe', /multicast must be one of required, preferred, none/],
      ['recommend instance=m5.lorge', /instanceTypes/],
      ['recommend subnets=10.0.0.0/24 ips=100', /give podIpBudget or podSubnets, not both/],
      ['recommend colour=red', /unknown key "colour"/],
      ['maxpods m5.lorge', /unknown instance type "m5.lorge".*did you mean .*m5\.large/],
      ['maxpods m5.large mode=warp', /mode must be one of/],
      ['plan cpu=1', /totalPods is required/],
      ['plan total=100 family=zz9', /unknown instance family "zz9"/],
      ['plan total=100 family=m7ii', /unknown instance family "m7ii" in catalog version \d+; did you mean m7i, /],
      ['plan total=100 family=t3 burstable=false', /no instance type in the catalog matches family=t3, burstable=false/],
      ['launch the rockets', /unknown command "launch"/],
    ]
    for (const [text, problem] of cases) {
      const m = await answer(t, text)
      t.equal(m.response_type, 'ephemeral', `${text}: ephemeral`)
      t.match(m.blocks[0]!.text!.text, /^:warning: /, `${text}: the problem first`)
      t.match(m.blocks[0]!.text!.text, problem, `${text}: quotes the problem`)
      t.match(m.text, /^Sorry, I could not answer that: /)
      t.ok(m.blocks.length >= 2 && m.blocks[1]!.text!.text.startsWith('`/cni '), `${text}: lists what is accepted`)
    }
  })

  t.test('odd encodings in the form body', async (t) => {
    const reference = contextLink(await answer(t, 'maxpods m5.large prefix-delegation')).toString()
    const variants = [
      'maxpods  m5.large   prefix–delegation', // en dash, repeated spaces
      'MAXPODS “m5.large” ‘prefix-delegation’', // smart quotes, case
      'maxpods+m5.large+prefix-delegation', // + for spaces, sent literally
      'maxpods%20m5.large%20prefix%E2%80%94delegation', // double %-encoding, em dash
    ]
    for (const text of variants) t.equal(contextLink(await answer(t, text)).toString(), reference, JSON.stringify(text))

    // A raw body written by hand: + for spaces, %-escaped UTF-8 smart quotes, signed as sent.
    const raw = 'command=%2Fcni&text=maxpods+%E2%80%9Cm5.large%E2%80%9D+pd&user_id=U1&team_id=T1'
    const res = await app.inject({ method: 'POST', url: '/slack/commands', headers: signedHeaders(raw), payload: raw })
    t.equal(res.statusCode, 200)
    t.equal(contextLink(res.json()).toString(), reference)
    const noText = 'command=%2Fcni&user_id=U1'
    const help = await app.inject({ method: 'POST', url: '/slack/commands', headers: signedHeaders(noText), payload: noText })
    t.equal(help.json().blocks[0].text.text, 'cni-advisor: EKS networking answers', 'no text field at all: help')
    const charset = await app.inject({
      method: 'POST',
      url: '/slack/commands',
      headers: { ...signedHeaders(raw), 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      payload: raw,
    })
    t.equal(charset.statusCode, 200, 'a charset parameter is fine')
  })

  t.test('unsigned, stale, wrongly signed: 401 and no answer', async (t) => {
    const body = form('maxpods m5.large')
    const post = (headers: Record<string, string>, payload = body) => app.inject({ method: 'POST', url: '/slack/commands', headers, payload })
    const good = signedHeaders(body)
    const cases: Array<[string, Record<string, string>, string?]> = [
      ['unsigned', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['no timestamp', { ...good, 'x-slack-request-timestamp': '' }],
      ['stale', signedHeaders(body, NOW_S - 301)],
      ['from the future', signedHeaders(body, NOW_S + 301)],
      ['wrong secret', signedHeaders(body, NOW_S, 'another-secret-entirely')],
      ['tampered body', good, form('maxpods m5.xlarge')],
      ['malformed signature', { ...good, 'x-slack-signature': 'v0=xyz' }],
      ['no v0=', { ...good, 'x-slack-signature': good['x-slack-signature'].slice(3) }],
    ]
    for (const [what, headers, payload] of cases) {
      const res = await post(headers, payload)
      t.equal(res.statusCode, 401, what)
      t.same(Object.keys(res.json()).sort(), ['error', 'message', 'statusCode'], `${what}: the contract's error JSON`)
      t.match(res.json(), { statusCode: 401, error: 'Unauthorized', message: /^Slack request not verified: / })
      t.notMatch(res.body, /blocks|m5\.large/, `${what}: no answer`)
    }
    t.equal((await post(signedHeaders(body, NOW_S - 300))).statusCode, 200, '5 minutes old is still fine')
  })

  t.test('other content types: 415; oversized: 413', async (t) => {
    const json = JSON.stringify({ text: 'maxpods m5.large' })
    const res = await app.inject({
      method: 'POST',
      url: '/slack/commands',
      headers: { ...signedHeaders(json), 'content-type': 'application/json' },
      payload: json,
    })
    t.equal(res.statusCode, 415)
    t.match(res.json(), { statusCode: 415, error: 'Unsupported Media Type' })
    const textPlain = await app.inject({ method: 'POST', url: '/slack/commands', headers: { ...signedHeaders('x'), 'content-type': 'text/plain' }, payload: 'x' })
    t.equal(textPlain.statusCode, 415)
    const big = form('help', { padding: 'x'.repeat(70 * 1024) })
    const huge = await app.inject({ method: 'POST', url: '/slack/commands', headers: signedHeaders(big), payload: big })
    t.equal(huge.statusCode, 413)
    t.equal(huge.json().statusCode, 413)
    // The JSON parser elsewhere is untouched by the scoped one.
    const elsewhere = await app.inject({ method: 'POST', url: '/v1/capacity-plans', payload: { totalPods: 10, instanceTypes: ['m5.large'] } })
    t.equal(elsewhere.statusCode, 200)
    const formElsewhere = await app.inject({
      method: 'POST',
      url: '/v1/capacity-plans',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'totalPods=10',
    })
    t.equal(formElsewhere.statusCode, 415, 'the form parser is scoped to the Slack door')
  })

  t.test('documented in OpenAPI under the slack tag', async (t) => {
    const doc = (await app.inject('/docs/json')).json()
    const op = doc.paths['/slack/commands'].post
    t.same(op.tags, ['slack'])
    // The form is the named shape SlackCommand (src/http/routes/slack.ts), referenced by $ref.
    const form = op.requestBody.content['application/x-www-form-urlencoded'].schema
    t.equal(form.allOf?.[0]?.$ref, '#/components/schemas/SlackCommand')
    t.ok(doc.components.schemas.SlackCommand.properties.text, 'the form fields are described')
    t.ok(op.responses['401'] && op.responses['415'] && op.responses['503'])
  })

  t.test('an unexpected failure is still an answer Slack can show, never a 500', async (t) => {
    const catalog = app.ctx.catalog
    const current = catalog.current
    catalog.current = () => {
      throw new Error('boom')
    }
    t.teardown(() => {
      catalog.current = current
    })
    const m = await answer(t, 'maxpods m5.large')
    t.equal(m.response_type, 'ephemeral')
    t.match(m.blocks[0]!.text!.text, /^Sorry, the advisor failed to answer\. .*request id `[\w-]+`/)
    t.notMatch(JSON.stringify(m), /boom/, 'no internal message')
    catalog.current = current
  })

  t.test('a repeated command is answered from the kept message, byte for byte', async (t) => {
    const text = 'recommend multicast encryption=preferred instance=m5.large,m6i.large,c5.xlarge pods=60 total=5000'
    const first = await ask(text)
    const again = await ask(text)
    t.equal(first.statusCode, 200)
    t.equal(again.body, first.body)
    const shown = await ask(`${text} public`)
    t.equal((shown.json() as Message).response_type, 'in_channel', 'the visibility is part of what is kept')
    t.equal((again.json() as Message).response_type, 'ephemeral')
  })
})

t.test('kept Slack answers follow the price freshness from day to day', async (t) => {
  const DAY_MS = 86_400_000
  let now = Date.parse('2026-07-21T12:00:00Z') // the seed's us-east-1 prices are of 2026-07-20
  const app = await buildTestApp(t, { env: { SLACK_SIGNING_SECRET: SECRET, PRICE_MAX_AGE_DAYS: '30' }, deps: { clock: () => new Date(now) } })
  const ask = async (text: string): Promise<Message> => {
    const body = form(text)
    const res = await app.inject({ method: 'POST', url: '/slack/commands', headers: signedHeaders(body, Math.floor(now / 1000)), payload: body })
    t.equal(res.statusCode, 200)
    return res.json() as Message
  }
  const footer = (m: Message) => m.blocks.at(-1)!.elements!.map((e) => e.text).join(' ')
  for (const text of ['plan total=100', 'recommend multicast instance=m5.large total=500']) {
    // A plan names the kind of price it shows (capacityType); a recommendation's are on-demand.
    t.match(footer(await ask(text)), /us-east-1 (on-demand )?prices as of 2026-07-20/, text)
    t.notMatch(footer(await ask(text)), '(stale)', `${text}: fresh prices`)
    now += 31 * DAY_MS
    t.match(footer(await ask(text)), /us-east-1 (on-demand )?prices as of 2026-07-20 \(stale\)/, `${text}: 31 days later the same catalog's prices are stale`)
    now -= 31 * DAY_MS
  }
})

t.test('without SLACK_SIGNING_SECRET: 503 for every request, and a warning at start-up', async (t) => {
  const logs: Array<{ level: number; msg: string }> = []
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line))
      cb()
    },
  })
  const app = await buildTestApp(t, { deps: { clock, logger: { level: 'warn', stream } } })
  t.equal(app.ctx.config.slackSigningSecret, null)
  t.ok(
    logs.some((l) => l.level === 40 && /SLACK_SIGNING_SECRET is not set/.test(l.msg)),
    'a warn log says why, when the plugin registers',
  )
  const body = form('help')
  const res = await app.inject({ method: 'POST', url: '/slack/commands', headers: signedHeaders(body), payload: body })
  t.equal(res.statusCode, 503)
  t.match(res.json(), { statusCode: 503, error: 'Service Unavailable', message: /Slack door is not configured: SLACK_SIGNING_SECRET is not set/ })
  const json = await app.inject({ method: 'POST', url: '/slack/commands', headers: { 'content-type': 'application/json' }, payload: '{}' })
  t.equal(json.statusCode, 503, 'refused before anything else, whatever the content type')
  t.notMatch(res.body, /blocks/)
})

t.test('renderers keep within Block Kit limits', async (t) => {
  t.equal(firstSentence('Run it on m5.large, e.g. now. Then more.'), 'Run it on m5.large, e.g. now.')
  t.equal(firstSentence('No full stop'), 'No full stop')
  t.equal(clip('abcdef', 4), 'abc…')
  t.equal(clip('abc', 4), 'abc')
  t.equal(escapeMrkdwn('a < b & c > d'), 'a &lt; b &amp; c &gt; d')
  const long = 'x'.repeat(5000)
  const option = (i: number, blocked: boolean) => ({
    id: `opt-${i}`,
    name: `Option ${i} ${'n'.repeat(300)}`,
    score: 90 - i,
    verdict: blocked ? 'blocked' : i === 0 ? 'recommended' : 'suitable',
    blockers: blocked ? [{ criterion: 'multicast', reason: `<${long}>` }] : [],
    explanation: `${long}. Second sentence.`,
  })
  const answer = {
    recommendation: option(0, false),
    satisfiable: true,
    options: [option(0, false), ...[1, 2, 3, 4, 5].map((i) => option(i, false)), ...Array.from({ length: 15 }, (_, i) => option(i + 6, true))],
    summary: long,
    requirements: {},
    catalog: { version: 7, region: 'us-east-1', pricesAsOf: null, priceAgeDays: null, stale: true },
  } as unknown as RecommendationAnswer
  const m = recommendationMessage(answer, { details: 'https://example.com/v1/recommendations?a=1&b=2', buttons: [], chart: null }, 'in_channel')
  t.equal(m.response_type, 'in_channel')
  t.ok(m.text.length <= 3000)
  t.equal(m.blocks[0]!.type, 'header')
  const header = m.blocks[0] as { text: { text: string } }
  t.equal([...header.text.text].length, 150, 'header clipped to 150')
  for (const b of m.blocks) {
    if (b.type === 'section') {
      if (b.text) t.ok(b.text.text.length <= 3000, 'section text ≤ 3000')
      if (b.fields) {
        t.ok(b.fields.length <= 10, 'fields ≤ 10')
        for (const f of b.fields) t.ok([...f.text].length <= 2000, 'field ≤ 2000')
      }
    }
  }
  const runners = m.blocks.find((b) => b.type === 'section' && b.text?.text === '*Runner-ups*') as { fields: unknown[] }
  t.equal(runners.fields.length, 3, 'the next 3 only')
  const blocked = m.blocks.find((b) => b.type === 'section' && b.text?.text.startsWith('*Blocked*')) as { fields: Array<{ text: string }> }
  t.equal(blocked.fields.length, 10)
  t.equal(blocked.fields[9]!.text, '…and 6 more blocked options (see the details)')
  t.match(blocked.fields[0]!.text, /\n&lt;x{100}/, 'reasons escaped')
  const ctx = m.blocks.at(-1) as { elements: Array<{ text: string }> }
  t.equal(ctx.elements[0]!.text, 'Catalog v7 · no prices for us-east-1 (stale)')
  t.equal(ctx.elements[1]!.text, '<https://example.com/v1/recommendations?a=1&amp;b=2|Details in the API>')
})
