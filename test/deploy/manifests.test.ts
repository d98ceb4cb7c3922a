// deploy/*.yaml: every object validated against the Kubernetes schemas (kubernetes-models), with
// unknown fields refused as the API server's strict field validation would, and checked against the app:
// probe paths are its routes, ports its PORT, env names what src/config.ts reads, the CronJob's command
// a file the build produces.
import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { Namespace } from 'kubernetes-models/v1/Namespace'
import { Service } from 'kubernetes-models/v1/Service'
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount'
import { Deployment } from 'kubernetes-models/apps/v1/Deployment'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler'
import { CronJob } from 'kubernetes-models/batch/v1/CronJob'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget'
import { loadConfig } from '../../src/config.js'
import { ROOT } from '../../src/paths.js'
import { buildTestApp } from '../helper.js'

/** Parsed YAML, untyped. */
type Obj = Record<string, any>

interface ModelClass {
  apiVersion: string
  kind: string
  prototype: { validate(): void }
}

const MODELS: Record<string, ModelClass> = {
  Namespace,
  ServiceAccount,
  Service,
  Deployment,
  HorizontalPodAutoscaler,
  CronJob,
  PodDisruptionBudget,
}

const DEPLOY = join(ROOT, 'deploy')
const files = readdirSync(DEPLOY).filter((f) => /\.ya?ml$/.test(f)).sort()
const objects: Array<{ file: string; obj: Obj }> = []
for (const file of files) {
  for (const doc of parseAllDocuments(readFileSync(join(DEPLOY, file), 'utf8'))) {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`)
    const obj = doc.toJS() as Obj | null
    if (obj) objects.push({ file, obj })
  }
}
const byKind = (kind: string): Obj[] => objects.filter((o) => o.obj.kind === kind).map((o) => o.obj)
const only = (kind: string): Obj => {
  const found = byKind(kind)
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`)
  return found[0]!
}

/** The environment variables loadConfig reads (it touches every one of them when they are absent). */
function configNames(): Set<string> {
  const names = new Set<string>()
  const env = new Proxy({} as NodeJS.ProcessEnv, {
    get(_t, key) {
      if (typeof key === 'string') names.add(key)
      return undefined
    },
  })
  loadConfig(env)
  return names
}
const CONFIG_NAMES = configNames()
/** The AWS SDK reads its own variables (credential chain, endpoints); the contract allows them. */
const envNameKnown = (name: string) => CONFIG_NAMES.has(name) || /^AWS_[A-Z0-9_]+$/.test(name) || name === 'NODE_ENV'

/**
 * Validates through a proxy that records which fields the schema's validator looked at: a field it
 * never reads is not in the schema (a typo), which kubectl's strict field validation would refuse.
 */
function validateStrict(model: ModelClass, obj: Obj): string[] {
  const seen = new Set<string>()
  const all = new Set<string>()
  const tracked = (value: unknown, path: string): unknown => {
    if (Array.isArray(value)) return value.map((v, i) => tracked(v, `${path}[${i}]`))
    if (value === null || typeof value !== 'object') return value
    const copy: Obj = {}
    for (const [k, v] of Object.entries(value)) {
      all.add(`${path}.${k}`)
      copy[k] = tracked(v, `${path}.${k}`)
    }
    return new Proxy(copy, {
      get(target, key, receiver) {
        if (typeof key === 'string') seen.add(`${path}.${key}`)
        return Reflect.get(target, key, receiver)
      },
      has(target, key) {
        if (typeof key === 'string') seen.add(`${path}.${key}`)
        return Reflect.has(target, key)
      },
    })
  }
  model.prototype.validate.call(tracked(obj, ''))
  return [...all].filter((p) => !seen.has(p))
}

function containersOf(podSpec: Obj): Obj[] {
  return [...(podSpec.initContainers ?? []), ...podSpec.containers]
}

const deployment = only('Deployment')
const cronJob = only('CronJob')
const podSpec: Obj = deployment.spec.template.spec
const cronPodSpec: Obj = cronJob.spec.jobTemplate.spec.template.spec
const api: Obj = podSpec.containers.find((c: Obj) => c.name === 'api')
const refresh: Obj = cronPodSpec.containers[0]
const defaults = loadConfig({})

