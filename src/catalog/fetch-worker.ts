// The refresh's fetch from AWS (aws-source.ts fetchCatalog) in a worker thread of its own, with a small
// V8 heap of its own, gone when the fetch is done.
//
// Why: a fetch of every commercial region reads ~1,500 pages through the AWS SDK (~350 MiB of JSON and
// XML answers, ~90,000 product documents parsed one by one) and keeps ~90,000 prices. That is nearly all
// garbage, and V8 collects old garbage only when its heap nears a limit that follows the machine's memory
// (gigabytes): in the service's own thread the fetch took the process ~220 MiB above idle, the SDK's
// ~75 MiB of code and schemas (most replicas never load them) included, and the service kept that memory
// afterwards. A worker is an isolate of its own: it gets a heap limit (FETCH_WORKER_RESOURCE_LIMITS) that
// makes V8 collect as it goes, without touching the heap of the thread that answers requests, and all of
// it, the SDK included, is freed when the worker ends. It is the same process, so its memory counts in
// the service's RSS (and the pod's limit): this bounds the memory, it does not hide it.
//
// What crosses: the options that are plain values (the worker builds its own clients from the SDK's
// standard chain, environment included), log lines (to the caller's log), an abort (the refresh deadline
// or shutdown), and the result, compactly: instance type names and spot timestamps once each, every
// region's prices of one kind as typed arrays (transferred, not copied). An error comes back with its
// name, message, code and causes, so the refresh tells a timeout or an abort from a failure as before.
// Injected clients or a retry strategy (the tests) cannot cross a thread: fetchCatalogInWorker then runs
// the fetch where it is called.

import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import type { CapacityType, Price } from '../domain/types.js'
import { fetchCatalog, type AwsSourceLog, type AwsSourceOptions, type CatalogResult } from './aws-source.js'

const WORKER_KIND = 'cni-advisor/fetch-catalog'

/**
 * The worker's V8 heap: old generation and young generation, MiB. The fetch keeps ~10 MiB of results
 * and the SDK ~20 MiB of its own; the rest of what it allocates is a page or a document at a time. At
 * this limit a fetch of every commercial region took a bare process ~100 MiB above its start, SDK
 * included, where V8's default (which follows the machine's memory) let the same fetch reach ~220 MiB;
 * a whole refresh in the service stays 95-120 MiB above idle (bench/scale-results.md). A fetch that
 * needed more would fail (the refresh fails, nothing written, the service answers on).
 */
export const FETCH_WORKER_RESOURCE_LIMITS = { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 8 } as const

/** The options that can be sent to the worker (plain values). */
const PLAIN_OPTIONS = ['maxAttempts', 'connectionTimeoutMs', 'requestTimeoutMs', 'regionConcurrency', 'homeRegion', 'maxPages'] as const
type PlainOptions = Pick<AwsSourceOptions, (typeof PLAIN_OPTIONS)[number]>

/** Whether a fetch with these options can run in the worker: it builds its own clients (no injected
 * clients, no retry strategy object, which cannot cross a thread). */
export function canFetchInWorker(opts: AwsSourceOptions): boolean {
  return opts.pricingClient === undefined && opts.ec2ClientFor === undefined && opts.retryStrategy === undefined
}

interface Start {
  kind: typeof WORKER_KIND
  regions: string[] | 'all'
  options: PlainOptions
  /** The caller's clock minus the real one: the worker's `now` keeps the caller's clock's offset. */
  clockOffsetMs: number
}

interface WireError {
  name: string
  message: string
  code?: string
  cause?: WireError
}

/** A region's prices of one kind, source and as-of: names and timestamps as indexes into the tables. */
interface EncodedGroup {
  region: string
  capacityType: CapacityType
  source: string
  asOf: string
  types: Int32Array
  usd: Float64Array
  /** -1: none. */
  azCount: Int32Array | null
  /** Index into `timestamps`, -1: none. */
  spotTimestamp: Int32Array | null
}

interface EncodedCatalog extends Omit<CatalogResult, 'prices'> {
  names: string[]
  timestamps: string[]
  groups: EncodedGroup[]
}

