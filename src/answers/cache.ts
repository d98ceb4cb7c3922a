// The one cache of the service: everything kept per catalog version — rendered bodies, their gzip copies,
// worked-out values — counted in bytes against one budget (MEMORY_CACHE_MB), keys included. A hostile
// client sending distinct questions can only churn it, never grow it.

/**
 * A bounded cache that keeps what is used: a hit only marks its entry (no reordering, so a hit costs one
 * Map lookup); when over budget, the oldest entries are evicted unless marked, and a marked one gets a
 * second chance at the young end (CLOCK, the usual approximation of least-recently-used).
 */
export class AnswerCache {
  private readonly map = new Map<string, { value: unknown; bytes: number; used: boolean }>()
  private used = 0
  hits = 0
  misses = 0
  /** Of those, the lookups of finished answers (rendered bodies), as against worked-out values: what says whether a question was asked before. */
  answerHits = 0
  answerMisses = 0
  evictions = 0

  constructor(readonly budget: number) {
    if (!(budget >= 0)) throw new RangeError('a cache budget is a number of bytes ≥ 0')
  }

  /** The bytes an entry costs beyond its value: the key as UTF-16 in the Map, and the entry itself. */
  static keyBytes(key: string): number {
    return 2 * key.length + 96
  }

  get<T>(key: string): T | undefined {
    const e = this.map.get(key)
    if (e === undefined) {
      this.misses++
      return undefined
    }
    this.hits++
    e.used = true
    return e.value as T
  }

  /** get() of a finished answer, counted apart as well (answerHits, answerMisses). */
  getAnswer<T>(key: string): T | undefined {
    const hit = this.get<T>(key)
    if (hit === undefined) this.answerMisses++
    else this.answerHits++
    return hit
  }

  /** Keeps `value` under `key`, counted as `valueBytes` plus its key. A value larger than the budget is not kept. */
  set(key: string, value: unknown, valueBytes: number): void {
    const bytes = valueBytes + AnswerCache.keyBytes(key)
    const old = this.map.get(key)
    if (old !== undefined) {
      this.used -= old.bytes
      this.map.delete(key)
    }
    if (bytes > this.budget) return
    this.map.set(key, { value, bytes, used: false })
    this.used += bytes
    this.evict(key)
  }

  /** An entry grew (a gzip copy kept beside a body): counts the bytes, and evicts if over budget. */
  grow(key: string, extraBytes: number): void {
    const e = this.map.get(key)
    if (e === undefined) return
    e.bytes += extraBytes
    this.used += extraBytes
    this.evict(key)
  }

  private evict(keep: string): void {
    // Each entry is looked at most twice per round, so this ends.
    let guard = this.map.size * 2
    for (const [k, e] of this.map) {
      if (this.used <= this.budget || guard-- <= 0) break
      this.map.delete(k)
      if (e.used && k !== keep) {
        e.used = false
        this.map.set(k, e)
      } else {
        this.used -= e.bytes
        this.evictions++
      }
    }
  }

  clear(): void {
    this.map.clear()
    this.used = 0
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.used
  }

  get entries(): number {
    return this.map.size
  }
}

/**
 * What a worked-out value costs in memory, estimated from its JSON form: V8 keeps objects at about twice
 * their UTF-8 JSON size (property names shared, numbers boxed, strings two bytes a character at worst).
 */
export function estimateBytes(value: unknown): number {
  const json = JSON.stringify(value)
  return json === undefined ? 16 : 2 * Buffer.byteLength(json, 'utf8')
}
