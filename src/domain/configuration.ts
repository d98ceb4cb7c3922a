// Ready-to-apply configuration for a CNI option: what a platform team writes by hand once the advisor has
// decided. Each artifact is a file (JSON or YAML) with every value it sets and why, and the command that
// applies it. Pure: the option, the request and the option's own max-pods numbers in, text out.
//
// Sources, per artifact (also in each artifact's `references`):
// - VPC CNI add-on values: `aws eks create-addon --addon-name vpc-cni --configuration-values`, checked by
//   EKS against `aws eks describe-addon-configuration` (EKS CreateAddon API); the variables are the
//   amazon-vpc-cni-k8s README's (env values are strings; enableNetworkPolicy, enableWindowsIpam and
//   enableWindowsPrefixDelegation sit at the top level, init.env is the init container's).
// - eksctl ClusterConfig (eksctl.io/v1alpha5): managedNodeGroups[].maxPodsPerNode (NodeGroupBase),
//   addons[].configurationValues, addonsConfig.disableDefaultAddons, autoModeConfig, kubernetesNetworkConfig.
// - Karpenter v1 EC2NodeClass (karpenter.k8s.aws/v1): spec.kubelet.maxPods. Karpenter computes ENI-limited
//   pods itself, with no prefix-delegation or custom-networking logic and no 110/250 cap (DOMAIN aws-limits §4).
// - nodeadm NodeConfig (node.eks.aws/v1alpha1, AL2023): spec.kubelet.config.maxPods. nodeadm's default is
//   ENIs × (IPv4 per ENI − 1) + 2 with no cap and no prefix or custom-networking logic (aws-limits §2), so
//   it must be told wherever the right number differs.
// - Helm values: Calico's tigera-operator chart (`installation:` is the Installation spec, tigera/docs eks.mdx),
//   Cilium (Documentation/installation/k8s-install-helm.rst ENI mode, cni-chaining-aws-cni.rst, routing.rst),
//   Antrea (build/charts/antrea/values.yaml), Flannel (chart/kube-flannel/values.yaml).
import type { CniOption } from './cni-options.js'
import { usesPrefixes, type MaxPodsResult } from './density.js'
import type { InstanceType, Requirements } from './types.js'

/** One value an artifact sets: where (a dotted path into the file), what, and why. */
export interface ConfigValue {
  path: string
  /** The value as the file holds it (JSON text for a number or boolean, the string itself otherwise). */
  value: string
  reason: string
}

export type ArtifactKind = 'vpc-cni-addon' | 'eksctl' | 'karpenter' | 'nodeadm' | 'helm' | 'manifest'

/** One file to apply. */
export interface ConfigArtifact {
  id: string
  kind: ArtifactKind
  title: string
  format: 'json' | 'yaml'
  filename: string
  /** The command that applies it (placeholders in CAPITALS or my-cluster). */
  apply: string
  /** The file itself: JSON or YAML that parses. */
  content: string
  values: ConfigValue[]
  references: string[]
}

/** The kubelet max pods for one requested type, as this service works it out, and what nodeadm would set by itself. */
export interface NodeMaxPods {
  instanceType: string
  mode: string
  /** recommendedMaxPods of the option's density on the type (null: the mode cannot run there). */
  maxPods: number | null
  /** nodeadm's own value: ENIs × (IPv4 per ENI − 1) + 2. */
  nodeadmDefault: number
  formula: string
}

export interface Configuration {
  summary: string
  /** The max pods the fragments set: the lowest over the requested types that run the option; null when none does or it does not apply. */
  maxPods: number | null
  maxPodsReason: string
  perInstanceType: NodeMaxPods[]
  /** What to do, in order. */
  steps: string[]
  artifacts: ConfigArtifact[]
  references: string[]
}

/** Placeholders the fragments use; the reason of each says so. */
export const CLUSTER_PLACEHOLDER = 'my-cluster'
/** An overlay pod CIDR outside the usual VPC ranges (it must not overlap the VPC or anything it routes to). */
export const OVERLAY_POD_CIDR = '10.244.0.0/16'

