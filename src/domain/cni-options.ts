// The CNI knowledge base: one typed, reviewable row per concrete CNI configuration on EKS.
// Data only (the scoring engine in ./scoring/ turns these facts into scores and reasons).
// Every fact carries the URL it was checked against and when.
// Where the notes record a conflict between sources, the fact says so in its note and takes the
// more cautious value.
import type { Mode, Plugin } from './types.js'

/** When the facts below were last checked (the notes' evidence window ends Aug 2026). */
export const KB_CHECKED = '2026-08'

/** One fact: its value, a sentence saying what it means here, where it was checked, and when. */
export interface Fact<T> {
  readonly value: T
  readonly note: string
  readonly ref: string
  readonly checked: string
}

/** How pod-to-pod packets cross between nodes. `cross-subnet` = none inside a subnet, IPIP/VXLAN across subnets. */
export type Encapsulation = 'none' | 'vxlan' | 'vxlan-or-geneve' | 'cross-subnet'

/**
 * Where pod addresses come from. `vpc-node-subnet`: secondary IPs or /28 prefixes of ENIs in the node's
 * subnet; `vpc-secondary-cidr`: ENIConfig subnets, usually a CG-NAT secondary CIDR; `vpc-ipv6`: an IPv6
 * /80 per node; `cluster-cidr`: an IPAM pool that is not part of the VPC.
 */
export type PodIpSource = 'vpc-node-subnet' | 'vpc-secondary-cidr' | 'vpc-ipv6' | 'cluster-cidr'

/** Depth of NetworkPolicy: none < basic (Kubernetes L3/L4) < rich (plus a richer policy API, tiers) < l7 (HTTP/FQDN aware). */
export type PolicyDepth = 'none' | 'basic' | 'rich' | 'l7'
export const POLICY_DEPTHS: readonly PolicyDepth[] = ['none', 'basic', 'rich', 'l7']

/** In-CNI encryption methods. Nitro hardware encryption is a property of the instance type, not of the CNI. */
export type EncryptionMethod = 'wireguard' | 'ipsec' | 'weave-ipsec'

export interface EncryptionFact {
  /** What the CNI itself can encrypt with; empty = nothing (Nitro in-transit encryption is the only route). */
  readonly methods: readonly EncryptionMethod[]
  /** What the nodes need for it. */
  readonly nodeNeeds: string
}

export type MulticastSupport = 'none' | 'beta' | 'yes'

/** `partial` = works, with a limit the note spells out (the engine shows the note as a caveat). */
export type Support = 'yes' | 'partial' | 'no'

export type AwsSupport = 'aws-supported' | 'partner-compatible' | 'not-listed'

export interface Maintenance {
  readonly status: 'active' | 'unmaintained'
  readonly latestRelease: string
  /** yyyy-mm of the latest release. */
  readonly releasedAt: string
}

/**
 * Data path class used for performance: native routing with an eBPF data path, native routing,
 * native inside a subnet but encapsulated across subnets, an eBPF overlay, a kernel overlay, and an
 * overlay whose default MTU costs throughput.
 */
export type Datapath = 'native-ebpf' | 'native' | 'mostly-native' | 'overlay-ebpf' | 'overlay' | 'overlay-small-mtu'

export interface CniFacts {
  readonly encapsulation: Fact<Encapsulation>
  readonly podIpSource: Fact<PodIpSource>
  /** The pod-density bound in words (the numbers come from density.ts for the option's densityMode). */
  readonly densityBound: Fact<string>
  readonly networkPolicy: Fact<PolicyDepth>
  readonly encryption: Fact<EncryptionFact>
  /** Measured cost of the CNI's encryption (benchmarks §3). */
  readonly encryptionCost: Fact<string>
  readonly multicast: Fact<MulticastSupport>
  /** Pod IPs visible as themselves in VPC Flow Logs and to security-group rules. */
  readonly podIpsVisibleInVpc: Fact<Support>
  readonly securityGroupsForPods: Fact<Support>
  readonly ipv6: Fact<Support>
  readonly fargate: Fact<Support>
  readonly windows: Fact<Support>
  readonly awsSupport: Fact<AwsSupport>
  readonly maintenance: Fact<Maintenance>
  /** Ordinal 1 (least work) to 10 (most), following the ordering of cni-options.md §6. */
  readonly operationalComplexity: Fact<number>
  readonly performance: Fact<Datapath>
  /** Runs the same way off AWS. `partial`: the plugin is portable, this configuration's IPAM is not. */
  readonly portability: Fact<Support>
  /** The EKS control plane can open connections to pods (admission webhooks, aggregated APIs, NLB IP targets). */
  readonly controlPlaneReachesPods: Fact<boolean>
}

export type FactName = keyof CniFacts
export const FACT_NAMES: readonly FactName[] = [
  'encapsulation',
  'podIpSource',
  'densityBound',
  'networkPolicy',
  'encryption',
  'encryptionCost',
  'multicast',
  'podIpsVisibleInVpc',
  'securityGroupsForPods',
  'ipv6',
  'fargate',
  'windows',
  'awsSupport',
  'maintenance',
  'operationalComplexity',
  'performance',
  'portability',
  'controlPlaneReachesPods',
]

/** What a caveat may name: the instance type the question is about and the option's numbers on it. */
export interface CaveatContext {
  instanceType: string
  mode: Mode
  /** The address limit before any cap. */
  addressLimit: number | null
  maxPodsPerNode: number | null
  podsForWorkloads: number | null
}

/** A caveat is a sentence, or one worked out for the question's instance type (null: nothing to say). */
export type Caveat = string | ((c: CaveatContext) => string | null)

export interface CniOption {
  /** `<plugin>-<variant>` */
  readonly id: string
  readonly plugin: Plugin
  readonly variant: string
  readonly name: string
  /** One sentence: what runs. */
  readonly description: string
  /** The contract mode whose max-pods arithmetic this option's pod density follows. */
  readonly densityMode: Mode
  /** The mode used on a type where densityMode cannot run (a policy add-on on a Xen type: secondary IPs). */
  readonly fallbackMode?: Mode
  /** A max-pods cap the option itself sets (EKS Auto Mode: 110), with why. */
  readonly maxPodsCap?: { value: number; reason: string }
  readonly densityModeWhy: string
  readonly facts: CniFacts
  /** Facts worth saying whenever the option is shown, whatever was asked. */
  readonly caveats: readonly Caveat[]
}

