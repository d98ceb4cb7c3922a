// The page shows each option's configuration to apply: the files, as the API gives them, readable and
// copyable (in headless Chromium, as test/e2e/page.test.ts runs it).
import t from 'tap'
import { existsSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { buildTestApp } from '../helper.js'

const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

interface El {
  textContent: string | null
  dataset: Record<string, string | undefined>
  querySelector(s: string): El | null
  querySelectorAll(s: string): ArrayLike<El>
}

t.test('the page shows the configuration to apply for each option', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent (apt-get install chromium)` }, async (t) => {
  const { chromium } = await import('playwright-core')
  const app = await buildTestApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true })
  t.teardown(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(`${base}?instanceTypes=m5.large&networkPolicy=preferred`)
  await page.waitForSelector('#options > li')
  const api = (await app.inject('/v1/recommendations?instanceTypes=m5.large&networkPolicy=preferred')).json() as {
    options: Array<{ id: string; configuration: { artifacts: Array<{ id: string; content: string }> } | null }>
  }
  const shown = await page.$$eval('#options > li', (els: El[]) =>
    els.map((li) => ({
      id: li.dataset.optionId,
      files: Array.from(li.querySelectorAll('.artifact')).map((a) => ({ id: a.dataset.artifact, content: a.querySelector('pre code')?.textContent ?? null })),
    })),
  )
  t.equal(shown.length, api.options.length)
  for (const [i, o] of api.options.entries()) {
    t.equal(shown[i]!.id, o.id)
    t.same(shown[i]!.files, (o.configuration?.artifacts ?? []).map((a) => ({ id: a.id, content: a.content })), `${o.id}: the same files as the API, as they are`)
  }
  // Opening the top option's configuration shows its first file.
  await page.click('#options > li:first-child details.configuration > summary')
  t.ok(await page.isVisible('#options > li:first-child details.configuration .artifact pre'), 'the file is shown when opened')
  t.same(errors, [], 'no script errors')
})
