import t from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildTestApp, freshDatabase } from '../helper.js'
import { decodePng, PNG_MAGIC } from '../fakes/png-reader.js'

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts')
const bars = (svg: string) => [...svg.matchAll(/<rect class="bar"[^>]*><title>([^<]*)<\/title>/g)].map((m) => m[1])
/** The text drawn under the title (what a PNG shows of the price kind and the filters). */
const subtitle = (svg: string) => [...svg.matchAll(/<text class="subtitle"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]).join(' ')
/** Every text drawn, lines joined with a space (a long message is wrapped over several <text> lines). */
const drawn = (svg: string) => [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]).join(' ')
const unescape = (s: string) => s.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')

t.test('charts over REST', async (t) => {
  const app = await buildTestApp(t)

  t.test('pods per node: a bar for each type and mode, the numbers of the max-pods route', async (t) => {
    const res = await app.inject('/v1/charts/pods-per-node.svg?instanceTypes=m5.large,m6i.xlarge')
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], 'image/svg+xml; charset=utf-8')
    t.match(res.headers['cache-control'], /max-age=\d+/)
    t.equal(res.headers['x-content-type-options'], 'nosniff')
    t.match(res.headers['content-security-policy'], /default-src 'none'/)
    const svg = res.body
    t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
    t.match(svg, /<title id="pods-per-node-title">Pods per node by networking mode<\/title>/)
    t.match(svg, /<desc id="pods-per-node-desc">[^<]*m5\.large, m6i\.xlarge[^<]*<\/desc>/)
    const titles = bars(svg)
    t.equal(titles.length, 14, '2 types × 7 modes, every mode runs on both')
    for (const type of ['m5.large', 'm6i.xlarge']) {
      for (const mode of ['secondary-ip', 'prefix-delegation', 'custom-networking', 'ipv6', 'security-groups-for-pods', 'overlay', 'custom-networking-prefix-delegation']) {
        const mp = (await app.inject(`/v1/instance-types/${type}/max-pods?mode=${mode}`)).json()
        t.ok(titles.includes(`${type}, ${mode}: ${mp.recommendedMaxPods}`), `${type} ${mode} = ${mp.recommendedMaxPods}`)
      }
    }
    mkdirSync(ARTIFACTS, { recursive: true })
    writeFileSync(join(ARTIFACTS, 'pods-per-node.svg'), svg)
  })

  t.test('pods per node: measure, modes and DaemonSets are the max-pods options', async (t) => {
    const res = await app.inject('/v1/charts/pods-per-node.svg?instanceTypes=m5.large&modes=secondary-ip&measure=pods-for-workloads&daemonSetsPerNode=3')
    t.equal(res.statusCode, 200)
    const mp = (await app.inject('/v1/instance-types/m5.large/max-pods?daemonSetsPerNode=3')).json()
    t.same(bars(res.body), [`m5.large: ${mp.podsForWorkloads}`], 'one series: the tooltip is type and value')
    t.match(res.body, /3 DaemonSet pods per node/)
  })

  t.test('width: the drawing is as wide as asked', async (t) => {
    const res = await app.inject('/v1/charts/cost-per-pod.svg?totalPods=3000&width=360')
    t.equal(res.statusCode, 200)
    t.match(res.body, /^<svg [^>]*width="360" height="\d+" viewBox="0 0 360 \d+"/)
    t.equal(bars(res.body).length, 10)
  })

  t.test('a mode a type cannot run is said, not drawn', async (t) => {
    // Xen types cannot use prefix delegation.
    const mp = (await app.inject('/v1/instance-types/t2.micro/max-pods?mode=prefix-delegation')).json()
    t.equal(mp.supported, false)
    const res = await app.inject('/v1/charts/pods-per-node.svg?instanceTypes=t2.micro&modes=secondary-ip,prefix-delegation')
    t.equal(bars(res.body).length, 1)
    t.match(res.body, /not supported<\/text>/)
  })

  t.test('cost per pod: the N cheapest priced rows of the capacity plan, same numbers', async (t) => {
    const query = 'totalPods=3000&podCpu=0.25&podMemoryMiB=512&family=m6i&mode=prefix-delegation'
    const res = await app.inject(`/v1/charts/cost-per-pod.svg?${query}&limit=4`)
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], 'image/svg+xml; charset=utf-8')
    t.match(res.headers['cache-control'], /max-age=\d+/)
    const plan = (await app.inject(`/v1/capacity-plans?${query}`)).json()
    const expected = plan.rows
      .filter((r: { usdPerPodMonth: number | null }) => r.usdPerPodMonth !== null)
      .slice(0, 4)
      .map((r: { instanceType: string; usdPerPodMonth: number }) => `${r.instanceType}: $${r.usdPerPodMonth.toFixed(2)}`)
    t.equal(expected.length, 4)
    t.same(bars(res.body), expected, 'cheapest first, the plan’s $ per pod-month')
    t.match(res.body, /<title id="cost-per-pod-title">\$ per pod-month: 3,000 pods of 0\.25 vCPU \/ 512 MiB, prefix-delegation, us-east-1<\/title>/)
    t.match(res.body, />USD per pod per month[^<]*<\/text>/, 'value axis label')
    t.match(res.body, /nodes?, \d+ pods\/node \((ips|cpu|memory|kubelet)\)/, 'nodes and the binding limit beside each bar')
    mkdirSync(ARTIFACTS, { recursive: true })
    writeFileSync(join(ARTIFACTS, 'cost-per-pod.svg'), (await app.inject(`/v1/charts/cost-per-pod.svg?totalPods=3000&podCpu=0.25&podMemoryMiB=512`)).body)
  })

  t.test('cost per pod: 10 bars by default; a region without prices says so', async (t) => {
    const res = await app.inject('/v1/charts/cost-per-pod.svg?totalPods=500')
    t.equal(bars(res.body).length, 10)
    const none = await app.inject('/v1/charts/cost-per-pod.svg?totalPods=500&region=xx-nowhere-9&instanceTypes=m5.large')
    t.equal(none.statusCode, 200)
    t.equal(bars(none.body).length, 0)
    t.match(none.body, /No instance type here has an on-demand price in xx-nowhere-9/)
  })

  t.test('cost per pod follows the question: its types, filters, podsPerNode and modes', async (t) => {
    const bar = (body: string) => bars(body).map((b) => b!.split(':')[0]!)
    const types = await app.inject('/v1/charts/cost-per-pod.svg?totalPods=500&instanceTypes=c6i.large,m5.xlarge,r6i.large')
    t.same(new Set(bar(types.body)), new Set(['c6i.large', 'm5.xlarge', 'r6i.large']), 'the chosen types, and only them')
    const filtered = await app.inject('/v1/charts/cost-per-pod.svg?totalPods=500&arch=arm64&category=c&generation=7')
    t.ok(bar(filtered.body).length > 0)
    t.ok(bar(filtered.body).every((n) => /^c[7-9]\w*g/.test(n)), 'arm64 c types of generation 7 or newer')
    t.match(filtered.body, /arch=arm64, category=c, generation≥7/, 'the description says the filters')
    const plain = await app.inject('/v1/charts/cost-per-pod.svg?totalPods=500')
    t.match(plain.body, /amd64 types only/, 'a whole-catalog chart says what it assumed')
    const dense = await app.inject('/v1/charts/cost-per-pod.svg?totalPods=3000&family=m5&podCpu=0.05&podsPerNode=50')
    t.notOk(bar(dense.body).includes('m5.large'), 'm5.large fits 27 pods, short of 50: not drawn')
    t.match(dense.body, /at least 50 pods per node/)
    const plan = (await app.inject('/v1/capacity-plans?totalPods=3000&family=m5&podCpu=0.05&podsPerNode=50')).json()
    const cheapest = plan.rows.filter((r: { usdPerPodMonth: number | null }) => r.usdPerPodMonth !== null).slice(0, 3).map((r: { instanceType: string }) => r.instanceType)
    t.same(bar(dense.body).slice(0, 3), cheapest, 'the plan’s own order')
    const modes = await app.inject('/v1/charts/cost-per-pod.svg?totalPods=3000&instanceTypes=m5.large,m5.xlarge&modes=secondary-ip,prefix-delegation')
    t.equal(bars(modes.body).length, 4, 'a bar per type and mode')
    t.match(modes.body, /secondary-ip, prefix-delegation, us-east-1<\/title>/)
    const unpriced = await app.inject('/v1/charts/cost-per-pod.svg?totalPods=3000&region=eu-west-1&family=m7i')
    t.equal(bars(unpriced.body).length, 0)
    t.match(drawn(unpriced.body), /No instance type here has an on-demand price in eu-west-1 \(0 of \d+ types priced in eu-west-1 \(on-demand\)\): run a catalog refresh for the region\./, 'said whole, over as many lines as it takes')
    const bad = await app.inject('/v1/charts/cost-per-pod.svg?totalPods=10&arch=risc')
    t.same([bad.statusCode, bad.json().field], [400, 'arch'])
    // The other filters, all at once: the plan's own rows with the same question, and each bar's type meets them.
    const q = 'totalPods=3000&arch=arm64&category=m,r&minVcpu=4&minMemoryMiB=16384&burstable=false&bareMetal=false'
    const every = await app.inject(`/v1/charts/cost-per-pod.svg?${q}`)
    const sameQuestion = (await app.inject(`/v1/capacity-plans?${q}`)).json()
    t.same(bar(every.body), sameQuestion.rows.filter((r: { usdPerPodMonth: number | null }) => r.usdPerPodMonth !== null).slice(0, 10).map((r: { instanceType: string }) => r.instanceType))
    t.equal(bar(every.body).length, 10)
    for (const name of bar(every.body)) {
      const it = (await app.inject(`/v1/instance-types/${name}`)).json()
      t.ok(it.arch === 'arm64' && /^[mr]/.test(name) && it.vcpu >= 4 && it.memoryMiB >= 16384 && !it.bareMetal, `${name} meets every filter`)
    }
    t.match(subtitle(every.body), 'Types: arch=arm64, category=m,r, burstable=false, vcpu≥4, memory≥16384 MiB, bareMetal=false', 'the filters are drawn')
    for (const [param, field] of [['minVcpu=0', 'minVcpu'], ['minMemoryMiB=big', 'minMemoryMiB'], ['bareMetal=maybe', 'bareMetal'], ['burstable=2', 'burstable'], ['generation=100', 'generation']] as const) {
      const r = await app.inject(`/v1/charts/cost-per-pod.svg?totalPods=10&${param}`)
      t.same([r.statusCode, r.json().field], [400, field], param)
    }
  })

  t.test('bad parameters: the contract’s JSON 400 naming the field', async (t) => {
    const cases: Array<[string, string]> = [
      ['/v1/charts/pods-per-node.svg?instanceTypes=not_a_type', 'instanceTypes'],
      ['/v1/charts/pods-per-node.svg?instanceTypes=' + Array.from({ length: 13 }, (_, i) => `m5.x${i}`).join(','), 'instanceTypes'],
      ['/v1/charts/pods-per-node.svg?modes=warp-drive', 'modes'],
      ['/v1/charts/pods-per-node.svg?measure=everything', 'measure'],
      ['/v1/charts/pods-per-node.svg?daemonSetsPerNode=-1', 'daemonSetsPerNode'],
      ['/v1/charts/pods-per-node.svg?colour=red', 'colour'],
      ['/v1/charts/cost-per-pod.svg', 'totalPods'],
      ['/v1/charts/cost-per-pod.svg?totalPods=0', 'totalPods'],
      ['/v1/charts/cost-per-pod.svg?totalPods=10&podCpu=lots', 'podCpu'],
      ['/v1/charts/cost-per-pod.svg?totalPods=10&limit=41', 'limit'],
      ['/v1/charts/cost-per-pod.svg?totalPods=10&mode=bridge', 'mode'],
      ['/v1/charts/cost-per-pod.svg?totalPods=10&format=csv', 'format'],
      ['/v1/charts/cost-per-pod.svg?totalPods=10&width=100', 'width'],
      ['/v1/charts/pods-per-node.svg?width=wide', 'width'],
    ]
    for (const [url, field] of cases) {
      const res = await app.inject(url)
      t.equal(res.statusCode, 400, url)
      t.match(res.headers['content-type'], /^application\/json/, 'an error is JSON, not a picture')
      t.match(res.json(), { statusCode: 400, error: 'Bad Request', field, message: new RegExp(field) }, url)
    }
  })

  t.test('an unknown instance type is the 404 of the max-pods and capacity routes', async (t) => {
    for (const url of ['/v1/charts/pods-per-node.svg?instanceTypes=m5.large,zz9.huge', '/v1/charts/cost-per-pod.svg?totalPods=10&instanceTypes=zz9.huge']) {
      const res = await app.inject(url)
      t.equal(res.statusCode, 404, url)
      t.match(res.json(), { field: 'instanceTypes', message: /zz9\.huge/ })
    }
  })

  t.test('hostile text in a request is refused as JSON, never drawn', async (t) => {
    const hostile = encodeURIComponent('<script>alert(1)</script>.large')
    for (const url of [
      `/v1/charts/pods-per-node.svg?instanceTypes=${hostile}`,
      `/v1/charts/cost-per-pod.svg?totalPods=10&region=${hostile}`,
      `/v1/charts/cost-per-pod.svg?totalPods=10&family=${hostile}`,
      `/v1/charts/pods-per-node.svg?${hostile}=1`,
    ]) {
      const res = await app.inject(url)
      t.equal(res.statusCode, 400, url)
      t.match(res.headers['content-type'], /^application\/json/, url)
      t.equal(res.json().statusCode, 400)
    }
  })

  t.test('PNG: the same chart as the SVG, for Slack image blocks, kept and bounded like it', async (t) => {
    for (const [path, query] of [
      ['pods-per-node', 'instanceTypes=m5.large,m6i.xlarge&width=600'],
      ['cost-per-pod', 'totalPods=3000&family=m6i&limit=4&width=600'],
    ] as const) {
      const svg = await app.inject(`/v1/charts/${path}.svg?${query}`)
      const res = await app.inject({ url: `/v1/charts/${path}.png?${query}`, headers: { 'accept-encoding': 'gzip' } })
      t.equal(res.statusCode, 200, path)
      t.equal(res.headers['content-type'], 'image/png')
      t.match(res.headers['cache-control'], /max-age=\d+/)
      t.notOk(res.headers['content-encoding'], 'a PNG is not gzipped again')
      t.ok(res.rawPayload.subarray(0, 8).equals(PNG_MAGIC))
      const img = decodePng(res.rawPayload)
      const height = Number(/^<svg [^>]*height="(\d+)"/.exec(svg.body)?.[1])
      t.same([img.width, img.height], [1200, height * 2], 'twice the SVG’s size')
      const again = await app.inject(`/v1/charts/${path}.png?${query}`)
      t.ok(again.rawPayload.equals(res.rawPayload), 'the same bytes again (kept)')
      mkdirSync(ARTIFACTS, { recursive: true })
      writeFileSync(join(ARTIFACTS, `${path}.png`), res.rawPayload)
    }
  })

  t.test('PNG: bad parameters are the same JSON 400s; an unknown type the same 404', async (t) => {
    for (const [url, status, field] of [
      ['/v1/charts/pods-per-node.png?width=99999', 400, 'width'],
      ['/v1/charts/cost-per-pod.png', 400, 'totalPods'],
      ['/v1/charts/cost-per-pod.png?totalPods=10&limit=41', 400, 'limit'],
      ['/v1/charts/pods-per-node.png?instanceTypes=zz9.huge', 404, 'instanceTypes'],
    ] as const) {
      const res = await app.inject(url)
      t.equal(res.statusCode, status, url)
      t.match(res.headers['content-type'], /^application\/json/)
      t.match(res.json(), { field })
    }
  })

  t.test('deterministic and listed in the OpenAPI document', async (t) => {
    const url = '/v1/charts/cost-per-pod.svg?totalPods=1000&family=c6i'
    t.equal((await app.inject(url)).body, (await app.inject(url)).body)
    const doc = (await app.inject('/docs/json')).json()
    t.ok(doc.paths['/v1/charts/pods-per-node.svg']?.get, 'pods-per-node chart documented')
    t.ok(doc.paths['/v1/charts/cost-per-pod.svg']?.get, 'cost-per-pod chart documented')
    t.ok(doc.paths['/v1/charts/pods-per-node.png']?.get?.responses?.['200']?.content?.['image/png'], 'PNG charts documented as image/png')
    t.ok(doc.paths['/v1/charts/cost-per-pod.png']?.get?.responses?.['200']?.content?.['image/png'])
    const params = doc.paths['/v1/charts/cost-per-pod.svg'].get.parameters.map((p: { name: string }) => p.name)
    t.ok(params.includes('totalPods') && params.includes('limit'), 'the capacity-plan parameters, and limit')
  })
})