// ---------------------------------------------------------------------------------------------
// References (https only). Upstream repos are cited by their GitHub paths, as the notes do.
// ---------------------------------------------------------------------------------------------
export const REFS = {
  vpcCniReadme: 'https://github.com/aws/amazon-vpc-cni-k8s/blob/master/README.md',
  vpcCniReleases: 'https://github.com/aws/amazon-vpc-cni-k8s/releases',
  vpcCniMaxPods: 'https://github.com/aws/amazon-vpc-cni-k8s/blob/master/misc/eni-max-pods.txt',
  vpcCniPolicyFaq: 'https://github.com/aws/amazon-vpc-cni-k8s/blob/master/docs/network-policy-faq.md',
  vpcCniMulticastIssue: 'https://github.com/aws/amazon-vpc-cni-k8s/issues/2164',
  vpcCniEncryptionIssue: 'https://github.com/aws/amazon-vpc-cni-k8s/issues/2087',
  eksPrefix: 'https://docs.aws.amazon.com/eks/latest/userguide/cni-increase-ip-addresses.html',
  eksCustomNetworking: 'https://docs.aws.amazon.com/eks/latest/userguide/cni-custom-network.html',
  eksIpv6: 'https://docs.aws.amazon.com/eks/latest/userguide/cni-ipv6.html',
  eksSgForPods: 'https://docs.aws.amazon.com/eks/latest/userguide/security-groups-for-pods.html',
  eksNetworkPolicy: 'https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html',
  eksAlternateCni: 'https://docs.aws.amazon.com/eks/latest/userguide/alternate-cni-plugins.html',
  eksAddOns: 'https://docs.aws.amazon.com/eks/latest/userguide/eks-networking-add-ons.html',
  eksHybridCni: 'https://docs.aws.amazon.com/eks/latest/userguide/hybrid-nodes-cni.html',
  bpPrefix: 'https://github.com/aws/aws-eks-best-practices/blob/master/latest/bpg/networking/prefix-mode_linux.adoc',
  bpCustomNetworking: 'https://github.com/aws/aws-eks-best-practices/blob/master/latest/bpg/networking/custom-networking.adoc',
  bpIpv6: 'https://github.com/aws/aws-eks-best-practices/blob/master/latest/bpg/networking/ipv6.adoc',
  bpSgpp: 'https://github.com/aws/aws-eks-best-practices/blob/master/latest/bpg/networking/sgpp.adoc',
  bpIpOptimization: 'https://github.com/aws/aws-eks-best-practices/blob/master/latest/bpg/networking/ip-optimization-strategies.adoc',
  bpSecurityNetwork: 'https://github.com/aws/aws-eks-best-practices/blob/master/latest/bpg/security/network.adoc',
  bpWindowsNetworking: 'https://github.com/aws/aws-eks-best-practices/blob/master/latest/bpg/windows/networking.adoc',
  ec2NitroEncryption: 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/data-protection.html#encryption-transit',
  tgwMulticast: 'https://docs.aws.amazon.com/vpc/latest/tgw/tgw-multicast-overview.html',
  roadmapMulticast: 'https://github.com/aws/containers-roadmap/issues/1918',
  roadmapSgDensity: 'https://github.com/aws/containers-roadmap/issues/1153',
  roadmapCustomNetworking: 'https://github.com/aws/containers-roadmap/issues/867',
  calicoEks: 'https://github.com/tigera/docs/blob/main/calico/getting-started/kubernetes/managed-public-cloud/eks.mdx',
  calicoFaq: 'https://github.com/tigera/docs/blob/main/calico/reference/faq.mdx',
  calicoWireguard: 'https://github.com/tigera/docs/blob/main/calico/network-policy/encrypt-cluster-pod-traffic.mdx',
  calicoReleases: 'https://github.com/projectcalico/calico/releases',
  ciliumEni: 'https://github.com/cilium/cilium/blob/main/Documentation/network/concepts/ipam/eni.rst',
  ciliumRouting: 'https://github.com/cilium/cilium/blob/main/Documentation/network/concepts/routing.rst',
  ciliumChaining: 'https://github.com/cilium/cilium/blob/main/Documentation/installation/cni-chaining-aws-cni.rst',
  ciliumChainingLimits: 'https://github.com/cilium/cilium/blob/main/Documentation/installation/cni-chaining-limitations.rst',
  ciliumChainingL7Issue: 'https://github.com/cilium/cilium/issues/12454',
  ciliumWireguard: 'https://github.com/cilium/cilium/blob/main/Documentation/security/network/encryption-wireguard.rst',
  ciliumMulticast: 'https://github.com/cilium/cilium/blob/main/Documentation/network/multicast.rst',
  ciliumMulticastBackport: 'https://github.com/cilium/cilium/pull/31668',
  ciliumReleases: 'https://github.com/cilium/cilium/releases',
  ciliumBenchmark: 'https://cilium.io/blog/2021/05/11/cni-benchmark',
  weaveRepo: 'https://github.com/weaveworks/weave',
  weaveRelease: 'https://github.com/weaveworks/weave/releases/tag/v2.8.1',
  weaveFeatures: 'https://github.com/weaveworks/weave/blob/master/site/overview/features.md',
  weaveEncryption: 'https://github.com/weaveworks/weave/blob/master/site/concepts/encryption.md',
  weaveClosure: 'https://thenewstack.io/end-of-an-era-weaveworks-closes-shop-amid-cloud-native-turbulence/',
  flannelBackends: 'https://github.com/flannel-io/flannel/blob/master/Documentation/backends.md',
  flannelNetpol: 'https://github.com/flannel-io/flannel/blob/master/Documentation/netpol.md',
  flannelReleases: 'https://github.com/flannel-io/flannel/releases',
  bench2024: 'https://itnext.io/benchmark-results-of-kubernetes-network-plugins-cni-over-40gbit-s-network-2024-156f085a5e4e',
  bench2020: 'https://github.com/InfraBuilder/benchmark-k8s-cni-2020-08',
  benchEks: 'https://devfloor9.github.io/engineering-playbook/en/docs/benchmarks/cni-performance-comparison',
  eksWindows: 'https://docs.aws.amazon.com/eks/latest/userguide/windows-support.html',
  eksFargate: 'https://docs.aws.amazon.com/eks/latest/userguide/fargate.html',
  eksFargatePodConfig: 'https://docs.aws.amazon.com/eks/latest/userguide/fargate-pod-configuration.html',
  calicoWindowsRequirements: 'https://github.com/tigera/docs/blob/main/calico/getting-started/kubernetes/windows-calico/requirements.mdx',
  calicoEbpf: 'https://github.com/tigera/docs/blob/main/calico/operations/ebpf/enabling-ebpf.mdx',
  calicoEbpfEksE2e: 'https://github.com/projectcalico/calico/blob/master/e2e/config/bpf/eks-bpf-encap-extnode-aws.yaml',
  ciliumStrictModePr: 'https://github.com/cilium/cilium/pull/21856',
  antreaEks: 'https://github.com/antrea-io/antrea/blob/main/docs/eks-installation.md',
  antreaMulticast: 'https://github.com/antrea-io/antrea/blob/main/docs/multicast-guide.md',
  antreaEncryption: 'https://github.com/antrea-io/antrea/blob/main/docs/traffic-encryption.md',
  antreaPolicy: 'https://github.com/antrea-io/antrea/blob/main/docs/antrea-network-policy.md',
  antreaReleases: 'https://github.com/antrea-io/antrea/releases',
  autoMode: 'https://docs.aws.amazon.com/eks/latest/userguide/automode.html',
  autoModeNetworking: 'https://docs.aws.amazon.com/eks/latest/userguide/auto-networking.html',
  autoModeNetworkPolicy: 'https://docs.aws.amazon.com/eks/latest/userguide/auto-net-pol.html',
  autoModeBp: 'https://docs.aws.amazon.com/eks/latest/best-practices/automode.html',
  eksPricing: 'https://aws.amazon.com/eks/pricing/',
} as const

const fact = <T>(value: T, ref: string, note: string): Fact<T> => ({ value, note, ref, checked: KB_CHECKED })

// Shared facts of everything that runs the Amazon VPC CNI as the IPAM/routing layer.
const VPC_CNI_ACTIVE = fact<Maintenance>(
  { status: 'active', latestRelease: 'v1.23.1', releasedAt: '2026-08' },
  REFS.vpcCniReleases,
  'Actively released by AWS (v1.23.1, Aug 2026).',
)
const VPC_CNI_AWS = fact<AwsSupport>(
  'aws-supported',
  REFS.eksAlternateCni,
  'The only CNI AWS supports on EC2 nodes; installed by default as the vpc-cni add-on.',
)
const VPC_NO_ENCAP = fact<Encapsulation>('none', REFS.vpcCniReadme, 'Pods are addressed from the VPC and routed natively by the VPC fabric; no overlay.')
const VPC_NODE_SUBNET = fact<PodIpSource>(
  'vpc-node-subnet',
  REFS.vpcCniReadme,
  "Pods take VPC IPv4 addresses from ENIs in the node's subnet; ipamd keeps a warm pool (by default one spare ENI's worth, WARM_ENI_TARGET=1).",
)
const VPC_NO_MULTICAST = fact<MulticastSupport>(
  'none',
  REFS.vpcCniMulticastIssue,
  'The VPC CNI multicast issue was closed with "no plans" (roadmap #1918 still open), and Transit Gateway multicast membership is per ENI, not per pod.',
)
const VPC_VISIBLE = fact<Support>(
  'yes',
  REFS.bpIpOptimization,
  'Pods have VPC addresses, so VPC Flow Logs and security-group rules see the pod IPs themselves.',
)
const VPC_NITRO_ONLY = fact<EncryptionFact>(
  { methods: [], nodeNeeds: 'Nothing in the CNI; only Nitro in-transit encryption on instance types that support it (m6i yes, m5 no).' },
  REFS.vpcCniEncryptionIssue,
  'No encryption in the VPC CNI: AWS closed the request as out of CNI scope and points to Nitro in-transit encryption.',
)
const NITRO_COST = fact<string>(
  'no CNI encryption; Nitro in-transit encryption has no measurable cost',
  REFS.ec2NitroEncryption,
  'AWS states Nitro in-transit encryption has no impact on network performance.',
)
const VPC_NOT_PORTABLE = fact<Support>('no', REFS.vpcCniReadme, 'Built on EC2 ENIs: runs on AWS only.')
const VPC_REACHABLE = fact<boolean>(true, REFS.eksAlternateCni, 'Pods sit on VPC addresses, so the EKS control plane and NLB/ALB IP targets reach them directly.')
const VPC_NATIVE_PERF = fact<Datapath>(
  'native',
  REFS.benchEks,
  'Native VPC routing, no encapsulation overhead: on m6i.xlarge TCP throughput was NIC-bound (12.41 Gbit/s), the same as Cilium ENI; the instance bandwidth, not the CNI, is the limit.',
)
const OVERLAY_UNREACHABLE = (ref: string): Fact<boolean> =>
  fact(false, ref, 'The EKS control plane cannot open connections to overlay pods: admission webhooks and aggregated APIs must run with hostNetwork, and NLB/ALB IP targets cannot point at pods.')
const CLUSTER_CIDR = (ref: string, note: string): Fact<PodIpSource> => fact<PodIpSource>('cluster-cidr', ref, note)
const OVERLAY_HIDDEN = (ref: string): Fact<Support> =>
  fact<Support>('no', ref, 'Pod addresses are not VPC addresses: flow logs and security groups see node IPs only (inference from the overlay design).')
const NO_SGP_OVERLAY = (ref: string): Fact<Support> =>
  fact<Support>('no', ref, 'Pods are not on ENIs, so EC2 security groups cannot be attached to them.')
const NOT_ON_FARGATE = (ref: string): Fact<Support> =>
  fact<Support>('no', ref, 'Fargate pods always use the built-in VPC CNI with VPC addresses, and they cannot reach pods on overlay addresses, which the VPC does not route.')
const POLICY_NOT_ON_FARGATE = (ref: string, engine: string): Fact<Support> =>
  fact<Support>(
    'partial',
    ref,
    `Fargate pods keep their own VPC CNI networking and can reach these pods (VPC addresses), but ${engine} does not enforce policy on Fargate pods: isolate them with security groups for pods, which work on Fargate.`,
  )
const CALICO_ACTIVE = fact<Maintenance>(
  { status: 'active', latestRelease: 'v3.32.x', releasedAt: '2026-08' },
  REFS.calicoReleases,
  'Actively released (v3.31.7 and v3.32.x, Jun-Aug 2026).',
)
const CILIUM_ACTIVE = fact<Maintenance>(
  { status: 'active', latestRelease: 'v1.19.6', releasedAt: '2026-07' },
  REFS.ciliumReleases,
  'Actively released (v1.19.6, Jul 2026).',
)
const PARTNER = (ref: string, who: string): Fact<AwsSupport> =>
  fact<AwsSupport>('partner-compatible', ref, `Listed by AWS as a compatible alternate CNI (partner ${who}); support comes from the partner or the community, not AWS, on EC2 nodes.`)
