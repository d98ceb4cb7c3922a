import t, { type Test } from 'tap'
import { parseRequirements } from '../../src/answers/inputs.js'
import { normaliseText, parseCommand, tokenise, type SlackCommand } from '../../src/slack/commands.js'

const defaults = parseRequirements({}, { textual: true })

function ok<K extends SlackCommand['kind']>(t: Test, cmd: SlackCommand, kind: K): Extract<SlackCommand, { kind: K }> {
  t.equal(cmd.kind, kind, `parsed as ${kind}${cmd.kind === 'usage' ? `: ${cmd.message}` : ''}`)
  return cmd as Extract<SlackCommand, { kind: K }>
}

t.test('tokeniser', async (t) => {
  t.same(tokenise('recommend pods=60'), [
    { key: null, typedKey: null, value: 'recommend' },
    { key: 'pods', typedKey: 'pods', value: '60' },
  ])
  t.same(tokenise('  Recommend   PodsPerNode=60  '), [
    { key: null, typedKey: null, value: 'recommend' },
    { key: 'podspernode', typedKey: 'PodsPerNode', value: '60' },
  ], 'repeated spaces, case')
  t.same(tokenise('recommend+pods%3D60').map((x) => x.value), ['recommend', '60'], '+ and %-escapes from double encoding')
  t.same(tokenise('instance = m5.large , m6i.large').map((x) => [x.key, x.value]), [['instance', 'm5.large,m6i.large']], 'spaces around = and ,')
  t.same(tokenise('region=“eu-west-1”').map((x) => x.value), ['eu-west-1'], 'smart double quotes')
  t.same(tokenise('region=‘eu-west-1’').map((x) => x.value), ['eu-west-1'], 'smart single quotes')
  t.same(tokenise('instance="m5.large m6i.large"').map((x) => x.value), ['m5.large m6i.large'], 'quotes keep spaces')
  t.same(tokenise('maxpods m5.large prefix–delegation').map((x) => x.value), ['maxpods', 'm5.large', 'prefix-delegation'], 'en dash')
  t.same(tokenise('maxpods m5.large —mode=ipv6').map((x) => [x.key, x.value]), [[null, 'maxpods'], [null, 'm5.large'], ['mode', 'ipv6']], 'em dash flag')
  t.same(tokenise('help\u00a0plan\u200b'), [{ key: null, typedKey: null, value: 'help' }, { key: null, typedKey: null, value: 'plan' }], 'nbsp, zero-width')
  t.same(tokenise('pods_per-node=5').map((x) => x.key), ['podspernode'], 'snake and kebab keys')
  t.same(tokenise(''), [])
  t.same(tokenise('   '), [])
  t.equal(normaliseText('cpu=50%'), 'cpu=50%', 'a lone % is not an escape')
  t.equal(normaliseText('text=%E2%80%9Cm5.large%E2%80%9D'), 'text="m5.large"', 'percent-encoded UTF-8 smart quotes')
})

t.test('recommend: keys, aliases, case', async (t) => {
  const cmd = ok(t, parseCommand('recommend multicast=required encryption=preferred instance=m5.large pods=3000'), 'recommend')
  t.same(cmd.requirements, { ...defaults, multicast: 'required', encryption: 'preferred', instanceTypes: ['m5.large'], podsPerNode: 3000 })
  t.equal(cmd.visibility, 'ephemeral', 'private by default')

  const aliases = ok(
    t,
    parseCommand('REC Total=900 TYPE=M6I.LARGE perf=HIGH ips=4000 ds=3 sg=preferred policy=required flowlogs=preferred region=eu-west-1'),
    'recommend',
  )
  t.match(aliases.requirements, {
    totalPods: 900,
    instanceTypes: ['m6i.large'],
    performance: 'high',
    podIpBudget: 4000,
    daemonSetsPerNode: 3,
    securityGroupsForPods: 'preferred',
    networkPolicy: 'required',
    flowLogs: 'preferred',
    region: 'eu-west-1',
  })
  t.match(ok(t, parseCommand('recommend budget=10 subnets=10.0.0.0/19,10.0.32.0/19 daemonsets=1 sgp=none instances=c5.large'), 'recommend').requirements, {
    podIpBudget: 10,
    podSubnets: ['10.0.0.0/19', '10.0.32.0/19'],
    daemonSetsPerNode: 1,
    securityGroupsForPods: 'none',
    instanceTypes: ['c5.large'],
  })
  t.match(ok(t, parseCommand('recommend securitygroupsforpods=required NETWORKPOLICY=preferred'), 'recommend').requirements, {
    securityGroupsForPods: 'required',
    networkPolicy: 'preferred',
  })
})

