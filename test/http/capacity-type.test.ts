// capacityType chooses the price behind every cost column: a plan, the instance-type list and one type
// (REST), and InstanceType.price (GraphQL). The seed has on-demand prices only; spot and reserved rows
// come from a refresh, so the test writes a few itself before the app loads the catalog.
import t from 'tap'
import { buildTestApp, freshDatabase } from '../helper.js'

const SPOT = 0.0391
const RESERVED = 0.0606

t.test('capacityType picks the price kind on every door', async (t) => {
  const { db } = await freshDatabase(t)
  await db.query(
    `INSERT INTO prices (region, instance_type, usd_per_hour, source, as_of, capacity_type, az_count, spot_timestamp)
     VALUES ('us-east-1', 'm5.large', $1, 'aws-ec2-spot-price-history', '2026-11-30T00:00:00Z', 'spot', 6, '2026-11-30T00:00:00Z'),
            ('us-east-1', 'm5.large', $2, 'aws-pricing-api', '2026-11-30T00:00:00Z', 'reserved-1y', NULL, NULL)`,
    [SPOT, RESERVED],
  )
  const app = await buildTestApp(t, { db })

  t.test('a plan costs nodes at the asked kind, and says which', async (t) => {
    const base = '/v1/capacity-plans?totalPods=300&instanceTypes=m5.large,m5.xlarge'
    const onDemand = (await app.inject(base)).json()
    const spot = (await app.inject(`${base}&capacityType=spot`)).json()
    t.equal(onDemand.pricing.capacityType, 'on-demand')
    t.equal(spot.pricing.capacityType, 'spot')
    t.equal(spot.input.capacityType, 'spot')
    const row = spot.rows.find((r: { instanceType: string }) => r.instanceType === 'm5.large')
    t.equal(row.usdPerHour, SPOT, 'the spot price, not the on-demand one')
    t.match(row.formula, /\(spot\)/)
    t.notOk(onDemand.rows.some((r: { usdPerHour: number | null }) => r.usdPerHour === SPOT))
    t.match(spot.pricing, { types: 2, priced: 1, complete: false })
    t.match(spot.pricing.hint, /spot prices from the EC2 spot price history/, 'the hint names where spot prices come from')
    // Every door says where the kind's prices come from and as of when (issue 20: "always with the source and its date").
    t.same(spot.pricing.sources, ['aws-ec2-spot-price-history'], 'the spot prices\' source')
    t.equal(new Date(spot.pricing.asOf).toISOString(), '2026-11-30T00:00:00.000Z', 'the spot prices\' date, not the on-demand one')
    t.ok(onDemand.pricing.sources.length > 0 && onDemand.pricing.asOf !== null, 'on-demand names its source and date too')
    t.notSame(onDemand.pricing.sources, spot.pricing.sources)
    const csv = (await app.inject(`${base}&capacityType=spot&format=csv`)).body
    t.match(csv, /1 of 2 types priced in us-east-1 \(spot\); prices: aws-ec2-spot-price-history, as of 2026-11-30\./, 'the CSV pricing column says the same')
    const gql = (
      await app.inject({
        method: 'POST',
        url: '/graphql',
        payload: { query: '{ capacityPlan(input: { totalPods: 300, instanceTypes: ["m5.large", "m5.xlarge"], capacityType: "spot" }) { pricing { sources asOf } } }' },
      })
    ).json()
    t.same(gql.data?.capacityPlan.pricing, { sources: spot.pricing.sources, asOf: spot.pricing.asOf }, 'GraphQL says the same')
  })

  t.test('instance types carry the asked kind of price', async (t) => {
    const one = (await app.inject('/v1/instance-types/m5.large?capacityType=reserved-1y')).json()
    t.match(one.price, { region: 'us-east-1', capacityType: 'reserved-1y', usdPerHour: RESERVED })
    const plain = (await app.inject('/v1/instance-types/m5.large')).json()
    t.equal(plain.price.capacityType, 'on-demand')
    t.not(plain.price.usdPerHour, RESERVED, 'the default is still on-demand (a different cache entry)')
    const list = (await app.inject('/v1/instance-types?family=m5&capacityType=spot')).json()
    t.match(list.items.find((i: { name: string }) => i.name === 'm5.large').price, { capacityType: 'spot', usdPerHour: SPOT })
    t.equal(list.items.find((i: { name: string }) => i.name === 'm5.xlarge').price, null, 'no spot price: null, not the on-demand one')
  })

  t.test('GraphQL InstanceType.price takes the same capacityType, with the same error', async (t) => {
    const ask = async (arg: string) =>
      (await app.inject({ method: 'POST', url: '/graphql', payload: { query: `{ instanceType(name: "m5.large") { price${arg} { capacityType usdPerHour } } }` } })).json()
    t.same((await ask('(capacityType: "spot")')).data.instanceType.price, { capacityType: 'spot', usdPerHour: SPOT })
    t.equal((await ask('')).data.instanceType.price.capacityType, 'on-demand')
    const bad = await ask('(capacityType: "bogus")')
    const rest = (await app.inject('/v1/instance-types/m5.large?capacityType=bogus')).json()
    t.equal(bad.errors[0].message, rest.message, 'the same message as REST')
  })
})

