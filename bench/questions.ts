// Distinct questions for the bench's miss rows: a seeded generator over the real instance types of the
// seed, the modes, and the values the field tables allow (src/answers/inputs.ts REQUIREMENT_FIELDS,
// MAX_PODS_FIELDS and CAPACITY_FIELDS). Every question it gives is parsed with the
// same table the service parses with, and its canonical form (the parsed fields, which is what the answer
// pipeline keys on) is remembered, so no question comes twice in a run: each one is a cache miss.
//
// Each field of a table is either drawn (with a probability, from a range that real clients ask for,
// clipped to the table's own bounds) or left out so the service applies its default. A field the table
// has and the generator does not know yet is left to its default and listed in UNDRAWN, which the bench
// prints, so the space is seen to lag when the tables grow.
import { CAPACITY_FIELDS, MAX_PODS_FIELDS, REQUIREMENT_FIELDS } from '../src/answers/inputs.js'
import { parseFields, type FieldSpec, type FieldTable } from '../src/domain/fields.js'
import type { InstanceType } from '../src/domain/types.js'

/** A small seeded pseudo-random generator (xorshift32 with a multiply on the way out): [0, 1). */
export function seededRandom(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return (Math.imul(x, 0x2545f491) >>> 0) / 2 ** 32
  }
}

type Rng = () => number

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!
/** Log-uniform over [lo, hi]: small values are asked far more often than large ones, yet the whole range comes up. */
const logUniform = (rng: Rng, lo: number, hi: number): number => Math.exp(Math.log(lo) + rng() * (Math.log(hi) - Math.log(lo)))
const bounds = (spec: FieldSpec): { min: number; max: number } => (spec.type === 'integer' || spec.type === 'number' ? spec : { min: -Infinity, max: Infinity })
/** A whole number, log-uniform over [lo, hi] clipped to the field's own range (lo ≥ 1; 0 is asked by leaving the field out). */
function int(rng: Rng, spec: FieldSpec, lo: number, hi: number): number {
  const { min, max } = bounds(spec)
  return Math.min(max, Math.max(min, Math.round(logUniform(rng, Math.max(lo, min, 1), Math.min(hi, max)))))
}

/** How one field is drawn: the chance it is given, and its value (from the field's spec) when it is. */
interface Draw {
  p: number
  value: (rng: Rng, spec: FieldSpec) => unknown
}
/** Per field of a table: how it is drawn, or null to leave it to its default. Names the table lacks are ignored. */
type Draws = Record<string, Draw | null>

export interface CatalogSpace {
  types: readonly InstanceType[]
  /** Regions with prices in the seed. */
  regions: readonly string[]
}

/** Fields of the tables that the generator does not know, so leaves to their defaults: "table.field". */
export const UNDRAWN = new Set<string>()

/** Draws one raw input for `table` (named `tableName`), field by field. */
function drawFields(rng: Rng, tableName: string, table: FieldTable, draws: Draws): Record<string, unknown> {
  const raw: Record<string, unknown> = {}
  for (const [name, spec] of Object.entries(table)) {
    if (!(name in draws)) {
      UNDRAWN.add(`${tableName}.${name}`)
      continue
    }
    const d = draws[name]
    if (d && rng() < d.p) raw[name] = d.value(rng, spec)
  }
  return raw
}

/** Uniform over an enum field's values. */
const anyValue = (p: number): Draw => ({ p, value: (r, spec) => pick(r, values(spec)) })
/** A whole number log-uniform over [lo, hi], within the field's range. */
const someInt = (p: number, lo: number, hi: number): Draw => ({ p, value: (r, spec) => int(r, spec, lo, hi) })

/** The enum's values, from the table. */
const values = (spec: FieldSpec): readonly string[] => (spec.type === 'enum' ? spec.values : [])

/**
 * Questions never asked before in this generator's life: draws until the canonical form is new (the
 * space is large, so a redraw is rare; after 1,000 in a row the space is taken to be used up).
 */
function distinct<Q>(draw: () => { question: Q; canonical: string }): { next: () => Q; count: () => number } {
  const seen = new Set<string>()
  return {
    next() {
      for (let i = 0; i < 1000; i++) {
        const d = draw()
        if (!seen.has(d.canonical)) {
          seen.add(d.canonical)
          return d.question
        }
      }
      throw new Error(`bench/questions.ts: 1,000 draws in a row gave questions already asked (${seen.size} asked); the space is used up`)
    },
    count: () => seen.size,
  }
}

