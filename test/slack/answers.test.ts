// What a /cni answer shows besides its text: link buttons in every answer, the chart as an image block
// when PUBLIC_URL is set (its URL answers image/png), and the recommended option's first file to apply.
import t, { type Test } from 'tap'
import { signSlackRequest } from '../../src/slack/signature.js'
import { buildTestApp, freshDatabase } from '../helper.js'
import type { Db } from '../../src/db/db.js'
import { PNG_MAGIC } from '../fakes/png-reader.js'

const SECRET = 'test-signing-secret-not-real'
const PUBLIC_URL = 'https://cni-advisor.example.com'
const NOW_S = 1_767_225_600
const clock = () => new Date(NOW_S * 1000)

interface Block {
  type: string
  text?: { text: string }
  fields?: Array<{ text: string }>
  image_url?: string
  alt_text?: string
  elements?: Array<{ type: string; url?: string; action_id?: string; text?: { text: string } | string }>
}

async function slackApp(t: Test, env: Record<string, string>, db?: Db) {
  const app = await buildTestApp(t, { env: { SLACK_SIGNING_SECRET: SECRET, ...env }, deps: { clock }, ...(db ? { db } : {}) })
  const ask = async (text: string): Promise<Block[]> => {
    const body = new URLSearchParams({ command: '/cni', text, team_id: 'T1', user_id: 'U1' }).toString()
    const res = await app.inject({
      method: 'POST',
      url: '/slack/commands',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(NOW_S), 'x-slack-signature': signSlackRequest(SECRET, String(NOW_S), body) },
      payload: body,
    })
    t.equal(res.statusCode, 200, text)
    return res.json().blocks as Block[]
  }
  return { app, ask }
}

/** A public URL as the app serves it (same origin): path and query. */
const local = (u: string) => {
  const url = new URL(u)
  return `${url.pathname}${url.search}`
}

t.test('with PUBLIC_URL: each answer shows its chart, and the image URL answers image/png', async (t) => {
  const { app, ask } = await slackApp(t, { PUBLIC_URL })
  for (const text of ['recommend instance=m5.large,m6i.xlarge', 'maxpods m5.large prefix-delegation ds=2', 'plan total=3000 family=m6i']) {
    const blocks = await ask(text)
    const image = blocks.find((b) => b.type === 'image')
    t.ok(image, `${text}: an image block`)
    t.ok(image!.image_url!.startsWith(`${PUBLIC_URL}/v1/charts/`) && image!.image_url!.includes('.png?'), String(image!.image_url))
    t.ok(image!.alt_text && image!.alt_text.length > 10, 'alt text for screen readers')
    const png = await app.inject(local(image!.image_url!))
    t.equal(png.statusCode, 200, `${text}: the image URL answers`)
    t.equal(png.headers['content-type'], 'image/png')
    t.ok(png.rawPayload.subarray(0, 8).equals(PNG_MAGIC), 'a PNG')
    t.equal(blocks.at(-1)!.type, 'context', 'the context line stays last')
  }
})

t.test('every answer has link buttons: the advisor page, the CSV, all options; each URL answers', async (t) => {
  const { app, ask } = await slackApp(t, { PUBLIC_URL })
  for (const text of ['recommend multicast encryption=preferred instance=m5.large', 'maxpods m5.large', 'plan total=500 instance=m5.large,m6i.large']) {
    const actions = (await ask(text)).find((b) => b.type === 'actions')
    t.ok(actions, `${text}: an actions block`)
    const buttons = actions!.elements!
    t.same(buttons.map((b) => b.action_id), ['open-page', 'csv', 'all-options'])
    for (const b of buttons) {
      t.equal(b.type, 'button')
      t.ok(b.url!.startsWith(PUBLIC_URL) && b.url!.length <= 3000, String(b.url))
      t.ok((b.text as { text: string }).text.length <= 75)
      const res = await app.inject(local(b.url!))
      t.equal(res.statusCode, 200, `${text}: ${b.action_id} answers (${b.url})`)
      if (b.action_id === 'csv') t.match(res.headers['content-type'], /^text\/csv/)
      if (b.action_id === 'open-page') t.match(res.headers['content-type'], /^text\/html/)
      if (b.action_id === 'all-options') t.match(res.headers['content-type'], /^application\/json/)
    }
  }
})