t.test('every manifest parses and validates against the Kubernetes schema, no unknown fields', async (t) => {
  t.ok(files.length >= 6, `deploy/ has the manifests (${files.join(', ')})`)
  for (const { file, obj } of objects) {
    const model = MODELS[obj.kind]
    if (!model) {
      t.fail(`${file}: no schema for kind ${obj.kind}`)
      continue
    }
    t.equal(obj.apiVersion, model.apiVersion, `${file}: ${obj.kind} is ${model.apiVersion}`)
    t.doesNotThrow(() => t.same(validateStrict(model, obj), [], `${file}: no fields outside the ${obj.kind} schema`), `${file} validates`)
    t.match(obj.metadata?.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, `${file}: a DNS-1123 name`)
  }
  for (const kind of ['Namespace', 'ServiceAccount', 'Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'CronJob']) {
    t.equal(byKind(kind).length, 1, `one ${kind}`)
  }
  const ns = only('Namespace').metadata.name
  for (const { file, obj } of objects) if (obj.kind !== 'Namespace') t.equal(obj.metadata.namespace, ns, `${file}: in namespace ${ns}`)
})

t.test('the strict check does find what the schema does not know, and the schema check wrong types', async (t) => {
  const typo = structuredClone(deployment)
  typo.spec.replicaz = 2
  typo.spec.template.spec.containers[0].readinesProbe = {}
  t.same(validateStrict(Deployment, typo).sort(), ['.spec.replicaz', '.spec.template.spec.containers[0].readinesProbe'])
  const wrong = structuredClone(deployment)
  wrong.spec.replicas = 'two'
  t.throws(() => validateStrict(Deployment, wrong), /replicas/)
})

t.test('Deployment: replicas, probes on the app routes and port, env from src/config.ts, Secrets by reference', async (t) => {
  const app = await buildTestApp(t)
  t.ok(deployment.spec.replicas >= 2, '2+ replicas')
  t.ok(api, 'a container named api')

  const http = api.ports.find((p: Obj) => p.name === 'http')
  t.equal(http?.containerPort, defaults.port, 'container port "http" is the default PORT')
  const env = new Map<string, Obj>(api.env.map((e: Obj) => [e.name, e]))
  t.equal(Number(env.get('PORT')?.value ?? defaults.port), http.containerPort, 'PORT matches the container port')
  t.equal(env.get('HOST')?.value, '0.0.0.0', 'listens on all interfaces in the pod')

  const probes: Array<[string, string]> = [
    ['readinessProbe', '/readyz'],
    ['livenessProbe', '/healthz'],
    ['startupProbe', '/healthz'],
  ]
  for (const [probe, path] of probes) {
    t.equal(api[probe]?.httpGet?.path, path, `${probe} on ${path}`)
    t.equal(api[probe]?.httpGet?.port, 'http', `${probe} on the http port`)
    t.ok(app.hasRoute({ method: 'GET', url: path }), `${path} is a route of the app`)
    t.equal((await app.inject(path)).statusCode, 200, `${path} answers 200 on a healthy app`)
  }

  for (const name of env.keys()) t.ok(envNameKnown(name), `${name} is read by src/config.ts`)
  const config = loadConfig(Object.fromEntries([...env].filter(([, e]) => 'value' in e).map(([n, e]) => [n, String(e.value)])))
  t.type(config.metrics, 'number', 'METRICS is a separate port')
  const metricsPort = api.ports.find((p: Obj) => p.name === 'metrics')
  t.equal(metricsPort?.containerPort, config.metrics, 'the metrics container port is METRICS')
  t.equal(Number(deployment.spec.template.metadata.annotations['prometheus.io/port']), config.metrics)
  t.equal(deployment.spec.template.metadata.annotations['prometheus.io/path'], '/metrics')

  const secrets: Array<[string, boolean]> = [
    ['DATABASE_URL', false],
    ['ADMIN_TOKEN', true],
    ['SLACK_SIGNING_SECRET', true],
  ]
  for (const [name, optional] of secrets) {
    const ref = env.get(name)?.valueFrom?.secretKeyRef
    t.ok(ref?.name && ref?.key, `${name} comes from a Secret`)
    t.notOk('value' in (env.get(name) ?? {}), `${name} has no literal value`)
    t.equal(ref?.optional === true, optional, `${name} ${optional ? 'is' : 'is not'} optional`)
  }
  t.equal(byKind('Secret').length, 0, 'no Secret objects with values in deploy/')

  t.ok(api.resources.requests.cpu, 'a CPU request (the HPA scales on its utilisation)')
  t.ok(api.resources.requests.memory && api.resources.limits.memory, 'memory request and limit')
  const mi = (q: string) => Number(/^(\d+)Mi$/.exec(q)?.[1] ?? NaN)
  t.ok(mi(api.resources.requests.memory) <= mi(api.resources.limits.memory), 'request ≤ limit')
  const text = readFileSync(join(DEPLOY, objects.find((o) => o.obj === deployment)!.file), 'utf8')
  t.match(text, /# Memory[^\n]*(\n\s*#[^\n]*)*bench\/results\.md/, 'the manifest says where the memory figure comes from')
  // Sized from the benchmark's resident memory when it has one, else the 200Mi / 400Mi default.
  const results = join(ROOT, 'bench', 'results.md')
  // Pods run against a PostgreSQL server, so the benchmark's figure with a server is the one that counts.
  const rss = existsSync(results) ? /resident memory, PostgreSQL server[^|]*\|\s*(\d+) \/ (\d+) \/ (\d+) MiB/.exec(readFileSync(results, 'utf8')) : null
  if (rss) {
    const [idle, loaded, peak] = rss.slice(1).map(Number) as [number, number, number]
    t.ok(mi(api.resources.requests.memory) >= Math.max(idle, loaded), `the request covers the loaded figure (${loaded} MiB)`)
    t.ok(mi(api.resources.limits.memory) >= peak * 1.5, `the limit leaves room over the peak (${peak} MiB)`)
    t.match(text, /resident memory, PostgreSQL server/, 'the comment names the figure it comes from')
  } else {
    t.same([api.resources.requests.memory, api.resources.limits.memory], ['200Mi', '400Mi'], 'the default without a benchmark figure')
  }
})

t.test('pods run non-root on a read-only root filesystem with no capabilities', async (t) => {
  for (const [what, spec] of [
    ['Deployment', podSpec],
    ['CronJob', cronPodSpec],
  ] as const) {
    t.equal(spec.securityContext?.runAsNonRoot, true, `${what}: runAsNonRoot`)
    t.ok(spec.securityContext?.runAsUser > 0, `${what}: a non-zero runAsUser`)
    t.equal(spec.securityContext?.seccompProfile?.type, 'RuntimeDefault', `${what}: RuntimeDefault seccomp`)
    for (const c of containersOf(spec)) {
      t.equal(c.securityContext?.readOnlyRootFilesystem, true, `${what}/${c.name}: read-only root filesystem`)
      t.equal(c.securityContext?.allowPrivilegeEscalation, false, `${what}/${c.name}: no privilege escalation`)
      t.same(c.securityContext?.capabilities?.drop, ['ALL'], `${what}/${c.name}: drops ALL capabilities`)
      const tmp = c.volumeMounts?.find((m: Obj) => m.mountPath === '/tmp')
      const volume = spec.volumes?.find((v: Obj) => v.name === tmp?.name)
      t.ok(volume?.emptyDir, `${what}/${c.name}: /tmp is an emptyDir`)
    }
  }
})

t.test('Service, PodDisruptionBudget and HorizontalPodAutoscaler point at the Deployment', async (t) => {
  const labels: Obj = deployment.spec.template.metadata.labels
  const matches = (selector: Obj) => Object.entries(selector).every(([k, v]) => labels[k] === v)
  t.ok(matches(deployment.spec.selector.matchLabels), 'the Deployment selects its own pods')

  const service = only('Service')
  t.ok(matches(service.spec.selector), 'the Service selects the API pods')
  t.ok(service.spec.ports.every((p: Obj) => api.ports.some((c: Obj) => c.name === p.targetPort)), 'Service target ports are named container ports')
  t.notOk(service.spec.ports.some((p: Obj) => p.targetPort === 'metrics'), 'metrics stay off the Service')

  const pdb = only('PodDisruptionBudget')
  t.equal(pdb.spec.minAvailable, 1)
  t.ok(matches(pdb.spec.selector.matchLabels))

  const hpa = only('HorizontalPodAutoscaler')
  t.same(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name })
  t.ok(hpa.spec.minReplicas >= 2 && hpa.spec.maxReplicas >= hpa.spec.minReplicas)
  t.match(hpa.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }])
})

