// Requests per key per window (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_SECONDS): a fixed window per key,
// counted synchronously in the request hooks the service already runs (security.ts decides the keys:
// every request per client address first, a signed Slack request also per workspace).
//
// Replaces @fastify/rate-limit (https://github.com/fastify/fastify-rate-limit), for two reasons:
// - Cost. Its check is two async functions, a promise around its store, a result object,
//   `request.routeOptions` (a fresh object on every read) and an IPv6 regex on every request: about 6 %
//   of a small answer's work, the row "rate limit checked synchronously in each route's onRequest hook, built once per route (was
//   @fastify/rate-limit ...)" of the table "Where a small answer's time went, 2026-12-02" in
//   bench/results.md. It was measured on one repeated request, not on distinct ones.
// - Eviction. Its in-memory store (store/LocalStore.js) is an LRU of `cache` entries (toad-cache's
//   LruMap, 5,000 by default). A flood of distinct keys pushes out the windows of clients that are still
//   sending, and their counts start again from zero. This one never drops a window that has not ended.
//   When the table is full of live windows, a new key is refused (429, reason 'full') until the oldest
//   window ends. Memory stays bounded by `maxClients` either way.
// Otherwise it behaves like the plugin: 429 in the error shape with Retry-After, and x-ratelimit-limit,
// -remaining and -reset on every rate-limited answer. A client address counts as one key (an IPv6 client
// by its /64, as the plugin did), and probes are exempt.

export interface RateLimitOptions {
  /** Requests allowed per key per window. */
  max: number
  windowMs: number
  /** Keys tracked at most (default 10,000, ~1 MB); past it a new key waits until a window ends. */
  maxClients?: number
  /** Milliseconds (tests pass a fake clock). */
  now?: () => number
}

interface Window {
  count: number
  endsAt: number
}

/** What one `take` decided. */
export interface RateLimitVerdict {
  /** True when the request may go on. */
  allowed: boolean
  /** Requests the key has left in its window after this one (x-ratelimit-remaining). */
  remaining: number
  /** Whole seconds (≥ 1) until the window ends (x-ratelimit-reset; Retry-After when refused). */
  reset: number
  /**
   * Why it was refused: 'limit' means the key used up its window. 'full' means the table holds
   * maxClients windows that have not ended, and this key is not one of them. Null when allowed.
   */
  refused: 'limit' | 'full' | null
}

export class RateLimiter {
  readonly max: number
  readonly windowMs: number
  readonly maxClients: number
  private readonly now: () => number
  private readonly windows = new Map<string, Window>()
  // The windows in the order they started, which is the order they end in (every window is windowMs
  // long): the ended ones are always at the front, from `head`. A key whose window ended and started
  // again is further back; its old place is stale (no longer the map's window) and is passed over.
  // A queue of its own rather than the Map's order: reading a Map from its front walks every entry
  // deleted there until V8 rehashes it, ~6 µs per refused new key once the table had filled and emptied.
  private order: Array<{ key: string; w: Window }> = []
  private head = 0
  // One verdict object, rewritten by each take(): the hooks read it at once, synchronously, so a
  // request allocates nothing here.
  private readonly verdict: RateLimitVerdict = { allowed: true, remaining: 0, reset: 1, refused: null }

  constructor(opts: RateLimitOptions) {
    if (!(opts.max >= 1) || !(opts.windowMs >= 1)) throw new RangeError('a rate limit needs max ≥ 1 and windowMs ≥ 1')
    this.max = opts.max
    this.windowMs = opts.windowMs
    this.maxClients = Math.max(1, opts.maxClients ?? 10_000)
    this.now = opts.now ?? Date.now
  }

