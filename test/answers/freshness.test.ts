import t from 'tap'
import fc from 'fast-check'
import { catalogStamp, catalogStampValidity } from '../../src/answers/answers.js'
import { CatalogSnapshot } from '../../src/catalog/snapshot.js'

const DAY_MS = 86_400_000
const AS_OF = Date.parse('2026-07-20T06:30:00.000Z')
const snap = new CatalogSnapshot({ version: 3, createdAt: '2026-07-21T00:00:00.000Z', source: 'seed', instanceTypes: 1, prices: 1 }, [{ name: 'm5.large' } as never], [
  { region: 'us-east-1', instanceType: 'm5.large', usdPerHour: 0.096, source: 's', asOf: new Date(AS_OF).toISOString() },
])
const at = (ms: number) => ({ clock: () => new Date(ms), priceMaxAgeDays: 30 })
const stampAt = (ms: number, region = 'us-east-1') => JSON.stringify(catalogStamp(snap, region, at(ms)))

t.test('the stamp holds over the span catalogStampValidity gives, and changes at its ends', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: -40 * DAY_MS, max: 400 * DAY_MS }), fc.double({ min: 0, max: 1, noNaN: true }), (offset, where) => {
      const now = AS_OF + offset
      const { from, until } = catalogStampValidity(snap, 'us-east-1', at(now))
      if (!(from <= now && now < until)) return false
      const stamp = stampAt(now)
      // Anywhere inside the span, the same stamp; just past either end, another.
      const inside = Number.isFinite(from) ? from + Math.floor(where * (until - from - 1)) : now - Math.floor(where * 40 * DAY_MS)
      if (stampAt(inside) !== stamp || stampAt(until - 1) !== stamp) return false
      if (stampAt(until) === stamp) return false
      return !Number.isFinite(from) || (stampAt(from) === stamp && stampAt(from - 1) !== stamp)
    }),
    { seed: 20261201, numRuns: 500 },
  )
  t.pass('500 clock readings from 40 days before the prices to 400 after')
})

t.test('worked cases', async (t) => {
  t.same(catalogStampValidity(snap, 'us-east-1', at(AS_OF - 5 * DAY_MS)), { from: -Infinity, until: AS_OF + DAY_MS }, 'before the prices: 0 days until a day after them')
  t.same(catalogStampValidity(snap, 'us-east-1', at(AS_OF + 3 * DAY_MS + 1)), { from: AS_OF + 3 * DAY_MS, until: AS_OF + 4 * DAY_MS })
  t.same(catalogStampValidity(snap, 'ap-east-1', at(AS_OF)), { from: -Infinity, until: Infinity }, 'a region without prices has one stamp')
  t.equal(stampAt(AS_OF + 31 * DAY_MS - 1), stampAt(AS_OF + 30 * DAY_MS), 'still 30 days old')
  t.match(catalogStamp(snap, 'us-east-1', at(AS_OF + 31 * DAY_MS)), { priceAgeDays: 31, stale: true }, 'stale turns with the day count')
})
