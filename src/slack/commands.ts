// The text after `/cni`, read the way people type it in Slack: any case, short aliases, smart quotes
// and dashes from autocorrecting clients, `+` or %-escapes from clients that encode twice, bare words.
// Values are then parsed with the SAME field tables as REST (parseRequirements / parseFields, textual),
// so a bad value gets the same message everywhere. Pure: no I/O, nothing from the catalog.
//
// Decisions (also in the help text):
// - A bare need word (`multicast`, `encryption`, `policy`, `sg`, `flowlogs`, `portability`, `ipv6`) means
//   `=required`: someone who bothers to name a need in a one-line command needs it. Say `=preferred` for a soft one.
// - Bare `fargate` / `windows` mean true. A bare instance type (`m5.large`) or region (`eu-west-1`) is taken as one.
// - A key given twice: list fields (instance types, subnets) add up; any other field must repeat the same value.
import { CAPACITY_FIELDS, INSTANCE_TYPE_PATTERN, MAX_PODS_FIELDS, parseRequirements, REGION_PATTERN, REQUIREMENT_FIELDS } from '../answers/inputs.js'
import type { CapacityQuery, MaxPodsQuery } from '../answers/answers.js'
import { parseFields, show } from '../domain/fields.js'
import { InputError, LEVEL_NEEDS, MODES, NotFoundError, type Mode, type Requirements } from '../domain/types.js'

export type Visibility = 'ephemeral' | 'in_channel'
export type CommandName = 'recommend' | 'maxpods' | 'plan' | 'help'

export type SlackCommand =
  | { kind: 'help'; visibility: Visibility; topic: CommandName | null }
  | { kind: 'recommend'; visibility: Visibility; requirements: Requirements }
  | { kind: 'maxpods'; visibility: Visibility; instanceType: string; query: MaxPodsQuery }
  | { kind: 'plan'; visibility: Visibility; query: CapacityQuery }
  | UsageError

/** A command that could not be understood: always answered privately, with what is accepted. */
export interface UsageError {
  kind: 'usage'
  visibility: 'ephemeral'
  /** The command the text was for, when that much was understood. */
  command: CommandName | null
  /** The field at fault (the canonical name, as REST would say it), when one is. */
  field: string | null
  message: string
  /** What the person typed for that field, when it differs from the field name (`pods` for podsPerNode). */
  typedAs: string | null
}

// ---------------------------------------------------------------------------------------------
// Text → tokens
// ---------------------------------------------------------------------------------------------

export interface Token {
  /** The key of `key=value`, lower-cased, without `-`, `_` or leading dashes; null for a bare word. */
  key: string | null
  /** The key as typed (for messages). */
  typedKey: string | null
  /** The value (or the bare word), lower-cased: every value the commands take is case-insensitive. */
  value: string
}

const DOUBLE_QUOTES = /[\u201C\u201D\u201E\u201F\u2033\u00AB\u00BB]/g
const SINGLE_QUOTES = /[\u2018\u2019\u201A\u201B\u2032]/g
const DASHES = /[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uFE58\uFE63\uFF0D]/g
const ODD_SPACES = /[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000\t\r\n\v\f]/g
const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF]/g

/**
 * Undoes what Slack clients and proxies do to text: a second round of form encoding (`+`, `%XX`),
 * typographic quotes and dashes, odd spaces, spaces around `=` and `,`.
 */
export function normaliseText(text: string): string {
  let s = text.replace(/\+/g, ' ')
  if (/%[0-9a-f]{2}/i.test(s)) {
    try {
      s = decodeURIComponent(s)
    } catch {
      // Not a valid escape sequence after all (a literal `%`): keep the text as it is.
    }
  }
  return s
    .replace(INVISIBLE, '')
    .replace(ODD_SPACES, ' ')
    .replace(DOUBLE_QUOTES, '"')
    .replace(SINGLE_QUOTES, "'")
    .replace(DASHES, '-')
    .replace(/\s*=\s*/g, '=')
    .replace(/\s*,\s*/g, ',')
    .trim()
}

