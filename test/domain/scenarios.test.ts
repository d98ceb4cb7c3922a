// Scenario suite (issue 17, "Acceptance"): realistic requirement sets as platform teams send them, run
// through the real engine (parseRequirements → recommend) against the committed seed catalog. Each
// scenario says in plain words what a senior EKS networking engineer would answer and why, and asserts
// the winner, the blocked set (or, where it is large, the set left open) and one phrase the engineer
// would insist on. Every scenario cites the source of its rule in a comment (cni-options.ts REFS, or
// ../shared/DOMAIN.md, corrected this month).
//
// Where the engine gives an answer that engineer would reject, the scenario still states the RIGHT
// answer; its assertions carry `{ todo: 'engine says X; should be Y because …' }`, so they run, show
// as "not ok # TODO" until the engine is fixed, and do not fail the suite. `gaps` do the same for one
// wrong detail (a caveat, a sentence) in an otherwise right answer.
import t, { type Test } from 'tap'
import { subnetBudget } from '../../src/domain/cidr.js'
import { CNI_OPTIONS } from '../../src/domain/cni-options.js'
import { parseRequirements } from '../../src/answers/inputs.js'
import { recommend, type CatalogView, type Criterion, type RecommendationCore, type ScoredOption } from '../../src/domain/scoring.js'
import { seed } from './fixtures.js'

// ---- the engine as the service runs it --------------------------------------------------------
const byName = new Map(seed.instanceTypes.map((it) => [it.name, it] as const))
const catalog: CatalogView = { instanceType: (n) => byName.get(n) }

/** Parses a request as a door would (defaults filled in) and asks the engine. */
function ask(raw: Record<string, unknown>): RecommendationCore {
  const parsed = parseRequirements(raw, { textual: false })
  // As src/answers/recommendation.ts does: podSubnets become the pod IP budget (usable addresses per AWS subnet).
  const req = parsed.podSubnets ? { ...parsed, podIpBudget: subnetBudget(parsed.podSubnets).usable } : parsed
  return recommend(req, catalog)
}

// ---- option ids, by family ---------------------------------------------------------------------
const SECONDARY = 'aws-vpc-cni-secondary-ip'
const PD = 'aws-vpc-cni-prefix-delegation'
const CN = 'aws-vpc-cni-custom-networking'
const CNPD = 'aws-vpc-cni-custom-networking-prefix-delegation'
const V6 = 'aws-vpc-cni-ipv6'
const VPC_POLICY = 'aws-vpc-cni-network-policy'
const CALICO_POLICY = 'aws-vpc-cni-calico-policy'
const CILIUM_CHAINING = 'aws-vpc-cni-cilium-chaining'
const CILIUM_ENI = 'cilium-eni'
const CILIUM_OVERLAY = 'cilium-overlay'
const CALICO_VXLAN = 'calico-vxlan'
const CALICO_BGP = 'calico-bgp'
const CALICO_EBPF = 'calico-ebpf'
const ANTREA = 'antrea-encap'
const FLANNEL = 'flannel-vxlan'
const WEAVE = 'weave-net-overlay'
const AUTO = 'eks-auto-mode'

const ALL = [SECONDARY, PD, CN, CNPD, V6, VPC_POLICY, CALICO_POLICY, CILIUM_CHAINING, CILIUM_ENI, CILIUM_OVERLAY, CALICO_VXLAN, CALICO_BGP, CALICO_EBPF, ANTREA, FLANNEL, WEAVE, AUTO]
/** The VPC CNI modes that enforce no policy of their own (the agent is off by default). */
const VPC_PLAIN = [SECONDARY, PD, CN, CNPD, V6]
/** Everything whose pods sit on a cluster CIDR rather than VPC addresses (Calico BGP encapsulates across AZs). */
const OVERLAYS = [CILIUM_OVERLAY, CALICO_VXLAN, CALICO_BGP, CALICO_EBPF, ANTREA, FLANNEL, WEAVE]
/** The maintained overlays. */
const LIVE_OVERLAYS = OVERLAYS.filter((id) => id !== WEAVE)
const except = (...ids: string[]): string[] => ALL.filter((id) => !ids.includes(id))

// ---- what a scenario states --------------------------------------------------------------------
/** Where the phrase the engineer insists on must appear. `of` defaults to the winner. */
type Key =
  | { in: 'summary'; match: RegExp }
  | { in: 'caveat' | 'blocker' | 'explanation'; of?: string; match: RegExp }
  | { in: 'criterion'; of?: string; criterion: Criterion; match: RegExp }

interface Scenario {
  name: string
  ask: Record<string, unknown>
  /** What a senior EKS networking engineer would answer, and why, in plain words. */
  why: string
  /** The winner; a small set where two answers are equally defensible (the why says so); null when nothing fits. */
  winner: string | null | readonly string[]
  /** Exactly the blocked ids; or, when most are blocked, exactly the ids left open. */
  blocked?: readonly string[]
  notBlocked?: readonly string[]
  key: Key | readonly Key[]
  /** Further scenario-specific checks (numbers per type, a second phrase). */
  also?: (t: Test, r: RecommendationCore, extra: { todo?: string }) => void
  /** The engine's answer is wrong: 'engine says X; should be Y because …'. Every assertion becomes todo. */
  todo?: string
  /** One wrong detail in an otherwise right answer: asserted as todo. */
  gaps?: ReadonlyArray<{ what: string; todo?: string; holds: (r: RecommendationCore) => boolean }>
}

const opt = (r: RecommendationCore, id: string): ScoredOption => {
  const o = r.options.find((x) => x.id === id)
  if (!o) throw new Error(`${id} not in the answer`)
  return o
}
const densityRows = (o: ScoredOption) => (o.density.byInstanceType ?? [o.density]).map((d) => [d.instanceType, d.mode, d.maxPodsPerNode, d.podsForWorkloads])

