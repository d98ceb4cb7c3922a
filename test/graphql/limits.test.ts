// GraphQL limits (issue 18): size, depth and cost refuse a document in one linear pass, costs follow
// the work (the catalog's real sizes), and a client's mistakes are 400 with a code, logged without a stack.
import t from 'tap'
import { Writable } from 'node:stream'
import { readFileSync } from 'node:fs'
import { buildSchema, getIntrospectionQuery, parse, visit } from 'graphql'
import { checkQueryLimits } from '../../src/graphql/cost.js'
import { MAX_QUERY_BYTES, QUERY_LIMITS, SCHEMA_SDL } from '../../src/graphql/plugin.js'
import { CNI_OPTIONS } from '../../src/domain/cni-options.js'
import { buildTestApp } from '../helper.js'

const logs: Array<Record<string, unknown>> = []
const stream = new Writable({
  write(chunk, _enc, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line))
    done()
  },
})
const app = await buildTestApp(t, { deps: { logger: { level: 'info', stream } } })
const schema = buildSchema(SCHEMA_SDL)
const catalog = app.ctx.catalog.current()

type Answer = { status: number; body: { data?: unknown; errors?: Array<{ message: string; extensions: Record<string, unknown> }> } }
const post = async (payload: unknown): Promise<Answer> => {
  const res = await app.inject({ method: 'POST', url: '/graphql', payload: payload as object, headers: { 'content-type': 'application/json' } })
  return { status: res.statusCode, body: res.json() }
}
const gql = (query: string, extra: Record<string, unknown> = {}) => post({ query, ...extra })
const codeOf = (a: Answer) => a.body.errors?.[0]?.extensions.code

/** The rule on its own: the errors, the cost it found (maxCost 0 makes it report it) and its visits. */
function measure(query: string) {
  let visits = 0
  const errors = checkQueryLimits(schema, parse(query), { ...QUERY_LIMITS, maxCost: 0 }, { catalog: () => catalog, onVisit: () => visits++ })
  const cost = errors.find((e) => e.extensions.code === 'QUERY_TOO_COSTLY')?.extensions.cost as number | undefined
  return { errors, cost, visits }
}
/** Fields, fragment spreads and inline fragments in the text. */
function selections(query: string): number {
  let n = 0
  visit(parse(query), { Field: () => void n++, FragmentSpread: () => void n++, InlineFragment: () => void n++ })
  return n
}
function doublingChain(levels: number): string {
  let text = '{ ...F0 }\n'
  for (let i = 0; i < levels; i++) text += `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }\n`
  return text + `fragment F${levels} on Query { catalog { version } }`
}

t.test('fragments that spread the next one twice: refused at once, in work linear in the text', async (t) => {
  for (const levels of [20, 30]) {
    const query = doublingChain(levels)
    const started = logs.length
    const res = await gql(query)
    t.equal(res.status, 400, `${levels} levels`)
    t.equal(codeOf(res), 'QUERY_TOO_COSTLY')
    const { visits } = measure(query)
    t.ok(visits <= 2 * selections(query), `${visits} visits for ${selections(query)} selections`)
    t.ok(logs.slice(started).some((l) => l.msg === 'GraphQL request rejected'))
  }
  // 30 levels fit a GET URL: the same verdict there.
  const get = await app.inject(`/graphql?query=${encodeURIComponent(doublingChain(30))}`)
  t.equal(get.statusCode, 400)
  t.equal(get.json().errors[0].extensions.code, 'QUERY_TOO_COSTLY')
  // Doubling visits only double when the text does: 10 more levels, about 20 more visits.
  t.ok(measure(doublingChain(40)).visits - measure(doublingChain(30)).visits <= 2 * 20 + 2)
})

