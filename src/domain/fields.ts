// One mechanism for every input the service takes: a field table (as data) gives the parser that
// REST, GraphQL and Slack share, and the JSON Schema that documents the same fields in OpenAPI.
// A bad value is always an InputError naming the field, what was given and what is allowed.
import { InputError } from './types.js'

interface Base {
  description: string
}
export interface EnumField extends Base {
  type: 'enum'
  values: readonly string[]
  default?: string
}
export interface IntegerField extends Base {
  type: 'integer'
  min: number
  max: number
  default?: number
}
export interface NumberField extends Base {
  type: 'number'
  min: number
  max: number
  default?: number
}
export interface BooleanField extends Base {
  type: 'boolean'
  /** Absent: the field is null when not given (a filter that is off). */
  default?: boolean
}
export interface StringField extends Base {
  type: 'string'
  pattern: RegExp
  /** Says in words what the pattern allows, for error messages. */
  allowed: string
  maxLength: number
  default?: string
}
export interface ListField extends Base {
  type: 'list'
  item: RegExp
  allowed: string
  maxItems: number
  default?: readonly string[]
}
export type FieldSpec = EnumField | IntegerField | NumberField | BooleanField | StringField | ListField
export type FieldTable = Record<string, FieldSpec>

type ValueOf<F extends FieldSpec> = F extends EnumField
  ? F['values'][number]
  : F extends IntegerField | NumberField
    ? number
    : F extends BooleanField
      ? boolean
      : F extends StringField
        ? string
        : string[]

/** A field with a default is always present; one without is null when not given. */
export type Parsed<T extends FieldTable> = {
  [K in keyof T]: T[K] extends { default: unknown } ? ValueOf<T[K]> : ValueOf<T[K]> | null
}

export interface ParseOptions {
  /** Values arrive as text (query strings, Slack): numbers and booleans are read from strings, lists may be comma-separated. */
  textual: boolean
  /** Names accepted and ignored here because the door handles them (e.g. `format`). */
  passThrough?: readonly string[]
  /** Prefix for field names in messages (e.g. `input.` for a GraphQL argument). */
  fieldPrefix?: string
}

const MAX_SHOWN = 60

