// Criterion `operationalSimplicity`: always applies. The day-2 work the option asks of a platform team,
// from its operational complexity fact (1-10, cni-options.md §6 ordering).
import { outcome, scoreOf, type CriterionRule } from './model.js'

/** Points lost per step of complexity above 1: complexity 1 scores 100, complexity 10 scores 10. */
const OPS_STEP = 10

export const operationalSimplicity: CriterionRule = (option) => {
  const f = option.facts
  const ops = f.operationalComplexity.value
  return outcome(scoreOf('operationalSimplicity', true, Math.max(0, 100 - (ops - 1) * OPS_STEP), `Operational complexity ${ops} on a 1-10 scale: ${f.operationalComplexity.note}`))
}