t.test('more spreads, aliases or fields than the limits: QUERY_TOO_LARGE before anything else', async (t) => {
  const spreads = `{ ${'...C '.repeat(QUERY_LIMITS.maxSpreads + 1)}} fragment C on Query { catalog { version } }`
  const aliases = `{ ${Array.from({ length: QUERY_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: catalog { version }`).join(' ')} }`
  const fields = `{ catalog { ${'version '.repeat(QUERY_LIMITS.maxFields + 1)}} }`
  for (const [what, query] of [['spreads', spreads], ['aliases', aliases], ['fields', fields]] as const) {
    const res = await gql(query)
    t.equal(res.status, 400, what)
    t.equal(codeOf(res), 'QUERY_TOO_LARGE', what)
    t.equal(res.body.errors![0]!.extensions.limit, what)
    t.ok(measure(query).visits <= selections(query), `${what}: counting stops at the limit`)
  }
  const within = await gql(`{ ${Array.from({ length: QUERY_LIMITS.maxAliases }, (_, i) => `a${i}: catalog { version }`).join(' ')} }`)
  t.equal(within.status, 200, `${QUERY_LIMITS.maxAliases} aliases of a cheap field are fine`)
  t.notOk(within.body.errors)
})

t.test('cost follows the work: the catalog, the CNI options and the schema by their real sizes', async (t) => {
  const types = catalog.typeList.length
  const m5 = catalog.typeList.filter((x) => x.family === 'm5').length
  t.ok(types > 1000 && m5 > 1, 'the seed catalog')

  // instanceTypes: every type of the catalog, or of the family.
  t.equal(measure('{ instanceTypes { name } }').cost, 1 + types)
  t.equal(measure('{ instanceTypes(family: "m5") { name } }').cost, 1 + m5)
  t.equal(measure('query($f: String) { instanceTypes(family: $f) { name } }').cost, 1 + types, 'a variable may be any family, or none')

  // capacityPlan computes a row per candidate type, asked for or not.
  const whole = measure('{ capacityPlan(input: { totalPods: 10 }) { totalRows } }').cost!
  t.ok(whole > types, `a whole-catalog plan costs ${whole}`)
  t.equal(measure('{ capacityPlan(input: { totalPods: 10, instanceTypes: ["m5.large", "c5.large"] }) { totalRows } }').cost, 1 + 2 + 1)
  t.equal(measure('{ capacityPlan(input: { totalPods: 10, family: "m5" }) { rows { nodes } } }').cost, 1 + m5 + 1 + m5)
  t.equal(measure('{ capacityPlan(input: { totalPods: 10, limit: 3 }) { rows { nodes } } }').cost, 1 + types + 1 + 3)
  t.equal(
    measure('{ capacityPlan(input: { totalPods: 10 }) { ...R } } fragment R on CapacityPlan { rows { nodes monthlyUsd } }').cost,
    1 + types + 1 + 2 * types,
    'rows in a fragment count as the plan around it says',
  )
  t.ok(measure('query($i: CapacityPlanInput!) { capacityPlan(input: $i) { totalRows } }').cost! >= whole, 'a variable input costs the worst case')
  // A row per type and mode: modes multiply the rows.
  t.equal(
    measure('{ capacityPlan(input: { totalPods: 10, family: "m5", modes: [SECONDARY_IP, PREFIX_DELEGATION, OVERLAY] }) { rows { nodes } } }').cost,
    1 + 3 * m5 + 1 + 3 * m5,
  )
  t.equal(measure('query($m: [Mode!]) { capacityPlan(input: { totalPods: 10, family: "m5", modes: $m }) { totalRows } }').cost, 1 + 7 * m5 + 1, 'a variable list: every mode')

  // recommend scores every option on every requested type; options are as many as the knowledge base has.
  const summary = measure('{ recommend(requirements: {}) { summary } }').cost!
  t.equal(summary, 1 + CNI_OPTIONS.length + 1)
  t.equal(measure('{ recommend(requirements: {}) { options { id } } }').cost! - summary, CNI_OPTIONS.length)
  t.equal(measure('{ recommend(requirements: { instanceTypes: ["m5.large", "c5.large", "t3.micro"] }) { summary } }').cost, 1 + 3 * CNI_OPTIONS.length + 1)

  // Introspection costs like any other query, its lists by the schema's sizes.
  t.equal(measure('{ __schema { types { name } } }').cost, 1 + 1 + Object.keys(schema.getTypeMap()).length)
  t.equal(measure('{ __typename }').cost, 1)
})

t.test('refused for their cost, through the app', async (t) => {
  const many = (n: number, field: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`
  const instanceTypes = await gql(many(66, 'instanceTypes { name vcpu }'))
  t.equal(instanceTypes.status, 400, '66 aliases of every instance type')
  t.equal(codeOf(instanceTypes), 'QUERY_TOO_COSTLY')
  t.match(instanceTypes.body.errors![0]!.message, /query cost \d+ exceeds the limit of 20000/)

  const plans = await gql(many(15, 'capacityPlan(input: { totalPods: 10 }) { totalRows }'))
  t.equal(plans.status, 400, '15 whole-catalog capacity plans')
  t.equal(codeOf(plans), 'QUERY_TOO_COSTLY')
  const small = await gql(many(15, 'capacityPlan(input: { totalPods: 10, instanceTypes: ["m5.large"] }) { totalRows }'))
  t.equal(small.status, 200, '15 one-type plans are cheap')
  t.notOk(small.body.errors)

  // Full introspection, often enough to pass the limit.
  const selection = 'types { name kind fields { name args { name } type { name kind ofType { name } } } enumValues { name } }'
  const each = measure(`{ __schema { ${selection} } }`).cost!
  const introspections = await gql(many(Math.floor(QUERY_LIMITS.maxCost / each) + 1, `__schema { ${selection} }`))
  t.equal(introspections.status, 400)
  t.equal(codeOf(introspections), 'QUERY_TOO_COSTLY')
})

