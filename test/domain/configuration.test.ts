// Ready-to-apply configuration (issue 21): every option's files parse, say what they set and why, set the
// max pods this service computes, and validate where a schema is at hand offline.
import t, { type Test } from 'tap'
import { Ajv } from 'ajv'
import fc from 'fast-check'
import { parseAllDocuments, parse as parseYaml } from 'yaml'
import { ConfigMap } from 'kubernetes-models/v1'
import { CNI_OPTIONS } from '../../src/domain/cni-options.js'
import { configurationFor, nodeadmDefaultMaxPods, toYaml, type ConfigArtifact, type Configuration, type Json } from '../../src/domain/configuration.js'
import { densityIn, modeChoices } from '../../src/domain/scoring/option-density.js'
import { parseRequirements } from '../../src/answers/inputs.js'
import { recommend, type CatalogView, type ScoredOption } from '../../src/domain/scoring.js'
import type { InstanceType, Requirements } from '../../src/domain/types.js'
import { seed } from './fixtures.js'

const byName = new Map(seed.instanceTypes.map((it) => [it.name, it] as const))
const catalog: CatalogView = { instanceType: (n) => byName.get(n) }
const type = (n: string) => byName.get(n) as InstanceType
const ask = (raw: Record<string, unknown>) => recommend(parseRequirements(raw, { textual: false }), catalog)

/** The documents of an artifact, parsed. */
function docsOf(a: ConfigArtifact): unknown[] {
  if (a.format === 'json') return [JSON.parse(a.content)]
  const docs = parseAllDocuments(a.content)
  for (const d of docs) if (d.errors.length > 0) throw new Error(`${a.filename}: ${d.errors[0]!.message}`)
  return docs.map((d) => d.toJS())
}

/** The value at a dotted path (`a.b[0].c`, `a["x.y"]`). */
function at(doc: unknown, path: string): unknown {
  let node = doc as Record<string | number, unknown> | undefined
  for (const m of path.matchAll(/\["([^"]+)"\]|\[(\d+)\]|([^.[\]]+)/g)) {
    if (node === undefined || node === null) return undefined
    node = node[m[2] !== undefined ? Number(m[2]) : (m[1] ?? m[3])!] as Record<string | number, unknown> | undefined
  }
  return node
}

const shown = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v))

/**
 * The VPC CNI add-on's configuration values, as far as the fragments use them: the shape `aws eks
 * describe-addon-configuration --addon-name vpc-cni` publishes (env and init.env are maps of strings; the
 * policy and Windows switches are "true"/"false" strings at the top level; nothing else at the top level).
 */
const VPC_CNI_ADDON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    env: { type: 'object', additionalProperties: { type: 'string' }, propertyNames: { pattern: '^[A-Z][A-Za-z0-9_]*$' } },
    init: { type: 'object', additionalProperties: false, properties: { env: { type: 'object', additionalProperties: { type: 'string' } } } },
    enableNetworkPolicy: { type: 'string', enum: ['true', 'false'] },
    enableWindowsIpam: { type: 'string', enum: ['true', 'false'] },
    enableWindowsPrefixDelegation: { type: 'string', enum: ['true', 'false'] },
  },
}
const validateAddon = new Ajv({ strict: true }).compile(VPC_CNI_ADDON_SCHEMA)

/** Checks one option's configuration whatever it is; returns the artifacts by id. */
function checkConfiguration(t: Test, o: ScoredOption, c: Configuration): Map<string, ConfigArtifact> {
  const byId = new Map(c.artifacts.map((a) => [a.id, a]))
  t.equal(byId.size, c.artifacts.length, `${o.id}: artifact ids are unique`)
  t.ok(c.summary.length > 0 && c.maxPodsReason.length > 0, `${o.id}: a summary and the max-pods reason`)
  for (const a of c.artifacts) {
    const docs = docsOf(a)
    t.ok(docs.length >= 1, `${o.id} ${a.filename} parses as ${a.format}`)
    t.ok(a.values.length > 0, `${o.id} ${a.filename}: says what it sets`)
    for (const v of a.values) {
      t.ok(v.reason.length > 10, `${o.id} ${a.filename} ${v.path}: has a reason`)
      t.equal(shown(at(docs[0], v.path)), v.value, `${o.id} ${a.filename}: ${v.path} is in the file as listed`)
    }
    t.ok(a.references.length > 0 && a.references.every((r) => r.startsWith('https://')), `${o.id} ${a.filename}: cites its sources`)
    t.ok(a.apply.length > 0, `${o.id} ${a.filename}: says how to apply it`)
    if (a.kind === 'vpc-cni-addon') t.ok(validateAddon(docs[0]), `${o.id}: add-on values fit the add-on schema ${JSON.stringify(validateAddon.errors)}`)
    if ((docs[0] as { kind?: string }).kind === 'ConfigMap') {
      t.doesNotThrow(() => new ConfigMap(docs[0] as ConstructorParameters<typeof ConfigMap>[0]).validate(), `${o.id} ${a.filename}: a valid ConfigMap`)
    }
  }
  t.same(c.references, [...new Set(c.artifacts.flatMap((a) => a.references))].sort())
  return byId
}

