// Graceful shutdown of the real server process (src/server.ts) on the embedded database: SIGTERM while
// requests are in flight. They complete with 200, so do requests that had fully arrived (on open
// keep-alive connections) when SIGTERM came, and so does every request of clients that keep sending
// through it, none reset. New connections are refused, the process exits 0 in bounded time and releases
// the embedded database's lock.
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { Agent, request, type IncomingMessage } from 'node:http'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openPglite } from '../../src/db/pglite.js'
import { freePort } from './pg-cluster.js'
import { seededDataDir } from '../helper.js'

const SERVER = fileURLToPath(new URL('../../src/server.ts', import.meta.url))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function loaderArgs(): string[] {
  const ts = process.execArgv.filter((a) => a.includes('@tapjs/typescript') || a === '--enable-source-maps')
  return ts.length > 0 ? ts : process.execArgv
}

/**
 * The whole body as text, decoded once: decoding chunk by chunk would split the multi-byte characters
 * (×, ÷, ⌈) that fall on a chunk boundary, and the byte count would no longer match Content-Length.
 */
async function readAll(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of res) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** Resolves 'refused' when nothing listens on the port, 'connected' when something does. */
function tryConnect(port: number): Promise<'refused' | 'connected' | string> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' })
    s.once('connect', () => {
      s.destroy()
      resolve('connected')
    })
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED' ? 'refused' : (err.code ?? err.message)))
  })
}


/**
 * A keep-alive HTTP/1.1 client on one raw socket, so that the test decides exactly when each request's
 * bytes leave. Answers are read by Content-Length (every answer here has one).
 */
class RawClient {
  readonly socket: Socket
  answers: Array<{ status: number; close: boolean }> = []
  /** Requests written whose answer has not come. */
  pending = 0
  error: string | null = null
  closed = false
  private buf = Buffer.alloc(0)
  private waiters: Array<() => void> = []

