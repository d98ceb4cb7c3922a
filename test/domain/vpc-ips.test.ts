import t from 'tap'
import { clusterVpcIps, clusterVpcIpsCounts, nodeVpcIps, nodeVpcIpsCounts, spreadPods, vpcIpsExplanation, type VpcIpsOptions } from '../../src/domain/vpc-ips.js'
import { cidrsOverlap, parseSubnetCidr, subnetBudget, subnetPrefixBlocks } from '../../src/domain/cidr.js'
import { MODES, type InstanceType, type Mode } from '../../src/domain/types.js'
import { seed, seedType, throwsInputError } from './fixtures.js'

const type = seedType


// [type, mode, pods, options, enis, secondaryIps, prefixes, total, podSubnetIps, nodeSubnetIps]
type Case = [string, Mode, number, VpcIpsOptions, number, number, number, number, number, number]
const cases: Case[] = [
  // The VPC CNI docs' WARM_ENI_TARGET=1 examples.
  ['t3.small', 'secondary-ip', 0, {}, 1, 3, 0, 4, 3, 1],
  ['t3.small', 'secondary-ip', 5, {}, 3, 9, 0, 12, 9, 3],
  ['p3dn.24xlarge', 'secondary-ip', 3, {}, 2, 98, 0, 100, 98, 2],
  ['p3dn.24xlarge', 'secondary-ip', 95, {}, 3, 147, 0, 150, 147, 3],
  // DOMAIN.md: idle m5.large 10 addresses, full (27 pods) 30.
  ['m5.large', 'secondary-ip', 0, {}, 1, 9, 0, 10, 9, 1],
  ['m5.large', 'secondary-ip', 27, {}, 3, 27, 0, 30, 27, 3],
  ['m5.large', 'secondary-ip', 9, {}, 2, 18, 0, 20, 18, 2],
  ['m5.large', 'secondary-ip', 0, { warmEniTarget: 0 }, 1, 9, 0, 10, 9, 1],
  ['c5.18xlarge', 'secondary-ip', 0, {}, 1, 49, 0, 50, 49, 1],
  // WARM_IP_TARGET / MINIMUM_IP_TARGET replace the warm ENI (README: 30 + 2 → 32 addresses).
  ['c5.18xlarge', 'secondary-ip', 30, { minimumIpTarget: 30, warmIpTarget: 2 }, 1, 32, 0, 33, 32, 1],
  ['m5.large', 'secondary-ip', 10, { warmIpTarget: 5 }, 2, 15, 0, 17, 15, 2],
  ['m5.large', 'secondary-ip', 25, { warmIpTarget: 5 }, 3, 27, 0, 30, 27, 3],
  ['m5.large', 'secondary-ip', 0, { minimumIpTarget: 0 }, 1, 0, 0, 1, 0, 1],
  // Prefix delegation: ⌈pods ÷ 16⌉ + WARM_PREFIX_TARGET (1) prefixes of 16.
  ['m5.large', 'prefix-delegation', 0, {}, 1, 0, 1, 17, 16, 1],
  ['m5.large', 'prefix-delegation', 20, {}, 1, 0, 3, 49, 48, 1],
  ['m5.large', 'prefix-delegation', 108, {}, 1, 0, 8, 129, 128, 1],
  ['m5.large', 'prefix-delegation', 140, {}, 2, 0, 10, 162, 160, 2],
  ['m5.large', 'prefix-delegation', 20, { warmIpTarget: 1, minimumIpTarget: 40 }, 1, 0, 3, 49, 48, 1],
  ['m5.large', 'prefix-delegation', 20, { warmPrefixTarget: 3 }, 1, 0, 5, 81, 80, 1],
  // Custom networking: pod ENIs in the ENIConfig subnets; the primary ENI's one address in the node subnet.
  ['m5.large', 'custom-networking', 0, {}, 2, 9, 0, 11, 10, 1],
  ['m5.large', 'custom-networking', 18, {}, 3, 18, 0, 21, 20, 1],
  ['m5.large', 'custom-networking', 0, { warmEniTarget: 0 }, 1, 0, 0, 1, 0, 1],
  // IPv6 and overlays: the node's primary IPv4 address only.
  ['m5.large', 'ipv6', 100, {}, 1, 0, 0, 1, 0, 1],
  ['m4.large', 'overlay', 100, {}, 1, 0, 0, 1, 0, 1],
  // Security groups for pods: pool over E − 1 ENIs, trunk primary, one address per branch ENI.
  ['m5.large', 'security-groups-for-pods', 0, {}, 2, 9, 0, 11, 9, 2],
  ['m5.large', 'security-groups-for-pods', 10, { sgPods: 4 }, 3, 18, 0, 25, 22, 3],
  ['m5.large', 'security-groups-for-pods', 27, { sgPods: 9 }, 3, 18, 0, 30, 27, 3],
]
for (const [name, mode, pods, opts, enis, secondaryIps, prefixes, total, podSubnetIps, nodeSubnetIps] of cases) {
  t.test(`${name} ${mode} ${pods} pods ${JSON.stringify(opts)}`, async (t) => {
    const r = nodeVpcIps(type(name), mode, pods, opts)
    t.same({ enis: r.enis, secondaryIps: r.secondaryIps, prefixes: r.prefixes, total: r.total, podSubnetIps: r.podSubnetIps, nodeSubnetIps: r.nodeSubnetIps }, { enis, secondaryIps, prefixes, total, podSubnetIps, nodeSubnetIps })
    t.equal(r.podSubnetIps + r.nodeSubnetIps, r.total)
    t.match(r.formula, String(total))
  })
}

