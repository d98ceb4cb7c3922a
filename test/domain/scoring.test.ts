import t from 'tap'
import { CNI_OPTIONS, type CniOption } from '../../src/domain/cni-options.js'
import { CRITERIA, WEIGHTS, recommend, type CatalogView, type Criterion, type RecommendationCore, type ScoredOption } from '../../src/domain/scoring.js'
import { InputError, LEVELS, LEVEL_NEEDS, PERFORMANCE, type InstanceType, type LevelNeed, type Requirements } from '../../src/domain/types.js'

// ---- fixtures -------------------------------------------------------------------------------
const instance = (over: Partial<InstanceType> & { name: string }): InstanceType => ({
  family: over.name.split('.')[0] as string,
  vcpu: 2,
  memoryMiB: 8192,
  arch: 'amd64',
  maxEnis: 3,
  ipv4PerEni: 10,
  networkCards: 1,
  maxEnisAllCards: over.maxEnis ?? 3,
  ipv6Supported: true,
  hypervisor: 'nitro',
  bareMetal: false,
  trunking: true,
  branchEnis: 9,
  encryptionInTransit: false,
  networkPerformance: 'Up to 10 Gigabit',
  networkBandwidthMbps: 10000,
  ...over,
})
const TYPES: Record<string, InstanceType> = {
  'm5.large': instance({ name: 'm5.large' }),
  'm6i.large': instance({ name: 'm6i.large', encryptionInTransit: true }),
  't3.medium': instance({ name: 't3.medium', ipv4PerEni: 6, trunking: false, branchEnis: 0, memoryMiB: 4096 }),
  'c5.18xlarge': instance({ name: 'c5.18xlarge', vcpu: 72, maxEnis: 15, ipv4PerEni: 50, branchEnis: 107, memoryMiB: 147456 }),
  'm4.large': instance({ name: 'm4.large', hypervisor: 'xen', maxEnis: 2, trunking: false, branchEnis: 0 }),
}
const catalog: CatalogView = { instanceType: (name) => TYPES[name] }

const req = (over: Partial<Requirements> = {}): Requirements => ({
  performance: 'medium',
  multicast: 'none',
  encryption: 'none',
  networkPolicy: 'none',
  securityGroupsForPods: 'none',
  flowLogs: 'none',
  portability: 'none',
  ipv6: 'none',
  fargate: false,
  windows: false,
  instanceTypes: ['m5.large'],
  region: 'us-east-1',
  podsPerNode: null,
  totalPods: null,
  podIpBudget: null,
  podSubnets: null,
  daemonSetsPerNode: 0,
  ...over,
})

const ALL_IDS = CNI_OPTIONS.map((o) => o.id).sort()
const VPC_MODES = ['aws-vpc-cni-custom-networking', 'aws-vpc-cni-custom-networking-prefix-delegation', 'aws-vpc-cni-ipv6', 'aws-vpc-cni-prefix-delegation', 'aws-vpc-cni-secondary-ip']
const OVERLAYS = ['antrea-encap', 'calico-bgp', 'calico-ebpf', 'calico-vxlan', 'cilium-overlay', 'flannel-vxlan', 'weave-net-overlay']
const except = (...ids: string[]) => ALL_IDS.filter((id) => !ids.includes(id))
const kb = (id: string): CniOption => CNI_OPTIONS.find((o) => o.id === id) as CniOption
const opt = (r: RecommendationCore, id: string): ScoredOption => {
  const o = r.options.find((x) => x.id === id)
  if (!o) throw new Error(`${id} not in the answer`)
  return o
}
const crit = (o: ScoredOption, c: Criterion) => o.criteria.find((x) => x.criterion === c) as ScoredOption['criteria'][number]

/** A copy of a KB option with some facts changed (for all-else-equal comparisons). */
function variantOf(base: CniOption, id: string, facts: Partial<{ [K in keyof CniOption['facts']]: CniOption['facts'][K]['value'] }>): CniOption {
  const changed = Object.fromEntries(Object.entries(facts).map(([k, v]) => [k, { ...base.facts[k as keyof CniOption['facts']], value: v }]))
  return { ...base, id, variant: id, facts: { ...base.facts, ...changed } }
}

