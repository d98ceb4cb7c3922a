// Where a plan's prices come from, for the doors that show a plan in words or pictures (Slack, the cost
// chart): the plan answer's own pricing (its kind, sources and date), with the words for the kind and the
// region's gp3 price from the answers layer (src/answers/prices.ts): read, never worked out again.
import type { CapacityPlanAnswer, CapacityQuery } from '../answers/answers.js'
import { CAPACITY_TYPE_WORDS, gp3Of } from '../answers/prices.js'
import type { CatalogSnapshot } from '../catalog/snapshot.js'
import type { PlanPriceBasis } from '../slack/blocks.js'

/** The renderers' input (src/slack/blocks.ts owns its shape; the cost chart reads the same). */
export type PriceBasis = PlanPriceBasis

export function planPriceBasis(snap: CatalogSnapshot, plan: Pick<CapacityPlanAnswer, 'pricing'>, q: Pick<CapacityQuery, 'region' | 'ebsGiB'>): PriceBasis {
  const { capacityType, sources, asOf } = plan.pricing
  return {
    capacityType,
    sources,
    asOf,
    words: CAPACITY_TYPE_WORDS[capacityType],
    gp3: q.ebsGiB !== null ? gp3Of(snap, q.region) : null,
  }
}