const SCENARIOS: Scenario[] = [
  // =============================================================================================
  // The default
  // =============================================================================================
  // Source: https://github.com/aws/amazon-vpc-cni-k8s/blob/master/misc/eni-max-pods.txt (REFS.vpcCniMaxPods); DOMAIN.md worked check.
  {
    name: 'nothing special asked, m5.large',
    ask: {},
    why:
      'Run the EKS default, the VPC CNI with secondary IPs: native routing, AWS support, nothing to operate. Say the density ' +
      'honestly: 29 max pods, 27 for workloads (the +2 are aws-node and kube-proxy). Weave Net is never on the table.',
    winner: SECONDARY,
    blocked: [WEAVE],
    key: { in: 'caveat', match: /m5\.large fits 29 pods \(27 for workloads\)/ },
    also: (t, r, extra) => {
      t.match(opt(r, WEAVE).explanation, /History: .*was the 2018-2020 answer for multicast and encryption/, 'Weave is named as history', extra)
    },
  },

  // =============================================================================================
  // Windows nodes: one ENI serves pods (I − 1), no host-network pods; no IPv6, SGP, custom networking,
  // VPC CNI policy, Cilium or WireGuard; Calico only as the policy engine beside the VPC CNI.
  // =============================================================================================
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/windows-support.html (REFS.eksWindows); DOMAIN.md "any mode on Windows".
  {
    name: 'Windows nodes on m5.large, 20 pods per node',
    ask: { windows: true, podsPerNode: 20 },
    why:
      'A Windows node gives pods one ENI: 10 − 1 = 9 pods on secondary IPs, not 29, so 20 pods need prefix delegation ' +
      '((10 − 1) × 16 = 144, capped at 110). Only the VPC CNI runs on Windows; Calico policy beside it is the one add-on that also does.',
    winner: PD,
    notBlocked: [PD, CALICO_POLICY],
    key: { in: 'blocker', of: SECONDARY, match: /m5\.large fits 9 workload pods per node in secondary-ip mode on Windows/ },
    also: (t, r, extra) => {
      t.same(densityRows(opt(r, PD)), [['m5.large', 'prefix-delegation', 110, 110]], 'Windows PD: 144 capped at 110, no host-network pods', extra)
      t.same(densityRows(opt(r, SECONDARY)), [['m5.large', 'secondary-ip', 9, 9]], 'Windows secondary IP: 9', extra)
    },
    gaps: [
      {
        what: 'the summary does not offer IPv6 as a way to more pods on a Windows cluster',
        holds: (r) => !/or IPv6 \(2022\)/.test(r.summary),
      },
    ],
  },
  // Source: https://github.com/tigera/docs/blob/main/calico/getting-started/kubernetes/windows-calico/requirements.mdx (REFS.calicoWindowsRequirements).
  {
    name: 'Windows nodes with NetworkPolicy required',
    ask: { windows: true, networkPolicy: 'required' },
    why:
      'The VPC CNI policy agent is Linux-only, Auto Mode has no Windows nodes and Cilium does not run on Windows, so the answer is ' +
      'the VPC CNI with Calico as its policy engine, which the EKS Windows guide recommends.',
    winner: CALICO_POLICY,
    notBlocked: [CALICO_POLICY],
    key: { in: 'caveat', match: /Calico runs as the policy engine beside the VPC CNI/ },
    also: (t, r, extra) => {
      t.match(opt(r, VPC_POLICY).blockers.map((b) => b.reason).join(' '), /Not on Windows nodes/, 'the policy agent is Linux-only', extra)
    },
  },
  // Source: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/data-protection.html#encryption-transit (REFS.ec2NitroEncryption); DOMAIN.md "no WireGuard on Windows".
  {
    name: 'Windows nodes on m5.large with encryption required',
    ask: { windows: true, encryption: 'required' },
    why:
      'm5 does not encrypt in Nitro hardware, the VPC CNI has no encryption of its own, and Calico WireGuard does not run on Windows: ' +
      'nothing meets it. The fix is the instance type (m6i), not the CNI.',
    winner: null,
    blocked: ALL,
    key: { in: 'summary', match: /pick an encrypting Nitro type \(e\.g\. m6i instead of m5\)/ },
    also: (t, r, extra) => {
      t.match(opt(r, CALICO_POLICY).blockers.map((b) => b.reason).join(' '), /WireGuard does not run on Windows nodes/, 'says why Calico cannot encrypt here', extra)
    },
  },
  // Source: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/data-protection.html#encryption-transit (REFS.ec2NitroEncryption).
  {
    name: 'Windows nodes on m6i.large with encryption required',
    ask: { windows: true, encryption: 'required', instanceTypes: ['m6i.large'] },
    why:
      'm6i encrypts instance-to-instance traffic in Nitro hardware, so the plain VPC CNI meets it on Windows too. Secondary IPs and ' +
      'prefix delegation are equally defensible with no density asked (9 vs 110 pods per Windows node); say the Nitro scope.',
    winner: [SECONDARY, PD],
    notBlocked: [SECONDARY, PD, CALICO_POLICY],
    key: { in: 'caveat', match: /Nitro in-transit encryption covers traffic between two encryption-capable instances/ },
  },
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/security-groups-for-pods.html (REFS.eksSgForPods); REFS.eksWindows.
  {
    name: 'Windows nodes with security groups for pods required',
    ask: { windows: true, securityGroupsForPods: 'required' },
    why: 'Security groups for pods do not work on Windows nodes: nothing fits; the SG-bound workloads need Linux nodes.',
    winner: null,
    blocked: ALL,
    key: { in: 'summary', match: /Security groups for pods do not work on Windows nodes/ },
  },
  // Source: https://github.com/aws/aws-eks-best-practices/blob/master/latest/bpg/networking/ipv6.adoc (REFS.bpIpv6).
  {
    name: 'Windows nodes in an IPv6 cluster',
    ask: { windows: true, ipv6: 'required' },
    why: 'EKS IPv6 clusters take no Windows nodes, and only the VPC CNI runs on Windows: a conflict, said as one.',
    winner: null,
    blocked: ALL,
    key: { in: 'summary', match: /windows=true and ipv6=required conflict/ },
  },
  // Source: https://github.com/aws/aws-eks-best-practices/blob/master/latest/bpg/networking/prefix-mode_linux.adoc (REFS.bpPrefix); REFS.eksWindows.
  {
    name: 'Windows nodes on m4.large (Xen), 8 pods per node',
    ask: { windows: true, instanceTypes: ['m4.large'], podsPerNode: 8 },
    why:
      'Xen cannot do prefix delegation, so a Windows m4.large runs 9 pods on secondary IPs, which is enough for 8. ' +
      'The VPC CNI default is the answer; Calico policy beside it stays open.',
    winner: SECONDARY,
    notBlocked: [SECONDARY, CALICO_POLICY],
    key: { in: 'blocker', of: PD, match: /prefix delegation needs a Nitro instance type; m4\.large runs on xen/ },
    also: (t, r, extra) => {
      t.same(densityRows(opt(r, CALICO_POLICY)), [['m4.large', 'secondary-ip', 9, 9]], 'Calico policy falls back to secondary IPs on Xen', extra)
    },
  },

  // =============================================================================================
  // Fargate: some pods run on Fargate, with their own VPC ENIs; overlays are out; the policy add-ons stay
  // open with the caveat that they do not enforce on Fargate pods.
  // =============================================================================================
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/fargate.html (REFS.eksFargate); REFS.eksAlternateCni.
  {
    name: 'some pods on Fargate, nothing else asked',
    ask: { fargate: true },
    why:
      'Fargate pods always use the VPC CNI and cannot reach overlay pod addresses, so every overlay is out; the EKS default ' +
      'serves the EC2 nodes. Say that Fargate pods take one VPC address each from the profile subnets.',
    winner: SECONDARY,
    blocked: OVERLAYS,
    key: { in: 'caveat', match: /Fargate pods get one VPC address each from the Fargate profile subnets/ },
    also: (t, r, extra) => {
      t.match(opt(r, CILIUM_OVERLAY).blockers.map((b) => b.reason).join(' '), /cannot reach pods on overlay addresses/, 'says why overlays are out', extra)
    },
  },
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html (REFS.eksNetworkPolicy); REFS.eksFargate.
  {
    name: 'Fargate with network policy preferred',
    ask: { fargate: true, networkPolicy: 'preferred' },
    why:
      'Policy is wanted, so the answer must enforce it on the EC2 nodes: the VPC CNI policy agent, or Auto Mode with it built in ' +
      '(equally defensible: Auto Mode is less day-2 work, the agent keeps today’s node groups). Say plainly that neither enforces ' +
      'on Fargate pods: isolate those with security groups for pods.',
    winner: [VPC_POLICY, AUTO],
    blocked: OVERLAYS,
    key: { in: 'caveat', of: VPC_POLICY, match: /does not enforce policy on Fargate pods: isolate them with security groups for pods/ },
    also: (t, r, extra) => {
      t.ok(r.recommendation?.caveats.some((c) => /Fargate/.test(c) && /polic/i.test(c)), 'the winner carries a Fargate policy caveat', extra)
      t.not(r.recommendation?.id, SECONDARY, 'not a VPC CNI mode that enforces no policy at all (issue 17)', extra)
    },
  },
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html (REFS.eksNetworkPolicy); REFS.eksFargate.
  {
    name: 'Fargate with network policy required',
    ask: { fargate: true, networkPolicy: 'required' },
    why:
      'As with policy preferred, but now the plain VPC CNI modes are out too: the policy agent or Auto Mode (equally defensible), ' +
      'Calico policy or Cilium chaining also open, each with the Fargate caveat.',
    winner: [VPC_POLICY, AUTO],
    blocked: [...OVERLAYS, ...VPC_PLAIN],
    key: { in: 'caveat', of: CALICO_POLICY, match: /Calico does not enforce policy on Fargate pods/ },
  },
  // Source: https://github.com/aws/amazon-vpc-cni-k8s/issues/2164 (REFS.vpcCniMulticastIssue); REFS.eksFargate.
  {
    name: 'Fargate with multicast required',
    ask: { fargate: true, multicast: 'required' },
    why:
      'Only overlays carry pod multicast (Cilium, Antrea, beta) and Fargate pods cannot reach overlay pods; the VPC CNI has no ' +
      'multicast. Unsatisfiable: split the multicast workloads into an EC2-only cluster.',
    winner: null,
    blocked: ALL,
    key: { in: 'summary', match: /fargate=true and multicast=required conflict/ },
  },
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/security-groups-for-pods.html (REFS.eksSgForPods).
  {
    name: 'Fargate with security groups for pods required, m5.large',
    ask: { fargate: true, securityGroupsForPods: 'required' },
    why:
      'Security groups for pods work on Fargate and on trunking EC2 types such as m5: the VPC CNI default. Auto Mode (no ' +
      'per-pod security groups) and Cilium ENI (per-node groups) are out with the overlays. Say the branch-ENI limit: 9 per m5.large.',
    winner: SECONDARY,
    blocked: [...OVERLAYS, CILIUM_ENI, AUTO],
    key: { in: 'caveat', match: /At most 9 pods per m5\.large can have their own security groups/ },
  },
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/cni-increase-ip-addresses.html (REFS.eksPrefix); REFS.eksFargate.
  {
    name: 'Fargate with 60 pods per m5.large node',
    ask: { fargate: true, podsPerNode: 60 },
    why:
      'Overlays are out because of Fargate, and secondary IPs stop at 27 workload pods: prefix delegation (108) is the answer, ' +
      'or Auto Mode which uses it (equally defensible).',
    winner: [PD, AUTO],
    blocked: [...OVERLAYS, SECONDARY, CN, CILIUM_ENI],
    key: { in: 'summary', match: /m5\.large runs 29 pods with secondary IPs but 110 with prefix delegation/ },
  },

  // =============================================================================================
  // Xen types (m4, c4): no prefix delegation, no IPv6; the policy add-ons fall back to secondary IPs.
  // =============================================================================================
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/cni-increase-ip-addresses.html (REFS.eksPrefix); DOMAIN.md prefix-delegation row.
  {
    name: 'm4.large (Xen), nothing else asked',
    ask: { instanceTypes: ['m4.large'] },
    why:
      'Prefix delegation and IPv6 need Nitro, so they cannot run on m4; the VPC CNI default on secondary IPs (20 max pods) is ' +
      'the answer, and the policy add-ons stay open on secondary IPs.',
    winner: SECONDARY,
    blocked: [PD, CNPD, V6, WEAVE],
    key: { in: 'blocker', of: PD, match: /prefix delegation needs a Nitro instance type .*m4\.large runs on xen/ },
    also: (t, r, extra) => {
      for (const id of [VPC_POLICY, CALICO_POLICY, CILIUM_CHAINING]) t.same(densityRows(opt(r, id)), [['m4.large', 'secondary-ip', 20, 18]], `${id} on secondary IPs`, extra)
    },
  },
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html (REFS.eksNetworkPolicy); issue 17.
  {
    name: 'm4.large (Xen) with NetworkPolicy required',
    ask: { instanceTypes: ['m4.large'], networkPolicy: 'required' },
    why:
      'The policy agent works with any VPC CNI mode, so on m4 it runs on secondary IPs; it must not be blocked on density ' +
      '(issue 17). The agent or Auto Mode are equally defensible.',
    winner: [VPC_POLICY, AUTO],
    blocked: [...VPC_PLAIN, FLANNEL, WEAVE],
    key: { in: 'summary', match: /enforced NetworkPolicy itself since v1\.14/ },
    also: (t, r, extra) => {
      t.same(densityRows(opt(r, VPC_POLICY)), [['m4.large', 'secondary-ip', 20, 18]], 'the agent on secondary IPs', extra)
    },
  },
  // Source: https://github.com/aws/aws-eks-best-practices/blob/master/latest/bpg/networking/prefix-mode_linux.adoc (REFS.bpPrefix); REFS.eksAlternateCni.
  {
    name: 'c4.large (Xen), 30 pods per node',
    ask: { instanceTypes: ['c4.large'], podsPerNode: 30 },
    why:
      'On c4 secondary IPs stop at 27 workload pods and prefix delegation cannot run (Xen), so on these types only an overlay ' +
      'reaches 30 (kubelet max pods 110). Cilium and Calico VXLAN are equally defensible; the engineer would add that a Nitro ' +
      'type (c5.large) with prefix delegation avoids replacing the CNI.',
    winner: [CILIUM_OVERLAY, CALICO_VXLAN],
    notBlocked: LIVE_OVERLAYS,
    key: { in: 'blocker', of: PD, match: /prefix delegation needs a Nitro instance type .*c4\.large runs on xen/ },
  },
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/cni-ipv6.html (REFS.eksIpv6); DOMAIN.md ipv6 row ("Nitro only").
  {
    name: 'c4.large (Xen) in an IPv6 cluster',
    ask: { instanceTypes: ['c4.large'], ipv6: 'required' },
    why:
      'An IPv6 EKS cluster on the VPC CNI gives each node IPv6 prefixes, which need Nitro: no VPC-CNI-based option (the IPv6 mode, ' +
      'the policy add-ons, Auto Mode) can run it on c4. Only a CNI with its own IPv6 addressing remains; the engineer would ' +
      'rather change the instance type.',
    winner: [CILIUM_OVERLAY, CILIUM_ENI],
    notBlocked: [CILIUM_ENI, ...LIVE_OVERLAYS],
    key: { in: 'blocker', of: AUTO, match: /c4\.large/ },
  },
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html (REFS.eksNetworkPolicy); issue 17 ("mixed list").
  {
    name: 'mixed m4.large + m5.large with NetworkPolicy required',
    ask: { instanceTypes: ['m4.large', 'm5.large'], networkPolicy: 'required' },
    why:
      'The policy option is the same on both node groups, on the mode each type can run: secondary IPs on m4 (20), prefix ' +
      'delegation on m5 (110). The agent or Auto Mode are equally defensible.',
    winner: [VPC_POLICY, AUTO],
    blocked: [...VPC_PLAIN, FLANNEL, WEAVE],
    key: { in: 'blocker', of: PD, match: /m4\.large/ },
    also: (t, r, extra) => {
      t.same(
        densityRows(opt(r, VPC_POLICY)),
        [
          ['m4.large', 'secondary-ip', 20, 18],
          ['m5.large', 'prefix-delegation', 110, 108],
        ],
        'density per type in byInstanceType',
        extra,
      )
    },
  },
  // Source: https://github.com/aws/amazon-vpc-cni-k8s/blob/master/misc/eni-max-pods.txt (REFS.vpcCniMaxPods).
  {
    name: 'mixed m4.large + m5.large, 50 pods per node',
    ask: { instanceTypes: ['m4.large', 'm5.large'], podsPerNode: 50 },
    why:
      'Every type must reach the density: m4 stops at 18 workload pods on any VPC CNI mode, so only an overlay reaches 50 on both ' +
      '(Cilium or Calico VXLAN, equally defensible). The engineer would rather drop m4 and run prefix delegation on m5.',
    winner: [CILIUM_OVERLAY, CALICO_VXLAN],
    notBlocked: LIVE_OVERLAYS,
    key: { in: 'blocker', of: VPC_POLICY, match: /m4\.large fits 18 workload pods per node in secondary-ip mode/ },
  },
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/security-groups-for-pods.html (REFS.eksSgForPods).
  {
    name: 'mixed m4.large + m5.large with security groups for pods required',
    ask: { instanceTypes: ['m4.large', 'm5.large'], securityGroupsForPods: 'required' },
    why: 'm4 has no trunk ENI, so security groups for pods cannot work on every requested type: unsatisfiable until m4 goes.',
    winner: null,
    blocked: ALL,
    key: { in: 'summary', match: /m4\.large is not trunking-compatible/ },
  },

  // =============================================================================================
  // IP exhaustion: the warm pool counts; under prefix delegation /28 blocks count (a /24 holds 14).
  // =============================================================================================
  // Source: https://github.com/aws/aws-eks-best-practices/blob/master/latest/bpg/networking/ip-optimization-strategies.adoc (REFS.bpIpOptimization).
  {
    name: '500 pods in a 300-address pod budget, m5.large',
    ask: { totalPods: 500, podIpBudget: 300 },
    why:
      'Anything drawing on the node subnets needs more than 300 addresses for 500 pods. AWS points to IPv6 first, custom networking ' +
      '(a CG-NAT secondary CIDR) second; both are defensible and keep the VPC CNI.',
    winner: [V6, CN, CNPD],
    blocked: [SECONDARY, PD, AUTO, VPC_POLICY, CALICO_POLICY, CILIUM_CHAINING, CILIUM_ENI, WEAVE],
    key: { in: 'caveat', of: CN, match: /AWS now points to IPv6 first for IPv4 exhaustion/ },
  },
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/cni-increase-ip-addresses.html (REFS.eksPrefix); DOMAIN.md "a /24 yields at most 14 free /28s".
  {
    name: '300 pods in one /24 pod subnet, m5.large',
    ask: { totalPods: 300, podSubnets: ['10.0.0.0/24'] },
    why:
      'A /24 has 251 usable addresses and, for prefix delegation, at most 14 aligned /28 blocks: neither secondary IPs nor prefixes ' +
      'fit 300 pods. IPv6 or custom networking, as above.',
    winner: [V6, CN, CNPD],
    blocked: [SECONDARY, PD, AUTO, VPC_POLICY, CALICO_POLICY, CILIUM_CHAINING, CILIUM_ENI, WEAVE],
    key: { in: 'blocker', of: PD, match: /aligned \/28 blocks of the 14 the subnets hold/ },
  },
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/cni-increase-ip-addresses.html (REFS.eksPrefix); DOMAIN.md warm pool and /28 rules.
  {
    name: '200 pods in one /24 pod subnet, m5.large',
    ask: { totalPods: 200, podSubnets: ['10.0.0.0/24'] },
    why:
      'Secondary IPs fit (8 nodes take 240 of the 251 addresses, warm pool included) but prefix delegation does not: 2 nodes hold ' +
      '14 /28s plus a block for the ENI primaries, 15 of the 14 a /24 holds. The policy add-ons and Auto Mode run on secondary ' +
      'IPs where prefixes do not fit (Auto Mode falls back to secondary IPs when no /28 is free), so only plain prefix delegation is ' +
      'out. IPv6 (room to grow) and secondary IPs (fits today) are both defensible.',
    winner: [V6, SECONDARY],
    blocked: [PD, WEAVE],
    key: { in: 'blocker', of: PD, match: /15 aligned \/28 blocks of the 14 the subnets hold/ },
    also: (t, r, extra) => {
      t.match(opt(r, SECONDARY).criteria.find((c) => c.criterion === 'podIpBudget')?.reason ?? '', /8 m5\.large nodes taking 240 VPC addresses .*of the 251 available/, 'secondary IPs: 240 of 251', extra)
    },
  },
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/cni-increase-ip-addresses.html (REFS.eksPrefix).
  {
    name: '100 pods in one /24 pod subnet, m5.large',
    ask: { totalPods: 100, podSubnets: ['10.0.0.0/24'] },
    why:
      'Room for both: the default stays; prefix delegation fits too, with the warning that prefixes need contiguous free /28 ' +
      'blocks, which scattered node addresses fragment.',
    winner: SECONDARY,
    blocked: [WEAVE],
    key: { in: 'caveat', of: PD, match: /Prefixes need contiguous free \/28 blocks/ },
  },
  // Source: https://github.com/aws/amazon-vpc-cni-k8s/blob/master/docs/network-policy-faq.md (REFS.vpcCniPolicyFaq); REFS.eksPrefix.
  {
    name: '200 pods in one /24 pod subnet with NetworkPolicy required',
    ask: { totalPods: 200, podSubnets: ['10.0.0.0/24'], networkPolicy: 'required' },
    why:
      'The policy agent does not change IPAM: on secondary IPs the 200 pods fit the /24 (240 of 251 addresses), so the VPC CNI ' +
      'with its policy agent (or Calico policy beside it) is the answer. Replacing aws-node with an overlay only to save ' +
      'addresses that already fit is what the engineer would reject. Auto Mode, which falls back to secondary IPs when no /28 is ' +
      'free and has the same policy engine built in, is as defensible.',
    winner: [VPC_POLICY, CALICO_POLICY, AUTO],
    notBlocked: [VPC_POLICY, CALICO_POLICY, CILIUM_CHAINING, CILIUM_ENI, AUTO, ...LIVE_OVERLAYS.filter((id) => id !== FLANNEL)],
    key: { in: 'criterion', of: VPC_POLICY, criterion: 'podIpBudget', match: /240 VPC addresses/ },
  },

  // =============================================================================================
  // Big nodes: the 250 cap above 30 vCPUs; overlays reach 248 for workloads too; Auto Mode caps at 110.
  // =============================================================================================
  // Source: https://github.com/aws/aws-eks-best-practices/blob/master/latest/bpg/networking/prefix-mode_linux.adoc (REFS.bpPrefix); DOMAIN.md.
  {
    name: 'c5.18xlarge, 240 pods per node',
    ask: { instanceTypes: ['c5.18xlarge'], podsPerNode: 240 },
    why:
      'At 72 vCPUs the EKS cap is 250 (248 for workloads); secondary IPs already allow 737 addresses, so the default reaches it and ' +
      'prefix delegation is equally fine. Auto Mode’s 110 cap rules it out.',
    winner: [SECONDARY, PD],
    blocked: [AUTO, WEAVE],
    key: { in: 'caveat', of: AUTO, match: /A c5\.18xlarge runs at most 110 pods under Auto Mode/ },
    gaps: [
      {
        what: 'the density caveat does not say c5.18xlarge is bound by ENIs (ENIs allow 737; the EKS cap 250 binds)',
        holds: (r) => !opt(r, SECONDARY).caveats.some((c) => /bound by ENIs/.test(c) && /c5\.18xlarge/.test(c)),
      },
    ],
  },
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/alternate-cni-plugins.html (REFS.eksAlternateCni); DOMAIN.md overlay row.
  {
    name: 'm6i.32xlarge, 248 pods per node',
    ask: { instanceTypes: ['m6i.32xlarge'], podsPerNode: 248 },
    why:
      '248 is exactly what the 250 cap leaves for workloads; every mode but Auto Mode reaches it, overlays included (their kubelet ' +
      'max pods follows the same 110/250 rule, not a flat 110). The default or prefix delegation, equally.',
    winner: [SECONDARY, PD],
    blocked: [AUTO, WEAVE],
    key: { in: 'caveat', match: /m6i\.32xlarge's ENIs allow 737 pods, and the EKS cap of 250 binds \(248 for workloads\)/ },
    also: (t, r, extra) => {
      for (const id of LIVE_OVERLAYS) t.same(densityRows(opt(r, id)), [['m6i.32xlarge', 'overlay', 250, 248]], `${id}: 250/248`, extra)
    },
  },
  // Source: https://github.com/aws/aws-eks-best-practices/blob/master/latest/bpg/networking/prefix-mode_linux.adoc (REFS.bpPrefix).
  {
    name: 'm6i.32xlarge, 249 pods per node',
    ask: { instanceTypes: ['m6i.32xlarge'], podsPerNode: 249 },
    why: 'One past what the cap leaves (248): nothing reaches it, and the answer says the number.',
    winner: null,
    blocked: ALL,
    key: { in: 'summary', match: /the most any option reaches on m6i\.32xlarge is 248 workload pods per node/ },
  },
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/alternate-cni-plugins.html (REFS.eksAlternateCni).
  {
    name: 'c5.18xlarge, 200 pods per node, the CNI must run off AWS too',
    ask: { instanceTypes: ['c5.18xlarge'], podsPerNode: 200, portability: 'required' },
    why:
      'Portability rules out the VPC CNI, its add-ons, Cilium ENI and Auto Mode; an overlay on a big node reaches 248. Cilium and ' +
      'Calico VXLAN are equally defensible; webhooks must then run on the host network.',
    winner: [CILIUM_OVERLAY, CALICO_VXLAN],
    notBlocked: LIVE_OVERLAYS,
    key: { in: 'caveat', match: /admission webhooks .*hostNetwork/ },
    also: (t, r, extra) => {
      t.same(densityRows(opt(r, CILIUM_OVERLAY)), [['c5.18xlarge', 'overlay', 250, 248]], 'overlay at 250/248', extra)
    },
  },
  // Source: https://github.com/aws/aws-eks-best-practices/blob/master/latest/bpg/networking/prefix-mode_linux.adoc (REFS.bpPrefix); issue 17 (missing vCPU counts).
  {
    name: 'c7i.32xlarge (no sourced vCPU count), 200 pods per node',
    ask: { instanceTypes: ['c7i.32xlarge'], podsPerNode: 200 },
    why:
      'The catalog has no sourced vCPU count for c7i.32xlarge (a CNI manual entry the EC2 API does not list), so the cap that is ' +
      'safe for any size, 110, applies and 108 workload pods is the most any option reaches; the answer must say the cap comes ' +
      'from the unknown vCPU count, so the reader can correct it.',
    winner: null,
    blocked: ALL,
    key: { in: 'blocker', of: SECONDARY, match: /vCPU count unknown, so the smaller EKS cap applies/ },
  },
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/cni-increase-ip-addresses.html (REFS.eksPrefix); DOMAIN.md ("bare metal too, CNI ≥ 1.11").
  {
    name: 'm5.metal (bare metal), 200 pods per node',
    ask: { instanceTypes: ['m5.metal'], podsPerNode: 200 },
    why: 'Bare metal is Nitro: prefix delegation runs there (VPC CNI ≥ 1.11), and at 96 vCPUs the cap is 250. The default or PD, equally.',
    winner: [SECONDARY, PD],
    blocked: [AUTO, WEAVE],
    key: { in: 'explanation', of: PD, match: /Bare-metal types are Nitro systems/ },
    also: (t, r, extra) => {
      t.same(densityRows(opt(r, PD)), [['m5.metal', 'prefix-delegation', 250, 248]], 'PD on bare metal, capped at 250', extra)
    },
  },

  // =============================================================================================
  // Multicast: Cilium overlay or Antrea encap (both beta); no VPC CNI mode; Weave blocked as unmaintained.
  // =============================================================================================
  // Source: https://github.com/cilium/cilium/blob/main/Documentation/network/multicast.rst (REFS.ciliumMulticast); REFS.antreaMulticast; REFS.weaveRelease.
  {
    name: 'multicast required, m5.large',
    ask: { multicast: 'required' },
    why:
      'AWS carries no pod multicast; today it means Cilium (VXLAN) or Antrea (encap), both beta, equally defensible. Weave Net, ' +
      'the 2018 answer, is archived and blocked: named as history, never suitable.',
    winner: [CILIUM_OVERLAY, ANTREA],
    notBlocked: [CILIUM_OVERLAY, ANTREA],
    key: { in: 'summary', match: /Weave Net, the 2018-era answer for pod multicast, is unmaintained/ },
    also: (t, r, extra) => {
      t.same(opt(r, WEAVE).blockers.map((b) => b.criterion), ['maintenance'], 'Weave: blocked as unmaintained, not on multicast', extra)
      t.match(opt(r, WEAVE).explanation, /History/, 'Weave named as history', extra)
      t.ok(opt(r, ANTREA).caveats.some((c) => /AWS carries no pod multicast itself/.test(c)), 'what AWS does not carry', extra)
    },
  },
  // Source: https://github.com/cilium/cilium/blob/main/Documentation/security/network/encryption-wireguard.rst (REFS.ciliumWireguard); REFS.antreaEncryption.
  {
    name: 'multicast and encryption required, m5.large',
    ask: { multicast: 'required', encryption: 'required' },
    why:
      'm5 does not encrypt in hardware, so the multicast overlay must encrypt itself: Cilium with WireGuard (not IPsec, which ' +
      'cannot be combined with multicast) or Antrea with WireGuard/IPsec, equally defensible.',
    winner: [CILIUM_OVERLAY, ANTREA],
    notBlocked: [CILIUM_OVERLAY, ANTREA],
    key: { in: 'caveat', of: CILIUM_OVERLAY, match: /IPsec cannot be combined with multicast/ },
  },
  // Source: https://github.com/antrea-io/antrea/blob/main/docs/multicast-guide.md (REFS.antreaMulticast); REFS.antreaPolicy.
  {
    name: 'multicast and NetworkPolicy required, m5.large',
    ask: { multicast: 'required', networkPolicy: 'required' },
    why:
      'Both multicast overlays enforce policy: Cilium with L7, Antrea with policies that also govern multicast and IGMP traffic. ' +
      'Equally defensible; say Antrea’s multicast-aware rules.',
    winner: [CILIUM_OVERLAY, ANTREA],
    notBlocked: [CILIUM_OVERLAY, ANTREA],
    key: { in: 'caveat', of: ANTREA, match: /multicast and IGMP rules in Antrea-native policies/ },
  },
  // Source: https://github.com/aws/aws-eks-best-practices/blob/master/latest/bpg/networking/ip-optimization-strategies.adoc (REFS.bpIpOptimization); REFS.vpcCniMulticastIssue.
  {
    name: 'multicast and VPC Flow Logs of pod IPs required',
    ask: { multicast: 'required', flowLogs: 'required' },
    why: 'Multicast needs an overlay; flow logs of pod IPs need VPC addresses. They conflict, and the answer says so.',
    winner: null,
    blocked: ALL,
    key: { in: 'summary', match: /multicast=required and flowLogs=required conflict/ },
  },

  // =============================================================================================
  // Encryption: free on encrypting Nitro types (m6i, c6i) for every option; WireGuard otherwise (m5, c5, m4).
  // =============================================================================================
  // Source: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/data-protection.html#encryption-transit (REFS.ec2NitroEncryption).
  {
    name: 'encryption required on m6i.large',
    ask: { encryption: 'required', instanceTypes: ['m6i.large'] },
    why:
      'm6i encrypts instance-to-instance traffic in Nitro hardware at no cost, so the plain VPC CNI meets it; no WireGuard, no ' +
      'Weave. Say the scope: same or peered VPC, not via a load balancer or Transit Gateway, AWS-managed keys.',
    winner: SECONDARY,
    blocked: [WEAVE],
    key: { in: 'caveat', match: /Nitro in-transit encryption covers traffic .*Transit Gateway/ },
  },
  // Source: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/data-protection.html#encryption-transit (REFS.ec2NitroEncryption); REFS.eksPrefix.
  {
    name: 'encryption required on c6i.large, 60 pods per node',
    ask: { encryption: 'required', instanceTypes: ['c6i.large'], podsPerNode: 60 },
    why: 'Nitro covers encryption; 60 pods need prefix delegation (or Auto Mode, which uses it; equally defensible).',
    winner: [PD, AUTO],
    blocked: [SECONDARY, CN, CILIUM_ENI, WEAVE],
    key: { in: 'criterion', criterion: 'encryption', match: /c6i\.large encrypts traffic between instances in Nitro hardware/ },
  },
  // Source: https://github.com/tigera/docs/blob/main/calico/network-policy/encrypt-cluster-pod-traffic.mdx (REFS.calicoWireguard); REFS.vpcCniEncryptionIssue.
  {
    name: 'encryption required on m5.large',
    ask: { encryption: 'required' },
    why:
      'm5 does not encrypt in hardware and the VPC CNI has no encryption: keep the VPC CNI and add WireGuard with Calico ' +
      '(policy-only) or Cilium chaining, equally defensible; or move to m6i and get it free.',
    winner: [CALICO_POLICY, CILIUM_CHAINING],
    blocked: [...VPC_PLAIN, VPC_POLICY, AUTO, WEAVE],
    key: { in: 'blocker', of: SECONDARY, match: /m5\.large does not support Nitro in-transit encryption; pick an encrypting Nitro type/ },
  },
  // Source: https://github.com/tigera/docs/blob/main/calico/network-policy/encrypt-cluster-pod-traffic.mdx (REFS.calicoWireguard).
  {
    name: 'encryption required on c5.large',
    ask: { encryption: 'required', instanceTypes: ['c5.large'] },
    why: 'Same as m5: c5 is Nitro but not an encrypting type; WireGuard on the VPC CNI, with its CPU cost said.',
    winner: [CALICO_POLICY, CILIUM_CHAINING],
    blocked: [...VPC_PLAIN, VPC_POLICY, AUTO, WEAVE],
    key: { in: 'caveat', match: /^Encryption: WireGuard in the node kernel/ },
    also: (t, r, extra) => {
      t.match(r.summary, /Nitro types such as m6i encrypt instance-to-instance traffic in hardware/, 'the 2018 myth corrected', extra)
    },
  },
  // Source: https://github.com/tigera/docs/blob/main/calico/network-policy/encrypt-cluster-pod-traffic.mdx (REFS.calicoWireguard); REFS.eksPrefix.
  {
    name: 'encryption required on m4.large (Xen)',
    ask: { encryption: 'required', instanceTypes: ['m4.large'] },
    why: 'No Nitro encryption on Xen; WireGuard beside the VPC CNI, which runs on secondary IPs there (Calico or Cilium, equally).',
    winner: [CALICO_POLICY, CILIUM_CHAINING],
    blocked: [...VPC_PLAIN, VPC_POLICY, AUTO, WEAVE],
    key: { in: 'blocker', of: SECONDARY, match: /m4\.large does not support Nitro in-transit encryption/ },
    also: (t, r, extra) => {
      t.same(densityRows(opt(r, CALICO_POLICY)), [['m4.large', 'secondary-ip', 20, 18]], 'Calico policy on secondary IPs', extra)
    },
  },
  // Source: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/data-protection.html#encryption-transit (REFS.ec2NitroEncryption).
  {
    name: 'encryption required on a mixed m6i.large + m5.large list',
    ask: { encryption: 'required', instanceTypes: ['m6i.large', 'm5.large'] },
    why: 'Nitro encryption needs both ends capable: one m5 node group breaks it, so WireGuard is needed as on m5 alone.',
    winner: [CALICO_POLICY, CILIUM_CHAINING],
    blocked: [...VPC_PLAIN, VPC_POLICY, AUTO, WEAVE],
    key: { in: 'blocker', of: PD, match: /m5\.large does not support Nitro in-transit encryption/ },
  },
  // Source: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/data-protection.html#encryption-transit (REFS.ec2NitroEncryption).
  {
    name: 'encryption preferred on m7i.large',
    ask: { encryption: 'preferred', instanceTypes: ['m7i.large'] },
    why: 'm7i encrypts in hardware: the default VPC CNI gets encryption for free, nothing to add.',
    winner: SECONDARY,
    blocked: [WEAVE],
    key: { in: 'criterion', criterion: 'encryption', match: /m7i\.large encrypts traffic between instances in Nitro hardware at no performance cost/ },
  },

  // =============================================================================================
  // Policy depth: plain L3/L4 policy → the VPC CNI agent or Auto Mode; L7 → Cilium.
  // =============================================================================================
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html (REFS.eksNetworkPolicy); REFS.autoModeNetworkPolicy.
  {
    name: 'NetworkPolicy required, m5.large',
    ask: { networkPolicy: 'required' },
    why:
      'The VPC CNI has enforced NetworkPolicy itself since v1.14: turn the agent on (or run Auto Mode, which has it built in; equally ' +
      'defensible). Say its depth: Kubernetes L3/L4, no L7 rules.',
    winner: [VPC_POLICY, AUTO],
    blocked: [...VPC_PLAIN, FLANNEL, WEAVE],
    key: { in: 'caveat', of: VPC_POLICY, match: /no L7 rules/ },
    also: (t, r, extra) => t.match(r.summary, /since v1\.14 \(August 2023\)/, 'policy is no reason to replace the VPC CNI', extra),
  },
  // Source: https://github.com/cilium/cilium/issues/12454 (REFS.ciliumChainingL7Issue); REFS.vpcCniPolicyFaq.
  {
    name: 'NetworkPolicy preferred: depth separates the policy engines',
    ask: { networkPolicy: 'preferred' },
    why:
      'For plain policy the agent or Auto Mode (equally defensible). The requirements cannot say "L7" yet, so depth shows in the ' +
      'policy score: Cilium (L7) above Auto Mode and Calico (richer API) above the agent (L3/L4); flanneld enforces none.',
    winner: [VPC_POLICY, AUTO],
    blocked: [WEAVE],
    key: { in: 'criterion', of: CILIUM_OVERLAY, criterion: 'networkPolicy', match: /up to L7 and FQDN/ },
    also: (t, r, extra) => {
      const depth = (id: string) => opt(r, id).criteria.find((c) => c.criterion === 'networkPolicy')?.score ?? -1
      t.ok(depth(CILIUM_OVERLAY) > depth(AUTO) && depth(AUTO) > depth(VPC_POLICY) && depth(VPC_POLICY) > depth(FLANNEL), 'L7 > rich > L3/L4 > none', extra)
      t.equal(depth(CILIUM_ENI), depth(CILIUM_OVERLAY), 'Cilium ENI has L7 policy too', extra)
    },
  },
  // Source: https://github.com/cilium/cilium/blob/main/Documentation/network/concepts/routing.rst (REFS.ciliumRouting).
  {
    name: 'L7-aware policy that must run off AWS too',
    ask: { networkPolicy: 'required', portability: 'required' },
    why:
      'L7 policy (CiliumNetworkPolicy) that must move between clouds: Cilium as the CNI on its overlay. Calico VXLAN is the ' +
      'portable runner-up without L7. The VPC CNI and Auto Mode are AWS-only.',
    winner: CILIUM_OVERLAY,
    notBlocked: [CILIUM_OVERLAY, CALICO_VXLAN, CALICO_EBPF, CALICO_BGP, ANTREA],
    key: { in: 'criterion', criterion: 'networkPolicy', match: /up to L7 and FQDN/ },
  },
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/security-groups-for-pods.html (REFS.eksSgForPods); REFS.eksNetworkPolicy.
  {
    name: 'NetworkPolicy and security groups for pods required, m5.large',
    ask: { networkPolicy: 'required', securityGroupsForPods: 'required' },
    why:
      'Both on the VPC CNI: its policy agent with pod security groups (Auto Mode has no per-pod groups). Calico policy and Cilium ' +
      'chaining stay open; Calico needs POD_SECURITY_GROUP_ENFORCING_MODE=standard to police SG pods.',
    winner: VPC_POLICY,
    notBlocked: [VPC_POLICY, CALICO_POLICY, CILIUM_CHAINING],
    key: { in: 'caveat', of: CALICO_POLICY, match: /POD_SECURITY_GROUP_ENFORCING_MODE=standard/ },
    also: (t, r, extra) => {
      t.match(opt(r, AUTO).blockers.map((b) => b.reason).join(' '), /not one pod its own/, 'Auto Mode: no per-pod security groups', extra)
    },
  },
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html (REFS.eksNetworkPolicy); REFS.vpcCniMaxPods.
  {
    name: 'NetworkPolicy required on t3.small, 20 pods per node',
    ask: { instanceTypes: ['t3.small'], networkPolicy: 'required', podsPerNode: 20 },
    why:
      'A t3.small fits 9 workload pods on secondary IPs; the policy agent on prefix delegation reaches 108. The agent or Auto ' +
      'Mode, equally defensible; Cilium ENI (secondary IPs by default) falls short.',
    winner: [VPC_POLICY, AUTO],
    blocked: [...VPC_PLAIN, CILIUM_ENI, FLANNEL, WEAVE],
    key: { in: 'blocker', of: CILIUM_ENI, match: /t3\.small fits 9 workload pods per node in secondary-ip mode/ },
  },

  // =============================================================================================
  // IPv6: E × (I − 1) × 16 + 2, then the cap; the IP family is fixed at creation.
  // =============================================================================================
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/cni-ipv6.html (REFS.eksIpv6).
  {
    name: 'IPv6 cluster on m5.large',
    ask: { ipv6: 'required' },
    why:
      'An IPv6 cluster on the VPC CNI, or Auto Mode, which can be IPv6 (equally defensible). Say that the IP family is fixed at ' +
      'cluster creation.',
    winner: [V6, AUTO],
    blocked: [SECONDARY, PD, CN, CNPD, CILIUM_CHAINING, WEAVE],
    key: { in: 'caveat', of: V6, match: /IP family is fixed when the cluster is created/ },
  },
  // Source: https://github.com/aws/aws-eks-best-practices/blob/master/latest/bpg/networking/ipv6.adoc (REFS.bpIpv6); DOMAIN.md ipv6 row (t3.micro 34).
  {
    name: 'IPv6 cluster on t3.micro, 30 pods per node',
    ask: { ipv6: 'required', instanceTypes: ['t3.micro'], podsPerNode: 30 },
    why:
      'IPv6 max pods follow the prefix arithmetic: t3.micro 2 × (2 − 1) × 16 + 2 = 34, not 110 and not 4; 32 for workloads reaches 30. ' +
      'The IPv6 cluster or Auto Mode, equally.',
    winner: [V6, AUTO],
    blocked: [SECONDARY, PD, CN, CNPD, CILIUM_CHAINING, CILIUM_ENI, WEAVE],
    key: { in: 'summary', match: /t3\.micro runs 4 pods with secondary IPs but 34/ },
    also: (t, r, extra) => t.same(densityRows(opt(r, V6)), [['t3.micro', 'ipv6', 34, 32]], 'IPv6 on t3.micro: 34', extra),
  },
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html (REFS.eksNetworkPolicy); REFS.calicoEks.
  {
    name: 'IPv6 cluster with NetworkPolicy required',
    ask: { ipv6: 'required', networkPolicy: 'required' },
    why:
      'Auto Mode (IPv6 and policy built in) or the VPC CNI policy agent, which enforces for IPv6 pods; equally defensible. Calico ' +
      'policy works but not on IPv6 pods with ENABLE_V4_EGRESS on.',
    winner: [AUTO, VPC_POLICY],
    blocked: [V6, SECONDARY, PD, CN, CNPD, CILIUM_CHAINING, FLANNEL, WEAVE],
    key: { in: 'caveat', of: CALICO_POLICY, match: /not enforced on IPv6 pods when ENABLE_V4_EGRESS is on/ },
  },

  // =============================================================================================
  // Security groups for pods: trunking Nitro types only (no t family); SG pods count toward max pods.
  // =============================================================================================
  // Source: https://github.com/aws/aws-eks-best-practices/blob/master/latest/bpg/networking/sgpp.adoc (REFS.bpSgpp); REFS.eksSgForPods.
  {
    name: 'security groups for pods on m5.large',
    ask: { securityGroupsForPods: 'required' },
    why:
      'The VPC CNI with ENABLE_POD_ENI on a trunking m5: the trunk ENI takes a slot, so 18 pods without their own groups fit, plus ' +
      'up to 9 with them. Auto Mode, Cilium ENI and the overlays give no per-pod security groups.',
    winner: SECONDARY,
    blocked: [...OVERLAYS, CILIUM_ENI, AUTO],
    key: { in: 'caveat', match: /18 pods without their own security groups fit, plus up to 9 with them/ },
  },
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/security-groups-for-pods.html (REFS.eksSgForPods).
  {
    name: 'security groups for pods on t3.large',
    ask: { securityGroupsForPods: 'required', instanceTypes: ['t3.large'] },
    why: 'No t-family type is trunking-compatible: nothing fits; choose m5 or m6i for the SG-bound pods.',
    winner: null,
    blocked: ALL,
    key: { in: 'summary', match: /t3\.large is not trunking-compatible \(no t-family type is\)/ },
  },

  // =============================================================================================
  // EKS Auto Mode: what it gives and what it rules out.
  // =============================================================================================
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/auto-networking.html (REFS.autoModeNetworking).
  {
    name: 'NetworkPolicy required with 200 pods per m5.24xlarge node',
    ask: { networkPolicy: 'required', instanceTypes: ['m5.24xlarge'], podsPerNode: 200 },
    why:
      'Auto Mode caps pods per node at 110, so on a 96-vCPU node that wants 200 pods it is out; the VPC CNI policy agent on prefix ' +
      'delegation reaches 248.',
    winner: VPC_POLICY,
    blocked: [...VPC_PLAIN, AUTO, FLANNEL, WEAVE],
    key: { in: 'caveat', of: AUTO, match: /A m5\.24xlarge runs at most 110 pods under Auto Mode/ },
    also: (t, r, extra) => {
      t.match(opt(r, AUTO).blockers.map((b) => b.reason).join(' '), /m5\.24xlarge fits 108 workload pods/, 'Auto Mode blocked on density', extra)
      t.same(densityRows(opt(r, VPC_POLICY)), [['m5.24xlarge', 'prefix-delegation', 250, 248]], 'the agent on PD reaches 248', extra)
    },
    gaps: [
      {
        what: 'the Auto Mode density blocker names Auto Mode’s own 110 cap (not the EKS cap, which is 250 at 96 vCPUs)',
        holds: (r) => opt(r, AUTO).blockers.some((b) => /Auto Mode/.test(b.reason)),
      },
    ],
  },
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/automode.html (REFS.autoMode); REFS.eksAlternateCni.
  {
    name: 'the CNI must run the same off AWS',
    ask: { portability: 'required' },
    why:
      'Auto Mode, the VPC CNI and Cilium ENI IPAM are AWS-only: a portable overlay, Cilium or Calico VXLAN (equally defensible).',
    winner: [CILIUM_OVERLAY, CALICO_VXLAN],
    notBlocked: LIVE_OVERLAYS,
    key: { in: 'blocker', of: AUTO, match: /nothing of it runs off AWS/ },
  },

  // =============================================================================================
  // Flow logs, performance, DaemonSets, the 110 cap, Mac instances
  // =============================================================================================
  // Source: https://github.com/aws/aws-eks-best-practices/blob/master/latest/bpg/networking/ip-optimization-strategies.adoc (REFS.bpIpOptimization).
  {
    name: 'pod IPs in VPC Flow Logs, 60 pods per m5.large node',
    ask: { flowLogs: 'required', podsPerNode: 60 },
    why:
      'Flow logs must see pod IPs, so pods need VPC addresses: no overlay. 60 pods need prefix delegation (or Auto Mode; equally ' +
      'defensible).',
    winner: [PD, AUTO],
    blocked: [...OVERLAYS, SECONDARY, CN, CILIUM_ENI],
    key: { in: 'blocker', of: CILIUM_OVERLAY, match: /Pod IPs are hidden from VPC Flow Logs/ },
  },
  // Source: https://itnext.io/benchmark-results-of-kubernetes-network-plugins-cni-over-40gbit-s-network-2024-156f085a5e4e (REFS.bench2024); REFS.benchEks.
  {
    name: 'latency-sensitive workload, 60 pods per c5.xlarge node',
    ask: { performance: 'high', podsPerNode: 60, instanceTypes: ['c5.xlarge'] },
    why:
      'Native VPC routing beats any overlay; c5.xlarge fits 56 workload pods on secondary IPs, so 60 needs prefix delegation (or ' +
      'Auto Mode, equally). Every VPC-native option ranks above every overlay.',
    winner: [PD, AUTO],
    blocked: [SECONDARY, CN, CILIUM_ENI, WEAVE],
    key: { in: 'summary', match: /c5\.xlarge runs 58 pods with secondary IPs but 110 with prefix delegation/ },
    also: (t, r, extra) => {
      const open = r.options.filter((o) => o.verdict !== 'blocked').map((o) => o.id)
      const lastNative = Math.max(...open.map((id, i) => (OVERLAYS.includes(id) ? -1 : i)))
      const firstOverlay = open.findIndex((id) => OVERLAYS.includes(id))
      t.ok(firstOverlay > lastNative, `overlays rank below every native option (${open.join(', ')})`, extra)
    },
  },
  // Source: ../shared/DOMAIN.md ("pods left for workloads = recommended max pods − 2 − DaemonSet pods").
  {
    name: '25 pods per m5.large node with 5 DaemonSets',
    ask: { podsPerNode: 25, daemonSetsPerNode: 5 },
    why: 'DaemonSet pods take pod slots and addresses: 29 − 2 − 5 = 22 on secondary IPs, short of 25; prefix delegation (or Auto Mode, equally).',
    winner: [PD, AUTO],
    blocked: [SECONDARY, CN, CILIUM_ENI, WEAVE],
    key: { in: 'blocker', of: SECONDARY, match: /29 − 2 host-network − 5 DaemonSet = 22/ },
  },
  // Source: https://github.com/aws/aws-eks-best-practices/blob/master/latest/bpg/networking/prefix-mode_linux.adoc (REFS.bpPrefix).
  {
    name: '120 pods per m5.large node',
    ask: { podsPerNode: 120 },
    why: 'Up to 30 vCPUs EKS caps max pods at 110 whatever the addresses allow: 108 for workloads at most. Use bigger nodes.',
    winner: null,
    blocked: ALL,
    key: { in: 'summary', match: /the most any option reaches on m5\.large is 108 workload pods per node/ },
  },
  // Source: https://docs.aws.amazon.com/eks/latest/userguide/cni-increase-ip-addresses.html (REFS.eksPrefix).
  {
    name: '109 pods per m5.xlarge node',
    ask: { podsPerNode: 109, instanceTypes: ['m5.xlarge'] },
    why: 'Prefix delegation allows 898 addresses on m5.xlarge, but the 110 cap (4 vCPUs) binds: 108 for workloads, one short.',
    winner: null,
    blocked: ALL,
    key: { in: 'blocker', of: PD, match: /min\(898, cap 110\) = 110/ },
  },
  // Source: ../shared/DOMAIN.md ("Mac instances cannot be EKS nodes").
  {
    name: 'mac1.metal nodes',
    ask: { instanceTypes: ['mac1.metal'] },
    why: 'EC2 Mac instances run macOS only and no EKS node AMI boots on them: every option is blocked on density, none on anything else.',
    winner: null,
    blocked: ALL,
    key: { in: 'summary', match: /mac1\.metal is an EC2 Mac instance: it runs macOS only/ },
    also: (t, r, extra) => {
      t.ok(
        r.options.every((o) => o.blockers.some((b) => b.criterion === 'density') && o.blockers.every((b) => b.criterion === 'density' || b.criterion === 'maintenance')),
        'every option blocked on density (Weave also on maintenance), nothing else',
        extra,
      )
    },
  },
]

// ---- the suite itself --------------------------------------------------------------------------
t.test('the scenario suite is what issue 17 asks for', async (t) => {
  t.same([...ALL].sort(), CNI_OPTIONS.map((o) => o.id).sort(), 'the id constants are exactly the knowledge base')
  t.ok(SCENARIOS.length >= 40, `at least 40 scenarios (${SCENARIOS.length})`)
  t.equal(new Set(SCENARIOS.map((s) => s.name)).size, SCENARIOS.length, 'names are unique')
  for (const s of SCENARIOS) {
    t.ok(s.why.length >= 60, `${s.name}: says why in words`)
    t.ok((s.blocked === undefined) !== (s.notBlocked === undefined), `${s.name}: states the blocked set or the open set`)
    const named = [...(s.blocked ?? []), ...(s.notBlocked ?? []), ...(s.winner === null ? [] : typeof s.winner === 'string' ? [s.winner] : s.winner)]
    t.ok(named.every((id) => ALL.includes(id)), `${s.name}: names real option ids`)
    if (Array.isArray(s.winner)) t.ok(s.winner.length >= 2 && s.winner.length <= 3, `${s.name}: a small set of defensible winners`)
  }
})

function checkKey(t: Test, r: RecommendationCore, key: Key, extra: { todo?: string }): void {
  if (key.in === 'summary') {
    t.match(r.summary, key.match, `summary says ${key.match}`, extra)
    return
  }
  const id = key.of ?? r.recommendation?.id
  const o = id === undefined ? undefined : r.options.find((x) => x.id === id)
  if (o === undefined) {
    t.fail(`no option to look for ${key.match} in (${key.of ?? 'the winner'})`, extra)
    return
  }
  let texts: string[]
  let where: string
  if (key.in === 'criterion') {
    const criterion = key.criterion
    texts = o.criteria.filter((c) => c.criterion === criterion).map((c) => c.reason)
    where = `${criterion} reason`
  } else {
    texts = key.in === 'caveat' ? o.caveats : key.in === 'blocker' ? o.blockers.map((b) => b.reason) : [o.explanation, o.density.explanation]
    where = key.in
  }
  const match = key.match
  t.ok(
    texts.some((x) => match.test(x)),
    `${o.id} ${where} says ${match}`,
    texts.length === 0 ? extra : { ...extra, found: texts },
  )
}

for (const s of SCENARIOS) {
  t.test(s.todo ? `${s.name} (todo: engine disagrees)` : s.name, async (t) => {
    const extra = s.todo === undefined ? {} : { todo: s.todo }
    const r = ask(s.ask)
    const won = r.recommendation?.id ?? null

    if (s.winner === null || typeof s.winner === 'string') t.equal(won, s.winner, `winner: ${String(s.winner)}`, extra)
    else t.ok(won !== null && s.winner.includes(won), `winner ${String(won)} is one of ${s.winner.join(', ')}`, extra)
    t.equal(r.satisfiable, s.winner !== null, 'satisfiable matches', extra)

    const blocked = r.options.filter((o) => o.verdict === 'blocked').map((o) => o.id).sort()
    if (s.blocked !== undefined) t.same(blocked, [...s.blocked].sort(), 'blocked set', extra)
    if (s.notBlocked !== undefined) t.same(ALL.filter((id) => !blocked.includes(id)).sort(), [...s.notBlocked].sort(), 'set left open', extra)
    // Archived projects are never a choice, whatever is asked (DOMAIN.md; REFS.weaveRelease).
    t.equal(opt(r, WEAVE).verdict, 'blocked', 'Weave Net is blocked', extra)

    for (const key of Array.isArray(s.key) ? (s.key as readonly Key[]) : [s.key as Key]) checkKey(t, r, key, extra)
    s.also?.(t, r, extra)
    for (const g of s.gaps ?? []) t.ok(g.holds(r), g.what, g.todo === undefined ? {} : { todo: g.todo })
  })
}