/** Shows what the client sent without echoing a megabyte or a control character back. */
export function show(value: unknown): string {
  let s: string
  if (typeof value === 'string') s = JSON.stringify(value)
  else if (value === undefined) s = 'nothing'
  else {
    try {
      s = JSON.stringify(value) ?? String(value)
    } catch {
      s = String(value)
    }
  }
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}… (${s.length} characters)` : s
}

function describeAllowed(spec: FieldSpec): string {
  switch (spec.type) {
    case 'enum':
      return `one of ${spec.values.join(', ')}`
    case 'integer':
      return `a whole number from ${spec.min} to ${spec.max}`
    case 'number':
      return `a number from ${spec.min} to ${spec.max}`
    case 'boolean':
      return 'true or false'
    case 'string':
      return `${spec.allowed} (at most ${spec.maxLength} characters)`
    case 'list':
      return `a list of at most ${spec.maxItems} items, each ${spec.allowed}`
  }
}

function parseOne(name: string, spec: FieldSpec, value: unknown, textual: boolean): unknown {
  const bad = (): never => {
    throw new InputError(name, `${name} must be ${describeAllowed(spec)}; got ${show(value)}`)
  }
  switch (spec.type) {
    case 'enum': {
      const v = typeof value === 'string' ? (textual ? value.trim().toLowerCase() : value) : bad()
      return spec.values.includes(v) ? v : bad()
    }
    case 'integer':
    case 'number': {
      let n: number
      if (typeof value === 'number') n = value
      else if (textual && typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) && value.length < 30) n = Number(value)
      else return bad()
      if (!Number.isFinite(n) || n < spec.min || n > spec.max) return bad()
      if (spec.type === 'integer' && !Number.isInteger(n)) return bad()
      return n
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value
      if (textual && typeof value === 'string') {
        const v = value.trim().toLowerCase()
        if (['true', 'yes', '1', 'on'].includes(v)) return true
        if (['false', 'no', '0', 'off'].includes(v)) return false
      }
      return bad()
    }
    case 'string': {
      if (typeof value !== 'string') return bad()
      const v = textual ? value.trim() : value
      return v.length <= spec.maxLength && spec.pattern.test(v) ? v : bad()
    }
    case 'list': {
      let items: unknown[]
      if (Array.isArray(value)) items = value
      else if (textual && typeof value === 'string') items = value.split(',')
      else return bad()
      if (textual) items = items.flatMap((i) => (typeof i === 'string' ? i.split(',') : [i]))
      const out: string[] = []
      for (const [i, item] of items.entries()) {
        if (typeof item !== 'string') {
          throw new InputError(name, `${name}[${i}] must be ${spec.allowed}; got ${show(item)}`)
        }
        const v = item.trim()
        if (v === '' && textual) continue
        if (v.length > 100 || !spec.item.test(v)) {
          throw new InputError(name, `${name}[${i}] must be ${spec.allowed}; got ${show(item)}`)
        }
        if (!out.includes(v)) out.push(v)
      }
      if (out.length === 0 || out.length > spec.maxItems) {
        throw new InputError(name, `${name} must be ${describeAllowed(spec)}; got ${out.length} items`)
      }
      return out
    }
  }
}

// A table's [name, spec] pairs, listed once per table rather than on every request (for the 20-odd
// fields of a recommendation that list was ~1.3 kB of garbage per request).
const tableEntries = new WeakMap<FieldTable, ReadonlyArray<readonly [string, FieldSpec]>>()
function entriesOf(table: FieldTable): ReadonlyArray<readonly [string, FieldSpec]> {
  let entries = tableEntries.get(table)
  if (entries === undefined) {
    entries = Object.entries(table)
    tableEntries.set(table, entries)
  }
  return entries
}

/** Validates `raw` against the table and fills defaults. Unknown names are an error, listing the known ones. */
export function parseFields<T extends FieldTable>(table: T, raw: unknown, opts: ParseOptions): Parsed<T> {
  const prefix = opts.fieldPrefix ?? ''
  if (raw === null || raw === undefined) raw = {}
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InputError(prefix.replace(/\.$/, '') || 'body', `the input must be an object of fields; got ${show(raw)}`)
  }
  const input = raw as Record<string, unknown>
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(table, key) && !opts.passThrough?.includes(key)) {
      const known = [...Object.keys(table), ...(opts.passThrough ?? [])].join(', ')
      throw new InputError(prefix + key, `unknown field ${show(key)}; the fields are: ${known}`)
    }
  }
  const out: Record<string, unknown> = {}
  for (const [name, spec] of entriesOf(table)) {
    const value = input[name]
    if (value === undefined || value === null || (opts.textual && value === '')) {
      out[name] = 'default' in spec && spec.default !== undefined ? (Array.isArray(spec.default) ? [...spec.default] : spec.default) : null
      continue
    }
    out[name] = parseOne(prefix + name, spec, value, opts.textual)
  }
  return out as Parsed<T>
}

/** JSON Schema (for OpenAPI) of the same table: as a query string (`textual`) or as a JSON body. */
export function toJsonSchema(table: FieldTable, opts: { textual: boolean; extra?: Record<string, object> }): object {
  const properties: Record<string, object> = {}
  for (const [name, spec] of Object.entries(table)) {
    const common: Record<string, unknown> = { description: spec.description }
    if ('default' in spec && spec.default !== undefined) common.default = spec.default
    switch (spec.type) {
      case 'enum':
        properties[name] = { type: 'string', enum: [...spec.values], ...common }
        break
      case 'integer':
      case 'number':
        properties[name] = { type: spec.type, minimum: spec.min, maximum: spec.max, ...common }
        break
      case 'boolean':
        properties[name] = { type: 'boolean', ...common }
        break
      case 'string':
        properties[name] = { type: 'string', maxLength: spec.maxLength, ...common }
        break
      case 'list':
        properties[name] = opts.textual
          ? { type: 'string', ...common, description: `${spec.description} (comma-separated)` }
          : { type: 'array', items: { type: 'string' }, maxItems: spec.maxItems, ...common }
        break
    }
  }
  return { type: 'object', additionalProperties: false, properties: { ...properties, ...opts.extra } }
}