// ---- input ----------------------------------------------------------------------------------
t.test('an unknown instance type is an InputError naming it', async (t) => {
  try {
    recommend(req({ instanceTypes: ['m5.large', 'zz9.huge'] }), catalog)
    t.fail('expected an InputError')
  } catch (err) {
    t.ok(err instanceof InputError)
    t.equal((err as InputError).field, 'instanceTypes')
    t.match((err as Error).message, /zz9\.huge/)
  }
})

// ---- hard constraints -----------------------------------------------------------------------
// Each rule with its source: DOMAIN.md "How a recommendation should reason" (corrected December 2026) and
// the notes it cites (cni-options.md §1c, §6).
const HARD: Array<{ name: string; req: Partial<Requirements>; need: string; blocked: string[] }> = [
  // Fargate pods cannot reach overlay addresses; policy add-ons stay open with a caveat (EKS fargate docs).
  { name: 'fargate → no overlay', req: { fargate: true }, need: 'fargate', blocked: OVERLAYS },
  {
    // EKS windows-support: one ENI, no IPv6/SGP/custom networking/VPC CNI policy; Calico only as policy engine.
    name: 'windows → VPC CNI (secondary IP, PD) and Calico policy on it',
    req: { windows: true },
    need: 'windows',
    blocked: except('aws-vpc-cni-secondary-ip', 'aws-vpc-cni-prefix-delegation', 'aws-vpc-cni-calico-policy'),
  },
  // VPC CNI issue #2164 "no plans"; multicast beta in Cilium (VXLAN) and Antrea (encap); Weave is blocked as unmaintained.
  { name: 'multicast → only Cilium overlay and Antrea encap', req: { multicast: 'required' }, need: 'multicast', blocked: except('cilium-overlay', 'antrea-encap', 'weave-net-overlay') },
  { name: 'flow logs → no overlay', req: { flowLogs: 'required' }, need: 'flowLogs', blocked: OVERLAYS },
  {
    name: 'network policy → not plain Flannel, not VPC CNI without a policy engine',
    req: { networkPolicy: 'required' },
    need: 'networkPolicy',
    blocked: [...VPC_MODES, 'flannel-vxlan'],
  },
  {
    name: 'ipv6 → only options that support it',
    req: { ipv6: 'required' },
    need: 'ipv6',
    blocked: ['aws-vpc-cni-cilium-chaining', 'aws-vpc-cni-custom-networking', 'aws-vpc-cni-custom-networking-prefix-delegation', 'aws-vpc-cni-prefix-delegation', 'aws-vpc-cni-secondary-ip', 'weave-net-overlay'],
  },
  {
    name: 'portability → no AWS-specific IPAM',
    req: { portability: 'required' },
    need: 'portability',
    blocked: ALL_IDS.filter((id) => id.startsWith('aws-vpc-cni') || id === 'cilium-eni' || id === 'eks-auto-mode'),
  },
  // Auto Mode has no classic SGP (roadmap #2632).
  { name: 'security groups for pods on a trunking type → VPC CNI and Cilium chaining', req: { securityGroupsForPods: 'required' }, need: 'securityGroupsForPods', blocked: [...OVERLAYS, 'cilium-eni', 'eks-auto-mode'] },
  { name: 'security groups for pods with a non-trunking type among the types → everything', req: { securityGroupsForPods: 'required', instanceTypes: ['m5.large', 't3.medium'] }, need: 'securityGroupsForPods', blocked: ALL_IDS },
  {
    name: 'encryption on m5 (no Nitro encryption) → options that encrypt',
    req: { encryption: 'required' },
    need: 'encryption',
    blocked: [...VPC_MODES, 'aws-vpc-cni-network-policy', 'eks-auto-mode'],
  },
  { name: 'encryption on m6i → Nitro covers every option', req: { encryption: 'required', instanceTypes: ['m6i.large'] }, need: 'encryption', blocked: [] },
  {
    name: 'encryption on m6i + m5 → every type must encrypt for Nitro to count',
    req: { encryption: 'required', instanceTypes: ['m6i.large', 'm5.large'] },
    need: 'encryption',
    blocked: [...VPC_MODES, 'aws-vpc-cni-network-policy', 'eks-auto-mode'],
  },
  { name: 'podsPerNode 50 on m5.large → beyond ENI-bound modes', req: { podsPerNode: 50 }, need: 'density', blocked: ['aws-vpc-cni-custom-networking', 'aws-vpc-cni-secondary-ip', 'cilium-eni'] },
  // Overlays follow the 110/250 guidance by vCPU (248 for workloads on c5.18xlarge); Auto Mode caps at 110.
  { name: 'podsPerNode 200 on c5.18xlarge → only Auto Mode (its 110 cap) falls short', req: { podsPerNode: 200, instanceTypes: ['c5.18xlarge'] }, need: 'density', blocked: ['eks-auto-mode'] },
  {
    // The policy add-ons fall back to secondary IPs on Xen; the prefix modes cannot run there.
    name: 'prefix delegation and IPv6 cannot run on a Xen type; the policy add-ons fall back to secondary IPs',
    req: { instanceTypes: ['m4.large'] },
    need: 'density',
    blocked: ['aws-vpc-cni-custom-networking-prefix-delegation', 'aws-vpc-cni-ipv6', 'aws-vpc-cni-prefix-delegation'],
  },
  {
    name: 'small podIpBudget → options drawing on the node subnets',
    req: { totalPods: 500, podIpBudget: 300 },
    need: 'podIpBudget',
    blocked: ['aws-vpc-cni-calico-policy', 'aws-vpc-cni-cilium-chaining', 'aws-vpc-cni-network-policy', 'aws-vpc-cni-prefix-delegation', 'aws-vpc-cni-secondary-ip', 'cilium-eni', 'eks-auto-mode'],
  },
  { name: 'a roomy podIpBudget blocks nothing', req: { totalPods: 500, podIpBudget: 5000 }, need: 'podIpBudget', blocked: [] },
  { name: 'preferred needs never block', req: { multicast: 'preferred', encryption: 'preferred', networkPolicy: 'preferred', flowLogs: 'preferred', ipv6: 'preferred' }, need: 'multicast', blocked: [] },
]

