import t from 'tap'
import { buildTestApp } from '../helper.js'
import { sharedTable } from '../shared-data.js'

t.test('instance types over REST', async (t) => {
  const app = await buildTestApp(t)

  t.test('one type, with price and max pods per mode', async (t) => {
    const res = await app.inject('/v1/instance-types/m5.large')
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.match(body, {
      name: 'm5.large',
      family: 'm5',
      vcpu: 2,
      maxEnis: 3,
      ipv4PerEni: 10,
      hypervisor: 'nitro',
      trunking: true,
      branchEnis: 9,
      encryptionInTransit: false,
      price: { region: 'us-east-1', usdPerHour: 0.096 },
      maxPods: { secondaryIp: 29, prefixDelegation: 434, customNetworking: 20, securityGroupsForPods: 29 },
      recommendedMaxPods: { secondaryIp: 29, prefixDelegation: 110, customNetworking: 20 },
    })
    const eu = await app.inject('/v1/instance-types/m5.large?region=eu-west-1')
    t.equal(eu.json().price.usdPerHour, 0.107)
    const nowhere = await app.inject('/v1/instance-types/m5.large?region=ap-east-1')
    t.equal(nowhere.json().price, null, 'no price for the region: null, not an error')
  })

  t.test('unknown type: 404 naming it, with near names', async (t) => {
    const res = await app.inject('/v1/instance-types/m5.larg')
    t.equal(res.statusCode, 404)
    t.equal(res.json().field, 'name')
    t.match(res.json().message, /unknown instance type "m5.larg" in catalog version \d+; did you mean m5\.large, /, 'the nearest name first')
    const swapped = await app.inject('/v1/instance-types/m6i.xlrage')
    t.match(swapped.json().message, /did you mean m6i\.xlarge[,?]/, 'a swap of two letters is one edit')
    const noDot = await app.inject('/v1/instance-types/c7g2xlarge')
    t.match(noDot.json().message, /did you mean c7g\.xlarge, c7g\.2xlarge, /, 'one edit each; equal distances in list order')
  })

  t.test('list, family filter, bad filters', async (t) => {
    const all = await app.inject('/v1/instance-types')
    t.equal(all.json().items.length, 100, 'a page of the default limit')
    t.ok(all.json().totalItems >= 1391)
    const m5 = await app.inject('/v1/instance-types?family=m5')
    t.ok(m5.json().items.every((i: { family: string }) => i.family === 'm5'))
    t.ok(m5.json().items.some((i: { name: string }) => i.name === 'm5.metal'))
    t.match(m5.json().catalog, { version: 1, region: 'us-east-1', stale: false })
    const bad = await app.inject('/v1/instance-types?family=M5;DROP')
    t.equal(bad.statusCode, 400)
    t.equal(bad.json().field, 'family')
    const unknown = await app.inject('/v1/instance-types?colour=red')
    t.equal(unknown.statusCode, 400)
    t.match(unknown.json().message, /unknown field "colour"; the fields are: family, arch, category, generation, burstable, minVcpu, minMemoryMiB, bareMetal, region, capacityType, limit, cursor, format, bom/)
  })

  t.test('sorted by family, then by size as AWS lists them', async (t) => {
    const names = (await app.inject('/v1/instance-types?family=m5&limit=500')).json().items.map((i: { name: string }) => i.name)
    t.same(names, ['m5.large', 'm5.xlarge', 'm5.2xlarge', 'm5.4xlarge', 'm5.8xlarge', 'm5.12xlarge', 'm5.16xlarge', 'm5.24xlarge', 'm5.metal'])
    const c7i = (await app.inject('/v1/instance-types?family=c7i&limit=500')).json().items.map((i: { name: string }) => i.name)
    t.same(c7i.slice(-3), ['c7i.48xlarge', 'c7i.metal-24xl', 'c7i.metal-48xl'], 'metal sizes after the largest virtual one')
    const t3 = await app.inject('/v1/instance-types?family=t3&format=csv')
    const csvNames = t3.body.trimEnd().split('\r\n').slice(1).map((l) => l.split(',')[0])
    t.same(csvNames, ['t3.nano', 't3.micro', 't3.small', 't3.medium', 't3.large', 't3.xlarge', 't3.2xlarge'], 'CSV in the same order')
    const families = (await app.inject('/v1/instance-types?category=c&generation=5&limit=500')).json().items.map((i: { family: string }) => i.family)
    const firstOf = (f: string) => families.indexOf(f)
    t.ok(firstOf('c5') < firstOf('c5a') && firstOf('c5a') < firstOf('c5d') && firstOf('c5n') < firstOf('c6a'), 'families in natural order')
  })

  t.test('pages: limit and an opaque cursor; CSV is always the whole list', async (t) => {
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res = await app.inject(`/v1/instance-types?limit=500${cursor ? `&cursor=${cursor}` : ''}`)
      t.equal(res.statusCode, 200)
      const body: { items: Array<{ name: string }>; nextCursor: string | null } = res.json()
      t.ok(body.items.length <= 500)
      seen.push(...body.items.map((i: { name: string }) => i.name))
      cursor = body.nextCursor
      pages++
    } while (cursor !== null && pages < 10)
    t.equal(pages, 3, '1391 types in pages of 500')
    t.equal(new Set(seen).size, seen.length, 'no type twice')
    const csv = await app.inject('/v1/instance-types?format=csv&limit=5')
    const csvNames = csv.body.trimEnd().split('\r\n').slice(1).map((l) => l.split(',')[0])
    t.same(csvNames, seen, 'the pages together are the CSV, in the same order; limit does not cut a CSV')

    const first = (await app.inject('/v1/instance-types?family=m5&limit=4')).json()
    t.same(first.items.map((i: { name: string }) => i.name), ['m5.large', 'm5.xlarge', 'm5.2xlarge', 'm5.4xlarge'])
    t.equal(first.totalItems, 9)
    t.equal(first.limit, 4)
    t.type(first.nextCursor, 'string')
    t.notMatch(first.nextCursor, /m5/, 'opaque: not the name itself')
    const second = (await app.inject(`/v1/instance-types?family=m5&limit=4&cursor=${first.nextCursor}`)).json()
    t.same(second.items.map((i: { name: string }) => i.name), ['m5.8xlarge', 'm5.12xlarge', 'm5.16xlarge', 'm5.24xlarge'])
    const last = (await app.inject(`/v1/instance-types?family=m5&limit=4&cursor=${second.nextCursor}`)).json()
    t.same(last.items.map((i: { name: string }) => i.name), ['m5.metal'])
    t.equal(last.nextCursor, null, 'the last page says so')

    for (const [q, field] of [
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['limit=abc', 'limit'],
      ['cursor=not-a-cursor', 'cursor'],
      ['cursor=%2F%2F', 'cursor'],
      [`cursor=${Buffer.from('after:M5 LARGE').toString('base64url')}`, 'cursor'],
      [`cursor=${'a'.repeat(300)}`, 'cursor'],
    ]) {
      const res = await app.inject(`/v1/instance-types?${q}`)
      t.equal(res.statusCode, 400, q!)
      t.equal(res.json().field, field, q!)
    }
    t.match((await app.inject('/v1/instance-types?cursor=bm9wZQ')).json().message, /cursor must be the nextCursor of an earlier page/)
  })

  t.test('filters as Karpenter requirements, in JSON and CSV alike', async (t) => {
    const items = async (q: string) => (await app.inject(`/v1/instance-types?limit=500&${q}`)).json().items as Array<Record<string, unknown> & { name: string }>
    const arm = await items('arch=arm64&category=c,m&generation=7&bareMetal=false')
    t.ok(arm.length > 10)
    t.ok(arm.every((i) => i.arch === 'arm64' && /^[cm][7-9]/.test(i.name) && i.bareMetal === false), 'arm64, c or m, generation ≥ 7, no metal')
    t.ok(arm.some((i) => i.name === 'c7g.large') && !arm.some((i) => i.name === 'c6g.large'))
    const big = await items('minVcpu=96&minMemoryMiB=786432&family=m7i')
    t.same(big.map((i) => i.name), ['m7i.48xlarge', 'm7i.metal-48xl'])
    const burst = await items('burstable=true&arch=amd64')
    t.ok(burst.length > 0 && burst.every((i) => /^t/.test(i.name) && i.arch === 'amd64'))
    t.notOk((await items('burstable=false&family=t3')).length, 'burstable=false leaves no t3')
    const metal = await items('bareMetal=true&family=m5')
    t.same(metal.map((i) => i.name), ['m5.metal'])
    const csv = await app.inject('/v1/instance-types?format=csv&arch=arm64&category=c&generation=7&bareMetal=false')
    const csvNames = csv.body.trimEnd().split('\r\n').slice(1).map((l) => l.split(',')[0])
    t.same(csvNames, (await items('arch=arm64&category=c&generation=7&bareMetal=false')).map((i) => i.name), 'CSV has the same rows')
    for (const [q, field] of [
      ['arch=sparc', 'arch'],
      ['category=C5', 'category'],
      ['generation=0', 'generation'],
      ['burstable=maybe', 'burstable'],
      ['minVcpu=-1', 'minVcpu'],
      ['minMemoryMiB=1e9', 'minMemoryMiB'],
      ['bareMetal=2', 'bareMetal'],
    ]) {
      const res = await app.inject(`/v1/instance-types?${q}`)
      t.equal(res.statusCode, 400, q!)
      t.equal(res.json().field, field, q!)
      t.match(res.json().message, new RegExp(`^${field}`), 'the message starts with the field')
    }
  })

  t.test('an unknown family is a 404 naming it, with the nearest families', async (t) => {
    const res = await app.inject('/v1/instance-types?family=m7ii')
    t.equal(res.statusCode, 404)
    t.equal(res.json().field, 'family')
    t.match(res.json().message, /unknown instance family "m7ii" in catalog version \d+; did you mean m7i, /)
    const far = await app.inject('/v1/instance-types?family=zzzzzz9')
    t.equal(far.statusCode, 404)
    t.match(far.json().message, /the families are a1, /, 'nothing near: the families, not a guess')
    const known = await app.inject('/v1/instance-types?family=m7i&arch=arm64')
    t.same([known.statusCode, known.json().items], [200, []], 'a known family that the filters empty is an empty list')
  })

  t.test('CSV for spreadsheets', async (t) => {
    const res = await app.inject('/v1/instance-types?family=t3&format=csv')
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^text\/csv; charset=utf-8/)
    const lines = res.body.split('\r\n')
    t.equal(lines.at(-1), '', 'every record ends with CRLF')
    const header = lines[0]!.split(',')
    t.equal(header[0], 'name')
    t.ok(header.includes('price_usd_per_hour'))
    t.ok(header.includes('max_pods_prefix_delegation'))
    const micro = lines.find((l) => l.startsWith('t3.micro,'))!.split(',')
    t.equal(micro[header.indexOf('max_pods_secondary_ip')], '4')
    t.equal(micro[header.indexOf('price_usd_per_hour')], '0.0104', 'plain numbers, no currency sign')
    const viaAccept = await app.inject({ url: '/v1/instance-types?family=t3', headers: { accept: 'text/csv' } })
    t.equal(viaAccept.body, res.body, 'Accept: text/csv gives the same CSV')
  })

  t.test('max pods: the DOMAIN.md worked examples over HTTP', async (t) => {
    const cases: Array<[string, string, Record<string, unknown>]> = [
      ['m5.large', 'secondary-ip', { maxPods: 29, recommendedMaxPods: 29, podsForWorkloads: 27 }],
      ['m5.large', 'prefix-delegation', { maxPods: 434, recommendedMaxPods: 110, podsForWorkloads: 108 }],
      ['m5.large', 'custom-networking', { maxPods: 20, recommendedMaxPods: 20 }],
      ['t3.micro', 'secondary-ip', { maxPods: 4, podsForWorkloads: 2 }],
      ['t3.micro', 'prefix-delegation', { maxPods: 34, recommendedMaxPods: 34 }],
      ['c5.18xlarge', 'secondary-ip', { maxPods: 737, recommendedMaxPods: 250 }],
      ['m5.metal', 'prefix-delegation', { supported: true, recommendedMaxPods: 250 }],
      ['p5.48xlarge', 'secondary-ip', { maxPods: 100 }],
      ['p5.48xlarge', 'custom-networking', { maxPods: 51 }],
      ['t3.micro', 'security-groups-for-pods', { supported: false, maxPods: null }],
    ]
    for (const [type, mode, expected] of cases) {
      const res = await app.inject(`/v1/instance-types/${type}/max-pods?mode=${mode}`)
      t.equal(res.statusCode, 200, `${type} ${mode}`)
      t.match(res.json(), { instanceType: type, mode, ...expected }, `${type} ${mode}`)
      t.ok(res.json().references.length > 0, 'every answer carries its sources')
      if (res.json().supported) t.match(res.json().formula, /=/, 'and the arithmetic')
      else t.ok(res.json().reason, 'an unsupported mode says why')
    }
    const ds = await app.inject('/v1/instance-types/m5.large/max-pods?daemonSetsPerNode=3&maxPodsCap=20')
    t.match(ds.json(), { maxPods: 29, recommendedMaxPods: 20, podsForWorkloads: 15 })
  })

  t.test('max pods: bad input is a 400 naming the field', async (t) => {
    const bad: Array<[string, string]> = [
      ['mode=turbo', 'mode'],
      ['daemonSetsPerNode=-1', 'daemonSetsPerNode'],
      ['daemonSetsPerNode=1.5', 'daemonSetsPerNode'],
      ['maxPodsCap=0', 'maxPodsCap'],
      ['maxPodsCap=abc', 'maxPodsCap'],
      ['pods=3', 'pods'],
    ]
    for (const [q, field] of bad) {
      const res = await app.inject(`/v1/instance-types/m5.large/max-pods?${q}`)
      t.equal(res.statusCode, 400, q)
      t.equal(res.json().field, field, q)
      t.match(res.json().message, new RegExp(field), q)
    }
    const unknown = await app.inject('/v1/instance-types/zz9.huge/max-pods')
    t.equal(unknown.statusCode, 404)
  })

  const table = sharedTable('eni-max-pods.tsv')
  t.test('every row of eni-max-pods.tsv over HTTP', { skip: 'skip' in table ? table.skip : false }, async (t) => {
    if ('skip' in table) return
    let mismatches = 0
    for (const row of table.rows) {
      // AWS's table lists Mac types too; they cannot be EKS nodes, so the service says so instead (density tests).
      if (row.instance_type?.startsWith('mac')) continue
      const res = await app.inject(`/v1/instance-types/${row.instance_type}/max-pods`)
      if (res.statusCode !== 200 || res.json().maxPods !== Number(row.max_pods)) {
        mismatches++
        t.fail(`${row.instance_type}: AWS publishes ${row.max_pods}, the service says ${res.statusCode} ${res.json().maxPods}`)
      }
    }
    t.equal(mismatches, 0, `all ${table.rows.length} published values but the Mac ones match`)
  })
})
