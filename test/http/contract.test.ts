// Issue 19: the response schemas are the contract, not documentation only. Every JSON answer of a broad
// set of requests (every REST route, the cross-door hard cases, health, catalog, the 400s and 404s) is
// validated against the schema the OpenAPI document served at /docs/json declares for its path, method
// and status; and every field an answer carries must be declared there (an undeclared field is dropped
// silently by fastify's serializer, or sent undocumented by the routes that send pre-rendered JSON).
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import t from 'tap'
import { MODES } from '../../src/domain/types.js'
import { buildTestApp } from '../helper.js'
import { pathTemplate, responseSchema, undeclaredFields, type OpenApiDoc, type Schema } from '../openapi.js'

interface Case {
  method?: 'GET' | 'POST'
  url: string
  payload?: unknown
  headers?: Record<string, string>
  status: number
  /** A src/ schema bug already reported: the document does not declare this answer yet. */
  todo?: string
}

const q = (params: Record<string, string | number | boolean | string[]>) =>
  new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, Array.isArray(v) ? v.join(',') : String(v)])).toString()

// The recommendation cases of test/http/cross-door.test.ts and the other hard ones, each asked by POST and by GET.
const HARD_CASES: Array<[string, Record<string, string | number | boolean | string[]>]> = [
  ['defaults', {}],
  ['Windows m5.large, 20 pods per node', { windows: true, podsPerNode: 20, instanceTypes: ['m5.large'] }],
  ['Fargate with policy preferred', { fargate: true, networkPolicy: 'preferred' }],
  ['network policy required on m4.large', { networkPolicy: 'required', instanceTypes: ['m4.large'] }],
  ['multicast required', { multicast: 'required' }],
  ['IPv6 required', { ipv6: 'required' }],
  ['a podSubnets budget', { podSubnets: ['10.0.0.0/24', '10.0.1.0/24'], totalPods: 2000 }],
  ['unsatisfiable: Fargate and multicast required', { fargate: true, multicast: 'required' }],
  ['everything at once', { performance: 'high', encryption: 'required', securityGroupsForPods: 'preferred', flowLogs: 'preferred', portability: 'preferred', instanceTypes: ['c5.xlarge', 'm6g.large'], region: 'eu-west-1', daemonSetsPerNode: 4 }],
]

const plan = { totalPods: 1000, podCpu: 0.25, podMemoryMiB: 512 }