t.test('cost per pod honours capacityType as plans do: the kind, its source and date on the chart; SVG and PNG', async (t) => {
  const { db } = await freshDatabase(t)
  // The seed has on-demand prices only; spot and reserved rows as a refresh writes them (src/catalog/refresh.ts).
  await db.query(
    `INSERT INTO prices (region, instance_type, usd_per_hour, source, as_of, capacity_type, az_count, spot_timestamp)
     VALUES ('us-east-1', 'm5.large', 0.0391, 'aws-ec2-spot-price-history', '2026-11-30T00:00:00Z', 'spot', 6, '2026-11-30T00:00:00Z'),
            ('us-east-1', 'm5.xlarge', 0.0702, 'aws-ec2-spot-price-history', '2026-11-30T00:00:00Z', 'spot', 6, '2026-11-30T00:00:00Z'),
            ('us-east-1', 'm6i.large', 0.0355, 'aws-ec2-spot-price-history', '2026-11-30T00:00:00Z', 'spot', 5, '2026-11-30T00:00:00Z'),
            ('us-east-1', 'm5.large', 0.0606, 'aws-pricing-api', '2026-11-30T00:00:00Z', 'reserved-1y', NULL, NULL)`,
  )
  const app = await buildTestApp(t, { db })
  const types = 'totalPods=3000&instanceTypes=m5.large,m5.xlarge,m6i.large,c6i.large'
  const expected = async (query: string) => {
    const plan = (await app.inject(`/v1/capacity-plans?${query}`)).json()
    return plan.rows
      .filter((r: { usdPerPodMonth: number | null }) => r.usdPerPodMonth !== null)
      .map((r: { instanceType: string; usdPerPodMonth: number }) => `${r.instanceType}: $${r.usdPerPodMonth.toFixed(2)}`)
  }

  t.test('spot: the plan’s spot rows, and the chart says spot, from where, of when', async (t) => {
    const res = await app.inject(`/v1/charts/cost-per-pod.svg?${types}&capacityType=spot`)
    t.equal(res.statusCode, 200)
    const spotBars = bars(res.body)
    t.same(spotBars, await expected(`${types}&capacityType=spot`), 'the spot plan’s $ per pod-month, in its order')
    t.equal(spotBars.length, 3, 'c6i.large has no spot price: not drawn')
    const onDemand = await app.inject(`/v1/charts/cost-per-pod.svg?${types}`)
    t.notSame(bars(onDemand.body), spotBars, 'not the on-demand bars')
    t.same(bars(onDemand.body), await expected(types))
    t.equal(subtitle(res.body), 'Spot prices: aws-ec2-spot-price-history, as of 2026-11-30 · 3 of 4 types priced in us-east-1 (spot)', 'drawn, so a PNG shows it too')
    t.match(res.body, />USD per pod per month \(spot, 730 h\)<\/text>/, 'the value axis names the kind')
    t.match(unescape(/<desc[^>]*>([^<]*)<\/desc>/.exec(res.body)![1]!), /spot monthly cost \(730 h\) ÷ pods.*the median over the region's Availability Zones/s)
    t.match(subtitle(onDemand.body), /^On-demand prices: aws\/karpenter-provider-aws@\w+ \(static pricing table\), as of 2026-07-20 · 4 of 4 types priced in us-east-1 \(on-demand\)$/)
    t.match(onDemand.body, /\(on-demand, 730 h\)/)
  })

  t.test('reserved-1y, and spot with the filters and podsPerNode of the plan', async (t) => {
    const ri = await app.inject(`/v1/charts/cost-per-pod.svg?${types}&capacityType=reserved-1y`)
    t.same(bars(ri.body), await expected(`${types}&capacityType=reserved-1y`))
    t.equal(bars(ri.body).length, 1)
    t.match(subtitle(ri.body), 'Reserved-1y prices: aws-pricing-api, as of 2026-11-30 · 1 of 4 types priced in us-east-1 (reserved-1y)')
    const q = 'totalPods=3000&family=m5&capacityType=spot&minVcpu=4&burstable=false'
    const filtered = await app.inject(`/v1/charts/cost-per-pod.svg?${q}`)
    t.same(bars(filtered.body), await expected(q), 'the same rows as the plan with the same filters')
    t.same(bars(filtered.body).map((b) => b!.split(':')[0]), ['m5.xlarge'], 'm5.large has 2 vCPUs: filtered out; the rest of m5 has no spot price')
    t.match(subtitle(filtered.body), 'Types: family=m5, burstable=false, vcpu≥4')
    const dense = 'totalPods=3000&instanceTypes=m5.large,m5.xlarge,m6i.large&capacityType=spot&podsPerNode=30&podCpu=0.05'
    const d = await app.inject(`/v1/charts/cost-per-pod.svg?${dense}`)
    t.same(bars(d.body), await expected(dense))
    t.notOk(bars(d.body).some((b) => b!.startsWith('m5.large:') || b!.startsWith('m6i.large:')), 'the large sizes fit 27 workload pods: short of 30')
    t.match(subtitle(d.body), 'at least 30 pods per node')
  })

  t.test('no price of the kind in the region: said, with the refresh hint; a bad kind is a 400 naming the allowed ones', async (t) => {
    const none = await app.inject('/v1/charts/cost-per-pod.svg?totalPods=3000&family=m5&region=us-west-2&capacityType=spot')
    t.equal(none.statusCode, 200)
    t.equal(bars(none.body).length, 0)
    t.match(drawn(none.body), /No instance type here has a spot price in us-west-2 \(0 of \d+ types priced in us-west-2 \(spot\)\): run a catalog refresh for the region/)
    const width = Number(/^<svg [^>]*width="(\d+)"/.exec(none.body)?.[1])
    for (const x of [...none.body.matchAll(/<text x="(\d+)"[^>]*font-size="13"[^>]*>([^<]*)</g)]) {
      t.ok(Number(x[1]) + x[2]!.length * 7.4 <= width, `the message line fits the ${width} px drawing: ${x[2]}`)
    }
    t.match(subtitle(none.body), 'Spot prices: none in the catalog for us-west-2')
    for (const path of ['svg', 'png']) {
      const bad = await app.inject(`/v1/charts/cost-per-pod.${path}?totalPods=10&capacityType=preemptible`)
      t.equal(bad.statusCode, 400)
      t.match(bad.json(), { field: 'capacityType', message: /capacityType.*on-demand, spot, reserved-1y/ })
    }
  })

  t.test('PNG: the spot chart drawn, not the on-demand one', async (t) => {
    const q = `${types}&capacityType=spot&width=600`
    const svg = await app.inject(`/v1/charts/cost-per-pod.svg?${q}`)
    const png = await app.inject(`/v1/charts/cost-per-pod.png?${q}`)
    t.equal(png.statusCode, 200)
    t.equal(png.headers['content-type'], 'image/png')
    const img = decodePng(png.rawPayload)
    t.same([img.width, img.height], [1200, Number(/^<svg [^>]*height="(\d+)"/.exec(svg.body)?.[1]) * 2], 'drawn from the spot SVG')
    const onDemand = await app.inject(`/v1/charts/cost-per-pod.png?${types}&width=600`)
    t.notOk(onDemand.rawPayload.equals(png.rawPayload), 'another picture than the on-demand chart')
    mkdirSync(ARTIFACTS, { recursive: true })
    writeFileSync(join(ARTIFACTS, 'cost-per-pod-spot.png'), png.rawPayload)
    writeFileSync(join(ARTIFACTS, 'cost-per-pod-spot.svg'), svg.body)
  })
})

t.test('hostile text in the catalog (a refresh brings names from outside) is escaped in the SVG', async (t) => {
  const evil = '<script>alert(1)</script>&"\''
  const base = { vcpu: 2, memoryMiB: 8192, arch: 'amd64', maxEnis: 3, ipv4PerEni: 10, networkCards: 1, maxEnisAllCards: 3, ipv6Supported: true,
    hypervisor: 'nitro', bareMetal: false, trunking: true, branchEnis: 9, encryptionInTransit: false, networkPerformance: 'Up to 10 Gigabit', networkBandwidthMbps: 750 }
  const dir = t.testdir({
    'seed.json': JSON.stringify({
      asOf: '2026-08-21',
      instanceTypes: [{ ...base, name: 'm5.large', family: 'm5' }, { ...base, name: `x.${evil}`, family: 'x' }],
      prices: [
        { region: 'us-east-1', instanceType: 'm5.large', usdPerHour: 0.096, source: 'test', asOf: '2026-08-01' },
        { region: 'us-east-1', instanceType: `x.${evil}`, usdPerHour: 0.01, source: 'test', asOf: '2026-08-01' },
      ],
    }),
  })
  const app = await buildTestApp(t, { deps: { seedFile: join(dir, 'seed.json') } })
  const res = await app.inject('/v1/charts/cost-per-pod.svg?totalPods=100')
  t.equal(res.statusCode, 200)
  t.equal(bars(res.body).length, 2)
  t.notMatch(res.body, /<script/)
  t.match(res.body, 'x.&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;')
  const tags = new Set([...res.body.matchAll(/<([a-zA-Z]+)/g)].map((m) => m[1]))
  t.same([...tags].sort(), ['desc', 'g', 'line', 'rect', 'svg', 'text', 'title', 'tspan'], 'no element but the chart’s own')
})
