// The Dockerfile and docker-compose.yml, checked without a Docker engine: a small Dockerfile line parser
// and the compose file through `yaml`, both held against the repository and src/config.ts.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { loadConfig } from '../../src/config.js'
import { ROOT } from '../../src/paths.js'
import { buildTestApp } from '../helper.js'

interface Instruction {
  keyword: string
  args: string
  line: number
}

interface Stage {
  image: string
  name: string | null
  instructions: Instruction[]
}

const KNOWN = new Set([
  'FROM', 'RUN', 'CMD', 'LABEL', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME', 'USER', 'WORKDIR',
  'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL',
])

/** Instructions with their line numbers; comments, blank lines and `\` continuations handled. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const start = i
    let line = lines[i]!
    if (/^\s*(#|$)/.test(line)) continue
    // A continued instruction goes on past comment lines (Docker drops them) to the next real line.
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      line = line.replace(/\\\s*$/, ' ')
      do i++
      while (i + 1 < lines.length && /^\s*#/.test(lines[i]!))
      line += lines[i]!.trim()
    }
    const m = /^\s*(\S+)\s*(.*)$/.exec(line)!
    out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start + 1 })
  }
  return out
}

function stagesOf(instructions: Instruction[]): Stage[] {
  const stages: Stage[] = []
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args)
      if (!m) throw new Error(`line ${ins.line}: cannot read FROM ${ins.args}`)
      stages.push({ image: m[1]!, name: m[2] ?? null, instructions: [] })
    } else {
      if (!stages.length && ins.keyword !== 'ARG') throw new Error(`line ${ins.line}: ${ins.keyword} before FROM`)
      stages.at(-1)?.instructions.push(ins)
    }
  }
  return stages
}

/** `--flag=value` options, then the rest of the words. */
function words(args: string): { flags: Record<string, string>; rest: string[] } {
  const flags: Record<string, string> = {}
  const parts = args.split(/\s+/)
  while (parts[0]?.startsWith('--')) {
    const [k, v] = parts.shift()!.slice(2).split('=')
    flags[k!] = v ?? ''
  }
  return { flags, rest: parts }
}

function execForm(args: string): string[] | null {
  try {
    const v = JSON.parse(args) as unknown
    return Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : null
  } catch {
    return null
  }
}

/** The environment variables loadConfig reads (it touches every one of them when they are absent). */
function configNames(): Set<string> {
  const names = new Set<string>()
  loadConfig(
    new Proxy({} as NodeJS.ProcessEnv, {
      get(_t, key) {
        if (typeof key === 'string') names.add(key)
        return undefined
      },
    }),
  )
  return names
}
const CONFIG_NAMES = configNames()
// Read by the app (its config), by the AWS SDK, by Node, or by the C library under node (glibc's malloc tunables).
const envNameKnown = (name: string) => CONFIG_NAMES.has(name) || /^AWS_[A-Z0-9_]+$/.test(name) || name === 'NODE_ENV' || /^MALLOC_[A-Z_]+$/.test(name)
const defaults = loadConfig({})

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
const instructions = parseDockerfile(dockerfile)
const stages = stagesOf(instructions)
const final = stages.at(-1)!
const inFinal = (keyword: string) => final.instructions.filter((i) => i.keyword === keyword)

t.test('the Dockerfile parser', async (t) => {
  const parsed = parseDockerfile('# c\nFROM a AS b\n\nRUN x \\\n  # inside\n  y\nCMD ["z"]\n')
  t.same(
    parsed.map((i) => [i.keyword, i.args, i.line]),
    [
      ['FROM', 'a AS b', 2],
      ['RUN', 'x  y', 4],
      ['CMD', '["z"]', 7],
    ],
  )
  t.throws(() => stagesOf(parseDockerfile('RUN x\nFROM y')), /RUN before FROM/)
})

