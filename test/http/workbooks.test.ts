// Tables for spreadsheets: format=xlsx (a real workbook, read back with exceljs), bom=1 on CSV, and an
// unknown format refused by name on every route that answers in tables.
import t from 'tap'
import ExcelJS from 'exceljs'
import { WorkbookBuilds } from '../../src/http/csv.js'
import { XLSX_TYPE } from '../../src/http/xlsx.js'
import { buildTestApp } from '../helper.js'

/** Every route that answers in tables, as a GET URL or a POST with its body. */
const ROUTES = [
  { name: 'instance types', method: 'GET', url: '/v1/instance-types?family=m5', file: 'instance-types', sheet: 'Instance types' },
  { name: 'capacity plan (GET)', method: 'GET', url: '/v1/capacity-plans?totalPods=270&podCpu=0.05&instanceTypes=m5.large,m5.xlarge', file: 'capacity-plan', sheet: 'Capacity plan' },
  { name: 'capacity plan (POST)', method: 'POST', url: '/v1/capacity-plans', body: { totalPods: 270, podCpu: 0.05, instanceTypes: ['m5.large', 'm5.xlarge'] }, file: 'capacity-plan', sheet: 'Capacity plan' },
  { name: 'recommendation (GET)', method: 'GET', url: '/v1/recommendations?encryption=required&instanceTypes=m5.large', file: 'recommendation', sheet: 'Recommendation' },
  { name: 'recommendation (POST)', method: 'POST', url: '/v1/recommendations', body: { encryption: 'required', instanceTypes: ['m5.large'] }, file: 'recommendation', sheet: 'Recommendation' },
] as const

const withQuery = (url: string, q: string) => `${url}${url.includes('?') ? '&' : '?'}${q}`

async function open(body: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook()
  await wb.xlsx.load(body as unknown as ArrayBuffer)
  return wb
}

/** The data sheet's header names (without their units) → column number. */
function columnsOf(ws: ExcelJS.Worksheet): Map<string, number> {
  const out = new Map<string, number>()
  ws.getRow(1).eachCell((c, n) => out.set(String(c.value).replace(/ \[.*\]$/, ''), n))
  return out
}

