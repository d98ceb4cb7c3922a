// The ranking: unblocked before blocked, then score, then lower operational complexity, then id. A
// fixed order, so the answer never depends on the order the options are listed in.
import type { Evaluated } from './model.js'

/** Fixed tie-break after the score: less operational work first, then id. */
export function compareEvaluated(a: Evaluated, b: Evaluated): number {
  const aBlocked = a.blockers.length > 0 ? 1 : 0
  const bBlocked = b.blockers.length > 0 ? 1 : 0
  if (aBlocked !== bBlocked) return aBlocked - bBlocked
  if (a.score !== b.score) return b.score - a.score
  const opsDiff = a.option.facts.operationalComplexity.value - b.option.facts.operationalComplexity.value
  if (opsDiff !== 0) return opsDiff
  return a.option.id < b.option.id ? -1 : a.option.id > b.option.id ? 1 : 0
}
