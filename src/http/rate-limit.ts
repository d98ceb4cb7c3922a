// Requests per client per window (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_SECONDS): a fixed window per
// key, counted synchronously in the request hook the service already runs.
//
// Why not @fastify/rate-limit (which this replaced): its check is two async functions, a promise around
// its store, a result object, `request.routeOptions` (a fresh object on every read) and an IPv6 regex on
// every request: about 9,000 instructions of a 130,000-instruction small answer, the largest single cost
// the service added to fastify (bench/results.md). The behaviour is the same: 429 in the error shape with
// Retry-After, one count per client address (an IPv6 client by its /64, as the plugin did), probes
// exempt, Slack counted per workspace; memory is bounded by `maxClients`.

export interface RateLimitOptions {
  /** Requests allowed per key per window. */
  max: number
  windowMs: number
  /** Keys tracked at most; past it the oldest window is dropped (default 10,000, ~1 MB). */
  maxClients?: number
  /** Milliseconds (tests pass a fake clock). */
  now?: () => number
}

interface Window {
  count: number
  endsAt: number
}

export class RateLimiter {
  readonly max: number
  readonly windowMs: number
  private readonly maxClients: number
  private readonly now: () => number
  // Map order is the order windows started in (a new window re-inserts its key), so the first entry
  // is the oldest window: the one to drop when full, and usually already over.
  private readonly windows = new Map<string, Window>()

  constructor(opts: RateLimitOptions) {
    if (!(opts.max >= 1) || !(opts.windowMs >= 1)) throw new RangeError('a rate limit needs max ≥ 1 and windowMs ≥ 1')
    this.max = opts.max
    this.windowMs = opts.windowMs
    this.maxClients = Math.max(1, opts.maxClients ?? 10_000)
    this.now = opts.now ?? Date.now
  }

  /**
   * Counts one request under `key`. Returns 0 when it may go on; otherwise the whole seconds (≥ 1)
   * until the key's window ends, for Retry-After.
   */
  take(key: string): number {
    const now = this.now()
    let w = this.windows.get(key)
    if (w === undefined || w.endsAt <= now) {
      if (w !== undefined) this.windows.delete(key)
      else if (this.windows.size >= this.maxClients) this.windows.delete(this.windows.keys().next().value!)
      w = { count: 0, endsAt: now + this.windowMs }
      this.windows.set(key, w)
    }
    return ++w.count > this.max ? Math.max(1, Math.ceil((w.endsAt - now) / 1000)) : 0
  }

  /** Keys currently tracked (for tests and metrics). */
  get size(): number {
    return this.windows.size
  }
}

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
