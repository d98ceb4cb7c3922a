import t from 'tap'
import { buildTestApp } from '../helper.js'

t.test('capacity plans over REST', async (t) => {
  const app = await buildTestApp(t)

  t.test("the seed's own example by hand: m5.large, us-east-1, 270 small pods", async (t) => {
    const res = await app.inject('/v1/capacity-plans?totalPods=270&podCpu=0.05&podMemoryMiB=128&instanceTypes=m5.large&region=us-east-1')
    t.equal(res.statusCode, 200)
    const [row] = res.json().rows
    // 3 ENIs × (10 − 1) + 2 = 29 max pods; 29 − 2 host-network pods = 27 workload pods per node.
    t.equal(row.podsPerNode, 27)
    t.equal(row.limitedBy, 'ips', 'the address limit binds, not a cap')
    // ⌈270 ÷ 27⌉ = 10 nodes; 10 × $0.096 × 730 h = $700.80; ÷ 270 pods = $2.5955… → $2.60.
    t.equal(row.nodes, 10)
    t.equal(row.usdPerHour, 0.096)
    t.equal(row.monthlyUsd, 700.8)
    t.equal(row.usdPerPodMonth, 2.6)
    // Full nodes: 3 ENIs × (1 primary + 9 secondary) = 30 addresses each, 300 in all.
    t.equal(row.vpcIps, 300)
    t.match(row.formula, /⌈270 ÷ 27⌉ = 10/)
    t.ok(res.json().references.length > 0)
    t.match(res.json().catalog, { version: 1, region: 'us-east-1', stale: false })
  })

  t.test('POST gives the same answer as GET', async (t) => {
    const get = await app.inject('/v1/capacity-plans?totalPods=500&podCpu=0.25&podMemoryMiB=512&family=m6i&mode=prefix-delegation')
    const post = await app.inject({
      method: 'POST',
      url: '/v1/capacity-plans',
      payload: { totalPods: 500, podCpu: 0.25, podMemoryMiB: 512, family: 'm6i', mode: 'prefix-delegation' },
    })
    t.equal(post.statusCode, 200)
    t.same(post.json(), get.json())
  })

  t.test('rows sorted by monthly cost; unpriced types last with a note', async (t) => {
    const res = await app.inject('/v1/capacity-plans?totalPods=1000&region=eu-west-1&instanceTypes=m5.large,m5.xlarge,c6i.large,m6i.large')
    const rows = res.json().rows
    const priced = rows.filter((r: { monthlyUsd: number | null }) => r.monthlyUsd !== null)
    for (let i = 1; i < priced.length; i++) t.ok(priced[i - 1].monthlyUsd <= priced[i].monthlyUsd)
    const unpriced = rows.filter((r: { monthlyUsd: number | null }) => r.monthlyUsd === null)
    t.ok(unpriced.length > 0, 'eu-west-1 has no price for some of these')
    t.same(rows.slice(-unpriced.length), unpriced, 'unpriced rows come last')
    t.ok(unpriced.every((r: { notes: string[]; nodes: number }) => r.notes.some((n) => /no on-demand price/.test(n)) && r.nodes > 0))
  })

  t.test('whole catalog, CSV', async (t) => {
    const res = await app.inject('/v1/capacity-plans?totalPods=3000&format=csv')
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /text\/csv/)
    const lines = res.body.trimEnd().split('\r\n')
    t.ok(lines.length > 1391, 'one row per instance type plus the header')
    t.match(lines[0], /^instance_type,mode,region,total_pods,pods_per_node,limited_by,nodes,vpc_ips,usd_per_hour,monthly_usd,usd_per_pod_month/)
    t.notMatch(res.body, /,\$\d/, 'no currency signs in number cells')
  })

  t.test('limit keeps the cheapest rows', async (t) => {
    const res = await app.inject('/v1/capacity-plans?totalPods=100&family=m5&limit=3')
    t.equal(res.json().rows.length, 3)
    t.ok(res.json().totalRows > 3)
  })

  t.test('bad input names the field', async (t) => {
    const bad: Array<[string, string, number]> = [
      ['', 'totalPods', 400],
      ['totalPods=0', 'totalPods', 400],
      ['totalPods=-5', 'totalPods', 400],
      ['totalPods=2.5', 'totalPods', 400],
      ['totalPods=1e12', 'totalPods', 400],
      ['totalPods=99999999999', 'totalPods', 400],
      ['totalPods=10&podCpu=0', 'podCpu', 400],
      ['totalPods=10&podMemoryMiB=-1', 'podMemoryMiB', 400],
      ['totalPods=10&mode=fast', 'mode', 400],
      ['totalPods=10&region=mars', 'region', 400],
      ['totalPods=10&instanceTypes=M5.LARGE!', 'instanceTypes', 400],
      ['totalPods=10&instanceTypes=m5.larg', 'instanceTypes', 404],
      ['totalPods=10&family=zz9', 'family', 404],
      ['totalPods=10&warmIpTarget=-1', 'warmIpTarget', 400],
      ['totalPods=10&bogus=1', 'bogus', 400],
    ]
    for (const [q, field, status] of bad) {
      const res = await app.inject(`/v1/capacity-plans?${q}`)
      t.equal(res.statusCode, status, q)
      t.equal(res.json().field, field, q)
    }
    const post = await app.inject({ method: 'POST', url: '/v1/capacity-plans', payload: { totalPods: '10' } })
    t.equal(post.statusCode, 400, 'JSON bodies are typed: a string is not a number')
    t.equal(post.json().field, 'totalPods')
    const notJson = await app.inject({ method: 'POST', url: '/v1/capacity-plans', payload: '{"totalPods":', headers: { 'content-type': 'application/json' } })
    t.equal(notJson.statusCode, 400)
  })
})
