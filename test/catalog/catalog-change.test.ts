// planCatalogChange decides what a refresh does to the catalog without a database, a clock or AWS, so
// every count in the refresh report and every sanity gate is checked here from literals, in
// milliseconds: test/catalog/refresh.test.ts keeps the few cases that need the database around them.
import t, { type Test } from 'tap'
import fc from 'fast-check'
import type { AwsInstanceType, SkipCounts } from '../../src/catalog/aws-source.js'
import {
  catalogLimits,
  changeNote,
  DEFAULT_MAX_DROP_SHARE,
  planCatalogChange,
  REFRESH_SOURCE,
  type CatalogDiff,
  type CatalogLimits,
  type CatalogPlan,
  type CurrentCatalog,
  type FetchedCatalog,
} from '../../src/catalog/catalog-change.js'
import { InputError, type InstanceType, type Price } from '../../src/domain/types.js'

const LIMITS: CatalogLimits = { maxDropShare: 0.1, maxPriceDropShare: 0.1 }
const US = 'us-east-1'
const EU = 'eu-west-1'

/** An instance type as the catalog holds it. */
function held(name: string, over: Partial<InstanceType> = {}): InstanceType {
  return {
    name,
    family: name.split('.')[0]!,
    vcpu: 2,
    memoryMiB: 8192,
    arch: 'amd64',
    maxEnis: 3,
    ipv4PerEni: 10,
    networkCards: 1,
    maxEnisAllCards: 3,
    ipv6Supported: true,
    hypervisor: 'nitro',
    bareMetal: false,
    trunking: true,
    branchEnis: 9,
    encryptionInTransit: true,
    networkPerformance: 'Up to 10 Gigabit',
    networkBandwidthMbps: 10_000,
    ...over,
  }
}

/** The same type as DescribeInstanceTypes reports it: no branch-ENI fields. */
function aws(name: string, over: Partial<AwsInstanceType> = {}): AwsInstanceType {
  const { trunking: _t, branchEnis: _b, ...rest } = held(name)
  return { ...rest, ...over }
}

function price(region: string, instanceType: string, usdPerHour = 0.1): Price {
  return { region, instanceType, usdPerHour, source: 'aws-pricing-api', asOf: '2026-11-01T00:00:00.000Z' }
}

