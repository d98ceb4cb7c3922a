// Criterion `performance`: always applies. How much the option's data path costs a workload of the
// stated sensitivity. The score tables live here, not in the KB, so the KB stays facts only.
import type { Datapath } from '../cni-options.js'
import type { Performance } from '../types.js'
import { outcome, scoreOf, type CriterionRule } from './model.js'

/** Performance = 70 + SENSITIVITY × DATAPATH_DELTA: native paths gain, overlays lose as sensitivity rises. */
const PERFORMANCE_BASE = 70
const SENSITIVITY: Readonly<Record<Performance, number>> = { low: 0.2, medium: 0.5, high: 1 }
const DATAPATH_DELTA: Readonly<Record<Datapath, number>> = {
  'native-ebpf': 30,
  native: 25,
  'mostly-native': -5,
  'overlay-ebpf': -12,
  overlay: -20,
  'overlay-small-mtu': -40,
}
const DATAPATH_WORDS: Readonly<Record<Datapath, string>> = {
  'native-ebpf': 'native VPC routing with an eBPF data path',
  native: 'native VPC routing, no encapsulation',
  'mostly-native': 'unencapsulated inside a subnet, encapsulated across subnets',
  'overlay-ebpf': 'an eBPF VXLAN overlay',
  overlay: 'a kernel VXLAN overlay',
  'overlay-small-mtu': 'an overlay whose default MTU (1376) costs throughput',
}

export const performance: CriterionRule = (option, { req }) => {
  const datapath = option.facts.performance.value
  const score = Math.round(PERFORMANCE_BASE + SENSITIVITY[req.performance] * DATAPATH_DELTA[datapath])
  const reason = `Performance sensitivity ${req.performance}; ${DATAPATH_WORDS[datapath]}. ${option.facts.performance.note}`
  return outcome(scoreOf('performance', true, score, reason))
}
