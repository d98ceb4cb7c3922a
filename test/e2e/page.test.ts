// The advisor page end to end: static checks of what GET / serves, then the page driven in headless
// Chromium (Debian's package, through playwright-core; never a browser download). Screenshots are kept
// in test-artifacts/. Without /usr/bin/chromium the browser part is skipped locally and fails in CI.
import t from 'tap'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { REQUIREMENT_FIELDS } from '../../src/answers/inputs.js'
import { buildTestApp, freshDatabase } from '../helper.js'

const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts')
/** Query parameters of the page that are not requirements (the cost chart's settings, filters and price kind). */
const PAGE_ONLY = ['podCpu', 'podMemoryMiB', 'costScope', 'capacityType', 'arch', 'category', 'generation', 'minVcpu', 'minMemoryMiB', 'burstable', 'bareMetal']
/** Spot prices the test writes as a refresh would: the seed has on-demand prices only. */
const SPOT: ReadonlyArray<[string, number]> = [['m7g.large', 0.0301], ['m7g.xlarge', 0.0598], ['m6g.large', 0.0297], ['m6g.2xlarge', 0.1122], ['c7g.large', 0.0254], ['m5.large', 0.0391]]
const SPOT_AS_OF = '2026-11-30T00:00:00Z'
const bars = (svg: string) => [...svg.matchAll(/<rect class="bar"[^>]*><title>([^<]*)<\/title>/g)].map((m) => m[1]!)

