// Criterion `density`: reaching podsPerNode on every requested type is a hard constraint; the score is
// the headroom over the ask, and applies only when podsPerNode is given. The numbers themselves come
// from option-density.ts, worked out once per option.
import type { MaxPodsResult } from '../density.js'
import { outcome, scoreOf, type Blocker, type CriterionRule, type CriterionScore } from './model.js'

export const density: CriterionRule = (_option, { req }, { perType }) => {
  const blockers: Blocker[] = []
  // An unsupported mode blocks even without podsPerNode, because the option cannot run on that type at all.
  const unsupported = perType.filter((m) => !m.supported)
  // Without podsPerNode, a type where no workload pod fits (DaemonSets take every slot) is short of 1.
  const short = perType.filter((m) => m.supported && (m.podsForWorkloads ?? 0) < (req.podsPerNode ?? 1))
  if (unsupported.length > 0 || short.length > 0) {
    const parts = [
      ...unsupported.map((m) => `${m.mode} cannot run on ${m.instanceType} (${m.reason ?? 'unsupported'})`),
      ...short.map(
        (m) =>
          `${m.instanceType} fits ${m.podsForWorkloads} workload pods per node in ${m.mode} mode${m.os === 'windows' ? ' on Windows' : ''} ` +
          `(max pods ${m.recommendedMaxPods}: ${m.formula}${m.cap !== null && (m.recommendedMaxPods ?? 0) < (m.maxPods ?? 0) ? `; ${m.cap.reason}` : ''})`,
      ),
    ]
    blockers.push({ criterion: 'density', reason: `${req.podsPerNode === null ? 'Not deployable on the requested types' : `${req.podsPerNode} pods per node are out of reach`}: ${parts.join('; ')}.` })
  }
  // Scored on the type that fits fewest: a cluster is as dense as its tightest node type.
  const reachable = perType.map((m) => m.podsForWorkloads ?? 0)
  const worst = Math.min(...reachable)
  const worstType = perType[reachable.indexOf(worst)] as MaxPodsResult
  let scored: CriterionScore
  if (req.podsPerNode === null) {
    // Shown for reference only (weight 0); full marks at 108, the kubelet default of 110 less the 2 host-network pods.
    scored = scoreOf(
      'density',
      false,
      Math.min(100, Math.round((100 * worst) / 108)),
      `No podsPerNode asked; for reference ${worstType.instanceType} fits ${worst} workload pods per node in ${worstType.mode} mode${worstType.os === 'windows' ? ' on Windows' : ''}.`,
    )
  } else {
    scored = scoreOf(
      'density',
      true,
      Math.min(100, Math.round((100 * worst) / (1.5 * req.podsPerNode))),
      `${worstType.instanceType} fits ${worst} workload pods per node in ${worstType.mode} mode${worstType.os === 'windows' ? ' on Windows' : ''} against ${req.podsPerNode} asked (full marks at 1.5× the ask).`,
    )
  }
  return outcome(scored, blockers)
}
