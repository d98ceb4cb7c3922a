// Criterion `supportHealth`: always applies. Who answers the phone when it breaks, and whether anyone
// still ships fixes. An unmaintained project scores 0 here and is blocked besides (evaluate.ts).
import { outcome, scoreOf, type CriterionRule } from './model.js'

export const supportHealth: CriterionRule = (option) => {
  const f = option.facts
  const m = f.maintenance.value
  // AWS-supported first, then partner-compatible; an option AWS does not list at all scores half.
  const score = m.status === 'unmaintained' ? 0 : f.awsSupport.value === 'aws-supported' ? 100 : f.awsSupport.value === 'partner-compatible' ? 75 : 50
  return outcome(scoreOf('supportHealth', true, score, `${f.awsSupport.note} ${f.maintenance.note}`))
}
