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
