// Turns the five fact tables of shared/data (TSV), plus the project's own seed/instance-facts.tsv and
// seed/storage-prices.tsv, into the seed catalog: instance types, on-demand prices and storage prices.
// shared/data has no spot or reserved prices (its README lists on-demand tables only), so the seed has
// none: those come from a refresh.
// Pure: takes the files' contents, returns rows; scripts/build-seed.ts does the disk I/O.
// Where the tables disagree, the choice is made here, next to the field it concerns.
import type { InstanceType, Price, StoragePrice } from '../domain/types.js'

export interface SeedSource {
  rows: number
  source: string
}

export interface Seed {
  generatedFrom: Record<string, SeedSource>
  asOf: string
  instanceTypes: InstanceType[]
  /** On-demand only (no capacityType). */
  prices: Price[]
  storagePrices: StoragePrice[]
}

export const SEED_FILES = {
  eniLimits: 'ec2-eni-limits.tsv',
  maxPods: 'eni-max-pods.tsv',
  branchLimits: 'ec2-branch-eni-limits.tsv',
  specs: 'ec2-instance-specs.tsv',
  prices: 'ec2-ondemand-prices.tsv',
} as const

/**
 * The project-owned facts file, kept in the repo (seed/instance-facts.tsv), not in shared/data: default vCPUs,
 * memory and architecture for the types the shared tables leave empty (mac*, u-*tb1.metal, f1.*, p3.*, ...).
 * Every row names its source. It only fills gaps: where a shared table has a value, that value is used, and a
 * fact that disagrees with it stops the build.
 */
export const FACTS_FILE = 'instance-facts.tsv' as const

/**
 * The project-owned storage prices (seed/storage-prices.tsv): the gp3 price per GB-month of the regions
 * the seed prices nodes in, each row with its date and source. Optional: without it the seed has none.
 */
export const STORAGE_PRICES_FILE = 'storage-prices.tsv' as const

/**
 * The seed's date: 2026-08-21, the newest of the source snapshots (the Karpenter repository HEAD the specs
 * table comes from). Every number in the seed is "as of" that snapshot or older, never newer.
 */
export const SEED_AS_OF = '2026-08-21'

const HEADERS: Record<string, readonly string[]> = {
  [SEED_FILES.eniLimits]: ['instance_type', 'max_enis', 'ipv4_per_eni', 'network_cards', 'hypervisor', 'bare_metal', 'encryption_in_transit', 'default_network_card_index', 'max_enis_all_cards', 'vcpus'],
  [SEED_FILES.maxPods]: ['instance_type', 'max_pods'],
  [SEED_FILES.branchLimits]: ['instance_type', 'trunking_compatible', 'branch_interfaces', 'interfaces_all_cards', 'ipv4_per_eni', 'source'],
  [SEED_FILES.specs]: ['instance_type', 'arch', 'vcpus', 'memory_mib', 'network_bandwidth_mbps', 'cpu_manufacturer', 'generation', 'gpu_count', 'allocatable_cpu', 'allocatable_memory', 'karpenter_pods', 'pod_eni'],
  [SEED_FILES.prices]: ['region', 'instance_type', 'usd_per_hour', 'source'],
  [FACTS_FILE]: ['instance_type', 'vcpus', 'memory_mib', 'arch', 'source'],
  [STORAGE_PRICES_FILE]: ['region', 'volume_type', 'usd_per_gb_month', 'as_of', 'source'],
}

