// What the domain tests share: the committed seed as instance types and prices, and the check that a
// call throws an InputError naming the field.
import type { Test } from 'tap'
import { readFileSync } from 'node:fs'
import { InputError, type InstanceType, type Price } from '../../src/domain/types.js'

export const seed = JSON.parse(readFileSync(new URL('../../seed/catalog.json', import.meta.url), 'utf8')) as {
  instanceTypes: InstanceType[]
  prices: Price[]
}
const byName = new Map(seed.instanceTypes.map((it) => [it.name, it]))

/** An instance type from the seed; throws when the seed lacks it (so a test cannot pass vacuously). */
export function seedType(name: string): InstanceType {
  const it = byName.get(name)
  if (!it) throw new Error(`${name} missing from the seed`)
  return it
}


export function throwsInputError(t: Test, fn: () => unknown, field: string, message?: RegExp): void {
  try {
    fn()
    t.fail(`expected an InputError for ${field}`)
  } catch (err) {
    t.ok(err instanceof InputError, `InputError for ${field}`)
    t.equal((err as InputError).field, field)
    t.match((err as Error).message, message ?? field)
  }
}
