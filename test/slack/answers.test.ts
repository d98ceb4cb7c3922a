// What a /cni answer shows besides its text: link buttons in every answer, the chart as an image block
// when PUBLIC_URL is set (its URL answers image/png), and the recommended option's first file to apply.
import t, { type Test } from 'tap'
import { signSlackRequest } from '../../src/slack/signature.js'
import { buildTestApp } from '../helper.js'
import { PNG_MAGIC } from '../fakes/png-reader.js'

const SECRET = 'test-signing-secret-not-real'
const PUBLIC_URL = 'https://cni-advisor.example.com'
const NOW_S = 1_767_225_600
const clock = () => new Date(NOW_S * 1000)

interface Block {
  type: string
  text?: { text: string }
  image_url?: string
  alt_text?: string
  elements?: Array<{ type: string; url?: string; action_id?: string; text?: { text: string } }>
}

async function slackApp(t: Test, env: Record<string, string>) {
  const app = await buildTestApp(t, { env: { SLACK_SIGNING_SECRET: SECRET, ...env }, deps: { clock } })
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
      t.ok(b.text!.text.length <= 75)
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
