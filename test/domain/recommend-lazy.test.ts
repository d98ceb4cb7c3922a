// recommend() works an option's explanation, references and configuration out when they are first read
// (GraphQL reads only what a query selects). The answer must not show it: the same keys in the same
// order, the same JSON whichever field is read first, values that stay put, and fields that can be set.
import t from 'tap'
import { recommend } from '../../src/domain/scoring.js'
import { parseRequirements } from '../../src/answers/inputs.js'
import { seedType } from './fixtures.js'

const catalog = { instanceType: (name: string) => seedType(name) }
const ask = (raw: object) => recommend(parseRequirements(raw, { textual: false }), catalog)
const questions = [
  { instanceTypes: ['m5.large'], networkPolicy: 'required', totalPods: 3000, podsPerNode: 50 },
  { instanceTypes: ['m6i.large', 'c6g.xlarge'], encryption: 'required', ipv6: 'preferred' },
  { instanceTypes: ['t3.medium'], windows: true, multicast: 'required' },
]

t.test('the keys of an option, in the order JSON writes them', async (t) => {
  const keys = Object.keys(ask(questions[0]!).options[0]!)
  t.same(keys.slice(-3), ['explanation', 'references', 'configuration'], 'the lazy fields are the last three, in that order')
  t.same(keys.slice(0, 6), ['id', 'plugin', 'variant', 'name', 'score', 'verdict'])
  t.notOk(keys.some((k) => k.startsWith('_')), 'nothing else shows')
})

t.test('the same JSON whether the fields are read first, in another order, or not at all', async (t) => {
  for (const q of questions) {
    const untouched = JSON.stringify(ask(q))
    const read = ask(q)
    for (const o of [...read.options].reverse()) {
      void o.configuration
      void o.references
      void o.explanation
    }
    t.equal(JSON.stringify(read), untouched, JSON.stringify(q))
    const spread = ask(q).options.map((o) => ({ ...o }))
    t.equal(JSON.stringify(spread), JSON.stringify(JSON.parse(untouched).options), 'a spread copy has the values')
  }
})

t.test('a field read twice is the same value; a blocked option has no configuration', async (t) => {
  const a = ask(questions[2]!)
  const o = a.options[0]!
  t.equal(o.configuration, o.configuration, 'worked out once')
  t.equal(o.references, o.references)
  t.ok(typeof o.explanation === 'string' && o.explanation.length > 0)
  for (const b of a.options.filter((x) => x.verdict === 'blocked')) t.equal(b.configuration, null, `${b.id}: blocked, no configuration`)
  const unblocked = ask(questions[0]!).options.find((x) => x.verdict !== 'blocked')!
  t.not(unblocked.configuration, null, 'an unblocked option has one')
})

t.test('the fields can be set, as plain fields could', async (t) => {
  const o = ask(questions[1]!).options[0]!
  o.explanation = 'replaced'
  o.references = ['https://example.org/']
  t.equal(o.explanation, 'replaced')
  t.same(JSON.parse(JSON.stringify(o)).references, ['https://example.org/'])
})