const normaliseKey = (k: string): string => k.replace(/^-+/, '').replace(/[-_\s]/g, '').toLowerCase()

/** Splits normalised text at spaces; quotes ("..." or '...') group words and are dropped. */
export function tokenise(text: string): Token[] {
  const words: string[] = []
  let current = ''
  let quote: string | null = null
  let inWord = false
  for (const ch of normaliseText(text)) {
    if (quote !== null) {
      if (ch === quote) quote = null
      else current += ch
    } else if (ch === '"' || ch === "'") {
      quote = ch
      inWord = true
    } else if (ch === ' ') {
      if (inWord) words.push(current)
      current = ''
      inWord = false
    } else {
      current += ch
      inWord = true
    }
  }
  if (inWord) words.push(current)
  return words.map((w) => {
    const eq = w.indexOf('=')
    if (eq <= 0) return { key: null, typedKey: null, value: (eq === 0 ? w.slice(1) : w).trim().toLowerCase() }
    const typedKey = w.slice(0, eq).replace(/^-+/, '')
    return { key: normaliseKey(typedKey), typedKey, value: w.slice(eq + 1).trim().toLowerCase() }
  }).filter((t) => t.key !== null || t.value !== '')
}

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

const COMMAND_WORDS: Readonly<Record<string, CommandName>> = {
  recommend: 'recommend',
  recommendation: 'recommend',
  rec: 'recommend',
  which: 'recommend',
  maxpods: 'maxpods',
  max: 'maxpods',
  plan: 'plan',
  capacity: 'plan',
  cost: 'plan',
  help: 'help',
  usage: 'help',
  '?': 'help',
  h: 'help',
}

const PUBLIC_WORDS = new Set(['public', 'inchannel', 'channel'])
const PRIVATE_WORDS = new Set(['private', 'ephemeral', 'me'])

/** Field names by their normalised spelling, plus the aliases. */
function keyTable(fields: readonly string[], aliases: Record<string, string>): ReadonlyMap<string, string> {
  const m = new Map<string, string>()
  for (const f of fields) m.set(normaliseKey(f), f)
  for (const [a, f] of Object.entries(aliases)) m.set(a, f)
  return m
}

export const RECOMMEND_ALIASES: Readonly<Record<string, keyof typeof REQUIREMENT_FIELDS>> = {
  pods: 'podsPerNode',
  total: 'totalPods',
  instance: 'instanceTypes',
  instances: 'instanceTypes',
  type: 'instanceTypes',
  types: 'instanceTypes',
  perf: 'performance',
  ips: 'podIpBudget',
  budget: 'podIpBudget',
  subnets: 'podSubnets',
  ds: 'daemonSetsPerNode',
  daemonsets: 'daemonSetsPerNode',
  sg: 'securityGroupsForPods',
  sgp: 'securityGroupsForPods',
  policy: 'networkPolicy',
  netpol: 'networkPolicy',
  flowlogs: 'flowLogs',
  encrypt: 'encryption',
}

export const MAXPODS_ALIASES: Readonly<Record<string, string>> = {
  type: 'instanceType',
  instance: 'instanceType',
  name: 'instanceType',
  ds: 'daemonSetsPerNode',
  daemonsets: 'daemonSetsPerNode',
  cap: 'maxPodsCap',
}

export const PLAN_ALIASES: Readonly<Record<string, keyof typeof CAPACITY_FIELDS>> = {
  total: 'totalPods',
  pods: 'totalPods',
  cpu: 'podCpu',
  mem: 'podMemoryMiB',
  memory: 'podMemoryMiB',
  instance: 'instanceTypes',
  instances: 'instanceTypes',
  type: 'instanceTypes',
  types: 'instanceTypes',
  ds: 'daemonSetsPerNode',
  daemonsets: 'daemonSetsPerNode',
  cap: 'maxPodsCap',
  pernode: 'podsPerNode',
  density: 'podsPerNode',
  cat: 'category',
  gen: 'generation',
  vcpu: 'minVcpu',
  vcpus: 'minVcpu',
  minmem: 'minMemoryMiB',
  metal: 'bareMetal',
  burst: 'burstable',
  price: 'capacityType',
  pricing: 'capacityType',
  ebs: 'ebsGiB',
  disk: 'ebsGiB',
  fee: 'clusterFee',
}