t.test('every option that is not blocked carries configuration that parses and says why (m5.large)', async (t) => {
  const r = ask({ instanceTypes: ['m5.large'] })
  t.equal(r.options.length, CNI_OPTIONS.length)
  for (const o of r.options) {
    if (o.verdict === 'blocked') {
      t.equal(o.configuration, null, `${o.id}: blocked, nothing to apply`)
      continue
    }
    t.ok(o.configuration, `${o.id}: has configuration`)
    const c = o.configuration!
    const byId = checkConfiguration(t, o, c)
    if (o.id === 'eks-auto-mode') {
      t.equal(c.maxPods, null, 'Auto Mode sets max pods itself')
      t.equal(at(docsOf(byId.get('eksctl')!)[0], 'autoModeConfig.enabled'), true)
      t.notOk(byId.has('karpenter') || byId.has('nodeadm'), 'no kubelet fragments for Auto Mode')
      continue
    }
    t.equal(c.maxPods, o.density.maxPodsPerNode, `${o.id}: max pods is the option's own density`)
    t.equal(at(docsOf(byId.get('eksctl')!)[0], 'managedNodeGroups[0].maxPodsPerNode'), c.maxPods, `${o.id}: eksctl maxPodsPerNode`)
    t.equal(at(docsOf(byId.get('karpenter')!)[0], 'spec.kubelet.maxPods'), c.maxPods, `${o.id}: EC2NodeClass kubelet.maxPods`)
    const nodeadmSame = nodeadmDefaultMaxPods(type('m5.large')) === c.maxPods
    t.equal(byId.has('nodeadm'), !nodeadmSame, `${o.id}: a NodeConfig exactly where nodeadm's own ${nodeadmDefaultMaxPods(type('m5.large'))} is not ${c.maxPods}`)
    if (byId.has('nodeadm')) t.equal(at(docsOf(byId.get('nodeadm')!)[0], 'spec.kubelet.config.maxPods'), c.maxPods)
    const vpc = o.plugin === 'aws-vpc-cni'
    t.equal(byId.has('vpc-cni-addon'), vpc, `${o.id}: add-on values exactly for the VPC CNI options`)
    if (!vpc) t.equal(at(docsOf(byId.get('eksctl')!)[0], 'addonsConfig.disableDefaultAddons'), true, `${o.id}: the cluster starts without the VPC CNI`)
    const helm = { calico: 'helm-calico', cilium: 'helm-cilium', antrea: 'helm-antrea', flannel: 'helm-flannel' } as Record<string, string>
    if (helm[o.plugin]) t.ok(byId.has(helm[o.plugin]!), `${o.id}: Helm values for ${o.plugin}`)
  }
})