/** Short provenance per file, from shared/data/README.md. */
const PROVENANCE: Record<string, string> = {
  [SEED_FILES.eniLimits]:
    'aws/amazon-vpc-cni-k8s pkg/vpc/vpc_ip_resource_limit.go @6152e01c8 (2026-08-11); encryption_in_transit and vcpus from aws/karpenter-provider-aws instance-types.md @692ccdd06 (2026-07-11)',
  [SEED_FILES.maxPods]: 'aws/amazon-vpc-cni-k8s misc/eni-max-pods.txt @6152e01c8 (2026-08-11)',
  [SEED_FILES.branchLimits]:
    'aws/amazon-vpc-resource-controller-k8s pkg/aws/vpc/limits.go @58c8559 (2026-03-20); types it lacks from the copy in aws/karpenter-provider-aws zz_generated.vpclimits.go @7f27b4e85 (2026-08-18)',
  [SEED_FILES.specs]: 'aws/karpenter-provider-aws website/content/en/docs/reference/instance-types.md @1d927085d (2026-08-21)',
  [SEED_FILES.prices]:
    'us-east-1, us-gov-*: aws/karpenter-provider-aws zz_generated.pricing_aws*.go @6fc13b523 (2026-07-20); us-west-2, eu-west-1: subset of skypilot-org/skypilot-catalog catalogs/v8/aws/vms.csv @00148f2af367',
  [FACTS_FILE]:
    'cni-advisor seed/instance-facts.tsv: vCPUs, memory, arch only where the shared tables have none; each row names its source (EC2 DescribeInstanceTypes dump in getmoto/moto, AWS Pricing API lists generated in kubernetes/autoscaler)',
  [STORAGE_PRICES_FILE]: 'cni-advisor seed/storage-prices.tsv: gp3 per GB-month; each row names its source (the Amazon EBS pricing page)',
}

const PRICE_SOURCES: Record<string, { source: string; asOf: string }> = {
  karpenter: { source: 'aws/karpenter-provider-aws@6fc13b523 (static pricing table)', asOf: '2026-07-20' },
  // The SkyPilot catalog commit has no known date; the seed's own date is the latest it can be.
  skypilot: { source: 'skypilot-org/skypilot-catalog@00148f2af367 (vms.csv)', asOf: SEED_AS_OF },
}

/** One data line of a table, kept with its 1-based line number for error messages. */
interface Row {
  line: number
  cells: Record<string, string>
}

class Table {
  constructor(
    readonly file: string,
    readonly rows: Row[],
  ) {}

  fail(line: number, column: string | null, message: string): never {
    throw new Error(`${this.file} line ${line}${column === null ? '' : `, column ${column}`}: ${message}`)
  }

  text(row: Row, column: string): string {
    const value = row.cells[column]
    /* c8 ignore next */
    if (value === undefined) return this.fail(row.line, column, 'missing cell')
    return value
  }

  int(row: Row, column: string, min = 0): number {
    const raw = this.text(row, column)
    if (!/^\d+$/.test(raw) || Number(raw) < min) this.fail(row.line, column, `expected an integer ≥ ${min}, got ${JSON.stringify(raw)}`)
    return Number(raw)
  }

  optionalInt(row: Row, column: string, min = 0): number | null {
    return this.text(row, column) === '' ? null : this.int(row, column, min)
  }

  positiveNumber(row: Row, column: string): number {
    const raw = this.text(row, column)
    const value = Number(raw)
    if (!/^\d+(\.\d+)?$/.test(raw) || !(value > 0)) this.fail(row.line, column, `expected a positive decimal number, got ${JSON.stringify(raw)}`)
    return value
  }

  bool(row: Row, column: string): boolean {
    const raw = this.text(row, column)
    if (raw !== 'true' && raw !== 'false') this.fail(row.line, column, `expected true or false, got ${JSON.stringify(raw)}`)
    return raw === 'true'
  }

  optionalBool(row: Row, column: string): boolean | null {
    return this.text(row, column) === '' ? null : this.bool(row, column)
  }

  oneOf<const T extends string>(row: Row, column: string, allowed: readonly T[]): T {
    const raw = this.text(row, column)
    if (!(allowed as readonly string[]).includes(raw)) this.fail(row.line, column, `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(raw)}`)
    return raw as T
  }

