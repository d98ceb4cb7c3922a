import t from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildTestApp } from '../helper.js'
import { decodePng, PNG_MAGIC } from '../fakes/png-reader.js'

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts')
const bars = (svg: string) => [...svg.matchAll(/<rect class="bar"[^>]*><title>([^<]*)<\/title>/g)].map((m) => m[1])

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
    t.match(unpriced.body, /0 of \d+ types priced in eu-west-1 \(on-demand\)\): run a catalog refresh/)
    const bad = await app.inject('/v1/charts/cost-per-pod.svg?totalPods=10&arch=risc')
    t.same([bad.statusCode, bad.json().field], [400, 'arch'])
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
