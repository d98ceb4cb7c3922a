// One option against one request: its density, then every criterion of the table, then the platform
// rules that are not criteria. Blockers and caveats are shown in the order they are found here, so the
// order of the steps is part of the answer.
import type { CaveatContext, CniOption } from '../cni-options.js'
import { CRITERION_RULES } from './criteria.js'
import { securityGroupCaveats } from './level-needs.js'
import { CRITERIA, unique, type Blocker, type Context, type CriterionScore, type Evaluated, type OptionDensity } from './model.js'
import { densityOf } from './option-density.js'

export function evaluate(option: CniOption, ctx: Context): Evaluated {
  const found = densityOf(option, ctx)
  const { perType, density } = found
  const blockers: Blocker[] = []
  const caveats: string[] = optionCaveats(option, density)
  platformRules(option, ctx, blockers, caveats)

  const criteria: CriterionScore[] = []
  for (const criterion of CRITERIA) {
    const out = CRITERION_RULES[criterion](option, ctx, found)
    criteria.push(out.scored)
    blockers.push(...out.blockers)
    caveats.push(...out.caveats)
  }

  caveats.push(...securityGroupCaveats(option, ctx, density))
  rulesAcrossFacts(option, ctx, blockers, caveats)
  return { option, blockers, criteria, score: weightedMean(criteria), density, perType, caveats: unique(caveats) }
}

/** The option's own caveats, said of the instance type the question is about (the first one asked for). */
function optionCaveats(option: CniOption, density: OptionDensity): string[] {
  const about: CaveatContext = {
    instanceType: density.instanceType,
    mode: density.mode,
    addressLimit: density.addressLimit,
    maxPodsPerNode: density.maxPodsPerNode,
    podsForWorkloads: density.podsForWorkloads,
  }
  const caveats: string[] = []
  for (const c of option.caveats) {
    const text = typeof c === 'string' ? c : c(about)
    if (text !== null) caveats.push(text)
  }
  return caveats
}

/** Hard rules that are not scored: maintenance, and the platform booleans fargate and windows. */
function platformRules(option: CniOption, ctx: Context, blockers: Blocker[], caveats: string[]): void {
  const { req } = ctx
  const f = option.facts
  // An archived or unmaintained project is never a choice, whatever it scores: no fixes, no security updates.
  if (f.maintenance.value.status === 'unmaintained') {
    blockers.push({ criterion: 'maintenance', reason: `${option.name} is unmaintained: ${f.maintenance.note}` })
  }
  // Platform booleans: hard only.
  if (req.fargate && f.fargate.value === 'no') blockers.push({ criterion: 'fargate', reason: `${option.name} cannot serve Fargate pods: ${f.fargate.note}` })
  if (req.fargate && f.fargate.value === 'partial') caveats.push(`Fargate: ${f.fargate.note}`)
  if (req.windows && f.windows.value === 'no') blockers.push({ criterion: 'windows', reason: `${option.name} does not support Windows nodes: ${f.windows.note}` })
}

/** Rules that need the criteria's blockers first, and the platform notes said last. */
function rulesAcrossFacts(option: CniOption, ctx: Context, blockers: Blocker[], caveats: string[]): void {
  const { req } = ctx
  const f = option.facts
  // A platform rule across two facts: EKS IPv6 clusters take no Windows nodes, whatever runs on the VPC CNI.
  // Added only when neither the ipv6 nor the windows need already blocks, so each unmet need blocks once.
  if (req.windows && req.ipv6 === 'required' && option.plugin === 'aws-vpc-cni' && !blockers.some((b) => b.criterion === 'ipv6' || b.criterion === 'windows')) {
    blockers.push({ criterion: 'ipv6', reason: 'EKS IPv6 clusters do not support Windows nodes, so with windows=true the VPC CNI cannot run in IPv6 mode.' })
  }
  if (req.windows && f.windows.value !== 'no') caveats.push(f.windows.note)
  if (req.fargate && f.fargate.value !== 'no' && option.plugin === 'aws-vpc-cni') caveats.push('Fargate pods get one VPC address each from the Fargate profile subnets, whatever the EC2 nodes run.')
}

/** The option's score: the weighted mean of its criteria, rounded and kept within 0-100. */
function weightedMean(criteria: readonly CriterionScore[]): number {
  let sum = 0
  let weights = 0
  for (const c of criteria) {
    sum += c.weight * c.score
    weights += c.weight
  }
  return weights === 0 ? 0 : Math.max(0, Math.min(100, Math.round(sum / weights)))
}
