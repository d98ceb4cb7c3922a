import t from 'tap'
import { buildTestApp, countDatabaseCalls } from '../helper.js'

t.test('recommendations over REST', async (t) => {
  const app = await buildTestApp(t)

  t.test('defaults: the VPC CNI in its default mode, with every option ranked and explained', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/v1/recommendations', payload: {} })
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.equal(body.satisfiable, true)
    t.equal(body.recommendation.id, 'aws-vpc-cni-secondary-ip')
    t.match(body.requirements, { performance: 'medium', multicast: 'none', instanceTypes: ['m5.large'], region: 'us-east-1', daemonSetsPerNode: 0 })
    t.match(body.catalog, { version: 1, region: 'us-east-1', stale: false })
    t.ok(body.options.length >= 10)
    t.equal(body.options.filter((o: { verdict: string }) => o.verdict === 'recommended').length, 1)
    for (const o of body.options) {
      t.ok(o.score >= 0 && o.score <= 100, `${o.id} score in range`)
      t.ok(o.references.length > 0, `${o.id} has references`)
      t.ok(o.criteria.every((c: { weight: number; score: number; reason: string }) => typeof c.weight === 'number' && c.reason.length > 0), `${o.id} criteria explained`)
    }
    const summary = body.summary.split(/(?<=\.)\s+/)
    t.ok(summary.length >= 2 && summary.length <= 6, 'the summary is a few sentences')
  })

  t.test('GET with query parameters gives the same answer as POST', async (t) => {
    const post = await app.inject({
      method: 'POST',
      url: '/v1/recommendations',
      payload: { multicast: 'required', encryption: 'preferred', instanceTypes: ['m5.large', 'm6i.large'], podsPerNode: 50, performance: 'high' },
    })
    const get = await app.inject('/v1/recommendations?multicast=required&encryption=preferred&instanceTypes=m5.large,m6i.large&podsPerNode=50&performance=high')
    t.equal(get.statusCode, 200)
    t.same(get.json(), post.json())
    t.equal(get.json().recommendation.id, 'cilium-overlay', 'multicast: Cilium in VXLAN, not Weave Net any more')
  })

  t.test('CSV: one row per option, in rank order', async (t) => {
    const json = (await app.inject('/v1/recommendations?encryption=required&instanceTypes=m5.large')).json()
    const res = await app.inject('/v1/recommendations?encryption=required&instanceTypes=m5.large&format=csv')
    t.match(res.headers['content-type'], /^text\/csv/)
    const lines = res.body.trimEnd().split('\r\n')
    t.equal(lines[0]!.split(',').slice(0, 7).join(','), 'rank,id,plugin,variant,name,score,verdict')
    t.equal(lines.length, json.options.length + 1)
    json.options.forEach((o: { id: string; score: number }, i: number) => t.match(lines[i + 1], new RegExp(`^${i + 1},${o.id},.*,${o.score},`)))
    const accept = await app.inject({ url: '/v1/recommendations?encryption=required&instanceTypes=m5.large', headers: { accept: 'text/csv' } })
    t.equal(accept.body, res.body)
  })

  t.test('pod subnets become the pod IP budget', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/v1/recommendations', payload: { podSubnets: ['10.0.0.0/24', '10.0.1.0/24'], totalPods: 2000 } })
    t.equal(res.statusCode, 200)
    const blocked = res.json().options.filter((o: { blockers: Array<{ criterion: string }> }) => o.blockers.some((b) => b.criterion === 'podIpBudget'))
    t.ok(blocked.length > 0, '2 × 251 usable addresses cannot hold 2000 VPC-addressed pods')
    const both = await app.inject({ method: 'POST', url: '/v1/recommendations', payload: { podSubnets: ['10.0.0.0/24'], podIpBudget: 100 } })
    t.equal(both.statusCode, 400)
    t.equal(both.json().field, 'podSubnets')
    const overlap = await app.inject({ method: 'POST', url: '/v1/recommendations', payload: { podSubnets: ['10.0.0.0/16', '10.0.1.0/24'] } })
    t.equal(overlap.statusCode, 400)
    t.match(overlap.json().message, /overlap/)
  })

  t.test('contradictory needs: not satisfiable, and the summary names them', async (t) => {
    const res = await app.inject('/v1/recommendations?fargate=true&multicast=required')
    t.equal(res.json().satisfiable, false)
    t.equal(res.json().recommendation, null)
    t.match(res.json().summary, /fargate/i)
    t.match(res.json().summary, /multicast/i)
  })

  t.test('bad input is a 400 naming the field', async (t) => {
    const cases: Array<[unknown, string]> = [
      [{ performance: 'extreme' }, 'performance'],
      [{ multicast: 'maybe' }, 'multicast'],
      [{ fargate: 'yes' }, 'fargate'],
      [{ instanceTypes: 'm5.large' }, 'instanceTypes'],
      [{ instanceTypes: [] }, 'instanceTypes'],
      [{ podsPerNode: 0 }, 'podsPerNode'],
      [{ podsPerNode: 1.5 }, 'podsPerNode'],
      [{ totalPods: -1 }, 'totalPods'],
      [{ podIpBudget: 'lots' }, 'podIpBudget'],
      [{ podSubnets: ['10.0.0.0/8'] }, 'podSubnets'],
      [{ daemonSetsPerNode: -1 }, 'daemonSetsPerNode'],
      [{ region: 'moon-1' }, 'region'],
      [{ flavour: 'vanilla' }, 'flavour'],
      [[1, 2], 'body'],
    ]
    for (const [payload, field] of cases) {
      const res = await app.inject({ method: 'POST', url: '/v1/recommendations', payload: payload as object })
      t.equal(res.statusCode, 400, JSON.stringify(payload))
      t.equal(res.json().field, field, JSON.stringify(payload))
    }
    const unknownType = await app.inject({ method: 'POST', url: '/v1/recommendations', payload: { instanceTypes: ['m5.huge'] } })
    t.ok([400, 404].includes(unknownType.statusCode))
    t.equal(unknownType.json().field, 'instanceTypes')
    const misspelt = await app.inject('/v1/recommendations?instanceTypes=m5.large,m6i.xlrage,c7g.larg')
    t.equal(misspelt.statusCode, 400)
    t.match(misspelt.json().message, /unknown: "m6i\.xlrage" \(did you mean m6i\.xlarge[,?].*"c7g\.larg" \(did you mean c7g\.large[,?]/, 'each unknown name with its nearest ones')
    const noBody = await app.inject({ method: 'POST', url: '/v1/recommendations' })
    t.equal(noBody.statusCode, 400)
  })

  t.test('the hot path does not touch the database', async (t) => {
    const calls = countDatabaseCalls(app.ctx.db, t)
    await app.inject({ method: 'POST', url: '/v1/recommendations', payload: { performance: 'high', networkPolicy: 'required', podsPerNode: 40, totalPods: 900, instanceTypes: ['c6i.xlarge'] } })
    await app.inject('/v1/capacity-plans?totalPods=900&family=c6i')
    await app.inject('/v1/instance-types/c6i.xlarge/max-pods?mode=prefix-delegation')
    t.equal(calls(), 0, 'answers come from the catalog in memory')
  })

  t.test('every contract route is in the OpenAPI document', async (t) => {
    const doc = (await app.inject('/docs/json')).json()
    const routes: Array<[string, string]> = [
      ['/healthz', 'get'],
      ['/readyz', 'get'],
      ['/v1/instance-types', 'get'],
      ['/v1/instance-types/{name}', 'get'],
      ['/v1/instance-types/{name}/max-pods', 'get'],
      ['/v1/recommendations', 'get'],
      ['/v1/recommendations', 'post'],
      ['/v1/capacity-plans', 'get'],
      ['/v1/capacity-plans', 'post'],
      ['/v1/catalog', 'get'],
      ['/v1/admin/refresh', 'post'],
      ['/slack/commands', 'post'],
    ]
    for (const [path, method] of routes) {
      t.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path}`)
    }
  })
})