t.test('cluster totals and the even spread', async (t) => {
  t.same(spreadPods(270, 10), [{ pods: 27, nodes: 10 }])
  t.same(spreadPods(10, 3), [{ pods: 4, nodes: 1 }, { pods: 3, nodes: 2 }])
  t.same(spreadPods(10, 3, 2), [{ pods: 6, nodes: 1 }, { pods: 5, nodes: 2 }])
  t.same(spreadPods(2, 5), [{ pods: 1, nodes: 2 }, { pods: 0, nodes: 3 }])
  t.same(spreadPods(0, 4, 1), [{ pods: 1, nodes: 4 }])
  const c = clusterVpcIps(type('m5.large'), 'secondary-ip', spreadPods(270, 10))
  t.same([c.nodes, c.total, c.podSubnetIps, c.nodeSubnetIps], [10, 300, 270, 30])
  const mixed = clusterVpcIps(type('m5.large'), 'secondary-ip', [{ pods: 0, nodes: 1 }, { pods: 27, nodes: 1 }, { pods: 9, nodes: 1 }])
  t.equal(mixed.total, 10 + 30 + 20)
  t.equal(mixed.groups.length, 3)
  t.equal(mixed.groups[1]!.perNode.total, 30)
  const perGroup = clusterVpcIps(type('m5.large'), 'security-groups-for-pods', [{ pods: 20, nodes: 2 }], (p) => ({ sgPods: p - 18 }))
  t.equal(perGroup.total, 2 * nodeVpcIps(type('m5.large'), 'security-groups-for-pods', 20, { sgPods: 2 }).total)
})

t.test('groups give the same totals as adding node by node', async (t) => {
  const types = ['m5.large', 't3.micro', 'c5.18xlarge', 'm6i.metal'].map(type)
  const modes = ['secondary-ip', 'prefix-delegation', 'custom-networking'] as const
  let cases = 0
  for (const it of types) {
    for (const mode of modes) {
      for (const totalPods of [1, 7, 29, 100, 1001]) {
        for (const nodes of [1, 3, 10, 97]) {
          for (const extraPerNode of [0, 2]) {
            const groups = spreadPods(totalPods, nodes, extraPerNode)
            const perNode: number[] = []
            for (let i = 0; i < nodes; i++) perNode.push(Math.floor(totalPods / nodes) + (i < totalPods % nodes ? 1 : 0) + extraPerNode)
            t.equal(groups.reduce((n, g) => n + g.nodes, 0), nodes)
            t.equal(groups.reduce((n, g) => n + g.nodes * g.pods, 0), totalPods + nodes * extraPerNode)
            let expected: number
            try {
              expected = perNode.reduce((sum, p) => sum + nodeVpcIps(it, mode, p).total, 0)
            } catch (err) {
              t.throws(() => clusterVpcIps(it, mode, groups), { name: (err as Error).name }, `${it.name} ${mode} ${totalPods}/${nodes}`)
              continue
            }
            t.equal(clusterVpcIps(it, mode, groups).total, expected, `${it.name} ${mode} ${totalPods} pods on ${nodes} nodes`)
            cases++
          }
        }
      }
    }
  }
  t.ok(cases > 100, `${cases} cases computed both ways`)
})