const WIREGUARD_COST = fact<string>(
  'WireGuard: ~8-10 Gbit/s ceiling on 40 Gbit/s hardware and ~10x the CPU per Gbit of unencrypted traffic',
  REFS.bench2024,
  'In the 2024 bare-metal benchmark Calico and Cilium WireGuard fell from ~39 to ~8-9 Gbit/s with 8 streams and used 6-7 cores versus ~3; in 2020 Calico WireGuard kept 10 Gbit/s line rate at ~8x the CPU.',
)
const CILIUM_ENCRYPTION_COST = fact<string>(
  'WireGuard ~8.4 Gbit/s at 7 cores; IPsec ~5 Gbit/s per-flow ceiling at low CPU',
  REFS.bench2024,
  'Cilium WireGuard: 8.4 Gbit/s with 8 streams on 40 Gbit/s hardware at 7.1 cores; Cilium IPsec: 5.3 Gbit/s at 0.5 cores (a per-flow bottleneck, by inference).',
)

const CUSTOM_NETWORKING: CniOption = {
    id: 'aws-vpc-cni-custom-networking',
    plugin: 'aws-vpc-cni',
    variant: 'custom-networking',
    name: 'Amazon VPC CNI, custom networking (secondary CIDR)',
    description: 'VPC CNI with ENIConfig per AZ: pods get addresses from separate subnets, usually a CG-NAT secondary CIDR such as 100.64.0.0/10.',
    densityMode: 'custom-networking',
    densityModeWhy: 'This is the custom-networking mode itself (without prefix delegation, the AWS default for it).',
    facts: {
      encapsulation: VPC_NO_ENCAP,
      podIpSource: fact<PodIpSource>(
        'vpc-secondary-cidr',
        REFS.bpCustomNetworking,
        'Pods use ENIConfig subnets (same VPC and AZ), usually in a CG-NAT secondary CIDR; nodes keep their routable addresses and pods SNAT through the primary ENI.',
      ),
      densityBound: fact('(ENIs − 1) × (IPv4 per ENI − 1) + 2', REFS.eksCustomNetworking, 'The primary ENI serves no pods: m5.large 29 → 20 (290 with prefix delegation, capped at 110).'),
      networkPolicy: fact<PolicyDepth>('none', REFS.eksNetworkPolicy, 'The bundled policy agent is off by default; turn it on (aws-vpc-cni-network-policy) for NetworkPolicy.'),
      encryption: VPC_NITRO_ONLY,
      encryptionCost: NITRO_COST,
      multicast: VPC_NO_MULTICAST,
      podIpsVisibleInVpc: VPC_VISIBLE,
      securityGroupsForPods: fact<Support>('yes', REFS.eksSgForPods, 'Security groups for pods work alongside custom networking on trunking types.'),
      ipv6: fact<Support>('no', REFS.eksCustomNetworking, 'Custom networking is not available in IPv6 clusters.'),
      fargate: fact<Support>('yes', REFS.eksCustomNetworking, 'Fargate pods ignore ENIConfig and use the Fargate profile subnets instead.'),
      windows: fact<Support>('no', REFS.bpWindowsNetworking, 'No documentation found for custom networking on Windows nodes.'),
      awsSupport: VPC_CNI_AWS,
      maintenance: VPC_CNI_ACTIVE,
      operationalComplexity: fact(
        6,
        REFS.roadmapCustomNetworking,
        'High: an ENIConfig per AZ, a secondary CIDR to add, max pods to recalculate by hand (nodeadm and Karpenter did not account for it), node recycling.',
      ),
      performance: VPC_NATIVE_PERF,
      portability: VPC_NOT_PORTABLE,
      controlPlaneReachesPods: VPC_REACHABLE,
    },
    caveats: [
      'Operations: one ENIConfig per AZ, max pods set by hand (AL2023 nodeadm and Karpenter compute the non-custom value), and nodes recycled after changes.',
      'AWS now points to IPv6 first for IPv4 exhaustion; custom networking is the IPv4 answer (use 100.64.0.0/10; 198.19.0.0/16 is reported not to associate).',
    ],
  }

// The same configuration with ENABLE_PREFIX_DELEGATION: only what prefixes change differs.
const CUSTOM_NETWORKING_PREFIX_DELEGATION: CniOption = {
  ...CUSTOM_NETWORKING,
  id: 'aws-vpc-cni-custom-networking-prefix-delegation',
  variant: 'custom-networking-prefix-delegation',
  name: 'Amazon VPC CNI, custom networking with prefix delegation',
  description:
    'VPC CNI with ENIConfig per AZ and ENABLE_PREFIX_DELEGATION: pods get /28 prefixes from separate subnets (usually a CG-NAT secondary CIDR), so the primary ENI’s lost slots cost little density.',
  densityMode: 'custom-networking-prefix-delegation',
  densityModeWhy: 'Custom networking combined with prefix delegation: (ENIs − 1) × (IPv4 per ENI − 1) × 16 + 2, then the EKS cap; Nitro only.',
  facts: {
    ...CUSTOM_NETWORKING.facts,
    densityBound: fact(
      '(ENIs − 1) × (IPv4 per ENI − 1) × 16 + 2, capped at 110 (≤ 30 vCPU) or 250',
      REFS.eksCustomNetworking,
      'The primary ENI serves no pods, but every other slot holds 16 addresses: m5.large 290, capped at 110.',
    ),
  },
}

