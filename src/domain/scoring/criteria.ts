// The criteria table: one rule per criterion. Typed as a Record over Criterion, so adding a criterion to
// CRITERIA does not compile until it has a rule; evaluate() runs the rules in CRITERIA order.
import { density } from './density.js'
import { encryption } from './encryption.js'
import { flowLogs, ipv6, multicast, networkPolicy, portability, securityGroupsForPods } from './level-needs.js'
import type { Criterion, CriterionRule } from './model.js'
import { operationalSimplicity } from './operational-simplicity.js'
import { performance } from './performance.js'
import { podIpBudget } from './pod-ip-budget.js'
import { supportHealth } from './support-health.js'

export const CRITERION_RULES: Readonly<Record<Criterion, CriterionRule>> = Object.freeze({
  performance,
  density,
  podIpBudget,
  encryption,
  multicast,
  networkPolicy,
  securityGroupsForPods,
  flowLogs,
  portability,
  ipv6,
  operationalSimplicity,
  supportHealth,
})