const REF = {
  addon: 'https://docs.aws.amazon.com/eks/latest/userguide/vpc-add-on-update.html',
  createAddon: 'https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAddon.html',
  vpcCniReadme: 'https://github.com/aws/amazon-vpc-cni-k8s/blob/master/README.md',
  prefix: 'https://docs.aws.amazon.com/eks/latest/userguide/cni-increase-ip-addresses.html',
  customNetworking: 'https://docs.aws.amazon.com/eks/latest/userguide/cni-custom-network.html',
  ipv6: 'https://docs.aws.amazon.com/eks/latest/userguide/cni-ipv6.html',
  sgp: 'https://docs.aws.amazon.com/eks/latest/userguide/security-groups-for-pods.html',
  networkPolicy: 'https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html',
  windows: 'https://docs.aws.amazon.com/eks/latest/userguide/windows-support.html',
  eksctlSchema: 'https://eksctl.io/usage/schema/',
  eksctlAddons: 'https://eksctl.io/usage/addons/',
  eksctlAutoMode: 'https://eksctl.io/usage/auto-mode/',
  karpenterNodeClass: 'https://karpenter.sh/docs/concepts/nodeclasses/',
  nodeadm: 'https://awslabs.github.io/amazon-eks-ami/nodeadm/doc/api/',
  nodeadmMaxPods: 'https://github.com/awslabs/amazon-eks-ami/blob/main/nodeadm/internal/kubelet/eni_max_pods.go',
  calicoEks: 'https://github.com/tigera/docs/blob/main/calico/getting-started/kubernetes/managed-public-cloud/eks.mdx',
  calicoEbpf: 'https://github.com/tigera/docs/blob/main/calico/operations/ebpf/enabling-ebpf.mdx',
  calicoFaq: 'https://github.com/tigera/docs/blob/main/calico/reference/faq.mdx',
  calicoWireguard: 'https://github.com/tigera/docs/blob/main/calico/network-policy/encrypt-cluster-pod-traffic.mdx',
  ciliumHelm: 'https://github.com/cilium/cilium/blob/main/Documentation/installation/k8s-install-helm.rst',
  ciliumEni: 'https://github.com/cilium/cilium/blob/main/Documentation/network/concepts/ipam/eni.rst',
  ciliumRouting: 'https://github.com/cilium/cilium/blob/main/Documentation/network/concepts/routing.rst',
  ciliumChaining: 'https://github.com/cilium/cilium/blob/main/Documentation/installation/cni-chaining-aws-cni.rst',
  ciliumWireguard: 'https://github.com/cilium/cilium/blob/main/Documentation/security/network/encryption-wireguard.rst',
  antreaValues: 'https://github.com/antrea-io/antrea/blob/main/build/charts/antrea/values.yaml',
  antreaEncryption: 'https://github.com/antrea-io/antrea/blob/main/docs/traffic-encryption.md',
  flannelValues: 'https://github.com/flannel-io/flannel/blob/master/chart/kube-flannel/values.yaml',
  flannelBackends: 'https://github.com/flannel-io/flannel/blob/master/Documentation/backends.md',
  autoModeNetworkPolicy: 'https://docs.aws.amazon.com/eks/latest/userguide/auto-net-pol.html',
  autoModeNetworking: 'https://docs.aws.amazon.com/eks/latest/userguide/auto-networking.html',
  weave: 'https://github.com/weaveworks/weave',
} as const

// ---------------------------------------------------------------------------------------------
// Serialising: JSON, and a small YAML writer (block style; strings quoted whenever a plain scalar could be
// read as something else). Every file is checked by parsing it back in the tests.
// ---------------------------------------------------------------------------------------------

/** Plain data, as JSON and YAML hold it. */
export type Json = string | number | boolean | null | Json[] | { [k: string]: Json }

const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./@+-]*$/
const YAML_WORDS = /^(true|false|yes|no|on|off|null|y|n|~)$/i

function scalar(v: Exclude<Json, Json[] | { [k: string]: Json }>): string {
  if (typeof v === 'string') return PLAIN.test(v) && !YAML_WORDS.test(v) ? v : JSON.stringify(v)
  return JSON.stringify(v)
}
/** Keys and paths are the code's own literals (a few hundred): each is read once, then looked up. */
const MEMO_LIMIT = 1024
function remembered<T>(memo: Map<string, T>, k: string, make: (k: string) => T): T {
  let v = memo.get(k)
  if (v === undefined) {
    v = make(k)
    if (memo.size < MEMO_LIMIT) memo.set(k, v)
  }
  return v
}
const keys = new Map<string, string>()
const key = (k: string): string => remembered(keys, k, (k) => (PLAIN.test(k) && !YAML_WORDS.test(k) ? k : JSON.stringify(k)))

const isEmpty = (v: Json[] | { [k: string]: Json }): boolean => (Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0)

/** Appends the lines of `v` at `indent` to `out` (one array for the whole file: no per-level copies). */
function yamlLines(v: Json, indent: string, out: string[]): void {
  if (Array.isArray(v)) {
    if (v.length === 0) out.push(`${indent}[]`)
    for (const item of v) {
      if (item !== null && typeof item === 'object') {
        // The item's first line carries the dash: "- key: value", its other lines indented under it.
        const first = out.length
        yamlLines(item, `${indent}  `, out)
        out[first] = `${indent}- ${out[first]!.slice(indent.length + 2)}`
      } else {
        out.push(`${indent}- ${scalar(item)}`)
      }
    }
    return
  }
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v)
    if (entries.length === 0) out.push(`${indent}{}`)
    for (const [k, val] of entries) {
      if (val !== null && typeof val === 'object' && !isEmpty(val)) {
        out.push(`${indent}${key(k)}:`)
        yamlLines(val, Array.isArray(val) ? indent : `${indent}  `, out)
      } else {
        out.push(`${indent}${key(k)}: ${val !== null && typeof val === 'object' ? (Array.isArray(val) ? '[]' : '{}') : scalar(val)}`)
      }
    }
    return
  }
  out.push(`${indent}${scalar(v)}`)
}

/** YAML for plain data; several documents are separated by `---`. */
export function toYaml(...docs: Json[]): string {
  return (
    docs
      .map((d) => {
        const out: string[] = []
        yamlLines(d, '', out)
        return out.join('\n')
      })
      .join('\n---\n') + '\n'
  )
}

/** `a.b[0].c` (or `a["x.y"]` for a key with dots) as its parts: names, and numbers for list indexes. */
const paths = new Map<string, ReadonlyArray<string | number>>()
const PATH_PART = /\["([^"]+)"\]|\[(\d+)\]|([^.[\]]+)/g
const partsOf = (path: string): ReadonlyArray<string | number> =>
  remembered(paths, path, (path) => [...path.matchAll(PATH_PART)].map((m) => (m[2] !== undefined ? Number(m[2]) : (m[1] ?? m[3])!)))