export const CNI_OPTIONS: readonly CniOption[] = [
  {
    id: 'aws-vpc-cni-secondary-ip',
    plugin: 'aws-vpc-cni',
    variant: 'secondary-ip',
    name: 'Amazon VPC CNI, secondary IPs (EKS default)',
    description: 'The EKS default: every pod gets a secondary IPv4 address of an ENI in the node subnet.',
    densityMode: 'secondary-ip',
    densityModeWhy: 'This is the secondary-IP mode itself.',
    facts: {
      encapsulation: VPC_NO_ENCAP,
      podIpSource: VPC_NODE_SUBNET,
      densityBound: fact('ENIs × (IPv4 per ENI − 1) + 2', REFS.vpcCniMaxPods, 'ENI-bound: m5.large 29, m5.xlarge 58, t3.medium 17; the +2 are the host-network aws-node and kube-proxy pods.'),
      networkPolicy: fact<PolicyDepth>(
        'none',
        REFS.eksNetworkPolicy,
        'The add-on ships a policy agent (v1.14+, Aug 2023) but it is off by default (enableNetworkPolicy=false); with it on, this is the aws-vpc-cni-network-policy option.',
      ),
      encryption: VPC_NITRO_ONLY,
      encryptionCost: NITRO_COST,
      multicast: VPC_NO_MULTICAST,
      podIpsVisibleInVpc: VPC_VISIBLE,
      securityGroupsForPods: fact<Support>('yes', REFS.eksSgForPods, 'ENABLE_POD_ENI gives pods branch ENIs with their own security groups on trunking-compatible Nitro types (no t family).'),
      ipv6: fact<Support>('no', REFS.eksIpv6, 'IPv6 is a different cluster mode chosen at creation (aws-vpc-cni-ipv6).'),
      fargate: fact<Support>('yes', REFS.eksAlternateCni, 'The VPC CNI is built into Fargate; it is the only CNI Fargate pods can use.'),
      windows: fact<Support>('yes', REFS.bpWindowsNetworking, 'Secondary-IP mode applies to Windows nodes.'),
      awsSupport: VPC_CNI_AWS,
      maintenance: VPC_CNI_ACTIVE,
      operationalComplexity: fact(1, REFS.eksAddOns, 'Lowest: the managed default add-on; the usual knobs are the warm-pool targets.'),
      performance: VPC_NATIVE_PERF,
      portability: VPC_NOT_PORTABLE,
      controlPlaneReachesPods: VPC_REACHABLE,
    },
    caveats: [
      (c) =>
        c.maxPodsPerNode === null || c.addressLimit === null
          ? null
          : c.addressLimit > c.maxPodsPerNode
            ? `Pod density: a ${c.instanceType}'s ENIs allow ${c.addressLimit} pods, and the EKS cap of ${c.maxPodsPerNode} binds (${c.podsForWorkloads} for workloads).`
            : `Pod density is bound by ENIs: a ${c.instanceType} fits ${c.maxPodsPerNode} pods (${c.podsForWorkloads} for workloads), which is why small nodes run out of pod slots before CPU.`,
    ],
  },
  {
    id: 'aws-vpc-cni-prefix-delegation',
    plugin: 'aws-vpc-cni',
    variant: 'prefix-delegation',
    name: 'Amazon VPC CNI, prefix delegation',
    description: 'VPC CNI with ENABLE_PREFIX_DELEGATION: every ENI slot holds a /28 prefix (16 addresses) instead of one address.',
    densityMode: 'prefix-delegation',
    densityModeWhy: 'This is the prefix-delegation mode itself.',
    facts: {
      encapsulation: VPC_NO_ENCAP,
      podIpSource: fact<PodIpSource>('vpc-node-subnet', REFS.bpPrefix, 'Pods take addresses from /28 prefixes carved out of the node subnet, taken whole: with WARM_PREFIX_TARGET=1 (the shipped default) a node keeps one spare /28 plus the unused part of the current one, 16-31 idle addresses.'),
      densityBound: fact(
        'ENIs × (IPv4 per ENI − 1) × 16 + 2, capped at 110 (≤ 30 vCPU) or 250',
        REFS.bpPrefix,
        'm5.large: 434 by addresses, 110 after the EKS cap; Nitro only (v1.9.0+, Jul 2021).',
      ),
      networkPolicy: fact<PolicyDepth>('none', REFS.eksNetworkPolicy, 'The bundled policy agent is off by default; turning it on is the aws-vpc-cni-network-policy option.'),
      encryption: VPC_NITRO_ONLY,
      encryptionCost: NITRO_COST,
      multicast: VPC_NO_MULTICAST,
      podIpsVisibleInVpc: VPC_VISIBLE,
      securityGroupsForPods: fact<Support>('yes', REFS.vpcCniReadme, 'Compatible, but prefix delegation does not raise branch-ENI (security-group pod) density.'),
      ipv6: fact<Support>('no', REFS.eksIpv6, 'This is the IPv4 mode; IPv6 clusters (which also use prefixes) are aws-vpc-cni-ipv6.'),
      fargate: fact<Support>('yes', REFS.eksAlternateCni, 'Fargate pods keep their own VPC CNI networking; prefix delegation applies to the EC2 nodes only.'),
      windows: fact<Support>('yes', REFS.bpWindowsNetworking, 'Prefix delegation is available on Windows nodes.'),
      awsSupport: VPC_CNI_AWS,
      maintenance: VPC_CNI_ACTIVE,
      operationalComplexity: fact(2, REFS.bpPrefix, 'Low-medium: needs contiguous free /28 blocks (subnet fragmentation) and a node replacement when switching modes.'),
      performance: VPC_NATIVE_PERF,
      portability: VPC_NOT_PORTABLE,
      controlPlaneReachesPods: VPC_REACHABLE,
    },
    caveats: [
      'Needs contiguous free /28 blocks: fragmented subnets fail with InsufficientCidrBlocks; use fresh subnets or subnet CIDR reservations.',
      'Switching an existing node group to prefix delegation means replacing the nodes, not rolling the add-on.',
    ],
  },
  CUSTOM_NETWORKING,
  CUSTOM_NETWORKING_PREFIX_DELEGATION,
  {
    id: 'aws-vpc-cni-ipv6',
    plugin: 'aws-vpc-cni',
    variant: 'ipv6',
    name: 'Amazon VPC CNI, IPv6 cluster',
    description: 'An IPv6 EKS cluster: every node gets an IPv6 /80 prefix, pods are IPv6-only with a node-local IPv4 for egress.',
    densityMode: 'ipv6',
    densityModeWhy: 'This is the IPv6 mode itself: not address-bound, the 110/250 EKS cap applies.',
    facts: {
      encapsulation: VPC_NO_ENCAP,
      podIpSource: fact<PodIpSource>('vpc-ipv6', REFS.eksIpv6, 'Pods get VPC IPv6 addresses from a /80 per node; each node uses one IPv4 address; IPv4 egress is SNATed to the node.'),
      densityBound: fact('not address-bound; the EKS cap 110 (≤ 30 vCPU) or 250', REFS.eksIpv6, 'A /80 per node gives far more addresses than pods.'),
      networkPolicy: fact<PolicyDepth>('none', REFS.eksNetworkPolicy, 'The bundled policy agent supports IPv6 but is off by default; with it on, see aws-vpc-cni-network-policy.'),
      encryption: VPC_NITRO_ONLY,
      encryptionCost: NITRO_COST,
      multicast: VPC_NO_MULTICAST,
      podIpsVisibleInVpc: VPC_VISIBLE,
      securityGroupsForPods: fact<Support>(
        'partial',
        REFS.eksSgForPods,
        'Sources conflict: the EKS guide says security groups for pods work in IPv6 clusters from VPC CNI 1.16.0, the VPC CNI README feature matrix still says no; test before relying on it.',
      ),
      ipv6: fact<Support>('yes', REFS.eksIpv6, 'IPv6-only pods (no dual-stack pods); the IP family is fixed at cluster creation.'),
      fargate: fact<Support>('yes', REFS.eksIpv6, 'Fargate pods get IPv6 addresses in IPv6 clusters.'),
      windows: fact<Support>('no', REFS.bpIpv6, 'Windows nodes are not supported in IPv6 clusters.'),
      awsSupport: VPC_CNI_AWS,
      maintenance: VPC_CNI_ACTIVE,
      operationalComplexity: fact(4, REFS.bpIpv6, 'Medium: chosen at cluster creation; every dependency (images, endpoints, load balancers, CSI drivers) must be IPv6-ready.'),
      performance: VPC_NATIVE_PERF,
      portability: VPC_NOT_PORTABLE,
      controlPlaneReachesPods: VPC_REACHABLE,
    },
    caveats: [
      'The IP family is fixed when the cluster is created: moving to IPv6 means a new cluster.',
      'Pods are IPv6-only (no dual-stack); IPv4 egress is SNATed through the node, and some add-ons (e.g. FSx for Lustre CSI) lag behind.',
    ],
  },
  {
    id: 'aws-vpc-cni-network-policy',
    plugin: 'aws-vpc-cni',
    variant: 'network-policy',
    name: 'Amazon VPC CNI with its network policy agent',
    description: 'VPC CNI (prefix delegation) with enableNetworkPolicy=true: the controller in the EKS control plane and an eBPF node agent enforce Kubernetes NetworkPolicy.',
    densityMode: 'prefix-delegation',
    fallbackMode: 'secondary-ip',
    densityModeWhy:
      'The policy agent works with any VPC CNI mode and does not change IPAM: shown on prefix delegation, AWS’s recommended IPv4 mode, where the type supports it (Nitro), and on secondary IPs where it does not (Xen types), so that policy and density are not falsely in conflict.',
    facts: {
      encapsulation: VPC_NO_ENCAP,
      podIpSource: VPC_NODE_SUBNET,
      densityBound: fact('as the underlying VPC CNI mode', REFS.vpcCniReadme, 'The agent adds no address use; shown with prefix delegation.'),
      networkPolicy: fact<PolicyDepth>(
        'basic',
        REFS.vpcCniPolicyFaq,
        'Kubernetes NetworkPolicy (L3/L4) via eBPF since v1.14 (Aug 2023), strict default-deny mode since v1.17.1; admin tiers (ClusterNetworkPolicy) arriving, FQDN egress only in Auto Mode; limits: 24 port combinations per selector, eth0 only.',
      ),
      encryption: VPC_NITRO_ONLY,
      encryptionCost: NITRO_COST,
      multicast: VPC_NO_MULTICAST,
      podIpsVisibleInVpc: fact<Support>('yes', REFS.vpcCniPolicyFaq, 'Flow logs see pod IPs as with the plain VPC CNI; optional policy-verdict logs on top.'),
      securityGroupsForPods: fact<Support>('yes', REFS.eksNetworkPolicy, 'Compatible with security groups for pods.'),
      ipv6: fact<Support>('yes', REFS.eksNetworkPolicy, 'Enforces policy for IPv4 or IPv6 pods (not on the IPv4-egress interface of IPv6 pods).'),
      fargate: POLICY_NOT_ON_FARGATE(REFS.eksNetworkPolicy, 'the VPC CNI policy agent'),
      windows: fact<Support>('no', REFS.eksNetworkPolicy, 'Not on Windows nodes (Linux EC2 only, kernel ≥ 5.10).'),
      awsSupport: fact<AwsSupport>('aws-supported', REFS.eksNetworkPolicy, 'An AWS component bundled with the VPC CNI add-on.'),
      maintenance: VPC_CNI_ACTIVE,
      operationalComplexity: fact(3, REFS.bpSecurityNetwork, 'Low-medium: one add-on setting; only one policy engine per cluster is recommended.'),
      performance: fact<Datapath>('native', REFS.vpcCniPolicyFaq, 'Native routing; policy is enforced by eBPF programs on the pod veth, not iptables.'),
      portability: fact<Support>('no', REFS.vpcCniReadme, 'AWS-only; the NetworkPolicy objects themselves are portable Kubernetes resources.'),
      controlPlaneReachesPods: VPC_REACHABLE,
    },
    caveats: [
      'Policy depth is Kubernetes L3/L4: no L7 rules, and FQDN egress policy (ApplicationNetworkPolicy) is documented for EKS Auto Mode only.',
      'Use strict enforcing mode (NETWORK_POLICY_ENFORCING_MODE=strict) for default-deny at pod start; standard mode lets traffic through until policies are programmed.',
    ],
  },
  {
    id: 'aws-vpc-cni-calico-policy',
    plugin: 'aws-vpc-cni',
    variant: 'calico-policy',
    name: 'Amazon VPC CNI + Calico policy-only',
    description: 'VPC CNI does IPAM and routing (prefix delegation); Calico runs in policy-only mode for NetworkPolicy and optional WireGuard.',
    densityMode: 'prefix-delegation',
    fallbackMode: 'secondary-ip',
    densityModeWhy: 'Calico policy-only leaves IPAM to the VPC CNI: shown on prefix delegation where the type supports it (Nitro) and on secondary IPs where it does not.',
    facts: {
      encapsulation: fact<Encapsulation>('none', REFS.calicoEks, 'Tigera EKS guide: Calico policy, AWS IPAM, AWS CNI, no overlay, VPC-native routing.'),
      podIpSource: VPC_NODE_SUBNET,
      densityBound: fact('as the underlying VPC CNI mode', REFS.calicoEks, 'Calico adds no address use; shown with prefix delegation.'),
      networkPolicy: fact<PolicyDepth>('rich', REFS.calicoEks, 'Full Kubernetes NetworkPolicy plus the Calico policy API (tiers, global policies); DNS policy is an enterprise feature.'),
      encryption: fact<EncryptionFact>(
        { methods: ['wireguard'], nodeNeeds: 'WireGuard in the node kernel (5.6+ or the module; AL2023 and Bottlerocket have it) and UDP 51820 open between nodes.' },
        REFS.calicoWireguard,
        'Calico WireGuard is documented for EKS with the VPC CNI; wireguardHostEncryptionEnabled also covers host-network traffic. Same-node traffic is never encrypted; no customer keys.',
      ),
      encryptionCost: WIREGUARD_COST,
      multicast: fact<MulticastSupport>('none', REFS.calicoFaq, 'Neither the VPC CNI nor Calico carries pod multicast.'),
      podIpsVisibleInVpc: VPC_VISIBLE,
      securityGroupsForPods: fact<Support>(
        'partial',
        REFS.eksSgForPods,
        'Calico policy is not applied to security-group pods unless VPC CNI ≥ 1.11 runs with POD_SECURITY_GROUP_ENFORCING_MODE=standard.',
      ),
      ipv6: fact<Support>('partial', REFS.calicoEks, 'Works in IPv6 clusters, but policy is not enforced on IPv6 pods when ENABLE_V4_EGRESS is on.'),
      fargate: POLICY_NOT_ON_FARGATE(REFS.eksAlternateCni, 'Calico'),
      windows: fact<Support>(
        'yes',
        REFS.calicoWindowsRequirements,
        'On EKS Windows nodes Calico runs as the policy engine beside the VPC CNI (the EKS Windows guide recommends it); WireGuard does not run on Windows nodes.',
      ),
      awsSupport: PARTNER(REFS.eksAlternateCni, 'Tigera'),
      maintenance: CALICO_ACTIVE,
      operationalComplexity: fact(5, REFS.calicoEks, 'Medium: a second component to run and upgrade; the VPC CNI policy agent must be off and ANNOTATE_POD_IP=true set.'),
      performance: fact<Datapath>('native', REFS.bench2024, 'Native VPC routing; Calico iptables policy added little: Calico reached 39 Gbit/s with 8 streams, 0.82 cores per 10 Gbit/s.'),
      portability: fact<Support>('partial', REFS.calicoEks, 'The Calico policy layer is portable; the VPC CNI underneath is AWS-only.'),
      controlPlaneReachesPods: VPC_REACHABLE,
    },
    caveats: ['Disable the VPC CNI policy agent first: one policy engine per cluster.'],
  },
  {
    id: 'aws-vpc-cni-cilium-chaining',
    plugin: 'aws-vpc-cni',
    variant: 'cilium-chaining',
    name: 'Amazon VPC CNI + Cilium (CNI chaining)',
    description: 'VPC CNI does IPAM and devices (prefix delegation); Cilium is chained (cni.chainingMode=aws-cni) for eBPF policy, load balancing, Hubble and WireGuard.',
    densityMode: 'prefix-delegation',
    fallbackMode: 'secondary-ip',
    densityModeWhy: 'Chaining keeps the VPC CNI’s IPAM: shown on prefix delegation where the type supports it (Nitro) and on secondary IPs where it does not (the Cilium guide works with both).',
    facts: {
      encapsulation: fact<Encapsulation>('none', REFS.ciliumChaining, 'Native routing, no masquerading; the VPC CNI keeps the routing.'),
      podIpSource: VPC_NODE_SUBNET,
      densityBound: fact('as the underlying VPC CNI mode', REFS.ciliumChaining, 'Cilium adds no address use; shown with prefix delegation.'),
      networkPolicy: fact<PolicyDepth>('rich', REFS.ciliumChainingL7Issue, 'Cilium L3/L4 identity-based policy; L7 policy is limited in chaining mode.'),
      encryption: fact<EncryptionFact>(
        { methods: ['wireguard'], nodeNeeds: 'WireGuard in the node kernel, UDP 51871 open, and cni.enableRouteMTUForCNIChaining=true.' },
        REFS.ciliumChainingLimits,
        'WireGuard works (the AWS blog pattern); IPsec is limited in chaining mode.',
      ),
      encryptionCost: WIREGUARD_COST,
      multicast: fact<MulticastSupport>('none', REFS.ciliumMulticast, 'Cilium multicast needs VXLAN tunnel mode; chaining is native routing.'),
      podIpsVisibleInVpc: fact<Support>('yes', REFS.ciliumChaining, 'Pod IPs in flow logs as with the VPC CNI, plus Hubble flow visibility.'),
      securityGroupsForPods: fact<Support>('yes', REFS.ciliumChaining, 'The Cilium guide describes enabling security groups for pods in chaining mode.'),
      ipv6: fact<Support>('no', REFS.ciliumChaining, 'No documentation found for chaining in IPv6 clusters.'),
      fargate: POLICY_NOT_ON_FARGATE(REFS.ciliumChaining, 'Cilium'),
      windows: fact<Support>('no', REFS.ciliumChaining, 'Cilium is Linux-only (inference).'),
      awsSupport: PARTNER(REFS.eksAlternateCni, 'Isovalent'),
      maintenance: CILIUM_ACTIVE,
      operationalComplexity: fact(7, REFS.ciliumChaining, 'Medium-high: two CNIs to upgrade in step, existing pods restarted on install, two support channels.'),
      performance: fact<Datapath>('native-ebpf', REFS.benchEks, 'Native routing with Cilium eBPF for policy and services: lower latency and flat cost as Services grow, versus iptables.'),
      portability: fact<Support>('partial', REFS.ciliumChaining, 'Cilium policies and Hubble are portable; the VPC CNI underneath is AWS-only.'),
      controlPlaneReachesPods: VPC_REACHABLE,
    },
    caveats: ['Two vendors in the data path: AWS supports the VPC CNI, Isovalent or the community supports Cilium; upgrades must be coordinated.'],
  },
  {
    id: 'calico-vxlan',
    plugin: 'calico',
    variant: 'vxlan',
    name: 'Calico as the CNI, VXLAN overlay',
    description: 'aws-node removed; Calico does IPAM from its own pool and routes pods over VXLAN (the EKS-documented Calico setup).',
    densityMode: 'overlay',
    densityModeWhy: 'Pod addresses come from the Calico pool, not ENIs: the kubelet max pods bound applies (set it explicitly, or EKS applies the ENI-based value).',
    facts: {
      encapsulation: fact<Encapsulation>('vxlan', REFS.calicoEks, 'VXLAN overlay, BGP disabled (the EKS guide’s setup); 50 bytes of header per packet.'),
      podIpSource: CLUSTER_CIDR(REFS.calicoEks, 'Calico IPAM pool: saves VPC addresses; pods are not routable from the VPC.'),
      densityBound: fact('kubelet --max-pods (the EKS example uses 100)', REFS.calicoEks, 'Not ENI-bound; max pods must be overridden or the ENI-based EKS value still applies.'),
      networkPolicy: fact<PolicyDepth>('rich', REFS.calicoEks, 'Kubernetes NetworkPolicy plus the Calico policy API.'),
      encryption: fact<EncryptionFact>(
        { methods: ['wireguard'], nodeNeeds: 'WireGuard in the node kernel and UDP 51820 open between nodes.' },
        REFS.calicoWireguard,
        'WireGuard for inter-node pod traffic (IPv4); same-node traffic not encrypted.',
      ),
      encryptionCost: WIREGUARD_COST,
      multicast: fact<MulticastSupport>('none', REFS.calicoFaq, 'Calico FAQ: multicast is not part of the product (routed /32 per pod, no broadcast domain).'),
      podIpsVisibleInVpc: OVERLAY_HIDDEN(REFS.calicoEks),
      securityGroupsForPods: NO_SGP_OVERLAY(REFS.calicoEks),
      ipv6: fact<Support>('partial', REFS.calicoEks, 'Calico supports IPv6 in general, but the EKS-documented path is IPv4 VXLAN.'),
      fargate: NOT_ON_FARGATE(REFS.eksAlternateCni),
      windows: fact<Support>(
        'no',
        REFS.calicoWindowsRequirements,
        'On EKS, Calico for Windows is documented only as the policy engine beside the VPC CNI, not as the Windows nodes’ CNI (see aws-vpc-cni-calico-policy).',
      ),
      awsSupport: PARTNER(REFS.eksAlternateCni, 'Tigera'),
      maintenance: CALICO_ACTIVE,
      operationalComplexity: fact(7, REFS.calicoEks, 'Medium-high: replace aws-node, set max pods by hand, webhooks need hostNetwork, no NLB IP targets to pods.'),
      performance: fact<Datapath>(
        'overlay',
        REFS.bench2024,
        'Kernel VXLAN overlay: Calico 39.0 Gbit/s with 8 streams but 19.7 Gbit/s single stream (eBPF dataplane 25.9) versus 31.4 bare metal; 0.82 cores per 10 Gbit/s.',
      ),
      portability: fact<Support>('yes', REFS.calicoFaq, 'Runs the same on any cloud or on premises.'),
      controlPlaneReachesPods: OVERLAY_UNREACHABLE(REFS.calicoEks),
    },
    caveats: [
      'The EKS control plane cannot reach overlay pods: admission webhooks and metrics APIs must run with hostNetwork.',
      'Set kubelet max pods explicitly; otherwise EKS keeps the ENI-based value and the overlay gains no density.',
    ],
  },
  {
    id: 'calico-bgp',
    plugin: 'calico',
    variant: 'bgp',
    name: 'Calico as the CNI, BGP without encapsulation',
    description: 'Calico IPAM and BGP routes between nodes, no encapsulation within a subnet; CrossSubnet IPIP/VXLAN between subnets.',
    densityMode: 'overlay',
    densityModeWhy: 'Addresses come from the Calico pool, not ENIs, so the kubelet bound applies as for an overlay.',
    facts: {
      encapsulation: fact<Encapsulation>(
        'cross-subnet',
        REFS.calicoFaq,
        'No encapsulation only when nodes share a subnet and source/destination check is off; across subnets CrossSubnet IPIP (SGs must allow IP protocol 4) or VXLAN.',
      ),
      podIpSource: CLUSTER_CIDR(REFS.calicoFaq, 'Calico IPAM pool; the VPC route tables do not know pod addresses.'),
      densityBound: fact('kubelet --max-pods', REFS.calicoEks, 'Not ENI-bound.'),
      networkPolicy: fact<PolicyDepth>('rich', REFS.calicoEks, 'Kubernetes NetworkPolicy plus the Calico policy API.'),
      encryption: fact<EncryptionFact>(
        { methods: ['wireguard'], nodeNeeds: 'WireGuard in the node kernel and UDP 51820 open between nodes.' },
        REFS.calicoWireguard,
        'Calico WireGuard for inter-node pod traffic.',
      ),
      encryptionCost: WIREGUARD_COST,
      multicast: fact<MulticastSupport>('none', REFS.calicoFaq, 'Calico FAQ: multicast is not part of the product.'),
      podIpsVisibleInVpc: fact<Support>(
        'no',
        REFS.calicoFaq,
        'Pod addresses are not VPC addresses: security groups cannot name them, and cross-subnet traffic is encapsulated (inference).',
      ),
      securityGroupsForPods: NO_SGP_OVERLAY(REFS.calicoEks),
      ipv6: fact<Support>('partial', REFS.calicoFaq, 'Calico supports IPv6 generally; not an EKS-documented path.'),
      fargate: NOT_ON_FARGATE(REFS.eksAlternateCni),
      windows: fact<Support>('no', REFS.calicoWindowsRequirements, 'On EKS, Calico for Windows is documented only as the policy engine beside the VPC CNI.'),
      awsSupport: PARTNER(REFS.eksAlternateCni, 'Tigera'),
      maintenance: CALICO_ACTIVE,
      operationalComplexity: fact(
        8,
        REFS.calicoFaq,
        'High: source/destination check off on every node, nodes kept in one subnet for the unencapsulated path, BGP to operate, plus the overlay caveats (webhooks on hostNetwork).',
      ),
      performance: fact<Datapath>(
        'overlay',
        REFS.calicoFaq,
        'On EKS every subnet lives in one AZ, so pod traffic between AZs crosses subnets and Calico must encapsulate it (CrossSubnet IPIP or VXLAN): a multi-AZ cluster runs as an overlay, and scores as one.',
      ),
      portability: fact<Support>('yes', REFS.calicoFaq, 'Runs the same anywhere BGP is possible.'),
      controlPlaneReachesPods: OVERLAY_UNREACHABLE(REFS.calicoEks),
    },
    caveats: [
      'On EKS subnets are per AZ: BGP without encapsulation holds only inside one subnet, so a multi-AZ cluster encapsulates between AZs (IPIP or VXLAN) and behaves as an overlay.',
      'Needs source/destination check disabled on every node; AWS does not document this setup for EKS.',
    ],
  },
  {
    id: 'cilium-eni',
    plugin: 'cilium',
    variant: 'eni',
    name: 'Cilium as the CNI, ENI IPAM (native VPC routing)',
    description: 'aws-node replaced by Cilium; the Cilium operator allocates ENI addresses, pods are routed natively with an eBPF data path.',
    densityMode: 'secondary-ip',
    densityModeWhy:
      'Cilium’s ENI IPAM hands out individual secondary IPs by default (pre-allocation watermark 8); prefix delegation is an opt-in operator flag, so the default density is the secondary-IP formula.',
    facts: {
      encapsulation: fact<Encapsulation>('none', REFS.ciliumRouting, 'Native VPC routing.'),
      podIpSource: fact<PodIpSource>('vpc-node-subnet', REFS.ciliumEni, 'ENI secondary addresses allocated by the operator (the only EC2 API caller); per-node subnet/SG selection by tags; excess IPs can be released.'),
      densityBound: fact('ENIs × (IPv4 per ENI − 1) + 2 (prefix delegation optional)', REFS.ciliumEni, 'ENI-bound, like the VPC CNI; EC2 API rate limits apply.'),
      networkPolicy: fact<PolicyDepth>('l7', REFS.ciliumEni, 'CiliumNetworkPolicy with L7 (HTTP/gRPC/Kafka) and DNS/FQDN rules, plus Hubble.'),
      encryption: fact<EncryptionFact>(
        { methods: ['wireguard', 'ipsec'], nodeNeeds: 'WireGuard in the kernel (UDP 51871) or IPsec keys in a Kubernetes secret.' },
        REFS.ciliumWireguard,
        'WireGuard (since 1.10, May 2021) or IPsec; WireGuard strict mode, which drops unencrypted pod-to-pod traffic, came with 1.14 (2023, cilium/cilium PR #21856).',
      ),
      encryptionCost: CILIUM_ENCRYPTION_COST,
      multicast: fact<MulticastSupport>('none', REFS.ciliumMulticast, 'Cilium multicast requires VXLAN tunnel mode; ENI mode cannot use it.'),
      podIpsVisibleInVpc: fact<Support>('yes', REFS.ciliumEni, 'Pods have VPC addresses: visible in flow logs; Hubble adds L7 visibility.'),
      securityGroupsForPods: fact<Support>('no', REFS.ciliumEni, 'Security groups apply per node on Cilium-created ENIs, not per pod.'),
      ipv6: fact<Support>('partial', REFS.ciliumEni, 'IPv6 in ENI mode is beta and needs dual-stack subnets.'),
      fargate: fact<Support>(
        'partial',
        REFS.eksFargate,
        'Fargate pods keep AWS’s own VPC networking and reach Cilium’s VPC-addressed pods natively, but Cilium enforces no policy on them: isolate them with security groups for pods.',
      ),
      windows: fact<Support>('no', REFS.ciliumEni, 'Cilium is Linux-only.'),
      awsSupport: PARTNER(REFS.eksAlternateCni, 'Isovalent'),
      maintenance: CILIUM_ACTIVE,
      operationalComplexity: fact(7, REFS.ciliumEni, 'High: replace aws-node, IAM for the operator, EC2 API rate limits, cluster built without default add-ons.'),
      performance: fact<Datapath>(
        'native-ebpf',
        REFS.benchEks,
        'On m6i.xlarge the same NIC-bound throughput as the VPC CNI (12.40 Gbit/s) but 36% lower pod-to-pod RTT and HTTP p99 10.9 → 8.8 ms with tuning (single-author blog, indicative).',
      ),
      portability: fact<Support>('partial', REFS.ciliumEni, 'Cilium itself is portable; ENI IPAM is AWS-specific (switch IPAM mode elsewhere).'),
      controlPlaneReachesPods: fact(true, REFS.ciliumRouting, 'Pods are on VPC addresses, reachable from the control plane.'),
    },
    caveats: ['EC2 API rate limits and per-instance ENI address limits still apply, as with the VPC CNI; AWS does not support this CNI on EC2 nodes.'],
  },
  {
    id: 'cilium-overlay',
    plugin: 'cilium',
    variant: 'overlay',
    name: 'Cilium as the CNI, VXLAN overlay',
    description: 'aws-node replaced by Cilium with cluster-pool IPAM and a VXLAN (or Geneve) overlay; the only maintained option here with pod multicast.',
    densityMode: 'overlay',
    densityModeWhy: 'Pod addresses come from a cluster pool: density is bound by the pod CIDR and kubelet, not ENIs.',
    facts: {
      encapsulation: fact<Encapsulation>('vxlan-or-geneve', REFS.ciliumRouting, 'VXLAN (8472/UDP, default) or Geneve (6081/UDP); 50 bytes per packet, little loss with the VPC’s 9001 MTU.'),
      podIpSource: CLUSTER_CIDR(REFS.ciliumRouting, 'Cluster-pool IPAM: saves VPC addresses.'),
      densityBound: fact('pod CIDR per node / kubelet --max-pods', REFS.ciliumRouting, 'Not ENI-bound.'),
      networkPolicy: fact<PolicyDepth>('l7', REFS.ciliumRouting, 'CiliumNetworkPolicy with L7 and FQDN rules, plus Hubble.'),
      encryption: fact<EncryptionFact>(
        { methods: ['wireguard', 'ipsec'], nodeNeeds: 'WireGuard in the kernel (tunnel mode double-encapsulates) or IPsec keys; IPsec cannot be combined with multicast.' },
        REFS.ciliumWireguard,
        'WireGuard (strict mode since 1.14) or IPsec; IPsec cannot be combined with multicast.',
      ),
      encryptionCost: CILIUM_ENCRYPTION_COST,
      multicast: fact<MulticastSupport>(
        'beta',
        REFS.ciliumMulticast,
        'Beta in Cilium OSS (datapath in 1.16, backported to 1.15 in Mar 2024): VXLAN only, kernel ≥ 5.10 (x86) / ≥ 6.0 (arm64), not with IPsec, groups and subscribers configured per node.',
      ),
      podIpsVisibleInVpc: OVERLAY_HIDDEN(REFS.ciliumRouting),
      securityGroupsForPods: NO_SGP_OVERLAY(REFS.ciliumRouting),
      ipv6: fact<Support>('yes', REFS.ciliumRouting, 'Cilium overlays support IPv6.'),
      fargate: NOT_ON_FARGATE(REFS.eksAlternateCni),
      windows: fact<Support>('no', REFS.ciliumRouting, 'Cilium is Linux-only.'),
      awsSupport: PARTNER(REFS.eksAlternateCni, 'Isovalent'),
      maintenance: CILIUM_ACTIVE,
      operationalComplexity: fact(
        7,
        REFS.ciliumRouting,
        'High: replace aws-node, build the cluster without default add-ons, the overlay caveats (webhooks on hostNetwork), and for multicast per-node group configuration to keep in step with the nodes.',
      ),
      performance: fact<Datapath>('overlay-ebpf', REFS.bench2024, 'eBPF overlay: 39.3 Gbit/s with 8 streams, 21.9 single stream, 0.69 cores per 10 Gbit/s (on par with bare metal per Gbit).'),
      portability: fact<Support>('yes', REFS.ciliumRouting, 'Runs the same on any cloud; AWS supports this exact setup on Hybrid Nodes.'),
      controlPlaneReachesPods: OVERLAY_UNREACHABLE(REFS.ciliumRouting),
    },
    caveats: [
      'The EKS control plane cannot reach overlay pods: admission webhooks and aggregated APIs must run with hostNetwork.',
      'Build the cluster without the default networking add-ons (bootstrapSelfManagedAddons=false) or remove aws-node first.',
      'Multicast (beta) needs per-node setup: every multicast group and its subscriber nodes are configured on each node with cilium-dbg bpf multicast (or cilium multicast add), and again as nodes come and go.',
    ],
  },
  {
    id: 'weave-net-overlay',
    plugin: 'weave-net',
    variant: 'overlay',
    name: 'Weave Net (unmaintained)',
    description: 'Weave Net L2 mesh overlay (kernel VXLAN fast datapath, userspace sleeve fallback) with weave-npc policy: archived since 2024.',
    densityMode: 'overlay',
    densityModeWhy: 'Pods take addresses from Weave’s own range (default 10.32.0.0/12), not ENIs.',
    facts: {
      encapsulation: fact<Encapsulation>('vxlan', REFS.weaveFeatures, 'Kernel VXLAN (fast datapath) or userspace sleeve; default MTU 1376.'),
      podIpSource: CLUSTER_CIDR(REFS.weaveFeatures, 'Weave IPAM range, default 10.32.0.0/12.'),
      densityBound: fact('kubelet --max-pods', REFS.weaveFeatures, 'Not ENI-bound.'),
      networkPolicy: fact<PolicyDepth>('basic', REFS.weaveFeatures, 'weave-npc enforces Kubernetes NetworkPolicy (allows all multicast unless --allow-mcast=false).'),
      encryption: fact<EncryptionFact>(
        { methods: ['weave-ipsec'], nodeNeeds: 'A shared WEAVE_PASSWORD on every node; off by default.' },
        REFS.weaveEncryption,
        'NaCl on the sleeve path, IPsec ESP on the fast datapath, keyed by a shared password.',
      ),
      encryptionCost: fact(
        'encrypted fast datapath lost ~86% of throughput (9.8 → 1.4 Gbit/s) in 2020',
        REFS.bench2020,
        'The 2020 10 Gbit/s benchmark: Weave MTU-tuned 9,759 Mbit/s TCP, with encryption 1,384 Mbit/s.',
      ),
      multicast: fact<MulticastSupport>('yes', REFS.weaveFeatures, 'The L2 overlay carries broadcast and multicast (not in AWS-VPC mode).'),
      podIpsVisibleInVpc: OVERLAY_HIDDEN(REFS.weaveFeatures),
      securityGroupsForPods: NO_SGP_OVERLAY(REFS.weaveFeatures),
      ipv6: fact<Support>('no', REFS.weaveFeatures, 'IPv4 only in the docs.'),
      fargate: NOT_ON_FARGATE(REFS.eksAlternateCni),
      windows: fact<Support>('no', REFS.weaveFeatures, 'No Windows support.'),
      awsSupport: fact<AwsSupport>('not-listed', REFS.eksAlternateCni, 'Not on AWS’s list of compatible alternate CNIs.'),
      maintenance: fact<Maintenance>(
        { status: 'unmaintained', latestRelease: 'v2.8.1', releasedAt: '2021-01' },
        REFS.weaveRelease,
        'Last release v2.8.1 (25 Jan 2021), last commit Nov 2022; Weaveworks closed in Feb 2024 and the repository is archived; only a community maintenance fork (rajch/weave) remains.',
      ),
      operationalComplexity: fact(9, REFS.weaveClosure, 'High risk: no security fixes or Kubernetes compatibility work since 2021-2022; the cloud install endpoint is down.'),
      performance: fact<Datapath>(
        'overlay-small-mtu',
        REFS.bench2020,
        'Default MTU 1376 halved throughput in 2020 (4,880 vs 9,759 Mbit/s MTU-tuned); not included in the 2024 benchmark.',
      ),
      portability: fact<Support>('yes', REFS.weaveRepo, 'Cloud-agnostic, but unmaintained.'),
      controlPlaneReachesPods: OVERLAY_UNREACHABLE(REFS.weaveFeatures),
    },
    caveats: [
      'Unmaintained: last release v2.8.1 in January 2021, the repository is archived and Weaveworks shut down in February 2024; do not start new clusters on it.',
      'The 2018-2020 advice "Weave for multicast or encryption" is out of date: Cilium (multicast beta, WireGuard/IPsec) and Calico (WireGuard) now cover those needs.',
    ],
  },
  {
    id: 'flannel-vxlan',
    plugin: 'flannel',
    variant: 'vxlan',
    name: 'Flannel, VXLAN backend',
    description: 'Flannel with its recommended VXLAN backend: a simple overlay with no NetworkPolicy of its own.',
    densityMode: 'overlay',
    densityModeWhy: 'Pods take addresses from a per-node subnet of the cluster CIDR, not ENIs.',
    facts: {
      encapsulation: fact<Encapsulation>('vxlan', REFS.flannelBackends, 'VXLAN is the recommended backend; host-gw needs L2 adjacency (normally unusable across AWS subnets); the aws-vpc backend was removed in v0.20.0 (Aug 2022).'),
      podIpSource: CLUSTER_CIDR(REFS.flannelBackends, 'A per-node subnet of the cluster CIDR.'),
      densityBound: fact('pod CIDR per node / kubelet --max-pods', REFS.flannelBackends, 'Not ENI-bound.'),
      networkPolicy: fact<PolicyDepth>(
        'none',
        REFS.flannelNetpol,
        'flanneld enforces no policy; since v0.25.5 (Jul 2024) the Helm chart can add kube-network-policies, or Calico on top (Canal).',
      ),
      encryption: fact<EncryptionFact>(
        { methods: ['wireguard'], nodeNeeds: 'Switch the backend from VXLAN to WireGuard (in-kernel); IPsec is experimental.' },
        REFS.flannelBackends,
        'Encryption means the WireGuard backend instead of VXLAN.',
      ),
      encryptionCost: fact('not measured for Flannel WireGuard; WireGuard generally ~8-10 Gbit/s at ~10x CPU', REFS.bench2024, 'The 2024 benchmark did not run Flannel WireGuard; other WireGuard runs show the cost.'),
      multicast: fact<MulticastSupport>('none', REFS.flannelBackends, 'VXLAN unicast only (inference).'),
      podIpsVisibleInVpc: OVERLAY_HIDDEN(REFS.flannelBackends),
      securityGroupsForPods: NO_SGP_OVERLAY(REFS.flannelBackends),
      ipv6: fact<Support>('partial', REFS.flannelBackends, 'IPv6 is possible (WireGuard backend options), not an EKS-documented path.'),
      fargate: NOT_ON_FARGATE(REFS.eksAlternateCni),
      windows: fact<Support>('no', REFS.flannelBackends, 'Flannel has upstream Windows VXLAN support, but it is not an EKS-documented path.'),
      awsSupport: fact<AwsSupport>('not-listed', REFS.eksAlternateCni, 'Not on AWS’s list of compatible alternate CNIs.'),
      maintenance: fact<Maintenance>({ status: 'active', latestRelease: 'v0.28.9', releasedAt: '2026-08' }, REFS.flannelReleases, 'Actively released (v0.28.9, Aug 2026).'),
      operationalComplexity: fact(6, REFS.flannelBackends, 'A simple daemon, but on EKS it brings the overlay caveats (replace aws-node, webhooks on hostNetwork) with no partner to call.'),
      performance: fact<Datapath>('overlay', REFS.bench2024, 'Kernel VXLAN: 38.9 Gbit/s with 8 streams, 20.0 single stream, 0.77 cores per 10 Gbit/s; lowest idle overhead after kube-router.'),
      portability: fact<Support>('yes', REFS.flannelBackends, 'Runs the same anywhere.'),
      controlPlaneReachesPods: OVERLAY_UNREACHABLE(REFS.flannelBackends),
    },
    caveats: ['No NetworkPolicy of its own: add kube-network-policies (Helm netpol.enabled) or Calico (Canal) if you need it.'],
  },
  {
    id: 'calico-ebpf',
    plugin: 'calico',
    variant: 'ebpf',
    name: 'Calico as the CNI, eBPF data plane',
    description: 'aws-node removed; Calico does IPAM from its own pool with its eBPF data plane (kube-proxy replaced) and a VXLAN overlay, as Calico’s own EKS tests run it.',
    densityMode: 'overlay',
    densityModeWhy: 'Pod addresses come from the Calico pool, not ENIs: the kubelet max pods bound applies (set it explicitly).',
    facts: {
      encapsulation: fact<Encapsulation>('vxlan', REFS.calicoEbpfEksE2e, 'VXLAN between nodes: Calico’s EKS end-to-end configuration runs the eBPF data plane with encapsulation.'),
      podIpSource: CLUSTER_CIDR(REFS.calicoEks, 'Calico IPAM pool: saves VPC addresses; pods are not routable from the VPC.'),
      densityBound: fact('kubelet --max-pods', REFS.calicoEks, 'Not ENI-bound; max pods must be set by hand.'),
      networkPolicy: fact<PolicyDepth>('rich', REFS.calicoEbpf, 'Kubernetes NetworkPolicy plus the Calico policy API, enforced in eBPF.'),
      encryption: fact<EncryptionFact>(
        { methods: ['wireguard'], nodeNeeds: 'WireGuard in the node kernel and UDP 51820 open between nodes.' },
        REFS.calicoWireguard,
        'Calico WireGuard works with the eBPF data plane (IPv4 inter-node pod traffic).',
      ),
      encryptionCost: fact(
        'eBPF + WireGuard: 8.9 Gbit/s with 8 streams on 40 Gbit/s hardware at 6.6 cores',
        REFS.bench2024,
        'In the 2024 benchmark Calico eBPF with WireGuard fell from 39.5 to 8.9 Gbit/s and used about twice the CPU.',
      ),
      multicast: fact<MulticastSupport>('none', REFS.calicoFaq, 'Calico FAQ: multicast is not part of the product, whatever the data plane.'),
      podIpsVisibleInVpc: OVERLAY_HIDDEN(REFS.calicoEks),
      securityGroupsForPods: NO_SGP_OVERLAY(REFS.calicoEks),
      ipv6: fact<Support>('partial', REFS.calicoEbpf, 'The eBPF data plane supports IPv6, but no EKS-documented IPv6 path exists for Calico as the CNI.'),
      fargate: NOT_ON_FARGATE(REFS.eksAlternateCni),
      windows: fact<Support>('no', REFS.calicoEbpf, 'The eBPF data plane is Linux-only.'),
      awsSupport: PARTNER(REFS.eksAlternateCni, 'Tigera'),
      maintenance: CALICO_ACTIVE,
      operationalComplexity: fact(
        8,
        REFS.calicoEbpf,
        'High: replace aws-node and kube-proxy, point Calico at the API server directly, set max pods by hand, plus the overlay caveats (webhooks on hostNetwork).',
      ),
      performance: fact<Datapath>(
        'overlay-ebpf',
        REFS.bench2024,
        'eBPF overlay: 39.5 Gbit/s with 8 streams and 25.9 Gbit/s single stream (Calico iptables 19.7), client source IPs preserved, no kube-proxy.',
      ),
      portability: fact<Support>('yes', REFS.calicoEbpf, 'Runs the same on any cloud with a recent kernel.'),
      controlPlaneReachesPods: OVERLAY_UNREACHABLE(REFS.calicoEks),
    },
    caveats: [
      'The EKS control plane cannot reach overlay pods: admission webhooks and metrics APIs must run with hostNetwork.',
      'The eBPF data plane replaces kube-proxy: disable the kube-proxy add-on and give Calico the API server’s address, or Services break during the switch.',
    ],
  },
  {
    id: 'antrea-encap',
    plugin: 'antrea',
    variant: 'encap',
    name: 'Antrea as the CNI, encap mode',
    description: 'aws-node replaced by Antrea (Open vSwitch) as the primary CNI with a Geneve overlay and Antrea IPAM: the option with the most usable pod multicast today (beta), with multicast-aware policy.',
    densityMode: 'overlay',
    densityModeWhy: 'In encap mode pods take addresses from Antrea’s node IPAM, not ENIs: the kubelet bound applies.',
    facts: {
      encapsulation: fact<Encapsulation>('vxlan-or-geneve', REFS.antreaEks, 'Geneve by default (VXLAN, GRE or STT selectable) between nodes.'),
      podIpSource: CLUSTER_CIDR(REFS.antreaEks, 'Antrea Node IPAM from the cluster CIDR: saves VPC addresses.'),
      densityBound: fact('pod CIDR per node / kubelet --max-pods', REFS.antreaEks, 'Encap mode removes the ENI pod limit.'),
      networkPolicy: fact<PolicyDepth>(
        'rich',
        REFS.antreaPolicy,
        'Kubernetes NetworkPolicy plus Antrea-native policies with tiers and priorities, including rules for multicast and IGMP traffic; L7 policy is alpha.',
      ),
      encryption: fact<EncryptionFact>(
        { methods: ['ipsec', 'wireguard'], nodeNeeds: 'IPsec (any OVS tunnel type) or WireGuard in the node kernel; Linux only.' },
        REFS.antreaEncryption,
        'Antrea encrypts inter-node pod traffic with IPsec or WireGuard in encap modes.',
      ),
      encryptionCost: fact(
        'WireGuard 8.8 Gbit/s at 6.7 cores; IPsec 4.7 Gbit/s at 0.6 cores (2024, 8 streams)',
        REFS.bench2024,
        'In the 2024 benchmark Antrea WireGuard and IPsec cost as Calico and Cilium do: ~75-88 % of multi-stream throughput.',
      ),
      multicast: fact<MulticastSupport>(
        'beta',
        REFS.antreaMulticast,
        'Beta since v1.12 (feature gate on by default): IPv4 on Linux nodes, in encap, noEncap or hybrid mode, not networkPolicyOnly; at most 20 groups per host by the Linux default; multicast and IGMP rules in Antrea-native policies.',
      ),
      podIpsVisibleInVpc: OVERLAY_HIDDEN(REFS.antreaEks),
      securityGroupsForPods: NO_SGP_OVERLAY(REFS.antreaEks),
      ipv6: fact<Support>('partial', REFS.antreaEks, 'Antrea supports IPv6 upstream; no EKS-documented IPv6 path in encap mode.'),
      fargate: NOT_ON_FARGATE(REFS.eksAlternateCni),
      windows: fact<Support>('no', REFS.antreaEks, 'Antrea has Windows support upstream, but its EKS guide covers Linux nodes only.'),
      awsSupport: PARTNER(REFS.eksAlternateCni, 'VMware by Broadcom'),
      maintenance: fact<Maintenance>({ status: 'active', latestRelease: 'v2.7.0', releasedAt: '2026-08' }, REFS.antreaReleases, 'Actively released (v2.7.0, Aug 2026); a CNCF project.'),
      operationalComplexity: fact(
        8,
        REFS.antreaEks,
        'High: replace aws-node (a node-init DaemonSet restarts pods), run Open vSwitch on every node, plus the overlay caveats (webhooks on hostNetwork).',
      ),
      performance: fact<Datapath>('overlay', REFS.bench2024, 'OVS Geneve overlay: 39.2 Gbit/s with 8 streams, 21.0 single stream, 0.68 cores per 10 Gbit/s in the 2024 benchmark.'),
      portability: fact<Support>('yes', REFS.antreaEks, 'Runs the same on any cloud or on premises.'),
      controlPlaneReachesPods: OVERLAY_UNREACHABLE(REFS.antreaEks),
    },
    caveats: [
      'Multicast stays inside the cluster overlay: AWS carries no pod multicast itself (the VPC does not forward multicast, and Transit Gateway multicast groups take ENIs, not pods), so senders and receivers outside the cluster cannot join.',
      'The EKS control plane cannot reach overlay pods: admission webhooks and aggregated APIs must run with hostNetwork.',
    ],
  },
  {
    id: 'eks-auto-mode',
    plugin: 'eks',
    variant: 'auto-mode',
    name: 'EKS Auto Mode (AWS-managed networking)',
    description: 'EKS Auto Mode: AWS runs the nodes (Bottlerocket) and their networking, derived from the VPC CNI with prefix delegation and network policy built in; configured per NodeClass only.',
    densityMode: 'prefix-delegation',
    fallbackMode: 'secondary-ip',
    maxPodsCap: { value: 110, reason: 'EKS Auto Mode caps pods per node at 110' },
    densityModeWhy: 'Auto Mode assigns /28 prefixes and falls back to secondary IPs where no /28 is free; pods per node are min(110, the max-pods calculator’s value).',
    facts: {
      encapsulation: VPC_NO_ENCAP,
      podIpSource: fact<PodIpSource>('vpc-node-subnet', REFS.autoModeNetworking, 'VPC addresses from /28 prefixes in the node subnets, or from separate pod subnets chosen in the NodeClass (podSubnetSelectorTerms).'),
      densityBound: fact('min(110, ENIs × (IPv4 per ENI − 1) × 16 + 2)', REFS.autoModeNetworking, 'Prefix delegation by default; warm targets are not tunable.'),
      networkPolicy: fact<PolicyDepth>(
        'rich',
        REFS.autoModeNetworkPolicy,
        'EKS network policies built in (enable the controller in the amazon-vpc-cni ConfigMap): Kubernetes NetworkPolicy, ClusterNetworkPolicy tiers and ApplicationNetworkPolicy FQDN egress, which only Auto Mode has.',
      ),
      encryption: VPC_NITRO_ONLY,
      encryptionCost: NITRO_COST,
      multicast: fact<MulticastSupport>('none', REFS.vpcCniMulticastIssue, 'Derived from the VPC CNI, which has no pod multicast.'),
      podIpsVisibleInVpc: fact<Support>('yes', REFS.autoModeNetworking, 'Pods have VPC addresses: flow logs see them.'),
      securityGroupsForPods: fact<Support>(
        'no',
        REFS.autoModeNetworking,
        'No classic security groups for pods (roadmap #2632): a NodeClass can give all its pods separate security groups (podSecurityGroupSelectorTerms), not one pod its own.',
      ),
      ipv6: fact<Support>('yes', REFS.autoModeNetworking, 'Auto Mode clusters can be IPv6.'),
      fargate: fact<Support>('partial', REFS.autoModeBp, 'Fargate pods keep their own networking beside Auto Mode nodes (unverified for every combination); Auto Mode policy does not reach them.'),
      windows: fact<Support>('no', REFS.autoModeBp, 'Auto Mode nodes run Bottlerocket (Linux); Windows needs self-managed nodes outside Auto Mode.'),
      awsSupport: fact<AwsSupport>('aws-supported', REFS.autoMode, 'AWS runs and supports the whole node and networking stack.'),
      maintenance: fact<Maintenance>({ status: 'active', latestRelease: 'managed', releasedAt: '2026-08' }, REFS.autoMode, 'Managed and updated by AWS (launched Dec 2024).'),
      operationalComplexity: fact(
        2,
        REFS.autoModeBp,
        'Lowest day-2 work (AWS manages nodes, upgrades and networking), but a cluster-level choice: existing node groups move to Auto Mode NodePools, and few knobs remain (no warm targets, custom networking, conntrack tuning or alternate CNI).',
      ),
      performance: VPC_NATIVE_PERF,
      portability: fact<Support>('no', REFS.autoMode, 'An AWS-managed mode: nothing of it runs off AWS.'),
      controlPlaneReachesPods: VPC_REACHABLE,
    },
    caveats: [
      'No alternate CNI or policy plugin, no ENIConfig custom networking, no classic security groups for pods and no warm-pool tuning in Auto Mode.',
      'Auto Mode adds a management fee per instance-hour on top of the EC2 price (see EKS pricing); capacity plans here price the EC2 instances only.',
      (c) => (c.maxPodsPerNode === null ? null : `A ${c.instanceType} runs at most ${c.maxPodsPerNode} pods under Auto Mode (its cap of 110 and the max-pods calculator).`),
    ],
  },
]
