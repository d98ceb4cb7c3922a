// The workbook writer on its own: typed cells, units in the frozen header, the Columns sheet, long text.
import t from 'tap'
import ExcelJS from 'exceljs'
import { headerOf, toXlsx, type TableColumn } from '../../src/http/xlsx.js'

interface Row {
  name: string
  pods: number | null
  price: number
  ok: boolean
  text: string
}
const COLUMNS: TableColumn<Row>[] = [
  { name: 'name', value: (r) => r.name, about: 'The thing' },
  { name: 'pods', value: (r) => r.pods, unit: 'pods', about: 'How many' },
  { name: 'price', value: (r) => r.price, unit: 'USD/h', about: 'What it costs' },
  { name: 'ok', value: (r) => r.ok, about: 'Whether it works' },
  { name: 'text', value: (r) => r.text },
]

t.test('typed cells, a frozen header with units, and a sheet that explains the columns', async (t) => {
  const rows: Row[] = [
    { name: 'a', pods: 29, price: 0.096, ok: true, text: '=1+1' },
    { name: 'b', pods: null, price: Number.NaN, ok: false, text: 'x'.repeat(40_000) },
  ]
  const body = await toXlsx({ sheet: 'A sheet whose name is longer than Excel allows', about: ['What a row is.'], columns: COLUMNS, rows })
  const wb = new ExcelJS.Workbook()
  await wb.xlsx.load(body as unknown as ArrayBuffer)
  const ws = wb.worksheets[0]!
  t.equal(ws.name, 'A sheet whose name is longer th', 'cut to Excel’s 31 characters')
  t.match(ws.views[0], { state: 'frozen', ySplit: 1 })
  t.same(ws.getRow(1).values, [undefined, 'name', 'pods [pods]', 'price [USD/h]', 'ok', 'text'])
  const a = ws.getRow(2)
  t.same([a.getCell(2).type, a.getCell(2).value], [ExcelJS.ValueType.Number, 29])
  t.same([a.getCell(3).type, a.getCell(3).value], [ExcelJS.ValueType.Number, 0.096])
  t.same([a.getCell(4).type, a.getCell(4).value], [ExcelJS.ValueType.Boolean, true])
  t.same([a.getCell(5).type, a.getCell(5).value], [ExcelJS.ValueType.String, '=1+1'], 'text that looks like a formula stays text')
  const b = ws.getRow(3)
  t.equal(b.getCell(2).type, ExcelJS.ValueType.Null, 'null: an empty cell')
  t.equal(b.getCell(3).type, ExcelJS.ValueType.Null, 'not a finite number: an empty cell')
  t.same([b.getCell(4).type, b.getCell(4).value], [ExcelJS.ValueType.Boolean, false])
  t.equal(String(b.getCell(5).value).length, 32_767, 'cut to the characters a cell can hold')

  const cols = wb.getWorksheet('Columns')!
  t.equal(cols.getRow(1).getCell(1).value, 'What a row is.')
  const lines = new Map<string, unknown[]>()
  cols.eachRow((r, n) => {
    if (n > 3) lines.set(String(r.getCell(1).value), [2, 3, 4].map((c) => r.getCell(c).value ?? ''))
  })
  t.same(lines.get('pods'), ['pods', 'number', 'How many'])
  t.same(lines.get('ok'), ['', 'true/false', 'Whether it works'])
  t.same(lines.get('name'), ['', 'text', 'The thing'])
  t.same([...lines.keys()], COLUMNS.map((c) => c.name), 'one line per column, in order')
})

t.test('headerOf puts the unit in brackets, only where there is one', async (t) => {
  t.equal(headerOf({ name: 'monthly_usd', value: () => 1, unit: 'USD/month' }), 'monthly_usd [USD/month]')
  t.equal(headerOf({ name: 'mode', value: () => 'x' }), 'mode')
})
