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
    t.match(res.json().message, /unknown instance type "m5.larg".*did you mean .*m5\.large/)
  })

  t.test('list, family filter, bad filters', async (t) => {
    const all = await app.inject('/v1/instance-types')
    t.ok(all.json().items.length >= 1391)
    const m5 = await app.inject('/v1/instance-types?family=m5')
    t.ok(m5.json().items.every((i: { family: string }) => i.family === 'm5'))
    t.ok(m5.json().items.some((i: { name: string }) => i.name === 'm5.metal'))
    t.match(m5.json().catalog, { version: 1, region: 'us-east-1', stale: false })
    const bad = await app.inject('/v1/instance-types?family=M5;DROP')
    t.equal(bad.statusCode, 400)
    t.equal(bad.json().field, 'family')
    const unknown = await app.inject('/v1/instance-types?colour=red')
    t.equal(unknown.statusCode, 400)
    t.match(unknown.json().message, /unknown field "colour"; the fields are: family, region, format/)
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