/** Sets `a.b[0].c` (or `a["x.y"]` for a key with dots) in a plain object, making what is missing. */
function setPath(root: { [k: string]: Json }, path: string, value: Json): void {
  const parts = partsOf(path)
  let node = root as Record<string | number, Json>
  const last = parts.length - 1
  for (let i = 0; i < last; i++) {
    const part = parts[i]!
    const existing = node[part]
    if (existing === undefined || existing === null || typeof existing !== 'object') node[part] = typeof parts[i + 1] === 'number' ? [] : {}
    node = node[part] as Record<string | number, Json>
  }
  node[parts[last]!] = value
}

/** Collects the values of one file with their reasons; the file is built from exactly these. */
class FileBuilder {
  /** A Kubernetes-style document: its apiVersion and kind first. */
  static manifest(apiVersion: string, kind: string): FileBuilder {
    return new FileBuilder().put('apiVersion', apiVersion).put('kind', kind)
  }
  /** A ConfigMap with a fixed name and namespace (the data keys are what the caller sets). */
  static configMap(name: string, namespace: string): FileBuilder {
    return FileBuilder.manifest('v1', 'ConfigMap').put('metadata.name', name).put('metadata.namespace', namespace)
  }
  readonly data: { [k: string]: Json } = {}
  readonly values: ConfigValue[] = []
  set(path: string, value: Json, reason: string): this {
    setPath(this.data, path, value)
    this.values.push({ path, value: typeof value === 'string' ? value : JSON.stringify(value), reason })
    return this
  }
  /** Boilerplate the schema requires (apiVersion, kind, fixed names): in the file, not in `values`. */
  put(path: string, value: Json): this {
    setPath(this.data, path, value)
    return this
  }
}

// ---------------------------------------------------------------------------------------------
// The numbers: max pods per requested type
// ---------------------------------------------------------------------------------------------

/** nodeadm's default max pods (AL2023): E × (I − 1) + 2, no cap, no prefix or custom-networking logic. */
export function nodeadmDefaultMaxPods(it: InstanceType): number {
  return it.maxEnis * (it.ipv4PerEni - 1) + 2
}

export interface OptionNode {
  type: InstanceType
  density: MaxPodsResult
}

function maxPodsOf(nodes: readonly OptionNode[]): { perType: NodeMaxPods[]; value: number | null; reason: string } {
  const perType = nodes.map(({ type, density }) => ({
    instanceType: type.name,
    mode: density.mode,
    maxPods: density.supported ? density.recommendedMaxPods : null,
    nodeadmDefault: nodeadmDefaultMaxPods(type),
    formula: density.formula,
  }))
  const running = perType.filter((p) => p.maxPods !== null)
  if (running.length === 0) {
    return { perType, value: null, reason: `The option's mode cannot run on ${perType.map((p) => p.instanceType).join(', ')}: no max pods to set.` }
  }
  const value = Math.min(...running.map((p) => p.maxPods as number))
  const first = running[0]!
  const each = running.map((p) => `${p.instanceType} ${p.maxPods}`).join(', ')
  const reason =
    running.length === 1
      ? `This service's max pods for ${first.instanceType} in ${first.mode} mode: ${first.formula}.`
      : `The lowest of the requested types (${each}), so that no node of a mixed group is promised more pods than its addresses allow; per type: ${first.formula} (and likewise for the others).`
  return { perType, value, reason }
}

// ---------------------------------------------------------------------------------------------
// The artifacts
// ---------------------------------------------------------------------------------------------

type Want = 'required' | 'preferred' | 'none'
const wants = (level: Want): boolean => level !== 'none'

interface Plan {
  option: CniOption
  req: Requirements
  nodes: readonly OptionNode[]
  maxPods: number | null
  /** The mode the option's pods run in on the first requested type. */
  mode: string
}

const usesVpcCni = (o: CniOption): boolean => o.plugin === 'aws-vpc-cni'
const isOverlay = (o: CniOption): boolean => o.facts.podIpSource.value === 'cluster-cidr'
const addonJson = (data: { [k: string]: Json }): string => JSON.stringify(data, null, 2) + '\n'

