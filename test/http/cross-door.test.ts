// One question, every door: REST JSON, CSV, GraphQL and Slack give the same answer, for the hard cases
// (Windows, Fargate, Xen, multicast) and the options and mode added in December 2026.
import t from 'tap'
import { signSlackRequest } from '../../src/slack/signature.js'
import { buildTestApp } from '../helper.js'

const SECRET = 'test-signing-secret-not-real'
const NOW_S = 1_767_225_600
const clock = () => new Date(NOW_S * 1000)

interface Option {
  id: string
  score: number
  verdict: string
  density: { mode: string; maxPodsPerNode: number | null }
}

// Each case: the REST body, the GraphQL input literal, the Slack words, and what a senior engineer expects.
const CASES: Array<{ name: string; body: Record<string, unknown>; graphql: string; slack: string; winner: string[]; options?: string[] }> = [
  {
    // EKS windows-support: one ENI serves pods on Windows, 9 on an m5.large, so 20 pods need prefixes.
    name: 'Windows m5.large, 20 pods per node',
    body: { windows: true, podsPerNode: 20, instanceTypes: ['m5.large'] },
    graphql: 'windows: true, podsPerNode: 20, instanceTypes: ["m5.large"]',
    slack: 'recommend windows pods=20 instance=m5.large',
    winner: ['aws-vpc-cni-prefix-delegation', 'aws-vpc-cni-calico-policy'],
  },
  {
    // Multicast: Cilium (VXLAN) or Antrea (encap), both beta; Weave Net archived.
    name: 'multicast',
    body: { multicast: 'required' },
    graphql: 'multicast: REQUIRED',
    slack: 'recommend multicast',
    winner: ['cilium-overlay', 'antrea-encap'],
    options: ['antrea-encap', 'calico-ebpf', 'eks-auto-mode', 'aws-vpc-cni-custom-networking-prefix-delegation'],
  },
  {
    // The VPC CNI policy agent runs on secondary IPs where prefix delegation cannot (Xen).
    name: 'network policy on m4.large',
    body: { networkPolicy: 'required', instanceTypes: ['m4.large'] },
    graphql: 'networkPolicy: REQUIRED, instanceTypes: ["m4.large"]',
    slack: 'recommend policy instance=m4.large',
    winner: ['eks-auto-mode', 'aws-vpc-cni-network-policy'],
  },
  {
    // Fargate pods cannot reach overlay addresses; the policy engines stay open.
    name: 'Fargate with policy preferred',
    body: { fargate: true, networkPolicy: 'preferred' },
    graphql: 'fargate: true, networkPolicy: PREFERRED',
    slack: 'recommend fargate policy=preferred',
    winner: ['eks-auto-mode', 'aws-vpc-cni-network-policy', 'aws-vpc-cni-calico-policy'],
  },
]

const toWord = (v: string) => v.toLowerCase().replace(/_/g, '-')

/** The cells of one RFC 4180 line (quoted cells may hold commas and doubled quotes). */
function cells(line: string): string[] {
  const out: string[] = []
  const re = /("(?:[^"]|"")*"|[^,]*)(,|$)/g
  for (let m = re.exec(line); m !== null && m.index < line.length; m = re.exec(line)) {
    const v = m[1] as string
    out.push(v.startsWith('"') ? v.slice(1, -1).replace(/""/g, '"') : v)
    if (m[2] === '') break
  }
  return out
}