const CASES: Case[] = [
  { url: '/healthz', status: 200 },
  { url: '/readyz', status: 200 },
  { url: '/v1/catalog', status: 200 },

  { url: '/v1/instance-types', status: 200 },
  { url: '/v1/instance-types?family=m5&region=eu-west-1', status: 200 },
  { url: '/v1/instance-types?family=mac1&format=json', status: 200 },
  { url: '/v1/instance-types?region=us', status: 400 },
  { url: '/v1/instance-types/m5.large', status: 200 },
  { url: '/v1/instance-types/m4.large?region=us-west-2', status: 200 },
  { url: '/v1/instance-types/mac1.metal', status: 200 },
  { url: '/v1/instance-types/m5.large?region=nowhere', status: 400 },
  { url: '/v1/instance-types/m5.nonesuch', status: 404 },
  { url: '/v1/instance-types/%ff%fe', status: 400 },
  // A name over the router's maxParamLength (200) is refused with 414 in the error shape (src/http/errors.ts).
  { url: `/v1/instance-types/${'m'.repeat(201)}.large`, status: 414 },
  { url: `/v1/instance-types/${'m'.repeat(201)}.large/max-pods`, status: 414 },

  ...MODES.map((mode): Case => ({ url: `/v1/instance-types/m5.large/max-pods?mode=${mode}`, status: 200 })),
  ...MODES.map((mode): Case => ({ url: `/v1/instance-types/m4.large/max-pods?mode=${mode}`, status: 200 })),
  { url: '/v1/instance-types/m5.large/max-pods', status: 200 },
  { url: '/v1/instance-types/m5.large/max-pods?os=windows', status: 200 },
  { url: '/v1/instance-types/m5.large/max-pods?os=windows&mode=prefix-delegation', status: 200 },
  { url: '/v1/instance-types/c5.24xlarge/max-pods?mode=prefix-delegation&daemonSetsPerNode=5&maxPodsCap=200', status: 200 },
  { url: '/v1/instance-types/mac1.metal/max-pods', status: 200 },
  { url: '/v1/instance-types/m5.large/max-pods?os=macos', status: 400 },
  { url: '/v1/instance-types/m5.large/max-pods?mode=turbo', status: 400 },
  { url: '/v1/instance-types/m5.nonesuch/max-pods', status: 404 },

  { url: `/v1/capacity-plans?${q({ ...plan, family: 'm5' })}`, status: 200 },
  { url: `/v1/capacity-plans?${q({ ...plan, instanceTypes: ['m5.large', 'c6i.xlarge', 'm4.large'], mode: 'custom-networking-prefix-delegation' })}`, status: 200 },
  { url: `/v1/capacity-plans?${q({ ...plan, instanceTypes: ['m5.large', 'm5.xlarge'], os: 'windows' })}`, status: 200 },
  { url: `/v1/capacity-plans?${q({ totalPods: 100, podMemoryMiB: 65536, instanceTypes: ['t3.nano', 'mac1.metal', 'm5.large'], mode: 'ipv6', region: 'eu-west-1' })}`, status: 200 },
  { url: `/v1/capacity-plans?${q({ totalPods: 300, family: 'c7g', limit: 3, warmIpTarget: 5, minimumIpTarget: 10 })}`, status: 200 },
  { url: '/v1/capacity-plans?podCpu=0.1', status: 400 },
  { url: '/v1/capacity-plans?totalPods=0', status: 400 },
  { url: '/v1/capacity-plans?totalPods=10&family=zz9', status: 404 },
  { url: '/v1/capacity-plans?totalPods=10&instanceTypes=m5.nonesuch', status: 404 },
  { method: 'POST', url: '/v1/capacity-plans', payload: { ...plan, family: 'm6i', mode: 'prefix-delegation' }, status: 200 },
  { method: 'POST', url: '/v1/capacity-plans', payload: { ...plan, instanceTypes: ['m5.large', 'c5.xlarge'], os: 'windows', warmEniTarget: 0, warmPrefixTarget: 1 }, status: 200 },
  { method: 'POST', url: '/v1/capacity-plans', payload: { ...plan, instanceTypes: ['m5.large'], mode: 'security-groups-for-pods', maxPodsCap: 30, daemonSetsPerNode: 3 }, status: 200 },
  { method: 'POST', url: '/v1/capacity-plans', payload: { totalPods: '10' }, status: 400 },
  { method: 'POST', url: '/v1/capacity-plans', payload: { totalPods: 10, family: 'zz9' }, status: 404 },

  ...HARD_CASES.flatMap(([, body]): Case[] => [
    { method: 'POST', url: '/v1/recommendations', payload: body, status: 200 },
    { url: `/v1/recommendations?${q(body)}`, status: 200 },
  ]),
  { method: 'POST', url: '/v1/recommendations', payload: { performance: 'extreme' }, status: 400 },
  { method: 'POST', url: '/v1/recommendations', payload: { podSubnets: ['10.0.0.0/24'], podIpBudget: 100 }, status: 400 },
  { url: '/v1/recommendations?multicast=maybe', status: 400 },
  { method: 'POST', url: '/v1/recommendations', payload: { instanceTypes: ['m5.nonesuch'] }, status: 400 },
  { url: '/v1/recommendations?instanceTypes=m5.nonesuch', status: 400 },
  { method: 'POST', url: '/v1/recommendations', payload: '{"multicast":', headers: { 'content-type': 'application/json' }, status: 400 },
]

