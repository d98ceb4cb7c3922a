import type { CatalogSnapshot } from '../catalog/snapshot.js'
import { subnetBudget } from '../domain/cidr.js'
import { recommend, type RecommendationCore } from '../domain/scoring.js'
import { InputError, type Requirements } from '../domain/types.js'
import { catalogStamp, type CatalogStamp, type Freshness } from './answers.js'

export interface RecommendationAnswer extends RecommendationCore {
  catalog: CatalogStamp
}

/**
 * "Which CNI should we run": the scoring engine over the catalog in memory. Pod subnets, when given,
 * become the pod IP budget (usable addresses per AWS subnet). The same requirements on the same
 * catalog version always give the same answer; the doors keep its rendered form (pipeline.ts).
 */
export function recommendationAnswer(snap: CatalogSnapshot, req: Requirements, f: Freshness): RecommendationAnswer {
  let effective = req
  if (req.podSubnets) {
    if (req.podIpBudget !== null) {
      throw new InputError('podSubnets', 'give podIpBudget or podSubnets, not both: podSubnets become the pod IP budget')
    }
    effective = { ...req, podIpBudget: subnetBudget(req.podSubnets).usable }
  }
  return { ...recommend(effective, snap), catalog: catalogStamp(snap, effective.region, f) }
}
