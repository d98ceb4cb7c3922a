import t from 'tap'
import { CNI_OPTIONS, FACT_NAMES, KB_CHECKED, type Fact } from '../../src/domain/cni-options.js'
import { MODES, PLUGINS } from '../../src/domain/types.js'

const CONTRACT_IDS = [
  'aws-vpc-cni-secondary-ip',
  'aws-vpc-cni-prefix-delegation',
  'aws-vpc-cni-custom-networking',
  'aws-vpc-cni-ipv6',
  'calico-vxlan',
  'calico-bgp',
  'cilium-eni',
  'cilium-overlay',
  'weave-net-overlay',
  'flannel-vxlan',
  'aws-vpc-cni-network-policy',
  'aws-vpc-cni-calico-policy',
  'aws-vpc-cni-cilium-chaining',
  // Added December 2026 (CONTRACT.md "Additions").
  'aws-vpc-cni-custom-networking-prefix-delegation',
  'eks-auto-mode',
  'calico-ebpf',
  'antrea-encap',
]

const byId = (id: string) => {
  const o = CNI_OPTIONS.find((x) => x.id === id)
  if (!o) throw new Error(`${id} missing`)
  return o
}

t.test('every option of the vocabulary is there, once, with a well-formed id', async (t) => {
  t.same([...CNI_OPTIONS.map((o) => o.id)].sort(), [...CONTRACT_IDS].sort())
  for (const o of CNI_OPTIONS) {
    t.ok((PLUGINS as readonly string[]).includes(o.plugin), `${o.id}: plugin ${o.plugin} is a contract plugin`)
    t.equal(o.id, `${o.plugin}-${o.variant}`, `${o.id} = <plugin>-<variant>`)
    t.ok((MODES as readonly string[]).includes(o.densityMode), `${o.id}: density mode ${o.densityMode}`)
    t.ok(o.densityModeWhy.length > 10, `${o.id} says why it follows ${o.densityMode}`)
    t.ok(o.name.length > 0 && o.description.length > 20, `${o.id} has a name and a description`)
  }
})

t.test('every fact of every option has a value, a note, an https URL and the same checked date', async (t) => {
  t.match(KB_CHECKED, /^\d{4}-\d{2}$/)
  for (const o of CNI_OPTIONS) {
    t.same(Object.keys(o.facts).sort(), [...FACT_NAMES].sort(), `${o.id} has every fact`)
    for (const name of FACT_NAMES) {
      const fact = o.facts[name] as Fact<unknown>
      t.not(fact.value, undefined, `${o.id}.${name} has a value`)
      t.ok(fact.note.length > 5, `${o.id}.${name} has a note`)
      t.ok(new URL(fact.ref).protocol === 'https:', `${o.id}.${name} cites an https URL`)
      t.equal(fact.checked, KB_CHECKED, `${o.id}.${name} checked ${KB_CHECKED}`)
    }
  }
})

t.test('operational complexity is an ordinal 1-10 following cni-options.md §6', async (t) => {
  const ops = (id: string) => byId(id).facts.operationalComplexity.value
  for (const o of CNI_OPTIONS) {
    const v = o.facts.operationalComplexity.value
    t.ok(Number.isInteger(v) && v >= 1 && v <= 10, `${o.id}: ${v}`)
  }
  // V1 < V2 ≤ V6 < V4 < V7 < V3 < V8 = C1 = S1 = S2
  t.ok(ops('aws-vpc-cni-secondary-ip') < ops('aws-vpc-cni-prefix-delegation'))
  t.ok(ops('aws-vpc-cni-prefix-delegation') <= ops('aws-vpc-cni-network-policy'))
  t.ok(ops('aws-vpc-cni-network-policy') < ops('aws-vpc-cni-ipv6'))
  t.ok(ops('aws-vpc-cni-ipv6') < ops('aws-vpc-cni-calico-policy'))
  t.ok(ops('aws-vpc-cni-calico-policy') < ops('aws-vpc-cni-custom-networking'))
  t.ok(ops('aws-vpc-cni-custom-networking') < ops('aws-vpc-cni-cilium-chaining'))
  t.equal(ops('calico-vxlan'), ops('cilium-eni'))
  t.equal(ops('cilium-eni'), ops('cilium-overlay'))
  // Auto Mode is the least day-2 work after the plain default (§6: AM < V1/V2), but a cluster-level move.
  t.ok(ops('eks-auto-mode') <= ops('aws-vpc-cni-prefix-delegation'))
})

