import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { SEED_FILES, buildSeed, describeBandwidth, serializeSeed } from '../../src/catalog/seed-build.js'

// A tiny, valid set of the five tables; each case below breaks one thing in it.
const header = {
  [SEED_FILES.eniLimits]: 'instance_type\tmax_enis\tipv4_per_eni\tnetwork_cards\thypervisor\tbare_metal\tencryption_in_transit\tdefault_network_card_index\tmax_enis_all_cards\tvcpus',
  [SEED_FILES.maxPods]: 'instance_type\tmax_pods',
  [SEED_FILES.branchLimits]: 'instance_type\ttrunking_compatible\tbranch_interfaces\tinterfaces_all_cards\tipv4_per_eni\tsource',
  [SEED_FILES.specs]: 'instance_type\tarch\tvcpus\tmemory_mib\tnetwork_bandwidth_mbps\tcpu_manufacturer\tgeneration\tgpu_count\tallocatable_cpu\tallocatable_memory\tkarpenter_pods\tpod_eni',
  [SEED_FILES.prices]: 'region\tinstance_type\tusd_per_hour\tsource',
}
const body = {
  [SEED_FILES.eniLimits]: ['m5.large\t3\t10\t1\tnitro\tfalse\tfalse\t0\t3\t2', 'm5.metal\t15\t50\t1\t\ttrue\tfalse\t0\t15\t96', 'm4.large\t2\t10\t1\txen\tfalse\tfalse\t0\t2\t', 'p5.48xlarge\t2\t50\t32\tnitro\tfalse\ttrue\t0\t64\t192'],
  [SEED_FILES.maxPods]: ['m5.large\t29', 'm5.metal\t737', 'm4.large\t20', 'p5.48xlarge\t100'],
  [SEED_FILES.branchLimits]: ['m5.large\ttrue\t9\t3\t10\trc', 'm5.metal\ttrue\t120\t15\t50\trc', 'p5.48xlarge\ttrue\t120\t64\t50\tkarpenter-copy', 'c7g-flex.large\ttrue\t9\t3\t10\tkarpenter-copy'],
  [SEED_FILES.specs]: ['m5.large\tamd64\t2\t8192\t750\tintel\t5\t\t1930m\t6903Mi\t29\t9', 'm5.metal\tamd64\t96\t393216\t25000\tintel\t5\t\t95690m\t355262Mi\t737\t120'],
  [SEED_FILES.prices]: ['us-east-1\tm5.large\t0.096\tkarpenter', 'eu-west-1\tm5.large\t0.107\tskypilot', 'us-east-1\tg2.2xlarge\t0.65\tkarpenter'],
}
const files = (patch: Record<string, string[]> = {}, headers: Record<string, string> = {}): Record<string, string> =>
  Object.fromEntries(Object.values(SEED_FILES).map((f) => [f, [headers[f] ?? header[f], ...(patch[f] ?? body[f])].join('\n') + '\n']))

t.test('builds instance types and prices from the tables', async (t) => {
  const seed = buildSeed(files())
  t.equal(seed.asOf, '2026-08-21')
  t.same(seed.instanceTypes.map((it) => it.name), ['m4.large', 'm5.large', 'm5.metal', 'p5.48xlarge'], 'limits table is the base set, sorted; branch-only types left out')
  const [m4, m5, metal, p5] = seed.instanceTypes
  t.same(m5, {
    name: 'm5.large', family: 'm5', vcpu: 2, memoryMiB: 8192, arch: 'amd64', maxEnis: 3, ipv4PerEni: 10, networkCards: 1, maxEnisAllCards: 3,
    ipv6Supported: true, hypervisor: 'nitro', bareMetal: false, trunking: true, branchEnis: 9, encryptionInTransit: false,
    networkPerformance: '750 Mbps baseline', networkBandwidthMbps: 750,
  })
  t.same([metal?.hypervisor, metal?.ipv6Supported, metal?.vcpu], [null, true, 96], 'bare metal: no hypervisor, IPv6 (Nitro)')
  t.same([m4?.ipv6Supported, m4?.trunking, m4?.branchEnis, m4?.vcpu, m4?.memoryMiB, m4?.arch, m4?.networkPerformance], [false, false, 0, null, null, null, null], 'Xen, no branch row, no specs')
  t.same([p5?.maxEnis, p5?.maxEnisAllCards, p5?.vcpu, p5?.encryptionInTransit], [2, 64, 192, true], 'default card only; vCPU from the limits table')
  t.same(seed.prices.map((p) => `${p.instanceType} ${p.region} ${p.usdPerHour} ${p.asOf}`), ['g2.2xlarge us-east-1 0.65 2026-07-20', 'm5.large eu-west-1 0.107 2026-08-21', 'm5.large us-east-1 0.096 2026-07-20'])
  t.same(Object.keys(seed.generatedFrom), [...Object.values(SEED_FILES)].sort())
  t.equal(seed.generatedFrom[SEED_FILES.prices]?.rows, 3)
})

t.test('serialisation is deterministic, one row per line', async (t) => {
  const a = serializeSeed(buildSeed(files()))
  const shuffled = Object.fromEntries(Object.entries(body).map(([f, rows]) => [f, [...rows].reverse()]))
  t.equal(serializeSeed(buildSeed(files(shuffled))), a, 'row order of the inputs does not matter')
  t.same(JSON.parse(a), buildSeed(files()))
  t.match(a, /\n {4}\{"name":"m5.large",[^\n]*\},\n/)
})

