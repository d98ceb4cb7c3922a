// The one answer pipeline every door asks: a question, in its canonical form (the parsed fields, never
// the raw URL or body), is answered from the catalog version in memory and kept in the one byte-bounded
// cache (cache.ts) for as long as the answer holds. Price freshness is the only thing in an answer that
// moves with the clock: catalogStampValidity says over which span it stays, and every door uses it.
import { constants, gzipSync } from 'node:zlib'
import type { CatalogSnapshot } from '../catalog/snapshot.js'
import { AnswerCache, estimateBytes } from './cache.js'

/** By the app's clock (ms), the span an answer holds for. */
export interface Validity {
  from: number
  until: number
}
export const ALWAYS: Validity = Object.freeze({ from: -Infinity, until: Infinity })
export const holdsAt = (v: Validity, t: number): boolean => v.from <= t && t < v.until

/** The overlap of two spans: an answer that shows two freshness stamps holds while both do. */
export function within(a: Validity, b: Validity): Validity {
  return a === ALWAYS ? b : b === ALWAYS ? a : { from: Math.max(a.from, b.from), until: Math.min(a.until, b.until) }
}

const encoder = new TextEncoder()
/** jsonBytes' scratch space, reused from answer to answer; a larger one (a whole-catalog plan) is let go after use. */
let scratch = new Uint8Array(256 * 1024)
const SCRATCH_KEPT = 8 * 1024 * 1024
let used = 0

/** Writes `text` as UTF-8 at the end of the scratch space (at most 3 bytes per UTF-16 unit), growing it as needed. */
function put(text: string): void {
  const room = text.length * 3
  if (scratch.length - used < room) {
    const bigger = new Uint8Array(Math.max(2 * scratch.length, used + room))
    bigger.set(scratch.subarray(0, used))
    scratch = bigger
  }
  used += encoder.encodeInto(text, used === 0 ? scratch : scratch.subarray(used)).written
}

const COMMA = 0x2c
function putByte(b: number): void {
  if (used === scratch.length) put(String.fromCharCode(b))
  else scratch[used++] = b
}

/** What JSON.stringify leaves out of an object (and writes as null in an array). */
const omitted = (v: unknown): boolean => v === undefined || typeof v === 'function' || typeof v === 'symbol'
/** A plain object (the shape of every answer), whose members JSON.stringify writes in Object.keys order. */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || typeof (v as { toJSON?: unknown }).toJSON === 'function') return false
  const proto = Object.getPrototypeOf(v) as unknown
  return proto === Object.prototype || proto === null
}

function putElements(items: readonly unknown[], first: string): void {
  putByte(0x5b)
  put(first)
  for (let i = 1; i < items.length; i++) {
    putByte(COMMA)
    const item = items[i]
    put(omitted(item) ? 'null' : JSON.stringify(item))
  }
  putByte(0x5d)
}

/** Lists with items this long as JSON (a recommendation's options, ~12 kB each) are written item by item. */
const BIG_ITEM_CHARS = 4096
const MIN_ITEMS = 8

/** The JSON of the first item of a member that is a list of big items: the sign that the answer is worth writing in pieces. */
function bigFirstItem(member: unknown): string | null {
  if (!Array.isArray(member) || member.length < MIN_ITEMS || omitted(member[0])) return null
  const first = JSON.stringify(member[0])
  return first.length >= BIG_ITEM_CHARS ? first : null
}

/** Texts this long are encoded through the scratch space. */
const LONG_TEXT = 16 * 1024

/**
 * Buffer.from(text, 'utf8'), faster for a long text: TextEncoder.encodeInto into the reused scratch space,
 * then one copy. On Node 20 Buffer.from encodes a two-byte string (any × ÷ ⌈ in a formula makes one) at
 * ~0.6 GB/s and encodeInto at ~1.7 GB/s; a whole-catalog plan (1.6 MB) spent 5 ms of its ~30 in Buffer.from.
 */
function utf8(text: string): Buffer {
  if (text.length < LONG_TEXT) return Buffer.from(text, 'utf8')
  used = 0
  try {
    put(text)
    return Buffer.from(scratch.subarray(0, used))
  } finally {
    if (scratch.length > SCRATCH_KEPT) scratch = new Uint8Array(256 * 1024)
  }
}

/**
 * The bytes of Buffer.from(JSON.stringify(value), 'utf8'). An answer with a list of big items (a
 * recommendation: 17 options of ~12 kB) is written without its whole text: members and items are
 * stringified one by one and written as UTF-8 straight into reused scratch space, then copied out once.
 * For such an answer JSON.stringify builds its text from parts that Buffer.from must first join into one
 * string, two-byte as soon as one character is outside Latin-1 (× − — ⌈ in the formulas): a 400 kB
 * allocation for a 200 kB answer, then encoded. Measured on the miss rows' answers: ~23 % less CPU for a
 * recommendation's bytes; for small answers, and lists of many small items (a plan's rows), pieces cost
 * more than they save, so those take the plain way (bench/results.md, "Where a miss's time goes").
 * Answers are plain data (no toJSON in their members), for which the bytes are the same.
 */