for (const c of HARD) {
  t.test(`hard constraint: ${c.name}`, async (t) => {
    const r = recommend(req(c.req), catalog)
    const blockedBy = r.options.filter((o) => o.blockers.some((b) => b.criterion === c.need)).map((o) => o.id).sort()
    t.same(blockedBy, [...c.blocked].sort(), 'blocks exactly these options')
    for (const o of r.options) {
      t.equal(o.verdict === 'blocked', o.blockers.length > 0, `${o.id}: verdict follows blockers`)
      const criteria = o.blockers.map((b) => b.criterion)
      t.same(criteria, [...new Set(criteria)], `${o.id}: one blocker per unmet need`)
      // An unmaintained project is blocked whatever is asked; nothing else but the need may block.
      t.ok(o.blockers.every((b) => b.criterion === c.need || b.criterion === 'maintenance'), `${o.id}: only ${c.need} blocks it`)
      for (const b of o.blockers) t.ok(b.reason.length > 30 && /[.)]$/.test(b.reason), `${o.id}: the ${b.criterion} blocker is a sentence`)
    }
  })
}

t.test('several unmet needs give one blocker each', async (t) => {
  const r = recommend(req({ fargate: true, multicast: 'required', networkPolicy: 'required', podsPerNode: 50 }), catalog)
  t.same(opt(r, 'aws-vpc-cni-secondary-ip').blockers.map((b) => b.criterion).sort(), ['density', 'multicast', 'networkPolicy'])
  t.same(opt(r, 'flannel-vxlan').blockers.map((b) => b.criterion).sort(), ['fargate', 'multicast', 'networkPolicy'])
  t.same(opt(r, 'cilium-overlay').blockers.map((b) => b.criterion), ['fargate'])
  // EKS IPv6 clusters take no Windows nodes: Calico policy on the VPC CNI supports each alone, not both.
  const winV6 = recommend(req({ windows: true, ipv6: 'required' }), catalog)
  t.same(opt(winV6, 'aws-vpc-cni-calico-policy').blockers.map((b) => b.criterion), ['ipv6'])
  t.same(opt(winV6, 'aws-vpc-cni-ipv6').blockers.map((b) => b.criterion), ['windows'])
})

t.test('Nitro encryption: the reason says so and the caveat gives its scope', async (t) => {
  const r = recommend(req({ encryption: 'required', instanceTypes: ['m6i.large'] }), catalog)
  const v1 = opt(r, 'aws-vpc-cni-secondary-ip')
  t.equal(v1.verdict, 'recommended')
  t.match(crit(v1, 'encryption').reason, /Nitro/)
  t.ok(v1.caveats.some((c) => /same or a peered VPC/.test(c) && /Transit Gateway/.test(c) && /AWS-managed keys/.test(c)), 'scope caveat')
  const m5 = recommend(req({ encryption: 'required' }), catalog)
  t.match(opt(m5, 'aws-vpc-cni-secondary-ip').blockers[0]?.reason ?? '', /m5\.large/)
})

