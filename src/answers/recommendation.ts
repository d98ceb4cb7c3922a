import type { CatalogSnapshot } from '../catalog/snapshot.js'
import { subnetBudget } from '../domain/cidr.js'
import { recommend, type RecommendationCore } from '../domain/scoring.js'
import { InputError, type Requirements } from '../domain/types.js'
import { nearestNames } from '../domain/type-names.js'
import { catalogNames, catalogStamp, type CatalogStamp, type Freshness } from './answers.js'

export interface RecommendationAnswer extends RecommendationCore {
  catalog: CatalogStamp
}

/**
 * "Which CNI should we run": the scoring engine over the catalog in memory. Pod subnets, when given,
 * become the pod IP budget (usable addresses per AWS subnet). The same requirements on the same
 * catalog version always give the same answer; the doors keep its rendered form (pipeline.ts).
 */
export function recommendationAnswer(snap: CatalogSnapshot, req: Requirements, f: Freshness): RecommendationAnswer {
  const unknown = req.instanceTypes.filter((name) => snap.instanceType(name) === undefined)
  if (unknown.length > 0) {
    // The scoring engine would refuse them too; here each gets the nearest names by edit distance.
    const names = catalogNames(snap).typeNames
    const each = unknown.slice(0, 5).map((name) => {
      const near = nearestNames(name, names, 3)
      return `${JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name)}${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`
    })
    throw new InputError(
      'instanceTypes',
      `instanceTypes must name EC2 instance types the catalog knows (e.g. m5.large); unknown: ${each.join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}`,
    )
  }
  let effective = req
  if (req.podSubnets) {
    if (req.podIpBudget !== null) {
      throw new InputError('podSubnets', 'give podIpBudget or podSubnets, not both: podSubnets become the pod IP budget')
    }
    effective = { ...req, podIpBudget: subnetBudget(req.podSubnets).usable }
  }
  return { ...recommend(effective, snap), catalog: catalogStamp(snap, effective.region, f) }
}