t.test('the recommendation shows its first file to apply', async (t) => {
  const { ask } = await slackApp(t, { PUBLIC_URL })
  const blocks = await ask('recommend instance=m5.large')
  const apply = blocks.find((b) => b.type === 'section' && b.text?.text.startsWith('*To apply*'))
  t.ok(apply, 'a To apply section')
  t.match(apply!.text!.text, /vpc-cni-values\.json/)
  t.match(apply!.text!.text, /```[\s\S]*"env"[\s\S]*```/, 'the add-on values in a code block')
  t.ok(apply!.text!.text.length <= 3000)
})

t.test('without PUBLIC_URL: no image blocks (Slack could not fetch localhost), the buttons stay', async (t) => {
  const { ask } = await slackApp(t, {})
  const blocks = await ask('maxpods m5.large')
  t.notOk(blocks.some((b) => b.type === 'image'), 'no image')
  t.ok(blocks.some((b) => b.type === 'actions'), 'buttons')
})

t.test('/slack/interactions acknowledges a signed button click, refuses an unsigned one', async (t) => {
  const { app } = await slackApp(t, { PUBLIC_URL })
  const body = new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', actions: [{ action_id: 'csv' }] }) }).toString()
  const signed = await app.inject({
    method: 'POST',
    url: '/slack/interactions',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(NOW_S), 'x-slack-signature': signSlackRequest(SECRET, String(NOW_S), body) },
    payload: body,
  })
  t.equal(signed.statusCode, 200)
  t.equal(signed.body, '')
  const unsigned = await app.inject({ method: 'POST', url: '/slack/interactions', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: body })
  t.equal(unsigned.statusCode, 401)
})

/** Every text of a message: section texts and fields, context elements. */
const allText = (blocks: Block[]): string =>
  blocks
    .flatMap((b) => [b.text?.text ?? '', ...(b.fields ?? []).map((f) => f.text), ...(b.elements ?? []).map((e) => (typeof e.text === 'string' ? e.text : ''))])
    .join('\n')
const contextText = (blocks: Block[]): string =>
  blocks.filter((b) => b.type === 'context').flatMap((b) => (b.elements ?? []).map((e) => String(e.text))).join('\n')