/** The VPC CNI add-on's configuration values for an option that runs it. */
function vpcCniAddon(p: Plan): ConfigArtifact {
  const f = new FileBuilder()
  const { option, req } = p
  const prefixes = usesPrefixes(p.mode as Parameters<typeof usesPrefixes>[0])
  if (option.variant === 'ipv6') {
    f.set('env.ENABLE_IPv6', 'true', 'An IPv6 cluster: pods get IPv6 addresses from a /80 per node (EKS sets this itself on a cluster created with ipFamily IPv6; shown so the add-on values match).')
    f.set('env.ENABLE_PREFIX_DELEGATION', 'true', 'IPv6 runs in prefix mode: the VPC CNI needs prefix delegation for it (Nitro types only).')
  } else if (prefixes) {
    f.set(
      'env.ENABLE_PREFIX_DELEGATION',
      'true',
      `Every ENI slot holds a /28 prefix (16 addresses) instead of one address: what lifts ${p.nodes[0]?.type.name ?? 'the type'} to ${p.maxPods ?? 'its'} pods per node (Nitro types only; v1.9.0 and later).`,
    )
    f.set('env.WARM_PREFIX_TARGET', '1', 'One spare /28 per node, the shipped default: pods start without waiting for EC2, at 16-31 idle addresses per node.')
  } else {
    f.set('env.WARM_ENI_TARGET', '1', 'One spare ENI’s worth of addresses per node, the shipped default: new pods start without an EC2 call. Lower it (or set WARM_IP_TARGET) when VPC addresses are scarce.')
  }
  if (option.densityMode === 'custom-networking' || option.densityMode === 'custom-networking-prefix-delegation') {
    f.set('env.AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG', 'true', 'Custom networking: pod ENIs take their subnet and security groups from an ENIConfig, not from the node’s primary ENI.')
    f.set('env.ENI_CONFIG_LABEL_DEF', 'topology.kubernetes.io/zone', 'Each node picks the ENIConfig named after its availability zone, so one ENIConfig per AZ covers every node.')
  }
  if (option.variant === 'network-policy') {
    f.set('enableNetworkPolicy', 'true', 'Turns on the network policy agent the add-on ships (off by default): Kubernetes NetworkPolicy enforced in eBPF on each node.')
  }
  if (option.variant === 'calico-policy') {
    f.set('enableNetworkPolicy', 'false', 'One policy engine per cluster: Calico enforces policy here, so the VPC CNI’s own agent stays off (Tigera’s EKS guide requires it disabled).')
    f.set('env.ANNOTATE_POD_IP', 'true', 'Calico learns pod IPs from a pod annotation at once instead of waiting for the pod status (Tigera’s EKS guide).')
  }
  if (wants(req.securityGroupsForPods) && option.facts.securityGroupsForPods.value !== 'no') {
    f.set('env.ENABLE_POD_ENI', 'true', 'Security groups for pods: the VPC resource controller attaches a trunk ENI and gives pods branch ENIs with their own security groups (Nitro, not the t family).')
    f.set('init.env.DISABLE_TCP_EARLY_DEMUX', 'true', 'With branch ENIs, kubelet TCP probes to pods need early demux off, or they fail (the SG-for-pods guide).')
    if (option.variant === 'calico-policy' || option.variant === 'cilium-chaining') {
      f.set('env.POD_SECURITY_GROUP_ENFORCING_MODE', 'standard', 'Standard mode keeps pod traffic on the node’s path, so the Calico or Cilium policy also applies to pods with their own security groups (strict mode bypasses it).')
    }
  }
  if (req.windows && option.facts.windows.value !== 'no') {
    f.set('enableWindowsIpam', 'true', 'Windows nodes: the VPC resource controller hands their pods the ENI’s secondary addresses.')
    if (prefixes) f.set('enableWindowsPrefixDelegation', 'true', 'Prefix delegation on Windows nodes too (the Windows setting is separate from ENABLE_PREFIX_DELEGATION).')
  }
  return {
    id: 'vpc-cni-addon',
    kind: 'vpc-cni-addon',
    title: 'Amazon VPC CNI add-on configuration values',
    format: 'json',
    filename: 'vpc-cni-values.json',
    apply: `aws eks create-addon --cluster-name ${CLUSTER_PLACEHOLDER} --addon-name vpc-cni --configuration-values file://vpc-cni-values.json --region ${req.region} (or update-addon on an existing cluster)`,
    content: addonJson(f.data),
    values: f.values,
    references: [REF.addon, REF.createAddon, REF.vpcCniReadme, ...(prefixes ? [REF.prefix] : []), ...(f.values.some((v) => v.path.includes('CUSTOM_NETWORK')) ? [REF.customNetworking] : [])],
  }
}

/** ENIConfig for one AZ (custom networking): the pod subnet and security groups are the team's own. */
function eniConfig(p: Plan): ConfigArtifact {
  const zone = `${p.req.region}a`
  const f = FileBuilder.manifest('crd.k8s.amazonaws.com/v1alpha1', 'ENIConfig')
  f.set('metadata.name', zone, 'Named after the zone, as ENI_CONFIG_LABEL_DEF=topology.kubernetes.io/zone looks it up (one per AZ: repeat for the others).')
  f.set('spec.subnet', 'subnet-POD_SUBNET_ID', 'Placeholder: a pod subnet in this AZ, usually from a 100.64.0.0/10 secondary CIDR of the cluster’s VPC.')
  f.set('spec.securityGroups', ['sg-POD_SECURITY_GROUP_ID'], 'Placeholder: the security groups the pod ENIs get (the cluster security group at least).')
  return {
    id: 'eniconfig',
    kind: 'manifest',
    title: `ENIConfig for ${zone} (custom networking; one per AZ)`,
    format: 'yaml',
    filename: `eniconfig-${zone}.yaml`,
    apply: `kubectl apply -f eniconfig-${zone}.yaml`,
    content: toYaml(f.data),
    values: f.values,
    references: [REF.customNetworking],
  }
}

