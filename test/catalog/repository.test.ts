// The catalog's compact reads and batched writes (src/catalog/repository.ts): prices grouped by region,
// kind, source and date read back exactly as the row-by-row readPrices reads them, written in batches,
// and the snapshot the service loads (store.ts readSnapshot) equal to one built from the rows, with its
// strings shared.
import t from 'tap'
import { readFileSync } from 'node:fs'
import {
  currentVersion,
  groupPrices,
  insertPrices,
  Interner,
  PRICE_BATCH_ROWS,
  pricesOf,
  readInstanceTypes,
  readPriceGroups,
  readPricedTypes,
  readPrices,
  readStoragePrices,
  replaceCatalog,
} from '../../src/catalog/repository.js'
import type { SeedFile } from '../../src/catalog/seed.js'
import { CatalogSnapshot } from '../../src/catalog/snapshot.js'
import { readSnapshot } from '../../src/catalog/store.js'
import { CAPACITY_TYPES, type Price } from '../../src/domain/types.js'
import { freshDatabase } from '../helper.js'

const seed = JSON.parse(readFileSync(new URL('../../seed/catalog.json', import.meta.url), 'utf8')) as SeedFile

/** Rows of every kind and shape: on demand, reserved, spot with and without a timestamp, odd names. */
function mixedRows(): Price[] {
  const rows: Price[] = []
  const names = ['m5.large', 'c5.xlarge', 'we"ird,{name}', 'back\\slash', 'ünïcode.large']
  // What numeric(14, 6) keeps.
  const usd = (x: number) => Math.round(x * 1e6) / 1e6
  names.forEach((instanceType, i) => {
    rows.push({ region: 'us-east-1', instanceType, usdPerHour: usd(0.1 + i / 1000), source: 'aws-pricing-api', asOf: '2026-12-01T10:00:00.123Z' })
    rows.push({ region: 'us-east-1', instanceType, usdPerHour: usd(0.06 + i / 1000), source: 'aws-pricing-api', asOf: '2026-12-01T10:00:00.123Z', capacityType: 'reserved-1y' })
    const spot: Price = { region: 'us-east-1', instanceType, usdPerHour: 0.03, source: 'aws-ec2-spot-price-history', asOf: '2026-12-01T10:00:01.000Z', capacityType: 'spot', azCount: i + 1 }
    if (i % 2 === 0) spot.spotTimestamp = `2026-11-30T0${i}:00:00.000Z`
    rows.push(spot)
  })
  // Same region and kind, another source and date: a group of its own.
  rows.push({ region: 'us-east-1', instanceType: 'r5.large', usdPerHour: 0.126, source: 'seed table', asOf: '2026-07-20T00:00:00.000Z' })
  rows.push({ region: 'eu-west-1', instanceType: 'm5.large', usdPerHour: 0.107, source: 'aws-pricing-api', asOf: '2026-12-01T10:00:00.123Z' })
  return rows
}

const key = (p: Price) => `${p.region} ${p.instanceType} ${p.capacityType ?? 'on-demand'}`
const sorted = (rows: Iterable<Price>) => [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))

t.test('groupPrices and pricesOf: grouped by region, kind, source and date, and back to the same rows', async (t) => {
  const rows = mixedRows()
  const groups = groupPrices(rows)
  t.same(
    groups.map((g) => [g.region, g.capacityType, g.source, g.instanceTypes.length, g.azCount !== null]),
    [
      ['us-east-1', 'on-demand', 'aws-pricing-api', 5, false],
      ['us-east-1', 'reserved-1y', 'aws-pricing-api', 5, false],
      ['us-east-1', 'spot', 'aws-ec2-spot-price-history', 5, true],
      ['us-east-1', 'on-demand', 'seed table', 1, false],
      ['eu-west-1', 'on-demand', 'aws-pricing-api', 1, false],
    ],
  )
  t.same(sorted(pricesOf(groups)), sorted(rows), 'the same rows, of the same shape')
  t.same(groups[2]!.spotTimestamp, ['2026-11-30T00:00:00.000Z', null, '2026-11-30T02:00:00.000Z', null, '2026-11-30T04:00:00.000Z'])
})

t.test('Interner: one copy of each distinct string', async (t) => {
  const i = new Interner()
  const a = ['m5', '.large'].join('')
  const b = ['m5.', 'large'].join('')
  t.equal(i.intern(a), a)
  t.equal(i.intern(b), a)
  t.equal(i.intern('c5.large'), 'c5.large')
})