t.test('bad input names the field', async (t) => {
  const m5 = type('m5.large')
  throwsInputError(t, () => nodeVpcIps(m5, 'secondary-ip', 28), 'pods')
  throwsInputError(t, () => nodeVpcIps(m5, 'secondary-ip', -1), 'pods')
  throwsInputError(t, () => nodeVpcIps(m5, 'custom-networking', 19), 'pods')
  throwsInputError(t, () => nodeVpcIps(m5, 'prefix-delegation', 435), 'pods')
  throwsInputError(t, () => nodeVpcIps(m5, 'secondary-ip', 1, { warmEniTarget: -1 }), 'warmEniTarget')
  throwsInputError(t, () => nodeVpcIps(m5, 'secondary-ip', 1, { minimumIpTarget: 1.5 }), 'minimumIpTarget')
  throwsInputError(t, () => nodeVpcIps(m5, 'prefix-delegation', 1, { warmPrefixTarget: 0 }), 'warmPrefixTarget')
  throwsInputError(t, () => nodeVpcIps(m5, 'security-groups-for-pods', 27), 'sgPods')
  throwsInputError(t, () => nodeVpcIps(m5, 'security-groups-for-pods', 5, { sgPods: 6 }), 'sgPods')
  throwsInputError(t, () => nodeVpcIps(m5, 'security-groups-for-pods', 20, { sgPods: 10 }), 'sgPods')
  throwsInputError(t, () => nodeVpcIps(type('m4.large'), 'prefix-delegation', 1), 'mode')
  throwsInputError(t, () => nodeVpcIps(type('m4.large'), 'ipv6', 1), 'mode')
  throwsInputError(t, () => nodeVpcIps(type('t3.micro'), 'security-groups-for-pods', 1), 'mode')
  const single = seed.instanceTypes.find((it) => it.maxEnis < 2) as InstanceType
  throwsInputError(t, () => nodeVpcIps(single, 'custom-networking', 0), 'mode')
  throwsInputError(t, () => spreadPods(10, 0), 'nodes')
  throwsInputError(t, () => spreadPods(10, 2, -1), 'extraPerNode')
  throwsInputError(t, () => clusterVpcIps(m5, 'secondary-ip', [{ pods: 1, nodes: 1.5 }]), 'nodes')
})

t.test('CIDR parsing: good blocks', async (t) => {
  const good: Array<[string, number, number]> = [
    ['10.0.0.0/16', 65536, 65531],
    ['10.0.0.0/19', 8192, 8187],
    ['100.64.0.0/24', 256, 251],
    ['192.168.1.240/28', 16, 11],
    [' 172.16.32.0/20 ', 4096, 4091],
  ]
  for (const [cidr, size, usable] of good) {
    const s = parseSubnetCidr(cidr)
    t.same([s.size, s.usable], [size, usable], cidr)
  }
  t.equal(parseSubnetCidr('255.255.255.240/28').network, 4294967280)
})

t.test('CIDR parsing: bad blocks are InputErrors on podSubnets', async (t) => {
  const bad = ['10.0.0.0/15', '10.0.0.0/29', '10.0.0.0/32', '10.0.0.1/24', '10.0.0.0', '10.0.0/24', '256.0.0.0/16', '010.0.0.0/16', '10.0.0.0/x', 'fd00::/64', '', '10.0.0.0/016']
  for (const cidr of bad) throwsInputError(t, () => parseSubnetCidr(cidr), 'podSubnets')
  throwsInputError(t, () => parseSubnetCidr(42), 'podSubnets')
  t.match((() => { try { parseSubnetCidr('10.0.0.1/24') } catch (e) { return (e as Error).message } return '' })(), /host bits.*10\.0\.0\.0\/24/)
})

