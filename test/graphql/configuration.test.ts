// GraphQL carries each option's ready-to-apply configuration, the same as REST's.
import t from 'tap'
import { buildTestApp } from '../helper.js'

t.test('recommend { options { configuration } }: the same files as REST', async (t) => {
  const app = await buildTestApp(t)
  const { data, errors } = (
    await app.inject({
      method: 'POST',
      url: '/graphql',
      payload: {
        query: `{ recommend(requirements: { instanceTypes: ["m5.large"], networkPolicy: PREFERRED }) {
          options { id verdict configuration { summary maxPods maxPodsReason steps references
            perInstanceType { instanceType mode maxPods nodeadmDefault formula }
            artifacts { id kind title format filename apply content references values { path value reason } } } } } }`,
      },
    })
  ).json()
  t.notOk(errors, JSON.stringify(errors))
  const rest = (await app.inject({ method: 'POST', url: '/v1/recommendations', payload: { instanceTypes: ['m5.large'], networkPolicy: 'preferred' } })).json()
  t.equal(data.recommend.options.length, rest.options.length)
  for (const [i, o] of data.recommend.options.entries()) {
    const r = rest.options[i]
    t.equal(o.id, r.id)
    if (r.configuration === null) {
      t.equal(o.configuration, null, `${o.id}: blocked, none`)
      continue
    }
    const { perInstanceType, ...others } = o.configuration
    const { perInstanceType: restPer, ...restOthers } = r.configuration
    t.same(others, restOthers, `${o.id}: the same configuration as REST`)
    t.same(
      perInstanceType.map((p: { mode: string }) => p.mode),
      restPer.map((p: { mode: string }) => p.mode.toUpperCase().replace(/-/g, '_')),
      'modes as the GraphQL enum',
    )
  }
  const pd = data.recommend.options.find((o: { id: string }) => o.id === 'aws-vpc-cni-prefix-delegation')
  t.equal(pd.configuration.maxPods, 110)
  t.ok(pd.configuration.artifacts.some((a: { id: string }) => a.id === 'vpc-cni-addon'))
})
