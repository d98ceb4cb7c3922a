// The one cache of the service: everything kept per catalog version — rendered bodies, their gzip copies,
// worked-out values — counted in bytes against one budget (MEMORY_CACHE_MB), keys included. A hostile
// client sending distinct questions can only churn it, never grow it.

import { LRUCache } from 'lru-cache'

/**
 * A bounded cache that keeps what is used: least recently used out first, by bytes (lru-cache, which
 * keeps its order in typed arrays, so a hit, a keep and an eviction each cost the same at any size).
 *
 * It was a Map with a CLOCK sweep (a hit only marked its entry; an eviction walked the map from its
 * oldest end). Under distinct questions that walk is the cost: V8 leaves a deleted Map entry as a hole
 * until the table is rehashed, and every eviction's iterator starts at the front, past all the holes of
 * the evictions before it. Full of 1 kB answers (~50,000 entries in 64 MiB), a miss-and-keep cost 9-33
 * µs, against 0.6-1.3 µs on lru-cache, and a hit 0.2 µs on either (bench/results.md, "The answer cache's
 * eviction"). The maintained library it is, then.
 */
export class AnswerCache {
  /** null when the budget is 0: nothing is kept (lru-cache needs a size limit above 0). */
  private readonly lru: LRUCache<string, Entry> | null
  hits = 0
  misses = 0
  /** Of those, the lookups of finished answers (rendered bodies), as against worked-out values: what says whether a question was asked before. */
  answerHits = 0
  answerMisses = 0
  evictions = 0

  constructor(readonly budget: number) {
    if (!(budget >= 0)) throw new RangeError('a cache budget is a number of bytes ≥ 0')
    const maxSize = Math.floor(budget)
    this.lru =
      maxSize >= 1
        ? new LRUCache<string, Entry>({
            maxSize,
            // An entry's own count (its value's bytes and its key's), so a value larger than the budget is
            // refused by lru-cache itself (maxEntrySize defaults to maxSize).
            sizeCalculation: (e) => Math.max(1, e.bytes),
            dispose: (_e, _k, reason) => {
              if (reason === 'evict') this.evictions++
            },
          })
        : null
  }

  /**
   * The bytes an entry costs beyond its value: the key as UTF-16, and the entry with lru-cache's own
   * bookkeeping (its key map, index lists and sizes), measured at 175-213 bytes beside the key's characters.
   */
  static keyBytes(key: string): number {
    return 2 * key.length + 176
  }

  get<T>(key: string): T | undefined {
    const e = this.lru?.get(key)
    if (e === undefined) {
      this.misses++
      return undefined
    }
    this.hits++
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
    if (this.lru === null) return
    if (bytes > this.budget) {
      this.lru.delete(key)
      return
    }
    this.lru.set(key, { value, bytes })
  }

  /** An entry grew (a gzip copy kept beside a body): counts the bytes, and evicts if over budget. */
  grow(key: string, extraBytes: number): void {
    const e = this.lru?.peek(key)
    if (e === undefined) return
    // A new entry object, so lru-cache sizes it afresh (re-setting the same object keeps its old size).
    this.set(key, e.value, e.bytes - AnswerCache.keyBytes(key) + extraBytes)
  }

  clear(): void {
    this.lru?.clear()
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.lru?.calculatedSize ?? 0
  }

  get entries(): number {
    return this.lru?.size ?? 0
  }
}

interface Entry {
  value: unknown
  /** Value and key. */
  bytes: number
}

/**
 * What a worked-out value holds on V8's heap (Node 20, 64-bit, no pointer compression), at least: its
 * objects, lists, strings and boxed numbers, walked member by member. Property names are not counted
 * (V8 shares them through hidden classes); a string counts two bytes a character and a header, whether
 * V8 holds it one byte a character, two, or as a rope of the pieces a template made it from; an object
 * its header and 24 bytes a member (the slot, the out-of-object property array, and what some shapes
 * hold besides: a type's view, made by spreading the type, holds ~800 B in its object against ~200 B
 * for the same members as one literal). Strings shared with the catalog (names, price sources) are
 * counted as if the value held them: the estimate errs high. Measured per kind, the retained heap being
 * heapUsed after gc before and after keeping every one of the seed's 1,391 types (entry and key
 * included; test/answers/pipeline.test.ts holds the structural figures):
 *
 * | kind (entry and key included)     | retained | counted here | JSON × 2 (before) |
 * |-----------------------------------|----------|--------------|-------------------|
 * | density (six MaxPodsResults)      | ~11.0 kB | ~15.7 kB     | ~14.3 kB          |
 * | view, priced                      | ~1.4 kB  | ~1.8 kB      | ~1.6 kB           |
 * | view, region without prices       | ~1.28 kB | ~1.30 kB     | ~1.6 kB           |
 *
 * JSON × 2 counted what the text holds, not what the heap does (a value of many small numbers, or of
 * strings shared with the catalog, counts short or long of it by the shape of its data), and cost a
 * JSON.stringify per keep: 35-55 µs for a type's density (about half of computing it), 3-5 µs for a
 * view; the walk 7-15 µs and ~1.4 µs. It reads members with Object.values, not for-in or Object.keys:
 * those leave an enum cache behind on objects of such shapes (+~390 B retained per view, measured),
 * Object.values nothing. One thing JSON.stringify did besides: it flattened the ropes it read, so a
 * density kept then held ~7.3 kB, not ~11.0 (counted either way). A value shared within the value is
 * counted once, and a cycle ends the walk there.
 */
export function estimateBytes(value: unknown): number {
  return sizeOf(value, new Set())
}

/** An object's or a list's header, and its allocation rounding. */
const OBJECT_BYTES = 32
/** Per member of an object or item of a list (see estimateBytes). */
const SLOT_BYTES = 24
/** A string's header (hidden class, hash, length), or the nodes of a rope. */
const STRING_BYTES = 24
/** A number that is not a small integer is a HeapNumber of its own. */
const HEAP_NUMBER_BYTES = 16
/** A Map or Set entry: key, value and chain link in V8's ordered hash table, with its doubling slack. */
const MAP_ENTRY_BYTES = 48

function sizeOf(v: unknown, seen: Set<object>): number {
  switch (typeof v) {
    case 'string':
      return STRING_BYTES + 2 * v.length
    case 'number':
      return Number.isInteger(v) && v >= -0x4000_0000 && v < 0x4000_0000 ? 0 : HEAP_NUMBER_BYTES
    case 'bigint':
      return HEAP_NUMBER_BYTES + 8 * Math.ceil(v.toString(16).length / 16)
    case 'object':
      break
    default:
      // Booleans, null, undefined, symbols and functions: shared, or not data.
      return 0
  }
  if (v === null || seen.has(v)) return 0
  seen.add(v)
  if (ArrayBuffer.isView(v)) return OBJECT_BYTES + v.byteLength
  if (v instanceof Map || v instanceof Set) {
    let bytes = 2 * OBJECT_BYTES + MAP_ENTRY_BYTES * v.size
    if (v instanceof Map) for (const [k, item] of v as Map<unknown, unknown>) bytes += sizeOf(k, seen) + sizeOf(item, seen)
    else for (const item of v as Set<unknown>) bytes += sizeOf(item, seen)
    return bytes
  }
  const members: readonly unknown[] = Array.isArray(v) ? v : Object.values(v)
  let bytes = OBJECT_BYTES + SLOT_BYTES * members.length
  for (const m of members) bytes += sizeOf(m, seen)
  return bytes
}