t.test('subnet budgets: sums and overlaps', async (t) => {
  t.equal(subnetBudget(['10.0.0.0/19', '10.0.32.0/19', '100.64.0.0/28']).usable, 8187 * 2 + 11)
  t.ok(cidrsOverlap(parseSubnetCidr('10.0.0.0/16'), parseSubnetCidr('10.0.128.0/20')))
  t.notOk(cidrsOverlap(parseSubnetCidr('10.0.0.0/20'), parseSubnetCidr('10.0.16.0/20')))
  throwsInputError(t, () => subnetBudget(['10.0.0.0/16', '10.0.128.0/20']), 'podSubnets')
  throwsInputError(t, () => subnetBudget(['10.0.0.0/24', '10.0.0.0/24']), 'podSubnets')
  throwsInputError(t, () => subnetBudget([]), 'podSubnets')
  throwsInputError(t, () => subnetBudget('10.0.0.0/16'), 'podSubnets')
  throwsInputError(t, () => subnetBudget(['10.0.0.0/33'], 'subnets'), 'subnets')
})

// The warm pool stops once the addresses held reach the node's max pods: ipamd's pool is "not too low" when
// max pods is reached (https://github.com/aws/amazon-vpc-cni-k8s/blob/master/pkg/ipamd/ipamd.go,
// isDatastorePoolTooLow; DOMAIN.md: c5.18xlarge at 248 pods holds 6 ENIs = 300 addresses, not 7 = 350).
const warmStopCases: Array<[name: string, mode: 'secondary-ip' | 'prefix-delegation' | 'custom-networking' | 'custom-networking-prefix-delegation', pods: number, maxPods: number | undefined, enis: number, total: number]> = [
  ['c5.18xlarge', 'secondary-ip', 248, 250, 6, 300],
  ['c5.18xlarge', 'secondary-ip', 248, undefined, 7, 350],
  ['m5.large', 'secondary-ip', 27, 29, 3, 30],
  ['m5.large', 'secondary-ip', 0, 29, 1, 10],
  ['m5.large', 'secondary-ip', 9, 29, 2, 20],
  ['m5.xlarge', 'secondary-ip', 56, 58, 4, 60],
  // Prefix delegation: ⌈108 ÷ 16⌉ + 1 = 8 prefixes wanted; 7 × 16 = 112 already reach max pods 110.
  ['m5.large', 'prefix-delegation', 108, 110, 1, 7 * 16 + 1],
  ['m5.large', 'prefix-delegation', 108, undefined, 1, 8 * 16 + 1],
  ['m5.large', 'prefix-delegation', 20, 110, 1, 3 * 16 + 1],
  // Custom networking: the pool over the E − 1 pod ENIs stops at max pods too.
  ['m5.large', 'custom-networking', 18, 20, 3, 2 * 9 + 2 + 1],
  ['m5.large', 'custom-networking-prefix-delegation', 108, 110, 2, 7 * 16 + 1 + 1],
]
for (const [name, mode, pods, max, enis, total] of warmStopCases) {
  t.test(`warm pool stops at max pods: ${name} ${mode} ${pods} pods, max pods ${max ?? 'none'} (ipamd)`, async (t) => {
    const r = nodeVpcIps(seedType(name), mode, pods, max === undefined ? {} : { maxPods: max })
    t.same([r.enis, r.total], [enis, total], r.formula)
  })
}

t.test('Windows nodes: one ENI, its secondary addresses counted whole (an upper bound)', async (t) => {
  const m5 = seedType('m5.large')
  const r = nodeVpcIps(m5, 'secondary-ip', 3, { os: 'windows' })
  t.same([r.enis, r.secondaryIps, r.total], [1, 9, 10])
  t.match(r.formula, /Windows/)
  const pd = nodeVpcIps(m5, 'prefix-delegation', 20, { os: 'windows', maxPods: 110 })
  t.same([pd.enis, pd.prefixes, pd.total], [1, 3, 49])
  throwsInputError(t, () => nodeVpcIps(m5, 'custom-networking', 3, { os: 'windows' }), 'mode', /Windows/)
  throwsInputError(t, () => nodeVpcIps(m5, 'secondary-ip', 10, { os: 'windows' }), 'pods', /at most 9/)
})