// ---- ranking, verdicts, determinism ---------------------------------------------------------
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items]
  let s = seed
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648
    const j = s % (i + 1)
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}

const SAMPLE_REQUESTS: Array<Partial<Requirements>> = [
  {},
  { performance: 'high' },
  { multicast: 'required' },
  { encryption: 'required' },
  { encryption: 'preferred', networkPolicy: 'preferred', instanceTypes: ['m6i.large', 'c5.18xlarge'] },
  { podsPerNode: 60, totalPods: 2000, podIpBudget: 4000, daemonSetsPerNode: 3 },
  { fargate: true, multicast: 'required' },
  { windows: true, networkPolicy: 'required', securityGroupsForPods: 'preferred' },
]

t.test('the same request gives the same answer; KB order does not matter', async (t) => {
  for (const [i, over] of SAMPLE_REQUESTS.entries()) {
    const a = recommend(req(over), catalog)
    t.same(recommend(req(over), catalog), a, `request ${i}: deep-equal twice`)
    for (const seed of [1, 7, 42]) {
      const b = recommend(req(over), catalog, shuffled(CNI_OPTIONS, seed))
      t.same(b, a, `request ${i}: shuffled KB (seed ${seed}) gives the same answer`)
    }
    t.same(recommend(req(over), catalog, [...CNI_OPTIONS].reverse()), a, `request ${i}: reversed KB`)
  }
})

t.test('equal scores break ties by a fixed order (operational complexity, then id), not by KB order', async (t) => {
  const base = kb('aws-vpc-cni-secondary-ip')
  const twinB = variantOf(base, 'aws-vpc-cni-twin-b', {})
  const twinA = variantOf(base, 'aws-vpc-cni-twin-a', {})
  for (const order of [[twinB, twinA], [twinA, twinB]]) {
    const r = recommend(req(), catalog, order)
    t.same(r.options.map((o) => o.id), ['aws-vpc-cni-twin-a', 'aws-vpc-cni-twin-b'])
    t.equal(r.options[0]?.score, r.options[1]?.score)
    t.same(r.options.map((o) => o.verdict), ['recommended', 'suitable'])
  }
})

t.test('invariants over a grid of requests', async (t) => {
  let checked = 0
  let seed = 3
  const pick = <T>(items: readonly T[]): T => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return items[seed % items.length] as T
  }
  const typeNames = Object.keys(TYPES)
  for (let i = 0; i < 150; i++) {
    const over: Partial<Requirements> = {
      performance: pick(PERFORMANCE),
      fargate: pick([false, false, false, true]),
      windows: pick([false, false, false, true]),
      instanceTypes: [...new Set([pick(typeNames), pick(typeNames)])],
      podsPerNode: pick([null, null, 20, 60, 150]),
      totalPods: pick([null, 300, 5000]),
      podIpBudget: pick([null, 200, 100000]),
      daemonSetsPerNode: pick([0, 2, 5]),
    }
    for (const need of LEVEL_NEEDS) over[need] = pick([...LEVELS, 'none', 'none'])
    const r = recommend(req(over), catalog)
    // Collect every broken invariant of this request, then assert once: readable output, one line per request.
    const problems: string[] = []
    const check = (ok: boolean, what: string) => {
      if (!ok) problems.push(what)
    }
    check(r.options.length === CNI_OPTIONS.length, 'every option is answered')
    check(r.options.filter((o) => o.verdict === 'recommended').length === (r.satisfiable ? 1 : 0), 'exactly one recommended when satisfiable')
    check(r.recommendation === (r.satisfiable ? r.options[0] : null), 'recommendation is the first option, or null')
    const firstBlocked = r.options.findIndex((o) => o.verdict === 'blocked')
    check(firstBlocked < 0 || r.options.slice(firstBlocked).every((o) => o.verdict === 'blocked'), 'blocked ranked last')
    for (let k = 1; k < r.options.length; k++) {
      const prev = r.options[k - 1] as ScoredOption
      const cur = r.options[k] as ScoredOption
      if (prev.verdict !== 'blocked' && cur.verdict !== 'blocked') check(prev.score >= cur.score, `unblocked by score at ${k}`)
    }
    for (const o of r.options) {
      check(Number.isInteger(o.score) && o.score >= 0 && o.score <= 100, `${o.id} score ${o.score}`)
      check(o.verdict === 'blocked' ? o.blockers.length > 0 : o.blockers.length === 0, `${o.id} verdict follows blockers`)
      check(JSON.stringify(o.criteria.map((c) => c.criterion)) === JSON.stringify(CRITERIA), `${o.id}: every criterion, in order`)
      for (const c of o.criteria) {
        check(c.score >= 0 && c.score <= 100 && Number.isInteger(c.score), `${o.id}.${c.criterion} score ${c.score}`)
        check(c.weight === 0 || c.weight === WEIGHTS[c.criterion], `${o.id}.${c.criterion} weight`)
        check(c.reason.length > 10, `${o.id}.${c.criterion} reason`)
      }
      check(o.references.length >= 1 && o.references.every((u) => u.startsWith('https://')), `${o.id} references`)
      check(o.explanation.length > 40, `${o.id} explanation`)
      check(o.density.instanceType === over.instanceTypes?.[0], `${o.id} density on the first type`)
      check(o.density.byInstanceType?.length === ((over.instanceTypes?.length ?? 1) > 1 ? over.instanceTypes?.length : undefined), `${o.id} density per type`)
    }
    const sentences = r.summary.split(/(?<=[.!?])\s+(?=[A-Z])/).length
    check(sentences >= 1 && sentences <= 4 && r.summary.length > 40, `summary is 1-4 sentences: ${r.summary}`)
    check(r.satisfiable || /No option meets every required need/.test(r.summary), 'unsatisfiable summary says so')
    t.same(problems, [], `request ${i}: ${JSON.stringify(over)}`)
    checked++
  }
  t.equal(checked, 150)
})