t.test('recommend: bare words', async (t) => {
  const cmd = ok(t, parseCommand('recommend multicast policy sg flowlogs encryption portability ipv6 fargate windows m5.xlarge us-west-2'), 'recommend')
  t.match(cmd.requirements, {
    multicast: 'required',
    networkPolicy: 'required',
    securityGroupsForPods: 'required',
    flowLogs: 'required',
    encryption: 'required',
    portability: 'required',
    ipv6: 'required',
    fargate: true,
    windows: true,
    instanceTypes: ['m5.xlarge'],
    region: 'us-west-2',
  })
  t.same(ok(t, parseCommand('recommend'), 'recommend').requirements, defaults, 'no requirements: all defaults')
})

t.test('duplicates', async (t) => {
  t.same(ok(t, parseCommand('recommend instance=m5.large type=m6i.large c5.large'), 'recommend').requirements.instanceTypes, ['m5.large', 'm6i.large', 'c5.large'], 'lists add up')
  t.equal(ok(t, parseCommand('recommend pods=60 podsPerNode=60'), 'recommend').requirements.podsPerNode, 60, 'the same value twice is fine')
  const clash = ok(t, parseCommand('recommend pods=60 podsPerNode=70'), 'usage')
  t.equal(clash.field, 'podsPerNode')
  t.match(clash.message, /podsPerNode is given twice \("60" and "70"\)/)
  t.equal(ok(t, parseCommand('recommend multicast multicast=preferred'), 'usage').field, 'multicast', 'a bare need and a different level clash')
  t.equal(ok(t, parseCommand('maxpods m5.large pd mode=ipv6'), 'usage').field, 'mode')
})

t.test('bad values: the shared field table message, naming the field', async (t) => {
  const bad = ok(t, parseCommand('recommend pods=lots'), 'usage')
  t.equal(bad.field, 'podsPerNode')
  t.equal(bad.typedAs, 'pods')
  t.equal(bad.command, 'recommend')
  t.equal(bad.visibility, 'ephemeral')
  // Exactly what REST says for ?podsPerNode=lots
  let rest = ''
  try {
    parseRequirements({ podsPerNode: 'lots' }, { textual: true })
  } catch (err) {
    rest = (err as Error).message
  }
  t.equal(bad.message, rest)
  t.match(ok(t, parseCommand('recommend multicast=maybe'), 'usage'), { field: 'multicast', message: /multicast must be one of required, preferred, none; got "maybe"/, typedAs: null })
  t.match(ok(t, parseCommand('recommend instance=m5'), 'usage'), { field: 'instanceTypes', typedAs: 'instance' })
  t.match(ok(t, parseCommand('recommend colour=red'), 'usage'), { field: 'colour', message: /unknown key "colour" for recommend; the keys are: .*pods/ })
  t.match(ok(t, parseCommand('recommend lots of pods'), 'usage'), { message: /unknown word "lots"/ })
  t.match(ok(t, parseCommand('maxpods m5.large ds=-1'), 'usage'), { field: 'daemonSetsPerNode', typedAs: 'ds', message: /daemonSetsPerNode must be a whole number from 0 to 500/ })
  t.match(ok(t, parseCommand('maxpods m5.large mode=turbo'), 'usage'), { field: 'mode', message: /mode must be one of secondary-ip/ })
  t.match(ok(t, parseCommand('maxpods m5.large turbo'), 'usage'), { message: /unknown word "turbo" after m5.large/ })
  t.match(ok(t, parseCommand('maxpods'), 'usage'), { field: 'instanceType', message: /which instance type/ })
  t.match(ok(t, parseCommand('maxpods large'), 'usage'), { field: 'instanceType', message: /neither an instance type/ })
  t.match(ok(t, parseCommand('maxpods type=m5'), 'usage'), { field: 'instanceType', message: /instanceType must be an EC2 instance type name/ })
  t.match(ok(t, parseCommand('plan total=0'), 'usage'), { field: 'totalPods', typedAs: 'total' })
  t.match(ok(t, parseCommand('plan total=10 cpu=lots'), 'usage'), { field: 'podCpu', typedAs: 'cpu', message: /podCpu must be a number/ })
  t.match(ok(t, parseCommand('plan total=10 gpu=1'), 'usage'), { field: 'gpu', message: /unknown key "gpu" for plan/ })
  t.match(ok(t, parseCommand('plan total=10 please'), 'usage'), { message: /unknown word "please"/ })
})

