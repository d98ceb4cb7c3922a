// Random and hostile input at every door: every answer is a 2xx or a 4xx in the contract's error
// shape, never a 5xx, a hang or a crash. The seed is fixed so CI is repeatable; FC_SEED and FC_RUNS
// run other or more cases (README "Limits": the nightly run uses FC_RUNS=2000).
import t from 'tap'
import fc from 'fast-check'
import { createHmac } from 'node:crypto'
import { CAPACITY_FIELDS, MAX_PODS_FIELDS, REQUIREMENT_FIELDS } from '../../src/answers/inputs.js'
import { buildTestApp } from '../helper.js'

const SEED = Number(process.env.FC_SEED ?? 20261121)
const RUNS = Number(process.env.FC_RUNS ?? 60)
const params = { seed: SEED, numRuns: RUNS, endOnFailure: true }
const SECRET = 'property-test-signing-secret'
const NOW = 1_800_000_000

const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    "'; DROP TABLE instance_types; --",
    '" OR 1=1 --',
    '\r\nX-Injected: yes',
    '%0d%0aSet-Cookie:%20a=b',
    '../../etc/passwd',
    '<script>alert(1)</script>',
    '=HYPERLINK("http://x")',
    'NaN',
    'Infinity',
    '-0',
    '1e309',
    '9'.repeat(400),
    '0x1F',
    '\u0000',
    '\uFEFFm5.large',
    'm5.large\u202E',
    '',
    ' ',
    'true',
    'null',
    '[]',
    '{}',
  ),
  fc.integer().map(String),
  fc.double().map(String),
)
const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  hostileString,
  fc.double(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -1, 0, 1.5, 2 ** 53 + 1, -0, 1e308),
  fc.array(hostileString, { maxLength: 5 }),
)
const keysOf = (...tables: object[]) => [...new Set(tables.flatMap((t) => Object.keys(t)))]
const fieldKey = (keys: string[]) => fc.oneof(fc.constantFrom(...keys, 'format'), fc.string({ maxLength: 12 }))

function assertShape(t: { fail(msg: string): unknown }, res: { statusCode: number; headers: Record<string, unknown>; body: string }, what: string): boolean {
  if (res.statusCode >= 500) {
    t.fail(`${what} → ${res.statusCode}: ${res.body.slice(0, 300)}`)
    return false
  }
  if (res.statusCode >= 400) {
    let body: Record<string, unknown>
    try {
      body = JSON.parse(res.body)
    } catch {
      t.fail(`${what} → ${res.statusCode} without a JSON body: ${res.body.slice(0, 200)}`)
      return false
    }
    if (body.statusCode !== res.statusCode || typeof body.error !== 'string' || typeof body.message !== 'string') {
      t.fail(`${what} → ${res.statusCode} not in the error shape: ${res.body.slice(0, 200)}`)
      return false
    }
  }
  return true
}