t.test('ordinary queries and GraphiQL pass', async (t) => {
  for (const options of [{}, { descriptions: true, schemaDescription: true, specifiedByUrl: true, directiveIsRepeatable: true, inputValueDeprecation: true }]) {
    const query = getIntrospectionQuery(options)
    const res = await gql(query)
    t.equal(res.status, 200)
    t.notOk(res.body.errors, "GraphiQL's introspection query")
    t.ok(measure(query).cost! < QUERY_LIMITS.maxCost * 0.75, `costs ${measure(query).cost}: room for the schema to grow`)
  }
  // The example GraphiQL opens with: one operation, so ▶ runs it without asking which (as GraphiQL sends it,
  // with and without its name).
  const example = readFileSync(new URL('../../public/graphiql-init.js', import.meta.url), 'utf8').split('`')[1]!
  t.equal(parse(example).definitions.length, 1, 'one runnable operation')
  for (const operationName of ['Advise', undefined]) {
    const res = await gql(example, operationName ? { operationName } : {})
    t.equal(res.status, 200, operationName ?? 'no operation name')
    t.notOk(res.body.errors)
    t.same(Object.keys(res.body.data as object), ['instanceTypes', 'recommend'])
  }
  // Once mercurius has compiled a document, still the operation asked for (variables keep every request
  // away from the kept answers, so each one runs).
  const pair = 'query Type($n: String!) { instanceType(name: $n) { name } } query Pods($n: String!) { maxPods(instanceType: $n) { instanceType } }'
  for (const [i, n] of ['m5.large', 'c5.large', 'm6i.large', 't3.micro', 'c5.xlarge', 'm5.xlarge'].entries()) {
    const operationName = i % 2 ? 'Pods' : 'Type'
    const res = await gql(pair, { operationName, variables: { n } })
    t.same(res.body.data, operationName === 'Type' ? { instanceType: { name: n } } : { maxPods: { instanceType: n } }, `${operationName} ${n}`)
  }
  // The portal's "share as GraphQL" query.
  const share = await gql(`{
  recommend(requirements: { multicast: REQUIRED, encryption: PREFERRED, instanceTypes: ["m5.large", "m6i.large"], podsPerNode: 50 }) {
    satisfiable
    summary
    recommendation { id name score }
    options { id score verdict blockers { criterion reason } }
  }
}`)
  t.equal(share.status, 200)
  t.notOk(share.body.errors)
  const plan = await gql('{ capacityPlan(input: { totalPods: 3000, family: "m6i" }) { totalRows rows { instanceType nodes vpcIps usdPerHour monthlyUsd usdPerPodMonth limitedBy } } }')
  t.equal(plan.status, 200)
  t.notOk(plan.body.errors)
})