t.test('CronJob: refreshes with the same image and database Secret, never two at once', async (t) => {
  t.equal(cronJob.spec.concurrencyPolicy, 'Forbid')
  t.equal(cronPodSpec.restartPolicy, 'Never')
  const cmd: string[] = refresh.command
  t.same(cmd.slice(0, 2), ['node', 'dist/scripts/refresh.js'])
  // The build compiles scripts/ (tsconfig.build.json) from the root into dist/.
  const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as Obj
  const base = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as Obj
  t.ok(build.include.includes('scripts') && base.compilerOptions.outDir === 'dist' && base.compilerOptions.rootDir === '.', 'scripts/*.ts build to dist/scripts/*.js')
  t.ok(existsSync(join(ROOT, 'scripts', 'refresh.ts')), 'scripts/refresh.ts exists')
  // No --regions: every commercial region the Price List API knows (the CLI's default), with a deadline
  // that fits inside the Job's.
  t.notOk(cmd.includes('--regions'), 'the default: every region')
  const deadline = Number(refresh.env.find((e: Obj) => e.name === 'REFRESH_TIMEOUT_SECONDS')?.value)
  t.ok(deadline >= 600 && deadline < cronJob.spec.jobTemplate.spec.activeDeadlineSeconds, `REFRESH_TIMEOUT_SECONDS ${deadline} fits the Job's deadline`)

  t.equal(refresh.image, api.image, 'the API image')
  const dbRef = (c: Obj) => c.env.find((e: Obj) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef
  t.same(dbRef(refresh), dbRef(api), 'the same DATABASE_URL Secret')
  for (const e of refresh.env) t.ok(envNameKnown(e.name), `${e.name} is read by src/config.ts`)
  t.equal(cronPodSpec.serviceAccountName, podSpec.serviceAccountName)
  t.equal(cronJob.spec.jobTemplate.spec.podFailurePolicy.rules[0].onExitCodes.containerName, refresh.name)
})

t.test('image names and the IRSA service account are consistent', async (t) => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string }
  const images = new Set([...containersOf(podSpec), ...containersOf(cronPodSpec)].map((c) => c.image))
  t.equal(images.size, 1, 'one image everywhere')
  const [image] = [...images] as string[]
  const m = /^(?:.+\/)?([^/:]+):([^:/]+)$/.exec(image!)
  t.equal(m?.[1], pkg.name, 'the image is named after the package')
  t.equal(m?.[2], pkg.version, 'tagged with the package version')

  const sa = only('ServiceAccount')
  t.equal(podSpec.serviceAccountName, sa.metadata.name)
  t.match(sa.metadata.annotations['eks.amazonaws.com/role-arn'], /^arn:aws:iam::\d{12}:role\/[\w+=,.@-]+$/, 'IRSA role annotation (placeholder)')
})

t.test('deploy/README.md: the IAM policy the refresh needs', async (t) => {
  const readme = readFileSync(join(DEPLOY, 'README.md'), 'utf8')
  const block = /```json\n([\s\S]*?)```/.exec(readme)
  t.ok(block, 'a JSON policy')
  const policy = JSON.parse(block![1]!) as { Version: string; Statement: Array<{ Effect: string; Action: string[]; Resource: string }> }
  t.equal(policy.Version, '2012-10-17')
  const actions = policy.Statement.filter((s) => s.Effect === 'Allow' && s.Resource === '*').flatMap((s) => s.Action)
  t.same(actions.sort(), ['ec2:DescribeInstanceTypes', 'ec2:DescribeRegions', 'ec2:DescribeSpotPriceHistory', 'pricing:GetAttributeValues', 'pricing:GetProducts'])
  for (const f of files) t.match(readme, f, `README mentions ${f}`)
})