t.test('node overhead: ebsGiB and clusterFee in columns of their own, on every door', async (t) => {
  const app = await buildTestApp(t)
  const q = 'totalPods=300&instanceTypes=m5.large&ebsGiB=20&clusterFee=standard'
  const plan = (await app.inject(`/v1/capacity-plans?${q}`)).json()
  const row = plan.rows[0]
  t.equal(plan.input.ebsGiB, 20)
  t.equal(plan.input.clusterFee, 'standard')
  // EKS standard support: $0.10 per cluster-hour (aws.amazon.com/eks/pricing) × 730 h.
  t.equal(row.clusterFeeMonthlyUsd, 73)
  t.type(row.ebsMonthlyUsd, 'number', 'the seed carries us-east-1’s gp3 price')
  t.equal(row.totalMonthlyUsd, Math.round((row.monthlyUsd + row.ebsMonthlyUsd + 73) * 100) / 100)
  t.match(row.formula, /EBS = \d+ nodes × 20 GiB × \$[\d.]+\/GB-month \(gp3\)/)
  t.not(row.monthlyUsd, row.totalMonthlyUsd, 'never folded into the node cost')
  t.match(plan.explanation, /counted apart as Kubecost does/)
  t.ok(plan.references.includes('https://aws.amazon.com/eks/pricing/'))
  const plain = (await app.inject('/v1/capacity-plans?totalPods=300&instanceTypes=m5.large')).json()
  t.notOk('totalMonthlyUsd' in plain.rows[0], 'not asked: no overhead columns in JSON')

  const csv = (await app.inject(`/v1/capacity-plans?${q}&format=csv`)).body.split('\r\n')
  const header = csv[0]!.split(',')
  const cells = csv[1]!.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, ''))
  t.equal(cells[header.indexOf('cluster_fee_monthly_usd')], '73')
  t.equal(Number(cells[header.indexOf('total_monthly_usd')]), row.totalMonthlyUsd)

  const gql = (
    await app.inject({
      method: 'POST',
      url: '/graphql',
      payload: { query: '{ capacityPlan(input: {totalPods: 300, instanceTypes: ["m5.large"], ebsGiB: 20, clusterFee: "standard"}) { rows { ebsMonthlyUsd clusterFeeMonthlyUsd totalMonthlyUsd } } }' },
    })
  ).json()
  t.same(gql.data.capacityPlan.rows[0], { ebsMonthlyUsd: row.ebsMonthlyUsd, clusterFeeMonthlyUsd: 73, totalMonthlyUsd: row.totalMonthlyUsd })
  const bad = (await app.inject('/v1/capacity-plans?totalPods=300&clusterFee=gold')).json()
  t.match(bad, { statusCode: 400, field: 'clusterFee' })
})
