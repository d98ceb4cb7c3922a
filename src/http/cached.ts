// Sending what the answer pipeline keeps (src/answers/pipeline.ts): a kept answer's bytes, or its gzip
// copy for a client that accepts it, with the headers that go with them.
import type { FastifyReply } from 'fastify'
import { ALWAYS, jsonBytes, type Asked, type Rendered, type Validity } from '../answers/pipeline.js'
import { conditionalGet, validatorsFor, type Validators } from './conditional.js'
import { acceptsGzip, MIN_GZIP_BYTES } from './encoding.js'
import { XLSX_TYPE } from './xlsx.js'

export const JSON_TYPE = 'application/json; charset=utf-8'

/** A rendered answer and the canonical question it is kept under. */
export interface KeptAnswer {
  key: string
  rendered: Rendered
}

/**
 * An answer as JSON: kept under `json:` + its canonical question until `valid` ends (price freshness),
 * for the catalog version otherwise. `answer` runs only on a miss; a bad request throws before anything
 * is kept.
 */
export function jsonAnswer(a: Asked, key: string, answer: () => unknown, valid: Validity = ALWAYS): KeptAnswer {
  const k = `json:${key}`
  return { key: k, rendered: a.rendered(k, () => ({ body: jsonBytes(answer()), type: JSON_TYPE, disposition: null, valid })) }
}

/**
 * Sends a kept answer. A client that accepts gzip gets the compressed copy (made once per catalog version),
 * so a 72 kB recommendation or a 370 kB whole-catalog CSV crosses the network at a fraction of its size for
 * no CPU per request. Bodies under MIN_GZIP_BYTES always go as they are, so their answers do not vary.
 */
export function sendAnswer(reply: FastifyReply, a: Asked, kept: KeptAnswer): FastifyReply {
  const r = kept.rendered
  if (answeredUnchanged(reply, a, kept)) return reply
  reply.type(r.type)
  if (r.disposition !== null) reply.header('content-disposition', r.disposition)
  return reply.send(encodeKept(reply, a, kept))
}

/** The bytes to send for a kept answer, with the Vary and Content-Encoding headers that go with them. */
export function encodeKept(reply: FastifyReply, a: Asked, kept: KeptAnswer): Buffer {
  const body = kept.rendered.body
  if (!compressible(kept.rendered)) return body
  varyOn(reply, 'accept-encoding')
  if (!acceptsGzip(reply.request.headers['accept-encoding'])) return body
  reply.header('content-encoding', 'gzip')
  return a.gzipped(kept.key, kept.rendered)
}

/**
 * Whether an answer goes out gzipped to a client that takes it. A PNG and a workbook (a zip) are
 * compressed already: gzip would cost CPU and save nothing.
 */
function compressible(r: Rendered): boolean {
  return r.body.length >= MIN_GZIP_BYTES && r.type !== 'image/png' && r.type !== XLSX_TYPE
}

/**
 * Whether the route's answer is JSON or a table by the Accept header when the query names no `format`
 * (csv.ts): the routes that document a `format` parameter. Worked out once per route.
 */
const negotiates = new Map<string, boolean>()
function formatByAccept(reply: FastifyReply): boolean {
  const query = reply.request.query as { format?: unknown } | undefined
  if (query?.format !== undefined) return false
  const route = reply.request.routeOptions
  const id = `${route.method} ${route.url}`
  let n = negotiates.get(id)
  if (n === undefined) {
    const qs = (route.schema as { querystring?: { properties?: Record<string, unknown> } } | undefined)?.querystring
    negotiates.set(id, (n = qs?.properties?.format !== undefined))
  }
  return n
}

/** The validators of a kept answer, worked out once per kept answer (conditional.ts). */
const validatorsOfKept = new WeakMap<Rendered, Validators>()

/**
 * For a GET: the answer's ETag, Last-Modified and Cache-Control, with the Vary the answer itself would
 * carry, and a 304 when the client has it already (conditional.ts). True when the 304 went out.
 */
function answeredUnchanged(reply: FastifyReply, a: Asked, kept: KeptAnswer): boolean {
  const method = reply.request.method
  if (method !== 'GET' && method !== 'HEAD') return false
  const { config, answers } = reply.server.ctx
  const now = answers.now()
  const r = kept.rendered
  let v = validatorsOfKept.get(r)
  if (v === undefined) validatorsOfKept.set(r, (v = validatorsFor(config, a.snap, kept.key, r.valid, now)))
  // Where the Accept header chose the format (no `format` in the query), caches must key on it too.
  if (formatByAccept(reply)) varyOn(reply, 'accept')
  if (compressible(r)) varyOn(reply, 'accept-encoding')
  return conditionalGet(reply, v, config, now)
}

/** Adds a header name to Vary, keeping what is there (CORS puts Origin in it). */
export function varyOn(reply: FastifyReply, name: string): void {
  const current = reply.getHeader('vary')
  if (current === undefined || current === '') {
    reply.header('vary', name)
    return
  }
  const text = Array.isArray(current) ? current.join(', ') : String(current)
  const names = text.split(',').map((n) => n.trim().toLowerCase())
  if (!names.includes(name) && !names.includes('*')) reply.header('vary', `${text}, ${name}`)
}
