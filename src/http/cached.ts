import type { FastifyReply } from 'fastify'
import type { CatalogSnapshot } from '../catalog/snapshot.js'
import { acceptsGzip, MIN_GZIP_BYTES } from './encoding.js'

export const JSON_TYPE = 'application/json; charset=utf-8'

/**
 * Sends a body the snapshot keeps (JSON, CSV, a GraphQL answer). A client that accepts gzip gets the
 * snapshot's compressed copy of it (made once per catalog version), so a 72 kB recommendation or a
 * 370 kB whole-catalog CSV crosses the network at a fraction of its size for no CPU per request.
 * Bodies under MIN_GZIP_BYTES always go as they are, so their answers do not vary by encoding.
 */
export function sendBody(reply: FastifyReply, snap: CatalogSnapshot, body: Buffer): FastifyReply {
  return reply.send(encodeKept(reply, snap, body))
}

/** The bytes to send for a kept body, with the Vary and Content-Encoding headers that go with them. */
export function encodeKept(reply: FastifyReply, snap: CatalogSnapshot, body: Buffer): Buffer {
  if (body.length < MIN_GZIP_BYTES) return body
  varyOn(reply, 'accept-encoding')
  if (!acceptsGzip(reply.request.headers['accept-encoding'])) return body
  reply.header('content-encoding', 'gzip')
  return snap.gzipped(body)
}

/** Adds a header name to Vary, keeping what is there (CORS puts Origin in it). */
function varyOn(reply: FastifyReply, name: string): void {
  const current = reply.getHeader('vary')
  if (current === undefined || current === '') {
    reply.header('vary', name)
    return
  }
  const text = Array.isArray(current) ? current.join(', ') : String(current)
  const names = text.split(',').map((n) => n.trim().toLowerCase())
  if (!names.includes(name) && !names.includes('*')) reply.header('vary', `${text}, ${name}`)
}

/**
 * Answers are pure functions of the request and the catalog version, so their serialised JSON is kept
 * per version (snapshot.body) under a key that holds everything the answer depends on. Errors are
 * thrown before anything is cached. The body is JSON.stringify of the same object the schema
 * documents, sent as is (or gzipped, see sendBody).
 */
export function sendCachedJson(reply: FastifyReply, snap: CatalogSnapshot, key: string, answer: () => unknown): FastifyReply {
  return sendAnswer(reply, snap, jsonAnswer(snap, key, answer))
}

/** An answer as it is sent: its bytes, their type, for a CSV download its name, and until when it holds. */
export interface SentAnswer {
  body: Buffer
  type: string
  /** content-disposition (CSV downloads), or null. */
  disposition: string | null
  /**
   * By the app's clock (ms), the span the answer holds for: price freshness moves by the day
   * (catalogStampValidity). ALWAYS for an answer that does not show it: it holds for the catalog version.
   */
  valid: Validity
}

export interface Validity {
  from: number
  until: number
}
export const ALWAYS: Validity = Object.freeze({ from: -Infinity, until: Infinity })

export function jsonAnswer(snap: CatalogSnapshot, key: string, answer: () => unknown, valid: Validity = ALWAYS): SentAnswer {
  return { body: snap.body(`json:${key}`, () => JSON.stringify(answer())), type: JSON_TYPE, disposition: null, valid }
}

export const holdsAt = (v: Validity, t: number): boolean => v.from <= t && t < v.until

export function sendAnswer(reply: FastifyReply, snap: CatalogSnapshot, sent: SentAnswer): FastifyReply {
  reply.type(sent.type)
  if (sent.disposition !== null) reply.header('content-disposition', sent.disposition)
  return sendBody(reply, snap, sent.body)
}