t.test('every door gives the same answer', async (t) => {
  const app = await buildTestApp(t, { env: { SLACK_SIGNING_SECRET: SECRET, PUBLIC_URL: 'https://cni-advisor.example.com' }, deps: { clock } })
  /** A /cni command as Slack sends it, signed. */
  const slackCommand = (text: string) => {
    const form = new URLSearchParams({ team_id: 'T0001', user_id: 'U0001', command: '/cni', text }).toString()
    return app.inject({
      method: 'POST',
      url: '/slack/commands',
      payload: form,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(NOW_S),
        'x-slack-signature': signSlackRequest(SECRET, String(NOW_S), form),
      },
    })
  }

  for (const c of CASES) {
    t.test(c.name, async (t) => {
      const rest = (await app.inject({ method: 'POST', url: '/v1/recommendations', payload: c.body })).json() as { recommendation: Option | null; options: Option[] }
      t.ok(c.winner.includes(rest.recommendation?.id ?? ''), `REST winner ${rest.recommendation?.id} is one of ${c.winner.join(', ')}`)
      for (const id of c.options ?? []) t.ok(rest.options.some((o) => o.id === id), `${id} is among the options`)

      const gql = await app.inject({
        method: 'POST',
        url: '/graphql',
        payload: { query: `{ recommend(requirements: { ${c.graphql} }) { recommendation { id } options { id score verdict density { mode maxPodsPerNode } } } }` },
      })
      const data = gql.json().data.recommend as { recommendation: { id: string } | null; options: Option[] }
      t.equal(data.recommendation?.id, rest.recommendation?.id, 'GraphQL: the same winner')
      t.same(
        data.options.map((o) => [o.id, o.score, toWord(o.verdict), toWord(o.density.mode), o.density.maxPodsPerNode]),
        rest.options.map((o) => [o.id, o.score, o.verdict, o.density.mode, o.density.maxPodsPerNode]),
        'GraphQL: the same options, scores, verdicts and density',
      )

      const query = new URLSearchParams(Object.entries(c.body).map(([k, v]): [string, string] => [k, Array.isArray(v) ? v.join(',') : String(v)]))
      const csv = await app.inject(`/v1/recommendations?${query}&format=csv`)
      const rows = csv.body.trimEnd().split('\r\n').slice(1).map(cells)
      t.same(
        rows.map((r) => [r[1], Number(r[5]), r[6]]),
        rest.options.map((o) => [o.id, o.score, o.verdict]),
        'CSV: the same options, scores and verdicts, in rank order',
      )

      const slack = await slackCommand(c.slack)
      t.equal(slack.statusCode, 200)
      t.match(slack.body, rest.recommendation?.id ?? 'No option', 'Slack names the same winner')
    })
  }

  t.test('the new mode through REST, GraphQL, Slack and capacity plans', async (t) => {
    const mode = 'custom-networking-prefix-delegation'
    const rest = (await app.inject(`/v1/instance-types/m5.large/max-pods?mode=${mode}`)).json()
    // (E − 1) × (I − 1) × 16 + 2 = 2 × 9 × 16 + 2 = 290, capped at 110 (2 vCPUs).
    t.same([rest.maxPods, rest.recommendedMaxPods, rest.podsForWorkloads], [290, 110, 108])
    const gql = (
      await app.inject({
        method: 'POST',
        url: '/graphql',
        payload: { query: '{ maxPods(instanceType: "m5.large", mode: CUSTOM_NETWORKING_PREFIX_DELEGATION) { maxPods recommendedMaxPods formula } }' },
      })
    ).json().data.maxPods
    t.same([gql.maxPods, gql.recommendedMaxPods, gql.formula], [rest.maxPods, rest.recommendedMaxPods, rest.formula])
    const slack = await slackCommand(`maxpods m5.large ${mode}`)
    t.match(slack.body, /110/)
    const plan = (await app.inject(`/v1/capacity-plans?totalPods=1000&podCpu=0.01&podMemoryMiB=32&instanceTypes=m5.large&mode=${mode}`)).json()
    t.equal(plan.rows[0].mode, mode)
    t.ok(plan.rows[0].podsPerNode > 27, 'more pods per node than secondary IPs allow')
    const planGql = (
      await app.inject({
        method: 'POST',
        url: '/graphql',
        payload: { query: '{ capacityPlan(input: { totalPods: 1000, podCpu: 0.01, podMemoryMiB: 32, instanceTypes: ["m5.large"], mode: CUSTOM_NETWORKING_PREFIX_DELEGATION }) { rows { podsPerNode nodes vpcIps } } }' },
      })
    ).json().data.capacityPlan
    t.same(planGql.rows[0], { podsPerNode: plan.rows[0].podsPerNode, nodes: plan.rows[0].nodes, vpcIps: plan.rows[0].vpcIps })
  })

  t.test('Windows max pods through REST and GraphQL', async (t) => {
    const rest = (await app.inject('/v1/instance-types/m5.large/max-pods?os=windows')).json()
    t.same([rest.os, rest.maxPods, rest.podsForWorkloads], ['windows', 9, 9])
    const gql = (await app.inject({ method: 'POST', url: '/graphql', payload: { query: '{ maxPods(instanceType: "m5.large", os: WINDOWS) { os maxPods } }' } })).json().data.maxPods
    t.same(gql, { os: 'WINDOWS', maxPods: 9 })
    const bad = await app.inject('/v1/instance-types/m5.large/max-pods?os=macos')
    t.equal(bad.statusCode, 400)
    t.match(bad.json().message, /os must be one of linux, windows/)
  })

  t.test('Mac instances say they are not EKS nodes', async (t) => {
    const it = (await app.inject('/v1/instance-types/mac1.metal')).json()
    t.equal(it.eksNode, false)
    const mp = (await app.inject('/v1/instance-types/mac1.metal/max-pods')).json()
    t.equal(mp.supported, false)
    t.match(mp.reason, /macOS/)
  })
})