export function jsonBytes(value: unknown): Buffer {
  if (!isPlainObject(value)) return utf8(JSON.stringify(value))
  const keys = Object.keys(value)
  let big = -1
  let first: string | null = null
  for (let i = 0; i < keys.length && first === null; i++) {
    first = bigFirstItem(value[keys[i]!])
    if (first !== null) big = i
  }
  if (first === null) return utf8(JSON.stringify(value))
  used = 0
  try {
    putByte(0x7b)
    let wrote = false
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!
      const member = value[key]
      if (omitted(member)) continue
      if (wrote) putByte(COMMA)
      wrote = true
      put(JSON.stringify(key))
      putByte(0x3a)
      const items = i === big ? null : bigFirstItem(member)
      if (i === big) putElements(member as unknown[], first)
      else if (items !== null) putElements(member as unknown[], items)
      else put(JSON.stringify(member))
    }
    putByte(0x7d)
    return Buffer.from(scratch.subarray(0, used))
  } finally {
    if (scratch.length > SCRATCH_KEPT) scratch = new Uint8Array(256 * 1024)
  }
}

/**
 * A body that holds only its own bytes. Buffer.from hands out small buffers (under 4 KiB) as slices of a
 * shared 8 KiB pool, and a kept slice keeps the whole pool alive with whatever else was cut from it: a
 * kept max-pods answer (~1.2 kB) held ~3.9 kB, three times what the cache counted (measured over 3,000
 * kept answers, 3.5 MiB counted against 11.5 MiB held). A copy costs less than a microsecond at that size.
 */
function ownMemory(body: Buffer): Buffer {
  if (body.byteOffset === 0 && body.buffer.byteLength === body.length) return body
  const own = Buffer.allocUnsafeSlow(body.length)
  body.copy(own)
  return own
}

/** A finished answer as it is sent: its bytes, their type, a download name, how long it holds; gzip made once, on demand. */
export interface Rendered {
  body: Buffer
  type: string
  /** content-disposition (CSV downloads), or null. */
  disposition: string | null
  valid: Validity
  gzip: Buffer | null
}

export interface Freshness {
  clock: () => Date
  priceMaxAgeDays: number
}

/**
 * One catalog version as the answers see it: its data (`snap`), and what is kept for it. Made by the
 * pipeline for the version current when a request starts; a request that outlives its version still
 * answers from it, but keeps nothing (its results would be the old version's).
 */
export class Asked {
  constructor(
    readonly snap: CatalogSnapshot,
    private readonly pipeline: AnswerPipeline,
  ) {}

  private get keeps(): boolean {
    return this.pipeline.version === this.snap.version
  }

  /** A value worked out once per catalog version (a type's max pods in every mode, a type's view in a region). */
  memo<T>(key: string, compute: () => T): T {
    if (!this.keeps) return compute()
    const cache = this.pipeline.cache
    const hit = cache.get<T>(key)
    if (hit !== undefined) return hit
    const value = compute()
    cache.set(key, value, estimateBytes(value))
    return value
  }

  /** A rendered answer under its canonical question, kept while its validity holds by the clock. */
  rendered(key: string, render: () => Omit<Rendered, 'gzip'>): Rendered {
    return this.peek(key) ?? this.keep(key, render())
  }

  /** For a door that renders elsewhere (GraphQL): a kept answer that still holds, if any. */
  peek(key: string): Rendered | undefined {
    if (!this.keeps) return undefined
    const hit = this.pipeline.cache.getAnswer<Rendered>(key)
    return hit !== undefined && holdsAt(hit.valid, this.pipeline.now()) ? hit : undefined
  }

  /** …and keeping what it rendered. */
  keep(key: string, r: Omit<Rendered, 'gzip'>): Rendered {
    const kept: Rendered = { ...r, body: this.keeps ? ownMemory(r.body) : r.body, gzip: null }
    if (this.keeps) this.pipeline.cache.set(key, kept, kept.body.buffer.byteLength + 64)
    return kept
  }

  /**
   * The gzip form of a kept answer, made the first time a client accepts it and kept beside it (counted
   * in the same budget): a body is compressed once per catalog version, not once per request.
   */
  gzipped(key: string, r: Rendered): Buffer {
    if (r.gzip === null) {
      r.gzip = gzipSync(r.body, { level: constants.Z_BEST_COMPRESSION })
      if (this.keeps) this.pipeline.cache.grow(key, r.gzip.length)
    }
    return r.gzip
  }
}

export class AnswerPipeline {
  readonly cache: AnswerCache
  /** The catalog version the cache holds answers for. */
  version = -1
  private asked: Asked | null = null

  constructor(
    private readonly catalog: { current(): CatalogSnapshot },
    readonly freshness: Freshness,
    budgetBytes: number,
  ) {
    this.cache = new AnswerCache(budgetBytes)
  }

  now(): number {
    return this.freshness.clock().getTime()
  }

  /** The current catalog version, as answers are asked of it; a new version starts with an empty cache. */
  current(): Asked {
    const snap = this.catalog.current()
    if (this.asked !== null && this.asked.snap === snap) return this.asked
    if (snap.version !== this.version) {
      this.cache.clear()
      this.version = snap.version
    }
    this.asked = new Asked(snap, this)
    return this.asked
  }
}
