// Conditional GET (RFC 9110 §13): every answer is fixed by the catalog version and the canonical
// question, except for price freshness, which moves once a day (catalogStampValidity). So an answer's
// validators are worked out from those, not from its bytes:
//
// - ETag: W/"<catalog version>.<hash of the code revision, the canonical question and the start of the
//   span the answer holds for>". Weak, on purpose: the same answer goes out as identity or gzip
//   (cached.ts), two representations whose bytes differ, and a strong tag would have to differ between
//   them (RFC 9110 §8.8.3); the service serves no Range requests, the one thing a weak tag cannot
//   validate; and If-None-Match compares weakly anyway (§13.1.2), so one tag revalidates both forms.
//   (A proxy that compresses, nginx's gzip among them, turns strong tags weak for the same reason.)
// - Last-Modified: the latest of the catalog version's time, the start of that span (the day the
//   price age last moved) and the code's own time (a deploy can change an answer's words).
// - Cache-Control: public, max-age = CACHE_MAX_AGE_SECONDS, but never past the end of that span, so no
//   cache keeps an answer whose price age has moved on.
//
// If-None-Match, when sent, decides (If-Modified-Since is then ignored, §13.1.3); otherwise
// If-Modified-Since does. A match answers 304 with the same validators and no body.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { CatalogSnapshot } from '../catalog/snapshot.js'
import type { Config } from '../config.js'
import type { Validity } from '../answers/pipeline.js'
import { GRAPHQL_SCHEMA_FILE } from '../paths.js'

/** What identifies the code answering: a hash of its files, and the newest file's time. */
interface CodeRevision {
  hash: string
  time: number
}

/**
 * The code this process runs (src/ under tests, dist/src/ in production) and the GraphQL schema, read
 * once at start-up: replicas of one build agree on it, and a new build gives every answer a new ETag.
 */
function codeRevision(): CodeRevision {
  const root = dirname(dirname(fileURLToPath(import.meta.url)))
  const files: string[] = []
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (/\.(ts|js|mjs|cjs)$/.test(entry.name)) files.push(path)
    }
  }
  walk(root)
  files.push(GRAPHQL_SCHEMA_FILE)
  const hash = createHash('sha256')
  let time = 0
  for (const file of files) {
    hash.update(file.slice(root.length)).update('\0').update(readFileSync(file)).update('\0')
    time = Math.max(time, statSync(file).mtimeMs)
  }
  return { hash: hash.digest('base64url').slice(0, 16), time: Math.floor(time / 1000) * 1000 }
}

const CODE = codeRevision()

/** The settings an answer's words depend on (PRICE_MAX_AGE_DAYS decides `stale`; PUBLIC_URL is in links). */
const revisions = new WeakMap<Config, string>()
function revision(config: Config): string {
  let r = revisions.get(config)
  if (r === undefined) {
    r = `${CODE.hash}:${config.priceMaxAgeDays}:${config.publicUrl}`
    revisions.set(config, r)
  }
  return r
}

export interface Validators {
  etag: string
  /** ms, whole seconds */
  lastModified: number
  /** The end of the span the answer holds for (ms), Infinity when it holds for the whole catalog version. */
  until: number
}

/**
 * The validators of the answer to `key` on this catalog version, over the span `valid`, at `now`.
 * Last-Modified is the latest of the times the answer may have changed that are not in the future
 * (a server does not send a Last-Modified later than its own clock, RFC 9110 §8.8.2.1).
 */
export function validatorsFor(config: Config, snap: CatalogSnapshot, key: string, valid: Validity, now: number): Validators {
  const from = Number.isFinite(valid.from) ? valid.from : null
  const hash = createHash('sha256').update(revision(config)).update('\0').update(key).update('\0').update(String(from)).digest('base64url').slice(0, 22)
  const created = Date.parse(snap.createdAt)
  const changes = [Number.isFinite(created) ? created : 0, from ?? 0, CODE.time].filter((ms) => ms <= now)
  const lastModified = Math.floor(Math.max(0, ...changes) / 1000) * 1000
  return { etag: `W/"${snap.version}.${hash}"`, lastModified, until: valid.until }
}

