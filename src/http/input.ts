import type { FastifyRequest } from 'fastify'
import { parseFields, toJsonSchema, type FieldTable, type Parsed } from '../domain/fields.js'
import { InputError } from '../domain/types.js'

/**
 * Route schemas built from a field table document the inputs in OpenAPI; the table's own parser
 * validates them (one mechanism for every door), so fastify's schema validation is switched off for
 * those parts with this compiler.
 */
export const documentedOnly = () => () => true

export function querySchema(table: FieldTable, extra: Record<string, object> = {}): object {
  return toJsonSchema(table, { textual: true, extra })
}

export function bodySchema(table: FieldTable): object {
  return toJsonSchema(table, { textual: false })
}

/** Query strings: values are text; a repeated parameter arrives as an array. */
export function parseQuery<T extends FieldTable>(table: T, request: FastifyRequest, passThrough: readonly string[] = ['format']): Parsed<T> {
  return parseFields(table, request.query, { textual: true, passThrough })
}

export function parseBody<T extends FieldTable>(table: T, request: FastifyRequest): Parsed<T> {
  if (request.body === undefined || request.body === null) {
    throw new InputError('body', 'a JSON object body is required (Content-Type: application/json)')
  }
  return parseFields(table, request.body, { textual: false })
}