t.test('WEIGHTS: one positive weight per criterion, frozen', async (t) => {
  t.same(Object.keys(WEIGHTS).sort(), [...CRITERIA].sort())
  for (const c of CRITERIA) t.ok(WEIGHTS[c] > 0, c)
  t.ok(Object.isFrozen(WEIGHTS))
})

// ---- criterion directions -------------------------------------------------------------------
t.test('raising performance sensitivity never lowers an overlay-free option against an overlay', async (t) => {
  const levels = PERFORMANCE.map((performance) => recommend(req({ performance }), catalog))
  const free = CNI_OPTIONS.filter((o) => o.facts.encapsulation.value === 'none')
  const overlays = CNI_OPTIONS.filter((o) => o.facts.podIpSource.value === 'cluster-cidr')
  t.ok(free.length > 0 && overlays.length > 0)
  for (const a of free) {
    for (const b of overlays) {
      const gaps = levels.map((r) => opt(r, a.id).score - opt(r, b.id).score)
      t.ok((gaps[0] as number) <= (gaps[1] as number) && (gaps[1] as number) <= (gaps[2] as number), `${a.id} vs ${b.id}: ${gaps.join(' ≤ ')}`)
    }
  }
})

const PREFERRED: Array<{ need: LevelNeed; meets: Partial<Record<keyof CniOption['facts'], unknown>>; misses: Partial<Record<keyof CniOption['facts'], unknown>> }> = [
  { need: 'multicast', meets: { multicast: 'beta' }, misses: { multicast: 'none' } },
  { need: 'networkPolicy', meets: { networkPolicy: 'basic' }, misses: { networkPolicy: 'none' } },
  { need: 'securityGroupsForPods', meets: { securityGroupsForPods: 'yes' }, misses: { securityGroupsForPods: 'no' } },
  { need: 'flowLogs', meets: { podIpsVisibleInVpc: 'yes' }, misses: { podIpsVisibleInVpc: 'no' } },
  { need: 'portability', meets: { portability: 'yes' }, misses: { portability: 'no' } },
  { need: 'ipv6', meets: { ipv6: 'yes' }, misses: { ipv6: 'no' } },
  { need: 'encryption', meets: { encryption: { methods: ['wireguard'], nodeNeeds: 'WireGuard' } }, misses: { encryption: { methods: [], nodeNeeds: 'nothing' } } },
]