function eksctl(p: Plan, addon: ConfigArtifact | null): ConfigArtifact {
  const { option, req } = p
  const f = FileBuilder.manifest('eksctl.io/v1alpha5', 'ClusterConfig')
  f.set('metadata.name', CLUSTER_PLACEHOLDER, 'Placeholder: your cluster’s name.')
  f.set('metadata.region', req.region, 'The region the question is about.')
  if (option.id === 'eks-auto-mode') {
    f.set('autoModeConfig.enabled', true, 'EKS Auto Mode: AWS runs the nodes and their networking (prefix delegation, max pods and the policy agent are its own; there is no node group or max pods to set).')
  } else {
    if (option.variant === 'ipv6') {
      f.set('kubernetesNetworkConfig.ipFamily', 'IPv6', 'The IP family is chosen when the cluster is created and cannot change.')
      f.set('iam.withOIDC', true, 'eksctl requires an OIDC provider for IPv6 clusters (the VPC CNI then runs with IRSA).')
    }
    let i = 0
    if (isOverlay(option) || option.plugin === 'cilium') {
      f.set('addonsConfig.disableDefaultAddons', true, 'The cluster starts without the VPC CNI (and kube-proxy and CoreDNS, added back below): the CNI installed with Helm is the only one.')
      f.set(`addons[${i++}].name`, 'coredns', 'Added back: cluster DNS (it schedules once the CNI runs).')
      if (option.id !== 'calico-ebpf') f.set(`addons[${i++}].name`, 'kube-proxy', 'Added back: Service routing (the CNI here does not replace kube-proxy).')
    } else if (addon !== null) {
      f.set(`addons[${i}].name`, 'vpc-cni', 'The managed VPC CNI add-on.')
      f.set(`addons[${i++}].configurationValues`, JSON.stringify(JSON.parse(addon.content)), 'The add-on values (the vpc-cni-values.json artifact), as eksctl passes them to the add-on.')
      if (option.variant === 'ipv6') {
        f.set(`addons[${i++}].name`, 'coredns', 'eksctl requires the coredns add-on for IPv6 clusters.')
        f.set(`addons[${i++}].name`, 'kube-proxy', 'eksctl requires the kube-proxy add-on for IPv6 clusters.')
      }
    }
    f.set('managedNodeGroups[0].name', 'workers', 'Placeholder: the node group’s name.')
    f.set('managedNodeGroups[0].amiFamily', 'AmazonLinux2023', 'AL2023 nodes (nodeadm); AL2 is no longer updated.')
    f.set('managedNodeGroups[0].instanceTypes', p.nodes.filter((n) => n.density.supported).map((n) => n.type.name), 'The requested types the option runs on.')
    if (p.maxPods !== null) {
      f.set('managedNodeGroups[0].maxPodsPerNode', p.maxPods, maxPodsWhy(p, 'eksctl passes it to the kubelet on every node of the group'))
    }
  }
  return {
    id: 'eksctl',
    kind: 'eksctl',
    title: 'eksctl ClusterConfig',
    format: 'yaml',
    filename: 'cluster.yaml',
    apply: 'eksctl create cluster -f cluster.yaml (or eksctl create nodegroup -f cluster.yaml for an existing cluster)',
    content: toYaml(f.data),
    values: f.values,
    references: [REF.eksctlSchema, ...(option.id === 'eks-auto-mode' ? [REF.eksctlAutoMode] : [REF.eksctlAddons])],
  }
}

/** Why the fragment sets max pods: short, since maxPodsReason has the arithmetic. */
function maxPodsWhy(p: Plan, how: string): string {
  const running = p.nodes.filter((n) => n.density.supported)
  const defaults = running.map((n) => `${n.type.name} ${nodeadmDefaultMaxPods(n.type)}`).join(', ')
  return `${how}: this service’s max pods for the option (see maxPodsReason). Left alone, nodeadm and Karpenter set ENIs × (IPv4 per ENI − 1) + 2 (${defaults}), blind to prefixes, custom networking, overlays and the EKS cap.`
}

function karpenter(p: Plan): ConfigArtifact {
  const f = FileBuilder.manifest('karpenter.k8s.aws/v1', 'EC2NodeClass')
  f.set('metadata.name', 'default', 'Placeholder: the NodeClass your NodePool’s nodeClassRef names.')
  f.set('spec.role', `KarpenterNodeRole-${CLUSTER_PLACEHOLDER}`, 'Placeholder: the IAM role of the nodes.')
  f.put('spec.amiSelectorTerms[0].alias', 'al2023@latest')
  f.set('spec.subnetSelectorTerms[0].tags["karpenter.sh/discovery"]', CLUSTER_PLACEHOLDER, 'Placeholder: the tag your node subnets carry.')
  f.set('spec.securityGroupSelectorTerms[0].tags["karpenter.sh/discovery"]', CLUSTER_PLACEHOLDER, 'Placeholder: the tag your node security groups carry.')
  if (p.maxPods !== null) {
    const reserved =
      p.option.densityMode.startsWith('custom-networking') || wants(p.req.securityGroupsForPods)
        ? ' (Karpenter’s RESERVED_ENIS=1 setting is for the same reason: it keeps kube-reserved memory right with custom networking or a trunk ENI)'
        : ''
    f.set('spec.kubelet.maxPods', p.maxPods, maxPodsWhy(p, `Karpenter sizes nodes and sets the kubelet by this${reserved}`))
  }
  return {
    id: 'karpenter',
    kind: 'karpenter',
    title: 'Karpenter EC2NodeClass (kubelet maxPods)',
    format: 'yaml',
    filename: 'ec2nodeclass.yaml',
    apply: 'kubectl apply -f ec2nodeclass.yaml',
    content: toYaml(f.data),
    values: f.values,
    references: [REF.karpenterNodeClass],
  }
}

function nodeadm(p: Plan): ConfigArtifact {
  const f = FileBuilder.manifest('node.eks.aws/v1alpha1', 'NodeConfig')
  f.set('spec.cluster.name', CLUSTER_PLACEHOLDER, 'Placeholder: your cluster’s name.')
  f.set('spec.cluster.apiServerEndpoint', 'https://API_SERVER_ENDPOINT', 'Placeholder: aws eks describe-cluster --query cluster.endpoint.')
  f.set('spec.cluster.certificateAuthority', 'CERTIFICATE_AUTHORITY_BASE64', 'Placeholder: aws eks describe-cluster --query cluster.certificateAuthority.data.')
  f.set('spec.cluster.cidr', p.option.variant === 'ipv6' ? 'fd00::/108' : '10.100.0.0/16', 'Placeholder: the cluster’s Service CIDR (describe-cluster kubernetesNetworkConfig).')
  f.set('spec.kubelet.config.maxPods', p.maxPods as number, maxPodsWhy(p, 'nodeadm writes it into the kubelet configuration'))
  return {
    id: 'nodeadm',
    kind: 'nodeadm',
    title: 'nodeadm NodeConfig (AL2023 launch template user data)',
    format: 'yaml',
    filename: 'nodeconfig.yaml',
    apply: 'Put it in the launch template’s user data as a MIME part with Content-Type: application/node.eks.aws',
    content: toYaml(f.data),
    values: f.values,
    references: [REF.nodeadm, REF.nodeadmMaxPods],
  }
}