t.test('what each option turns on', async (t) => {
  const r = ask({ instanceTypes: ['m5.large'] })
  const cfg = (id: string) => r.options.find((o) => o.id === id)!.configuration!
  const file = (id: string, artifact: string) => docsOf(cfg(id).artifacts.find((a) => a.id === artifact)!)[0]
  t.equal(at(file('aws-vpc-cni-prefix-delegation', 'vpc-cni-addon'), 'env.ENABLE_PREFIX_DELEGATION'), 'true')
  t.equal(at(file('aws-vpc-cni-secondary-ip', 'vpc-cni-addon'), 'env.ENABLE_PREFIX_DELEGATION'), undefined)
  t.equal(at(file('aws-vpc-cni-custom-networking', 'vpc-cni-addon'), 'env.AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG'), 'true')
  t.equal(at(file('aws-vpc-cni-custom-networking', 'eniconfig'), 'kind'), 'ENIConfig')
  t.equal(at(file('aws-vpc-cni-network-policy', 'vpc-cni-addon'), 'enableNetworkPolicy'), 'true')
  t.equal(at(file('aws-vpc-cni-calico-policy', 'vpc-cni-addon'), 'enableNetworkPolicy'), 'false', 'one policy engine')
  t.equal(at(file('aws-vpc-cni-calico-policy', 'helm-calico'), 'installation.cni.type'), 'AmazonVPC')
  t.equal(at(file('aws-vpc-cni-ipv6', 'eksctl'), 'kubernetesNetworkConfig.ipFamily'), 'IPv6')
  t.equal(at(file('aws-vpc-cni-cilium-chaining', 'helm-cilium'), 'cni.chainingMode'), 'aws-cni')
  t.equal(at(file('cilium-eni', 'helm-cilium'), 'ipam.mode'), 'eni')
  t.equal(at(file('cilium-eni', 'helm-cilium'), 'eni.enabled'), true)
  t.equal(at(file('cilium-overlay', 'helm-cilium'), 'routingMode'), 'tunnel')
  t.equal(at(file('calico-vxlan', 'helm-calico'), 'installation.calicoNetwork.ipPools[0].encapsulation'), 'VXLAN')
  t.equal(at(file('calico-bgp', 'calico-felix'), 'spec.awsSrcDstCheck'), 'Disable')
  t.equal(at(file('calico-ebpf', 'helm-calico'), 'installation.calicoNetwork.linuxDataplane'), 'BPF')
  t.equal(at(file('calico-ebpf', 'calico-api-endpoint'), 'kind'), 'ConfigMap')
  t.notOk((at(file('calico-ebpf', 'eksctl'), 'addons') as Array<{ name: string }>).some((a) => a.name === 'kube-proxy'), 'eBPF replaces kube-proxy')
  t.equal(at(file('antrea-encap', 'helm-antrea'), 'trafficEncapMode'), 'encap')
  t.equal(at(file('flannel-vxlan', 'helm-flannel'), 'flannel.backend'), 'vxlan')
  // eksctl carries the add-on values as the same JSON.
  const eks = file('aws-vpc-cni-prefix-delegation', 'eksctl')
  t.same(JSON.parse(at(eks, 'addons[0].configurationValues') as string), file('aws-vpc-cni-prefix-delegation', 'vpc-cni-addon'))
})

t.test('the needs asked for change the values: encryption, security groups for pods, policy, Windows', async (t) => {
  const r = ask({ instanceTypes: ['m5.large'], encryption: 'preferred', securityGroupsForPods: 'preferred', networkPolicy: 'preferred' })
  const file = (id: string, artifact: string) => {
    const c = r.options.find((o) => o.id === id)!.configuration!
    return docsOf(c.artifacts.find((a) => a.id === artifact)!)[0]
  }
  for (const o of r.options) if (o.configuration) checkConfiguration(t, o, o.configuration)
  t.equal(at(file('aws-vpc-cni-prefix-delegation', 'vpc-cni-addon'), 'env.ENABLE_POD_ENI'), 'true')
  t.equal(at(file('aws-vpc-cni-prefix-delegation', 'vpc-cni-addon'), 'init.env.DISABLE_TCP_EARLY_DEMUX'), 'true')
  t.equal(at(file('aws-vpc-cni-calico-policy', 'vpc-cni-addon'), 'env.POD_SECURITY_GROUP_ENFORCING_MODE'), 'standard')
  t.equal(at(file('cilium-overlay', 'helm-cilium'), 'encryption.type'), 'wireguard')
  t.equal(at(file('calico-vxlan', 'calico-felix'), 'spec.wireguardEnabled'), true)
  t.equal(at(file('antrea-encap', 'helm-antrea'), 'trafficEncryptionMode'), 'wireGuard')
  t.equal(at(file('flannel-vxlan', 'helm-flannel'), 'flannel.backend'), 'wireguard')
  t.equal(at(file('flannel-vxlan', 'helm-flannel'), 'netpol.enabled'), true)
  t.equal(at(file('eks-auto-mode', 'auto-mode-network-policy'), 'data.enable-network-policy-controller'), 'true')

  const w = ask({ instanceTypes: ['m5.large'], windows: true })
  const pd = w.options.find((o) => o.id === 'aws-vpc-cni-prefix-delegation')!
  const addon = docsOf(pd.configuration!.artifacts.find((a) => a.id === 'vpc-cni-addon')!)[0]
  t.equal(at(addon, 'enableWindowsIpam'), 'true')
  t.equal(at(addon, 'enableWindowsPrefixDelegation'), 'true')
  t.ok(validateAddon(addon))
})