const query = (raw: Record<string, unknown>): string =>
  Object.entries(raw)
    .map(([k, v]) => `${k}=${encodeURIComponent(Array.isArray(v) ? v.join(',') : String(v))}`)
    .join('&')

export interface Question {
  path?: string
  body?: string
}

/** GET /v1/instance-types/{name}/max-pods?… over every type of the seed, every mode, both node OSes, DaemonSets and caps. */
export function maxPodsQuestions(seed: number, space: CatalogSpace) {
  const rng = seededRandom(seed)
  const f = MAX_PODS_FIELDS
  const draws: Draws = {
    mode: anyValue(0.9),
    daemonSetsPerNode: someInt(0.6, 1, 40),
    maxPodsCap: someInt(0.3, 8, 250),
    os: anyValue(0.2),
  }
  return distinct<Question>(() => {
    const name = pick(rng, space.types).name
    const raw = drawFields(rng, 'MAX_PODS_FIELDS', f, draws)
    const parsed = parseFields(f, raw, { textual: true })
    const q = query(raw)
    return { question: { path: `/v1/instance-types/${name}/max-pods${q ? `?${q}` : ''}` }, canonical: `${name}:${JSON.stringify(parsed)}` }
  })
}

/** How many instance types a recommendation names: mostly one or two, now and then a long list (the table allows 50). */
function typeCount(rng: Rng, spec: FieldSpec): number {
  const max = spec.type === 'list' ? spec.maxItems : 1
  const u = rng()
  const n = u < 0.5 ? 1 : u < 0.8 ? 2 + Math.floor(rng() * 2) : u < 0.95 ? 4 + Math.floor(rng() * 7) : 11 + Math.floor(rng() * 40)
  return Math.min(n, max)
}

function distinctTypes(rng: Rng, types: readonly InstanceType[], n: number): string[] {
  const out = new Set<string>()
  while (out.size < n) out.add(pick(rng, types).name)
  return [...out]
}

/** Non-overlapping AWS-sized subnets (/16 to /24), one per second octet, with no host bits set. */
function subnets(rng: Rng, maxItems: number): string[] {
  const n = Math.min(maxItems, 1 + Math.floor(rng() * 4))
  const octets = new Set<number>()
  while (octets.size < n) octets.add(Math.floor(rng() * 256))
  return [...octets].map((o) => `10.${o}.0.0/${16 + Math.floor(rng() * 9)}`)
}

/** Requirements (REQUIREMENT_FIELDS) as a REST client sends them: the raw JSON object, and its canonical form. */
function requirementsDraw(rng: Rng, space: CatalogSpace): { raw: Record<string, unknown>; canonical: string } {
  const f = REQUIREMENT_FIELDS
  const level = anyValue
  const useSubnets = rng() < 0.1
  const draws: Draws = {
    performance: anyValue(0.7),
    multicast: level(0.25),
    encryption: level(0.4),
    networkPolicy: level(0.5),
    securityGroupsForPods: level(0.3),
    flowLogs: level(0.25),
    portability: level(0.25),
    ipv6: level(0.2),
    fargate: { p: 0.15, value: (r) => r() < 0.5 },
    windows: { p: 0.15, value: (r) => r() < 0.5 },
    instanceTypes: { p: 0.9, value: (r, spec) => distinctTypes(r, space.types, typeCount(r, spec)) },
    region: { p: 0.3, value: (r) => pick(r, space.regions) },
    podsPerNode: someInt(0.5, 4, 250),
    totalPods: someInt(0.6, 10, 100_000),
    // podIpBudget and podSubnets say the same thing two ways: a request gives one or neither.
    podIpBudget: useSubnets ? null : someInt(0.25, 256, 262_144),
    podSubnets: useSubnets ? { p: 1, value: (r, spec) => subnets(r, spec.type === 'list' ? spec.maxItems : 1) } : null,
    daemonSetsPerNode: someInt(0.4, 1, 30),
  }
  const raw = drawFields(rng, 'REQUIREMENT_FIELDS', f, draws)
  return { raw, canonical: JSON.stringify(parseFields(f, raw, { textual: false })) }
}