// Prefix delegation takes aligned /28 blocks; each subnet loses its first and last block to AWS's five
// reserved addresses, so a /24 yields 14 free /28s (224 pod addresses), not 251 (DOMAIN.md;
// https://docs.aws.amazon.com/eks/latest/userguide/cni-increase-ip-addresses-procedure.html).
const blockCases: Array<[string[], number]> = [
  [['10.0.0.0/24'], 14],
  [['10.0.0.0/28'], 0],
  [['10.0.0.0/27'], 0],
  [['10.0.0.0/26'], 2],
  [['10.0.0.0/19'], 510],
  [['10.0.0.0/24', '10.0.1.0/24'], 28],
]
for (const [cidrs, blocks] of blockCases) {
  t.test(`/28 blocks in ${cidrs.join(', ')}: ${blocks}`, async (t) => {
    t.equal(subnetPrefixBlocks(subnetBudget(cidrs).subnets), blocks)
  })
}

t.test('the numbers alone (nodeVpcIpsCounts, clusterVpcIpsCounts) are nodeVpcIps\' numbers, and refuse what it refuses', async (t) => {
  // Callers that show no words (a recommendation's density, a capacity row's groups) take this path, so
  // it must agree with nodeVpcIps on every type, mode and setting, errors included.
  const optionSets: VpcIpsOptions[] = [
    {},
    { warmEniTarget: 0 },
    { warmIpTarget: 5 },
    { minimumIpTarget: 30, warmIpTarget: 2 },
    { warmPrefixTarget: 0 },
    { warmPrefixTarget: 3, maxPods: 110 },
    { maxPods: 20 },
    { sgPods: 2 },
    { os: 'windows' },
    { os: 'windows', warmPrefixTarget: 2 },
  ]
  const numbers = (r: Omit<ReturnType<typeof nodeVpcIps>, 'formula' | 'explanation'>) => [r.enis, r.secondaryIps, r.prefixes, r.total, r.podSubnetIps, r.nodeSubnetIps]
  let agreed = 0
  const wrong: string[] = []
  for (const it of seed.instanceTypes) {
    for (const mode of MODES) {
      for (const pods of [0, 1, 9, 27, 100, 500]) {
        for (const opts of optionSets) {
          let full: ReturnType<typeof nodeVpcIps> | Error
          let counts: ReturnType<typeof nodeVpcIpsCounts> | Error
          try {
            full = nodeVpcIps(it, mode, pods, opts)
          } catch (err) {
            full = err as Error
          }
          try {
            counts = nodeVpcIpsCounts(it, mode, pods, opts)
          } catch (err) {
            counts = err as Error
          }
          const label = `${it.name} ${mode} ${pods} ${JSON.stringify(opts)}`
          if (full instanceof Error || counts instanceof Error) {
            if (!(full instanceof Error && counts instanceof Error && full.message === counts.message)) wrong.push(`${label}: ${String(full)} vs ${String(counts)}`)
            continue
          }
          if (numbers(full).join() !== numbers(counts).join()) wrong.push(`${label}: ${numbers(full).join()} vs ${numbers(counts).join()}`)
          if (full.explanation !== vpcIpsExplanation(mode, opts.os)) wrong.push(`${label}: explanation`)
          if (full.formula === '' || full.explanation === '') wrong.push(`${label}: no words`)
          agreed++
        }
      }
    }
  }
  t.ok(agreed > 20000, `${agreed} nodes agree`)
  t.same(wrong.slice(0, 5), [])
  const groups = spreadPods(100, 7, 2)
  const full = clusterVpcIps(type('m5.large'), 'security-groups-for-pods', groups, (p) => ({ sgPods: Math.max(0, p - 18) }))
  const counts = clusterVpcIpsCounts(type('m5.large'), 'security-groups-for-pods', groups, (p) => ({ sgPods: Math.max(0, p - 18) }))
  t.same([counts.nodes, counts.total, counts.podSubnetIps, counts.nodeSubnetIps], [full.nodes, full.total, full.podSubnetIps, full.nodeSubnetIps])
  t.same(counts.groups.map((g) => [g.pods, g.nodes, ...numbers(g.perNode)]), full.groups.map((g) => [g.pods, g.nodes, ...numbers(g.perNode)]))
})