const RECOMMEND_KEYS = keyTable(Object.keys(REQUIREMENT_FIELDS), RECOMMEND_ALIASES)
const MAXPODS_KEYS = keyTable(['instanceType', ...Object.keys(MAX_PODS_FIELDS)], MAXPODS_ALIASES)
const PLAN_KEYS = keyTable(Object.keys(CAPACITY_FIELDS), PLAN_ALIASES)

/** Short words for the modes (full names work too). */
export const MODE_ALIASES: Readonly<Record<string, Mode>> = {
  secondary: 'secondary-ip',
  pd: 'prefix-delegation',
  prefix: 'prefix-delegation',
  prefixes: 'prefix-delegation',
  custom: 'custom-networking',
  'custom-pd': 'custom-networking-prefix-delegation',
  cnpd: 'custom-networking-prefix-delegation',
  sgp: 'security-groups-for-pods',
  sg: 'security-groups-for-pods',
  v6: 'ipv6',
}

function modeOf(word: string): Mode | null {
  if ((MODES as readonly string[]).includes(word)) return word as Mode
  return MODE_ALIASES[word] ?? MODE_ALIASES[normaliseKey(word)] ?? null
}

const LIST_FIELDS = new Set(['instanceTypes', 'podSubnets', 'modes', 'category'])

/** Bare words for an architecture in a plan: `arm64`, `graviton`, `amd64`, `x86`. */
const ARCH_WORDS: Readonly<Record<string, string>> = { arm64: 'arm64', arm: 'arm64', graviton: 'arm64', amd64: 'amd64', x86: 'amd64', x8664: 'amd64' }
const isNumber = (w: string) => /^\d+$/.test(w)

/** Bare words (and short values) for a plan's capacityType: `spot`, `reserved`, `on-demand`. */
const CAPACITY_WORDS: Readonly<Record<string, string>> = {
  spot: 'spot',
  ondemand: 'on-demand',
  od: 'on-demand',
  reserved: 'reserved-1y',
  reserved1y: 'reserved-1y',
  ri: 'reserved-1y',
}

// ---------------------------------------------------------------------------------------------
// Usage: what each command accepts (the help text and every error message use it)
// ---------------------------------------------------------------------------------------------

