// Where a profiled service's CPU went: reads a V8 .cpuprofile (node --cpu-prof, as `BENCH_CPU_PROF=<dir>
// npm run bench` writes it) and prints, for each bench row that loaded the service (bench-windows.json
// beside the profile, when there), the share of time by category, by module and by function.
//
//   node dist/bench/profile-summary.js <dir or .cpuprofile> [--top N]
//
// A sample's category is the first frame from the leaf up that a CATEGORIES rule claims; frames of
// V8 builtins and Node's own JavaScript are passed over until one is claimed, so JSON.stringify inside an
// answer counts as serialisation and a sort inside the scoring as scoring. Self time is per leaf frame;
// total time counts a function once per sample it is anywhere on the stack of.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { ROOT } from '../src/paths.js'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}
interface Window {
  name: string
  from: number
  to: number
}

/** Where a frame's code lives: a path in this repository, a package, Node's own, or V8's. */
export function moduleOf(f: CallFrame): string {
  const url = f.url
  if (url === '') return f.functionName.startsWith('(') ? f.functionName : '(V8 builtins and native)'
  if (url.startsWith('node:')) return url
  const path = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url
  const nm = path.lastIndexOf('/node_modules/')
  if (nm >= 0) {
    const parts = path.slice(nm + '/node_modules/'.length).split('/')
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!
  }
  const rel = relative(ROOT, path)
  return rel.startsWith('..') ? path : rel.replace(/^dist\//, '').replace(/\.js$/, '.ts')
}

type Rule = [category: string, claims: (f: CallFrame, module: string) => boolean]

const inSrc = (...dirs: string[]) => (_f: CallFrame, m: string) => dirs.some((d) => m.startsWith(d))
/** In the order they are tried on each frame. */
export const CATEGORIES: Rule[] = [
  ['GC', (f) => f.functionName === '(garbage collector)'],
  ['idle', (f) => f.functionName === '(idle)'],
  // JSON.stringify runs in C++ and is sampled as the self time of its caller: jsonBytes and its helpers in
  // pipeline.ts, or before them jsonAnswer's render closure in cached.ts (anonymous), which does nothing
  // else but call answer() (a frame of its own) and encode.
  [
    'JSON serialisation (JSON.stringify, UTF-8 bytes)',
    (f, m) =>
      (m === '(V8 builtins and native)' && /^(stringify|JSON\.stringify|SerializeJSON|utf8Write|byteLengthUtf8)/.test(f.functionName)) ||
      m === 'node:buffer' ||
      (m === 'src/http/cached.ts' && f.functionName === '') ||
      (m === 'src/answers/pipeline.ts' && ['jsonBytes', 'put', 'putByte', 'putElements', 'bigFirstItem'].includes(f.functionName)),
  ],
  ['CSV rendering', inSrc('src/http/csv.ts')],
  ['answer cache (keys, lookups, keeping, eviction, size estimates)', inSrc('src/answers/cache.ts', 'src/answers/pipeline.ts', 'src/http/cached.ts')],
  ['scoring (recommendation engine)', inSrc('src/domain/scoring', 'src/domain/cni-options.ts', 'src/answers/recommendation.ts')],
  ['configuration to apply (a recommendation\'s settings and YAML)', inSrc('src/domain/configuration.ts')],
  ['max-pods computation (density)', inSrc('src/domain/density.ts')],
  ['capacity plan and VPC addresses', inSrc('src/domain/capacity.ts', 'src/domain/vpc-ips.ts', 'src/domain/cidr.ts')],
  ['parsing the question (field tables)', inSrc('src/domain/fields.ts', 'src/domain/requirements.ts', 'src/http/input.ts', 'src/http/json-body.ts')],
  ['answers (answers.ts: views, stamps, plans)', inSrc('src/answers/')],
  ['GraphQL (mercurius, graphql-js, graphql-jit)', (_f, m) => ['mercurius', 'graphql', 'graphql-jit', 'tiny-lru', 'mqemitter', 'single-user-cache', 'src/graphql/plugin.ts'].some((p) => m === p) || m.startsWith('src/graphql/')],
  ['fastify and validation (routing, hooks, ajv, reply)', (_f, m) => ['fastify', 'find-my-way', 'avvio', 'ajv', 'fast-uri', 'light-my-request', 'fast-querystring', 'secure-json-parse', 'fast-json-stringify', '@fastify/error', 'pino', 'abstract-logging', 'fastify-plugin', '@fastify/cors', 'toad-cache', 'fast-decode-uri-component', 'process-warning'].includes(m)],
  ['service HTTP layer (hooks: security, rate limit, metrics)', inSrc('src/http/', 'src/app.ts')],
  ['Node HTTP and sockets', (_f, m) => /^node:(_http|http|net|stream|internal\/(http|stream|streams|net|js_stream))/.test(m)],
]

/** Classifies each profile node once: the category of the first frame from it up to the root that a rule claims. */
function classify(p: Profile): { categoryOf: Map<number, string>; parent: Map<number, number> } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const categoryOf = new Map<number, string>()
  const own = (n: ProfileNode): string | null => {
    const m = moduleOf(n.callFrame)
    for (const [name, claims] of CATEGORIES) if (claims(n.callFrame, m)) return name
    return null
  }
  const resolve = (id: number): string => {
    const known = categoryOf.get(id)
    if (known !== undefined) return known
    const n = byId.get(id)!
    const mine = own(n)
    const up = parent.get(id)
    const c = mine ?? (up === undefined ? 'other (program, start-up, timers)' : resolve(up))
    categoryOf.set(id, c)
    return c
  }
  for (const n of p.nodes) resolve(n.id)
  return { categoryOf, parent }
}