  /** Rows by key; a key seen twice is an error naming both lines. */
  index(key: (row: Row) => string): Map<string, Row> {
    const byKey = new Map<string, Row>()
    for (const row of this.rows) {
      const k = key(row)
      const earlier = byKey.get(k)
      if (earlier) this.fail(row.line, null, `duplicate row for ${k} (first on line ${earlier.line})`)
      byKey.set(k, row)
    }
    return byKey
  }
}

const INSTANCE_NAME = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/

/** Parses one TSV file strictly: exact header, same number of cells on every line, no blank lines. */
export function parseTsv(file: string, content: string): Table {
  const expected = HEADERS[file]
  if (!expected) throw new Error(`${file}: not one of the seed's tables (${Object.keys(HEADERS).join(', ')})`)
  const lines = content.split('\n')
  if (lines.at(-1) === '') lines.pop()
  const header = lines[0]?.split('\t') ?? []
  if (header.join('\t') !== expected.join('\t')) {
    const at = expected.findIndex((name, i) => header[i] !== name)
    const column = at === -1 ? header[expected.length] : header[at]
    throw new Error(
      `${file} line 1, column ${at === -1 ? expected.length + 1 : at + 1}: header ${JSON.stringify(column ?? '')} where ` +
        `${JSON.stringify(expected[at] ?? '(end of line)')} was expected; the header must be: ${expected.join(' ')}`,
    )
  }
  const rows: Row[] = []
  const table = new Table(file, rows)
  lines.slice(1).forEach((text, i) => {
    const line = i + 2
    const cells = text.split('\t')
    if (cells.length !== expected.length) table.fail(line, null, `${cells.length} cells where the header has ${expected.length}`)
    const record: Record<string, string> = {}
    expected.forEach((name, c) => (record[name] = cells[c] as string))
    rows.push({ line, cells: record })
  })
  return table
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** "750 Mbps baseline", "12.5 Gbps baseline": the tables give only the baseline bandwidth in Mbit/s. */
export function describeBandwidth(mbps: number | null): string | null {
  if (mbps === null) return null
  if (mbps < 1000) return `${mbps} Mbps baseline`
  return `${Number((mbps / 1000).toFixed(3))} Gbps baseline`
}

/** A value for one field of an instance type, with the table and line it came from (for error messages). */
interface Sourced<T> {
  value: T
  from: string
}

/** The facts file's value for a field when the shared tables have none; a different value is an error. */
function fillGap<T>(shared: Sourced<T> | null, facts: Table, row: Row | undefined, column: string, fact: T | null): T | null {
  if (fact === null || row === undefined) return shared?.value ?? null
  if (shared === null) return fact
  if (shared.value !== fact) {
    facts.fail(row.line, column, `${facts.text(row, 'instance_type')}: ${JSON.stringify(fact)} but ${shared.from} says ${JSON.stringify(shared.value)}; the shared tables win, so correct or drop the fact`)
  }
  return shared.value
}

export function buildSeed(files: Record<string, string>): Seed {
  const table = (file: string): Table => {
    const content = files[file]
    if (content === undefined) throw new Error(`${file}: missing (the seed needs ${[...Object.values(SEED_FILES), FACTS_FILE].join(', ')})`)
    return parseTsv(file, content)
  }
  const limits = table(SEED_FILES.eniLimits)
  const published = table(SEED_FILES.maxPods)
  const branch = table(SEED_FILES.branchLimits)
  const specs = table(SEED_FILES.specs)
  const prices = table(SEED_FILES.prices)
  const facts = table(FACTS_FILE)

  const nameOf = (t: Table) => (row: Row) => {
    const name = t.text(row, 'instance_type')
    if (!INSTANCE_NAME.test(name)) t.fail(row.line, 'instance_type', `not an instance type name: ${JSON.stringify(name)}`)
    return name
  }
  const limitsByName = limits.index(nameOf(limits))
  const publishedByName = published.index(nameOf(published))
  const branchByName = branch.index(nameOf(branch))
  const specsByName = specs.index(nameOf(specs))
  const pricesByKey = prices.index((row) => `${prices.text(row, 'region')} ${nameOf(prices)(row)}`)
  const factsByName = facts.index(nameOf(facts))

  // Every fact is about a type of the base set, says something, and says where it comes from.
  for (const [name, row] of factsByName) {
    if (!limitsByName.has(name)) facts.fail(row.line, 'instance_type', `${name} is not in ${SEED_FILES.eniLimits}, so the seed has no such type`)
    const given = ['vcpus', 'memory_mib', 'arch'].filter((column) => facts.text(row, column) !== '')
    if (given.length === 0) facts.fail(row.line, null, `${name}: no vcpus, memory_mib or arch; a row must give at least one`)
    if (facts.text(row, 'source').trim() === '') facts.fail(row.line, 'source', `${name}: every fact needs its source`)
  }
  const at = (t: Table, row: Row): string => `${t.file} line ${row.line}`

  // The base set is the VPC CNI's limits table: it alone gives E on the default network card and I.
  // Types found only elsewhere are not added: the branch table's i3.metal and Graviton *-flex types carry
  // only the resource controller's ENI count over all cards, not E; the price-only types carry neither.
  const instanceTypes: InstanceType[] = []
  for (const [name, row] of limitsByName) {
    const spec = specsByName.get(name)
    const br = branchByName.get(name)
    const hypervisor = limits.text(row, 'hypervisor')
    if (hypervisor !== '') limits.oneOf(row, 'hypervisor', ['nitro', 'xen'])
    const bareMetal = limits.bool(row, 'bare_metal')
    const bandwidth = spec ? specs.optionalInt(spec, 'network_bandwidth_mbps') : null
    const limitsVcpu = limits.optionalInt(row, 'vcpus')
    const fact = factsByName.get(name)
    // Specs (Karpenter docs, newest snapshot) first, then the vCPU column of the limits table (same source,
    // older docs). The 28 types neither lists (mac*, u-*tb1.metal, f1.*, p3.*, ...) take seed/instance-facts.tsv;
    // a type it has no sourced fact for stays null rather than guessed (EKS then applies the 110 cap).
    const sharedVcpu: Sourced<number> | null = spec
      ? { value: specs.int(spec, 'vcpus', 1), from: at(specs, spec) }
      : limitsVcpu === null
        ? null
        : { value: limitsVcpu, from: at(limits, row) }
    const sharedMemory: Sourced<number> | null = spec ? { value: specs.int(spec, 'memory_mib', 1), from: at(specs, spec) } : null
    const sharedArch: Sourced<'amd64' | 'arm64'> | null = spec ? { value: specs.oneOf(spec, 'arch', ['amd64', 'arm64']), from: at(specs, spec) } : null
    const factArch = fact && facts.text(fact, 'arch') !== '' ? facts.oneOf(fact, 'arch', ['amd64', 'arm64']) : null
    instanceTypes.push({
      name,
      family: name.slice(0, name.indexOf('.')),
      vcpu: fillGap(sharedVcpu, facts, fact, 'vcpus', fact ? facts.optionalInt(fact, 'vcpus', 1) : null),
      memoryMiB: fillGap(sharedMemory, facts, fact, 'memory_mib', fact ? facts.optionalInt(fact, 'memory_mib', 1) : null),
      arch: fillGap(sharedArch, facts, fact, 'arch', factArch),
      // E is the default card's ENIs (CNI ENILimit), not max_enis_all_cards nor the resource controller's
      // interfaces_all_cards: the CNI, nodeadm and Karpenter compute max pods on the default card only.
      maxEnis: limits.int(row, 'max_enis', 1),
      ipv4PerEni: limits.int(row, 'ipv4_per_eni', 1),
      networkCards: limits.int(row, 'network_cards', 1),
      maxEnisAllCards: limits.int(row, 'max_enis_all_cards', 1),
      // No table lists IPv6 support. EKS IPv6 clusters need prefix delegation, which needs Nitro; bare-metal
      // types report no hypervisor but are Nitro systems (CNI ≥ 1.11 runs prefix delegation on them).
      ipv6Supported: hypervisor === 'nitro' || bareMetal,
      // Empty = the EC2 API gave no hypervisor (bare metal, and the hand-kept cr1/hs1 entries): unknown.
      hypervisor: hypervisor === '' ? null : (hypervisor as 'nitro' | 'xen'),
      bareMetal,
      // From the branch table. Types it lacks (19, e.g. hpc*, trn2.*, u-*tb1.metal) get false/0: no source
      // says they can take a trunk ENI. i4i.large keeps the resource controller's false/0 (as the table
      // does) though Karpenter's newer copy says true/9: the controller is what actually hands out branch
      // ENIs. The specs table's pod_eni is not used: it is empty for 55 types the newer copy lists as
      // trunking, i.e. generated from an older vendored table.
      trunking: br ? branch.bool(br, 'trunking_compatible') : false,
      branchEnis: br ? branch.int(br, 'branch_interfaces') : 0,
      encryptionInTransit: limits.optionalBool(row, 'encryption_in_transit'),
      networkPerformance: describeBandwidth(bandwidth),
      networkBandwidthMbps: bandwidth,
    })
    limits.int(row, 'default_network_card_index')
  }
  instanceTypes.sort((a, b) => byName(a.name, b.name))

  // AWS's published max pods must be reproducible from the limits table, type by type.
  for (const [name, row] of publishedByName) {
    const limitsRow = limitsByName.get(name) ?? published.fail(row.line, 'instance_type', `${name} is not in ${SEED_FILES.eniLimits}, so its E and I are unknown`)
    const E = limits.int(limitsRow, 'max_enis')
    const I = limits.int(limitsRow, 'ipv4_per_eni')
    const value = published.int(row, 'max_pods', 1)
    if (value !== E * (I - 1) + 2) published.fail(row.line, 'max_pods', `${name}: ${value} but ${E} × (${I} − 1) + 2 = ${E * (I - 1) + 2}`)
  }
  for (const row of specs.rows) {
    specs.int(row, 'generation')
    specs.optionalInt(row, 'gpu_count')
    specs.int(row, 'karpenter_pods')
    specs.optionalInt(row, 'pod_eni')
    if (!/^\d+m$/.test(specs.text(row, 'allocatable_cpu'))) specs.fail(row.line, 'allocatable_cpu', `expected millicores like 1930m, got ${JSON.stringify(specs.text(row, 'allocatable_cpu'))}`)
    if (!/^\d+Mi$/.test(specs.text(row, 'allocatable_memory'))) specs.fail(row.line, 'allocatable_memory', `expected MiB like 6903Mi, got ${JSON.stringify(specs.text(row, 'allocatable_memory'))}`)
  }
  for (const row of branch.rows) {
    branch.bool(row, 'trunking_compatible')
    branch.int(row, 'branch_interfaces')
    branch.int(row, 'interfaces_all_cards', 1)
    branch.int(row, 'ipv4_per_eni', 1)
    branch.oneOf(row, 'source', ['rc', 'karpenter-copy'])
  }

  // Every price row, every region, even for types without limits (cc2, g2, g3, p2, ...): prices are facts
  // of their own and the catalog may show them.
  const priceRows: Price[] = []
  for (const [, row] of pricesByKey) {
    const origin = PRICE_SOURCES[prices.oneOf(row, 'source', ['karpenter', 'skypilot'])] as { source: string; asOf: string }
    const region = prices.text(row, 'region')
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) prices.fail(row.line, 'region', `not a region code: ${JSON.stringify(region)}`)
    priceRows.push({
      region,
      instanceType: prices.text(row, 'instance_type'),
      usdPerHour: prices.positiveNumber(row, 'usd_per_hour'),
      source: origin.source,
      asOf: origin.asOf,
    })
  }
  priceRows.sort((a, b) => byName(a.instanceType, b.instanceType) || byName(a.region, b.region))

  // Storage prices: the project's own file, when there is one.
  const storage = files[STORAGE_PRICES_FILE] === undefined ? null : table(STORAGE_PRICES_FILE)
  const storagePrices: StoragePrice[] = []
  const seenStorage = new Set<string>()
  for (const row of storage?.rows ?? []) {
    const t = storage as Table
    const region = t.text(row, 'region')
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) t.fail(row.line, 'region', `not a region code: ${JSON.stringify(region)}`)
    const volumeType = t.oneOf(row, 'volume_type', ['gp3'])
    if (seenStorage.has(`${region} ${volumeType}`)) t.fail(row.line, 'region', `${region} ${volumeType} given twice`)
    seenStorage.add(`${region} ${volumeType}`)
    const asOf = t.text(row, 'as_of')
    if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || asOf > SEED_AS_OF) t.fail(row.line, 'as_of', `expected a date no later than the seed's ${SEED_AS_OF}, got ${JSON.stringify(asOf)}`)
    const source = t.text(row, 'source').trim()
    if (source === '') t.fail(row.line, 'source', `${region}: every price needs its source`)
    storagePrices.push({ region, volumeType, usdPerGbMonth: t.positiveNumber(row, 'usd_per_gb_month'), source, asOf })
  }
  storagePrices.sort((a, b) => byName(a.region, b.region))

  const generatedFrom: Record<string, SeedSource> = {}
  for (const t of [branch, limits, specs, prices, published, facts, ...(storage ? [storage] : [])].sort((a, b) => byName(a.file, b.file))) {
    generatedFrom[t.file] = { rows: t.rows.length, source: PROVENANCE[t.file] as string }
  }
  return { generatedFrom, asOf: SEED_AS_OF, instanceTypes, prices: priceRows, storagePrices }
}

