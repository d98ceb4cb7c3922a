import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { allocatableCpuMilli, allocatableMemoryMiB, capacityPlan, kubeReservedPods, rankCapacityRows, type CapacityInput } from '../../src/domain/capacity.js'
import { maxPods } from '../../src/domain/density.js'
import { compareTypeNames } from '../../src/domain/type-names.js'
import { clusterVpcIps, spreadPods } from '../../src/domain/vpc-ips.js'
import { MODES } from '../../src/domain/types.js'
import { seed, seedType, throwsInputError } from './fixtures.js'

const type = seedType
const usEast1 = new Map(seed.prices.filter((p) => p.region === 'us-east-1').map((p) => [p.instanceType, p.usdPerHour]))
const priceOf = (name: string): number | null => usEast1.get(name) ?? null


t.test('worked check: m5.large, 270 small pods, secondary-ip, us-east-1', async (t) => {
  const plan = capacityPlan({ totalPods: 270, podCpuMilli: 50, podMemoryMiB: 128, mode: 'secondary-ip' }, [type('m5.large')], priceOf)
  const row = plan.rows[0]
  t.ok(row)
  t.same(
    { podsPerNode: row?.podsPerNode, limitedBy: row?.limitedBy, nodes: row?.nodes, usdPerHour: row?.usdPerHour, monthlyUsd: row?.monthlyUsd, usdPerPodMonth: row?.usdPerPodMonth },
    { podsPerNode: 27, limitedBy: 'ips', nodes: 10, usdPerHour: 0.096, monthlyUsd: 700.8, usdPerPodMonth: 2.6 },
  )
  t.equal(row?.allocatableCpuMilli, 1930)
  t.equal(row?.allocatableMemoryMiB, 6903)
  t.equal(row?.vpcIps, 300, '10 full nodes × 30 addresses')
  t.match(row?.formula, /10 × \$0\.096\/h × 730 h = \$700\.80\/month; ÷ 270 pods = \$2\.60\/pod-month/)
  t.equal(plan.input.daemonSetsPerNode, 0)
})

t.test('100m pods on m5.large are CPU-bound: 19 per node', async (t) => {
  const row = capacityPlan({ totalPods: 270, podCpuMilli: 100, podMemoryMiB: 128, mode: 'secondary-ip' }, [type('m5.large')], priceOf).rows[0]
  t.same([row?.podsPerNode, row?.limitedBy, row?.nodes], [19, 'cpu', 15])
})

t.test('limitedBy takes each of its four values', async (t) => {
  const cases: Array<[string, CapacityInput, string, 'ips' | 'cpu' | 'memory' | 'kubelet', number]> = [
    ['ips', { totalPods: 100, podCpuMilli: 10, podMemoryMiB: 10, mode: 'secondary-ip' }, 'm5.large', 'ips', 27],
    ['cpu', { totalPods: 100, podCpuMilli: 500, podMemoryMiB: 10, mode: 'secondary-ip' }, 'm5.large', 'cpu', 3],
    ['memory', { totalPods: 100, podCpuMilli: 10, podMemoryMiB: 2048, mode: 'secondary-ip' }, 'm5.large', 'memory', 3],
    // PD on m5.large: 434 addresses, capped to 110 → 108 for workloads.
    ['kubelet (cap below addresses)', { totalPods: 1000, podCpuMilli: 10, podMemoryMiB: 10, mode: 'prefix-delegation' }, 'm5.large', 'kubelet', 108],
    // c5.18xlarge secondary-ip: 735 by addresses, 248 by the cap of 250.
    ['kubelet (vcpu > 30)', { totalPods: 1000, podCpuMilli: 10, podMemoryMiB: 10, mode: 'secondary-ip' }, 'c5.18xlarge', 'kubelet', 248],
    ['kubelet (overlay)', { totalPods: 1000, podCpuMilli: 10, podMemoryMiB: 10, mode: 'overlay' }, 'm5.large', 'kubelet', 108],
    ['kubelet wins a tie with ips', { totalPods: 100, podCpuMilli: 10, podMemoryMiB: 10, mode: 'secondary-ip', maxPodsCap: 29 }, 'm5.large', 'kubelet', 27],
  ]
  for (const [name, input, it, limitedBy, pods] of cases) {
    const row = capacityPlan(input, [type(it)], priceOf).rows[0]
    t.same([row?.limitedBy, row?.podsPerNode], [limitedBy, pods], name)
  }
})