t.test('format=xlsx', async (t) => {
  const app = await buildTestApp(t)
  const ask = (r: (typeof ROUTES)[number], q: string, headers: Record<string, string> = {}) =>
    app.inject({ method: r.method, url: withQuery(r.url, q), headers, ...('body' in r ? { payload: r.body } : {}) })

  for (const r of ROUTES) {
    t.test(`${r.name}: a workbook with the CSV's rows and columns, typed`, async (t) => {
      const res = await ask(r, 'format=xlsx', { 'accept-encoding': 'gzip' })
      t.equal(res.statusCode, 200)
      t.equal(res.headers['content-type'], XLSX_TYPE)
      t.equal(res.headers['content-disposition'], `attachment; filename="${r.file}.xlsx"`)
      t.equal(res.headers['content-encoding'], undefined, 'a workbook is a zip already: not gzipped again')
      const body = res.rawPayload
      t.same([...body.subarray(0, 2)], [0x50, 0x4b], 'a zip (PK), as every xlsx is')

      const csv = await ask(r, 'format=csv')
      const csvLines = csv.body.trimEnd().split('\r\n')
      const csvHeader = csvLines[0]!.split(',')

      const wb = await open(body)
      t.same(wb.worksheets.map((w) => w.name), [r.sheet, 'Columns'])
      const ws = wb.getWorksheet(r.sheet)!
      t.match(ws.views[0], { state: 'frozen', ySplit: 1 }, 'the header row is frozen')
      t.same([...columnsOf(ws).keys()], csvHeader, 'the same columns as the CSV, in the same order')
      t.equal(ws.rowCount, csvLines.length, 'the same rows as the CSV')
      t.ok(ws.getRow(1).font?.bold, 'the header is bold')

      // Every column is explained on the Columns sheet, with its unit where it has one.
      const cols = wb.getWorksheet('Columns')!
      const explained = new Map<string, { unit: string; about: string }>()
      cols.eachRow((row) => {
        const [name, unit, , about] = [1, 2, 3, 4].map((n) => String(row.getCell(n).value ?? ''))
        if (csvHeader.includes(name!)) explained.set(name!, { unit: unit!, about: about! })
      })
      t.same([...explained.keys()].sort(), [...csvHeader].sort(), 'every column has a line on the Columns sheet')
      for (const [name, e] of explained) t.ok(e.about.length > 5, `${name} says what it is`)
      ws.getRow(1).eachCell((c) => {
        const [name, unit] = /^(\S+)(?: \[(.+)\])?$/.exec(String(c.value))!.slice(1)
        t.equal(unit ?? '', explained.get(name!)!.unit, `${name}: the header shows the unit the Columns sheet gives`)
      })
    })
  }

  t.test('cells are typed: numbers as numbers, true/false as booleans, nothing as empty', async (t) => {
    const types = await open((await app.inject('/v1/instance-types?family=m5&format=xlsx')).rawPayload)
    const ws = types.getWorksheet('Instance types')!
    const col = columnsOf(ws)
    const m5large = ws.getRow(2)
    t.equal(m5large.getCell(col.get('name')!).value, 'm5.large')
    t.equal(m5large.getCell(col.get('vcpu')!).type, ExcelJS.ValueType.Number)
    t.equal(m5large.getCell(col.get('vcpu')!).value, 2)
    t.equal(m5large.getCell(col.get('max_pods_secondary_ip')!).value, 29, 'E × (I − 1) + 2 = 3 × 9 + 2')
    t.equal(m5large.getCell(col.get('price_usd_per_hour')!).type, ExcelJS.ValueType.Number)
    t.equal(m5large.getCell(col.get('price_usd_per_hour')!).value, 0.096)
    t.equal(m5large.getCell(col.get('trunking')!).type, ExcelJS.ValueType.Boolean)
    t.equal(m5large.getCell(col.get('bare_metal')!).value, false)
    t.match(String(ws.getRow(1).getCell(col.get('price_usd_per_hour')!).value), 'price_usd_per_hour [USD/h]', 'units in the header')

    const plan = await open((await app.inject('/v1/capacity-plans?totalPods=270&podCpu=0.05&instanceTypes=m5.large,mac2.metal&format=xlsx')).rawPayload)
    const p = plan.getWorksheet('Capacity plan')!
    const pc = columnsOf(p)
    const row = p.getRow(2)
    t.equal(row.getCell(pc.get('nodes')!).value, 10)
    t.equal(row.getCell(pc.get('monthly_usd')!).value, 700.8)
    t.equal(row.getCell(pc.get('monthly_usd')!).type, ExcelJS.ValueType.Number)
    t.equal(row.getCell(pc.get('formula')!).type, ExcelJS.ValueType.String)
    t.match(String(row.getCell(pc.get('formula')!).value), '⌈270 ÷ 27⌉ = 10', 'the formula text, unmangled')
    const mac = p.getRow(3)
    t.equal(mac.getCell(pc.get('instance_type')!).value, 'mac2.metal')
    t.equal(mac.getCell(pc.get('nodes')!).type, ExcelJS.ValueType.Null, 'a type that cannot serve: an empty cell, not 0')
    t.ok(String(mac.getCell(pc.get('reason')!).value).length > 0)
    t.match(String(plan.getWorksheet('Columns')!.getRow(1).getCell(1).value), /^cni-advisor: /)
  })

  t.test('Accept: the xlsx type asks for a workbook too; JSON stays the default', async (t) => {
    const res = await app.inject({ url: '/v1/instance-types?family=m5', headers: { accept: XLSX_TYPE } })
    t.equal(res.headers['content-type'], XLSX_TYPE)
    const json = await app.inject({ url: '/v1/instance-types?family=m5', headers: { accept: `application/json, ${XLSX_TYPE}` } })
    t.match(json.headers['content-type'], /^application\/json/)
  })

  t.test('kept like any answer: the same question, in another order, gets the same bytes', async (t) => {
    const a = await app.inject('/v1/capacity-plans?totalPods=300&family=m6i&format=xlsx')
    const b = await app.inject('/v1/capacity-plans?format=xlsx&family=m6i&totalPods=300')
    t.equal(Buffer.compare(a.rawPayload, b.rawPayload), 0)
  })
})