for (const c of PREFERRED) {
  t.test(`a preferred ${c.need} the option meets never scores it lower, all else equal`, async (t) => {
    const base = kb('aws-vpc-cni-secondary-ip')
    const yes = variantOf(base, 'aws-vpc-cni-meets', c.meets as never)
    const no = variantOf(base, 'aws-vpc-cni-misses', c.misses as never)
    for (const level of ['preferred', 'none'] as const) {
      const r = recommend(req({ [c.need]: level }), catalog, [no, yes])
      const a = opt(r, 'aws-vpc-cni-meets')
      const b = opt(r, 'aws-vpc-cni-misses')
      t.ok(a.score >= b.score, `${level}: ${a.score} ≥ ${b.score}`)
      if (level === 'preferred') {
        t.ok(a.score > b.score, 'strictly better when preferred')
        t.equal(crit(a, c.need).weight, WEIGHTS[c.need])
        t.equal(r.options[0]?.id, 'aws-vpc-cni-meets')
      } else {
        t.equal(crit(a, c.need).weight, 0, 'no weight when the need is none')
        t.equal(a.score, b.score)
      }
    }
  })
}

t.test('more headroom, less operational work and a healthy project never score lower', async (t) => {
  const base = kb('aws-vpc-cni-prefix-delegation')
  const simple = variantOf(base, 'aws-vpc-cni-simple', { operationalComplexity: 2 })
  const complex = variantOf(base, 'aws-vpc-cni-complex', { operationalComplexity: 8 })
  let r = recommend(req(), catalog, [complex, simple])
  t.ok(opt(r, 'aws-vpc-cni-simple').score > opt(r, 'aws-vpc-cni-complex').score, 'operational simplicity')
  const dead = variantOf(base, 'aws-vpc-cni-dead', { maintenance: { status: 'unmaintained', latestRelease: 'v0', releasedAt: '2021-01' } })
  r = recommend(req(), catalog, [dead, base])
  t.ok(opt(r, base.id).score > opt(r, 'aws-vpc-cni-dead').score, 'support health')
  // Density: prefix delegation (108 workload pods) has more headroom over 20 than custom networking (18 → blocked) or secondary IPs (27).
  r = recommend(req({ podsPerNode: 20 }), catalog)
  t.ok(crit(opt(r, 'aws-vpc-cni-prefix-delegation'), 'density').score > crit(opt(r, 'aws-vpc-cni-secondary-ip'), 'density').score)
  t.equal(crit(opt(r, 'aws-vpc-cni-secondary-ip'), 'density').weight, WEIGHTS.density)
  t.equal(crit(opt(recommend(req(), catalog), 'aws-vpc-cni-secondary-ip'), 'density').weight, 0, 'no weight without podsPerNode')
  // IP budget: a larger budget never lowers a score.
  const small = recommend(req({ totalPods: 300, podIpBudget: 600 }), catalog)
  const large = recommend(req({ totalPods: 300, podIpBudget: 6000 }), catalog)
  for (const o of small.options) t.ok(opt(large, o.id).score >= o.score, `${o.id}: budget 6000 ≥ budget 600`)
})

