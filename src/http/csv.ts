// CSV for spreadsheets (Google Sheets IMPORTDATA, Excel Power Query): RFC 4180, UTF-8, CRLF, a header
// row of stable snake_case names, plain numbers (dot decimal, no currency sign, no thousands separator),
// empty cells for null, and text cells that a spreadsheet would run as a formula defused with a quote.
import type { FastifyRequest } from 'fastify'
import { ALWAYS, type Asked, type Validity } from '../answers/pipeline.js'
import type { KeptAnswer } from './cached.js'

export interface CsvColumn<T> {
  name: string
  value: (row: T) => string | number | boolean | null | undefined
}

const FORMULA_START = /^[=+\-@\t\r]/

export function csvCell(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return ''
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : ''
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  const text = FORMULA_START.test(v) ? `'${v}` : v
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function toCsv<T>(columns: readonly CsvColumn<T>[], rows: readonly T[]): string {
  const lines = [columns.map((c) => csvCell(c.name)).join(',')]
  for (const row of rows) lines.push(columns.map((c) => csvCell(c.value(row))).join(','))
  return lines.join('\r\n') + '\r\n'
}

/** `format=csv` in the query, or an Accept header that prefers text/csv. */
export function wantsCsv(request: FastifyRequest): boolean {
  const format = (request.query as Record<string, unknown> | undefined)?.format
  if (format === 'csv') return true
  if (format === 'json') return false
  const accept = request.headers.accept ?? ''
  return /\btext\/csv\b/.test(accept) && !/\bapplication\/json\b/.test(accept)
}

export const CSV_TYPE = 'text/csv; charset=utf-8; header=present'

/** An answer as CSV, kept under `csv:` + its canonical question: named for download, gzipped when the client accepts it. */
export function csvAnswer(a: Asked, key: string, filename: string, render: () => string, valid: Validity = ALWAYS): KeptAnswer {
  const k = `csv:${key}`
  return { key: k, rendered: a.rendered(k, () => ({ body: Buffer.from(render(), 'utf8'), type: CSV_TYPE, disposition: `inline; filename="${filename}"`, valid })) }
}
