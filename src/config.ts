// Configuration from the environment, validated once at start-up.
// The variable names are part of the public contract (CONTRACT.md "Configuration"); add, never rename.
import { isIP } from 'node:net'

export interface Config {
  port: number
  host: string
  /** Absent: the embedded PostgreSQL (PGlite) in `dataDir`. */
  databaseUrl: string | null
  /** Where the embedded database keeps its files; `memory://` keeps nothing (tests). */
  dataDir: string
  adminToken: string | null
  slackSigningSecret: string | null
  awsRegion: string
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  /** json: one JSON object a line; pretty: pino-pretty's text; auto: pretty when stdout is a terminal (src/logging.ts). */
  logFormat: 'auto' | 'json' | 'pretty'
  /** Prices older than this are reported as stale. */
  priceMaxAgeDays: number
  /** The answer pipeline's one cache, in MiB: everything kept per catalog version, keys included. */
  memoryCacheMb: number
  /** How often each replica checks the catalog version when no notification arrives. */
  catalogPollSeconds: number
  /** Public base URL used in links (Slack answers); defaults to http://localhost:PORT. */
  publicUrl: string
  /**
   * Where Slack fetches chart images from: PUBLIC_URL when it is set, else null and `/cni` answers carry
   * no image blocks (Slack's servers fetch the images themselves and cannot reach a localhost default).
   */
  imageBaseUrl: string | null
  /**
   * How long a client or an HTTP cache may keep an answer to a GET without asking again (Cache-Control
   * max-age; src/http/conditional.ts): never past the moment its price age moves. 0 = always revalidate.
   */
  cacheMaxAgeSeconds: number
  /** Requests per client per window before 429 (0 = no limit). */
  rateLimitMax: number
  rateLimitWindowSeconds: number
  /** Origins allowed to call the API from a browser; empty = CORS off. `*` = any. */
  corsOrigins: string[]
  /** Prometheus metrics: `on` = GET /metrics on the main port, `off`, or a port number for a separate listener. */
  metrics: 'on' | 'off' | number
  /**
   * Which proxies in front may say who the client is (X-Forwarded-For), for the per-client rate limit
   * and the logs: false (none: the client is the peer address), a number of hops, or addresses and
   * CIDR ranges (and proxy-addr's names loopback, linklocal, uniquelocal). fastify's trustProxy.
   */
  trustProxy: boolean | number | string[]
  /** The deadline of a whole catalog refresh run (AWS calls and the write); past it the run is stopped. */
  refreshTimeoutSeconds: number
}

/**
 * What is wrong with the configuration: every problem found, not only the first, so that one start-up
 * says all that needs fixing (`problems`, one line each; `message` joins them).
 */
export class ConfigError extends Error {
  readonly problems: readonly string[]
  constructor(problems: string | readonly string[]) {
    const list = typeof problems === 'string' ? [problems] : problems
    super(list.join('; '))
    this.name = 'ConfigError'
    this.problems = list
  }
}

/**
 * Reads each setting through `read`: a setting that is wrong is noted and its default used, so that the
 * rest are still checked; `done` then throws one ConfigError with every problem noted.
 */
function problemCollector() {
  const problems: string[] = []
  return {
    read<T>(value: () => T, fallback: T): T {
      try {
        return value()
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err
        problems.push(...err.problems)
        return fallback
      }
    },
    done(): void {
      if (problems.length > 0) throw new ConfigError(problems)
    },
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (!/^\d+$/.test(raw.trim())) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}; got "${raw}"`)
  }
  const value = Number(raw.trim())
  if (value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}; got ${value}`)
  }
  return value
}

function optionalSecret(env: NodeJS.ProcessEnv, name: string, minLength: number): string | null {
  const raw = env[name]
  if (raw === undefined || raw === '') return null
  if (raw.length < minLength) {
    // Never echo a secret, not even a short one.
    throw new ConfigError(`${name} must be at least ${minLength} characters long; the value given is ${raw.length}`)
  }
  return raw
}