  /**
   * Counts one request under `key`. The verdict returned is rewritten by the next call: read it first.
   * A refused request still counts in its window (a client that keeps trying does not get through sooner).
   */
  take(key: string): Readonly<RateLimitVerdict> {
    const now = this.now()
    const v = this.verdict
    let w = this.windows.get(key)
    if (w === undefined || w.endsAt <= now) {
      if (w !== undefined) this.windows.delete(key)
      else if (this.windows.size >= this.maxClients && !this.dropEnded(now)) {
        // Every tracked window is live. Dropping one would let its client start again from zero, so
        // this new key waits until the oldest window ends and frees a place.
        const oldest = this.order[this.head]!.w
        v.allowed = false
        v.remaining = 0
        v.reset = seconds(oldest.endsAt - now)
        v.refused = 'full'
        return v
      }
      w = { count: 0, endsAt: now + this.windowMs }
      this.windows.set(key, w)
      this.order.push({ key, w })
      // A key that starts window after window leaves a stale place each time: the queue is kept to at
      // most twice the table (plus some slack), so it stays bounded when the table never fills.
      if (this.order.length - this.head > 2 * this.maxClients + 1024) {
        this.order = this.order.slice(this.head).filter((e) => this.windows.get(e.key) === e.w)
        this.head = 0
      }
    }
    const count = ++w.count
    v.reset = seconds(w.endsAt - now)
    if (count > this.max) {
      v.allowed = false
      v.remaining = 0
      v.refused = 'limit'
    } else {
      v.allowed = true
      v.remaining = this.max - count
      v.refused = null
    }
    return v
  }

  /**
   * Drops the windows that have ended (all at the front of the queue), and passes over stale places, so
   * that the front is the oldest live window afterwards. True when at least one window went.
   */
  private dropEnded(now: number): boolean {
    const before = this.windows.size
    const order = this.order
    while (this.head < order.length) {
      const { key, w } = order[this.head]!
      if (this.windows.get(key) === w) {
        if (w.endsAt > now) break
        this.windows.delete(key)
      }
      this.head++
    }
    // The places passed over go once they are half the queue: each is copied at most once.
    if (this.head > 1024 && this.head * 2 > order.length) {
      this.order = order.slice(this.head)
      this.head = 0
    }
    return this.windows.size < before
  }

  /** Keys currently tracked (for tests and metrics). */
  get size(): number {
    return this.windows.size
  }

  /** Places held in the queue of windows (for tests: it stays bounded). */
  get queued(): number {
    return this.order.length - this.head
  }
}

/** Whole seconds, rounded up, never less than one (a client told "0" would retry at once). */
const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000))

/**
 * The key a client address counts under: an IPv4 address as it is; an IPv4-mapped IPv6 address as its
 * IPv4 form; any other IPv6 address by its /64 prefix, since one host commonly holds a whole /64 and could
 * otherwise take a fresh limit per address.
 */
export function clientKey(ip: string): string {
  if (ip.indexOf(':') === -1) return ip
  let addr = ip.toLowerCase()
  const zone = addr.indexOf('%')
  if (zone !== -1) addr = addr.slice(0, zone)
  const mapped = /^(?:0{0,4}:){0,5}(?:0{0,4}:)?ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(addr.startsWith('::') ? addr.slice(1) : addr)
  if (mapped) return mapped[1]!
  const groups = ipv6Groups(addr)
  if (groups === null) return addr // not an address we can read: count it as given
  return `${groups.slice(0, 4).join(':')}::/64`
}

/** The eight 16-bit groups of an IPv6 address (without leading zeros), or null if it is not one. */
function ipv6Groups(addr: string): string[] | null {
  const halves = addr.split('::')
  if (halves.length > 2) return null
  const part = (s: string): string[] => (s === '' ? [] : s.split(':'))
  const head = part(halves[0]!)
  const tail = halves.length === 2 ? part(halves[1]!) : []
  // A trailing dotted IPv4 part stands for two groups.
  const last = (tail.length ? tail : head).at(-1)
  const v4 = last !== undefined && last.includes('.') ? 1 : 0
  const missing = 8 - head.length - tail.length - v4
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail]
  const out: string[] = []
  for (const g of groups) {
    if (g.includes('.')) continue
    if (!/^[0-9a-f]{1,4}$/.test(g)) return null
    out.push(g.replace(/^0+(?=.)/, ''))
  }
  return out
}

/** A window in words for messages: "1 minute", "30 seconds", "2 hours". */
export function describeWindow(ms: number): string {
  const seconds = Math.round(ms / 1000)
  const [n, unit] = seconds % 3600 === 0 ? [seconds / 3600, 'hour'] : seconds % 60 === 0 ? [seconds / 60, 'minute'] : [seconds, 'second']
  return `${n} ${unit}${n === 1 ? '' : 's'}`
}
