// The entry point: resolve the instance types, judge every option, rank them, and put the answer into
// the contract's shape with its words.
import { CNI_OPTIONS, type CniOption } from '../cni-options.js'
import { configurationFor } from '../configuration.js'
import { InputError, type InstanceType, type Requirements } from '../types.js'
import { evaluate } from './evaluate.js'
import { explanationOf, summaryOf } from './explain.js'
import { unique, type CatalogView, type Context, type RecommendationCore, type ScoredOption, type Verdict } from './model.js'
import { compareEvaluated } from './rank.js'

function resolveTypes(req: Requirements, catalog: CatalogView): InstanceType[] {
  const unknown: string[] = []
  const types: InstanceType[] = []
  for (const name of req.instanceTypes) {
    const it = catalog.instanceType(name)
    if (it === undefined) unknown.push(name)
    else types.push(it)
  }
  if (unknown.length > 0) {
    throw new InputError(
      'instanceTypes',
      `instanceTypes must name EC2 instance types the catalog knows (e.g. m5.large); unknown: ${unknown.map((n) => JSON.stringify(n)).join(', ')}`,
    )
  }
  if (types.length === 0) throw new InputError('instanceTypes', 'instanceTypes must name at least one EC2 instance type; got none')
  return types
}

/** Every source the option's facts cite, once each, sorted so the list is stable. */
function referencesOf(option: CniOption): string[] {
  return unique(Object.values(option.facts).map((fact: { ref: string }) => fact.ref)).sort()
}

/**
 * Scores every option of the knowledge base against validated, defaulted requirements.
 * `options` defaults to the KB; tests pass a reordered copy to show the ranking does not depend on order.
 * Throws InputError('instanceTypes') naming any type the catalog view does not know.
 */
export function recommend(req: Requirements, catalog: CatalogView, options: readonly CniOption[] = CNI_OPTIONS): RecommendationCore {
  const types = resolveTypes(req, catalog)
  const ctx: Context = {
    req,
    types,
    nitroEncrypts: types.every((t) => t.encryptionInTransit === true),
    budgetApplies: req.podIpBudget !== null && req.totalPods !== null,
  }
  const sorted = options.map((o) => evaluate(o, ctx)).sort(compareEvaluated)
  const satisfiable = sorted.some((e) => e.blockers.length === 0)
  const scored: ScoredOption[] = sorted.map((ev, i) => {
    const verdict: Verdict = ev.blockers.length > 0 ? 'blocked' : i === 0 ? 'recommended' : 'suitable'
    return {
      id: ev.option.id,
      plugin: ev.option.plugin,
      variant: ev.option.variant,
      name: ev.option.name,
      score: ev.score,
      verdict,
      blockers: ev.blockers,
      criteria: ev.criteria.map((c) => ({ ...c, score: Math.round(c.score) })),
      density: ev.density,
      caveats: ev.caveats,
      explanation: explanationOf(ev, verdict),
      references: referencesOf(ev.option),
      // Only what can be applied as asked: a blocked option has no configuration to give.
      configuration: verdict === 'blocked' ? null : configurationFor(ev.option, req, ev.perType.map((density, i) => ({ type: types[i] as InstanceType, density }))),
    }
  })
  return {
    recommendation: satisfiable ? (scored[0] as ScoredOption) : null,
    satisfiable,
    options: scored,
    summary: summaryOf(sorted, req, satisfiable),
    requirements: req,
  }
}
