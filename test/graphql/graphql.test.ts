import t from 'tap'
import { buildClientSchema, buildSchema, getIntrospectionQuery, printSchema } from 'graphql'
import { SCHEMA_SDL } from '../../src/graphql/plugin.js'
import { buildTestApp, countDatabaseCalls } from '../helper.js'

t.test('GraphQL', async (t) => {
  const app = await buildTestApp(t)
  const gql = async (query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const res = await app.inject({ method: 'POST', url: '/graphql', payload: { query, variables }, headers })
    return { status: res.statusCode, body: res.json() }
  }

  t.test('the served schema is schema.graphql, nothing else', async (t) => {
    const { body } = await gql(getIntrospectionQuery({ descriptions: true, schemaDescription: true }))
    t.notOk(body.errors, 'introspection is allowed')
    const served = printSchema(buildClientSchema(body.data))
    t.equal(served, printSchema(buildSchema(SCHEMA_SDL)))
  })

  t.test('every type and field is documented or self-explanatory', async (t) => {
    const schema = buildSchema(SCHEMA_SDL)
    for (const name of ['Query', 'Mutation', 'InstanceType', 'MaxPods', 'Recommendation', 'CniOption', 'CapacityPlan', 'Mode', 'Level']) {
      t.ok(schema.getType(name)?.description, `${name} has a description`)
    }
    for (const [name, field] of Object.entries(schema.getQueryType()!.getFields())) t.ok(field.description, `Query.${name} described`)
  })

  t.test('maxPods: same numbers as REST', async (t) => {
    for (const [type, mode, rest] of [
      ['m5.large', 'PREFIX_DELEGATION', 'prefix-delegation'],
      ['c5.18xlarge', 'SECONDARY_IP', 'secondary-ip'],
      ['t3.micro', 'SECURITY_GROUPS_FOR_PODS', 'security-groups-for-pods'],
    ] as const) {
      const { body } = await gql(`query($t: String!, $m: Mode) { maxPods(instanceType: $t, mode: $m, daemonSetsPerNode: 1) {
        instanceType mode os supported reason maxPods recommendedMaxPods podsForWorkloads hostNetworkPods formula explanation references } }`, { t: type, m: mode })
      const restAnswer = (await app.inject(`/v1/instance-types/${type}/max-pods?mode=${rest}&daemonSetsPerNode=1`)).json()
      const { cap: _cap, ...comparable } = restAnswer
      t.same(body.data.maxPods, { ...comparable, mode, os: 'LINUX' }, `${type} ${mode}`)
    }
  })

  t.test('recommend: same ranking and scores as REST', async (t) => {
    const { body } = await gql(`{ recommend(requirements: { multicast: REQUIRED, encryption: PREFERRED, instanceTypes: ["m5.large"], podsPerNode: 50, performance: HIGH }) {
      satisfiable summary recommendation { id score }
      options { id score verdict blockers { criterion reason } criteria { criterion weight score reason } density { instanceType mode maxPodsPerNode } }
      requirements { performance multicast instanceTypes podsPerNode }
      catalog { version stale } } }`)
    t.notOk(body.errors)
    const rest = (await app.inject({ method: 'POST', url: '/v1/recommendations', payload: { multicast: 'required', encryption: 'preferred', instanceTypes: ['m5.large'], podsPerNode: 50, performance: 'high' } })).json()
    const g = body.data.recommend
    t.equal(g.recommendation.id, rest.recommendation.id)
    t.equal(g.summary, rest.summary)
    t.same(g.options.map((o: { id: string; score: number }) => [o.id, o.score]), rest.options.map((o: { id: string; score: number }) => [o.id, o.score]))
    t.same(g.options.map((o: { verdict: string }) => o.verdict.toLowerCase()), rest.options.map((o: { verdict: string }) => o.verdict))
    t.same(g.options[0].criteria, rest.options[0].criteria)
    t.match(g.requirements, { performance: 'HIGH', multicast: 'REQUIRED', podsPerNode: 50 })
  })

  t.test('capacityPlan: same rows as REST', async (t) => {
    const { body } = await gql(`{ capacityPlan(input: { totalPods: 270, podCpu: 0.05, instanceTypes: ["m5.large", "m6i.large", "c5.large"] }) {
      region totalPods mode totalRows rows { instanceType mode podsPerNode limitedBy nodes vpcIps usdPerHour monthlyUsd usdPerPodMonth } } }`)
    t.notOk(body.errors)
    const rest = (await app.inject('/v1/capacity-plans?totalPods=270&podCpu=0.05&instanceTypes=m5.large,m6i.large,c5.large')).json()
    const pick = (r: Record<string, unknown>) => [r.instanceType, r.podsPerNode, String(r.limitedBy).toUpperCase(), r.nodes, r.vpcIps, r.usdPerHour, r.monthlyUsd, r.usdPerPodMonth]
    t.same(body.data.capacityPlan.rows.map(pick), rest.rows.map(pick))
    t.match(body.data.capacityPlan, { region: 'us-east-1', totalPods: 270, mode: 'SECONDARY_IP', totalRows: 3 })
    const m5 = body.data.capacityPlan.rows.find((r: { instanceType: string }) => r.instanceType === 'm5.large')
    t.match(m5, { podsPerNode: 27, nodes: 10, monthlyUsd: 700.8, usdPerPodMonth: 2.6 })
  })

  t.test('capacityPlan: filters, modes, podsPerNode and pricing, the same as REST', async (t) => {
    const { body } = await gql(`{ capacityPlan(input: { totalPods: 3000, arch: ARM64, category: ["c", "m"], generation: 7, burstable: false,
        modes: [SECONDARY_IP, PREFIX_DELEGATION], podsPerNode: 40, limit: 6 }) {
      mode modes podsPerNode assumptions explanation totalRows
      filters { family arch category generation burstable minVcpu minMemoryMiB bareMetal }
      pricing { region capacityType types priced complete ranking summary hint sources asOf }
      rows { instanceType mode nodes monthlyUsd reason } } }`)
    t.notOk(body.errors)
    const p = body.data.capacityPlan
    const rest = (await app.inject('/v1/capacity-plans?totalPods=3000&arch=arm64&category=c,m&generation=7&burstable=false&modes=secondary-ip,prefix-delegation&podsPerNode=40&limit=6')).json()
    t.same(p.rows.map((r: Record<string, unknown>) => [r.instanceType, r.mode, r.nodes, r.monthlyUsd]), rest.rows.map((r: Record<string, string>) => [r.instanceType, r.mode!.toUpperCase().replace(/-/g, '_'), r.nodes, r.monthlyUsd]))
    t.same([p.mode, p.modes, p.podsPerNode, p.totalRows], ['SECONDARY_IP', ['SECONDARY_IP', 'PREFIX_DELEGATION'], 40, rest.totalRows])
    t.same(p.filters, { family: null, arch: 'ARM64', category: ['c', 'm'], generation: 7, burstable: false, minVcpu: null, minMemoryMiB: null, bareMetal: null })
    t.same(p.pricing, { ...rest.pricing, ranking: 'COST' })
    t.same([p.assumptions, p.explanation], [rest.assumptions, rest.explanation])

    const none = await gql('{ capacityPlan(input: { totalPods: 3000, region: "eu-west-1", family: "m7i" }) { pricing { ranking priced hint } explanation rows { monthlyUsd } } }')
    t.match(none.body.data.capacityPlan.pricing, { ranking: 'NODES', priced: 0, hint: /catalog refresh/ })
    t.ok(none.body.data.capacityPlan.rows.every((r: { monthlyUsd: number | null }) => r.monthlyUsd === null))
    const whole = await gql('{ capacityPlan(input: { totalPods: 3000, limit: 1 }) { assumptions filters { arch } } }')
    t.match(whole.body.data.capacityPlan, { assumptions: [/amd64 types only/], filters: { arch: 'AMD64' } })

    const both = await gql('{ capacityPlan(input: { totalPods: 10, mode: IPV6, modes: [OVERLAY] }) { totalRows } }')
    t.match(both.body.errors[0], { extensions: { code: 'BAD_USER_INPUT', field: 'modes' }, message: /give mode \(one\) or modes/ })
    const dense = await gql('{ capacityPlan(input: { totalPods: 10, podsPerNode: 0 }) { totalRows } }')
    t.match(dense.body.errors[0].extensions, { code: 'BAD_USER_INPUT', field: 'input.podsPerNode' })
  })

  t.test('instanceTypes: the filters, in list order; an unknown family is NOT_FOUND with near ones', async (t) => {
    const { body } = await gql('{ instanceTypes(arch: ARM64, category: ["c"], generation: 7, bareMetal: false, minVcpu: 16) { name arch vcpu } }')
    t.notOk(body.errors)
    const rest = (await app.inject('/v1/instance-types?arch=arm64&category=c&generation=7&bareMetal=false&minVcpu=16&limit=500')).json()
    t.same(body.data.instanceTypes.map((i: { name: string }) => i.name), rest.items.map((i: { name: string }) => i.name))
    t.ok(body.data.instanceTypes.every((i: { arch: string; vcpu: number }) => i.arch === 'arm64' && i.vcpu >= 16))
    const m5 = await gql('{ instanceTypes(family: "m5") { name } }')
    t.same(m5.body.data.instanceTypes.map((i: { name: string }) => i.name).slice(0, 3), ['m5.large', 'm5.xlarge', 'm5.2xlarge'], 'by size, not as text')
    const unknown = await gql('{ instanceTypes(family: "m7ii") { name } }')
    t.match(unknown.body.errors[0], { extensions: { code: 'NOT_FOUND', field: 'family' }, message: /unknown instance family "m7ii".*did you mean m7i/ })
    const bad = await gql('{ instanceTypes(generation: 0) { name } }')
    t.match(bad.body.errors[0].extensions, { code: 'BAD_USER_INPUT', field: 'generation' })
  })

  t.test('a family with price and max pods in three modes: no database round trip, one loader batch per field', async (t) => {
    const roundTrips = countDatabaseCalls(app.ctx.db, t)
    const { body } = await gql(`{ instanceTypes(family: "m5") { name price { usdPerHour }
      a: maxPods(mode: SECONDARY_IP) { maxPods } b: maxPods(mode: PREFIX_DELEGATION) { maxPods recommendedMaxPods } c: maxPods(mode: CUSTOM_NETWORKING) { maxPods }
      eu: price(region: "eu-west-1") { usdPerHour } } }`)
    t.notOk(body.errors)
    t.equal(roundTrips(), 0, 'answers come from the catalog in memory')
    const large = body.data.instanceTypes.find((i: { name: string }) => i.name === 'm5.large')
    t.same(large, { name: 'm5.large', price: { usdPerHour: 0.096 }, a: { maxPods: 29 }, b: { maxPods: 434, recommendedMaxPods: 110 }, c: { maxPods: 20 }, eu: { usdPerHour: 0.107 } })
  })

  t.test('errors carry a code and name the argument; never a stack trace', async (t) => {
    const notFound = await gql('{ instanceType(name: "m5.larg") { name } }')
    t.equal(notFound.body.errors[0].extensions.code, 'NOT_FOUND')
    t.match(notFound.body.errors[0].message, /unknown instance type "m5.larg"/)

    const bad = await gql('{ maxPods(instanceType: "m5.large", daemonSetsPerNode: -1) { maxPods } }')
    t.equal(bad.body.errors[0].extensions.code, 'BAD_USER_INPUT')
    t.equal(bad.body.errors[0].extensions.field, 'daemonSetsPerNode')

    const req = await gql('{ recommend(requirements: { podsPerNode: 0 }) { summary } }')
    t.equal(req.body.errors[0].extensions.code, 'BAD_USER_INPUT')
    t.match(req.body.errors[0].message, /requirements\.podsPerNode must be a whole number/)

    const plan = await gql('{ capacityPlan(input: { totalPods: 10, podCpu: -1 }) { totalRows } }')
    t.equal(plan.body.errors[0].extensions.field, 'input.podCpu')

    const wrongType = await gql('query($n: Int) { recommend(requirements: { podsPerNode: $n }) { summary } }', { n: 'many' })
    t.equal(wrongType.status, 400)
    t.equal(wrongType.body.errors[0].extensions.code, 'BAD_USER_INPUT')

    const enumWrong = await gql('{ maxPods(instanceType: "m5.large", mode: TURBO) { maxPods } }')
    t.equal(enumWrong.status, 400)
    t.ok(enumWrong.body.errors[0].extensions.code)

    const syntax = await gql('{ maxPods(')
    t.equal(syntax.body.errors[0].extensions.code, 'GRAPHQL_PARSE_FAILED')
    for (const r of [notFound, bad, req, plan, wrongType, enumWrong, syntax]) t.notMatch(JSON.stringify(r.body), /at .*\.(ts|js):\d+/, 'no stack trace')
  })

  t.test('depth and cost limits', async (t) => {
    const deep = await gql('{ recommend(requirements: {}) { options { density { instanceType } criteria { criterion } } recommendation { id } } }')
    t.notOk(deep.body.errors, 'a normal query passes')
    const intro = await gql(getIntrospectionQuery())
    t.notOk(intro.body.errors, "GraphiQL's introspection query is within the limits")
    let nested = 'name'
    for (let i = 0; i < 20; i++) nested = `ofType { ${nested} }`
    const tooDeep = await gql(`{ __type(name: "Query") { fields { type { ${nested} } } } }`)
    t.equal(tooDeep.status, 400)
    t.equal(tooDeep.body.errors[0].extensions.code, 'QUERY_TOO_DEEP')
    t.match(tooDeep.body.errors[0].message, /query depth 24 exceeds the limit of 16/)
    const wide = Array.from({ length: 20 }, (_, i) => `l${i}: instanceTypes { name price { usdPerHour } m: maxPods { maxPods formula explanation references } }`).join(' ')
    const costly = await gql(`{ ${wide} }`)
    t.equal(costly.status, 400)
    t.equal(costly.body.errors[0].extensions.code, 'QUERY_TOO_COSTLY')
    t.match(costly.body.errors[0].message, /query cost \d+ exceeds the limit of 20000/)
  })

  t.test('a repeated query is answered from the kept response, byte for byte', async (t) => {
    const query = '{ recommend(requirements: { encryption: REQUIRED, instanceTypes: ["m6i.large"] }) { recommendation { id score } catalog { version } } }'
    const first = await app.inject({ method: 'POST', url: '/graphql', payload: { query } })
    const second = await app.inject({ method: 'POST', url: '/graphql', payload: { query } })
    t.equal(second.body, first.body)
    t.equal(first.json().data.recommend.recommendation.id, 'aws-vpc-cni-secondary-ip', 'Nitro encrypts between m6i instances')
    const failing = await app.inject({ method: 'POST', url: '/graphql', payload: { query: '{ instanceType(name: "nope.x") { name } }' } })
    const again = await app.inject({ method: 'POST', url: '/graphql', payload: { query: '{ instanceType(name: "nope.x") { name } }' } })
    t.ok(failing.json().errors && again.json().errors, 'errors are never kept, always recomputed')
  })

  t.test('catalog', async (t) => {
    const { body } = await gql('{ catalog { version source instanceTypes prices stale regions { region prices pricesAsOf stale } } }')
    const rest = (await app.inject('/v1/catalog')).json()
    t.match(body.data.catalog, { version: rest.version, instanceTypes: rest.instanceTypes, prices: rest.prices, stale: rest.stale })
  })

  t.test('GraphiQL works on a closed network: the page and its scripts are served here', async (t) => {
    const page = await app.inject('/graphiql')
    t.equal(page.statusCode, 200)
    t.match(page.body, /\/graphiql\/assets\/graphiql\.js/)
    t.notMatch(page.body, /unpkg|cdn|https?:\/\//)
    for (const asset of ['react.js', 'react-dom.js', 'graphiql.js', 'graphiql.css', 'init.js']) {
      const res = await app.inject(`/graphiql/assets/${asset}`)
      t.equal(res.statusCode, 200, asset)
    }
    t.equal((await app.inject('/graphiql/assets/../../package.json')).statusCode, 404)
  })
})

t.test('refreshCatalog: the admin token, and the same report as REST', async (t) => {
  const { readFileSync } = await import('node:fs')
  const seed = JSON.parse(readFileSync(new URL('../../seed/catalog.json', import.meta.url), 'utf8'))
  const fetch = async (regions: string[]) => ({
    instanceTypes: seed.instanceTypes.map(({ trunking: _t, branchEnis: _b, ...rest }: Record<string, unknown>) => rest),
    prices: seed.prices
      .filter((p: { region: string }) => regions.includes(p.region))
      .map((p: { usdPerHour: number }) => ({ ...p, usdPerHour: p.usdPerHour * 2, source: 'aws-pricing-api', asOf: '2026-11-20T00:00:00.000Z' })),
    skipped: { 'zero-price': 3 },
    pages: 1,
  })
  const mutation = 'mutation { refreshCatalog(regions: ["us-east-1"]) { status catalogVersion regions instanceTypes { total added removed } prices { total byRegion { region count } } skipped { reason count } } }'

  const off = await buildTestApp(t)
  const offRes = (await off.inject({ method: 'POST', url: '/graphql', payload: { query: mutation } })).json()
  t.equal(offRes.errors[0].extensions.code, 'NOT_CONFIGURED')

  const token = 'graphql-admin-token-0123456789'
  const app = await buildTestApp(t, { env: { ADMIN_TOKEN: token }, deps: { refresh: { fetch: fetch as never } } })
  const wrong = (await app.inject({ method: 'POST', url: '/graphql', payload: { query: mutation }, headers: { authorization: 'Bearer nope' } })).json()
  t.equal(wrong.errors[0].extensions.code, 'UNAUTHENTICATED')
  t.equal(wrong.data, null)

  const ok = (await app.inject({ method: 'POST', url: '/graphql', payload: { query: mutation }, headers: { authorization: `Bearer ${token}` } })).json()
  t.notOk(ok.errors)
  t.match(ok.data.refreshCatalog, { status: 'succeeded', catalogVersion: 2, regions: ['us-east-1'], instanceTypes: { total: seed.instanceTypes.length, added: 0, removed: 0 } })
  t.same(ok.data.refreshCatalog.skipped, [{ reason: 'zero-price', count: 3 }])
  // The very next request sees the new version: the mutation reloads as the REST route does (issue 19's
  // bug; no polling here, which is what hid it).
  t.equal(app.ctx.catalog.current().version, 2, 'loaded before the mutation answered')
  const price = (await app.inject({ method: 'POST', url: '/graphql', payload: { query: '{ instanceType(name: "m5.large") { price { usdPerHour source } } catalog { version } }' } })).json()
  t.same(price.data, { instanceType: { price: { usdPerHour: 0.192, source: 'aws-pricing-api' } }, catalog: { version: 2 } }, 'the new prices are served without a restart')
})