// The callbacks given to page.evaluate run in Chromium; the project's tsconfig has no DOM library, so
// they name the little of the DOM they touch with these shapes.
interface DomElement {
  id: string
  outerHTML: string
  textContent: string | null
  dataset: Record<string, string | undefined>
  labels?: ArrayLike<unknown> | null
  complete?: boolean
  naturalWidth?: number
  naturalHeight?: number
  getAttribute(name: string): string | null
  querySelector(selector: string): DomElement | null
  getBoundingClientRect(): { width: number }
}
interface InPage {
  document: { getElementById(id: string): DomElement | null; activeElement: DomElement | null; documentElement: { scrollWidth: number } }
  location: { href: string }
  innerWidth: number
  getComputedStyle(el: DomElement): { outlineStyle: string }
}
/** Why the browser test cannot run here, or null when it can. */
async function browserMissing(): Promise<string | null> {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is absent`
  try {
    await import('playwright-core')
    return null
  } catch {
    return 'playwright-core is not installed'
  }
}

t.test('GET / serves the page and its files, from this service only', async (t) => {
  const app = await buildTestApp(t)
  const page = await app.inject('/')
  t.equal(page.statusCode, 200)
  t.equal(page.headers['content-type'], 'text/html; charset=utf-8')
  t.match(page.headers['content-security-policy'], /script-src 'self'/)
  t.notMatch(page.headers['content-security-policy'], /frame-ancestors/, 'the portal may embed the page')
  const html = page.body

  // Every requirement of the contract has a labelled control with the API's default (podSubnets goes by link only).
  for (const [name, spec] of Object.entries(REQUIREMENT_FIELDS)) {
    if (name === 'podSubnets') continue
    if (name === 'instanceTypes') {
      t.match(html, `data-default="${(spec as { default: readonly string[] }).default.join(',')}"`, 'instance types default')
      continue
    }
    t.match(html, new RegExp(`<label for="${name}"`), `${name} has a label`)
    t.match(html, new RegExp(`id="${name}" name="${name}"`), `${name} has a control`)
    const def = 'default' in spec ? spec.default : undefined
    if (spec.type === 'enum') t.match(html, new RegExp(`<select id="${name}"[^>]*>.*<option value="${def}" selected>`), `${name} defaults to ${def}`)
    else if (spec.type === 'boolean') t.notMatch(html, new RegExp(`id="${name}"[^>]*checked`), `${name} defaults to false`)
    else if (def !== undefined) t.match(html, new RegExp(`id="${name}"[^>]*value="${def}"`), `${name} defaults to ${def}`)
    else t.notMatch(html, new RegExp(`id="${name}"[^>]*value=`), `${name} has no default`)
  }

  for (const [url, type] of [
    ['/assets/app.js', 'text/javascript; charset=utf-8'],
    ['/assets/app.css', 'text/css; charset=utf-8'],
  ] as const) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 200, url)
    t.equal(res.headers['content-type'], type, url)
    t.notMatch(res.body, /https?:\/\/(?!www\.w3\.org)/, `${url} loads nothing from elsewhere`)
    const again = await app.inject({ url, headers: { 'if-none-match': String(res.headers.etag) } })
    t.equal(again.statusCode, 304, `${url} revalidates with its ETag`)
  }
  t.notMatch(html, /(src|href)="(https?:)?\/\//, 'no CDN: every script, style and link is this service’s')
  t.equal((await app.inject('/docs/json')).statusCode, 200, '/docs still works')
  t.equal((await app.inject('/graphiql')).statusCode, 200, '/graphiql still works')
})

const missing = await browserMissing()
if (missing && process.env.CI) t.fail(`${missing}: CI must run the browser test (.ci/install-browser installs Chromium)`)

t.test('the page in headless Chromium', { skip: missing ? `${missing} (apt-get install chromium; playwright-core is a devDependency)` : false }, async (t) => {
  const { chromium } = await import('playwright-core')

  const { db } = await freshDatabase(t)
  for (const [name, usd] of SPOT) {
    await db.query(
      `INSERT INTO prices (region, instance_type, usd_per_hour, source, as_of, capacity_type, az_count, spot_timestamp)
       VALUES ('us-east-1', $1, $2, 'aws-ec2-spot-price-history', $3, 'spot', 6, $3)`,
      [name, usd, SPOT_AS_OF],
    )
  }
  const app = await buildTestApp(t, { db })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true })
  t.teardown(() => browser.close())
  mkdirSync(ARTIFACTS, { recursive: true })

  const problems: string[] = []
  const open = async (width: number, height: number): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width, height } })
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
    page.on('console', (m) => {
      // A 400 the page asked for on purpose shows up as a failed resource; script errors must not.
      if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`)
    })
    page.on('request', (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith('data:')) problems.push(`request outside the service: ${r.url()}`)
    })
    return page
  }
  const chartLoaded = (page: Page, id: string) =>
    page.waitForFunction((i) => {
      const img = (globalThis as unknown as InPage).document.getElementById(i)
      return !!img && img.complete === true && (img.naturalWidth ?? 0) > 0
    }, id)

  const page = await open(1280, 900)
  await page.goto(base)

  t.test('accessible form: every control labelled, fieldsets with legends, a live status', async (t) => {
    const unlabelled = await page.$$eval('input, select, textarea', (els: DomElement[]) =>
      els.filter((el) => !el.labels?.length && !el.getAttribute('aria-label')).map((el) => el.id || el.outerHTML),
    )
    t.same(unlabelled, [])
    t.same(await page.$$eval('fieldset', (els: DomElement[]) => els.map((f) => f.querySelector(':scope > legend')?.textContent)), ['Nodes', 'Needs', 'Cost chart'])
    t.equal(await page.getAttribute('#status', 'aria-live'), 'polite')
    // Keyboard: Tab from the picker reaches the Add button, and focus is drawn.
    await page.focus('#type-picker')
    await page.keyboard.press('Tab')
    t.equal(await page.evaluate(() => (globalThis as unknown as InPage).document.activeElement?.id), 'type-add')
    const outline = await page.$eval('#type-add', (el: DomElement) => (globalThis as unknown as InPage).getComputedStyle(el).outlineStyle)
    t.not(outline, 'none', 'visible focus')
  })

  t.test('the instance-type picker searches the catalog and refuses unknown names', async (t) => {
    await page.focus('#type-picker')
    await page.waitForSelector('#type-options option[value="m6i.xlarge"]', { state: 'attached' })
    const options = await page.$$eval('#type-options option', (els: DomElement[]) => els.length)
    t.ok(options > 1000, `the datalist holds the catalog (${options} types), filled from GET /v1/instance-types`)
    await page.fill('#type-picker', 'zz9.huge')
    await page.press('#type-picker', 'Enter')
    t.match(await page.textContent('#type-msg'), /no instance type “zz9\.huge”/)
    t.equal(await page.getAttribute('#type-picker', 'aria-invalid'), 'true')
    t.same(await page.$$eval('#type-chips .chip span', (els: DomElement[]) => els.map((e) => e.textContent)), ['m5.large'])
    await page.fill('#type-picker', '')
  })

  t.test('fill the form, submit, read the same answer as GET /v1/recommendations', async (t) => {
    await page.selectOption('#multicast', 'required')
    await page.fill('#type-picker', 'm5.large')
    await page.press('#type-picker', 'Enter')
    t.same(await page.$$eval('#type-chips .chip span', (els: DomElement[]) => els.map((e) => e.textContent)), ['m5.large'], 'no duplicate chip')
    await page.fill('#podsPerNode', '50')
    await page.click('button[type=submit]')
    await page.waitForSelector('#recommendation-id')
    const id = await page.textContent('#recommendation-id')
    t.equal(id, 'cilium-overlay', 'multicast needs an overlay with multicast; 50 pods do not fit m5.large on VPC IPs')

    const search = new URL(page.url()).searchParams
    t.equal(search.get('multicast'), 'required')
    t.equal(search.get('podsPerNode'), '50')
    t.equal(search.get('instanceTypes'), 'm5.large')
    for (const k of PAGE_ONLY) search.delete(k)
    const api = (await (await fetch(`${base}v1/recommendations?${search}`)).json()) as {
      recommendation: { id: string }
      options: Array<{ id: string; score: number }>
      summary: string
    }
    t.equal(api.recommendation.id, id, 'the REST answer to the same query')
    const shown = await page.$$eval('#options > li', (els: DomElement[]) => els.map((e) => [e.dataset.optionId, e.querySelector('.score-text')?.textContent]))
    t.same(shown, api.options.map((o) => [o.id, `Score ${o.score} / 100`]), 'every option, same order and scores')
    t.equal(await page.textContent('#answer-summary'), api.summary)
    const blockers = await page.$$eval('.verdict-blocked .blockers li', (els: DomElement[]) => els.length)
    t.ok(blockers > 0, 'blocked options show why')
    t.match(await page.textContent('#status'), /^Recommended: .+, score \d+ of 100/)

    t.equal(await page.inputValue('#share-link'), page.url())
    t.equal(await page.inputValue('#share-csv'), `${base}v1/recommendations?${search}&format=csv`)
    const gql = await page.inputValue('#share-graphql')
    t.match(gql, 'recommend(requirements: { multicast: REQUIRED, instanceTypes: ["m5.large"], podsPerNode: 50 })')
    const viaGraphql = (await (await fetch(`${base}graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: gql }) })).json()) as {
      data?: { recommend?: { recommendation?: { id: string } } }
    }
    t.equal(viaGraphql.data?.recommend?.recommendation?.id, id, 'the GraphQL snippet runs and gives the same answer')

    await chartLoaded(page, 'chart-pods')
    t.match(await page.getAttribute('#chart-pods', 'src'), /^v1\/charts\/pods-per-node\.svg\?instanceTypes=m5\.large/)
    t.equal(await page.isHidden('#chart-cost-figure'), true, 'no cost chart without totalPods')
    await page.screenshot({ path: join(ARTIFACTS, 'page-wide.png'), fullPage: true })
  })

  t.test('copy as IMPORTDATA, as Power Query, and download the workbook', async (t) => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base.replace(/\/$/, '') })
    const csv = await page.inputValue('#share-csv')
    const clipboard = () => page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText())

    await page.click('button[data-copy="share-importdata"]')
    await page.waitForFunction(() => (globalThis as unknown as InPage).document.getElementById('copy-msg')?.textContent === 'Copied.')
    t.equal(await clipboard(), `=IMPORTDATA("${csv}")`, 'the Sheets formula, on the clipboard')

    await page.click('button[data-copy="share-powerquery"]')
    const m = await clipboard()
    t.match(m, /^let\n {4}Source = Csv\.Document\(Web\.Contents\("(.+)"\), \[Delimiter = ",", Encoding = 65001, QuoteStyle = QuoteStyle\.Csv\]\),\n {4}Answer = Table\.PromoteHeaders\(Source, \[PromoteAllScalars = true\]\)\nin\n {4}Answer$/)
    t.equal(/Web\.Contents\("(.+?)"\)/.exec(m)?.[1], csv, 'the M query fetches the same CSV')
    const fetched = await fetch(csv)
    t.match(fetched.headers.get('content-type'), /^text\/csv/, 'and that URL answers CSV')
    t.equal((await fetched.text()).split('\r\n')[0]!.split(',')[0], 'rank', 'without a byte-order mark in the first header')

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#share-xlsx')])
    t.equal(download.suggestedFilename(), 'recommendation.xlsx')
    const ExcelJS = (await import('exceljs')).default
    const wb = new ExcelJS.Workbook()
    await wb.xlsx.load(readFileSync((await download.path())!) as unknown as ArrayBuffer)
    const sheet = wb.getWorksheet('Recommendation')!
    t.equal(sheet.getRow(2).getCell(2).value, await page.textContent('#recommendation-id'), 'the downloaded workbook ranks the same option first')
    t.equal(sheet.getRow(2).getCell(1).type, ExcelJS.ValueType.Number, 'its rank is a number cell')
    t.ok(wb.getWorksheet('Columns'), 'with the sheet that explains the columns')
  })

  t.test('total pods adds the cost chart in the recommended option’s mode', async (t) => {
    await page.fill('#totalPods', '3000')
    await page.click('button[type=submit]')
    await page.waitForFunction(() => new URL((globalThis as unknown as InPage).location.href).searchParams.get('totalPods') === '3000')
    await chartLoaded(page, 'chart-cost')
    t.match(await page.getAttribute('#chart-cost', 'src'), /cost-per-pod\.svg\?totalPods=3000&.*mode=overlay/)
    t.match(await page.getAttribute('#chart-cost-caption a[download]', 'href'), /^v1\/capacity-plans\?totalPods=3000&.*format=xlsx$/, 'the plan as a workbook too')
  })

  t.test('a link reproduces the answer; back and forward restore the form', async (t) => {
    const link = await page.inputValue('#share-link')
    const other = await open(1024, 800)
    await other.goto(link)
    await other.waitForSelector('#recommendation-id')
    t.equal(await other.textContent('#recommendation-id'), 'cilium-overlay')
    t.equal(await other.inputValue('#multicast'), 'required')
    t.equal(await other.inputValue('#podsPerNode'), '50')
    await chartLoaded(other, 'chart-cost')
    await other.close()

    await page.goBack()
    await page.waitForFunction(() => !new URL((globalThis as unknown as InPage).location.href).searchParams.has('totalPods'))
    t.equal(await page.inputValue('#totalPods'), '', 'the previous state is back in the form')
  })

  t.test('the cost chart takes the filters and the capacity type, and draws the plan they ask for', async (t) => {
    await page.fill('#totalPods', '3000')
    await page.selectOption('#capacityType', 'spot')
    await page.selectOption('#arch', 'arm64')
    await page.fill('#category', 'm')
    await page.fill('#minVcpu', '2')
    await page.selectOption('#burstable', 'false')
    await page.click('button[type=submit]')
    await page.waitForFunction(() => /[?&]capacityType=spot(&|$)/.test((globalThis as unknown as InPage).document.getElementById('chart-cost')?.getAttribute('src') ?? ''))
    await chartLoaded(page, 'chart-cost')

    const search = new URL(page.url()).searchParams
    t.same([search.get('capacityType'), search.get('arch'), search.get('category'), search.get('minVcpu'), search.get('burstable')], ['spot', 'arm64', 'm', '2', 'false'], 'the link keeps them')
    const src = new URL((await page.getAttribute('#chart-cost', 'src'))!, base)
    t.equal(src.pathname, '/v1/charts/cost-per-pod.svg')
    t.match(Object.fromEntries(src.searchParams), { totalPods: '3000', capacityType: 'spot', arch: 'arm64', category: 'm', minVcpu: '2', burstable: 'false' }, 'the chart request carries them')
    t.notOk(src.searchParams.has('generation') || src.searchParams.has('bareMetal'), 'empty filters are not sent')

    // What the page drew is the plan with the same question: the same rows, the spot ones, filtered.
    const svg = await (await fetch(src)).text()
    const question = new URLSearchParams(src.searchParams)
    question.delete('width')
    const plan = (await (await fetch(`${base}v1/capacity-plans?${question}`)).json()) as { rows: Array<{ instanceType: string; usdPerPodMonth: number | null }>; pricing: { summary: string } }
    const expected = plan.rows.filter((r) => r.usdPerPodMonth !== null).slice(0, 10).map((r) => `${r.instanceType}: $${r.usdPerPodMonth!.toFixed(2)}`)
    t.same(bars(svg), expected, 'the bars are the spot plan’s $ per pod-month')
    const drawnTypes = bars(svg).map((b) => b.split(':')[0]!)
    t.ok(drawnTypes.length > 0, 'bars drawn')
    // The form still asks 50 pods per node (an earlier step): the 2-vCPU sizes cannot reach it at 0.1 vCPU a pod.
    t.equal(src.searchParams.get('podsPerNode'), '50', 'the density is sent too')
    t.ok(drawnTypes.every((n) => ['m6g.2xlarge', 'm6g.large', 'm7g.large', 'm7g.xlarge'].includes(n)), `only arm64 m types with a spot price, never c7g.large or m5.large (${drawnTypes.join(', ')})`)
    t.match(svg, `Spot prices: aws-ec2-spot-price-history, as of 2026-11-30 · ${plan.pricing.summary}`, 'the chart names the kind, the source and the date')
    t.match(svg, 'Types: arch=arm64, category=m, burstable=false, vcpu≥2')
    const drawn = await page.$eval('#chart-cost', (img: DomElement) => img.naturalHeight ?? 0)
    t.equal(drawn, Number(/^<svg [^>]*height="(\d+)"/.exec(svg)?.[1]), 'the image the page shows is that chart')
    t.match(await page.textContent('#chart-cost-caption'), /spot prices, arch=arm64, category=m, minVcpu=2, burstable=false\./)
    t.match(await page.getAttribute('#chart-cost', 'alt'), /at spot prices/)
    t.match(await page.getAttribute('#chart-cost-caption a[download]', 'href'), /capacityType=spot&arch=arm64&category=m&minVcpu=2&burstable=false.*format=xlsx$/, 'the plan’s workbook asks the same')
    await page.screenshot({ path: join(ARTIFACTS, 'page-spot-chart.png'), fullPage: true })

    // Back to on-demand over the whole catalog: the defaults are not sent.
    await page.selectOption('#capacityType', 'on-demand')
    for (const id of ['#arch', '#burstable']) await page.selectOption(id, '')
    for (const id of ['#category', '#minVcpu']) await page.fill(id, '')
    await page.click('button[type=submit]')
    await page.waitForFunction(() => !/capacityType=/.test((globalThis as unknown as InPage).document.getElementById('chart-cost')?.getAttribute('src') ?? 'capacityType='))
    const plain = new URL((await page.getAttribute('#chart-cost', 'src'))!, base)
    t.notOk(['capacityType', 'arch', 'category', 'minVcpu', 'burstable'].some((k) => plain.searchParams.has(k)))
    t.match(await page.textContent('#chart-cost-caption'), /on-demand prices\./)
  })

  t.test('a refused request shows the API’s message and marks the field', async (t) => {
    await page.goto(`${base}?podsPerNode=0`)
    await page.waitForSelector('#error:not([hidden])')
    t.match(await page.textContent('#error'), /podsPerNode must be a whole number from 1 to 100000; got "0"/)
    t.equal(await page.getAttribute('#podsPerNode', 'aria-invalid'), 'true')
    t.equal(await page.evaluate(() => (globalThis as unknown as InPage).document.activeElement?.id), 'podsPerNode', 'focus goes to the field at fault')
  })

  t.test('a 390 px wide phone: no sideways scrolling, charts scale down', async (t) => {
    const phone = await open(390, 844)
    await phone.goto(`${base}?multicast=required&instanceTypes=m5.large,m6i.xlarge&podsPerNode=50&totalPods=3000`)
    await phone.waitForSelector('#recommendation-id')
    await chartLoaded(phone, 'chart-pods')
    await chartLoaded(phone, 'chart-cost')
    const widths = await phone.evaluate(() => {
      const w = globalThis as unknown as InPage
      return { page: w.document.documentElement.scrollWidth, viewport: w.innerWidth }
    })
    t.ok(widths.page <= widths.viewport, `page ${widths.page} px fits the ${widths.viewport} px viewport`)
    const chart = await phone.$eval('#chart-pods', (img: DomElement) => img.getBoundingClientRect().width)
    t.ok(chart <= 390, 'the chart is scaled to the screen')
    await phone.screenshot({ path: join(ARTIFACTS, 'page-narrow.png'), fullPage: true })
    await phone.close()
  })

  t.same(problems, [], 'no script errors, nothing loaded from outside the service')
})
