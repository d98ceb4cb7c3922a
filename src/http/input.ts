import type { FastifyRequest } from 'fastify'
import { parseFields, toJsonSchema, type FieldTable, type Parsed } from '../domain/fields.js'
import { TABLE_PARAMS } from '../answers/inputs.js'
import { InputError } from '../domain/types.js'

/**
 * Route schemas built from a field table document the inputs in OpenAPI; the table's own parser
 * validates them (one mechanism for every door), so fastify's schema validation is switched off for
 * those parts with this compiler.
 */
export const documentedOnly = () => () => true

/**
 * The query string as OpenAPI shows it: the table's fields (and `extra`, such as `format`), with the
 * ones a question cannot do without marked required (the table's parser says so in words; a generated
 * client makes them arguments).
 */
export function querySchema(table: FieldTable, extra: Record<string, object> = {}, opts: { required?: readonly string[] } = {}): object {
  const schema = toJsonSchema(table, { textual: true, extra })
  return opts.required?.length ? { ...schema, required: [...opts.required] } : schema
}

export function bodySchema(table: FieldTable): object {
  return toJsonSchema(table, { textual: false })
}

/** Query strings: values are text; a repeated parameter arrives as an array. */
export function parseQuery<T extends FieldTable>(table: T, request: FastifyRequest, passThrough: readonly string[] = TABLE_PARAMS): Parsed<T> {
  return parseFields(table, request.query, { textual: true, passThrough })
}

export function parseBody<T extends FieldTable>(table: T, request: FastifyRequest): Parsed<T> {
  if (request.body === undefined || request.body === null) {
    throw new InputError('body', 'a JSON object body is required (Content-Type: application/json)')
  }
  return parseFields(table, request.body, { textual: false })
}