  constructor(port: number) {
    this.socket = connect({ port, host: '127.0.0.1' })
    this.socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d])
      for (;;) {
        const end = this.buf.indexOf('\r\n\r\n')
        if (end < 0) break
        const head = this.buf.subarray(0, end).toString('latin1')
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0)
        if (this.buf.length < end + 4 + length) break
        this.buf = this.buf.subarray(end + 4 + length)
        this.pending--
        this.answers.push({ status: Number(head.slice(9, 12)), close: /\r\nconnection: *close/i.test(head) })
        this.waiters.shift()?.()
      }
    })
    this.socket.on('error', (err: NodeJS.ErrnoException) => (this.error = err.code ?? err.message))
    this.socket.on('close', () => {
      this.closed = true
      for (const w of this.waiters.splice(0)) w()
    })
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve())
      this.socket.once('error', reject)
    })
  }

  /** Writes one whole request; resolves when its answer (or the connection's end) comes. */
  send(path = '/v1/instance-types/m5.large/max-pods'): Promise<void> {
    this.pending++
    const answered = new Promise<void>((resolve) => this.waiters.push(resolve))
    this.socket.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: keep-alive\r\n\r\n`)
    return answered
  }
}

t.test('SIGTERM with requests in flight: they finish, new connections are refused, exit 0, lock released', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cni-shutdown-'))
  const dataDir = join(dir, 'pgdata')
  let child: ChildProcess | null = null
  t.teardown(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })

  // Started on a copy of the seeded database: the server's first start (initdb, migrations, seed) is not
  // what this test is about, and would take most of its time.
  await seededDataDir(dataDir)
  const port = await freePort()
  child = spawn(process.execPath, [...loaderArgs(), SERVER], {
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      LOG_LEVEL: 'info',
      METRICS: 'off',
      RATE_LIMIT_MAX: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const proc = child
  let out = ''
  proc.stdout!.on('data', (d) => (out += d))
  proc.stderr!.on('data', (d) => (out += d))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  )

  const base = `http://127.0.0.1:${port}`
  const startDeadline = Date.now() + 45_000
  let ready = false
  while (!ready && Date.now() < startDeadline && proc.exitCode === null) {
    ready = await fetch(`${base}/readyz`).then((r) => r.ok, () => false)
    if (!ready) await sleep(100)
  }
  t.ok(ready, 'the server starts and is ready')
  if (!ready) return t.comment(out.slice(-2000))
  t.ok(existsSync(`${dataDir}.lock`), 'it holds the embedded database lock')

  // Clients (and load balancers) keep connections open for reuse long after an answer: the server must
  // close them itself once it is shutting down, not wait for the client to.
  const keepAliveAgent = new Agent({ keepAlive: true, timeout: 60_000 })
  t.teardown(() => keepAliveAgent.destroy())

  // 1. A POST whose body is not sent yet: the server has the request (100 Continue) but cannot answer it.
  const body = JSON.stringify({ performance: 'high', networkPolicy: 'required', instanceTypes: ['m5.large'], podsPerNode: 50, totalPods: 3000 })
  const post = request(`${base}/v1/recommendations`, {
    agent: keepAliveAgent,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue', connection: 'keep-alive' },
  })
  const postContinue = new Promise<void>((resolve) => post.once('continue', () => resolve()))
  const postResponse = new Promise<IncomingMessage>((resolve, reject) => {
    post.once('response', resolve)
    post.once('error', reject)
  })
  post.flushHeaders()

  // 2. The whole-catalog CSV capacity plan, read only after SIGTERM.
  const csv = request(`${base}/v1/capacity-plans?totalPods=3000&format=csv`, { agent: keepAliveAgent })
  const csvResponse = new Promise<IncomingMessage>((resolve, reject) => {
    csv.once('response', (res) => {
      res.pause()
      resolve(res)
    })
    csv.once('error', reject)
  })
  csv.end()

  await Promise.race([Promise.all([postContinue, csvResponse]), sleep(10_000)])
  const csvRes = await Promise.race([csvResponse, sleep(1).then(() => null)])
  t.ok(csvRes, 'the CSV answer has started (headers in) before SIGTERM')

  // 3. Keep-alive connections, each answered once and now idle: five get a whole request just before
  //    SIGTERM, five just after it. Every one of them is answered, none reset (a connection with an
  //    unread request used to be destroyed as "idle").
  const idle = await Promise.all(
    Array.from({ length: 10 }, async () => {
      const c = new RawClient(port)
      await c.connected()
      await c.send()
      return c
    }),
  )
  // 4. Clients that keep sending, one request after another, through the shutdown.
  let stopLoad = false
  const loaders = Array.from({ length: 6 }, () => new RawClient(port))
  await Promise.all(loaders.map((c) => c.connected()))
  const load = Promise.all(
    loaders.map(async (c) => {
      for (let i = 0; i < 5000 && !stopLoad && !c.closed; i++) {
        await c.send()
        if (c.answers.at(-1)?.close) break
      }
    }),
  )
  await sleep(200)

  const sent = idle.slice(0, 5).map((c) => c.send())
  const termAt = Date.now()
  proc.kill('SIGTERM')
  sent.push(...idle.slice(5).map((c) => c.send()))

  // The listening socket closes at once, while the two requests are still open.
  let connectResult = await tryConnect(port)
  while (connectResult === 'connected' && Date.now() - termAt < 5000) {
    await sleep(25)
    connectResult = await tryConnect(port)
  }
  t.equal(connectResult, 'refused', `new connections are refused after SIGTERM (${Date.now() - termAt} ms)`)
  t.equal(proc.exitCode, null, 'the process waits for the requests in flight')

  post.end(body)
  const postRes = await postResponse
  const postBody = await readAll(postRes)
  t.equal(postRes.statusCode, 200, 'the in-flight POST is answered 200')
  t.ok(JSON.parse(postBody).recommendation, 'with a whole recommendation')

  let csvText = ''
  if (csvRes) {
    csvRes.resume()
    csvText = await readAll(csvRes)
    t.equal(csvRes.statusCode, 200, 'the in-flight CSV answer completes with 200')
    const declared = Number(csvRes.headers['content-length'] ?? NaN)
    if (Number.isFinite(declared)) t.equal(Buffer.byteLength(csvText), declared, 'every byte of it')
    t.ok(csvText.split('\n').length > 100, `the whole catalog (${csvText.split('\n').length} lines)`)
  }

  await Promise.race([Promise.all(sent), sleep(10_000)])
  for (const [i, c] of idle.entries()) {
    const when = i < 5 ? 'sent just before SIGTERM' : 'sent just after SIGTERM'
    t.same({ error: c.error, pending: c.pending, statuses: c.answers.map((a) => a.status) }, { error: null, pending: 0, statuses: [200, 200] }, `idle connection ${i}: the request ${when} is answered 200`)
  }
  stopLoad = true
  await Promise.race([load, sleep(10_000)])
  const loadAnswers = loaders.reduce((n, c) => n + c.answers.length, 0)
  t.same(
    loaders.map((c) => ({ error: c.error, pending: c.pending, allOk: c.answers.every((a) => a.status === 200) })),
    loaders.map(() => ({ error: null, pending: 0, allOk: true })),
    `clients sending through the shutdown: every request answered 200, none reset (${loadAnswers} answers)`,
  )
  t.ok(loaders.every((c) => c.answers.at(-1)?.close), 'each was told to close its connection, and stopped')

  const exit = await Promise.race([exited, sleep(15_000).then(() => null)])
  t.ok(exit, 'the process exits within 15 s of SIGTERM')
  if (!exit) return t.comment(out.slice(-2000))
  t.same({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, `exit code 0 (${exit.at - termAt} ms after SIGTERM)`)
  t.match(out, /shutting down/, 'it logged the shutdown')
  t.notOk(existsSync(`${dataDir}.lock`), 'the embedded database lock file is removed')

  const db = await openPglite(dataDir)
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM catalog_versions')
  await db.close()
  t.equal(rows[0]!.n, 1, 'another process opens the data directory, intact')
})