// ---- the decision guide ---------------------------------------------------------------------
t.test('decision guide', async (t) => {
  const r0 = recommend(req(), catalog)
  t.equal(r0.recommendation?.id, 'aws-vpc-cni-secondary-ip', 'nothing asked → the EKS default')

  const perf = recommend(req({ performance: 'high' }), catalog)
  const perfTop = kb(perf.recommendation?.id ?? '')
  t.equal(perfTop.facts.encapsulation.value, 'none', 'performance-sensitive → VPC-native routing wins')
  t.ok(perf.options.slice(0, 5).every((o) => kb(o.id).facts.encapsulation.value === 'none'), 'native options lead the field')

  const dense = recommend(req({ podsPerNode: 60 }), catalog)
  t.ok(['prefix-delegation', 'overlay'].includes(dense.recommendation?.density.mode ?? ''), `density beyond ENI limits → PD or overlay (${dense.recommendation?.id})`)
  t.equal(opt(dense, 'aws-vpc-cni-secondary-ip').verdict, 'blocked')
  t.match(dense.summary, /prefix delegation/)

  const exhausted = recommend(req({ totalPods: 500, podIpBudget: 300 }), catalog)
  t.ok(['custom-networking', 'ipv6', 'overlay'].includes(exhausted.recommendation?.density.mode ?? ''), `IP exhaustion → custom networking, IPv6 or overlay (${exhausted.recommendation?.id})`)
  t.match(crit(opt(exhausted, 'aws-vpc-cni-custom-networking'), 'podIpBudget').reason, /secondary CIDR/)

  const mc = recommend(req({ multicast: 'required' }), catalog)
  t.ok(['cilium-overlay', 'antrea-encap'].includes(mc.recommendation?.id ?? ''), `multicast → Cilium overlay or Antrea encap (${mc.recommendation?.id})`)
  // An archived project is blocked, never "suitable", and named as history (DOMAIN.md, corrected).
  t.equal(opt(mc, 'weave-net-overlay').verdict, 'blocked', 'Weave is blocked as unmaintained')
  t.same(opt(mc, 'weave-net-overlay').blockers.map((b) => b.criterion), ['maintenance'])
  t.match(opt(mc, 'weave-net-overlay').explanation, /History/)
  t.match(mc.summary, /Weave Net.*unmaintained/)
  t.ok(opt(mc, 'weave-net-overlay').caveats.some((c) => /January 2021/.test(c) && /archived/.test(c)))
  t.ok(opt(mc, 'cilium-overlay').caveats.some((c) => /VXLAN only/.test(c)), 'multicast beta caveat')

  const encM5 = recommend(req({ encryption: 'required' }), catalog)
  const encTop = kb(encM5.recommendation?.id ?? '')
  t.ok(encTop.facts.encryption.value.methods.length > 0, `encryption on m5 → an option that encrypts (${encTop.id})`)
  t.notOk(VPC_MODES.includes(encTop.id))

  const encM6i = recommend(req({ encryption: 'required', instanceTypes: ['m6i.large'] }), catalog)
  t.equal(encM6i.recommendation?.id, 'aws-vpc-cni-secondary-ip', 'encryption on m6i → plain VPC CNI thanks to Nitro')

  // Policy: the VPC CNI's own agent, or Auto Mode, which has it built in (cni-options.md §6: AM < V6 in work).
  const policy = recommend(req({ networkPolicy: 'required' }), catalog)
  t.ok(['aws-vpc-cni-network-policy', 'eks-auto-mode'].includes(policy.recommendation?.id ?? ''), `policy → the VPC CNI policy agent (${policy.recommendation?.id})`)
  t.equal(opt(policy, 'aws-vpc-cni-network-policy').verdict === 'blocked', false)
  t.match(policy.summary, /v1\.14/)

  const policyDense = recommend(req({ networkPolicy: 'required', podsPerNode: 60 }), catalog)
  t.ok(['aws-vpc-cni', 'eks'].includes(policyDense.recommendation?.plugin ?? ''), 'policy + density is no reason to leave the VPC CNI')

  const win = recommend(req({ windows: true, networkPolicy: 'required' }), catalog)
  t.equal(win.recommendation?.id, 'aws-vpc-cni-calico-policy', 'Windows + policy → VPC CNI with Calico policy')

  const sgp = recommend(req({ securityGroupsForPods: 'required' }), catalog)
  t.equal(sgp.recommendation?.plugin, 'aws-vpc-cni')
  t.ok(sgp.recommendation?.caveats.some((c) => /At most 9 pods per m5\.large/.test(c)), 'branch-ENI caveat')

  const pd = opt(r0, 'aws-vpc-cni-prefix-delegation')
  t.ok(pd.caveats.some((c) => /InsufficientCidrBlocks/.test(c)), 'PD fragmentation caveat')
  t.ok(opt(r0, 'aws-vpc-cni-custom-networking').caveats.some((c) => /ENIConfig/.test(c)), 'custom networking ops caveat')
  t.ok(opt(r0, 'calico-vxlan').caveats.some((c) => /webhooks/.test(c)), 'overlay webhook caveat')
})