export const USAGE: Readonly<Record<CommandName, { line: string; details: string[] }>> = {
  recommend: {
    line: '/cni recommend key=value ...',
    details: [
      `Keys: ${Object.keys(REQUIREMENT_FIELDS).join(', ')} (any case).`,
      `Short keys: ${Object.entries(RECOMMEND_ALIASES).map(([a, f]) => `${a}=${f}`).join(', ')}.`,
      'Needs (multicast, encryption, policy, sg, flowlogs, portability, ipv6) take required, preferred or none; a bare need word means required.',
      'perf=low|medium|high. Bare fargate / windows mean true. A bare m5.large or eu-west-1 is an instance type or a region.',
      'Example: /cni recommend multicast encryption=preferred instance=m5.large,m6i.xlarge pods=60',
    ],
  },
  maxpods: {
    line: '/cni maxpods <instance type> [mode] [ds=N] [cap=N] [os=windows]',
    details: [
      `Modes: ${MODES.join(', ')} (short: ${Object.entries(MODE_ALIASES).map(([a, m]) => `${a}=${m}`).join(', ')}); default secondary-ip.`,
      'ds = DaemonSet pods per node (daemonSetsPerNode), cap = your own kubelet --max-pods (maxPodsCap), os=windows for Windows nodes (one ENI serves pods).',
      'Example: /cni maxpods m5.large prefix-delegation ds=3',
    ],
  },
  plan: {
    line: '/cni plan total=N [cpu=0.25] [mem=512] [mode=... | modes=a,b] [instance=a,b | family=m6i] [arch=arm64] [category=c,m] [gen=6] [region=...] [spot | reserved] [ebs=N] [fee=standard]',
    details: [
      `Keys: ${Object.keys(CAPACITY_FIELDS).join(', ')} (any case).`,
      `Short keys: ${Object.entries(PLAN_ALIASES).map(([a, f]) => `${a}=${f}`).join(', ')}. cpu in vCPUs or millicores (250m), mem and minmem in MiB or Gi (1Gi).`,
      'Filters as Karpenter requirements: arch=amd64|arm64|any (a bare arm64 or graviton too), category=c,m,r (the leading letters of the name), gen=N (at least), burstable=false (no t*), vcpu=N, minmem=16Gi, metal=true|false. The whole catalog assumes arch=amd64.',
      'modes=secondary-ip,pd compares modes side by side; pernode=N keeps only types whose nodes fit N workload pods.',
      'Prices: on-demand by default; spot (or price=spot) for the median spot price over the region\'s AZs, reserved (reserved-1y) for the 1-year no-upfront rate. The answer names their source and date, and says how many types are priced.',
      'Node overhead in columns of its own: ebs=N (gp3 GiB per node) and fee=standard|extended|none (the EKS control-plane fee), with the total beside the node cost.',
      'Shows the first 5 rows (cheapest first where the region has prices); the link has them all.',
      'Example: /cni plan total=3000 cpu=0.25 mem=512 arch=arm64 category=c,m gen=7 modes=secondary-ip,pd',
    ],
  },
  help: {
    line: '/cni help [recommend | maxpods | plan]',
    details: ['Add public (or visibility=channel) to any command to answer in the channel; answers are private by default.'],
  },
}

// ---------------------------------------------------------------------------------------------
// Dispatch
// ---------------------------------------------------------------------------------------------

function usage(command: CommandName | null, message: string, field: string | null = null, typedAs: string | null = null): UsageError {
  return { kind: 'usage', visibility: 'ephemeral', command, field, message, typedAs }
}

/** The usage error for an input or not-found error of the shared parsers and answers. */
export function usageFromError(command: CommandName, err: InputError | NotFoundError, typed: ReadonlyMap<string, string> = new Map()): UsageError {
  const field = err.field.replace(/\[\d+\]$/, '')
  const typedAs = typed.get(field) ?? null
  return usage(command, err.message, field, typedAs !== null && typedAs !== field ? typedAs : null)
}

/** Collects `key=value` pairs under their field names; list fields add up, others must not disagree. */
class Collected {
  readonly raw: Record<string, string> = {}
  /** field → what the person typed for it */
  readonly typed = new Map<string, string>()

  add(field: string, value: string, typed: string): string | null {
    const before = this.raw[field]
    if (!this.typed.has(field)) this.typed.set(field, typed)
    if (before === undefined) {
      this.raw[field] = value
      return null
    }
    if (LIST_FIELDS.has(field)) {
      this.raw[field] = `${before},${value}`
      return null
    }
    if (before === value) return null
    return `${field} is given twice (${show(before)} and ${show(value)}); give it once`
  }
}

function unknownKey(command: CommandName, typedKey: string, keys: ReadonlyMap<string, string>): UsageError {
  const known = [...new Set(keys.keys())].join(', ')
  return usage(command, `unknown key ${show(typedKey)} for ${command}; the keys are: ${known}`, typedKey)
}