/** nodeadm must be told only where its own E × (I − 1) + 2 is not the right number for some requested type. */
function nodeadmNeeded(p: Plan, perType: readonly NodeMaxPods[]): boolean {
  return p.maxPods !== null && perType.some((t) => t.maxPods !== null && t.nodeadmDefault !== p.maxPods)
}

function calicoHelm(p: Plan): ConfigArtifact[] {
  const { option, req } = p
  const f = new FileBuilder()
  f.set('installation.kubernetesProvider', 'EKS', 'Tells the operator it runs on EKS.')
  if (option.variant === 'calico-policy') {
    f.set('installation.cni.type', 'AmazonVPC', 'The VPC CNI keeps IPAM and routing; Calico enforces policy only.')
    f.set('installation.calicoNetwork.bgp', 'Disabled', 'No Calico routing: the VPC routes pod addresses.')
  } else {
    f.set('installation.cni.type', 'Calico', 'Calico is the CNI (aws-node removed): pods take Calico IPAM addresses, not VPC ones.')
    const bgp = option.variant === 'bgp'
    f.set('installation.calicoNetwork.bgp', bgp ? 'Enabled' : 'Disabled', bgp ? 'Nodes exchange pod routes over BGP.' : 'VXLAN needs no BGP (Tigera’s EKS guide).')
    f.set('installation.calicoNetwork.ipPools[0].cidr', OVERLAY_POD_CIDR, 'The pod address pool: must not overlap the VPC or anything it routes to.')
    f.set(
      'installation.calicoNetwork.ipPools[0].encapsulation',
      bgp ? 'VXLANCrossSubnet' : 'VXLAN',
      bgp ? 'No encapsulation between nodes in one subnet, VXLAN across subnets (the VPC drops pod addresses it does not know).' : 'A VXLAN overlay between nodes.',
    )
    f.set('installation.calicoNetwork.ipPools[0].natOutgoing', 'Enabled', 'Pods reach the VPC and the internet through the node’s address (the VPC does not route the pool).')
    if (option.variant === 'ebpf') {
      f.set('installation.calicoNetwork.linuxDataplane', 'BPF', 'The eBPF data plane: replaces kube-proxy and keeps client source addresses.')
    }
  }
  const out: ConfigArtifact[] = [
    {
      id: 'helm-calico',
      kind: 'helm',
      title: 'Helm values: projectcalico/tigera-operator',
      format: 'yaml',
      filename: 'calico-values.yaml',
      apply: 'helm install calico projectcalico/tigera-operator --namespace tigera-operator --create-namespace -f calico-values.yaml',
      content: toYaml(f.data),
      values: f.values,
      references: [REF.calicoEks, ...(option.variant === 'ebpf' ? [REF.calicoEbpf] : [])],
    },
  ]
  const felix = new FileBuilder()
  if (option.variant === 'bgp') felix.set('spec.awsSrcDstCheck', 'Disable', 'Unencapsulated pod traffic inside a subnet needs the EC2 source/destination check off (Calico FAQ); Felix turns it off on each node.')
  if (wants(req.encryption) && option.facts.encryption.value.methods.includes('wireguard')) {
    felix.set('spec.wireguardEnabled', true, 'Encryption asked for: WireGuard between nodes (UDP 51820 open between them).')
  }
  if (felix.values.length > 0) {
    const doc = FileBuilder.manifest('projectcalico.org/v3', 'FelixConfiguration')
    doc.put('metadata.name', 'default')
    for (const v of felix.values) doc.set(v.path, v.value === 'true' ? true : v.value, v.reason)
    out.push({
      id: 'calico-felix',
      kind: 'manifest',
      title: 'Calico FelixConfiguration',
      format: 'yaml',
      filename: 'felixconfiguration.yaml',
      apply: 'kubectl apply -f felixconfiguration.yaml (with the Calico API server installed, or calicoctl apply -f)',
      content: toYaml(doc.data),
      values: doc.values,
      references: [option.variant === 'bgp' ? REF.calicoFaq : REF.calicoWireguard, ...(option.variant === 'bgp' && felix.values.length > 1 ? [REF.calicoWireguard] : [])],
    })
  }
  if (option.variant === 'ebpf') {
    const cm = FileBuilder.configMap('kubernetes-services-endpoint', 'tigera-operator')
    cm.set('data.KUBERNETES_SERVICE_HOST', 'API_SERVER_HOST', 'Placeholder: the API server’s host name without https:// (describe-cluster endpoint): with kube-proxy gone, Calico must reach the API server directly.')
    cm.set('data.KUBERNETES_SERVICE_PORT', '443', 'The EKS API server port.')
    out.push({
      id: 'calico-api-endpoint',
      kind: 'manifest',
      title: 'ConfigMap kubernetes-services-endpoint (eBPF data plane)',
      format: 'yaml',
      filename: 'kubernetes-services-endpoint.yaml',
      apply: 'kubectl apply -f kubernetes-services-endpoint.yaml (before switching to BPF)',
      content: toYaml(cm.data),
      values: cm.values,
      references: [REF.calicoEbpf],
    })
  }
  return out
}