// JSON routes of the document this test does not ask: the admin routes need a token and a fake AWS
// (test/http/admin.test.ts), Slack needs signed requests and answers Slack's own shape, the charts are SVG,
// and GraphQL has one generic 2XX.
const NOT_ASKED = ['/v1/admin/refresh', '/v1/admin/refresh-runs', '/slack/commands', '/v1/charts/pods-per-node.svg', '/v1/charts/cost-per-pod.svg', '/graphql']

const formatErrors = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).slice(0, 10).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}${e.keyword === 'enum' ? ` (${JSON.stringify(e.params.allowedValues)})` : ''}`)

t.test('every JSON answer matches the OpenAPI document at /docs/json', async (t) => {
  const app = await buildTestApp(t)
  // What each handler answered before fastify's serializer applied the response schema (which drops
  // undeclared fields): by request id. Pre-rendered answers (Buffers) do not pass here; their bytes are the answer.
  const answered = new Map<string, unknown>()
  app.addHook('preSerialization', async (request, _reply, payload) => {
    answered.set(String(request.id), JSON.parse(JSON.stringify(payload)))
    return payload
  })

  const docRes = await app.inject('/docs/json')
  t.equal(docRes.statusCode, 200, '/docs/json answers')
  const doc = docRes.json() as OpenApiDoc
  t.match(doc.openapi, /^3\./, 'an OpenAPI 3 document')

  const ajv = new Ajv({ strict: false, allErrors: true })
  const validators = new Map<string, ValidateFunction>()
  const validatorFor = (key: string, schema: object) => {
    let v = validators.get(key)
    if (!v) validators.set(key, (v = ajv.compile(schema)))
    return v
  }

  const gaps = new Map<string, string>()
  const asked = new Set<string>()
  const firstAnswer = new Map<string, { schema: Schema; answer: unknown }>()
  let n = 0
  for (const c of CASES) {
    const method = c.method ?? 'GET'
    const label = `${method} ${c.url.replace(/m{201}/, 'm×201')}`
    const id = `contract-${++n}`
    const res = await app.inject({ method, url: c.url, headers: { ...c.headers, 'x-request-id': id }, ...(c.payload === undefined ? {} : { payload: c.payload as object }) })
    if (res.statusCode !== c.status) {
      t.fail(`${label}: status ${res.statusCode}, expected ${c.status}`, { body: res.body.slice(0, 500) })
      continue
    }
    const template = pathTemplate(doc, c.url)
    if (!template) {
      t.fail(`${label}: the document has no path for it`)
      continue
    }
    const schema = responseSchema(doc, template, method, res.statusCode)
    if (!schema) {
      t.fail(`${label}: the document declares no application/json schema for ${method} ${template} ${res.statusCode}`, c.todo ? { todo: c.todo } : {})
      continue
    }
    if (res.statusCode === 200) asked.add(`${method} ${template}`)
    t.match(res.headers['content-type'], /^application\/json/, `${label}: JSON`)
    const served: unknown = res.json()
    // What the handler answered: the object it gave the serializer, else the pre-rendered bytes sent.
    const answer = answered.has(id) ? answered.get(id) : served
    const validate = validatorFor(`${method} ${template} ${res.statusCode}`, schema)
    t.ok(validate(answer), `${label}: the answer matches ${method} ${template} ${res.statusCode}`, { errors: formatErrors(validate.errors) })
    if (answer !== served) t.ok(validate(served), `${label}: the served body matches it too`, { errors: formatErrors(validate.errors) })
    if (!firstAnswer.has(`${method} ${template} ${res.statusCode}`)) firstAnswer.set(`${method} ${template} ${res.statusCode}`, { schema, answer })
    for (const field of undeclaredFields(schema, answer)) {
      const key = `${method} ${template} ${res.statusCode} ${field}`
      if (!gaps.has(key)) gaps.set(key, label)
    }
  }

  // /healthz, /readyz, /v1/catalog and the error answers go through fastify's serializer.
  t.ok(answered.size >= 10, `${answered.size} answers were seen before fastify's serializer`)

  t.test('every JSON route of the document was asked, with a 200', async (t) => {
    for (const [template, methods] of Object.entries(doc.paths)) {
      if (NOT_ASKED.includes(template)) continue
      for (const method of Object.keys(methods)) {
        if (!methods[method]?.responses?.['200']?.content?.['application/json']) continue
        t.ok(asked.has(`${method.toUpperCase()} ${template}`), `${method.toUpperCase()} ${template}`)
      }
    }
  })

  t.test('the schemas reject a wrong answer (nullable as the document writes it)', async (t) => {
    const check = (key: string, plant: (a: any) => void) => {
      const { schema, answer } = firstAnswer.get(key)!
      const copy = structuredClone(answer)
      plant(copy)
      return validatorFor(key, schema)(copy)
    }
    t.notOk(check('POST /v1/recommendations 200', (a) => (a.options[0].score = 'high')), 'a string score')
    t.notOk(check('POST /v1/recommendations 200', (a) => (a.recommendation.verdict = 'maybe')), 'a verdict not in the enum')
    t.ok(check('POST /v1/recommendations 200', (a) => (a.recommendation = null)), 'recommendation is nullable')
    t.notOk(check('GET /v1/instance-types/{name} 200', (a) => (a.maxEnis = null)), 'maxEnis is not nullable')
    t.ok(check('GET /v1/instance-types/{name} 200', (a) => Object.assign(a, { price: null, vcpu: null })), 'price and vcpu are nullable')
    t.ok(check('GET /v1/capacity-plans 200', (a) => (a.rows[0].limitedBy = null)), 'limitedBy is nullable (null in its enum)')
    t.notOk(check('GET /v1/capacity-plans 200', (a) => (a.rows[0].limitedBy = 'disk')), 'limitedBy outside its enum')
    t.notOk(check('GET /readyz 200', (a) => delete a.databaseUp), 'a required field missing')
    t.notOk(check('GET /v1/instance-types/{name} 404', (a) => delete a.message), 'an error without its message')
  })

  t.test('the check finds a field the document does not declare, at any depth', async (t) => {
    const planted = (key: string, plant: (a: any) => void) => {
      const { schema, answer } = firstAnswer.get(key)!
      const copy = structuredClone(answer)
      plant(copy)
      return undeclaredFields(schema, copy).sort()
    }
    t.same(
      planted('GET /v1/instance-types/{name} 200', (a) => Object.assign(a, { planted: 1, price: { ...a.price, planted: 1 }, maxPods: { ...a.maxPods, planted: 1 } })),
      ['maxPods.planted', 'planted', 'price.planted'],
    )
    t.same(
      planted('POST /v1/recommendations 200', (a) => {
        a.options[1].blockers.push({ criterion: 'x', reason: 'y', planted: 1 })
        a.recommendation.planted = 1
        a.options[0].density.anything = 1 // density is open (additionalProperties: true)
      }),
      ['options[].blockers[].planted', 'recommendation.planted'],
    )
    t.same(planted('GET /v1/capacity-plans 200', (a) => (a.rows[0].limits.planted = 1)), ['rows[].limits.planted'])
    t.same(planted('GET /readyz 200', (a) => (a.planted = 1)), ['planted'])
  })

  t.test('no answer carries a field its schema does not declare', async (t) => {
    // Each is `METHOD template status field`: declare the field in its shape (src/http/schemas.ts, or the route's own schema).
    for (const [key, firstSeen] of gaps) t.fail(`undeclared: ${key}`, { firstSeen })
    t.equal(gaps.size, 0, `no undeclared field in ${CASES.length} answers`)
  })
})
