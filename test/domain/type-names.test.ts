import t from 'tap'
import { categoryOf, compareTypeNames, editDistance, generationOf, isBurstable, naturalCompare, nearestNames, sizeRank } from '../../src/domain/type-names.js'
import { describeFilter, filterOf, matchesFilter, NO_FILTER } from '../../src/domain/type-filters.js'
import type { InstanceType } from '../../src/domain/types.js'

t.test('category and generation as Karpenter reads them from the name', async (t) => {
  const cases: Array<[string, string | null, number | null]> = [
    ['m5.large', 'm', 5],
    ['m7i-flex.large', 'm', 7],
    ['c6gn.xlarge', 'c', 6],
    ['t4g.small', 't', 4],
    ['inf2.xlarge', 'inf', 2],
    ['u-6tb1.metal', 'u', 1],
    ['u7in-16tb.224xlarge', 'u', 7],
    ['p6-b200.48xlarge', 'p', 6],
    ['x2iedn.metal', 'x', 2],
    ['mac2-m2pro.metal', 'mac', 2],
    ['mac-m4.metal', null, null],
    ['bmn-sf1.metal', null, null],
  ]
  for (const [name, category, generation] of cases) {
    t.equal(categoryOf(name), category, `${name} category`)
    t.equal(generationOf(name), generation, `${name} generation`)
  }
  t.ok(isBurstable('t3.micro') && isBurstable('t1.micro') && isBurstable('t4g.nano'))
  t.notOk(isBurstable('m5.large') || isBurstable('trn1.2xlarge'), 'trn is not t')
})

t.test('sizes in the order AWS lists them', async (t) => {
  const sizes = ['metal-48xl', 'large', '48xlarge', 'nano', 'metal', '2xlarge', 'xlarge', 'micro', 'medium', '12xlarge', 'small', 'metal-24xl', '3xlarge']
  const sorted = [...sizes].sort((a, b) => {
    const [ga, na] = sizeRank(a)
    const [gb, nb] = sizeRank(b)
    return ga - gb || na - nb
  })
  t.same(sorted, ['nano', 'micro', 'small', 'medium', 'large', 'xlarge', '2xlarge', '3xlarge', '12xlarge', '48xlarge', 'metal', 'metal-24xl', 'metal-48xl'])
})

t.test('one comparator: family (natural), then size', async (t) => {
  const names = ['m5.12xlarge', 'm5.large', 'm10.large', 'm5a.large', 'm5.metal', 'm5.xlarge', 'm9g.large', 'c7i.metal-24xl', 'c7i.48xlarge', 'c7i-flex.large', 'u-12tb1.metal', 'u-3tb1.56xlarge', 'm5.2xlarge']
  t.same([...names].sort(compareTypeNames), [
    'c7i.48xlarge',
    'c7i.metal-24xl',
    'c7i-flex.large',
    'm5.large',
    'm5.xlarge',
    'm5.2xlarge',
    'm5.12xlarge',
    'm5.metal',
    'm5a.large',
    'm9g.large',
    'm10.large',
    'u-3tb1.56xlarge',
    'u-12tb1.metal',
  ])
  t.equal(compareTypeNames('m5.large', 'm5.large'), 0)
  t.ok(naturalCompare('m9', 'm10') < 0 && naturalCompare('c5', 'c5a') < 0 && naturalCompare('c5d', 'c6a') < 0)
})

t.test('edit distance and the nearest names', async (t) => {
  t.equal(editDistance('m5.larg', 'm5.large'), 1)
  t.equal(editDistance('m5.lrage', 'm5.large'), 1, 'a swap of two neighbours counts once')
  t.equal(editDistance('', 'abc'), 3)
  t.equal(editDistance('kitten', 'sitting'), 3)
  const known = ['m5.large', 'm5.xlarge', 'm5a.large', 'm6i.large', 'c5.large', 't3.large', 'm5.metal']
  t.same(nearestNames('m5.larg', known).slice(0, 1), ['m5.large'])
  t.equal(nearestNames('m5.larg', known)[0], 'm5.large', 'nearest first')
  t.same(nearestNames('m5large', known)[0], 'm5.large')
  t.same(nearestNames('zz9', ['m5', 'c6g', 't3']), [], 'nothing within reach: nothing suggested')
  t.same(nearestNames('m99', ['m6i', 'm5', 'm9g', 'c5'], 5, naturalCompare), ['m9g', 'm5', 'm6i'], 'families too, nearest first, ties in the given order')
  t.equal(nearestNames('x'.repeat(100), known).length, 0, 'a hostile name is cut, not aligned in full')
})

const it = (over: Partial<InstanceType>): InstanceType => ({
  name: 'm5.large', family: 'm5', vcpu: 2, memoryMiB: 8192, arch: 'amd64', maxEnis: 3, ipv4PerEni: 10, networkCards: 1, maxEnisAllCards: 3,
  ipv6Supported: true, hypervisor: 'nitro', bareMetal: false, trunking: true, branchEnis: 9, encryptionInTransit: false,
  networkPerformance: null, networkBandwidthMbps: null, ...over,
})

t.test('filters, each condition on its own', async (t) => {
  const m5 = it({})
  const c7g = it({ name: 'c7g.metal', family: 'c7g', arch: 'arm64', vcpu: 64, memoryMiB: 131072, bareMetal: true })
  const t3 = it({ name: 't3.micro', family: 't3', vcpu: 2, memoryMiB: 1024 })
  const mac = it({ name: 'mac-m4.metal', family: 'mac-m4', arch: 'arm64', bareMetal: true })
  const noSpecs = it({ name: 'x9.large', family: 'x9', vcpu: null, memoryMiB: null })
  const keep = (q: Record<string, unknown>) => [m5, c7g, t3, mac, noSpecs].filter((x) => matchesFilter(x, filterOf(q))).map((x) => x.name)
  t.same(keep({}), ['m5.large', 'c7g.metal', 't3.micro', 'mac-m4.metal', 'x9.large'])
  t.same(keep({ arch: 'arm64' }), ['c7g.metal', 'mac-m4.metal'])
  t.same(keep({ arch: 'any' }).length, 5)
  t.same(keep({ category: ['c', 't'] }), ['c7g.metal', 't3.micro'])
  t.same(keep({ generation: 5 }), ['m5.large', 'c7g.metal', 'x9.large'], 'a name without a generation fails a generation condition')
  t.same(keep({ burstable: false }), ['m5.large', 'c7g.metal', 'mac-m4.metal', 'x9.large'])
  t.same(keep({ burstable: true }), ['t3.micro'])
  t.same(keep({ minVcpu: 4 }), ['c7g.metal'], 'unknown vCPUs fail a minimum')
  t.same(keep({ minMemoryMiB: 8192 }), ['m5.large', 'c7g.metal', 'mac-m4.metal'])
  t.same(keep({ minMemoryMiB: 8193 }), ['c7g.metal'])
  t.same(keep({ bareMetal: true }), ['c7g.metal', 'mac-m4.metal'])
  t.same(keep({ family: 't3' }), ['t3.micro'])
  t.equal(describeFilter(filterOf({ arch: 'arm64', category: ['c', 'm'], generation: 7, burstable: false })), 'arch=arm64, category=c,m, generation≥7, burstable=false')
  t.equal(describeFilter(NO_FILTER), '')
})