function ciliumHelm(p: Plan): ConfigArtifact {
  const { option, req } = p
  const f = new FileBuilder()
  const refs: string[] = []
  if (option.variant === 'cilium-chaining') {
    f.set('cni.chainingMode', 'aws-cni', 'Chained after the VPC CNI: it keeps IPAM and devices, Cilium adds eBPF policy and load-balancing.')
    f.set('cni.exclusive', false, 'Leaves the VPC CNI’s configuration in place.')
    f.set('enableIPv4Masquerade', false, 'Pod addresses are VPC addresses: nothing to masquerade.')
    f.set('routingMode', 'native', 'No tunnel: the VPC routes pod addresses.')
    f.set('endpointRoutes.enabled', true, 'Per-endpoint routes, as the chaining guide sets.')
    refs.push(REF.ciliumChaining)
  } else if (option.variant === 'eni') {
    f.set('eni.enabled', true, 'Cilium’s own ENI IPAM: the operator attaches ENIs and hands out VPC addresses (aws-node removed).')
    f.set('ipam.mode', 'eni', 'Pod addresses from ENIs, so max pods follows the ENI arithmetic.')
    f.set('routingMode', 'native', 'No tunnel: the VPC routes pod addresses.')
    f.set('egressMasqueradeInterfaces', 'eth+', 'Traffic leaving the VPC is masqueraded on the node’s interfaces.')
    refs.push(REF.ciliumHelm, REF.ciliumEni)
  } else {
    f.set('routingMode', 'tunnel', 'An overlay between nodes.')
    f.set('tunnelProtocol', 'vxlan', 'VXLAN (UDP 8472 open between nodes).')
    f.set('ipam.mode', 'cluster-pool', 'Pod addresses from Cilium’s own pool, not the VPC.')
    f.set('ipam.operator.clusterPoolIPv4PodCIDRList', [OVERLAY_POD_CIDR], 'The pod pool: must not overlap the VPC or anything it routes to.')
    f.set('ipam.operator.clusterPoolIPv4MaskSize', 24, `A /24 per node: 254 pod addresses, room for ${p.maxPods ?? 'the'} max pods.`)
    refs.push(REF.ciliumRouting)
  }
  f.set('kubeProxyReplacement', false, 'kube-proxy stays (the EKS add-on); set true with k8sServiceHost and k8sServicePort to let Cilium replace it.')
  if (wants(req.encryption) && option.facts.encryption.value.methods.includes('wireguard')) {
    f.set('encryption.enabled', true, 'Encryption asked for: pod traffic between nodes is encrypted.')
    f.set('encryption.type', 'wireguard', 'WireGuard (UDP 51871 open between nodes).')
    if (option.variant === 'cilium-chaining') f.set('cni.enableRouteMTUForCNIChaining', true, 'WireGuard in chaining mode needs the route MTU (Cilium’s WireGuard guide).')
    refs.push(REF.ciliumWireguard)
  }
  return {
    id: 'helm-cilium',
    kind: 'helm',
    title: 'Helm values: cilium/cilium',
    format: 'yaml',
    filename: 'cilium-values.yaml',
    apply: 'helm install cilium cilium/cilium --namespace kube-system -f cilium-values.yaml',
    content: toYaml(f.data),
    values: f.values,
    references: refs,
  }
}

function antreaHelm(p: Plan): ConfigArtifact {
  const f = new FileBuilder()
  f.set('trafficEncapMode', 'encap', 'Antrea is the CNI with an overlay between nodes (aws-node removed).')
  f.set('tunnelType', 'geneve', 'Geneve, Antrea’s default (UDP 6081 open between nodes).')
  f.set('nodeIPAM.enable', true, 'Antrea hands each node a pod CIDR itself (EKS does not).')
  f.set('nodeIPAM.clusterCIDRs', [OVERLAY_POD_CIDR], 'The pod pool: must not overlap the VPC or anything it routes to.')
  f.set('nodeIPAM.nodeCIDRMaskSizeIPv4', 24, `A /24 per node: 254 pod addresses, room for ${p.maxPods ?? 'the'} max pods.`)
  if (wants(p.req.encryption)) f.set('trafficEncryptionMode', 'wireGuard', 'Encryption asked for: WireGuard between nodes (encap mode only).')
  return {
    id: 'helm-antrea',
    kind: 'helm',
    title: 'Helm values: antrea/antrea',
    format: 'yaml',
    filename: 'antrea-values.yaml',
    apply: 'helm install antrea antrea/antrea --namespace kube-system -f antrea-values.yaml',
    content: toYaml(f.data),
    values: f.values,
    references: [REF.antreaValues, ...(wants(p.req.encryption) ? [REF.antreaEncryption] : [])],
  }
}

function flannelHelm(p: Plan): ConfigArtifact {
  const f = new FileBuilder()
  f.set('podCidr', OVERLAY_POD_CIDR, 'The pod pool: must not overlap the VPC or anything it routes to.')
  const encrypt = wants(p.req.encryption)
  f.set('flannel.backend', encrypt ? 'wireguard' : 'vxlan', encrypt ? 'Encryption asked for: the WireGuard backend instead of VXLAN.' : 'VXLAN, Flannel’s recommended backend.')
  if (wants(p.req.networkPolicy)) f.set('netpol.enabled', true, 'NetworkPolicy asked for: Flannel enforces none itself; the chart adds kube-network-policies.')
  return {
    id: 'helm-flannel',
    kind: 'helm',
    title: 'Helm values: flannel/flannel',
    format: 'yaml',
    filename: 'flannel-values.yaml',
    apply: 'helm install flannel flannel/flannel --namespace kube-flannel --create-namespace -f flannel-values.yaml',
    content: toYaml(f.data),
    values: f.values,
    references: [REF.flannelValues, REF.flannelBackends],
  }
}