function recommendCommand(tokens: Token[], visibility: Visibility): SlackCommand {
  const c = new Collected()
  for (const t of tokens) {
    let field: string | undefined
    let value = t.value
    let typed = t.typedKey ?? t.value
    if (t.key !== null) {
      field = RECOMMEND_KEYS.get(t.key)
      if (field === undefined) return unknownKey('recommend', t.typedKey ?? t.key, RECOMMEND_KEYS)
    } else {
      const asKey = RECOMMEND_KEYS.get(normaliseKey(t.value))
      if (asKey === 'fargate' || asKey === 'windows') {
        field = asKey
        value = 'true'
      } else if (asKey !== undefined && (LEVEL_NEEDS as readonly string[]).includes(asKey)) {
        field = asKey
        value = 'required'
      } else if (INSTANCE_TYPE_PATTERN.test(t.value)) {
        field = 'instanceTypes'
      } else if (REGION_PATTERN.test(t.value)) {
        field = 'region'
      } else {
        return usage(
          'recommend',
          `unknown word ${show(t.value)}: give key=value (e.g. pods=60), a need word (e.g. multicast), fargate, windows, an instance type or a region`,
          null,
        )
      }
      typed = t.value
    }
    const clash = c.add(field, value, typed)
    if (clash) return usage('recommend', clash, field)
  }
  try {
    return { kind: 'recommend', visibility, requirements: parseRequirements(c.raw, { textual: true }) }
  } catch (err) {
    if (err instanceof InputError) return usageFromError('recommend', err, c.typed)
    throw err
  }
}

function maxPodsCommand(tokens: Token[], visibility: Visibility): SlackCommand {
  const c = new Collected()
  for (const t of tokens) {
    let field: string | undefined
    let value = t.value
    if (t.key !== null) {
      field = MAXPODS_KEYS.get(t.key)
      if (field === undefined) return unknownKey('maxpods', t.typedKey ?? t.key, MAXPODS_KEYS)
      if (field === 'mode') value = modeOf(value) ?? value
    } else if (modeOf(t.value) !== null) {
      field = 'mode'
      value = modeOf(t.value)!
    } else if (c.raw.instanceType === undefined && /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/.test(t.value)) {
      field = 'instanceType'
    } else {
      return usage(
        'maxpods',
        c.raw.instanceType === undefined
          ? `${show(t.value)} is neither an instance type (like m5.large) nor a mode (${MODES.join(', ')})`
          : `unknown word ${show(t.value)} after ${c.raw.instanceType}: give a mode (${MODES.join(', ')}), ds=N or cap=N`,
        c.raw.instanceType === undefined ? 'instanceType' : null,
      )
    }
    const clash = c.add(field, value, t.typedKey ?? t.value)
    if (clash) return usage('maxpods', clash, field)
  }
  const { instanceType, ...rest } = c.raw
  if (instanceType === undefined || instanceType === '') {
    return usage('maxpods', 'which instance type? e.g. /cni maxpods m5.large', 'instanceType')
  }
  if (!INSTANCE_TYPE_PATTERN.test(instanceType) || instanceType.length > 100) {
    return usage('maxpods', `instanceType must be an EC2 instance type name like m5.large; got ${show(instanceType)}`, 'instanceType')
  }
  try {
    return { kind: 'maxpods', visibility, instanceType, query: parseFields(MAX_PODS_FIELDS, rest, { textual: true }) }
  } catch (err) {
    if (err instanceof InputError) return usageFromError('maxpods', err, c.typed)
    throw err
  }
}

/** `250m` → `0.25` vCPU. */
function cpuValue(v: string): string {
  const m = /^(\d+)m$/.exec(v)
  return m ? String(Number(m[1]) / 1000) : v
}

/** `512mi` → `512`, `1gi` / `1g` → `1024` MiB. */
function memoryValue(v: string): string {
  const m = /^(\d+(?:\.\d+)?)(mi|mib|m|gi|gib|g)$/.exec(v)
  if (!m) return v
  const n = Number(m[1]) * (m[2]!.startsWith('g') ? 1024 : 1)
  return String(n)
}

/** `20gi` / `20g` / `20gib` → `20` (ebsGiB is in GiB already). */
function gibValue(v: string): string {
  const m = /^(\d+)(gi|gib|g)$/.exec(v)
  return m ? m[1]! : v
}