/** n type names: t0.large, t1.large, ... (or another prefix, so two lists can be told apart). */
function names(n: number, prefix = 't'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}.large`)
}

function current(types: string[], prices: Price[] = []): CurrentCatalog {
  return { instanceTypes: types.map((n) => held(n)), prices }
}

function fetched(types: string[], prices: Price[] = [], over: Partial<FetchedCatalog> = {}): FetchedCatalog {
  return { regions: [US], instanceTypes: types.map((n) => aws(n)), prices, skipped: {}, ...over }
}

/** The on-demand counts of a diff (the kinds and storage are checked in their own tests below). */
const od = (p: CatalogDiff['prices']) => ({ total: p.total, byRegion: p.byRegion })

function accepted(t: Test, plan: CatalogPlan): Extract<CatalogPlan, { ok: true }> {
  if (!plan.ok) {
    t.fail(`refused: ${plan.why.join('; ')}`)
    throw new Error('refused')
  }
  return plan
}

t.test('instance types: added, removed and updated, as the report counts them', async (t) => {
  const cases: Array<{
    name: string
    current: InstanceType[]
    fetched: AwsInstanceType[]
    want: { total: number; added: number; removed: number; updated: number; addedNames: string[]; removedNames: string[] }
  }> = [
    {
      name: 'the same types again: nothing added, removed or updated',
      current: names(3).map((n) => held(n)),
      fetched: names(3).map((n) => aws(n)),
      want: { total: 3, added: 0, removed: 0, updated: 0, addedNames: [], removedNames: [] },
    },
    {
      name: 'a new type is added',
      current: names(3).map((n) => held(n)),
      fetched: [...names(3), 'new.large'].map((n) => aws(n)),
      want: { total: 4, added: 1, removed: 0, updated: 0, addedNames: ['new.large'], removedNames: [] },
    },
    {
      name: 'added and removed names are sorted, whatever order AWS used',
      current: ['m.b', 'm.a', 'm.c', ...names(30)].map((n) => held(n)),
      fetched: ['z.2', 'a.1', 'm.1', ...names(30)].map((n) => aws(n)),
      want: { total: 33, added: 3, removed: 3, updated: 0, addedNames: ['a.1', 'm.1', 'z.2'], removedNames: ['m.a', 'm.b', 'm.c'] },
    },
    {
      name: 'a type AWS no longer returns is removed (1 of 10, within the limit)',
      current: names(10).map((n) => held(n)),
      fetched: names(9).map((n) => aws(n)),
      want: { total: 9, added: 0, removed: 1, updated: 0, addedNames: [], removedNames: ['t9.large'] },
    },
    {
      name: 'a type whose limits changed is updated',
      current: names(3).map((n) => held(n)),
      fetched: [aws('t0.large', { maxEnis: 4 }), aws('t1.large'), aws('t2.large')],
      want: { total: 3, added: 0, removed: 0, updated: 1, addedNames: [], removedNames: [] },
    },
    {
      name: 'several fields changed on one type still count it once',
      current: names(3).map((n) => held(n)),
      fetched: [aws('t0.large', { maxEnis: 4, ipv4PerEni: 15, vcpu: 4 }), aws('t1.large'), aws('t2.large')],
      want: { total: 3, added: 0, removed: 0, updated: 1, addedNames: [], removedNames: [] },
    },
    {
      name: 'a new type is added, not updated',
      current: names(2).map((n) => held(n)),
      fetched: [...names(2).map((n) => aws(n)), aws('new.large', { maxEnis: 15 })],
      want: { total: 3, added: 1, removed: 0, updated: 0, addedNames: ['new.large'], removedNames: [] },
    },
    {
      name: 'all at once: added, removed, updated',
      current: names(20).map((n) => held(n)),
      fetched: [...names(19).map((n) => aws(n, n === 't3.large' ? { networkBandwidthMbps: 12_500 } : {})), aws('x.large'), aws('y.large')],
      want: { total: 21, added: 2, removed: 1, updated: 1, addedNames: ['x.large', 'y.large'], removedNames: ['t19.large'] },
    },
    {
      name: 'a first refresh into an empty catalog adds everything',
      current: [],
      fetched: names(5).map((n) => aws(n)),
      want: { total: 5, added: 5, removed: 0, updated: 0, addedNames: names(5).sort(), removedNames: [] },
    },
  ]
  for (const c of cases) {
    const plan = accepted(t, planCatalogChange({ instanceTypes: c.current, prices: [] }, { regions: [US], instanceTypes: c.fetched, prices: [], skipped: {} }, LIMITS))
    t.same(plan.diff.instanceTypes, c.want, c.name)
    t.equal(plan.next.instanceTypes.length, c.want.total, `${c.name}: every fetched type is written`)
  }
})

t.test('each field DescribeInstanceTypes supplies counts as an update', async (t) => {
  const changes: Array<Partial<AwsInstanceType>> = [
    { family: 'other' },
    { vcpu: 4 },
    { vcpu: null },
    { memoryMiB: 16384 },
    { arch: 'arm64' },
    { maxEnis: 4 },
    { ipv4PerEni: 15 },
    { networkCards: 2 },
    { maxEnisAllCards: 6 },
    { ipv6Supported: false },
    { hypervisor: 'xen' },
    { bareMetal: true },
    { encryptionInTransit: null },
    { networkPerformance: '25 Gigabit' },
    { networkBandwidthMbps: 25_000 },
  ]
  for (const change of changes) {
    const plan = accepted(t, planCatalogChange(current(['m5.large']), { ...fetched([]), instanceTypes: [aws('m5.large', change)] }, LIMITS))
    t.equal(plan.diff.instanceTypes.updated, 1, `${JSON.stringify(change)} is an update`)
    t.match(plan.next.instanceTypes[0], change, `${JSON.stringify(change)} is written`)
  }
})

t.test('the next rows: AWS specs, the branch-ENI fields kept from the catalog, source aws', async (t) => {
  const now = current(['m5.large'])
  now.instanceTypes[0] = held('m5.large', { trunking: true, branchEnis: 9, maxEnis: 3 })
  const plan = accepted(t, planCatalogChange(now, { ...fetched([]), instanceTypes: [aws('m5.large', { maxEnis: 4 }), aws('new.large')] }, LIMITS))
  const [known, added] = plan.next.instanceTypes
  t.match(known, { name: 'm5.large', maxEnis: 4, trunking: true, branchEnis: 9, source: REFRESH_SOURCE }, 'limits from AWS, branch ENIs kept')
  t.match(added, { name: 'new.large', trunking: false, branchEnis: 0, source: REFRESH_SOURCE }, 'no branch-ENI limits for a new type')
  t.equal(REFRESH_SOURCE, 'aws')

  // Even if a source handed back branch-ENI fields, the catalog's win: no AWS API publishes them.
  const sneaky = { ...aws('m5.large'), trunking: false, branchEnis: 0 } as AwsInstanceType
  const kept = accepted(t, planCatalogChange(now, { ...fetched([]), instanceTypes: [sneaky] }, LIMITS))
  t.match(kept.next.instanceTypes[0], { trunking: true, branchEnis: 9 })
  t.equal(kept.diff.instanceTypes.updated, 0, 'the branch-ENI fields are not compared')
})

t.test('the instance-type limit, at and around its boundary', async (t) => {
  // [current types, how many disappear, limit, refusal (null: accepted)]
  const cases: Array<[number, number, number, string | null]> = [
    [10, 0, 0.1, null],
    [10, 1, 0.1, null], // exactly 10 %: allowed
    [10, 2, 0.1, '2 of 10 instance types (20.0 %) would disappear, more than the 10 % allowed'],
    [30, 3, 0.1, null], // 3/30 is the double nearest 0.1, as is the limit
    [30, 4, 0.1, '4 of 30 instance types (13.3 %) would disappear, more than the 10 % allowed'],
    [100, 10, 0.1, null],
    [100, 11, 0.1, '11 of 100 instance types (11.0 %) would disappear, more than the 10 % allowed'],
    [1000, 100, 0.1, null],
    [1000, 101, 0.1, '101 of 1000 instance types (10.1 %) would disappear, more than the 10 % allowed'],
    [1391, 139, 0.1, null], // the seed's size
    [1391, 140, 0.1, '140 of 1391 instance types (10.1 %) would disappear, more than the 10 % allowed'],
    [9, 1, 0.1, '1 of 9 instance types (11.1 %) would disappear, more than the 10 % allowed'], // one of few is already too many
    [1000, 0, 0, null],
    [1000, 1, 0, '1 of 1000 instance types (0.1 %) would disappear, more than the 0 % allowed'],
    [8, 1, 0.125, null],
    [8, 2, 0.125, '2 of 8 instance types (25.0 %) would disappear, more than the 12.5 % allowed'],
    [3, 1, 0.333, '1 of 3 instance types (33.3 %) would disappear, more than the 33.3 % allowed'],
    [4, 1, 0.25, null],
    [10, 9, 1, null], // limit 1: anything goes but an empty answer
    [10, 5, 0.5, null],
    [10, 6, 0.5, '6 of 10 instance types (60.0 %) would disappear, more than the 50 % allowed'],
  ]
  for (const [size, gone, limit, refusal] of cases) {
    const all = names(size)
    const plan = planCatalogChange(current(all), fetched(all.slice(gone)), { maxDropShare: limit, maxPriceDropShare: 1 })
    const label = `${gone} of ${size} gone, limit ${limit}`
    if (refusal === null) {
      t.equal(accepted(t, plan).diff.instanceTypes.removed, gone, label)
    } else {
      t.same(plan, { ok: false, why: [refusal] }, label)
    }
  }
})

t.test('types replaced by as many new ones still count as removed', async (t) => {
  // Renamed wholesale (a truncated or foreign answer): the new names do not make up for the lost ones.
  const plan = planCatalogChange(current(names(10)), fetched([...names(8), 'x.large', 'y.large']), LIMITS)
  t.same(plan, { ok: false, why: ['2 of 10 instance types (20.0 %) would disappear, more than the 10 % allowed'] })
})

t.test('prices per region: counted, replaced for the regions asked, and gated', async (t) => {
  const types = names(10)
  const us = types.map((n) => price(US, n))
  const eu = types.map((n) => price(EU, n, 0.2))

  t.test('the same prices again', async (t) => {
    const plan = accepted(t, planCatalogChange(current(types, [...us, ...eu]), fetched(types, us), LIMITS))
    t.same(od(plan.diff.prices), { total: 10, byRegion: { [US]: 10 } })
    t.same(plan.next.prices, { regions: [US], rows: us })
  })

  t.test('a changed price is written, and is no drop', async (t) => {
    const next = us.map((p, i) => (i === 0 ? { ...p, usdPerHour: 0.5 } : p))
    const plan = accepted(t, planCatalogChange(current(types, us), fetched(types, next), LIMITS))
    t.equal(plan.next.prices.rows[0]!.usdPerHour, 0.5)
    t.same(od(plan.diff.prices), { total: 10, byRegion: { [US]: 10 } })
  })

  t.test('a price for a new type is counted', async (t) => {
    const plan = accepted(t, planCatalogChange(current(types, us), fetched([...types, 'new.large'], [...us, price(US, 'new.large')]), LIMITS))
    t.same(od(plan.diff.prices), { total: 11, byRegion: { [US]: 11 } })
  })

  t.test('a region with no prices yet has nothing to lose', async (t) => {
    const plan = accepted(t, planCatalogChange(current(types, us), fetched(types, [...us, ...eu.slice(0, 3)], { regions: [US, EU] }), LIMITS))
    t.same(od(plan.diff.prices), { total: 13, byRegion: { [US]: 10, [EU]: 3 } })
    t.same(plan.next.prices.regions, [US, EU])
  })

  t.test('a region asked for that AWS priced nothing in, and had nothing: counted as 0, accepted', async (t) => {
    const plan = accepted(t, planCatalogChange(current(types, us), fetched(types, us, { regions: [US, EU] }), LIMITS))
    t.same(plan.diff.prices.byRegion, { [US]: 10, [EU]: 0 })
  })

  t.test('regions not asked for are neither gated nor replaced', async (t) => {
    // The current eu-west-1 prices are all "missing" from the fetch, but eu-west-1 was not refreshed.
    const plan = accepted(t, planCatalogChange(current(types, [...us, ...eu]), fetched(types, us), LIMITS))
    t.same(plan.next.prices.regions, [US], 'only us-east-1 is replaced')
    t.notOk(plan.next.prices.rows.some((p) => p.region === EU))
  })

  t.test('a price AWS returned for a region not asked for is not written', async (t) => {
    const plan = accepted(t, planCatalogChange(current(types, us), fetched(types, [...us, price(EU, 't0.large')]), LIMITS))
    t.same(od(plan.diff.prices), { total: 10, byRegion: { [US]: 10 } })
    t.notOk(plan.next.prices.rows.some((p) => p.region === EU))
  })

  t.test('the price limit, at and around its boundary', async (t) => {
    // [current prices, how many disappear, limit, refusal]
    const cases: Array<[number, number, number, string | null]> = [
      [10, 1, 0.1, null],
      [10, 2, 0.1, `2 of 10 prices in ${US} (20.0 %) would disappear, more than the 10 % allowed`],
      [100, 10, 0.1, null],
      [100, 11, 0.1, `11 of 100 prices in ${US} (11.0 %) would disappear, more than the 10 % allowed`],
      [200, 20, 0.1, null],
      [200, 21, 0.1, `21 of 200 prices in ${US} (10.5 %) would disappear, more than the 10 % allowed`],
      [10, 5, 0.5, null],
      [10, 6, 0.5, `6 of 10 prices in ${US} (60.0 %) would disappear, more than the 50 % allowed`],
      [10, 0, 0, null],
      [10, 1, 0, `1 of 10 prices in ${US} (10.0 %) would disappear, more than the 0 % allowed`],
      [10, 10, 1, null],
    ]
    for (const [size, gone, limit, refusal] of cases) {
      const all = names(size)
      const prices = all.map((n) => price(US, n))
      // Every type is still there: only the price list came back short.
      const plan = planCatalogChange(current(all, prices), fetched(all, prices.slice(gone)), { maxDropShare: 0.1, maxPriceDropShare: limit })
      const label = `${gone} of ${size} prices gone, limit ${limit}`
      if (refusal === null) t.equal(accepted(t, plan).diff.prices.byRegion[US], size - gone, label)
      else t.same(plan, { ok: false, why: [refusal] }, label)
    }
  })

  t.test('the price limit is its own: prices may drop more than types, or less', async (t) => {
    const all = names(10)
    const prices = all.map((n) => price(US, n))
    // 3 prices gone, no type gone: refused at the default (price limit = type limit), accepted at 0.3.
    t.match(planCatalogChange(current(all, prices), fetched(all, prices.slice(3)), catalogLimits({})), { ok: false })
    t.match(planCatalogChange(current(all, prices), fetched(all, prices.slice(3)), catalogLimits({ maxPriceDropShare: 0.3 })), { ok: true })
    // 2 types and their prices gone: the type limit refuses what the price limit allows.
    t.same(planCatalogChange(current(all, prices), fetched(all.slice(2), prices.slice(2)), { maxDropShare: 0.1, maxPriceDropShare: 0.5 }), {
      ok: false,
      why: ['2 of 10 instance types (20.0 %) would disappear, more than the 10 % allowed'],
    })
  })

  t.test('each region is gated alone, and every failing one is named, in the order asked', async (t) => {
    const regions = ['us-east-1', 'eu-west-1', 'ap-south-1']
    const now = regions.flatMap((r) => types.map((n) => price(r, n)))
    // us-east-1 loses 1 (fine), eu-west-1 loses 3, ap-south-1 loses 5.
    const lose: Record<string, number> = { 'us-east-1': 1, 'eu-west-1': 3, 'ap-south-1': 5 }
    const kept = regions.flatMap((r) => now.filter((p) => p.region === r).slice(lose[r]))
    t.same(planCatalogChange(current(types, now), fetched(types, kept, { regions: [...regions].reverse() }), LIMITS), {
      ok: false,
      why: [
        '5 of 10 prices in ap-south-1 (50.0 %) would disappear, more than the 10 % allowed',
        '3 of 10 prices in eu-west-1 (30.0 %) would disappear, more than the 10 % allowed',
      ],
    })
  })

  t.test('a price drop does not hide behind the other regions', async (t) => {
    // 20 prices in two regions, 2 gone, all from eu-west-1: 10 % overall, 20 % there.
    const plan = planCatalogChange(current(types, [...us, ...eu]), fetched(types, [...us, ...eu.slice(2)], { regions: [US, EU] }), LIMITS)
    t.same(plan, { ok: false, why: [`2 of 10 prices in ${EU} (20.0 %) would disappear, more than the 10 % allowed`] })
  })
})

t.test('zero prices: skipped by the source, reported, and not excused by the gate', async (t) => {
  // A zero on-demand price is no price (parsePriceListEntry skips it as 'zero-price'), so the type
  // arrives without a price in that region, and the reasons arrive in `skipped`.
  const all = names(10)
  const prices = all.map((n) => price(US, n))
  const skipped: SkipCounts = { 'zero-price': 1, 'bad-price': 2 }

  const one = accepted(t, planCatalogChange(current(all, prices), fetched(all, prices.slice(1), { skipped }), LIMITS))
  t.same(one.diff.skipped, { 'zero-price': 1, 'bad-price': 2 }, 'the skipped reasons are reported as the source counted them')
  t.same(od(one.diff.prices), { total: 9, byRegion: { [US]: 9 } }, 'the zero-priced type has no price row')
  t.notOk(one.next.prices.rows.some((p) => p.instanceType === 't0.large'), 'and its old price is not kept')

  // Two of ten prices turning zero is a drop like any other: a skip says why, it does not make it fine.
  t.same(planCatalogChange(current(all, prices), fetched(all, prices.slice(2), { skipped: { 'zero-price': 2 } }), LIMITS), {
    ok: false,
    why: [`2 of 10 prices in ${US} (20.0 %) would disappear, more than the 10 % allowed`],
  })

  const none = accepted(t, planCatalogChange(current(all, prices), fetched(all, prices), LIMITS))
  t.same(none.diff.skipped, {}, 'nothing skipped: an empty map')
})

t.test('an empty fetch is refused, whatever the limits', async (t) => {
  const cases: Array<{ name: string; current: CurrentCatalog; limits: CatalogLimits; why: string[] }> = [
    { name: 'into an empty catalog', current: current([]), limits: LIMITS, why: ['AWS returned no instance types'] },
    { name: 'with limits that allow any drop', current: current(names(10)), limits: { maxDropShare: 1, maxPriceDropShare: 1 }, why: ['AWS returned no instance types'] },
    {
      name: 'over a full catalog: every reason, types first, then prices',
      current: current(names(10), names(10).map((n) => price(US, n))),
      limits: LIMITS,
      why: [
        'AWS returned no instance types',
        '10 of 10 instance types (100.0 %) would disappear, more than the 10 % allowed',
        `10 of 10 prices in ${US} (100.0 %) would disappear, more than the 10 % allowed`,
      ],
    },
  ]
  for (const c of cases) t.same(planCatalogChange(c.current, fetched([]), c.limits), { ok: false, why: c.why }, c.name)
  // Prices without any types are still an empty answer.
  t.same(planCatalogChange(current([]), fetched([], [price(US, 'm5.large')]), LIMITS), { ok: false, why: ['AWS returned no instance types'] })
})

t.test('pure: the inputs are left as they were, and the same inputs plan the same', async (t) => {
  const deepFreeze = <T>(x: T): T => {
    if (x && typeof x === 'object') {
      for (const v of Object.values(x)) deepFreeze(v)
      Object.freeze(x)
    }
    return x
  }
  const now = deepFreeze(current([...names(20), 'old.large'], names(20).map((n) => price(US, n))))
  const got = deepFreeze(fetched(['z.large', 'a.large', ...names(20)], names(20).map((n) => price(US, n, 0.2)), { skipped: { 'zero-price': 1 } }))
  const before = JSON.stringify([now, got])
  const first = planCatalogChange(now, got, LIMITS)
  t.equal(JSON.stringify([now, got]), before, 'nothing changed (frozen, too: a write would have thrown)')
  t.same(planCatalogChange(now, got, LIMITS), first)
  t.match(first, { ok: true, diff: { instanceTypes: { added: 2, removed: 1, addedNames: ['a.large', 'z.large'] } } })
})

t.test('the counts add up, and a plan is refused exactly when a limit is passed (generated)', async (t) => {
  const pool = names(40)
  const arb = fc.record({
    had: fc.subarray(pool),
    got: fc.subarray(pool),
    hadPriced: fc.subarray(pool),
    gotPriced: fc.subarray(pool),
    maxDropShare: fc.constantFrom(0, 0.05, 0.1, 0.25, 0.5, 1),
    maxPriceDropShare: fc.constantFrom(0, 0.05, 0.1, 0.25, 0.5, 1),
  })
  fc.assert(
    fc.property(arb, (c) => {
      const now = current(
        c.had,
        c.hadPriced.map((n) => price(US, n)),
      )
      const plan = planCatalogChange(now, fetched(c.got, c.gotPriced.map((n) => price(US, n))), c)
      const removed = c.had.filter((n) => !c.got.includes(n)).length
      const droppedPrices = c.hadPriced.filter((n) => !c.gotPriced.includes(n)).length
      const refused =
        c.got.length === 0 ||
        (c.had.length > 0 && removed / c.had.length > c.maxDropShare) ||
        (c.hadPriced.length > 0 && droppedPrices / c.hadPriced.length > c.maxPriceDropShare)
      if (plan.ok === refused) return false
      if (!plan.ok) return plan.why.length > 0
      const d = plan.diff.instanceTypes
      return (
        d.total === c.got.length &&
        d.added + (c.had.length - d.removed) === d.total &&
        d.removed === removed &&
        d.updated === 0 &&
        plan.diff.prices.byRegion[US] === c.gotPriced.length
      )
    }),
    { seed: Number(process.env.FC_SEED ?? 20261219), numRuns: Number(process.env.FC_RUNS ?? 300) },
  )
  t.pass('property held')
})

t.test('spot and reserved prices: counted per kind, written with on demand, gated each on its own', async (t) => {
  const types = names(10)
  const kind = (capacityType: 'spot' | 'reserved-1y', region = US) => (n: string) =>
    ({ ...price(region, n, 0.03), capacityType, ...(capacityType === 'spot' ? { azCount: 3, spotTimestamp: '2026-10-30T00:00:00.000Z' } : {}) }) as Price
  const od10 = types.map((n) => price(US, n))
  const spot10 = types.map(kind('spot'))
  const ri10 = types.map(kind('reserved-1y'))

  t.test('every kind counted per region, and written together', async (t) => {
    const plan = accepted(t, planCatalogChange(current(types, od10), fetched(types, [...od10, ...spot10, ...ri10.slice(0, 7)]), LIMITS))
    t.same(plan.diff.prices, {
      total: 27,
      byRegion: { [US]: 10 },
      byCapacityType: { [US]: { 'on-demand': 10, spot: 10, 'reserved-1y': 7 } },
      droppedWithTypes: { total: 0, byRegion: {} },
    })
    t.equal(plan.next.prices.rows.length, 27)
    t.same(plan.next.prices.rows.find((p) => p.capacityType === 'spot'), spot10[0], 'a spot row keeps its AZ count and timestamp')
  })

  t.test('a spot list cut short is refused though on demand came back whole', async (t) => {
    const now = current(types, [...od10, ...spot10, ...ri10])
    t.same(planCatalogChange(now, fetched(types, [...od10, ...spot10.slice(2), ...ri10]), LIMITS), {
      ok: false,
      why: [`2 of 10 spot prices in ${US} (20.0 %) would disappear, more than the 10 % allowed`],
    })
    t.same(planCatalogChange(now, fetched(types, [...od10, ...spot10, ...ri10.slice(3)]), LIMITS), {
      ok: false,
      why: [`3 of 10 reserved-1y prices in ${US} (30.0 %) would disappear, more than the 10 % allowed`],
    })
    t.same(planCatalogChange(now, fetched(types, [...od10.slice(5), ...spot10, ...ri10.slice(5)]), LIMITS), {
      ok: false,
      why: [
        `5 of 10 prices in ${US} (50.0 %) would disappear, more than the 10 % allowed`,
        `5 of 10 reserved-1y prices in ${US} (50.0 %) would disappear, more than the 10 % allowed`,
      ],
    })
    t.match(planCatalogChange(now, fetched(types, [...od10, ...spot10.slice(1), ...ri10]), LIMITS), { ok: true }, 'one of ten is within the limit')
  })

  t.test('a kind the region never had has nothing to lose; another region is neither gated nor replaced', async (t) => {
    const euSpot = types.map(kind('spot', EU))
    const plan = accepted(t, planCatalogChange(current(types, [...od10, ...euSpot]), fetched(types, [...od10, ...spot10.slice(0, 1)]), LIMITS))
    t.same(plan.diff.prices.byCapacityType, { [US]: { 'on-demand': 10, spot: 1, 'reserved-1y': 0 } })
    t.notOk(plan.next.prices.rows.some((p) => p.region === EU))
  })

  t.test('on-demand counts are what they were: byRegion says how many types are priced on demand', async (t) => {
    const plan = accepted(t, planCatalogChange(current(types, od10), fetched(types, [...od10.slice(0, 9), ...spot10]), LIMITS))
    t.equal(plan.diff.prices.byRegion[US], 9)
  })
})

t.test('storage prices: written for the regions asked, gated like prices', async (t) => {
  const types = names(10)
  const od = types.map((n) => price(US, n))
  const gp3 = (region: string, usdPerGbMonth = 0.08) => ({ region, volumeType: 'gp3' as const, usdPerGbMonth, source: 'aws-pricing-api', asOf: '2026-11-01T00:00:00.000Z' })

  const fresh = accepted(t, planCatalogChange(current(types, od), fetched(types, od, { storagePrices: [gp3(US), gp3(EU)] }), LIMITS))
  t.same(fresh.next.storagePrices, { regions: [US], rows: [gp3(US)] }, 'eu-west-1 was not asked for: not written')
  t.same(fresh.diff.storagePrices, { total: 1, byRegion: { [US]: 1 } })

  const changed = accepted(t, planCatalogChange({ ...current(types, od), storagePrices: [gp3(US)] }, fetched(types, od, { storagePrices: [gp3(US, 0.09)] }), LIMITS))
  t.equal(changed.next.storagePrices?.rows[0]?.usdPerGbMonth, 0.09)

  t.match(planCatalogChange({ ...current(types, od), storagePrices: [gp3(US)] }, fetched(types, od, { storagePrices: [] }), { maxDropShare: 0.1, maxPriceDropShare: 1 }), { ok: true })
  t.same(accepted(t, planCatalogChange(current(types, od), fetched(types, od, { storagePrices: [] }), LIMITS)).diff.storagePrices, { total: 0, byRegion: { [US]: 0 } })
  t.same(planCatalogChange({ ...current(types, od), storagePrices: [gp3(US)] }, fetched(types, od, { storagePrices: [] }), LIMITS), {
    ok: false,
    why: [`1 of 1 storage prices in ${US} (gp3) would disappear, more than the 10 % allowed`],
  })
  // A fetch that says nothing of storage (no storagePrices at all) leaves it as it is.
  const untouched = accepted(t, planCatalogChange({ ...current(types, od), storagePrices: [gp3(US)] }, fetched(types, od), LIMITS))
  t.equal(untouched.next.storagePrices, undefined, 'not replaced')
  t.same(untouched.diff.storagePrices, { total: 0, byRegion: {} })
})

t.test('catalogLimits: the defaults, and a share from 0 to 1 or an InputError naming the option', async (t) => {
  t.same(catalogLimits({}), { maxDropShare: DEFAULT_MAX_DROP_SHARE, maxPriceDropShare: DEFAULT_MAX_DROP_SHARE })
  t.equal(DEFAULT_MAX_DROP_SHARE, 0.1)
  t.same(catalogLimits({ maxDropShare: 0.3 }), { maxDropShare: 0.3, maxPriceDropShare: 0.3 }, 'the price limit follows the type limit')
  t.same(catalogLimits({ maxPriceDropShare: 0.4 }), { maxDropShare: 0.1, maxPriceDropShare: 0.4 })
  t.same(catalogLimits({ maxDropShare: 0, maxPriceDropShare: 1 }), { maxDropShare: 0, maxPriceDropShare: 1 }, '0 and 1 are shares')
  const bad: Array<[{ maxDropShare?: number; maxPriceDropShare?: number }, string]> = [
    [{ maxDropShare: -0.1 }, 'maxDropShare'],
    [{ maxDropShare: 1.1 }, 'maxDropShare'],
    [{ maxDropShare: Number.NaN }, 'maxDropShare'],
    [{ maxDropShare: Number.POSITIVE_INFINITY }, 'maxDropShare'],
    [{ maxPriceDropShare: 2 }, 'maxPriceDropShare'],
    [{ maxPriceDropShare: -1 }, 'maxPriceDropShare'],
    [{ maxDropShare: 5, maxPriceDropShare: 5 }, 'maxDropShare'], // the first is named
  ]
  for (const [opts, field] of bad) {
    t.throws(() => catalogLimits(opts), InputError, JSON.stringify(opts))
    try {
      catalogLimits(opts)
    } catch (err) {
      t.match(err, { field, statusCode: 400, message: new RegExp(`^${field} must be a share from 0 to 1; got `) })
    }
  }
})

t.test('changeNote: the run, the regions, what was added and what was removed', async (t) => {
  const note = (now: string[], got: string[]) => {
    const anyDrop = { maxDropShare: 1, maxPriceDropShare: 1 }
    const plan = accepted(t, planCatalogChange(current(now), fetched(got, [], { regions: [US, EU] }), anyDrop))
    return changeNote(42, [US, EU], plan.diff)
  }
  t.equal(note(names(3), names(3)), 'refresh run 42 from AWS: us-east-1, eu-west-1')
  t.equal(note(names(3), [...names(3), 'x.large', 'y.large']), 'refresh run 42 from AWS: us-east-1, eu-west-1; 2 new type(s) without branch-ENI limits')
  t.equal(note(names(3), ['t0.large', 'x.large']), 'refresh run 42 from AWS: us-east-1, eu-west-1; 1 new type(s) without branch-ENI limits; removed 2: t1.large, t2.large')
  const twenty = names(20, 'r')
  t.equal(note([...twenty, 'keep.large'], ['keep.large']), `refresh run 42 from AWS: us-east-1, eu-west-1; removed 20: ${[...twenty].sort().join(', ')}`, '20 are all named')
  const many = names(25, 'r')
  t.equal(
    note([...many, 'keep.large'], ['keep.large']),
    `refresh run 42 from AWS: us-east-1, eu-west-1; removed 25: ${[...many].sort().slice(0, 20).join(', ')}, ...`,
    'past 20, the first 20 (sorted) and an ellipsis',
  )
})

t.test('prices of types that are gone, in regions not refreshed: counted for the report, per region', async (t) => {
  const GOV = 'us-gov-west-1'
  const all = names(10)
  const now = [...all.map((n) => price(US, n)), ...all.map((n) => price(GOV, n)), { ...price(GOV, 't0.large'), capacityType: 'spot' as const, azCount: 2 }, price(EU, 'old.large')]
  // t8, t9 gone (within the 20 % allowed here); GovCloud and eu-west-1 are not refreshed.
  const plan = accepted(t, planCatalogChange(current([...all, 'old.large'], now), fetched(all.slice(0, 8), all.slice(0, 8).map((n) => price(US, n))), { maxDropShare: 0.3, maxPriceDropShare: 0.3 }))
  t.same(plan.diff.prices.droppedWithTypes, { total: 3, byRegion: { [EU]: 1, [GOV]: 2 } }, 'every kind; sorted by region')
  t.same(plan.next.prices.regions, [US], 'only the refreshed region is replaced; replaceCatalog deletes the rest')
  t.match(changeNote(7, [US], plan.diff), /; deleted 3 price\(s\) of types no longer in the catalog in regions not refreshed \(eu-west-1 1, us-gov-west-1 2\)$/)

  // The same from the names a refresh reads (readPricedTypes) instead of the rows.
  const keys = [
    { region: US, capacityType: 'on-demand' as const, instanceTypes: all },
    { region: GOV, capacityType: 'on-demand' as const, instanceTypes: all },
    { region: GOV, capacityType: 'spot' as const, instanceTypes: ['t0.large'] },
    { region: EU, capacityType: 'on-demand' as const, instanceTypes: ['old.large'] },
  ]
  const fromKeys = accepted(t, planCatalogChange({ instanceTypes: current([...all, 'old.large']).instanceTypes, prices: keys }, fetched(all.slice(0, 8), all.slice(0, 8).map((n) => price(US, n))), { maxDropShare: 0.3, maxPriceDropShare: 0.3 }))
  t.same(fromKeys.diff, plan.diff, 'the same plan from names only')

  // Gated alike: from names, a region losing too many prices is refused.
  t.match(planCatalogChange({ instanceTypes: current(all).instanceTypes, prices: keys }, fetched(all, all.slice(0, 5).map((n) => price(US, n))), LIMITS), {
    ok: false,
    why: [`5 of 10 prices in ${US} (50.0 %) would disappear, more than the 10 % allowed`],
  })
  // Nothing gone: nothing dropped.
  t.same(accepted(t, planCatalogChange(current(all, now), fetched(all, all.map((n) => price(US, n))), LIMITS)).diff.prices.droppedWithTypes, { total: 1, byRegion: { [EU]: 1 } }, 'old.large was never fetched: its price goes')
  t.same(accepted(t, planCatalogChange(current(all, all.map((n) => price(GOV, n))), fetched(all, []), LIMITS)).diff.prices.droppedWithTypes, { total: 0, byRegion: {} })
})
