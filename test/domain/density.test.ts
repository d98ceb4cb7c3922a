import t, { type Test } from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { eksCap, eksCapValue, isEksNode, maxPods, maxPodsAllModes, podCounts } from '../../src/domain/density.js'
import { MODES, type InstanceType, type Mode } from '../../src/domain/types.js'
import { seed, seedType, throwsInputError } from './fixtures.js'

const type = seedType

// The fact tables live beside the repository (../shared/data). Outside CI their absence skips the checks;
// in CI it is a failure, so the cross-check cannot silently stop running.
const dataDir = fileURLToPath(new URL('../../../shared/data/', import.meta.url))
function withSharedTable(name: string, file: string, fn: (t: Test, rows: string[][]) => void): void {
  if (!existsSync(dataDir + file)) {
    if (process.env.CI) t.test(name, async (t) => t.fail(`${file} not found in ../shared/data (beside the repo root); CI must have it`))
    else t.test(name, { skip: `${file} not found in ../shared/data (beside the repo root): cross-check skipped` }, async () => {})
    return
  }
  const rows = readFileSync(dataDir + file, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'))
  t.test(name, async (t) => fn(t, rows))
}

withSharedTable('secondary-ip maxPods equals AWS eni-max-pods for every type', 'eni-max-pods.tsv', (t, rows) => {
  t.equal(rows.length, 1391)
  const wrong: string[] = []
  for (const [name, published] of rows) {
    // AWS's generator lists every type the EC2 API has, Mac too; Mac types cannot be EKS nodes (below).
    if (name?.startsWith('mac')) continue
    const it = seed.instanceTypes.find((x) => x.name === name)
    const got = it ? maxPods(it, 'secondary-ip').maxPods : 'missing'
    if (got !== Number(published)) wrong.push(`${name}: ${got} ≠ ${published}`)
  }
  t.same(wrong, [], 'no type differs')
})

t.test('the seed alone: secondary-ip formula and cap hold for every type', async (t) => {
  t.equal(seed.instanceTypes.length, 1391)
  for (const it of seed.instanceTypes) {
    if (!isEksNode(it)) continue
    const r = maxPods(it, 'secondary-ip')
    if (r.maxPods !== it.maxEnis * (it.ipv4PerEni - 1) + 2 || r.recommendedMaxPods !== Math.min(r.maxPods, it.vcpu !== null && it.vcpu > 30 ? 250 : 110)) {
      t.fail(`${it.name}: ${r.maxPods} / ${r.recommendedMaxPods}`)
    }
  }
})

// aws-limits.md §3: secondary / PD / CN uncapped, then recommended (capped) for each; null = unsupported.
const worked: Array<{ name: string; sec: [number, number]; pd: [number, number] | null; cn: [number, number] | null; branch: number }> = [
  { name: 't3.micro', sec: [4, 4], pd: [34, 34], cn: [3, 3], branch: 0 },
  { name: 'm5.large', sec: [29, 29], pd: [434, 110], cn: [20, 20], branch: 9 },
  { name: 'm5.xlarge', sec: [58, 58], pd: [898, 110], cn: [44, 44], branch: 18 },
  { name: 'c5.18xlarge', sec: [737, 250], pd: [11762, 250], cn: [688, 250], branch: 107 },
  { name: 'm6i.32xlarge', sec: [737, 250], pd: [11762, 250], cn: [688, 250], branch: 107 },
  { name: 'm6i.metal', sec: [737, 250], pd: [11762, 250], cn: [688, 250], branch: 107 },
  { name: 'm5.metal', sec: [737, 250], pd: [11762, 250], cn: [688, 250], branch: 120 },
  { name: 'p5.48xlarge', sec: [100, 100], pd: [1570, 250], cn: [51, 51], branch: 120 },
  { name: 'm4.large', sec: [20, 20], pd: null, cn: [11, 11], branch: 0 },
]
for (const w of worked) {
  t.test(`worked example ${w.name}`, async (t) => {
    const it = type(w.name)
    const all = maxPodsAllModes(it)
    t.same([all['secondary-ip'].maxPods, all['secondary-ip'].recommendedMaxPods], w.sec, 'secondary-ip')
    if (w.pd) t.same([all['prefix-delegation'].maxPods, all['prefix-delegation'].recommendedMaxPods], w.pd, 'prefix-delegation')
    else {
      t.equal(all['prefix-delegation'].supported, false, 'prefix delegation unsupported')
      t.match(all['prefix-delegation'].reason, /Nitro/)
      t.equal(all['prefix-delegation'].maxPods, null)
      t.equal(all.ipv6.supported, false, 'ipv6 unsupported')
      t.match(all.ipv6.reason, /Nitro/)
    }
    if (w.cn) t.same([all['custom-networking'].maxPods, all['custom-networking'].recommendedMaxPods], w.cn, 'custom-networking')
    t.equal(it.branchEnis, w.branch, 'branch ENIs')
    t.equal(all['secondary-ip'].podsForWorkloads, (w.sec[1]) - 2, 'pods for workloads')
    t.equal(all.overlay.maxPods, eksCapValue(it.vcpu), 'overlay: the EKS guidance by vCPU')
    for (const mode of MODES) t.ok(all[mode].references.every((u) => u.startsWith('https://')), `${mode} references are URLs`)
  })
}

t.test('m5.large details: formula text, 27 for workloads, DaemonSets and maxPodsCap', async (t) => {
  const it = type('m5.large')
  const r = maxPods(it, 'secondary-ip')
  t.match(r.formula, /^3 × \(10 − 1\) \+ 2 = 29/)
  t.equal(r.podsForWorkloads, 27)
  t.equal(r.hostNetworkPods, 2)
  t.same(r.cap, { value: 110, reason: r.cap?.reason })
  t.equal(maxPods(it, 'secondary-ip', { daemonSetsPerNode: 3 }).podsForWorkloads, 24)
  t.equal(maxPods(it, 'secondary-ip', { daemonSetsPerNode: 40 }).podsForWorkloads, 0, 'floored at 0')
  const capped = maxPods(it, 'prefix-delegation', { maxPodsCap: 50, daemonSetsPerNode: 1 })
  t.same([capped.maxPods, capped.recommendedMaxPods, capped.podsForWorkloads, capped.cap?.value], [434, 50, 47, 50])
  t.match(capped.formula, /434.*min\(434, cap 50\) = 50/)
  t.equal(maxPods(it, 'secondary-ip', { maxPodsCap: 200 }).recommendedMaxPods, 29, 'a cap above the limit changes nothing')
  t.equal(maxPods(it, 'secondary-ip', { maxPodsCap: null }).recommendedMaxPods, 29)
  t.equal(maxPods(type('c5.18xlarge'), 'secondary-ip', { maxPodsCap: 300 }).cap?.value, 250, 'the EKS cap stays when lower')
})

t.test('p5.48xlarge counts the default card only', async (t) => {
  const it = type('p5.48xlarge')
  t.equal(it.maxEnis, 2)
  t.equal(it.maxEnisAllCards, 64)
  t.match(maxPods(it, 'secondary-ip').formula, /^2 × \(50 − 1\) \+ 2 = 100/)
})

t.test('bare metal: prefix delegation and ipv6 supported (Nitro bare metal, CNI ≥ 1.11)', async (t) => {
  for (const name of ['m6i.metal', 'm5.metal']) {
    const it = type(name)
    t.equal(it.hypervisor, null)
    t.equal(it.bareMetal, true)
    const pd = maxPods(it, 'prefix-delegation')
    t.ok(pd.supported)
    t.match(pd.explanation, /1\.11/)
    t.equal(maxPods(it, 'ipv6').recommendedMaxPods, 250)
  }
})

// IPv6: E × (I − 1) × 16 + 2, then the 110/250 cap — the VPC CNI bounds IPv6 pods by ENI slots as in
// prefix mode (https://github.com/aws/aws-eks-best-practices/blob/master/latest/bpg/networking/ipv6.adoc;
// DOMAIN.md, corrected December 2026). DOMAIN.md also gives t3.medium 98, which its own formula does not
// give (3 × 5 × 16 + 2 = 242 → 110); the formula is what the source states, so it wins.
const ipv6Cases: Array<[name: string, address: number | null, recommended: number | null]> = [
  ['t3.micro', 34, 34],
  ['t3.medium', 242, 110],
  ['m5.large', 434, 110],
  ['c5.18xlarge', 11762, 250],
  ['m6i.metal', 11762, 250],
  ['m4.large', null, null],
]
for (const [name, address, recommended] of ipv6Cases) {
  t.test(`ipv6 on ${name}: prefix arithmetic, then the cap (EKS best practices, IPv6)`, async (t) => {
    const r = maxPods(type(name), 'ipv6')
    t.same([r.maxPods, r.recommendedMaxPods], [address, recommended])
    if (address !== null) t.match(r.formula, /× 16 \+ 2/)
    else t.match(r.reason, /Nitro/)
  })
}

// Custom networking with prefix delegation: (E − 1) × (I − 1) × 16 + 2, then the cap
// (https://docs.aws.amazon.com/eks/latest/userguide/cni-custom-network.html; aws-limits.md §3 CN+PD column).
const cnPdCases: Array<[name: string, address: number | null, recommended: number | null]> = [
  ['t3.micro', 18, 18],
  ['m5.large', 290, 110],
  ['m5.xlarge', 674, 110],
  ['c5.18xlarge', 10978, 250],
  ['p5.48xlarge', 786, 250],
  ['m4.large', null, null],
]
for (const [name, address, recommended] of cnPdCases) {
  t.test(`custom-networking-prefix-delegation on ${name} (aws-limits.md §3)`, async (t) => {
    const r = maxPods(type(name), 'custom-networking-prefix-delegation')
    t.same([r.maxPods, r.recommendedMaxPods], [address, recommended])
    if (address === null) t.match(r.reason, /Nitro/)
  })
}

// Windows nodes: one ENI serves pods, I − 1, or (I − 1) × 16 with prefix delegation, then the cap; no host-network
// pods counted; no IPv6, SGP, custom networking or overlay (https://docs.aws.amazon.com/eks/latest/userguide/windows-support.html).
const windowsCases: Array<[name: string, mode: Mode, address: number | null, recommended: number | null]> = [
  ['m5.large', 'secondary-ip', 9, 9],
  ['m5.xlarge', 'secondary-ip', 14, 14],
  ['c5.18xlarge', 'secondary-ip', 49, 49],
  ['m5.large', 'prefix-delegation', 144, 110],
  ['t3.micro', 'prefix-delegation', 16, 16],
  ['m4.large', 'secondary-ip', 9, 9],
  ['m4.large', 'prefix-delegation', null, null],
  ['m5.large', 'ipv6', null, null],
  ['m5.large', 'security-groups-for-pods', null, null],
  ['m5.large', 'custom-networking', null, null],
  ['m5.large', 'custom-networking-prefix-delegation', null, null],
  ['m5.large', 'overlay', null, null],
]
for (const [name, mode, address, recommended] of windowsCases) {
  t.test(`Windows ${name} ${mode} (EKS windows-support: one ENI for pods)`, async (t) => {
    const r = maxPods(type(name), mode, { os: 'windows' })
    t.same([r.maxPods, r.recommendedMaxPods], [address, recommended])
    t.equal(r.hostNetworkPods, 0)
    t.equal(r.os, 'windows')
    if (address !== null) t.equal(r.podsForWorkloads, recommended, 'no host-network pods taken off')
    else t.ok(r.reason && r.reason.length > 10, 'says why')
  })
}
t.test('Windows: DaemonSets still take slots; a bad os is an InputError', async (t) => {
  t.equal(maxPods(type('m5.large'), 'secondary-ip', { os: 'windows', daemonSetsPerNode: 2 }).podsForWorkloads, 7)
  throwsInputError(t, () => maxPods(type('m5.large'), 'secondary-ip', { os: 'macos' as 'linux' }), 'os', /linux, windows/)
})

// EC2 Mac instances run macOS only; no EKS node AMI boots there (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-mac-instances.html).
t.test('Mac instances are not EKS nodes: every mode unsupported, with the reason', async (t) => {
  const macs = seed.instanceTypes.filter((it) => it.family.startsWith('mac'))
  t.ok(macs.length >= 5, 'the seed has Mac types')
  for (const it of macs) {
    t.equal(isEksNode(it), false)
    for (const mode of MODES) {
      const r = maxPods(it, mode)
      if (r.supported || !/macOS/.test(r.reason ?? '')) t.fail(`${it.name} ${mode}: ${r.reason}`)
    }
  }
  t.equal(isEksNode(type('m5.large')), true)
})

t.test('security groups for pods', async (t) => {
  const ok = maxPods(type('m5.large'), 'security-groups-for-pods')
  t.same([ok.supported, ok.maxPods, ok.recommendedMaxPods], [true, 29, 29])
  t.match(ok.formula, /≤ 9 branch ENIs/)
  t.match(ok.explanation, /9 of them/)
  for (const name of ['t3.micro', 't3.large', 'i4i.large']) {
    const no = maxPods(type(name), 'security-groups-for-pods')
    t.equal(no.supported, false, name)
    t.match(no.reason, /trunking/)
    t.same([no.maxPods, no.recommendedMaxPods, no.podsForWorkloads, no.cap], [null, null, null, null])
  }
  t.match(maxPods(type('t3.micro'), 'security-groups-for-pods').reason, /t-family/)
})

t.test('custom networking needs two ENIs', async (t) => {
  const single = seed.instanceTypes.find((it) => it.maxEnis < 2)
  t.ok(single, 'the seed has a single-ENI type')
  const r = maxPods(single as InstanceType, 'custom-networking')
  t.equal(r.supported, false)
  t.match(r.reason, /second ENI/)
})

// Overlay: not address-bound; kubelet --max-pods set to the same 110/250 guidance by vCPU (DOMAIN.md, corrected
// December 2026; https://docs.aws.amazon.com/eks/latest/userguide/choosing-instance-type.html), any hypervisor.
t.test('overlay: the 110/250 EKS guidance by vCPU, any hypervisor', async (t) => {
  const cases: Array<[string, number]> = [['m4.large', 110], ['t3.micro', 110], ['c5.18xlarge', 250], ['m6i.32xlarge', 250], ['c5.9xlarge', 250]]
  for (const [name, pods] of cases) {
    const r = maxPods(type(name), 'overlay')
    t.same([r.supported, r.maxPods, r.recommendedMaxPods, r.podsForWorkloads], [true, pods, pods, pods - 2], name)
  }
  t.equal(maxPods(type('m5.large'), 'overlay', { maxPodsCap: 60 }).recommendedMaxPods, 60)
})

t.test('eksCap', async (t) => {
  const cases: Array<[number | null, number]> = [[1, 110], [30, 110], [31, 250], [192, 250], [null, 110]]
  for (const [vcpu, cap] of cases) t.equal(eksCap(vcpu).value, cap, `vcpu ${vcpu}`)
  t.match(eksCap(null).reason, /unknown/)
  const noVcpu = seed.instanceTypes.find((it) => it.vcpu === null) as InstanceType
  t.equal(maxPods(noVcpu, 'secondary-ip').cap?.value, 110)
})

t.test('bad options throw InputError naming the field', async (t) => {
  const it = type('m5.large')
  const bad: Array<[string, object]> = [
    ['daemonSetsPerNode', { daemonSetsPerNode: -1 }],
    ['daemonSetsPerNode', { daemonSetsPerNode: 1.5 }],
    ['daemonSetsPerNode', { daemonSetsPerNode: '2' }],
    ['maxPodsCap', { maxPodsCap: 0 }],
    ['maxPodsCap', { maxPodsCap: 2.5 }],
    ['maxPodsCap', { maxPodsCap: Number.NaN }],
  ]
  for (const [field, opts] of bad) {
    throwsInputError(t, () => maxPods(it, 'secondary-ip', opts), field)
  }
  throwsInputError(t, () => maxPods(it, 'flannel' as Mode), 'mode', /secondary-ip/)
})

t.test('podCounts gives maxPods\' numbers, without the words, for every type, mode and option', async (t) => {
  const options: Array<[daemonSets: number, userCap: number | null]> = [[0, null], [3, null], [0, 20], [5, 110], [200, 1], [0, 249]]
  let compared = 0
  const wrong: string[] = []
  for (const it of seed.instanceTypes) {
    for (const mode of MODES) {
      for (const [daemonSets, userCap] of options) {
        const words = maxPods(it, mode, { daemonSetsPerNode: daemonSets, maxPodsCap: userCap })
        const numbers = podCounts(it, mode, daemonSets, userCap)
        const fromWords = words.supported
          ? { mode, os: 'linux', maxPods: words.maxPods, cap: words.cap?.value, userCapped: userCap !== null && userCap < eksCapValue(it.vcpu), recommendedMaxPods: words.recommendedMaxPods, podsForWorkloads: words.podsForWorkloads }
          : null
        if (JSON.stringify(numbers) !== JSON.stringify(fromWords)) wrong.push(`${it.name} ${mode} ${daemonSets}/${userCap}: ${JSON.stringify(numbers)} ≠ ${JSON.stringify(fromWords)}`)
        compared++
      }
    }
  }
  t.equal(compared, seed.instanceTypes.length * MODES.length * options.length)
  t.same(wrong.slice(0, 5), [], 'no difference')
})

t.test('the cap in force is named: EKS guidance, or maxPodsCap when lower', async (t) => {
  const m5 = type('m5.large')
  t.equal(maxPods(m5, 'prefix-delegation').cap?.reason, 'EKS guidance caps max pods at 110 up to 30 vCPUs (this type: 2)')
  t.equal(maxPods(type('c5.18xlarge'), 'prefix-delegation').cap?.reason, 'EKS guidance caps max pods at 250 above 30 vCPUs (this type: 72)')
  t.equal(maxPods(m5, 'prefix-delegation', { maxPodsCap: 50 }).cap?.reason, 'maxPodsCap 50 asked for (lower than the EKS cap 110)')
  t.equal(maxPods(m5, 'prefix-delegation', { maxPodsCap: 200 }).cap?.value, 110, 'a maxPodsCap above the EKS cap does not raise it')
  t.same([eksCapValue(null), eksCapValue(30), eksCapValue(31)], [110, 110, 250])
})

t.test('worked-out results are kept per (type object, mode, options), frozen, and the memo stays bounded', async (t) => {
  const m5 = type('m5.large')
  const first = maxPods(m5, 'prefix-delegation', { daemonSetsPerNode: 3 })
  t.equal(maxPods(m5, 'prefix-delegation', { daemonSetsPerNode: 3 }), first, 'the same question gives the kept result')
  t.ok(Object.isFrozen(first) && Object.isFrozen(first.references), 'a kept result cannot be changed by a caller')
  t.not(maxPods(m5, 'prefix-delegation', { daemonSetsPerNode: 4 }), first, 'other options, another result')
  // A new catalog version brings new type objects: the old version's result is not reused for them.
  const copy = { ...m5 }
  const fromCopy = maxPods(copy, 'prefix-delegation', { daemonSetsPerNode: 3 })
  t.not(fromCopy, first)
  t.same(fromCopy, first, 'the same numbers and words for the same facts')
  // More distinct questions than the memo holds (8,192): the earliest is worked out again, equal.
  for (let d = 0; d < 9000; d++) maxPods(m5, 'secondary-ip', { daemonSetsPerNode: d % 110, maxPodsCap: 1 + Math.floor(d / 110) })
  const again = maxPods(copy, 'prefix-delegation', { daemonSetsPerNode: 3 })
  t.not(again, fromCopy, 'dropped once the memo was full')
  t.same(again, fromCopy)
})
