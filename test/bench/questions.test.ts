// The bench's miss rows (bench/run.ts) are only misses if bench/questions.ts never gives a question twice;
// and only measure answers if every question is one the service takes (a 400 costs far less).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { capacityPlanQuestions, graphqlRecommendQuestions, maxPodsQuestions, recommendationQuestions, seededRandom, type CatalogSpace } from '../../bench/questions.js'
import { CAPACITY_FIELDS, MAX_PODS_FIELDS, parseRequirements } from '../../src/answers/inputs.js'
import { parseFields } from '../../src/domain/fields.js'
import { SEED_FILE } from '../../src/paths.js'

const seed = JSON.parse(readFileSync(SEED_FILE, 'utf8')) as { instanceTypes: CatalogSpace['types']; prices: Array<{ region: string }> }
const space: CatalogSpace = { types: seed.instanceTypes, regions: [...new Set(seed.prices.map((p) => p.region))] }
const names = new Set(space.types.map((t) => t.name))
const N = 400

const query = (path: string) => Object.fromEntries(new URLSearchParams(path.split('?')[1] ?? ''))

t.test('the generator is seeded: the same seed, the same numbers; another seed, others', async (t) => {
  const a = seededRandom(7)
  const b = seededRandom(7)
  const c = seededRandom(8)
  const xs = Array.from({ length: 50 }, () => a())
  t.same(Array.from({ length: 50 }, () => b()), xs)
  t.not(Array.from({ length: 50 }, () => c()).join(), xs.join())
  t.ok(xs.every((x) => x >= 0 && x < 1), 'in [0, 1)')
})

t.test('max-pods questions: real types, valid fields, never the same question twice', async (t) => {
  const g = maxPodsQuestions(1, space)
  const seen = new Set<string>()
  for (let i = 0; i < N; i++) {
    const path = g.next().path!
    const m = /^\/v1\/instance-types\/([^/?]+)\/max-pods(\?.*)?$/.exec(path)
    if (!m || !names.has(m[1]!)) return t.fail(`not a max-pods URL of a seed type: ${path}`)
    seen.add(`${m[1]}:${JSON.stringify(parseFields(MAX_PODS_FIELDS, query(path), { textual: true }))}`)
  }
  t.equal(seen.size, N, `${N} distinct canonical questions`)
  t.equal(g.count(), N)
  t.same(Array.from({ length: 20 }, () => maxPodsQuestions(1, space).next()), Array.from({ length: 20 }, () => maxPodsQuestions(1, space).next()), 'deterministic')
})

t.test('recommendation bodies and GraphQL variables: valid requirements, distinct', async (t) => {
  const rest = recommendationQuestions(2, space)
  const gql = graphqlRecommendQuestions(3, space)
  const seenRest = new Set<string>()
  const seenGql = new Set<string>()
  const wrong: string[] = []
  for (let i = 0; i < N; i++) {
    const body = JSON.parse(rest.next().body!) as Record<string, unknown>
    const req = parseRequirements(body, { textual: false })
    if (req.podIpBudget !== null && req.podSubnets !== null) wrong.push(`both podIpBudget and podSubnets: ${JSON.stringify(body)}`)
    if (!req.instanceTypes.every((n) => names.has(n))) wrong.push(`a type the seed lacks: ${JSON.stringify(body)}`)
    seenRest.add(JSON.stringify(req))
    const doc = JSON.parse(gql.next().body!) as { query: string; variables: { r: Record<string, unknown> } }
    if (!doc.query.startsWith('query Recommend($r: RequirementsInput!)')) wrong.push(`document: ${doc.query}`)
    // GraphQL enum names back to REST words, as src/graphql/plugin.ts reads them.
    const words = Object.fromEntries(Object.entries(doc.variables.r).map(([k, v]) => [k, typeof v === 'string' && /^[A-Z_]+$/.test(v) ? v.toLowerCase().replace(/_/g, '-') : v]))
    seenGql.add(JSON.stringify(parseRequirements(words, { textual: false })))
  }
  t.same(wrong, [], 'every body is a question the service takes')
  t.equal(seenRest.size, N, 'REST: distinct requirements')
  t.equal(seenGql.size, N, 'GraphQL: distinct requirements')
})

t.test('capacity-plan questions: one family of the seed, or the whole catalog; valid, distinct', async (t) => {
  const families = new Set(space.types.map((t) => t.family))
  for (const scope of ['family', 'catalog'] as const) {
    const g = capacityPlanQuestions(4, space, scope)
    const seen = new Set<string>()
    for (let i = 0; i < N; i++) {
      const raw = query(g.next().path!)
      const q = parseFields(CAPACITY_FIELDS, raw, { textual: true })
      if (scope === 'family' ? !families.has(String(q.family)) : q.family !== null || q.instanceTypes !== null || q.limit !== null) {
        return t.fail(`${scope}: ${JSON.stringify(raw)}`)
      }
      seen.add(JSON.stringify(q))
    }
    t.equal(seen.size, N, `${scope}: distinct`)
  }
})
