// A throw-away PostgreSQL cluster for fault tests: its own data directory, port and socket directory,
// so a test can stop and start the server without disturbing anyone else's database.
// Server binaries are looked up at run time (/usr/lib/postgresql/<version>/bin, then PATH); as root the
// server runs as the `postgres` OS user (initdb and postgres refuse to run as root).
import { execFileSync, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

export interface PgBinaries {
  initdb: string
  pgCtl: string
}

/** The newest local server binaries, or null when there are none. */
export function findPgBinaries(): PgBinaries | null {
  const candidates: string[] = []
  const root = '/usr/lib/postgresql'
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
    for (const v of versions) candidates.push(join(root, v, 'bin'))
  }
  candidates.push(...(process.env.PATH ?? '').split(delimiter).filter(Boolean))
  for (const dir of candidates) {
    const initdb = join(dir, 'initdb')
    const pgCtl = join(dir, 'pg_ctl')
    if (existsSync(initdb) && existsSync(pgCtl)) return { initdb, pgCtl }
  }
  return null
}

/** The reason a cluster cannot be made here, or null when it can. */
export function clusterUnavailableReason(): string | null {
  const bins = findPgBinaries()
  if (!bins) return 'no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin or on PATH'
  if (process.getuid?.() === 0 && !postgresUser()) return 'running as root and there is no `postgres` OS user to run the server as'
  return null
}

function postgresUser(): { uid: number; gid: number } | null {
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' })
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' })
  if (r.status !== 0 || g.status !== 0) return null
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) }
}

/** A free TCP port in 55000-55999 on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const start = 55000 + Math.floor(Math.random() * 1000)
  for (let i = 0; i < 1000; i++) {
    const port = 55000 + ((start - 55000 + i) % 1000)
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer()
      s.once('error', () => resolve(false))
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
    })
    if (ok) return port
  }
  throw new Error('no free port in 55000-55999')
}

export interface Cluster {
  port: number
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string
  start(): void
  /** `pg_ctl stop -m immediate`: the server goes away at once, like a crash. */
  stopImmediate(): void
  /** Stops the server (if running) and removes every file. Safe to call twice. */
  destroy(): void
}

/** initdb + pg_ctl start into a new temporary directory. The caller must call destroy() (teardown). */
export async function createCluster(): Promise<Cluster> {
  const bins = findPgBinaries()
  if (!bins) throw new Error('no PostgreSQL server binaries')
  const root = mkdtempSync(join(tmpdir(), 'cni-pgcluster-'))
  const dataDir = join(root, 'data')
  const sockDir = root
  const logFile = join(root, 'server.log')
  const asRoot = process.getuid?.() === 0
  const owner = asRoot ? postgresUser() : null
  if (asRoot && !owner) throw new Error('running as root without a postgres OS user')
  if (owner) chownSync(root, owner.uid, owner.gid)

  const run = (file: string, args: string[]) => {
    const [cmd, argv] = owner ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args]
    return execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, encoding: 'utf8' })
  }
  const port = await freePort()
  let running = false
  let destroyed = false
  const cluster: Cluster = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start() {
      run(bins.pgCtl, [
        'start',
        '-D',
        dataDir,
        '-l',
        logFile,
        '-w',
        '-t',
        '30',
        '-o',
        `-p ${port} -k ${sockDir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`,
      ])
      running = true
    },
    stopImmediate() {
      run(bins.pgCtl, ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '30'])
      running = false
    },
    destroy() {
      if (destroyed) return
      destroyed = true
      if (running || existsSync(join(dataDir, 'postmaster.pid'))) {
        try {
          run(bins.pgCtl, ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '30'])
        } catch {
          // already stopped
        }
      }
      running = false
      rmSync(root, { recursive: true, force: true })
    },
  }
  try {
    run(bins.initdb, ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C'])
    cluster.start()
  } catch (err) {
    cluster.destroy()
    const e = err as Error & { stderr?: string }
    throw new Error(`could not create a throw-away PostgreSQL cluster: ${e.message}${e.stderr ? `\n${e.stderr}` : ''}`)
  }
  return cluster
}