/**
 * The seed as committed: fixed key order, one instance type or price per line, so a refresh shows up in a
 * diff as the rows that changed.
 */
export function serializeSeed(seed: Seed): string {
  const rows = (items: object[]): string => (items.length === 0 ? '[]' : `[\n${items.map((item) => `    ${JSON.stringify(item)}`).join(',\n')}\n  ]`)
  const sources = Object.entries(seed.generatedFrom)
    .sort(([a], [b]) => byName(a, b))
    .map(([file, s]) => `    ${JSON.stringify(file)}: ${JSON.stringify({ rows: s.rows, source: s.source })}`)
    .join(',\n')
  const ordered = seed.instanceTypes.map(
    (it): InstanceType => ({
      name: it.name,
      family: it.family,
      vcpu: it.vcpu,
      memoryMiB: it.memoryMiB,
      arch: it.arch,
      maxEnis: it.maxEnis,
      ipv4PerEni: it.ipv4PerEni,
      networkCards: it.networkCards,
      maxEnisAllCards: it.maxEnisAllCards,
      ipv6Supported: it.ipv6Supported,
      hypervisor: it.hypervisor,
      bareMetal: it.bareMetal,
      trunking: it.trunking,
      branchEnis: it.branchEnis,
      encryptionInTransit: it.encryptionInTransit,
      networkPerformance: it.networkPerformance,
      networkBandwidthMbps: it.networkBandwidthMbps,
    }),
  )
  const prices = seed.prices.map((p): Price => ({ region: p.region, instanceType: p.instanceType, usdPerHour: p.usdPerHour, source: p.source, asOf: p.asOf }))
  const storagePrices = seed.storagePrices.map(
    (p): StoragePrice => ({ region: p.region, volumeType: p.volumeType, usdPerGbMonth: p.usdPerGbMonth, source: p.source, asOf: p.asOf }),
  )
  return (
    '{\n' +
    `  "generatedFrom": {\n${sources}\n  },\n` +
    `  "asOf": ${JSON.stringify(seed.asOf)},\n` +
    `  "instanceTypes": ${rows(ordered)},\n` +
    `  "prices": ${rows(prices)},\n` +
    `  "storagePrices": ${rows(storagePrices)}\n` +
    '}\n'
  )
}