t.test('prices written in batches read back as written, row by row and grouped', async (t) => {
  const { db } = await freshDatabase(t)
  const rows = mixedRows()
  // Many rows of one group: more than one batch.
  const many: Price[] = Array.from({ length: PRICE_BATCH_ROWS * 2 + 7 }, (_, i) => ({
    region: 'ap-south-1',
    instanceType: `gen${i}.large`,
    usdPerHour: Math.round((0.01 + i / 10_000) * 1e6) / 1e6,
    source: 'aws-pricing-api',
    asOf: '2026-12-02T00:00:00.000Z',
  }))
  const written = await db.tx(async (q) => {
    await q.query('DELETE FROM prices')
    return insertPrices(q, [...rows, ...many])
  })
  t.equal(written, rows.length + many.length)
  const back = await readPrices(db)
  t.same(sorted(back), sorted([...rows, ...many]), 'every field of every row, as readPrices reads them')

  const interner = new Interner()
  const groups = await readPriceGroups(db, interner)
  t.equal(groups.length, 6, 'one row per region, kind, source and date')
  t.same(sorted(pricesOf(groups)), sorted(back), 'grouped: the same rows')
  t.equal(interner.intern(['m5', 'large'].join('.')), groups.find((g) => g.region === 'eu-west-1')!.instanceTypes[0], 'names come out shared')

  const priced = await readPricedTypes(db)
  t.same(
    priced.map((p) => [p.region, p.capacityType, [...p.instanceTypes].sort()]),
    [
      ['ap-south-1', 'on-demand', many.map((p) => p.instanceType).sort()],
      ['eu-west-1', 'on-demand', ['m5.large']],
      ['us-east-1', 'on-demand', ['back\\slash', 'c5.xlarge', 'm5.large', 'r5.large', 'we"ird,{name}', 'ünïcode.large']],
      ['us-east-1', 'reserved-1y', ['back\\slash', 'c5.xlarge', 'm5.large', 'we"ird,{name}', 'ünïcode.large']],
      ['us-east-1', 'spot', ['back\\slash', 'c5.xlarge', 'm5.large', 'we"ird,{name}', 'ünïcode.large']],
    ],
  )
})

t.test('readSnapshot: the snapshot of the seeded database equals one built from its rows, strings shared', async (t) => {
  const { db } = await freshDatabase(t)
  const snap = (await db.tx((q) => readSnapshot(q)))!
  const rows = await db.tx(async (q) => new CatalogSnapshot((await currentVersion(q))!, await readInstanceTypes(q), await readPrices(q), await readStoragePrices(q)))
  t.equal(snap.version, rows.version)
  t.same(snap.typeList, rows.typeList)
  t.same(snap.regions, rows.regions)
  let compared = 0
  for (const r of rows.regions) {
    for (const kind of CAPACITY_TYPES) {
      const want = rows.pricesIn(r.region, kind)
      const got = snap.pricesIn(r.region, kind)
      t.equal(got?.size, want?.size, `${r.region} ${kind}`)
      for (const [name, p] of want ?? []) {
        compared++
        if (!t.same(got?.get(name), p)) break
      }
    }
  }
  t.equal(compared, seed.prices.length, 'every seed price')
  const m5 = snap.instanceType('m5.large')!
  t.equal(snap.price('us-east-1', 'm5.large')!.instanceType, m5.name, 'the price names its type with the type’s own string')

  // An empty catalog has no snapshot.
  await db.tx(async (q) => {
    await q.query('DELETE FROM refresh_runs')
    await q.query('DELETE FROM catalog_versions')
  })
  t.equal(await db.tx((q) => readSnapshot(q)), null)
})

t.test('replaceCatalog with new types drops the prices of types that are gone, only in regions it does not rewrite', async (t) => {
  const { db } = await freshDatabase(t)
  const keep = seed.instanceTypes.slice(0, 200).map((it) => ({ ...it, source: 'test' }))
  const kept = new Set(keep.map((it) => it.name))
  const before = await readPrices(db)
  // us-east-1 rewritten with a price for a type no longer in the catalog: written as given.
  const usRows: Price[] = [
    { region: 'us-east-1', instanceType: keep[0]!.name, usdPerHour: 1, source: 'test', asOf: '2026-12-01T00:00:00.000Z' },
    { region: 'us-east-1', instanceType: 'not-in-catalog.large', usdPerHour: 2, source: 'test', asOf: '2026-12-01T00:00:00.000Z' },
  ]
  await db.tx((q) => replaceCatalog(q, { source: 'test', instanceTypes: keep, prices: { regions: ['us-east-1'], rows: usRows } }))
  const after = await readPrices(db)
  t.same(
    sorted(after.filter((p) => p.region !== 'us-east-1')),
    sorted(before.filter((p) => p.region !== 'us-east-1' && kept.has(p.instanceType))),
    'other regions keep the prices of types still in the catalog, and only those',
  )
  t.same(sorted(after.filter((p) => p.region === 'us-east-1')), sorted(usRows), 'the region written holds what was written')
  const { rows } = await db.query<{ prices: number }>('SELECT prices FROM catalog_versions ORDER BY version DESC LIMIT 1')
  t.equal(rows[0]!.prices, after.length, 'the version counts what is left')

  // A change without types leaves every other price alone.
  await db.tx((q) => replaceCatalog(q, { source: 'test', prices: { regions: ['eu-west-1'], rows: [] } }))
  t.same(sorted(await readPrices(db)), sorted(after.filter((p) => p.region !== 'eu-west-1')))
})