/** METRICS: `on` (default), `off`, or a port (1-65535, not PORT) for a separate metrics listener. */
function metricsSetting(env: NodeJS.ProcessEnv, port: number): Config['metrics'] {
  const raw = (env.METRICS ?? '').trim().toLowerCase()
  if (raw === '' || raw === 'on') return 'on'
  if (raw === 'off') return 'off'
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN
  if (!(value >= 1 && value <= 65535)) {
    throw new ConfigError(`METRICS must be on, off, or a port number from 1 to 65535 for a separate listener; got "${env.METRICS}"`)
  }
  if (value === port) {
    throw new ConfigError(`METRICS must be a port other than PORT (${port}); use METRICS=on to serve /metrics on the main port`)
  }
  return value
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal']

/**
 * TRUST_PROXY: absent or `false`: X-Forwarded-For is ignored; a whole number of hops (1 = the one proxy
 * in front, as behind nginx, an ALB or an ingress controller); or comma-separated addresses, CIDR ranges
 * or the names loopback, linklocal, uniquelocal. `true` (trust every hop) is refused: any client could
 * then name itself and take a fresh rate limit per request.
 */
function trustProxySetting(env: NodeJS.ProcessEnv): Config['trustProxy'] {
  const raw = (env.TRUST_PROXY ?? '').trim()
  const allowed = 'false, a number of proxy hops from 1 to 10, or comma-separated addresses, CIDR ranges or loopback/linklocal/uniquelocal'
  if (raw === '' || raw.toLowerCase() === 'false') return false
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw)
    if (hops < 1 || hops > 10) throw new ConfigError(`TRUST_PROXY must be ${allowed}; got ${hops} hops`)
    return hops
  }
  if (raw.toLowerCase() === 'true') {
    throw new ConfigError(`TRUST_PROXY must be ${allowed}; true would let any client choose its own address (say how many proxies are in front instead, e.g. 1)`)
  }
  const list = raw.split(',').map((a) => a.trim()).filter(Boolean)
  for (const entry of list) {
    const [addr = '', bits, ...rest] = entry.split('/')
    const family = isIP(addr)
    const okBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32))
    if (!PROXY_NAMES.includes(entry) && (family === 0 || !okBits || rest.length > 0)) {
      throw new ConfigError(`TRUST_PROXY must be ${allowed}; "${entry}" is none of these`)
    }
  }
  return list
}

/** CORS_ORIGINS: comma-separated origins like https://portal.example.com, or `*`. */
function corsOrigins(env: NodeJS.ProcessEnv): string[] {
  const raw = (env.CORS_ORIGINS ?? '').trim()
  if (raw === '') return []
  const list = raw.split(',').map((o) => o.trim()).filter(Boolean)
  for (const origin of list) {
    if (origin === '*') continue
    let url: URL | null = null
    try {
      url = new URL(origin)
    } catch {
      url = null
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== origin) {
      throw new ConfigError(`CORS_ORIGINS must be * or comma-separated origins like https://portal.example.com (scheme and host, no path); got "${origin}"`)
    }
  }
  return list
}

function databaseUrlSetting(env: NodeJS.ProcessEnv): string | null {
  if (env.DATABASE_URL === undefined || env.DATABASE_URL.trim() === '') return null
  const raw = env.DATABASE_URL.trim()
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError('DATABASE_URL must be a URL like postgres://user@host:5432/db; the value given does not parse')
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`DATABASE_URL must start with postgres:// or postgresql://; got "${url.protocol}//"`)
  }
  return raw
}