function autoModePolicy(): ConfigArtifact {
  const f = FileBuilder.configMap('amazon-vpc-cni', 'kube-system')
  f.set('data.enable-network-policy-controller', 'true', 'NetworkPolicy asked for: Auto Mode enforces it only once the controller is enabled here.')
  return {
    id: 'auto-mode-network-policy',
    kind: 'manifest',
    title: 'ConfigMap amazon-vpc-cni (Auto Mode network policy)',
    format: 'yaml',
    filename: 'amazon-vpc-cni-configmap.yaml',
    apply: 'kubectl apply -f amazon-vpc-cni-configmap.yaml',
    content: toYaml(f.data),
    values: f.values,
    references: [REF.autoModeNetworkPolicy],
  }
}

// ---------------------------------------------------------------------------------------------
// Per option
// ---------------------------------------------------------------------------------------------

/**
 * What to apply for an option on the requested instance types. `nodes` are the requested types with the
 * option's own density on each (the numbers the recommendation shows).
 */
export function configurationFor(option: CniOption, req: Requirements, nodes: readonly OptionNode[]): Configuration {
  const mp = maxPodsOf(nodes)
  const p: Plan = { option, req, nodes, maxPods: option.id === 'eks-auto-mode' ? null : mp.value, mode: nodes[0]?.density.mode ?? option.densityMode }
  const steps: string[] = []
  const artifacts: ConfigArtifact[] = []
  let maxPodsReason = mp.reason
  const defaultType = req.instanceTypes.length === 1 && req.instanceTypes[0] === 'm5.large'
  if (defaultType && p.maxPods !== null) maxPodsReason += ' (m5.large is the default: give instanceTypes for your own.)'

  if (option.id === 'eks-auto-mode') {
    maxPodsReason = `Auto Mode sets max pods itself: min(110, the max-pods calculator’s value)${mp.value !== null ? `, ${mp.value} on ${nodes[0]?.type.name}` : ''}; there is nothing to set.`
    steps.push('Create the cluster with Auto Mode on (eksctl autoModeConfig.enabled, or the console); AWS runs the nodes and their networking.')
    artifacts.push(eksctl(p, null))
    if (wants(req.networkPolicy)) {
      steps.push('Enable the network policy controller with the amazon-vpc-cni ConfigMap.')
      artifacts.push(autoModePolicy())
    }
  } else if (option.plugin === 'weave-net') {
    steps.push('Weave Net is unmaintained (archived, no release since January 2021): no configuration is generated; choose another option.')
  } else {
    if (usesVpcCni(option)) {
      const addon = vpcCniAddon(p)
      steps.push('Set the VPC CNI add-on’s configuration values (a new add-on, or update-addon on an existing cluster); nodes started before the change keep the old mode until they are replaced.')
      if (option.densityMode.startsWith('custom-networking')) steps.push('Create one ENIConfig per availability zone, named after the zone, before adding nodes.')
      if (option.variant === 'calico-policy') steps.push('Install the Calico operator with the values below (policy only: the VPC CNI keeps networking).')
      if (option.variant === 'cilium-chaining') steps.push('Install Cilium with the values below, then restart the pods that ran before it so Cilium manages them.')
      artifacts.push(addon)
      if (option.densityMode.startsWith('custom-networking')) artifacts.push(eniConfig(p))
      artifacts.push(eksctl(p, addon))
      if (option.variant === 'calico-policy') artifacts.push(...calicoHelm(p))
      if (option.variant === 'cilium-chaining') artifacts.push(ciliumHelm(p))
    } else {
      steps.push(
        'Create the cluster without the VPC CNI (eksctl addonsConfig.disableDefaultAddons, or delete the aws-node DaemonSet) and install the CNI with the Helm values below before adding nodes.',
      )
      if (isOverlay(option)) steps.push('Run admission webhooks and aggregated API servers with hostNetwork: the EKS control plane cannot reach overlay pod addresses.')
      artifacts.push(eksctl(p, null))
      if (option.plugin === 'calico') artifacts.push(...calicoHelm(p))
      if (option.plugin === 'cilium') artifacts.push(ciliumHelm(p))
      if (option.plugin === 'antrea') artifacts.push(antreaHelm(p))
      if (option.plugin === 'flannel') artifacts.push(flannelHelm(p))
    }
    if (p.maxPods !== null) {
      steps.push(`Give the kubelet max pods ${p.maxPods}: in the node group (eksctl maxPodsPerNode), the Karpenter EC2NodeClass, or nodeadm’s NodeConfig for your own launch template.`)
      artifacts.push(karpenter(p))
      if (nodeadmNeeded(p, mp.perType)) artifacts.push(nodeadm(p))
      else maxPodsReason += ' nodeadm (AL2023) computes the same number by itself, so no NodeConfig is needed for it.'
    }
  }
  const references = [...new Set(artifacts.flatMap((a) => a.references))].sort()
  const summary =
    artifacts.length === 0
      ? steps[0]!
      : `Apply ${artifacts.map((a) => a.title).join('; ')}.${p.maxPods !== null ? ` Max pods ${p.maxPods} per node.` : ''}`
  return { summary, maxPods: p.maxPods, maxPodsReason, perInstanceType: mp.perType, steps, artifacts, references }
}