type FromWorker =
  | { type: 'log'; level: 'info' | 'warn'; obj: object; msg?: string }
  | { type: 'result'; result: EncodedCatalog }
  | { type: 'error'; error: WireError }

type ToWorker = { type: 'abort'; reason: string }

// ------------------------------------------------------------------ the wire

function toWire(err: unknown, depth = 0): WireError {
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown }
  const wire: WireError = { name: typeof e.name === 'string' ? e.name : 'Error', message: typeof e.message === 'string' ? e.message : String(err) }
  if (typeof e.code === 'string') wire.code = e.code
  if (e.cause !== undefined && depth < 5) wire.cause = toWire(e.cause, depth + 1)
  return wire
}

function fromWire(w: WireError): Error {
  const err = new Error(w.message, w.cause ? { cause: fromWire(w.cause) } : undefined)
  err.name = w.name
  if (w.code !== undefined) (err as Error & { code?: string }).code = w.code
  return err
}

function encode(result: CatalogResult): { encoded: EncodedCatalog; transfer: ArrayBuffer[] } {
  const nameIndex = new Map<string, number>()
  const timestampIndex = new Map<string, number>()
  const indexOf = (map: Map<string, number>, s: string): number => {
    let i = map.get(s)
    if (i === undefined) map.set(s, (i = map.size))
    return i
  }
  const open = new Map<string, { g: Omit<EncodedGroup, 'types' | 'usd' | 'azCount' | 'spotTimestamp'>; types: number[]; usd: number[]; az: number[]; ts: number[]; spot: boolean }>()
  for (const p of result.prices) {
    const kind = p.capacityType ?? 'on-demand'
    const key = `${p.region}\u0000${kind}\u0000${p.source}\u0000${p.asOf}`
    let o = open.get(key)
    if (!o) open.set(key, (o = { g: { region: p.region, capacityType: kind, source: p.source, asOf: p.asOf }, types: [], usd: [], az: [], ts: [], spot: false }))
    o.types.push(indexOf(nameIndex, p.instanceType))
    o.usd.push(p.usdPerHour)
    o.az.push(p.azCount ?? -1)
    o.ts.push(p.spotTimestamp === undefined ? -1 : indexOf(timestampIndex, p.spotTimestamp))
    if (p.azCount !== undefined || p.spotTimestamp !== undefined) o.spot = true
  }
  const transfer: ArrayBuffer[] = []
  const groups = [...open.values()].map(({ g, types, usd, az, ts, spot }) => {
    const group: EncodedGroup = {
      ...g,
      types: Int32Array.from(types),
      usd: Float64Array.from(usd),
      azCount: spot ? Int32Array.from(az) : null,
      spotTimestamp: spot ? Int32Array.from(ts) : null,
    }
    for (const a of [group.types, group.usd, group.azCount, group.spotTimestamp]) if (a) transfer.push(a.buffer as ArrayBuffer)
    return group
  })
  const { prices: _prices, ...rest } = result
  return { encoded: { ...rest, names: [...nameIndex.keys()], timestamps: [...timestampIndex.keys()], groups }, transfer }
}

/** The result as fetchCatalog returns it: the same prices, in the same order, of the same shape; each
 * name and timestamp one shared string. */
function decode(e: EncodedCatalog): CatalogResult {
  const { names, timestamps, groups, ...rest } = e
  const prices: Price[] = []
  for (const g of groups) {
    for (let i = 0; i < g.types.length; i++) {
      const p: Price = { region: g.region, instanceType: names[g.types[i]!]!, usdPerHour: g.usd[i]!, source: g.source, asOf: g.asOf }
      if (g.capacityType !== 'on-demand') p.capacityType = g.capacityType
      const az = g.azCount?.[i] ?? -1
      if (az >= 0) p.azCount = az
      const ts = g.spotTimestamp?.[i] ?? -1
      if (ts >= 0) p.spotTimestamp = timestamps[ts]!
      prices.push(p)
    }
  }
  // The types' names are the prices' strings too.
  const shared = new Map(names.map((n) => [n, n]))
  for (const t of rest.instanceTypes) t.name = shared.get(t.name) ?? t.name
  return { ...rest, prices }
}