t.test('max pods come from the service’s own arithmetic for the types asked; several types take the lowest', async (t) => {
  const big = ask({ instanceTypes: ['c5.18xlarge'] })
  const sec = big.options.find((o) => o.id === 'aws-vpc-cni-secondary-ip')!
  t.equal(sec.configuration!.maxPods, 250, 'the EKS cap above 30 vCPUs')
  t.ok(sec.configuration!.artifacts.some((a) => a.id === 'nodeadm'), 'nodeadm would set 737: it must be told')
  const small = ask({ instanceTypes: ['m5.large'] }).options.find((o) => o.id === 'aws-vpc-cni-secondary-ip')!
  t.notOk(small.configuration!.artifacts.some((a) => a.id === 'nodeadm'), 'm5.large secondary IPs: nodeadm computes the same 29')
  t.match(small.configuration!.maxPodsReason, /nodeadm \(AL2023\) computes the same number/)
  t.match(small.configuration!.maxPodsReason, /m5\.large is the default/, 'says the type was the default')

  const mixed = ask({ instanceTypes: ['m5.large', 'm5.xlarge'] })
  const option = mixed.options.find((o) => o.id === 'aws-vpc-cni-secondary-ip')!
  t.same(option.configuration!.perInstanceType.map((p) => [p.instanceType, p.maxPods]), [['m5.large', 29], ['m5.xlarge', 58]])
  t.equal(option.configuration!.maxPods, 29, 'the lowest, so no node is promised more than its addresses allow')
  t.match(option.configuration!.maxPodsReason, /lowest of the requested types/)
  t.notMatch(option.configuration!.maxPodsReason, /is the default/)
  const eks = docsOf(option.configuration!.artifacts.find((a) => a.id === 'eksctl')!)[0]
  t.same(at(eks, 'managedNodeGroups[0].instanceTypes'), ['m5.large', 'm5.xlarge'])

  // The function on its own, with densities built as the engine builds them.
  const o = CNI_OPTIONS.find((x) => x.id === 'aws-vpc-cni-prefix-delegation')!
  const req = parseRequirements({ instanceTypes: ['m5.large'] }, { textual: false }) as Requirements
  const [mode] = modeChoices(o, req)
  const c = configurationFor(o, req, [{ type: type('m5.large'), density: densityIn(o, type('m5.large'), mode!, req) }])
  t.equal(c.maxPods, 110)
})

t.test('weave is blocked (unmaintained); asked directly it gives steps, no files', async (t) => {
  const weave = CNI_OPTIONS.find((x) => x.id === 'weave-net-overlay')!
  const req = parseRequirements({}, { textual: false })
  const c = configurationFor(weave, req, [{ type: type('m5.large'), density: densityIn(weave, type('m5.large'), 'overlay', req) }])
  t.same(c.artifacts, [])
  t.match(c.summary, /unmaintained/)
})

t.test('the YAML writer: whatever the strings, the file reads back as the data', async (t) => {
  const tricky = ['true', 'no', 'null', '~', '10', '1e3', '0x1F', '', ' lead', 'a: b', '#c', '- d', '[e]', '{f}', '"g"', "'h'", 'i\nj', 'k\\l', 'ü', '@m', '*n', '&o', '!p', '%q', '>r', '|s', 'eth+', 'al2023@latest']
  const data: Json = { list: tricky, map: Object.fromEntries(tricky.filter((s) => s !== '').map((s, i) => [s, i])), nested: [{ a: [1, { b: true }] }, [], {}] as Json[], n: -1.5, z: null }
  t.same(parseYaml(toYaml(data)), data)
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 3 }))), (d) => {
      const back = parseYaml(toYaml(d)) ?? {}
      return JSON.stringify(back) === JSON.stringify(d)
    }),
    { numRuns: 300 },
  )
  t.equal(parseAllDocuments(toYaml({ a: 1 }, { b: 2 })).length, 2, 'documents separated by ---')
})
