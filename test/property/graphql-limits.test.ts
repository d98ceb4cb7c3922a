// Hostile GraphQL documents (issue 18): fragment chains that double, many aliases, deep selections and
// introspection, generated. Each is refused with a 400 and one of the limits' codes, and the limit check's
// work is linear in the document: its visits are counted, never timed. The seed is fixed (FC_SEED and
// FC_RUNS run other or more cases, as hostile-input.test.ts).
import t from 'tap'
import fc from 'fast-check'
import { buildSchema, parse, visit } from 'graphql'
import { checkQueryLimits } from '../../src/graphql/cost.js'
import { MAX_QUERY_BYTES, QUERY_LIMITS, SCHEMA_SDL } from '../../src/graphql/plugin.js'
import { buildTestApp } from '../helper.js'

const SEED = Number(process.env.FC_SEED ?? 20261218)
const RUNS = Number(process.env.FC_RUNS ?? 40)
const params = { seed: SEED, numRuns: RUNS, endOnFailure: true }
const LIMIT_CODES = ['QUERY_TOO_LARGE', 'QUERY_TOO_DEEP', 'QUERY_TOO_COSTLY']

const app = await buildTestApp(t)
const schema = buildSchema(SCHEMA_SDL)
const catalog = app.ctx.catalog.current()

/** Query fields a fragment on Query can end in, cheap and costly. */
const queryLeaf = fc.constantFrom(
  'catalog { version }',
  '__typename',
  'instanceType(name: "m5.large") { name maxEnis }',
  'instanceTypes(family: "m5") { name price { usdPerHour } }',
  'instanceTypes { name }',
  'maxPods(instanceType: "m5.large") { maxPods formula }',
  'recommend(requirements: {}) { summary options { id score } }',
  'capacityPlan(input: { totalPods: 100 }) { totalRows rows { nodes } }',
  '__schema { types { name } }',
)

/** Fragments that each spread the next one 2–4 times: the text grows linearly, the expansion exponentially. */
const fragmentChain = fc
  .record({ levels: fc.integer({ min: 15, max: 70 }), fanout: fc.integer({ min: 2, max: 4 }), leaf: queryLeaf, shuffle: fc.boolean() })
  .map(({ levels, fanout, leaf, shuffle }) => {
    const defs = Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ${`...F${i + 1} `.repeat(fanout)}}`)
    defs.push(`fragment F${levels} on Query { ${leaf} }`)
    if (shuffle) defs.reverse() // fragments may come in any order
    return `query Chain { ...F0 }\n${defs.join('\n')}`
  })

/** One field asked for many times under aliases: enough copies to pass the cost limit, or the alias limit. */
const aliases = fc
  .constantFrom(
    { field: 'instanceTypes { name vcpu }', atLeast: 15 },
    { field: 'capacityPlan(input: { totalPods: 10 }) { totalRows }', atLeast: 15 },
    { field: `recommend(requirements: { instanceTypes: [${Array(50).fill('"m5.large"').join(', ')}] }) { options { id } }`, atLeast: 25 },
    { field: '__schema { types { name fields { name type { name } } } }', atLeast: 60 },
    { field: 'catalog { version }', atLeast: QUERY_LIMITS.maxAliases + 1 },
  )
  // (at most 200 copies: the body stays under its 256 KiB limit, which would answer 413 first)
  .chain(({ field, atLeast }) => fc.integer({ min: atLeast, max: 200 }).map((n) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`))

/** Nesting past the depth limit: introspection's type references, directly or through fragments. */
const deep = fc
  .record({
    levels: fc.integer({ min: QUERY_LIMITS.maxDepth, max: 80 }),
    viaFragments: fc.boolean(),
    root: fc.constantFrom(
      (inner: string) => `__type(name: "Query") { fields { type { ${inner} } } }`,
      (inner: string) => `__schema { queryType { ${inner} } }`,
    ),
  })
  .map(({ levels, viaFragments, root }) => {
    if (!viaFragments) return `{ ${root(`${'ofType { '.repeat(levels)}name${' }'.repeat(levels)}`)} }`
    const defs = Array.from({ length: levels }, (_, i) => `fragment T${i} on __Type { name ofType { ...T${i + 1} } }`)
    defs.push(`fragment T${levels} on __Type { name }`)
    return `{ ${root('...T0')} }\n${defs.join('\n')}`
  })

/** Introspection, repeated and nested: `types { fields { type { fields ... } } }` and aliases of it. */
const introspection = fc
  .record({ copies: fc.integer({ min: 20, max: 60 }), nesting: fc.integer({ min: 1, max: 4 }) })
  .map(({ copies, nesting }) => {
    let inner = 'name'
    for (let i = 0; i < nesting; i++) inner = `name fields { name args { name type { name } } type { ${inner} } }`
    return `{ ${Array.from({ length: copies }, (_, i) => `s${i}: __schema { types { kind ${inner} } directives { name args { name } } }`).join(' ')} }`
  })

function verdictOf(query: string) {
  let visits = 0
  const errors = checkQueryLimits(schema, parse(query), QUERY_LIMITS, { catalog: () => catalog, onVisit: () => visits++ })
  return { errors, visits }
}

/** Fields, spreads and inline fragments in the text: what the check may look at, each at most twice. */
function selections(query: string): number {
  let n = 0
  visit(parse(query), { Field: () => void n++, FragmentSpread: () => void n++, InlineFragment: () => void n++ })
  return n
}

async function refused(t: { fail(msg: string): unknown }, query: string): Promise<boolean> {
  const { errors, visits } = verdictOf(query)
  const bound = 2 * selections(query)
  if (visits > bound) {
    t.fail(`${visits} visits for ${bound / 2} selections: ${query.slice(0, 200)}`)
    return false
  }
  const res = await app.inject({ method: 'POST', url: '/graphql', payload: { query } })
  const code = res.json().errors?.[0]?.extensions?.code
  // A text over MAX_QUERY_BYTES is refused by its length before the check runs.
  const expected = query.length > MAX_QUERY_BYTES ? 'QUERY_TOO_LARGE' : errors[0]?.extensions.code
  if (res.statusCode !== 400 || !LIMIT_CODES.includes(code) || code !== expected) {
    t.fail(`${res.statusCode} ${code} (the check says ${errors[0]?.extensions.code}): ${query.slice(0, 200)}`)
    return false
  }
  return true
}

for (const [name, documents] of [
  ['fragment chains', fragmentChain],
  ['aliases', aliases],
  ['deep selections', deep],
  ['introspection', introspection],
  ['any of them', fc.oneof(fragmentChain, aliases, deep, introspection)],
] as const) {
  t.test(name, async (t) => {
    await fc.assert(fc.asyncProperty(documents as fc.Arbitrary<string>, (query) => refused(t, query)), params)
    t.pass(`${RUNS} documents refused, in linear work`)
  })
}