function logLevelSetting(env: NodeJS.ProcessEnv): Config['logLevel'] {
  const logLevel = (env.LOG_LEVEL ?? 'info').trim().toLowerCase()
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; got "${env.LOG_LEVEL}"`)
  }
  return logLevel as Config['logLevel']
}

const LOG_FORMATS = ['auto', 'json', 'pretty'] as const

function logFormatSetting(env: NodeJS.ProcessEnv): Config['logFormat'] {
  const raw = (env.LOG_FORMAT ?? '').trim().toLowerCase()
  if (raw === '') return 'auto'
  if (!(LOG_FORMATS as readonly string[]).includes(raw)) {
    throw new ConfigError(`LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}; got "${env.LOG_FORMAT}"`)
  }
  return raw as Config['logFormat']
}

function awsRegionSetting(env: NodeJS.ProcessEnv): string {
  const awsRegion = (env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1').trim()
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(awsRegion)) {
    throw new ConfigError(`AWS_REGION must be a region code like us-east-1; got "${awsRegion}"`)
  }
  return awsRegion
}

function publicUrlSetting(env: NodeJS.ProcessEnv, port: number): string {
  const publicUrl = (env.PUBLIC_URL ?? '').trim()
  if (publicUrl === '') return `http://localhost:${port}`
  try {
    new URL(publicUrl)
  } catch {
    throw new ConfigError(`PUBLIC_URL must be an absolute URL like https://cni-advisor.example.com; got "${publicUrl}"`)
  }
  return publicUrl.replace(/\/+$/, '')
}

/** Every setting is checked; a ConfigError lists every one that is wrong (README "Configuration"). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const { read, done } = problemCollector()
  const port = read(() => integer(env, 'PORT', 3000, 0, 65535), 3000)
  const config: Config = {
    port,
    host: env.HOST && env.HOST.trim() !== '' ? env.HOST.trim() : '127.0.0.1',
    databaseUrl: read(() => databaseUrlSetting(env), null),
    dataDir: env.DATA_DIR && env.DATA_DIR.trim() !== '' ? env.DATA_DIR.trim() : '.data/pgdata',
    adminToken: read(() => optionalSecret(env, 'ADMIN_TOKEN', 16), null),
    slackSigningSecret: read(() => optionalSecret(env, 'SLACK_SIGNING_SECRET', 8), null),
    awsRegion: read(() => awsRegionSetting(env), 'us-east-1'),
    logLevel: read(() => logLevelSetting(env), 'info'),
    logFormat: read(() => logFormatSetting(env), 'auto'),
    priceMaxAgeDays: read(() => integer(env, 'PRICE_MAX_AGE_DAYS', 180, 1, 3650), 180),
    // 64 MiB keeps a replica well under the 512 Mi pod limit in deploy/ with the catalog and runtime.
    memoryCacheMb: read(() => integer(env, 'MEMORY_CACHE_MB', 64, 0, 4096), 64),
    catalogPollSeconds: read(() => integer(env, 'CATALOG_POLL_SECONDS', 30, 1, 3600), 30),
    publicUrl: read(() => publicUrlSetting(env, port), `http://localhost:${port}`),
    imageBaseUrl: (env.PUBLIC_URL ?? '').trim() === '' ? null : read(() => publicUrlSetting(env, port), null),
    metrics: read(() => metricsSetting(env, port), 'on'),
    // 5 minutes: a catalog refresh (rare, by an admin or the CronJob) reaches every client within that; an
    // unchanged answer then costs a 304. At most a day: price freshness moves daily anyway.
    cacheMaxAgeSeconds: read(() => integer(env, 'CACHE_MAX_AGE_SECONDS', 300, 0, 86_400), 300),
    rateLimitMax: read(() => integer(env, 'RATE_LIMIT_MAX', 600, 0, 10_000_000), 600),
    rateLimitWindowSeconds: read(() => integer(env, 'RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86_400), 60),
    corsOrigins: read(() => corsOrigins(env), []),
    trustProxy: read(() => trustProxySetting(env), false),
    refreshTimeoutSeconds: read(() => integer(env, 'REFRESH_TIMEOUT_SECONDS', 300, 1, 3600), 300),
  }
  done()
  return config
}
