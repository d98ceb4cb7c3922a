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
    const kept: Rendered = { ...r, gzip: null }
    if (this.keeps) this.pipeline.cache.set(key, kept, kept.body.length + 64)
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
