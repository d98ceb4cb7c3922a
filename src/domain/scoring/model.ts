// The scoring vocabulary every module of the engine shares: the criteria, their weights, the shapes an
// answer is made of, and the shape of one criterion's rule. Types and constants only (plus two tiny
// helpers), so that every criterion module can import it without importing each other.
import type { CniOption } from '../cni-options.js'
import type { Configuration } from '../configuration.js'
import type { MaxPodsResult } from '../density.js'
import type { InstanceType, LevelNeed, Mode, Plugin, Requirements } from '../types.js'

/** What the engine needs from the catalog; the caller passes it in. */
export interface CatalogView {
  instanceType(name: string): InstanceType | undefined
}

/** The criteria, in the order they are scored and shown (the contract's order: never reorder, only add). */
export const CRITERIA = [
  'performance',
  'density',
  'podIpBudget',
  'encryption',
  'multicast',
  'networkPolicy',
  'securityGroupsForPods',
  'flowLogs',
  'portability',
  'ipv6',
  'operationalSimplicity',
  'supportHealth',
] as const
export type Criterion = (typeof CRITERIA)[number]

/** Needs that can block an option: the level needs, the two platform booleans, and the two numbers. */
export type BlockerCriterion = LevelNeed | 'fargate' | 'windows' | 'density' | 'podIpBudget' | 'maintenance'

/**
 * The weights, in one place. A criterion counts with this weight when it applies to the request, and with
 * weight 0 otherwise (the score and reason are still shown). Relative sizes follow cni-options.md §6.
 */
export const WEIGHTS: Readonly<Record<Criterion, number>> = Object.freeze({
  // Always applies. Sensitivity does not change the weight; it widens the gap between native routing and
  // overlays inside the score, so raising sensitivity can only help overlay-free options.
  performance: 3,
  // Applies when podsPerNode is given: headroom over the asked density (reaching it at all is a hard constraint).
  density: 2,
  // Applies when podIpBudget and totalPods are given: share of the budget left (exceeding it is a hard constraint).
  podIpBudget: 2,
  // Applies when encryption is preferred or required: how much the encryption costs (free on Nitro,
  // WireGuard ~10x CPU per Gbit, IPsec a ~5 Gbit/s per-flow ceiling), or 0 when there is none.
  encryption: 3,
  // The level needs apply when preferred or required; among options that meet a required need they
  // still separate depth (beta vs GA multicast, L3/L4 vs L7 policy). Multicast is all-or-nothing for the
  // apps that ask for it, hence heavier; flow-log visibility and portability are nice-to-haves.
  multicast: 3,
  networkPolicy: 2,
  securityGroupsForPods: 2,
  flowLogs: 1,
  portability: 1,
  ipv6: 2,
  // Always applies: day-2 work (cni-options.md §6 ordering), and who answers the phone when it breaks.
  operationalSimplicity: 2,
  supportHealth: 2,
})

export interface Blocker {
  criterion: BlockerCriterion
  reason: string
}

export interface CriterionScore {
  criterion: Criterion
  weight: number
  score: number
  reason: string
}

/** Density of one option on one requested instance type. */
export interface InstanceDensity {
  instanceType: string
  mode: Mode
  supported: boolean
  /** The kubelet --max-pods to use (address limit after the EKS cap); null when the mode cannot run. */
  maxPodsPerNode: number | null
  /** maxPodsPerNode − the 2 host-network pods − daemonSetsPerNode. */
  podsForWorkloads: number | null
  /** VPC IPv4 addresses a full node takes, warm pool included (1 for overlay and IPv6: the node's own). */
  vpcIpsPerNode: number | null
}

/**
 * The option's density on the FIRST requested instance type (the numbers a reader sees first), plus
 * `byInstanceType` for every requested type when more than one was asked for. Blocking checks use all types.
 */
export interface OptionDensity extends InstanceDensity {
  /** Address limit before any cap (null when unsupported). */
  addressLimit: number | null
  formula: string
  explanation: string
  /** VPC addresses the whole cluster takes for totalPods (warm pool included) on the type that needs most; null without totalPods. */
  vpcIpsForTotalPods: {
    instanceType: string
    mode: Mode
    nodes: number
    vpcIps: number
    /** /28 prefixes among vpcIps (prefix modes), and the ENI primary addresses in the node subnets. */
    prefixes: number
    primaries: number
    fromPodIpBudget: boolean
  } | null
  byInstanceType?: InstanceDensity[]
}

export type Verdict = 'recommended' | 'suitable' | 'blocked'

/** One option as the contract shows it. */
export interface ScoredOption {
  id: string
  plugin: Plugin
  variant: string
  name: string
  /** Weighted mean of the criteria, 0-100 (also computed for blocked options, which rank last anyway). */
  score: number
  verdict: Verdict
  blockers: Blocker[]
  criteria: CriterionScore[]
  density: OptionDensity
  caveats: string[]
  explanation: string
  references: string[]
  /** What to apply for the option, each value with its reason (configuration.ts); null for a blocked option. */
  configuration: Configuration | null
}

export interface RecommendationCore {
  recommendation: ScoredOption | null
  satisfiable: boolean
  options: ScoredOption[]
  summary: string
  requirements: Requirements
}

// ---------------------------------------------------------------------------------------------
// Inside the engine: the per-request context, an option's density, one criterion's rule
// ---------------------------------------------------------------------------------------------

/** What every rule needs about the request, worked out once per request rather than once per option. */
export interface Context {
  req: Requirements
  types: InstanceType[]
  /** Every requested type supports Nitro in-transit encryption. */
  nitroEncrypts: boolean
  budgetApplies: boolean
}

/** An option's density: per requested type (what blocking checks use) and as the answer shows it. */
export interface DensityOfOption {
  perType: MaxPodsResult[]
  density: OptionDensity
}

/** One option, judged: what ranking and the wording work from before it becomes a ScoredOption. */
export interface Evaluated {
  option: CniOption
  blockers: Blocker[]
  criteria: CriterionScore[]
  score: number
  density: OptionDensity
  perType: MaxPodsResult[]
  caveats: string[]
}

/** What one criterion says of one option: its score, and the blockers and caveats it adds (in order). */
export interface CriterionOutcome {
  scored: CriterionScore
  blockers: Blocker[]
  caveats: string[]
}

/**
 * Every criterion module exports one of these. Rules read the option's facts, the request and the
 * density already found; they never see each other's results, so the table can run them in any order
 * (it runs them in CRITERIA order because that is the order blockers and caveats are shown in).
 */
export type CriterionRule = (option: CniOption, ctx: Context, found: DensityOfOption) => CriterionOutcome

/** A criterion's score with its weight: WEIGHTS[criterion] when it applies to the request, else 0. */
export function scoreOf(criterion: Criterion, applies: boolean, score: number, reason: string): CriterionScore {
  return { criterion, weight: applies ? WEIGHTS[criterion] : 0, score, reason }
}

export function outcome(scored: CriterionScore, blockers: Blocker[] = [], caveats: string[] = []): CriterionOutcome {
  return { scored, blockers, caveats }
}

/** First occurrence wins, so the order things were said in is kept. */
export const unique = (items: readonly string[]): string[] => [...new Set(items)]
