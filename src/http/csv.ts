// Answers as tables for spreadsheets: CSV (Google Sheets IMPORTDATA, Excel Power Query, LibreOffice) and
// workbooks (xlsx.ts), asked for with `format=csv|xlsx` or an Accept header.
// CSV: RFC 4180, UTF-8, CRLF, a header row of stable snake_case names, plain numbers (dot decimal, no
// currency sign, no thousands separator), empty cells for null, and text cells that a spreadsheet would
// run as a formula defused with a quote. No byte-order mark by default: Power Query's Csv.Document reads
// UTF-8 (encoding 65001) by default (https://learn.microsoft.com/powerquery-m/csv-document), IMPORTDATA
// takes the URL as it is (https://support.google.com/docs/answer/3093335), and a strict reader would keep
// a BOM in the first header name. `bom=1` puts one in front for desktop Excel on Windows, which opens a
// double-clicked CSV in the system's code page unless the file starts with a UTF-8 BOM (reported since
// Excel 2007: https://stackoverflow.com/questions/155097), garbling `⌈3000 ÷ 39⌉` in the formula column.
import type { FastifyRequest } from 'fastify'
import { ALWAYS, type Asked, type Validity } from '../answers/pipeline.js'
import { TABLE_FIELDS } from '../answers/inputs.js'
export { TABLE_PARAMS } from '../answers/inputs.js'
import { parseFields } from '../domain/fields.js'
import type { KeptAnswer } from './cached.js'
import type { TableSpec } from './tables.js'
import { toXlsx, XLSX_TYPE, type TableColumn } from './xlsx.js'

/** A CSV column is a table column: its name is the header, its meaning shows in the workbook. */
export type CsvColumn<T> = TableColumn<T>

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

export type AnswerFormat = 'json' | 'csv' | 'xlsx'

/**
 * The format asked for: `format` in the query (json, csv or xlsx: anything else is a 400 naming them),
 * otherwise an Accept header that prefers text/csv or the xlsx type to JSON. `bom` as a boolean.
 */
export function answerFormat(request: FastifyRequest): { format: AnswerFormat; bom: boolean } {
  const query = (request.query ?? {}) as Record<string, unknown>
  const asked = parseFields(TABLE_FIELDS, { format: query.format, bom: query.bom }, { textual: true })
  if (asked.format !== null) return { format: asked.format, bom: asked.bom }
  const accept = request.headers.accept ?? ''
  if (/\bapplication\/json\b/.test(accept)) return { format: 'json', bom: asked.bom }
  if (accept.includes(XLSX_TYPE)) return { format: 'xlsx', bom: asked.bom }
  return { format: /\btext\/csv\b/.test(accept) ? 'csv' : 'json', bom: asked.bom }
}

/** A table (CSV or workbook) rather than JSON; refuses an unknown `format`. */
export function wantsTable(request: FastifyRequest): boolean {
  return answerFormat(request).format !== 'json'
}

export const CSV_TYPE = 'text/csv; charset=utf-8; header=present'
const BOM = Buffer.from([0xef, 0xbb, 0xbf])

/**
 * An answer as a table, in the format the request asks for, kept under `csv:`, `csv+bom:` or `xlsx:` +
 * its canonical question like any answer (gzipped for a client that accepts it, the workbook aside: it is
 * a zip already). `rows` runs only on a miss. A CSV is ready at once; a workbook is built asynchronously,
 * at most WORKBOOK_BUILDS at a time with WORKBOOK_QUEUE waiting (WorkbookBuilds below), and built once when several ask for it together.
 */
export function tableAnswer<T>(
  request: FastifyRequest,
  a: Asked,
  key: string,
  spec: TableSpec<T>,
  rows: () => readonly T[],
  valid: Validity = ALWAYS,
): KeptAnswer | Promise<KeptAnswer> {
  const { format, bom } = answerFormat(request)
  if (format === 'xlsx') return workbookAnswer(request, a, key, spec, rows, valid)
  const k = `${bom ? 'csv+bom' : 'csv'}:${key}`
  return {
    key: k,
    rendered: a.rendered(k, () => {
      const text = Buffer.from(toCsv(spec.columns, rows()), 'utf8')
      return {
        body: bom ? Buffer.concat([BOM, text]) : text,
        type: CSV_TYPE,
        // With a BOM the file is meant to be saved and double-clicked: a download, not a page.
        disposition: `${bom ? 'attachment' : 'inline'}; filename="${spec.file}.csv"`,
        valid,
      }
    }),
  }
}

async function workbookAnswer<T>(request: FastifyRequest, a: Asked, key: string, spec: TableSpec<T>, rows: () => readonly T[], valid: Validity): Promise<KeptAnswer> {
  const k = `xlsx:${key}`
  const hit = a.peek(k)
  if (hit !== undefined) return { key: k, rendered: hit }
  // Built once per catalog version and question, however many ask while it is being built.
  const body = await workbooksOf(request).build(`${a.snap.version}:${k}`, () =>
    toXlsx({ sheet: spec.sheet, about: [...spec.about, `Catalog version ${a.snap.version}.`], columns: spec.columns, rows: rows() }),
  )
  return { key: k, rendered: a.peek(k) ?? a.keep(k, { body, type: XLSX_TYPE, disposition: `attachment; filename="${spec.file}.xlsx"`, valid }) }
}

/**
 * Workbooks built at once per app. Measured here: the biggest, a whole-catalog plan in all 7 modes (6867
 * rows of 19 columns), took 2.7 s and 58 MB more resident memory; the whole catalog in one mode (981 rows)
 * 0.7 to 0.9 s (1.8 s the first time); a recommendation 70 ms. One at a time keeps that to one such peak beside the answer cache.
 */
export const WORKBOOK_BUILDS = 1
/** Asks waiting for the build slot before the next is refused with a 503: 8 of the biggest wait ≈ 20 s, within the 30 s request timeout. */
export const WORKBOOK_QUEUE = 8

/** The per-app gate on workbook builds: a bounded number run, a bounded number wait, the same one is built once. */
export class WorkbookBuilds {
  private running = 0
  private readonly waiting: Array<() => void> = []
  private readonly inFlight = new Map<string, Promise<Buffer>>()

  constructor(
    private readonly slots = WORKBOOK_BUILDS,
    private readonly queue = WORKBOOK_QUEUE,
  ) {}

  build(key: string, make: () => Promise<Buffer>): Promise<Buffer> {
    const same = this.inFlight.get(key)
    if (same !== undefined) return same
    if (this.running >= this.slots && this.waiting.length >= this.queue) {
      return Promise.reject(Object.assign(new Error('Too many workbooks are being built right now; try again in a few seconds (CSV is not limited)'), { statusCode: 503 }))
    }
    const p = this.run(make).finally(() => this.inFlight.delete(key))
    this.inFlight.set(key, p)
    return p
  }

  private async run(make: () => Promise<Buffer>): Promise<Buffer> {
    if (this.running >= this.slots) await new Promise<void>((resolve) => this.waiting.push(resolve))
    else this.running++
    try {
      return await make()
    } finally {
      const next = this.waiting.shift()
      if (next) next()
      else this.running--
    }
  }
}

// One gate per app, found from its context (no module-level state shared between apps).
const gates = new WeakMap<object, WorkbookBuilds>()
function workbooksOf(request: FastifyRequest): WorkbookBuilds {
  const owner = request.server.ctx
  let gate = gates.get(owner)
  if (gate === undefined) {
    gate = new WorkbookBuilds()
    gates.set(owner, gate)
  }
  return gate
}
