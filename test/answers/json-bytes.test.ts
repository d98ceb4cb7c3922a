// jsonBytes writes a big answer piece by piece (src/answers/pipeline.ts); the bytes must be exactly those
// of Buffer.from(JSON.stringify(value), 'utf8'), whatever the value holds.
import t, { type Test } from 'tap'
import { jsonBytes } from '../../src/answers/pipeline.js'

const same = (t: Test, value: unknown, what: string) => {
  const expected = Buffer.from(JSON.stringify(value), 'utf8')
  const got = jsonBytes(value)
  t.ok(got.equals(expected), `${what}: ${got.length} bytes, expected ${expected.length}`)
}

// Items over 4 kB of JSON in a list of 8 or more: the piecewise path.
const option = (i: number) => ({
  id: `option-${i}`,
  score: i * 7,
  formula: `⌈3000 ÷ ${i + 1}⌉ × 2 − 1 = ${i}`, // outside Latin-1: two-byte strings
  text: 'é'.repeat(4000) + '😀'.repeat(500), // over 4 kB of JSON each
  nested: { list: [1, 2, { x: 'y' }], when: new Date(Date.UTC(2026, 0, i + 1)) },
  gone: undefined,
  fn: () => 1,
})

t.test('a recommendation-like answer: many big items', async (t) => {
  same(t, { recommendation: option(0), options: Array.from({ length: 17 }, (_, i) => option(i)), summary: 'a — b', requirements: { a: 1 } }, 'options')
})

t.test('what JSON.stringify leaves out or writes as null', async (t) => {
  const items: unknown[] = Array.from({ length: 12 }, (_, i) => option(i))
  items[3] = undefined
  items[5] = () => 0
  items[7] = Symbol('s')
  items[9] = null
  same(t, { a: undefined, items, b: Symbol('x'), c: () => 1, d: 'kept', '2': 'integer key first', 'quote"key': 1 }, 'holes and omitted members')
  same(t, { items: [undefined, ...Array.from({ length: 9 }, (_, i) => option(i))] }, 'a list whose first item is omitted')
})

t.test('values that take the plain way', async (t) => {
  same(t, { small: [1, 2, 3], text: 'x × y' }, 'a small answer')
  same(t, { rows: Array.from({ length: 500 }, (_, i) => ({ i, t: `row ${i} − ok` })) }, 'many small items')
  same(t, Array.from({ length: 20 }, (_, i) => option(i)), 'a top-level list')
  same(t, new Date(0), 'a Date')
  same(t, 'a string ⌈⌉', 'a string')
  same(t, 42, 'a number')
  same(t, null, 'null')
  same(t, { toJSON: () => ({ replaced: true }) }, 'an object with toJSON')
  class Kept {
    options = Array.from({ length: 10 }, (_, i) => option(i))
  }
  same(t, new Kept(), 'a class instance')
  t.throws(() => jsonBytes(undefined), TypeError, 'undefined is not JSON, as Buffer.from(JSON.stringify(undefined)) throws')
})

t.test('answers larger than the scratch space, one after another', async (t) => {
  const huge = { options: Array.from({ length: 40 }, (_, i) => ({ ...option(i), pad: '⌈'.repeat(300_000) })) } // ~36 MB as UTF-8
  same(t, huge, 'an answer far past the scratch space kept between answers')
  same(t, { options: Array.from({ length: 9 }, (_, i) => option(i)) }, 'and a normal one after it')
})