t.test('unknown commands and help', async (t) => {
  t.match(ok(t, parseCommand('deploy calico'), 'usage'), { command: null, message: /unknown command "deploy"; the commands are recommend, maxpods, plan and help/ })
  t.match(ok(t, parseCommand('pods=3'), 'usage'), { command: null, message: /unknown command "pods=3"/ })
  t.same(parseCommand(''), { kind: 'help', visibility: 'ephemeral', topic: null }, 'empty text is help')
  t.same(parseCommand(undefined), { kind: 'help', visibility: 'ephemeral', topic: null })
  t.same(parseCommand('public'), { kind: 'help', visibility: 'in_channel', topic: null })
  t.same(parseCommand('HELP plan'), { kind: 'help', visibility: 'ephemeral', topic: 'plan' })
  t.same(parseCommand('help max-pods'), { kind: 'help', visibility: 'ephemeral', topic: 'maxpods' })
  t.same(parseCommand('?'), { kind: 'help', visibility: 'ephemeral', topic: null })
  t.same(parseCommand('help nonsense'), { kind: 'help', visibility: 'ephemeral', topic: null })
})

t.test('visibility', async (t) => {
  t.equal(parseCommand('recommend public').visibility, 'in_channel')
  t.equal(parseCommand('public recommend').visibility, 'in_channel')
  t.equal(parseCommand('recommend in_channel').visibility, 'in_channel')
  t.equal(parseCommand('maxpods m5.large visibility=channel').visibility, 'in_channel')
  t.equal(parseCommand('maxpods m5.large visibility=ephemeral').visibility, 'ephemeral')
  t.equal(parseCommand('plan total=5 public private').visibility, 'ephemeral', 'the last word wins')
  t.match(parseCommand('recommend visibility=everyone'), { kind: 'usage', field: 'visibility', visibility: 'ephemeral' })
  t.equal(parseCommand('recommend pods=lots public').visibility, 'ephemeral', 'errors are always private')
})

t.test('maxpods', async (t) => {
  t.same(ok(t, parseCommand('maxpods m5.large'), 'maxpods'), {
    kind: 'maxpods',
    visibility: 'ephemeral',
    instanceType: 'm5.large',
    query: { mode: 'secondary-ip', daemonSetsPerNode: 0, maxPodsCap: null, os: 'linux' },
  })
  t.same(ok(t, parseCommand('MaxPods M5.Large Prefix-Delegation ds=3 cap=50'), 'maxpods').query, { mode: 'prefix-delegation', daemonSetsPerNode: 3, maxPodsCap: 50, os: 'linux' })
  t.equal(ok(t, parseCommand('maxpods m5.large os=windows'), 'maxpods').query.os, 'windows', 'Windows nodes')
  t.equal(ok(t, parseCommand('maxpods m5.large custom-pd'), 'maxpods').query.mode, 'custom-networking-prefix-delegation', 'the new mode, by its short word')
  t.equal(ok(t, parseCommand('max-pods m5.large pd'), 'maxpods').query.mode, 'prefix-delegation', 'mode alias')
  t.equal(ok(t, parseCommand('maxpods prefix m5.large'), 'maxpods').instanceType, 'm5.large', 'mode before the type')
  t.equal(ok(t, parseCommand('maxpods type=c5.xlarge mode=sgp'), 'maxpods').query.mode, 'security-groups-for-pods')
  t.equal(ok(t, parseCommand('maxpods m5.large daemonSetsPerNode=2 maxPodsCap=100'), 'maxpods').query.maxPodsCap, 100)
})