t.test('DaemonSets take pod slots and addresses', async (t) => {
  const row = capacityPlan({ totalPods: 240, podCpuMilli: 10, podMemoryMiB: 10, mode: 'secondary-ip', daemonSetsPerNode: 3 }, [type('m5.large')], priceOf).rows[0]
  t.same([row?.podsPerNode, row?.nodes, row?.vpcIps], [24, 10, 300])
})

t.test('sort: cheapest first, no price next, unsupported last, names break ties', async (t) => {
  const types = ['m5.xlarge', 'm4.large', 'm5.large', 'c5.large', 'cr1.8xlarge', 'c5.xlarge'].map(type)
  const fakePrice = (name: string): number | null => (name === 'c5.xlarge' ? null : priceOf(name))
  const plan = capacityPlan({ totalPods: 200, podCpuMilli: 10, podMemoryMiB: 10, mode: 'prefix-delegation' }, types, fakePrice)
  const order = plan.rows.map((r) => r.instanceType)
  t.same(order.slice(-3), ['c5.xlarge', 'cr1.8xlarge', 'm4.large'], 'null price, then unsupported rows by name')
  const priced = plan.rows.filter((r) => r.monthlyUsd !== null).map((r) => r.monthlyUsd as number)
  t.same(priced, [...priced].sort((a, b) => a - b), 'ascending cost')
  const noPrice = plan.rows.find((r) => r.instanceType === 'c5.xlarge')
  t.same([noPrice?.usdPerHour, noPrice?.monthlyUsd, noPrice?.usdPerPodMonth, noPrice?.nodes !== null], [null, null, null, true])
  t.match(noPrice?.notes.join(' '), /no on-demand price/)
  t.match(plan.rows.find((r) => r.instanceType === 'm4.large')?.reason, /Nitro/)
  const same = capacityPlan({ totalPods: 200, podCpuMilli: 10, podMemoryMiB: 10, mode: 'prefix-delegation' }, [...types].reverse(), fakePrice)
  t.same(same.rows.map((r) => r.instanceType), order, 'input order does not matter')
})

t.test('unsupported and zero-fit rows carry a reason', async (t) => {
  const plan = capacityPlan({ totalPods: 10, podCpuMilli: 3000, podMemoryMiB: 10, mode: 'security-groups-for-pods' }, [type('t3.micro'), type('m5.large'), type('m5.xlarge')], priceOf)
  const [first, ...rest] = plan.rows
  t.equal(first?.instanceType, 'm5.xlarge')
  t.same(rest.map((r) => r.instanceType), ['m5.large', 't3.micro'])
  t.match(rest[0]?.reason, /no workload pod fits/)
  t.equal(rest[0]?.podsPerNode, 0)
  t.match(rest[1]?.reason, /trunking/)
})

t.test('security groups for pods: full m5.large nodes need 9 SG pods each', async (t) => {
  const row = capacityPlan({ totalPods: 27, podCpuMilli: 10, podMemoryMiB: 10, mode: 'security-groups-for-pods' }, [type('m5.large')], priceOf).rows[0]
  t.same([row?.podsPerNode, row?.nodes], [27, 1])
  // 18 ordinary pods over the 2 ENIs left + 2 primaries + trunk primary + 9 branch ENIs.
  t.equal(row?.vpcIps, 18 + 2 + 1 + 9)
  t.match(row?.notes.join(' '), /security groups/)
})

t.test('bad input: InputError names the field', async (t) => {
  const its = [type('m5.large')]
  const base: CapacityInput = { totalPods: 10, mode: 'secondary-ip' }
  const bad: Array<[string, Partial<CapacityInput> | Record<string, unknown>]> = [
    ['totalPods', { totalPods: 0 }],
    ['totalPods', { totalPods: 1.5 }],
    ['podCpuMilli', { podCpuMilli: 0 }],
    ['podMemoryMiB', { podMemoryMiB: -128 }],
    ['daemonSetsPerNode', { daemonSetsPerNode: -1 }],
    ['maxPodsCap', { maxPodsCap: 0 }],
    ['mode', { mode: 'weave' }],
    ['warmIpTarget', { warmIpTarget: -1 }],
  ]
  for (const [field, patch] of bad) throwsInputError(t, () => capacityPlan({ ...base, ...patch } as CapacityInput, its, priceOf), field)
  throwsInputError(t, () => capacityPlan(base, [], priceOf), 'instanceTypes')
})