const money = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`

t.test('help and usage errors carry link buttons like the other answers', async (t) => {
  const { app, ask } = await slackApp(t, { PUBLIC_URL })
  const cases: Array<[string, string[]]> = [
    ['help', ['open-page', 'docs', 'all-options']],
    ['', ['open-page', 'docs', 'all-options']],
    ['help recommend', ['open-page', 'docs', 'all-options']],
    ['help maxpods', ['open-page', 'docs', 'csv']],
    ['help plan', ['open-page', 'docs', 'catalog']],
    ['plan cpu=1', ['open-page', 'docs', 'catalog']],
    ['maxpods m5.lorge', ['open-page', 'docs', 'csv']],
    ['recommend multicast=maybe', ['open-page', 'docs', 'all-options']],
    ['launch the rockets', ['open-page', 'docs', 'all-options']],
  ]
  for (const [text, ids] of cases) {
    const blocks = await ask(text)
    const actions = blocks.filter((b) => b.type === 'actions')
    t.equal(actions.length, 1, `${JSON.stringify(text)}: one actions block`)
    t.equal(blocks.at(-1)!.type, 'actions', 'after the usage text')
    t.notOk(blocks.some((b) => b.type === 'image'), 'nothing to draw: no image')
    const buttons = actions[0]!.elements!
    t.same(buttons.map((b) => b.action_id), ids, JSON.stringify(text))
    for (const b of buttons) {
      t.ok(b.url!.startsWith(PUBLIC_URL) && b.url!.length <= 3000, String(b.url))
      const res = await app.inject(local(b.url!))
      t.ok(res.statusCode === 200 || (res.statusCode >= 300 && res.statusCode < 400), `${b.action_id} answers (${b.url}: ${res.statusCode})`)
    }
  }
  const docs = await app.inject('/docs')
  t.match(String(docs.statusCode), /^(200|30\d)$/, 'the docs button opens Swagger UI, every option of every question')
})

t.test('without PUBLIC_URL help links to the local address, as every answer does', async (t) => {
  const { ask } = await slackApp(t, {})
  const answerButtons = (await ask('maxpods m5.large')).find((b) => b.type === 'actions')!.elements!
  const origin = new URL(answerButtons[0]!.url!).origin
  for (const text of ['help', 'plan total=lots']) {
    const blocks = await ask(text)
    const buttons = blocks.find((b) => b.type === 'actions')?.elements ?? []
    t.ok(buttons.length >= 2, `${text}: buttons`)
    t.ok(buttons.every((b) => new URL(b.url!).origin === origin), `${text}: the same base as the other answers (${origin})`)
    t.notOk(blocks.some((b) => b.type === 'image'))
  }
})

t.test('/cni plan names its price kind with source and date, and the node overhead columns', async (t) => {
  const { db } = await freshDatabase(t)
  // The seed has on-demand prices only: a spot price for m5.large, as a refresh would write it.
  await db.query(
    `INSERT INTO prices (region, instance_type, usd_per_hour, source, as_of, capacity_type, az_count, spot_timestamp)
     VALUES ('us-east-1', 'm5.large', 0.0391, 'aws-ec2-spot-price-history', '2026-11-30T00:00:00Z', 'spot', 6, '2026-11-30T00:00:00Z')`,
  )
  const { app, ask } = await slackApp(t, { PUBLIC_URL }, db)

  t.test('spot: the asked kind, its source and date; N of M priced and no cheapest', async (t) => {
    for (const text of ['plan total=300 instance=m5.large,m5.xlarge spot', 'plan total=300 instance=m5.large,m5.xlarge capacityType=spot', 'plan total=300 types=m5.large,m5.xlarge price=spot']) {
      const blocks = await ask(text)
      const rest = (await app.inject('/v1/capacity-plans?totalPods=300&instanceTypes=m5.large,m5.xlarge&capacityType=spot')).json()
      t.equal(rest.pricing.summary, '1 of 2 types priced in us-east-1 (spot)')
      const lead = blocks[1]!.text!.text
      const row = rest.rows[0]
      t.equal(row.instanceType, 'm5.large')
      t.notMatch(lead, /Cheapest/, `${text}: no "cheapest" while a type has no price`)
      t.match(lead, `Lowest priced of the 1 priced types (1 of 2 types priced in us-east-1 (spot)): ${row.nodes} × m5.large (secondary-ip) at ${money(row.monthlyUsd)}/month`)
      t.match(lead, /at spot prices/)
      t.match(lead, /_300 pods of 100m CPU and 128 MiB, secondary-ip, us-east-1, spot prices_/)
      const notes = contextText(blocks)
      t.match(notes, 'Prices: spot in us-east-1, aws-ec2-spot-price-history, as of 2026-11-30', 'the source and its date')
      t.match(notes, /median over the region's Availability Zones/, 'what a spot price is')
      t.match(notes, /POST \/v1\/admin\/refresh/, 'a hint to run a refresh')
      t.match(notes, 'us-east-1 spot prices as of 2026-11-30', 'the footer dates the spot prices, not the on-demand ones')
      const fields = blocks.find((b) => b.fields)!.fields!.map((f) => f.text)
      t.match(fields[0], `*m5.large*: ${money(row.monthlyUsd)}/month`)
      t.match(fields[1], '*m5.xlarge*: no price in the region')
      const page = new URL(blocks.find((b) => b.type === 'actions')!.elements!.find((e) => e.action_id === 'open-page')!.url!)
      t.match(Object.fromEntries(page.searchParams), { totalPods: '300', capacityType: 'spot', instanceTypes: 'm5.large,m5.xlarge', costScope: 'mine' }, 'the page opens on the same question')
    }
    const filtered = await ask('plan total=3000 arch=arm64 category=m vcpu=4 pernode=30')
    const page = new URL(filtered.find((b) => b.type === 'actions')!.elements!.find((e) => e.action_id === 'open-page')!.url!)
    t.same(Object.fromEntries(page.searchParams), { totalPods: '3000', podsPerNode: '30', arch: 'arm64', category: 'm', minVcpu: '4' }, 'the filters the page’s cost chart takes')
  })

  t.test('spot where the catalog has none: ranked by nodes, no cheapest, run a refresh', async (t) => {
    const blocks = await ask('plan total=3000 family=m5 region=us-west-2 spot')
    const lead = blocks[1]!.text!.text
    t.match(lead, /^No spot prices in us-west-2 for these types \(0 of \d+ types priced in us-west-2 \(spot\)\): ranked by nodes, fewest first: \d+ × m5\.\S+ \(secondary-ip\)\. Without prices no type is named the cheapest: run a catalog refresh for us-west-2\./)
    t.notMatch(allText(blocks), /Cheapest|\$\d/, 'no dollar figure and no cheapest')
    t.match(contextText(blocks), 'Prices: the catalog has no spot prices for us-west-2')
    t.match(contextText(blocks), 'no spot prices for us-west-2', 'and the footer has no date for them')
    t.match(contextText(blocks), /fetches the region's spot prices from the EC2 spot price history/)
  })

  t.test('reserved-1y and on-demand name theirs too', async (t) => {
    const od = contextText(await ask('plan total=300 instance=m5.large'))
    t.match(od, /Prices: on-demand in us-east-1, aws\/karpenter-provider-aws@\w+ \(static pricing table\), as of 2026-07-20: on-demand Linux price/)
    const ri = await ask('plan total=300 instance=m5.large reserved')
    t.match(ri[1]!.text!.text, /^No reserved-1y prices in us-east-1/)
    t.match(contextText(ri), 'Prices: the catalog has no reserved-1y prices for us-east-1')
  })

  t.test('ebsGiB and clusterFee: the EBS, control-plane and total columns, apart from the nodes', async (t) => {
    const blocks = await ask('plan total=300 instance=m5.large,m6i.large ebs=20 fee=standard')
    const rest = (await app.inject('/v1/capacity-plans?totalPods=300&instanceTypes=m5.large,m6i.large&ebsGiB=20&clusterFee=standard')).json()
    const fields = blocks.find((b) => b.fields)!.fields!.map((f) => f.text)
    for (const [i, r] of (rest.rows as Array<{ instanceType: string; monthlyUsd: number; ebsMonthlyUsd: number; clusterFeeMonthlyUsd: number; totalMonthlyUsd: number }>).entries()) {
      t.match(fields[i], `*${r.instanceType}*: ${money(r.monthlyUsd)}/month`, 'the node cost as before')
      t.match(fields[i], `\nEBS ${money(r.ebsMonthlyUsd)} · EKS fee ${money(r.clusterFeeMonthlyUsd)} · total ${money(r.totalMonthlyUsd)}/month`, 'each overhead column and the total')
    }
    t.equal(rest.rows[0].clusterFeeMonthlyUsd, 73)
    const lead = blocks[1]!.text!.text
    t.match(lead, `; ${money(rest.rows[0].totalMonthlyUsd)}/month in all with EBS and the EKS control-plane fee.`)
    t.match(lead, /, 20 GiB EBS per node, EKS control-plane fee \(standard\)_/)
    const notes = contextText(blocks)
    t.match(notes, 'EBS (ebsMonthlyUsd): 20 GiB gp3 per node at $0.08/GB-month (https://aws.amazon.com/ebs/pricing/')
    t.match(notes, 'as of 2026-08-21)', 'the gp3 price’s date')
    t.match(notes, 'EKS control plane (clusterFeeMonthlyUsd): standard support, $73.00/month per cluster')
    t.match(notes, /never folded into the node price/)

    const eu = await ask('plan total=300 instance=m5.large region=eu-west-1 ebs=20')
    t.match(contextText(eu), 'EBS (ebsMonthlyUsd): no gp3 price for eu-west-1 in the catalog', 'no gp3 price: said, not guessed')
    t.match(eu.find((b) => b.fields)!.fields![0]!.text, 'EBS not priced (no gp3 price) · total unknown')
  })
})