t.test('the whole catalog as a workbook', async (t) => {
  const app = await buildTestApp(t)
  const csv = await app.inject('/v1/capacity-plans?totalPods=3000&format=csv')
  const res = await app.inject('/v1/capacity-plans?totalPods=3000&format=xlsx')
  t.equal(res.statusCode, 200)
  const ws = (await open(res.rawPayload)).getWorksheet('Capacity plan')!
  t.equal(ws.rowCount, csv.body.trimEnd().split('\r\n').length, 'every row of the CSV')
  t.ok(res.rawPayload.length < csv.rawPayload.length, `smaller than the CSV (${res.rawPayload.length} < ${csv.rawPayload.length} bytes)`)
})

t.test('bom=1 on CSV', async (t) => {
  const app = await buildTestApp(t)
  const plain = await app.inject('/v1/capacity-plans?totalPods=270&instanceTypes=m5.large&format=csv')
  t.same([...plain.rawPayload.subarray(0, 3)], [...Buffer.from('ins')], 'no BOM by default: IMPORTDATA and Power Query read the header as it is')
  t.equal(plain.headers['content-disposition'], 'inline; filename="capacity-plan.csv"')
  for (const on of ['1', 'true']) {
    const res = await app.inject(`/v1/capacity-plans?totalPods=270&instanceTypes=m5.large&format=csv&bom=${on}`)
    t.equal(res.statusCode, 200)
    t.same([...res.rawPayload.subarray(0, 3)], [0xef, 0xbb, 0xbf], `bom=${on}: the UTF-8 byte-order mark first`)
    t.equal(Buffer.compare(res.rawPayload.subarray(3), plain.rawPayload), 0, 'then the same CSV')
    t.equal(res.headers['content-disposition'], 'attachment; filename="capacity-plan.csv"', 'a file to save and double-click')
  }
  const off = await app.inject('/v1/capacity-plans?totalPods=270&instanceTypes=m5.large&format=csv&bom=0')
  t.equal(Buffer.compare(off.rawPayload, plain.rawPayload), 0, 'bom=0 is the default')
  const post = await app.inject({ method: 'POST', url: '/v1/recommendations?format=csv&bom=1', payload: {} })
  t.same([...post.rawPayload.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'on POST too')
  const bad = await app.inject('/v1/capacity-plans?totalPods=270&format=csv&bom=maybe')
  t.equal(bad.statusCode, 400)
  t.match(bad.json(), { field: 'bom', message: /bom must be true or false; got "maybe"/ })
})

t.test('an unknown format is a 400 naming the allowed ones, on every table route', async (t) => {
  const app = await buildTestApp(t)
  for (const r of ROUTES) {
    const res = await app.inject({ method: r.method, url: withQuery(r.url, 'format=pdf'), ...('body' in r ? { payload: r.body } : {}) })
    t.equal(res.statusCode, 400, r.name)
    t.match(res.json(), { field: 'format', message: 'format must be one of json, csv, xlsx; got "pdf"' }, r.name)
  }
  const json = await app.inject('/v1/instance-types?family=m5&format=JSON')
  t.equal(json.statusCode, 200, 'the names are read in any case')
  t.match(json.headers['content-type'], /^application\/json/)
})

t.test('workbook builds are bounded: a few at once, a bounded queue, the same one built once', async (t) => {
  const gate = new WorkbookBuilds(1, 1)
  let made = 0
  const releases: Array<() => void> = []
  const slow = () =>
    new Promise<Buffer>((resolve) => {
      made++
      releases.push(() => resolve(Buffer.from(`wb${made}`)))
    })
  const first = gate.build('a', slow)
  const again = gate.build('a', slow)
  t.equal(again, first, 'the same question while it is being built: one build')
  const second = gate.build('b', slow)
  const refused = gate.build('c', slow)
  await t.rejects(refused, { statusCode: 503, message: /Too many workbooks/ }, 'one running, one waiting: the next is refused with a 503')
  t.equal(made, 1, 'the waiting one has not started')
  releases.shift()!()
  t.equal(String(await first), 'wb1')
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(made, 2, 'the waiting one starts when a slot is free')
  releases.shift()!()
  t.equal(String(await second), 'wb2')
  const later = gate.build('c', async () => Buffer.from('wb3'))
  t.equal(String(await later), 'wb3', 'room again once they are done')
})