t.test('Dockerfile: known instructions, named stages, production dependencies only', async (t) => {
  for (const i of instructions) t.ok(KNOWN.has(i.keyword), `line ${i.line}: ${i.keyword} is an instruction`)
  t.ok(stages.length >= 2, 'multi-stage')
  const names = stages.map((s) => s.name)
  t.ok(names.every((n) => n !== null), 'every stage is named')
  t.equal(new Set(names).size, names.length, 'stage names are unique')
  // Node.js 20 reached end of life on 2026-04-30 (https://github.com/nodejs/Release#release-schedule): the image
  // runs a maintained LTS line that package.json's engines allow (>=22), the same one in every stage.
  for (const s of stages) t.match(s.image, /^node:22[\w.-]*$/, `${s.name} is based on Node.js 22 (LTS)`)

  // node_modules of the final image come from a stage that installed production dependencies only.
  const modules = inFinal('COPY').find((c) => /\bnode_modules\b/.test(c.args))
  const from = modules ? words(modules.args).flags.from : undefined
  t.ok(from, 'node_modules are copied from another stage')
  const source = stages.find((s) => s.name === from)
  t.ok(source?.instructions.some((i) => i.keyword === 'RUN' && /npm ci\b.*--omit=dev/.test(i.args)), `${from} runs npm ci --omit=dev`)
  t.notOk(final.instructions.some((i) => i.keyword === 'RUN' && /npm (ci|install)\b(?!.*--omit=dev)/.test(i.args)), 'no dev install in the final stage')
})

t.test('Dockerfile: every COPY source exists, --from names an earlier stage', async (t) => {
  const seen: string[] = []
  for (const s of stages) {
    for (const c of s.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) {
      const { flags, rest } = words(c.args)
      const sources = rest.slice(0, -1)
      t.ok(sources.length >= 1, `line ${c.line}: a source and a destination`)
      if (flags.from) {
        t.ok(seen.includes(flags.from), `line ${c.line}: --from=${flags.from} is an earlier stage`)
        continue
      }
      for (const src of sources) t.ok(existsSync(join(ROOT, src)), `line ${c.line}: ${src} exists in the repository`)
    }
    if (s.name) seen.push(s.name)
  }
})

t.test('Dockerfile: non-root, exec-form CMD, PORT and EXPOSE agree, HEALTHCHECK on /healthz', async (t) => {
  const app = await buildTestApp(t)
  const user = inFinal('USER').at(-1)
  t.ok(user, 'the final stage sets USER')
  const [name] = user!.args.split(':')
  t.notOk(['root', '0'].includes(name!), `USER ${user!.args} is not root`)
  t.match(name, /^[1-9]\d*$/, 'numeric, so Kubernetes runAsNonRoot can verify it')

  const cmd = inFinal('CMD').at(-1)
  const argv = cmd ? execForm(cmd.args) : null
  t.same(argv, ['node', 'dist/src/server.js'], 'CMD in exec form: node is PID 1 and receives SIGTERM')
  t.ok(existsSync(join(ROOT, 'src', 'server.ts')), 'dist/src/server.js is built from src/server.ts')
  t.equal(inFinal('ENTRYPOINT').length, 0, 'no shell entrypoint in front of node')
  t.match(readFileSync(join(ROOT, 'src', 'server.ts'), 'utf8'), /closeWithGrace/, 'the app handles SIGTERM')

  const env = new Map<string, string>()
  for (const e of inFinal('ENV')) for (const m of e.args.matchAll(/(\w+)=(\S+)/g)) env.set(m[1]!, m[2]!)
  for (const k of env.keys()) t.ok(envNameKnown(k), `ENV ${k} is read by the app, the SDK, Node or glibc`)
  t.equal(env.get('HOST'), '0.0.0.0', 'listens on all interfaces in the container')
  const port = Number(env.get('PORT') ?? defaults.port)
  t.equal(port, defaults.port, 'PORT is the default')
  t.same(inFinal('EXPOSE').flatMap((e) => e.args.split(/\s+/)).map((p) => Number(p.split('/')[0])), [port], 'EXPOSE is PORT')

  const hc = inFinal('HEALTHCHECK')
  t.equal(hc.length, 1, 'one HEALTHCHECK')
  const hcCmd = /\bCMD\s+(.*)$/.exec(hc[0]!.args)?.[1] ?? ''
  const hcArgv = execForm(hcCmd)
  t.ok(hcArgv, 'HEALTHCHECK CMD in exec form (no shell in between)')
  const path = /\/[a-z]+z\b/.exec(hcCmd)?.[0]
  t.equal(path, '/healthz')
  t.ok(app.hasRoute({ method: 'GET', url: path! }), `${path} is a route of the app`)
})