t.test('plan', async (t) => {
  const p = ok(t, parseCommand('plan total=3000 cpu=0.25 mem=512 mode=pd family=m6i region=eu-west-1'), 'plan')
  t.match(p.query, { totalPods: 3000, podCpu: 0.25, podMemoryMiB: 512, mode: 'prefix-delegation', family: 'm6i', region: 'eu-west-1', instanceTypes: null })
  t.match(ok(t, parseCommand('plan 500 cpu=250m mem=1Gi instance=m5.large,m5.xlarge overlay'), 'plan').query, {
    totalPods: 500,
    podCpu: 0.25,
    podMemoryMiB: 1024,
    mode: 'overlay',
    instanceTypes: ['m5.large', 'm5.xlarge'],
  })
  t.match(ok(t, parseCommand('plan pods=10 memory=256Mi m5.large c5.large'), 'plan').query, { totalPods: 10, podMemoryMiB: 256, instanceTypes: ['m5.large', 'c5.large'] })
  t.equal(ok(t, parseCommand('plan'), 'plan').query.totalPods, null, 'the answer says totalPods is required, as REST does')
})

t.test('plan: filters, modes and podsPerNode, with short keys and bare words', async (t) => {
  t.match(ok(t, parseCommand('plan total=3000 arch=arm64 category=c,m gen=7 burstable=false vcpu=4 minmem=16Gi metal=false'), 'plan').query, {
    totalPods: 3000,
    arch: 'arm64',
    category: ['c', 'm'],
    generation: 7,
    burstable: false,
    minVcpu: 4,
    minMemoryMiB: 16384,
    bareMetal: false,
  })
  t.match(ok(t, parseCommand('plan 3000 graviton'), 'plan').query, { arch: 'arm64' }, 'a bare graviton is arm64')
  t.match(ok(t, parseCommand('plan 3000 AMD64'), 'plan').query, { arch: 'amd64' })
  t.match(ok(t, parseCommand('plan 3000 arch=x86'), 'plan').query, { arch: 'amd64' })
  t.match(ok(t, parseCommand('plan 3000 modes=secondary,pd modes=sgp pernode=60'), 'plan').query, {
    modes: ['secondary-ip', 'prefix-delegation', 'security-groups-for-pods'],
    podsPerNode: 60,
    mode: null,
  }, 'modes take the short words and add up; pernode is podsPerNode')
  t.match(ok(t, parseCommand('plan 3000 cat=c cat=r density=30'), 'plan').query, { category: ['c', 'r'], podsPerNode: 30 })
  t.match(ok(t, parseCommand('plan total=10 arch=sparc'), 'usage'), { field: 'arch', message: /arch must be one of amd64, arm64, any; got "sparc"/ })
  t.match(ok(t, parseCommand('plan total=10 gen=0'), 'usage'), { field: 'generation', typedAs: 'gen', message: /generation must be a whole number from 1 to 99/ })
  t.match(ok(t, parseCommand('plan total=10 modes=pd,warp'), 'usage'), { field: 'modes', message: /modes\[1\] must be a mode/ })
  t.match(ok(t, parseCommand('plan total=10 metal=perhaps'), 'usage'), { field: 'bareMetal', typedAs: 'metal', message: /bareMetal must be true or false/ })
})

t.test('never throws on odd text', async (t) => {
  for (const text of ['=', '==', '"', "'unterminated", 'recommend =x', '%', '%E2%80', '+++', 'recommend pods=', '\u0000', 'recommend ' + 'x'.repeat(5000)]) {
    t.doesNotThrow(() => parseCommand(text), JSON.stringify(text.slice(0, 20)))
  }
  t.equal(parseCommand('recommend pods=').kind, 'recommend', 'an empty value is the default, as in a query string')
})