t.test('density: m5.large numbers, the first type, and every type when several are asked', async (t) => {
  const r = recommend(req({ instanceTypes: ['m5.large', 'c5.18xlarge'] }), catalog)
  const v1 = opt(r, 'aws-vpc-cni-secondary-ip').density
  t.equal(v1.instanceType, 'm5.large')
  t.equal(v1.mode, 'secondary-ip')
  t.equal(v1.maxPodsPerNode, 29)
  t.equal(v1.podsForWorkloads, 27)
  t.equal(v1.vpcIpsPerNode, 30, 'a full m5.large takes 3 ENIs: 27 + 3 addresses')
  t.same(v1.byInstanceType?.map((d) => [d.instanceType, d.maxPodsPerNode]), [['m5.large', 29], ['c5.18xlarge', 250]])
  // The warm pool stops at max pods (ipamd): a full c5.18xlarge (248 workload pods) holds 6 ENIs, 300 addresses.
  t.equal(v1.byInstanceType?.[1]?.vpcIpsPerNode, 300)
  t.equal(opt(r, 'aws-vpc-cni-prefix-delegation').density.maxPodsPerNode, 110)
  t.equal(opt(r, 'aws-vpc-cni-custom-networking').density.maxPodsPerNode, 20)
  t.equal(opt(r, 'calico-vxlan').density.vpcIpsPerNode, 1)
  const single = recommend(req(), catalog)
  t.equal(opt(single, 'aws-vpc-cni-secondary-ip').density.byInstanceType, undefined)
  const withTotal = recommend(req({ totalPods: 270 }), catalog)
  t.same(opt(withTotal, 'aws-vpc-cni-secondary-ip').density.vpcIpsForTotalPods, {
    instanceType: 'm5.large',
    mode: 'secondary-ip',
    nodes: 10,
    vpcIps: 300,
    prefixes: 0,
    primaries: 30,
    fromPodIpBudget: true,
  })
})

// ---- contradictions -------------------------------------------------------------------------
const CONFLICTS: Array<{ name: string; req: Partial<Requirements>; mentions: RegExp[] }> = [
  { name: 'Fargate and multicast', req: { fargate: true, multicast: 'required' }, mentions: [/fargate=true/, /multicast=required/, /VPC CNI/] },
  { name: 'Windows and multicast', req: { windows: true, multicast: 'required' }, mentions: [/windows=true/, /multicast=required/] },
  // Fargate pods cannot reach overlay pods, and only overlays carry multicast.
  { name: 'Fargate and multicast', req: { fargate: true, multicast: 'required' }, mentions: [/fargate=true/, /multicast=required/] },
  { name: 'flow logs and multicast', req: { flowLogs: 'required', multicast: 'required' }, mentions: [/flowLogs=required/, /multicast=required/] },
  { name: 'security groups for pods on t3 only', req: { securityGroupsForPods: 'required', instanceTypes: ['t3.medium'] }, mentions: [/securityGroupsForPods=required/, /t3\.medium/] },
  { name: 'a density no node reaches', req: { podsPerNode: 500 }, mentions: [/podsPerNode=500/, /108/] },
]

for (const c of CONFLICTS) {
  t.test(`contradictory requirements: ${c.name}`, async (t) => {
    const r = recommend(req(c.req), catalog)
    t.equal(r.satisfiable, false)
    t.equal(r.recommendation, null)
    t.ok(r.options.every((o) => o.verdict === 'blocked'))
    for (const m of c.mentions) t.match(r.summary, m)
  })
}

t.test('requirements are echoed as given', async (t) => {
  const asked = req({ multicast: 'preferred', podsPerNode: 40 })
  t.same(recommend(asked, catalog).requirements, asked)
})

t.test('an unmaintained runner-up is never called worth it', async (t) => {
  const r = recommend(req({ multicast: 'required' }), catalog)
  t.equal(r.recommendation?.id, 'cilium-overlay')
  t.match(r.summary, /Weave Net[^.]*unmaintained/)
  t.notMatch(r.summary, /Weave Net[^.]*worth it/)
})

// DaemonSets asking for more slots than a tiny type has once threw InputError('pods'), naming a field the
// client never sent: a full node is counted at the slots it has.
t.test('DaemonSets beyond a tiny type’s slots block on density, never throw', async (t) => {
  const tiny = { ...TYPES['m5.large'], name: 't3.nano', family: 't3', maxEnis: 2, ipv4PerEni: 2, trunking: false, branchEnis: 0 } as InstanceType
  const r = recommend(req({ instanceTypes: ['t3.nano'], totalPods: 10, daemonSetsPerNode: 2 }), { instanceType: (n) => (n === 't3.nano' ? tiny : undefined) })
  const cn = opt(r, 'aws-vpc-cni-custom-networking')
  t.equal(cn.verdict, 'blocked')
  t.equal(cn.density.podsForWorkloads, 0)
  t.ok(cn.density.vpcIpsPerNode !== null && cn.density.vpcIpsPerNode > 0)
})