t.test("a client's mistakes: 400 with a code, logged at info without a stack", async (t) => {
  const started = logs.length
  const two = 'query A { catalog { version } } query B { instanceType(name: "m5.large") { name } }'
  const cases: Array<[string, () => Promise<Answer>, string]> = [
    ['query is a number', () => post({ query: 1 }), 'GRAPHQL_PARSE_FAILED'],
    ['query is a JSON AST', () => post({ query: JSON.stringify({ kind: 'Document', definitions: [{}] }) }), 'GRAPHQL_PARSE_FAILED'],
    ['query is an object', () => post({ query: {} }), 'BAD_REQUEST'],
    ['no query', () => post({}), 'BAD_REQUEST'],
    ['empty query', () => post({ query: '' }), 'BAD_REQUEST'],
    ['variables are not an object', () => post({ query: '{ catalog { version } }', variables: 'x' }), 'BAD_REQUEST'],
    ['the body is not JSON', async () => {
      const res = await app.inject({ method: 'POST', url: '/graphql', payload: '{"query": ', headers: { 'content-type': 'application/json' } })
      return { status: res.statusCode, body: res.json() }
    }, 'BAD_REQUEST'],
    ['two operations, no name', () => post({ query: two }), 'OPERATION_NAME_INVALID'],
    ['an unknown name', () => post({ query: two, operationName: 'C' }), 'OPERATION_NAME_INVALID'],
    ['an unknown name, with variables', () => post({ query: two, operationName: 'C', variables: {} }), 'OPERATION_NAME_INVALID'],
    ['a name for an anonymous operation', () => post({ query: '{ catalog { version } }', operationName: 'A' }), 'OPERATION_NAME_INVALID'],
  ]
  for (const via of ['GET', 'GET again (the document is known by then)']) {
    cases.push([`${via}: two operations, no name`, async () => {
      const res = await app.inject(`/graphql?query=${encodeURIComponent(two)}`)
      return { status: res.statusCode, body: res.json() }
    }, 'OPERATION_NAME_INVALID'])
    cases.push([`${via}: an unknown name`, async () => {
      const res = await app.inject(`/graphql?query=${encodeURIComponent(two)}&operationName=C`)
      return { status: res.statusCode, body: res.json() }
    }, 'OPERATION_NAME_INVALID'])
  }
  cases.push(['GET without a query', async () => {
    const res = await app.inject('/graphql')
    return { status: res.statusCode, body: res.json() }
  }, 'BAD_REQUEST'])
  cases.push(['GET with variables that are not JSON', async () => {
    const res = await app.inject('/graphql?query=%7Bcatalog%7Bversion%7D%7D&variables=notjson')
    return { status: res.statusCode, body: res.json() }
  }, 'BAD_REQUEST'])

  for (const [what, send, code] of cases) {
    const res = await send()
    t.equal(res.status, 400, what)
    t.equal(codeOf(res), code, `${what}: ${res.body.errors?.[0]?.message}`)
    t.equal(res.body.data ?? null, null)
    t.notMatch(JSON.stringify(res.body), /at .*\.(ts|js):\d+/, 'no stack trace')
  }
  const named = await post({ query: two, operationName: 'B' })
  t.same(named.body, { data: { instanceType: { name: 'm5.large' } } }, 'with a name it runs')

  const mine = logs.slice(started)
  t.notOk(mine.some((l) => (l.level as number) >= 50), 'nothing logged as an error')
  const rejected = mine.filter((l) => l.msg === 'GraphQL request rejected')
  t.equal(rejected.length, cases.length, 'one line each')
  t.ok(rejected.every((l) => l.level === 30 && !JSON.stringify(l).includes('stack')), 'at info, without a stack')
  t.match(rejected[0], { statusCode: 400, codes: ['GRAPHQL_PARSE_FAILED'] })
})

// mercurius keeps documents by their text outside the answer cache's budget: the text itself is bounded.
t.test('a query text over MAX_QUERY_BYTES is refused by its length, padding or not', async (t) => {
  const padded = `# ${'x'.repeat(MAX_QUERY_BYTES)}\n{ catalog { version } }`
  const res = await gql(padded)
  t.equal(res.status, 400)
  t.equal(codeOf(res), 'QUERY_TOO_LARGE')
  t.match(res.body.errors?.[0]?.message, new RegExp(`at most ${MAX_QUERY_BYTES}`))
  const fits = await gql(`# ${'x'.repeat(MAX_QUERY_BYTES - 100)}\n{ catalog { version } }`)
  t.equal(fits.status, 200, 'just under the limit answers')
})