// ------------------------------------------------------------------ the caller's side

/**
 * fetchCatalog in a worker thread (see the header), with the same result and errors; where the options
 * cannot cross a thread (canFetchInWorker), fetchCatalog itself, here.
 */
export function fetchCatalogInWorker(regions: string[] | 'all', opts: AwsSourceOptions = {}): Promise<CatalogResult> {
  if (!canFetchInWorker(opts)) return fetchCatalog(regions, opts)
  const options: PlainOptions = {}
  for (const k of PLAIN_OPTIONS) if (opts[k] !== undefined) (options as Record<string, unknown>)[k] = opts[k]
  const start: Start = { kind: WORKER_KIND, regions, options, clockOffsetMs: opts.now ? opts.now().getTime() - Date.now() : 0 }
  const signal = opts.abortSignal
  return new Promise<CatalogResult>((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: start, resourceLimits: FETCH_WORKER_RESOURCE_LIMITS })
    let settled = false
    let kill: NodeJS.Timeout | undefined
    const finish = (settle: () => void) => {
      if (settled) return
      settled = true
      signal?.removeEventListener('abort', onAbort)
      clearTimeout(kill)
      // Settled once the worker is gone: when the promise settles, no call of this fetch is still in flight
      // or about to be sent (a failed region's siblings would otherwise keep calling AWS for a moment,
      // beside the next refresh's calls). terminate() rejects only if the worker is already gone.
      worker.terminate().then(settle, settle)
    }
    const onAbort = () => {
      worker.postMessage({ type: 'abort', reason: reasonOf(signal?.reason) } satisfies ToWorker)
      // The worker answers an abort at once (its calls end, it reports where); one that does not is ended.
      kill = setTimeout(() => finish(() => reject(Object.assign(new Error('the catalog fetch was stopped'), { name: 'AbortError' }))), 5_000)
      kill.unref()
    }
    if (signal?.aborted) onAbort()
    else signal?.addEventListener('abort', onAbort, { once: true })
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'log') opts.log?.[m.level](m.obj, m.msg)
      else if (m.type === 'result') finish(() => resolve(decode(m.result)))
      else finish(() => reject(fromWire(m.error)))
    })
    worker.on('error', (err: Error & { code?: string }) => {
      const why =
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `the catalog fetch ran out of its heap (FETCH_WORKER_RESOURCE_LIMITS, ${FETCH_WORKER_RESOURCE_LIMITS.maxOldGenerationSizeMb} MiB): ${err.message}`
          : `the catalog fetch worker failed: ${err.message}`
      finish(() => reject(new Error(why, { cause: err })))
    })
    worker.on('exit', (code) => finish(() => reject(new Error(`the catalog fetch worker exited (code ${code}) before it answered`))))
  })
}

function reasonOf(reason: unknown): string {
  return reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'stopped'
}

// ------------------------------------------------------------------ the worker's side

async function serve(start: Start): Promise<void> {
  const port = parentPort!
  const stop = new AbortController()
  const onMessage = (m: ToWorker) => {
    if (m.type === 'abort') stop.abort(new Error(m.reason))
  }
  port.on('message', onMessage)
  const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer)
  const line = (level: 'info' | 'warn') => (obj: object, msg?: string) => {
    try {
      post({ type: 'log', level, obj, ...(msg !== undefined ? { msg } : {}) })
    } catch {
      post({ type: 'log', level, obj: JSON.parse(JSON.stringify(obj)) as object, ...(msg !== undefined ? { msg } : {}) })
    }
  }
  const log: AwsSourceLog = { info: line('info'), warn: line('warn') }
  try {
    const result = await fetchCatalog(start.regions, {
      ...start.options,
      log,
      now: () => new Date(Date.now() + start.clockOffsetMs),
      abortSignal: stop.signal,
    })
    const { encoded, transfer } = encode(result)
    post({ type: 'result', result: encoded }, transfer)
  } catch (err) {
    post({ type: 'error', error: toWire(err) })
  } finally {
    port.off('message', onMessage)
  }
}

if (!isMainThread && (workerData as Partial<Start> | null)?.kind === WORKER_KIND) void serve(workerData as Start)