/** POST /v1/recommendations bodies. */
export function recommendationQuestions(seed: number, space: CatalogSpace) {
  const rng = seededRandom(seed)
  return distinct<Question>(() => {
    const { raw, canonical } = requirementsDraw(rng, space)
    return { question: { body: JSON.stringify(raw) }, canonical }
  })
}

/** The GraphQL selection the bench asks for, in the hit row and the miss row alike. */
export const GRAPHQL_RECOMMEND_SELECTION = 'summary satisfiable recommendation { id score } options { id score verdict blockers { criterion reason } }'
/** One document, the requirements as a variable: what a portal sends (mercurius parses and compiles it once). */
export const GRAPHQL_RECOMMEND_DOCUMENT = `query Recommend($r: RequirementsInput!) { recommend(requirements: $r) { ${GRAPHQL_RECOMMEND_SELECTION} } }`

const ENUM_FIELDS = new Set(['performance', 'multicast', 'encryption', 'networkPolicy', 'securityGroupsForPods', 'flowLogs', 'portability', 'ipv6'])
/** REST words → GraphQL enum names (prefix-delegation → PREFIX_DELEGATION), as src/graphql/plugin.ts reads them back. */
const toEnum = (v: string): string => v.toUpperCase().replace(/-/g, '_')

/** POST /graphql bodies: the same document, distinct requirements in its variables. */
export function graphqlRecommendQuestions(seed: number, space: CatalogSpace) {
  const rng = seededRandom(seed)
  return distinct<Question>(() => {
    const { raw, canonical } = requirementsDraw(rng, space)
    const r = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, ENUM_FIELDS.has(k) ? toEnum(String(v)) : v]))
    return { question: { body: JSON.stringify({ query: GRAPHQL_RECOMMEND_DOCUMENT, variables: { r } }) }, canonical }
  })
}

/**
 * GET /v1/capacity-plans?… as JSON: for one family of the seed (`family`) or for the whole catalog
 * (`catalog`: no family, no instanceTypes, no limit — every type is a row).
 */
export function capacityPlanQuestions(seed: number, space: CatalogSpace, scope: 'family' | 'catalog') {
  const rng = seededRandom(seed)
  const f = CAPACITY_FIELDS
  const families = [...new Set(space.types.map((t) => t.family))].sort()
  const draws: Draws = {
    totalPods: someInt(1, 10, 200_000),
    podCpu: { p: 0.7, value: (r) => Math.round(logUniform(r, 0.05, 4) * 1000) / 1000 },
    podMemoryMiB: someInt(0.7, 64, 16_384),
    mode: anyValue(0.8),
    modes: null, // one mode per plan: `modes` multiplies the rows
    podsPerNode: null,
    region: { p: 0.3, value: (r) => pick(r, space.regions) },
    instanceTypes: null, // the rows are a family's or the catalog's, not a list's
    family: scope === 'family' ? { p: 1, value: (r) => pick(r, families) } : null,
    // The type filters are left out (a family is one already); the whole catalog means both architectures.
    arch: scope === 'catalog' ? { p: 1, value: () => 'any' } : null,
    category: null,
    generation: null,
    burstable: null,
    minVcpu: null,
    minMemoryMiB: null,
    bareMetal: null,
    daemonSetsPerNode: someInt(0.5, 1, 30),
    maxPodsCap: someInt(0.2, 8, 250),
    os: anyValue(0.15),
    warmEniTarget: someInt(0.1, 1, 3),
    warmIpTarget: someInt(0.1, 1, 64),
    minimumIpTarget: someInt(0.1, 1, 64),
    // ≥ 1: 0 is refused under prefix delegation unless an IP target is set.
    warmPrefixTarget: someInt(0.1, 1, 4),
    limit: null, // whole plans
  }
  return distinct<Question>(() => {
    const raw = drawFields(rng, 'CAPACITY_FIELDS', f, draws)
    const parsed = parseFields(f, raw, { textual: true })
    return { question: { path: `/v1/capacity-plans?${query(raw)}` }, canonical: JSON.stringify(parsed) }
  })
}
