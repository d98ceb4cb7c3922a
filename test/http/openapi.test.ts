// Issue 21: /docs/json is fit for a portal to generate a client from. A maintained validator
// (@redocly/openapi-core, the one openapi-typescript uses) finds no problem in it under its strict
// ruleset, every example included; openapi-typescript generates types from it and a small client
// type-checks against them; and the document says what the service does: operationIds, named shapes,
// the media types served, the bearer scheme, every error status, and examples the service itself answers.
import { createConfig, lintFromString, type NormalizedProblem } from '@redocly/openapi-core'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import openapiTS, { astToString } from 'openapi-typescript'
import t from 'tap'
import ts from 'typescript'
import { EXAMPLE_OPTIONS } from '../../src/http/examples.js'
import { buildTestApp } from '../helper.js'

type Json = Record<string, any>

// A public URL like a deployment's (the default, localhost, is what the linter rightly flags).
const ENV = { PUBLIC_URL: 'https://cni-advisor.platform.internal', RATE_LIMIT_MAX: '600' }

const lintConfig = () =>
  createConfig({
    extends: ['recommended-strict'],
    rules: {
      // The service is internal and carries no licence to name.
      'info-license': 'off',
      // Examples may not carry a field their schema does not declare (the contract test checks answers the same way).
      'no-invalid-media-type-examples': { severity: 'error', allowAdditionalProperties: false },
    },
  })

async function lint(doc: object): Promise<NormalizedProblem[]> {
  return lintFromString({ source: JSON.stringify(doc), absoluteRef: 'docs.json', config: await lintConfig() })
}