t.test('hostile input at every door', async (t) => {
  const app = await buildTestApp(t, { env: { SLACK_SIGNING_SECRET: SECRET }, deps: { clock: () => new Date(NOW * 1000) } })

  const getRoutes = [
    { path: '/v1/recommendations', keys: keysOf(REQUIREMENT_FIELDS) },
    { path: '/v1/capacity-plans', keys: keysOf(CAPACITY_FIELDS) },
    { path: '/v1/instance-types', keys: ['family', 'region'] },
    { path: '/v1/instance-types/m5.large/max-pods', keys: keysOf(MAX_PODS_FIELDS) },
    { path: '/v1/instance-types/m5.large', keys: ['region'] },
    { path: '/v1/catalog', keys: [] },
    { path: '/v1/charts/cost-per-pod.svg', keys: keysOf(CAPACITY_FIELDS) },
    { path: '/v1/charts/pods-per-node.svg', keys: ['instanceTypes', 'mode'] },
  ]

  t.test('query strings', async (t) => {
    for (const route of getRoutes) {
      await fc.assert(
        fc.asyncProperty(fc.dictionary(fieldKey(route.keys.length ? route.keys : ['x']), hostileString, { maxKeys: 6 }), async (query) => {
          const qs = new URLSearchParams(query).toString()
          const res = await app.inject({ method: 'GET', url: `${route.path}?${qs}` })
          return assertShape(t, res, `GET ${route.path}?${qs.slice(0, 200)}`)
        }),
        params,
      )
    }
    t.pass('every query string answered 2xx/4xx in the contract shape')
  })

  t.test('path parameters', async (t) => {
    await fc.assert(
      fc.asyncProperty(hostileString, async (name) => {
        const res = await app.inject({ method: 'GET', url: `/v1/instance-types/${encodeURIComponent(name)}/max-pods` })
        return assertShape(t, res, `max-pods for ${JSON.stringify(name).slice(0, 80)}`)
      }),
      params,
    )
    t.pass('every name answered')
  })

  t.test('JSON bodies', async (t) => {
    for (const path of ['/v1/recommendations', '/v1/capacity-plans']) {
      const keys = path.includes('recommend') ? keysOf(REQUIREMENT_FIELDS) : keysOf(CAPACITY_FIELDS)
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.dictionary(fieldKey(keys), hostileJson, { maxKeys: 6 }), hostileJson), async (body) => {
          const res = await app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) ?? 'null' })
          return assertShape(t, res, `POST ${path} ${JSON.stringify(body)?.slice(0, 200)}`)
        }),
        params,
      )
    }
    t.pass('every body answered')
  })

  t.test('malformed bodies: deep nesting, duplicate keys, wrong content types, megabyte strings', async (t) => {
    const cases: Array<{ payload: string; type: string }> = [
      { payload: '['.repeat(100_000) + ']'.repeat(100_000), type: 'application/json' },
      { payload: '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000), type: 'application/json' },
      { payload: '{"podsPerNode": 5, "podsPerNode": -5}', type: 'application/json' },
      { payload: '{"performance": "high", "performance": "turbo"}', type: 'application/json' },
      { payload: '{"constructor": {"prototype": {"x": 1}}}', type: 'application/json' },
      { payload: 'not json', type: 'application/json' },
      { payload: '', type: 'application/json' },
      { payload: 'podsPerNode=5', type: 'application/x-www-form-urlencoded' },
      { payload: '<xml/>', type: 'text/xml' },
      { payload: JSON.stringify({ region: 'x'.repeat(1024 * 1024) }), type: 'application/json' },
      { payload: JSON.stringify({ instanceTypes: Array.from({ length: 5000 }, (_, i) => `m${i}.large`) }), type: 'application/json' },
    ]
    for (const path of ['/v1/recommendations', '/v1/capacity-plans', '/graphql']) {
      for (const c of cases) {
        const res = await app.inject({ method: 'POST', url: path, headers: { 'content-type': c.type }, payload: c.payload })
        if (path === '/graphql' && res.statusCode < 500) continue // GraphQL answers in its own shape
        assertShape(t, res, `POST ${path} ${c.type} ${c.payload.slice(0, 60)}`)
      }
    }
    t.equal(({} as Record<string, unknown>).x, undefined, 'no prototype was polluted')
  })

  t.test('GraphQL arguments', async (t) => {
    const query = 'query($r: RequirementsInput!, $t: String!, $d: Int, $c: CapacityPlanInput!) { recommend(requirements: $r) { summary } maxPods(instanceType: $t, daemonSetsPerNode: $d) { maxPods } capacityPlan(input: $c) { totalRows } }'
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fieldKey(keysOf(REQUIREMENT_FIELDS)), hostileJson, { maxKeys: 5 }),
        hostileString,
        hostileJson,
        fc.dictionary(fieldKey(keysOf(CAPACITY_FIELDS)), hostileJson, { maxKeys: 5 }),
        async (r, name, d, c) => {
          const res = await app.inject({ method: 'POST', url: '/graphql', payload: { query, variables: { r, t: name, d, c } } })
          if (res.statusCode >= 500) return t.fail(`GraphQL → ${res.statusCode}: ${res.body.slice(0, 300)}`) as unknown as boolean
          const body = res.json()
          for (const e of body.errors ?? []) {
            if (!e.extensions?.code || e.extensions.code === 'INTERNAL_SERVER_ERROR') {
              t.fail(`GraphQL error without a client code: ${JSON.stringify(e).slice(0, 300)}`)
              return false
            }
          }
          return true
        },
      ),
      params,
    )
    t.pass('every GraphQL request answered with data or coded client errors')
  })

  t.test('Slack form text, signed', async (t) => {
    const sign = (body: string) => ({
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(NOW),
      'x-slack-signature': `v0=${createHmac('sha256', SECRET).update(`v0:${NOW}:${body}`).digest('hex')}`,
    })
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(hostileString, fc.array(fc.oneof(hostileString, fc.tuple(fc.constantFrom('pods', 'instance', 'multicast', 'total', 'mode', 'cpu'), hostileString).map(([k, v]) => `${k}=${v}`)), { maxLength: 6 }).map((w) => w.join(' '))),
        fc.constantFrom('recommend ', 'maxpods ', 'plan ', 'help ', '', 'bogus '),
        async (text, command) => {
          const body = new URLSearchParams({ command: '/cni', text: command + text, team_id: 'T1', user_id: 'U1' }).toString()
          const res = await app.inject({ method: 'POST', url: '/slack/commands', headers: sign(body), payload: body })
          if (res.statusCode !== 200) {
            t.fail(`Slack → ${res.statusCode} for ${JSON.stringify(command + text).slice(0, 120)}: ${res.body.slice(0, 200)}`)
            return false
          }
          const answer = res.json()
          return typeof answer.text === 'string' && Array.isArray(answer.blocks)
        },
      ),
      params,
    )
    t.pass('every signed command got a Slack message')
  })
})
