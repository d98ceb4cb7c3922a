// Workbooks (Office Open XML, .xlsx) for people who open the answer in Excel, LibreOffice or Numbers:
// the same rows and columns as the CSV (csv.ts), written by exceljs, with what CSV cannot carry:
// - typed cells: numbers are number cells, true/false are boolean cells, null is an empty cell, text is
//   a text cell (a text cell is never run as a formula, so nothing needs defusing as in CSV);
// - the header row frozen, each header with its unit (`usd_per_hour [USD/h]`);
// - a second sheet, "Columns", that says what each column is, its unit and type, and how it is worked out.
// The streaming writer (WorkbookWriter) is used: each row is written out as it is added and not kept,
// so a whole-catalog plan takes the size of its bytes, not of an object per cell.
import ExcelJS from 'exceljs'
import { PassThrough } from 'node:stream'

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

type CellValue = string | number | boolean | null | undefined

/** A column of a table answer: its stable snake_case name, its value in a row, and what it means. */
export interface TableColumn<T> {
  name: string
  value: (row: T) => CellValue
  /** The unit of a number column (USD/h, MiB, pods …); shown in the workbook's header. */
  unit?: string
  /** What the column holds, and how it is worked out (the formula, where there is one). */
  about?: string
}

export interface WorkbookSpec<T> {
  /** The data sheet's name (at most 31 characters, Excel's limit). */
  sheet: string
  /** What one row is and where the numbers come from: the first lines of the Columns sheet. */
  about: readonly string[]
  columns: readonly TableColumn<T>[]
  rows: readonly T[]
}

/** Rows written between two turns of the event loop. */
const ROWS_PER_SLICE = 500

/** Excel's limit on the characters in one cell (Excel specifications and limits). */
const MAX_CELL_CHARS = 32_767

function cell(v: CellValue): string | number | boolean | null {
  if (v === null || v === undefined) return null
  if (typeof v === 'number') return Number.isFinite(v) ? v : null
  if (typeof v === 'string' && v.length > MAX_CELL_CHARS) return `${v.slice(0, MAX_CELL_CHARS - 1)}…`
  return v
}

export const headerOf = (c: TableColumn<unknown>): string => (c.unit ? `${c.name} [${c.unit}]` : c.name)

/** The kind of values a column holds, read off the rows (the Columns sheet says it). */
function kindOf<T>(c: TableColumn<T>, rows: readonly T[]): string {
  let kind: string | null = null
  for (const row of rows) {
    const v = c.value(row)
    if (v === null || v === undefined) continue
    const k = typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'true/false' : 'text'
    if (kind !== null && kind !== k) return 'mixed'
    kind = k
  }
  return kind ?? 'empty'
}

/** The widest value of the first rows, for the column's width (Excel's widths are in characters). */
function widthOf<T>(c: TableColumn<T>, rows: readonly T[]): number {
  let w = headerOf(c as TableColumn<unknown>).length
  for (let i = 0; i < rows.length && i < 200; i++) {
    const v = c.value(rows[i]!)
    if (v !== null && v !== undefined) w = Math.max(w, String(v).length)
  }
  return Math.min(60, Math.max(8, w + 2))
}

/** The workbook's bytes: the data sheet, then the Columns sheet. */
export async function toXlsx<T>(spec: WorkbookSpec<T>): Promise<Buffer> {
  const out = new PassThrough()
  const chunks: Buffer[] = []
  out.on('data', (c: Buffer) => chunks.push(c))
  const ended = new Promise<void>((resolve, reject) => {
    out.on('end', resolve)
    out.on('error', reject)
  })
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false })
  wb.creator = 'cni-advisor'

  const data = wb.addWorksheet(spec.sheet.slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] })
  data.columns = spec.columns.map((c) => ({ header: headerOf(c as TableColumn<unknown>), key: c.name, width: widthOf(c, spec.rows) }))
  data.getRow(1).font = { bold: true }
  data.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: spec.columns.length } }
  for (let i = 0; i < spec.rows.length; i++) {
    data.addRow(spec.columns.map((c) => cell(c.value(spec.rows[i]!)))).commit()
    // Other requests go on between slices of a big sheet.
    if (i % ROWS_PER_SLICE === ROWS_PER_SLICE - 1) await new Promise((resolve) => setImmediate(resolve))
  }
  await data.commit()

  const cols = wb.addWorksheet('Columns', { views: [{ state: 'frozen', ySplit: spec.about.length + 2 }] })
  cols.columns = [
    { key: 'column', width: 34 },
    { key: 'unit', width: 12 },
    { key: 'type', width: 11 },
    { key: 'about', width: 100 },
  ]
  for (const line of spec.about) cols.addRow([line]).commit()
  cols.addRow([]).commit()
  const head = cols.addRow(['column', 'unit', 'type', 'what it is, and how it is worked out'])
  head.font = { bold: true }
  head.commit()
  for (const c of spec.columns) {
    const r = cols.addRow([c.name, c.unit ?? '', kindOf(c, spec.rows), c.about ?? ''])
    r.getCell(4).alignment = { wrapText: true, vertical: 'top' }
    r.commit()
  }
  await cols.commit()
  await wb.commit()
  await ended
  return Buffer.concat(chunks)
}