function planCommand(tokens: Token[], visibility: Visibility): SlackCommand {
  const c = new Collected()
  for (const t of tokens) {
    let field: string | undefined
    let value = t.value
    if (t.key !== null) {
      field = PLAN_KEYS.get(t.key)
      if (field === undefined) return unknownKey('plan', t.typedKey ?? t.key, PLAN_KEYS)
      if (field === 'mode') value = modeOf(value) ?? value
      if (field === 'modes') value = value.split(',').map((m) => modeOf(m.trim()) ?? m).join(',')
      if (field === 'arch') value = ARCH_WORDS[normaliseKey(value)] ?? value
      if (field === 'podCpu') value = cpuValue(value)
      if (field === 'podMemoryMiB' || field === 'minMemoryMiB') value = memoryValue(value)
      if (field === 'capacityType') value = CAPACITY_WORDS[normaliseKey(value)] ?? value
      if (field === 'ebsGiB') value = gibValue(value)
    } else if (CAPACITY_WORDS[normaliseKey(t.value)] !== undefined) {
      field = 'capacityType'
      value = CAPACITY_WORDS[normaliseKey(t.value)]!
    } else if (isNumber(t.value)) {
      field = 'totalPods'
    } else if (modeOf(t.value) !== null) {
      field = 'mode'
      value = modeOf(t.value)!
    } else if (ARCH_WORDS[normaliseKey(t.value)] !== undefined) {
      field = 'arch'
      value = ARCH_WORDS[normaliseKey(t.value)]!
    } else if (INSTANCE_TYPE_PATTERN.test(t.value)) {
      field = 'instanceTypes'
    } else if (REGION_PATTERN.test(t.value)) {
      field = 'region'
    } else {
      return usage('plan', `unknown word ${show(t.value)}: give key=value (e.g. total=3000), a mode, an architecture (arm64, amd64), spot or reserved, an instance type or a region`, null)
    }
    const clash = c.add(field, value, t.typedKey ?? t.value)
    if (clash) return usage('plan', clash, field)
  }
  try {
    return { kind: 'plan', visibility, query: parseFields(CAPACITY_FIELDS, c.raw, { textual: true }) }
  } catch (err) {
    if (err instanceof InputError) return usageFromError('plan', err, c.typed)
    throw err
  }
}

/** What the text asks for, or what is wrong with it. Never throws on any text. */
export function parseCommand(text: string | undefined | null): SlackCommand {
  let visibility: Visibility = 'ephemeral'
  const tokens: Token[] = []
  for (const t of tokenise(text ?? '')) {
    if (t.key === null && PUBLIC_WORDS.has(normaliseKey(t.value))) visibility = 'in_channel'
    else if (t.key === null && PRIVATE_WORDS.has(normaliseKey(t.value))) visibility = 'ephemeral'
    else if (t.key === 'visibility' || t.key === 'responsetype') {
      const v = normaliseKey(t.value)
      if (PUBLIC_WORDS.has(v)) visibility = 'in_channel'
      else if (PRIVATE_WORDS.has(v)) visibility = 'ephemeral'
      else return usage(null, `visibility must be channel (or public, in_channel) or ephemeral (or private); got ${show(t.value)}`, 'visibility')
    } else tokens.push(t)
  }
  const [first, ...rest] = tokens
  if (first === undefined) return { kind: 'help', visibility, topic: null }
  const command = first.key === null ? (COMMAND_WORDS[normaliseKey(first.value)] ?? COMMAND_WORDS[first.value]) : undefined
  if (command === undefined) {
    const what = first.key === null ? first.value : `${first.typedKey}=${first.value}`
    return usage(null, `unknown command ${show(what)}; the commands are recommend, maxpods, plan and help`)
  }
  switch (command) {
    case 'help': {
      const topicWord = rest[0]?.key === null ? rest[0].value : undefined
      const topic = topicWord !== undefined ? (COMMAND_WORDS[normaliseKey(topicWord)] ?? null) : null
      return { kind: 'help', visibility, topic: topic === 'help' ? null : topic }
    }
    case 'recommend':
      return recommendCommand(rest, visibility)
    case 'maxpods':
      return maxPodsCommand(rest, visibility)
    case 'plan':
      return planCommand(rest, visibility)
  }
}