t.test('allocatable arithmetic', async (t) => {
  t.equal(allocatableCpuMilli(1), 940)
  t.equal(allocatableCpuMilli(2), 1930)
  t.equal(allocatableCpuMilli(4), 3920)
  t.equal(allocatableCpuMilli(96), 95690)
  t.equal(allocatableMemoryMiB(8192, 'amd64', 29), 6903)
  t.equal(allocatableMemoryMiB(4096, 'arm64', 29), 3055, 'Graviton: 64 MiB CMA first')
  // kube-reserved follows the kubelet max pods the node is configured with (karpenter-provider-aws
  // pkg/providers/instancetype/types.go kubeReservedResources): what this service says to set.
  t.equal(kubeReservedPods(maxPods(type('c5.18xlarge'), 'secondary-ip')), 250, 'the capped --max-pods, not the 737 addresses allow')
  t.equal(kubeReservedPods(maxPods(type('m5.large'), 'secondary-ip')), 29, 'where the cap does not bind, the address limit')
  t.equal(kubeReservedPods(maxPods(type('m5.large'), 'prefix-delegation')), 110, 'the set --max-pods under PD')
})

// Karpenter's allocatable columns (shared/data/ec2-instance-specs.tsv) for every type with specs, secondary-ip.
// The one systematic difference found at first, 59 MiB on all 396 arm64 types, is Karpenter subtracting
// Graviton's 64 MiB CMA reservation before the 7.5 % overhead; the model now does the same.
const dataDir = fileURLToPath(new URL('../../../shared/data/', import.meta.url))
const specsFile = 'ec2-instance-specs.tsv'
if (!existsSync(dataDir + specsFile)) {
  if (process.env.CI) t.test('allocatable vs Karpenter', async (t) => t.fail(`${specsFile} not found in ../shared/data (beside the repo root); CI must have it`))
  else t.test('allocatable vs Karpenter', { skip: `${specsFile} not found in ../shared/data (beside the repo root): cross-check skipped` }, async () => {})
} else {
  t.test('allocatable vs Karpenter', async (t) => {
    const rows = readFileSync(dataDir + specsFile, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'))
    t.equal(rows.length, 1363)
    const off: string[] = []
    for (const row of rows) {
      const it = type(row[0] as string)
      const cpu = allocatableCpuMilli(it.vcpu as number)
      // Karpenter's docs are generated for AL2023 with no maxPods set: the node runs with the uncapped
      // ENI-limited count, so that is the count its kube-reserved follows here.
      const mem = allocatableMemoryMiB(it.memoryMiB as number, it.arch, maxPods(it, 'secondary-ip').maxPods as number)
      if (Math.abs(cpu - parseInt(row[8] as string, 10)) > 1 || Math.abs(mem - parseInt(row[9] as string, 10)) > 1) off.push(`${it.name}: ${cpu}m/${mem}Mi vs ${row[8]}/${row[9]}`)
    }
    t.same(off, [], 'every type within 1m and 1 MiB')
  })
}

t.test('the formula shows how vpcIps is made up, and its sums hold for every type in every mode', async (t) => {
  const m5 = capacityPlan({ totalPods: 270, podCpuMilli: 50, podMemoryMiB: 128, mode: 'secondary-ip' }, [type('m5.large')], priceOf).rows[0]
  t.match(
    m5?.formula,
    '; VPC IPv4 addresses = 10 × 30 = 300 (a node with 27 address-taking pods: min(3, ⌈27 ÷ 9⌉ + WARM_ENI_TARGET 1) = 3 ENI(s) × 9 = 27 addresses; + 3 primary = 30)',
  )
  const uneven = capacityPlan({ totalPods: 100, podCpuMilli: 50, podMemoryMiB: 128, mode: 'prefix-delegation', daemonSetsPerNode: 2 }, [type('m5.large')], priceOf).rows[0]
  // CPU-bound at 38 per node → 3 nodes of 34, 33 and 33 workload pods, each with 2 DaemonSet pods that take addresses.
  t.match(
    uneven?.formula,
    'VPC IPv4 addresses = 1 × 65 + 2 × 65 = 195 (a node with 36 address-taking pods: ⌈36 ÷ 16⌉ + WARM_PREFIX_TARGET 1 = 4 prefixes × 16 = 64; ' +
      'in 1 ENI(s) of 9 prefixes; + 1 primary = 65; a node with 35 address-taking pods: ⌈35 ÷ 16⌉ + WARM_PREFIX_TARGET 1 = 4 prefixes × 16 = 64; in 1 ENI(s) of 9 prefixes; + 1 primary = 65)',
  )
  const sum = /VPC IPv4 addresses = ((?:\d+ × \d+)(?: \+ \d+ × \d+)?) = (\d+) \(/
  let checked = 0
  const wrong: string[] = []
  for (const mode of MODES) {
    for (const r of capacityPlan({ totalPods: 1001, mode, daemonSetsPerNode: 1 }, seed.instanceTypes, priceOf).rows) {
      if (r.vpcIps === null) {
        if (r.formula.includes('VPC IPv4')) wrong.push(`${r.instanceType} ${mode}: working without a number`)
        continue
      }
      const m = sum.exec(r.formula)
      const terms = m?.[1]?.split(' + ').map((term) => term.split(' × ').map(Number)) ?? []
      const nodes = terms.reduce((n, [count]) => n + (count ?? 0), 0)
      const total = terms.reduce((n, [count, each]) => n + (count ?? 0) * (each ?? 0), 0)
      if (!m || Number(m[2]) !== r.vpcIps || total !== r.vpcIps || nodes !== r.nodes) wrong.push(`${r.instanceType} ${mode}: ${r.vpcIps} vs ${m?.[0]}`)
      checked++
    }
  }
  t.ok(checked > 5000, `${checked} rows checked`)
  t.same(wrong.slice(0, 5), [], 'each row: the nodes add up to nodes, nodes × per-node addresses to vpcIps')
})

t.test('minPodsPerNode: a type short of the asked density cannot serve, and says why', async (t) => {
  // m5.large secondary-ip: 27 workload pods per node (ips); m5.xlarge: 4 × 14 + 2 = 58 − 2 = 56.
  const plan = capacityPlan({ totalPods: 300, podCpuMilli: 10, podMemoryMiB: 10, mode: 'secondary-ip', minPodsPerNode: 40 }, [type('m5.large'), type('m5.xlarge')], priceOf)
  const [ok, short] = plan.rows
  t.equal(ok?.instanceType, 'm5.xlarge')
  t.equal(ok?.reason, null)
  t.equal(ok?.nodes, Math.ceil(300 / 56), 'nodes follow what a node fits, not the asked minimum')
  t.equal(short?.instanceType, 'm5.large')
  t.match(short?.reason, /a node fits 27 workload pods \(limited by ips\), short of the 40 per node asked \(podsPerNode\)/)
  t.same([short?.nodes, short?.monthlyUsd, short?.podsPerNode], [null, null, 27], 'no nodes or cost; the density reached is kept')
  const exact = capacityPlan({ totalPods: 300, podCpuMilli: 10, podMemoryMiB: 10, mode: 'secondary-ip', minPodsPerNode: 27 }, [type('m5.large')], priceOf)
  t.equal(exact.rows[0]?.reason, null, 'reaching it exactly is enough')
  throwsInputError(t, () => capacityPlan({ totalPods: 1, mode: 'secondary-ip', minPodsPerNode: 0 }, [type('m5.large')], priceOf), 'podsPerNode')
})

t.test('rankCapacityRows: by cost, or by nodes where nothing is priced', async (t) => {
  const types = ['m5.large', 'm5.xlarge', 'm5.2xlarge', 'm4.large'].map(type)
  const none = capacityPlan({ totalPods: 500, podCpuMilli: 10, podMemoryMiB: 10, mode: 'prefix-delegation' }, types, () => null)
  const byNodes = rankCapacityRows(none.rows, 'nodes')
  const serving = byNodes.filter((r) => r.reason === null)
  t.same(serving.map((r) => r.nodes), [...serving.map((r) => r.nodes as number)].sort((a, b) => a - b), 'fewest nodes first')
  t.equal(byNodes.at(-1)?.instanceType, 'm4.large', 'a type that cannot serve comes last')
  // Equal nodes: the catalog order (family, then size), not the text order of the names.
  const tie = rankCapacityRows(capacityPlan({ totalPods: 10, podCpuMilli: 10, podMemoryMiB: 10, mode: 'prefix-delegation' }, [type('m5.2xlarge'), type('m5.large'), type('m5.12xlarge')], () => null).rows, 'nodes')
  t.same(tie.map((r) => r.instanceType), ['m5.large', 'm5.2xlarge', 'm5.12xlarge'])
  const mixed = [
    ...capacityPlan({ totalPods: 500, podCpuMilli: 10, podMemoryMiB: 10, mode: 'secondary-ip' }, [type('m5.large')], priceOf).rows,
    ...capacityPlan({ totalPods: 500, podCpuMilli: 10, podMemoryMiB: 10, mode: 'prefix-delegation' }, [type('m5.large')], priceOf).rows,
  ]
  const byCost = rankCapacityRows(mixed, 'cost')
  t.same(byCost.map((r) => r.mode), ['prefix-delegation', 'secondary-ip'], 'one type in two modes: the cheaper mode first')
})

t.test('a row\'s VPC working is clusterVpcIps over spreadPods\' even spread, word for word', async (t) => {
  // capacityPlan works the two node groups out itself, on settings read once per plan; this holds it to
  // the general path (spreadPods, then clusterVpcIps with the row's max pods and SG pods).
  const questions: Array<Omit<CapacityInput, 'mode'>> = [
    { totalPods: 1001, daemonSetsPerNode: 1 },
    { totalPods: 37, podCpuMilli: 10, podMemoryMiB: 16, warmIpTarget: 3, minimumIpTarget: 20 },
    { totalPods: 5000, maxPodsCap: 40, warmPrefixTarget: 2, warmEniTarget: 0 },
    { totalPods: 300, os: 'windows', daemonSetsPerNode: 2 },
  ]
  let checked = 0
  const wrong: string[] = []
  for (const question of questions) {
    for (const mode of MODES) {
      const input = { ...question, mode }
      const plan = capacityPlan(input, seed.instanceTypes, priceOf)
      const warm = { warmEniTarget: input.warmEniTarget, warmIpTarget: input.warmIpTarget, minimumIpTarget: input.minimumIpTarget, warmPrefixTarget: input.warmPrefixTarget }
      for (const key of Object.keys(warm) as Array<keyof typeof warm>) if (warm[key] === undefined) delete warm[key]
      for (const r of plan.rows) {
        if (r.reason !== null) continue
        const it = type(r.instanceType)
        const density = maxPods(it, mode, { daemonSetsPerNode: input.daemonSetsPerNode ?? 0, maxPodsCap: input.maxPodsCap ?? null, os: input.os ?? 'linux' })
        const poolCapacity = (it.maxEnis - 1) * (it.ipv4PerEni - 1)
        const opts = { ...warm, maxPods: density.recommendedMaxPods!, os: input.os ?? 'linux' }
        const groups = spreadPods(input.totalPods, r.nodes!, input.daemonSetsPerNode ?? 0)
        const cluster = clusterVpcIps(it, mode, groups, mode === 'security-groups-for-pods' ? (p) => ({ ...opts, sgPods: Math.max(0, p - poolCapacity) }) : opts)
        const sum = cluster.groups.map((g) => `${g.nodes} × ${g.perNode.total}`).join(' + ')
        const working = cluster.groups.map((g) => `a node with ${g.pods} address-taking pod${g.pods === 1 ? '' : 's'}: ${g.perNode.formula}`).join('; ')
        const expected = `; VPC IPv4 addresses = ${sum} = ${cluster.total} (${working})`
        if (r.vpcIps !== cluster.total || !r.formula.endsWith(expected)) wrong.push(`${r.instanceType} ${mode} ${JSON.stringify(question)}: ${r.formula.slice(r.formula.indexOf('; VPC'))} vs ${expected}`)
        checked++
      }
    }
  }
  t.ok(checked > 10000, `${checked} rows checked`)
  t.same(wrong.slice(0, 3), [])
})

t.test('rankCapacityRows with placeOf (the catalog order) ranks as comparing the names does', async (t) => {
  const ordered = [...seed.instanceTypes].sort((a, b) => compareTypeNames(a.name, b.name))
  const place = new Map(ordered.map((it, i) => [it.name, i]))
  const placeOf = (name: string): number => place.get(name)!
  // Reversed, so that the input order cannot stand in for the place.
  const types = [...ordered].reverse()
  for (const mode of ['prefix-delegation', 'security-groups-for-pods'] as const) {
    const rows = [
      ...capacityPlan({ totalPods: 3000, mode }, types, priceOf).rows,
      ...capacityPlan({ totalPods: 3000, mode: 'secondary-ip' }, types, () => null).rows,
    ]
    for (const by of ['cost', 'nodes'] as const) {
      t.same(
        rankCapacityRows(rows, by, placeOf).map((r) => `${r.instanceType} ${r.mode}`),
        rankCapacityRows(rows, by).map((r) => `${r.instanceType} ${r.mode}`),
        `${mode}, by ${by}`,
      )
    }
  }
})