t.test('bandwidth text', async (t) => {
  t.equal(describeBandwidth(750), '750 Mbps baseline')
  t.equal(describeBandwidth(12500), '12.5 Gbps baseline')
  t.equal(describeBandwidth(1562), '1.562 Gbps baseline')
  t.equal(describeBandwidth(null), null)
})

const broken: Array<[string, Record<string, string[]>, Record<string, string>, RegExp]> = [
  ['bad header', {}, { [SEED_FILES.maxPods]: 'instance_type\tmaxpods' }, /eni-max-pods\.tsv line 1, column 2: header "maxpods"/],
  ['missing column', {}, { [SEED_FILES.prices]: 'region\tinstance_type\tusd_per_hour' }, /ec2-ondemand-prices\.tsv line 1, column 4/],
  ['non-numeric ENIs', { [SEED_FILES.eniLimits]: ['m5.large\tthree\t10\t1\tnitro\tfalse\tfalse\t0\t3\t2'] }, {}, /ec2-eni-limits\.tsv line 2, column max_enis: expected an integer/],
  ['non-numeric price', { [SEED_FILES.prices]: ['us-east-1\tm5.large\t$0.096\tkarpenter'] }, {}, /ec2-ondemand-prices\.tsv line 2, column usd_per_hour/],
  ['bad boolean', { [SEED_FILES.branchLimits]: ['m5.large\tyes\t9\t3\t10\trc'] }, {}, /ec2-branch-eni-limits\.tsv line 2, column trunking_compatible/],
  ['bad hypervisor', { [SEED_FILES.eniLimits]: ['m5.large\t3\t10\t1\tkvm\tfalse\tfalse\t0\t3\t2'] }, {}, /line 2, column hypervisor/],
  ['short line', { [SEED_FILES.specs]: ['m5.large\tamd64\t2'] }, {}, /ec2-instance-specs\.tsv line 2: 3 cells/],
  ['bad quantity', { [SEED_FILES.specs]: ['m5.large\tamd64\t2\t8192\t750\tintel\t5\t\t1.93\t6903Mi\t29\t9'] }, {}, /line 2, column allocatable_cpu/],
  ['duplicate type', { [SEED_FILES.maxPods]: ['m5.large\t29', 'm4.large\t20', 'm5.large\t29'] }, {}, /eni-max-pods\.tsv line 4: duplicate row for m5\.large \(first on line 2\)/],
  ['duplicate price', { [SEED_FILES.prices]: ['us-east-1\tm5.large\t0.096\tkarpenter', 'us-east-1\tm5.large\t0.097\tkarpenter'] }, {}, /ec2-ondemand-prices\.tsv line 3: duplicate row for us-east-1 m5\.large/],
  ['max pods not reproducible', { [SEED_FILES.maxPods]: ['m5.large\t30'] }, {}, /eni-max-pods\.tsv line 2, column max_pods: m5\.large: 30 but 3 × \(10 − 1\) \+ 2 = 29/],
  ['max pods type without limits', { [SEED_FILES.maxPods]: ['m5.large\t29', 'x9.large\t29'] }, {}, /eni-max-pods\.tsv line 3, column instance_type: x9\.large is not in ec2-eni-limits\.tsv/],
  ['bad name', { [SEED_FILES.maxPods]: ['M5 large\t29'] }, {}, /eni-max-pods\.tsv line 2, column instance_type/],
  ['bad region', { [SEED_FILES.prices]: ['us east 1\tm5.large\t0.096\tkarpenter'] }, {}, /line 2, column region/],
  ['unknown price source', { [SEED_FILES.prices]: ['us-east-1\tm5.large\t0.096\tvantage'] }, {}, /line 2, column source/],
]
for (const [name, patch, headers, message] of broken) {
  t.test(`malformed: ${name}`, async (t) => {
    t.throws(() => buildSeed(files(patch, headers)), { message })
  })
}

t.test('a missing file is named', async (t) => {
  const all = files()
  delete all[SEED_FILES.specs]
  t.throws(() => buildSeed(all), { message: /ec2-instance-specs\.tsv: missing/ })
})

// The committed seed must be what the builder makes of the shared tables (when they are here).
const dataDir = fileURLToPath(new URL('../../../shared/data/', import.meta.url))
const present = Object.values(SEED_FILES).every((f) => existsSync(dataDir + f))
if (!present && process.env.CI) t.test('committed seed is up to date', async (t) => t.fail('../shared/data (beside the repo root) is missing; CI must have it'))
else {
  t.test('committed seed is up to date', { skip: present ? false : '../shared/data (beside the repo root) is missing: check skipped' }, async (t) => {
    const contents = Object.fromEntries(Object.values(SEED_FILES).map((f) => [f, readFileSync(dataDir + f, 'utf8')]))
    const committed = readFileSync(new URL('../../seed/catalog.json', import.meta.url), 'utf8')
    t.ok(serializeSeed(buildSeed(contents)) === committed, 'seed/catalog.json matches; rebuild with npm run seed:build -- ../shared/data')
    const seed = JSON.parse(committed) as ReturnType<typeof buildSeed>
    t.equal(seed.instanceTypes.length, 1391)
    t.equal(seed.prices.length, 2768)
    const i4i = seed.instanceTypes.find((it) => it.name === 'i4i.large')
    t.same([i4i?.trunking, i4i?.branchEnis], [false, 0], 'i4i.large keeps the resource controller value')
  })
}