/** The opaque part of an entity tag, for the weak comparison (RFC 9110 §8.8.3.2): W/ does not count. */
const opaque = (tag: string): string => (tag.startsWith('W/') ? tag.slice(2) : tag)

/** Whether If-None-Match names the answer (or is `*`: any current answer). */
export function noneMatch(header: string, etag: string): boolean {
  if (header.length > 8192) return false
  const mine = opaque(etag)
  return header.split(',').some((t) => {
    const tag = t.trim()
    return tag === '*' || opaque(tag) === mine
  })
}

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)'
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)'
const TIME = '\\d{2}:\\d{2}:\\d{2}'
/** The three HTTP-date forms a recipient must accept (RFC 9110 §5.6.7): IMF-fixdate, RFC 850, asctime. */
const IMF_FIXDATE = new RegExp(`^${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT$`)
const RFC_850 = new RegExp(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \\d{2}-${MONTH}-\\d{2} ${TIME} GMT$`)
const ASCTIME = new RegExp(`^${DAY} ${MONTH} [ \\d]\\d ${TIME} \\d{4}$`)

/** An HTTP-date as ms, or null when the text is none of its forms (the header is then ignored, §13.1.3). */
export function parseHttpDate(text: string): number | null {
  const t = text.trim()
  // asctime has no zone: it is GMT, not the server's local time.
  const ms = IMF_FIXDATE.test(t) || RFC_850.test(t) ? Date.parse(t) : ASCTIME.test(t) ? Date.parse(`${t} GMT`) : NaN
  return Number.isFinite(ms) ? ms : null
}

/** Whether If-Modified-Since is no earlier than the answer's Last-Modified (an invalid date is ignored). */
export function notModifiedSince(header: string, lastModified: number): boolean {
  const since = parseHttpDate(header)
  return since !== null && lastModified <= since
}

/** The Cache-Control of an answer: CACHE_MAX_AGE_SECONDS, cut short where its price age moves. */
export function cacheControl(maxAgeSeconds: number, until: number, now: number): string {
  if (maxAgeSeconds === 0) return 'public, no-cache'
  const left = Number.isFinite(until) ? Math.max(0, Math.floor((until - now) / 1000)) : maxAgeSeconds
  return `public, max-age=${Math.min(maxAgeSeconds, left)}`
}

/** The validators and Cache-Control of an answer to a GET. */
export function setValidators(reply: FastifyReply, v: Validators, config: Pick<Config, 'cacheMaxAgeSeconds'>, now: number): void {
  reply
    .header('etag', v.etag)
    .header('last-modified', new Date(v.lastModified).toUTCString())
    .header('cache-control', cacheControl(config.cacheMaxAgeSeconds, v.until, now))
}

/** Whether the request's conditions say the client has this answer already (If-None-Match first). */
export function isUnchanged(request: FastifyRequest, v: Validators): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false
  const inm = request.headers['if-none-match']
  if (typeof inm === 'string') return noneMatch(inm, v.etag)
  const ims = request.headers['if-modified-since']
  return typeof ims === 'string' && notModifiedSince(ims, v.lastModified)
}

/**
 * For a GET (or HEAD): sets the validators and Cache-Control, and answers 304 when the request's
 * conditions say the client has this answer. True when the 304 was sent (the caller sends nothing more).
 * Other methods get nothing: a POST answer is not cached by HTTP caches.
 */
export function conditionalGet(reply: FastifyReply, v: Validators, config: Pick<Config, 'cacheMaxAgeSeconds'>, now: number): boolean {
  const method = reply.request.method
  if (method !== 'GET' && method !== 'HEAD') return false
  setValidators(reply, v, config, now)
  if (!isUnchanged(reply.request, v)) return false
  void reply.code(304).send()
  return true
}
