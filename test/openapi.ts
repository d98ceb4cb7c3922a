// Reading the OpenAPI 3 document the app serves at /docs/json, for contract tests: which path template a
// request URL falls under, the response schema the document declares for a path, method and status
// ($refs resolved), and the fields an answer carries that its schema does not declare.

export type Schema = Record<string, unknown>

export interface OpenApiDoc {
  openapi: string
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: Schema }> }> }>>
  components?: Record<string, unknown>
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The document's path template for a request URL (`/v1/instance-types/m5.large` → `/v1/instance-types/{name}`). */
export function pathTemplate(doc: OpenApiDoc, url: string): string | null {
  const path = url.split('?')[0]!
  if (doc.paths[path]) return path
  for (const template of Object.keys(doc.paths)) {
    const re = new RegExp(`^${template.split(/\{[^}]+\}/).map(escapeRe).join('[^/]+')}$`)
    if (re.test(path)) return template
  }
  return null
}

/** The value a local `#/…` JSON pointer names in the document. */
function resolvePointer(doc: OpenApiDoc, ref: string): Schema {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are expected in the document, got ${ref}`)
  let node: unknown = doc
  for (const part of ref.slice(2).split('/')) {
    const key = decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~')
    node = (node as Record<string, unknown> | undefined)?.[key]
    if (node === undefined) throw new Error(`$ref ${ref} names nothing in the document`)
  }
  return node as Schema
}

/** A copy of a schema with every local $ref replaced by what it names (a $ref's siblings are kept). */
export function inlineRefs(doc: OpenApiDoc, schema: unknown, seen: readonly string[] = []): unknown {
  if (Array.isArray(schema)) return schema.map((s) => inlineRefs(doc, s, seen))
  if (schema === null || typeof schema !== 'object') return schema
  const s = schema as Schema
  if (typeof s.$ref === 'string') {
    if (seen.includes(s.$ref)) throw new Error(`recursive $ref ${s.$ref}: not expected in this document`)
    const { $ref: _ref, ...rest } = s
    return { ...(inlineRefs(doc, resolvePointer(doc, s.$ref), [...seen, s.$ref]) as Schema), ...(inlineRefs(doc, rest, seen) as Schema) }
  }
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, inlineRefs(doc, v, seen)]))
}

/** The JSON schema the document declares for a path template, method and status, or null if it declares none. */
export function responseSchema(doc: OpenApiDoc, template: string, method: string, status: number): Schema | null {
  const responses = doc.paths[template]?.[method.toLowerCase()]?.responses
  if (!responses) return null
  const response = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default
  const schema = response?.content?.['application/json']?.schema
  return schema ? (inlineRefs(doc, schema) as Schema) : null
}

const typesOf = (schema: Schema): string[] => (Array.isArray(schema.type) ? (schema.type as string[]) : typeof schema.type === 'string' ? [schema.type] : [])

/** The branches of a schema an object value may be checked against (anyOf/oneOf/allOf flattened). */
function objectBranches(schema: Schema): Schema[] {
  const subs = [...((schema.anyOf as Schema[]) ?? []), ...((schema.oneOf as Schema[]) ?? []), ...((schema.allOf as Schema[]) ?? [])]
  const own = schema.properties !== undefined || schema.additionalProperties !== undefined || typesOf(schema).includes('object') ? [schema] : []
  return [...own, ...subs.flatMap(objectBranches)]
}

/**
 * The fields of `value` its schema does not declare, as paths (`rows[].limits.ipv6`): in every object whose
 * schema declares `properties` and does not allow other properties (`additionalProperties` absent or false).
 * fastify's serializer drops such a field from a serialised answer; a pre-rendered answer carries it undocumented.
 */
export function undeclaredFields(schema: Schema, value: unknown, path = ''): string[] {
  if (Array.isArray(value)) {
    const items = schema.items as Schema | undefined
    return items ? [...new Set(value.flatMap((v) => undeclaredFields(items, v, `${path}[]`)))] : []
  }
  if (value === null || typeof value !== 'object') return []
  const branches = objectBranches(schema)
  if (branches.length === 0) return []
  const out: string[] = []
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const at = path ? `${path}.${key}` : key
    const declaring = branches.filter((b) => (b.properties as Record<string, Schema> | undefined)?.[key] !== undefined)
    if (declaring.length) {
      out.push(...undeclaredFields(declaring[0]!.properties ? (declaring[0]!.properties as Record<string, Schema>)[key]! : {}, v, at))
      continue
    }
    const open = branches.find((b) => b.additionalProperties === true || (typeof b.additionalProperties === 'object' && b.additionalProperties !== null))
    if (open) {
      if (typeof open.additionalProperties === 'object') out.push(...undeclaredFields(open.additionalProperties as Schema, v, at))
      continue
    }
    if (branches.some((b) => b.properties !== undefined)) out.push(at)
  }
  return [...new Set(out)]
}