t.test('key facts match the notes', async (t) => {
  // Multicast: Cilium's overlay and Antrea encap (beta, cni-options.md §2 S2 and A) and Weave; never a VPC CNI configuration.
  for (const o of CNI_OPTIONS) {
    const expected = o.id === 'cilium-overlay' || o.id === 'antrea-encap' ? 'beta' : o.id === 'weave-net-overlay' ? 'yes' : 'none'
    t.equal(o.facts.multicast.value, expected, `${o.id} multicast`)
  }
  // Fargate pods cannot reach overlay addresses: every overlay is out; the VPC-addressed options stay, the
  // policy engines with a caveat that they do not enforce on Fargate pods (DOMAIN.md, corrected).
  const fargate = CNI_OPTIONS.filter((o) => o.facts.fargate.value === 'no').map((o) => o.id).sort()
  t.same(fargate, CNI_OPTIONS.filter((o) => o.facts.podIpSource.value === 'cluster-cidr').map((o) => o.id).sort(), 'blocked on Fargate = the overlays')
  for (const id of ['aws-vpc-cni-network-policy', 'aws-vpc-cni-calico-policy', 'aws-vpc-cni-cilium-chaining']) {
    t.equal(byId(id).facts.fargate.value, 'partial', `${id} on Fargate`)
    t.match(byId(id).facts.fargate.note, /Fargate pods/)
  }
  // Plain VPC CNI modes enforce no policy (the agent is off by default); plain Flannel neither.
  for (const id of ['aws-vpc-cni-secondary-ip', 'aws-vpc-cni-prefix-delegation', 'aws-vpc-cni-custom-networking', 'aws-vpc-cni-ipv6', 'flannel-vxlan']) {
    t.equal(byId(id).facts.networkPolicy.value, 'none', `${id} policy`)
  }
  t.equal(byId('aws-vpc-cni-network-policy').facts.networkPolicy.value, 'basic')
  t.equal(byId('cilium-eni').facts.networkPolicy.value, 'l7')
  // VPC CNI has no encryption of its own; Calico policy-only brings WireGuard.
  t.same(byId('aws-vpc-cni-secondary-ip').facts.encryption.value.methods, [])
  t.same(byId('aws-vpc-cni-calico-policy').facts.encryption.value.methods, ['wireguard'])
  // Overlays hide pod IPs from flow logs; VPC-addressed options show them.
  for (const o of CNI_OPTIONS) {
    const overlay = o.facts.podIpSource.value === 'cluster-cidr'
    t.equal(o.facts.podIpsVisibleInVpc.value === 'yes', !overlay, `${o.id} flow-log visibility`)
    t.equal(o.densityMode === 'overlay', overlay, `${o.id} overlay density follows the cluster CIDR`)
  }
  // Weave: unmaintained since its January 2021 release.
  const weave = byId('weave-net-overlay').facts.maintenance.value
  t.equal(weave.status, 'unmaintained')
  t.equal(weave.latestRelease, 'v2.8.1')
  t.equal(weave.releasedAt, '2021-01')
  t.equal(CNI_OPTIONS.filter((o) => o.facts.maintenance.value.status === 'unmaintained').length, 1)
  // Windows: the VPC CNI (secondary IP, PD) and Calico only as its policy engine (EKS windows-support;
  // tigera/docs windows-calico/requirements): not Calico VXLAN, not Cilium, not Auto Mode.
  const windows = CNI_OPTIONS.filter((o) => o.facts.windows.value !== 'no').map((o) => o.id).sort()
  t.same(windows, ['aws-vpc-cni-calico-policy', 'aws-vpc-cni-prefix-delegation', 'aws-vpc-cni-secondary-ip'])
  // Cilium ENI follows secondary IPs (its IPAM default); the policy add-ons on VPC CNI follow prefix
  // delegation where the type has it and secondary IPs where it does not (Xen).
  t.equal(byId('cilium-eni').densityMode, 'secondary-ip')
  for (const id of ['aws-vpc-cni-network-policy', 'aws-vpc-cni-calico-policy', 'aws-vpc-cni-cilium-chaining', 'eks-auto-mode']) {
    t.equal(byId(id).densityMode, 'prefix-delegation')
    t.equal(byId(id).fallbackMode, 'secondary-ip')
  }
  // Calico BGP is encapsulated across AZs on EKS (per-AZ subnets): it scores as an overlay.
  t.equal(byId('calico-bgp').facts.performance.value, 'overlay')
  // Auto Mode caps pods at 110 and has no Windows, no classic SGP (DOMAIN.md "EKS Auto Mode").
  t.equal(byId('eks-auto-mode').maxPodsCap?.value, 110)
  t.equal(byId('eks-auto-mode').facts.securityGroupsForPods.value, 'no')
  t.equal(byId('eks-auto-mode').facts.windows.value, 'no')
  // Stale claims corrected: "~15 idle" under PD, Cilium strict mode in 1.19.
  t.match(byId('aws-vpc-cni-prefix-delegation').facts.podIpSource.note, /16-31 idle/)
  t.match(byId('cilium-eni').facts.encryption.note, /1\.14/)
  t.notMatch(JSON.stringify(CNI_OPTIONS), /~15 idle/)
})

t.test('chained options belong to the VPC CNI plugin', async (t) => {
  for (const variant of ['network-policy', 'calico-policy', 'cilium-chaining']) {
    t.equal(byId(`aws-vpc-cni-${variant}`).plugin, 'aws-vpc-cni')
  }
})
