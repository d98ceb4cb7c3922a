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
    const json = (await app.inject('/v1/capacity-plans?totalPods=3000')).json()
    t.equal(lines.length, json.totalRows + 1, 'one row per (amd64) instance type plus the header')
    t.match(lines[0], /^instance_type,mode,region,total_pods,pods_per_node,limited_by,nodes,vpc_ips,usd_per_hour,monthly_usd,usd_per_pod_month/)
    t.match(lines[0], /,ranked_by,pricing,ebs_monthly_usd,cluster_fee_monthly_usd,total_monthly_usd$/, 'added columns come last: the ranking, the pricing, then the node overhead')
    t.notMatch(res.body, /,\$\d/, 'no currency signs in number cells')
  })

  t.test('a whole-catalog plan takes amd64 types and says so', async (t) => {
    const plan = (await app.inject('/v1/capacity-plans?totalPods=3000')).json()
    t.match(plan.assumptions, [/whole catalog, amd64 types only/])
    t.equal(plan.filters.arch, 'amd64')
    const archOf = new Map<string, string>()
    for (const i of (await app.inject('/v1/instance-types?limit=500&arch=arm64')).json().items) archOf.set(i.name, i.arch)
    t.notOk(plan.rows.some((r: { instanceType: string }) => archOf.has(r.instanceType)), 'no arm64 row (of the first 500 arm64 types)')
    t.notOk(plan.rows.some((r: { instanceType: string }) => /^t4g\./.test(r.instanceType)), 'no t4g')
    const arm = (await app.inject('/v1/capacity-plans?totalPods=3000&arch=arm64&limit=5')).json()
    t.same(arm.assumptions, [], 'arch given: nothing assumed')
    t.match(arm.rows[0].instanceType, /g/, 'a Graviton type')
    const both = (await app.inject('/v1/capacity-plans?totalPods=3000&arch=any')).json()
    t.ok(both.totalRows > plan.totalRows, 'arch=any keeps both')
    const family = (await app.inject('/v1/capacity-plans?totalPods=3000&family=m6g')).json()
    t.same([family.assumptions, family.filters.arch], [[], null], 'a family is asked: nothing assumed')
  })

  t.test('filters narrow the candidates; nothing left is a 404 naming the filter', async (t) => {
    const plan = (await app.inject('/v1/capacity-plans?totalPods=3000&category=c,m&generation=7&burstable=false&minVcpu=8&bareMetal=false')).json()
    t.ok(plan.rows.length > 5)
    t.ok(plan.rows.every((r: { instanceType: string }) => /^[cm]([7-9]|\d\d)/.test(r.instanceType) && !/metal/.test(r.instanceType)))
    t.match(plan.filters, { arch: 'amd64', category: ['c', 'm'], generation: 7, burstable: false, minVcpu: 8, bareMetal: false })
    const listed = (await app.inject('/v1/capacity-plans?totalPods=100&instanceTypes=m5.large,m6g.large,t3.large&burstable=false&arch=amd64')).json()
    t.same(listed.rows.map((r: { instanceType: string }) => r.instanceType), ['m5.large'], 'the filters apply to a list too')
    const none = await app.inject('/v1/capacity-plans?totalPods=100&family=t3&burstable=false')
    t.equal(none.statusCode, 404)
    t.equal(none.json().field, 'burstable')
    t.match(none.json().message, /no instance type in the catalog matches family=t3, burstable=false/)
    const wrongFamily = await app.inject('/v1/capacity-plans?totalPods=100&instanceTypes=m5.large&family=c5')
    t.same([wrongFamily.statusCode, wrongFamily.json().field], [404, 'family'])
    const unknownFamily = await app.inject('/v1/capacity-plans?totalPods=100&family=m7ii')
    t.equal(unknownFamily.statusCode, 404)
    t.match(unknownFamily.json().message, /unknown instance family "m7ii".*did you mean m7i/)
    const unknownType = await app.inject('/v1/capacity-plans?totalPods=100&instanceTypes=m5.large,c6i.lrage')
    t.match(unknownType.json().message, /unknown instance type "c6i.lrage".*did you mean c6i\.large/)
  })

  t.test('modes side by side; mode keeps working', async (t) => {
    const plan = (await app.inject('/v1/capacity-plans?totalPods=2000&instanceTypes=m5.large,m5.xlarge&modes=secondary-ip,prefix-delegation')).json()
    t.same(plan.modes, ['secondary-ip', 'prefix-delegation'])
    t.equal(plan.rows.length, 4, 'one row per type and mode')
    t.same(new Set(plan.rows.map((r: { mode: string }) => r.mode)), new Set(['secondary-ip', 'prefix-delegation']))
    const cost = plan.rows.map((r: { monthlyUsd: number }) => r.monthlyUsd)
    t.same(cost, [...cost].sort((a: number, b: number) => a - b), 'one ranking over both modes')
    const one = (await app.inject('/v1/capacity-plans?totalPods=2000&instanceTypes=m5.large,m5.xlarge&mode=prefix-delegation')).json()
    const pd = plan.rows.filter((r: { mode: string }) => r.mode === 'prefix-delegation')
    t.same(pd, one.rows, 'each mode’s rows are that mode’s plan')
    t.same([one.modes, one.input.mode], [['prefix-delegation'], 'prefix-delegation'])
    const post = await app.inject({ method: 'POST', url: '/v1/capacity-plans', payload: { totalPods: 2000, instanceTypes: ['m5.large', 'm5.xlarge'], modes: ['secondary-ip', 'prefix-delegation'] } })
    t.same(post.json().rows, plan.rows, 'POST takes a list')
    const both = await app.inject('/v1/capacity-plans?totalPods=10&mode=ipv6&modes=overlay')
    t.same([both.statusCode, both.json().field], [400, 'modes'])
    t.match(both.json().message, /give mode \(one\) or modes \(several, comma-separated\), not both/)
    const bad = await app.inject('/v1/capacity-plans?totalPods=10&modes=secondary-ip,fast')
    t.same([bad.statusCode, bad.json().field], [400, 'modes'])
    t.match(bad.json().message, /modes\[1\] must be a mode \(secondary-ip, /)
  })

  t.test('podsPerNode: types that cannot reach it are left out, with the reason', async (t) => {
    const plan = (await app.inject('/v1/capacity-plans?totalPods=3000&family=m5&podCpu=0.05&podsPerNode=50')).json()
    const serving = plan.rows.filter((r: { reason: string | null }) => r.reason === null)
    t.ok(serving.length > 0)
    t.ok(serving.every((r: { podsPerNode: number }) => r.podsPerNode >= 50))
    const large = plan.rows.find((r: { instanceType: string }) => r.instanceType === 'm5.large')
    t.match(large, { reason: /a node fits 27 workload pods \(limited by ips\), short of the 50 per node asked \(podsPerNode\)/, nodes: null, monthlyUsd: null })
    t.equal(plan.input.podsPerNode, 50)
    t.equal(plan.rows.at(-1).reason !== null, true, 'the rows that cannot serve come last')
    const bad = await app.inject('/v1/capacity-plans?totalPods=10&podsPerNode=0')
    t.same([bad.statusCode, bad.json().field], [400, 'podsPerNode'])
  })

  t.test('no claim without a price: N of M priced, ranked by nodes, a refresh hint (JSON and CSV)', async (t) => {
    const none = (await app.inject('/v1/capacity-plans?totalPods=3000&region=eu-west-1&family=m7i')).json()
    t.match(none.pricing, { region: 'eu-west-1', capacityType: 'on-demand', priced: 0, complete: false, ranking: 'nodes' })
    t.equal(none.pricing.summary, `0 of ${none.pricing.types} types priced in eu-west-1 (on-demand)`)
    t.match(none.pricing.hint, /catalog refresh \(POST \/v1\/admin\/refresh with \{"regions":\["eu-west-1"\]\}/)
    t.match(none.explanation, /ranked by nodes, fewest first, and no cost is given/)
    t.notMatch(none.explanation, /cheapest/i)
    const nodes = none.rows.filter((r: { reason: string | null }) => r.reason === null).map((r: { nodes: number }) => r.nodes)
    t.same(nodes, [...nodes].sort((a: number, b: number) => a - b), 'fewest nodes first')
    t.ok(none.rows.every((r: { monthlyUsd: number | null }) => r.monthlyUsd === null))
    const csv = await app.inject('/v1/capacity-plans?totalPods=3000&region=eu-west-1&family=m7i&format=csv')
    const first = csv.body.split('\r\n')[1]!
    t.match(first, /,nodes,"?0 of \d+ types priced in eu-west-1/, 'ranked_by, then pricing, end every row')
    t.match(csv.body, /0 of \d+ types priced in eu-west-1 \(on-demand\); prices: [^,]+, as of \d{4}-\d\d-\d\d\. The catalog has no on-demand price in eu-west-1/)

    const some = (await app.inject('/v1/capacity-plans?totalPods=3000&region=eu-west-1&family=m5')).json()
    t.match(some.pricing, { ranking: 'cost', complete: false })
    t.ok(some.pricing.priced > 0 && some.pricing.priced < some.pricing.types)
    t.match(some.explanation, /priced rows are ranked by monthly cost, then the unpriced ones by nodes; a type without a price may be cheaper/)
    const all = (await app.inject('/v1/capacity-plans?totalPods=3000&family=m5')).json()
    t.match(all.pricing, { ranking: 'cost', complete: true, hint: null, summary: '9 of 9 types priced in us-east-1 (on-demand)' })
    t.match(all.explanation, /cheapest first/)
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