const frameName = (f: CallFrame): string => `${f.functionName || '(anonymous)'} ${moduleOf(f)}${f.url ? `:${f.lineNumber + 1}` : ''}`

export function summarise(p: Profile, windows: Window[] | null, top: number): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const { categoryOf, parent } = classify(p)
  // Each sample's time: V8 gives the delta before each sample; the sample's own time is the next delta.
  const times: number[] = []
  let t = p.startTime
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0
    times.push(t)
  }
  const groups = windows && windows.length > 0 ? [...new Set(windows.map((w) => w.name))] : ['whole profile']
  const out: string[] = []
  for (const group of groups) {
    const mine = windows ? windows.filter((w) => w.name === group) : null
    const cat = new Map<string, number>()
    const mod = new Map<string, number>()
    const self = new Map<string, number>()
    const total = new Map<string, number>()
    let all = 0
    for (let i = 0; i < p.samples.length; i++) {
      const at = times[i]!
      if (mine && !mine.some((w) => at >= w.from && at <= w.to)) continue
      const dt = (times[i + 1] ?? at) - at
      const id = p.samples[i]!
      const leaf = byId.get(id)!
      if (leaf.callFrame.functionName === '(idle)') continue // time the service waited: not an answer's cost
      all += dt
      const c = categoryOf.get(id)!
      cat.set(c, (cat.get(c) ?? 0) + dt)
      const m = moduleOf(leaf.callFrame)
      mod.set(m, (mod.get(m) ?? 0) + dt)
      const name = frameName(leaf.callFrame)
      self.set(name, (self.get(name) ?? 0) + dt)
      const seen = new Set<string>()
      for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
        const f = frameName(byId.get(n)!.callFrame)
        if (seen.has(f)) continue
        seen.add(f)
        total.set(f, (total.get(f) ?? 0) + dt)
      }
    }
    const pct = (x: number): string => `${((100 * x) / Math.max(1, all)).toFixed(1)} %`
    const rows = (m: Map<string, number>, n: number): string[] =>
      [...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([k, v]) => `| ${k.replace(/\|/g, '\\|')} | ${pct(v)} |`)
    out.push(
      `## ${group}`,
      '',
      `${(all / 1000).toFixed(0)} ms of CPU sampled (idle left out)${mine ? ` over ${mine.length} measured round(s)` : ''}.`,
      '',
      '| category | share |',
      '|---|---|',
      ...rows(cat, 100),
      '',
      '| module (self time) | share |',
      '|---|---|',
      ...rows(mod, top),
      '',
      '| function (self time) | share |',
      '|---|---|',
      ...rows(self, top),
      '',
      '| function (total time: on the stack) | share |',
      '|---|---|',
      ...rows(total, top),
      '',
    )
  }
  return out.join('\n')
}

function main(): void {
  const args = process.argv.slice(2)
  const topAt = args.indexOf('--top')
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 25
  const target = args.find((a, i) => !a.startsWith('--') && (topAt < 0 || i !== topAt + 1))
  if (!target) {
    console.error('usage: node dist/bench/profile-summary.js <dir with a .cpuprofile, or the file> [--top N]')
    process.exit(2)
  }
  let file = target
  let windows: Window[] | null = null
  if (statSync(target).isDirectory()) {
    const profiles = readdirSync(target).filter((f) => f.endsWith('.cpuprofile'))
    if (profiles.length === 0) throw new Error(`no .cpuprofile in ${target}`)
    // The largest: the service's (the bench's own processes do not write one).
    file = join(target, profiles.sort((a, b) => statSync(join(target, b)).size - statSync(join(target, a)).size)[0]!)
    try {
      windows = JSON.parse(readFileSync(join(target, 'bench-windows.json'), 'utf8')) as Window[]
    } catch {
      windows = null
    }
  }
  console.log(summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, windows, top))
}

main()