/** Parsed YAML, untyped. */
type Obj = Record<string, any>
const compose = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as Obj

/** Compose interpolation of `${VAR:-default}` with an empty shell environment. */
const interpolate = (v: unknown) => String(v).replace(/\$\{\w+(?::?-([^}]*))?\}/g, (_m, d: string | undefined) => d ?? '')

t.test('docker-compose.yml: PostgreSQL, two API replicas, a front, all with healthchecks', async (t) => {
  const services = compose.services as Obj
  t.same(Object.keys(services).sort(), ['api', 'front', 'postgres'])
  for (const [name, s] of Object.entries(services)) {
    const test = s.healthcheck?.test
    t.ok(Array.isArray(test) && ['CMD', 'CMD-SHELL'].includes(test[0]) && test.length >= 2, `${name} has a healthcheck`)
  }
  for (const [name, s] of Object.entries(services)) {
    for (const [dep, cond] of Object.entries((s.depends_on ?? {}) as Obj)) {
      t.ok(services[dep], `${name} depends on the service ${dep}`)
      t.equal(cond.condition, 'service_healthy', `${name} waits for ${dep} to be healthy`)
    }
  }
  t.match(services.postgres.image, /^postgres:\d+/)
})

t.test('docker-compose.yml: the API service matches the Dockerfile and src/config.ts', async (t) => {
  const app = await buildTestApp(t)
  const { api, postgres, front } = compose.services as Obj
  t.equal(api.build, '.', 'built from the Dockerfile at the root')
  t.ok(api.deploy?.replicas >= 2, 'two or more replicas')
  t.notOk(api.ports, 'replicas publish no host port (they would clash); the front does')

  const env = Object.fromEntries(Object.entries(api.environment as Obj).map(([k, v]) => [k, interpolate(v)]))
  for (const k of Object.keys(env)) t.ok(envNameKnown(k), `${k} is read by src/config.ts`)
  const config = loadConfig(env)
  t.equal(config.host, '0.0.0.0')
  t.equal(config.port, defaults.port)

  const db = new URL(config.databaseUrl!)
  t.equal(db.hostname, 'postgres', 'DATABASE_URL names the postgres service')
  t.equal(db.username, postgres.environment.POSTGRES_USER)
  t.equal(decodeURIComponent(db.password), postgres.environment.POSTGRES_PASSWORD)
  t.equal(db.pathname, `/${postgres.environment.POSTGRES_DB}`)

  t.type(config.metrics, 'number', 'metrics on their own port')
  t.ok(api.expose.map(String).includes(String(config.metrics)), 'the metrics port is exposed on the network')
  t.ok(api.expose.map(String).includes(String(config.port)))

  const hc = (api.healthcheck.test as string[]).join(' ')
  const url = /http:\/\/127\.0\.0\.1:(\d+)(\/\w+)/.exec(hc)
  t.equal(Number(url?.[1]), config.port, 'the healthcheck calls PORT')
  t.equal(url?.[2], '/readyz', 'healthy = ready')
  t.ok(app.hasRoute({ method: 'GET', url: url![2]! }), `${url![2]} is a route of the app`)

  // The front: official nginx, the only published port, proxying to every replica.
  t.match(front.image, /^nginx:[\w.-]+$/, 'the official nginx image')
  const [published, target] = String(front.ports[0]).split(':')
  t.equal(Number(published), defaults.port, 'the front is published on the usual port')
  const conf = compose.configs[front.configs[0].source].content as string
  t.match(conf, new RegExp(`listen ${target};`), 'nginx listens on the published target port')
  t.match(conf, new RegExp(`server api:${config.port}\\b`), 'nginx proxies to the api service on PORT')
  t.notOk(/\$(?!\$)/.test(conf.replace(/\$\$/g, '')), 'no $ that compose would interpolate')
  t.match(conf, /proxy_set_header X-Forwarded-For \$\$remote_addr;/, 'the front names the client, replacing what the client sent')
  t.equal(config.trustProxy, 1, 'and the replicas trust that one hop')
  t.match(front.healthcheck.test.join(' '), new RegExp(`127\\.0\\.0\\.1:${target}/healthz`))
})