const describe = (problems: NormalizedProblem[]) => problems.slice(0, 30).map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`)

const operations = (doc: Json) =>
  Object.entries(doc.paths as Json).flatMap(([path, methods]) => Object.entries(methods as Json).map(([method, op]) => ({ path, method, op: op as Json })))

const refOf = (schema: Json | undefined): string | undefined => schema?.$ref ?? schema?.allOf?.[0]?.$ref

t.test('/docs/json', async (t) => {
  const app = await buildTestApp(t, { env: ENV })
  const res = await app.inject('/docs/json')
  t.equal(res.statusCode, 200)
  const doc = res.json() as Json
  const ops = operations(doc)

  t.test('a maintained validator finds nothing wrong, examples included', async (t) => {
    const problems = await lint(doc)
    t.same(describe(problems), [], 'no problem under redocly recommended-strict')
    // …and it does find what it should: a broken $ref, an operation without an id, an example that is wrong.
    const broken = structuredClone(doc)
    delete broken.paths['/v1/catalog'].get.operationId
    broken.paths['/v1/instance-types/{name}/max-pods'].get.responses['200'].content['application/json'].example.maxPods = 'many'
    broken.paths['/v1/instance-types/{name}'].get.responses['200'].content['application/json'].schema = { $ref: '#/components/schemas/Nothing' }
    const found = new Set((await lint(broken)).map((p) => p.ruleId))
    for (const rule of ['operation-operationId', 'no-invalid-media-type-examples', 'no-unresolved-refs']) t.ok(found.has(rule), `a planted fault is found: ${rule}`)
  })

  t.test('every operation has its operationId, as published', async (t) => {
    const ids = ops.map((o) => o.op.operationId)
    t.equal(new Set(ids).size, ids.length, 'unique')
    // Generated clients name their methods after these: add, never rename.
    const published = [
      'getLiveness', 'getReadiness', 'getCatalog', 'refreshCatalog', 'listRefreshRuns',
      'listInstanceTypes', 'getInstanceType', 'getMaxPods', 'getCapacityPlan', 'planCapacity', 'getRecommendation', 'recommend',
      'slackCommand', 'getPodsPerNodeChart', 'getCostPerPodChart', 'graphqlQuery', 'graphql',
    ]
    for (const id of published) t.ok(ids.includes(id), id)
  })

  t.test('the shared shapes are named components, used by $ref', async (t) => {
    const names = Object.keys(doc.components.schemas)
    for (const name of ['Error', 'InstanceType', 'InstanceTypeList', 'MaxPods', 'CapacityPlan', 'CapacityRow', 'CapacityPlanInput', 'Recommendation', 'CniOption', 'Requirements', 'CatalogStamp', 'CatalogSummary', 'RefreshReport', 'RefreshRun', 'GraphQLRequest', 'GraphQLResponse', 'SlackMessage']) {
      t.ok(names.includes(name), `components.schemas.${name}`)
    }
    t.notOk(names.some((n) => /^def-\d+$/.test(n)), 'no generated def-N names')
    const text = JSON.stringify(doc.paths)
    t.match(text, /"#\/components\/schemas\/Recommendation"/)
    t.equal(refOf(doc.paths['/v1/recommendations'].post.requestBody.content['application/json'].schema), '#/components/schemas/Requirements', 'the POST body is Requirements')
    t.equal(refOf(doc.paths['/v1/capacity-plans'].post.requestBody.content['application/json'].schema), '#/components/schemas/CapacityPlanInput')
  })

  t.test('CSV (and the workbook) are declared where they are served, and served as declared', async (t) => {
    for (const { path, method, op } of ops) {
      const format = (op.parameters ?? []).find((p: Json) => p.name === 'format')
      if (!format) continue
      const offered = format.schema.enum as string[]
      const content = Object.keys(op.responses['200'].content)
      t.ok(content.includes('text/csv'), `${method.toUpperCase()} ${path}: text/csv`)
      if (offered.includes('xlsx')) t.ok(content.includes('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'), `${method.toUpperCase()} ${path}: xlsx`)
    }
    for (const url of ['/v1/instance-types?family=m5&format=csv', '/v1/capacity-plans?totalPods=10&family=m5&format=csv', '/v1/recommendations?format=csv']) {
      const r = await app.inject(url)
      const declared = Object.keys(doc.paths[url.split('?')[0]!].get.responses['200'].content)
      t.ok(declared.includes(String(r.headers['content-type']).split(';')[0]!), `${url} answers a declared media type (${r.headers['content-type']})`)
    }
  })

  t.test('the admin routes take the bearer scheme; Swagger UI offers Authorize', async (t) => {
    t.same(doc.components.securitySchemes.adminToken, { type: 'http', scheme: 'bearer', description: doc.components.securitySchemes.adminToken.description })
    for (const { path, method, op } of ops) {
      const admin = path.startsWith('/v1/admin/')
      t.equal(JSON.stringify(op.security ?? doc.security).includes('adminToken'), admin || (path === '/graphql' && method === 'post'), `${method.toUpperCase()} ${path}`)
      if (admin) {
        t.ok(op.responses['401'] && op.responses['503'], `${path}: 401 and 503`)
        t.notOk((op.parameters ?? []).some((p: Json) => p.name === 'authorization'), `${path}: the token is the scheme's, not a parameter`)
      }
    }
  })

  t.test('every error a route can answer is documented, with the shared error shape', async (t) => {
    for (const { path, method, op } of ops) {
      const label = `${method.toUpperCase()} ${path}`
      const statuses = Object.keys(op.responses)
      const expected = ['414']
      if (!['/healthz', '/readyz'].includes(path)) expected.push('429')
      if (method === 'post') expected.push('413', '415')
      // (Slack answers a bad command with a private 200 message saying what is accepted.)
      if ((op.parameters?.length || op.requestBody) && path !== '/slack/commands') expected.push('400')
      if (path.includes('{name}')) expected.push('404')
      for (const s of expected) t.ok(statuses.includes(s), `${label}: ${s}`)
      for (const s of statuses.filter((s) => /^[45]/.test(s))) {
        const schema = refOf(op.responses[s].content?.['application/json']?.schema)
        const shape = path === '/graphql' && ['400', '405'].includes(s) ? '#/components/schemas/GraphQLResponse' : '#/components/schemas/Error'
        t.equal(schema, shape, `${label} ${s}: ${shape.split('/').pop()}`)
      }
      if (op.responses['429']) t.ok(op.responses['429'].headers?.['retry-after'], `${label} 429: Retry-After`)
    }
  })

  t.test('conditional GETs document 304 and their validators', async (t) => {
    for (const path of ['/v1/instance-types', '/v1/instance-types/{name}', '/v1/instance-types/{name}/max-pods', '/v1/capacity-plans', '/v1/recommendations', '/v1/charts/pods-per-node.svg', '/graphql']) {
      const op = doc.paths[path].get
      t.ok(op.responses['304'], `${path}: 304`)
      t.same(Object.keys(op.responses['200'].headers ?? {}).sort(), ['cache-control', 'etag', 'last-modified'], `${path}: ETag, Last-Modified, Cache-Control`)
    }
    t.notOk(doc.paths['/v1/capacity-plans'].post.responses['304'], 'a POST is not conditional')
  })

  t.test('an example on every request and every answer', async (t) => {
    for (const { path, method, op } of ops) {
      const label = `${method.toUpperCase()} ${path}`
      const params = op.parameters ?? []
      for (const p of params.filter((p: Json) => p.required)) t.not(p.example, undefined, `${label}: parameter ${p.name}`)
      // (With a body, the body is the example request; `format` is then all the query takes.)
      if (params.length && !op.requestBody) t.ok(params.some((p: Json) => p.example !== undefined), `${label}: the parameters of an example request`)
      for (const [type, media] of Object.entries((op.requestBody?.content ?? {}) as Json)) t.not(media.example, undefined, `${label}: request ${type}`)
      for (const [status, response] of Object.entries(op.responses as Json)) {
        for (const [type, media] of Object.entries((response.content ?? {}) as Json)) {
          // Pictures and workbooks are bytes: their example is the request that draws them.
          if (/^image\/|spreadsheetml/.test(type)) continue
          t.not(media.example, undefined, `${label} ${status} ${type}`)
        }
      }
    }
  })

  t.test('the examples are what the service answers to the example requests', async (t) => {
    const example = (path: string, method: string, status = '200', type = 'application/json') => doc.paths[path][method].responses[status].content[type].example
    const query = (path: string, method = 'get') => {
      const op = doc.paths[path][method]
      let url = path
      const q = new URLSearchParams()
      for (const p of op.parameters ?? []) {
        if (p.example === undefined) continue
        if (p.in === 'path') url = url.replace(`{${p.name}}`, encodeURIComponent(String(p.example)))
        else q.set(p.name, String(p.example))
      }
      return `${url}${q.size ? `?${q}` : ''}`
    }
    const served = async (url: string, init: { method?: 'GET' | 'POST'; payload?: object; accept?: string } = {}) => {
      const r = await app.inject({ method: init.method ?? 'GET', url, headers: { accept: init.accept ?? 'application/json' }, ...(init.payload ? { payload: init.payload } : {}) })
      t.equal(r.statusCode, 200, `${init.method ?? 'GET'} ${url}`)
      return init.accept === 'text/csv' ? r.body : r.json()
    }
    t.same(await served(query('/v1/instance-types/{name}/max-pods')), example('/v1/instance-types/{name}/max-pods', 'get'), 'max pods')
    t.same(await served(query('/v1/instance-types/{name}')), example('/v1/instance-types/{name}', 'get'), 'an instance type')
    t.same(await served(query('/v1/capacity-plans')), example('/v1/capacity-plans', 'get'), 'a capacity plan by GET')
    const lines = (csv: unknown, n: number) => String(csv).split('\r\n').slice(0, n)
    t.same(lines(await served(query('/v1/capacity-plans'), { accept: 'text/csv' }), 1), lines(example('/v1/capacity-plans', 'get', '200', 'text/csv'), 1), '…as CSV: its columns')
    const planBody = doc.paths['/v1/capacity-plans'].post.requestBody.content['application/json'].example
    t.same(await served('/v1/capacity-plans', { method: 'POST', payload: planBody }), example('/v1/capacity-plans', 'post'), 'a capacity plan by POST')
    t.same(await served('/v1/catalog'), example('/v1/catalog', 'get'), 'the catalog')
    const recommendation = (await served(query('/v1/recommendations'))) as Json
    t.ok(recommendation.options.length > EXAMPLE_OPTIONS, 'the whole answer has more options than the example shows')
    t.same({ ...recommendation, options: recommendation.options.slice(0, EXAMPLE_OPTIONS) }, example('/v1/recommendations', 'get'), 'a recommendation (its first options)')
    t.same(lines(await served(query('/v1/recommendations'), { accept: 'text/csv' }), 1), lines(example('/v1/recommendations', 'get', '200', 'text/csv'), 1), '…as CSV: its columns')
    const list = (await served(query('/v1/instance-types'))) as Json
    t.same(list.items.slice(0, 2), example('/v1/instance-types', 'get').items, 'the first items of a list')
    t.same(lines(await served(query('/v1/instance-types'), { accept: 'text/csv' }), 1), lines(example('/v1/instance-types', 'get', '200', 'text/csv'), 1), '…as CSV: its columns')
    const gql = new URLSearchParams(doc.paths['/graphql'].get.parameters.filter((p: Json) => p.example !== undefined).map((p: Json) => [p.name, p.example]))
    t.same(await served(`/graphql?${gql}`), example('/graphql', 'get'), 'a GraphQL query by GET')
    const missing = await app.inject(query('/v1/instance-types/{name}').replace('m5.large', 'm5.larg'))
    t.same(missing.json(), example('/v1/instance-types/{name}', 'get', '404'), 'a 404 as the service words it')
  })

  t.test('openapi-typescript generates types a client type-checks against', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cni-openapi-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    // A field with a default is optional in a request: openapi-typescript 7 makes it required unless told
    // (defaultNonNullable, openapi-ts/openapi-typescript#2012); the README says to pass the same.
    const types = astToString(await openapiTS(doc as never, { defaultNonNullable: false }))
    writeFileSync(join(dir, 'api.ts'), types)
    t.match(types, /getMaxPods: \{/, 'an operation type per operationId')
    // A client a portal might write: the request and answer types come from the document alone.
    writeFileSync(
      join(dir, 'client.ts'),
      `import type { components, operations, paths } from './api.js'

type MaxPods = components['schemas']['MaxPods']
type MaxPodsQuery = NonNullable<operations['getMaxPods']['parameters']['query']>
type Plan = operations['planCapacity']['responses'][200]['content']['application/json']
type PlanInput = components['schemas']['CapacityPlanInput']
type Problem = operations['getMaxPods']['responses'][404]['content']['application/json']
type Get = (url: string) => Promise<unknown>

export async function maxPods(get: Get, name: paths['/v1/instance-types/{name}/max-pods']['get']['parameters']['path']['name'], q: MaxPodsQuery): Promise<number | null> {
  const answer = (await get(\`/v1/instance-types/\${encodeURIComponent(name)}/max-pods?mode=\${q.mode ?? 'secondary-ip'}\`)) as MaxPods
  return answer.recommendedMaxPods ?? null
}
export const input: PlanInput = { totalPods: 1000, podCpu: 0.25, instanceTypes: ['m5.large'] }
export const nodes = (plan: Plan): number => (plan.rows ?? []).reduce((n, r) => n + (r.nodes ?? 0), 0)
export const problem: Problem = { statusCode: 404, error: 'Not Found', message: 'unknown instance type', field: 'name' }
export const csv: operations['getCapacityPlan']['responses'][200]['content']['text/csv'] = 'instance_type,mode\\r\\n'
export const verdict = (r: components['schemas']['Recommendation']): string | undefined => r.recommendation?.verdict

// What the document rules out, the types rule out too.
// @ts-expect-error a mode the document does not list
export const turbo: MaxPodsQuery = { mode: 'turbo' }
// @ts-expect-error totalPods is required
export const noPods: PlanInput = { podCpu: 0.25 }
// @ts-expect-error an error's status is a number
export const wrong: Problem = { statusCode: '404', error: 'Not Found', message: 'x' }
`,
    )
    const program = ts.createProgram([join(dir, 'client.ts')], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2022.d.ts'],
      types: [],
      skipLibCheck: false,
    })
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? `${d.file.fileName.slice(dir.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1} ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`)
    t.same(diagnostics, [], 'the client type-checks against the generated types')
  })
})
