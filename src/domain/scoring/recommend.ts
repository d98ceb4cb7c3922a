// The entry point: resolve the instance types, judge every option, rank them, and put the answer into
// the contract's shape with its words.
import { CNI_OPTIONS, type CniOption } from '../cni-options.js'
import { configurationFor, type Configuration } from '../configuration.js'
import { InputError, type InstanceType, type Requirements } from '../types.js'
import { evaluate } from './evaluate.js'
import { explanationOf, summaryOf } from './explain.js'
import { unique, type CatalogView, type Context, type Evaluated, type RecommendationCore, type ScoredOption, type Verdict } from './model.js'
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
const referencesByOption = new WeakMap<CniOption, readonly string[]>()
function referencesOf(option: CniOption): string[] {
  let refs = referencesByOption.get(option)
  if (refs === undefined) referencesByOption.set(option, (refs = unique(Object.values(option.facts).map((fact: { ref: string }) => fact.ref)).sort()))
  return [...refs]
}

/**
 * An option's words, sources and configuration, worked out when first read and then kept: JSON (REST, the
 * cache) reads every one, but a GraphQL query reads only the fields it selects, and `{ options { id score
 * verdict } }` spent ~70 % of its answer's CPU on configurations and explanations it never sent
 * (bench/results.md). The getters are shared by every option, so options keep one hidden class (a getter
 * of its own per object puts an object in V8's slow dictionary mode, ~10 % more CPU for a REST answer).
 */
interface Later {
  ev: Evaluated
  verdict: Verdict
  req: Requirements
  types: readonly InstanceType[]
  explanation?: string
  references?: string[]
  configuration?: Configuration | null
}
/** Where an option keeps its Later: a symbol, not enumerable, so JSON, Object.keys and spreads never see it. */
const LATER = Symbol('later')
function laterOf(o: object): Later {
  const l = (o as { [LATER]?: Later })[LATER]
  if (l === undefined) throw new TypeError('an option\'s lazy fields are read on the option recommend() made')
  return l
}

type LazyKey = 'explanation' | 'references' | 'configuration'
const LAZY: ReadonlyArray<readonly [LazyKey, () => unknown]> = [
  ['explanation', function (this: object) {
    const l = laterOf(this)
    return (l.explanation ??= explanationOf(l.ev, l.verdict))
  }],
  ['references', function (this: object) {
    const l = laterOf(this)
    return (l.references ??= referencesOf(l.ev.option))
  }],
  // Only what can be applied as asked: a blocked option has no configuration to give.
  ['configuration', function (this: object) {
    const l = laterOf(this)
    if (l.configuration === undefined) {
      l.configuration = l.verdict === 'blocked' ? null : configurationFor(l.ev.option, l.req, l.ev.perType.map((density, i) => ({ type: l.types[i] as InstanceType, density })))
    }
    return l.configuration
  }],
]
const LAZY_DESCRIPTORS = LAZY.map(
  ([key, get]) =>
    [
      key,
      {
        get,
        // Writable as the plain fields were: a value set is the value read.
        set(this: object, value: unknown) {
          ;(laterOf(this) as unknown as Record<LazyKey, unknown>)[key] = value
        },
        enumerable: true,
        configurable: true,
      },
    ] as const,
)

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
    const option = {
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
    }
    // explanation, references, configuration: the last keys, in this order (LAZY).
    for (const [key, descriptor] of LAZY_DESCRIPTORS) Object.defineProperty(option, key, descriptor)
    Object.defineProperty(option, LATER, { value: { ev, verdict, req, types } satisfies Later })
    return option as unknown as ScoredOption
  })
  return {
    recommendation: satisfiable ? (scored[0] as ScoredOption) : null,
    satisfiable,
    options: scored,
    summary: summaryOf(sorted, req, satisfiable),
    requirements: req,
  }
}
