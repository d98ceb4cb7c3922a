// Plain query functions over refresh_runs, the record every refresh run leaves. They take the database
// (or, for finishRun, the write transaction) and do one statement each; the policy around them (the
// per-query timeouts, which database error is a 503, who owns a run, when to beat) is the caller's,
// src/catalog/refresh.ts.

import type { Queryable } from '../db/db.js'
import type { SkipCounts } from './aws-source.js'

/** A running run writes heartbeat_at this often (one UPDATE by primary key)... */
export const RUN_HEARTBEAT_MS = 5_000
/** ...and one whose heartbeat is older than this (three missed beats) has nobody left to finish it. */
export const RUN_STALE_AFTER_MS = 4 * RUN_HEARTBEAT_MS

export type RefreshRunStatus = 'running' | 'succeeded' | 'failed' | 'refused'

export interface RefreshRun {
  id: number
  startedAt: string
  finishedAt: string | null
  regions: string[]
  status: RefreshRunStatus
  instanceTypes: number | null
  prices: number | null
  skipped: SkipCounts | null
  error: string | null
  catalogVersion: number | null
}

/** What an ended run records besides its status; what a run did not get to stays null. */
export interface RunEnd {
  error?: string
  instanceTypes?: number
  prices?: number
  skipped?: SkipCounts
  catalogVersion?: number
  /** The regions the run covered, when it was asked for every region (its row said ["all"] until then). */
  regions?: string[]
}

/** Takes the next run id without writing a row: the caller marks it live in this process before the
 * row exists, so a concurrent closeAbandonedRuns never sees the row without seeing it among the live. */
export async function reserveRunId(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ id: string | number }>("SELECT nextval(pg_get_serial_sequence('refresh_runs', 'id')) AS id")
  return Number(rows[0]!.id)
}

/** The run's row, `running` with a first heartbeat: written before the first AWS call, so a crash leaves evidence. */
export async function insertRun(q: Queryable, run: { id: number; regions: string[]; owner: string }): Promise<void> {
  await q.query("INSERT INTO refresh_runs (id, regions, status, owner, heartbeat_at) VALUES ($1, $2::text[], 'running', $3, now())", [
    run.id,
    run.regions,
    run.owner,
  ])
}

/** One heartbeat; a run already ended (or closed as abandoned) is left as it is. */
export async function writeHeartbeat(q: Queryable, runId: number): Promise<void> {
  await q.query("UPDATE refresh_runs SET heartbeat_at = now() WHERE id = $1 AND status = 'running'", [runId])
}

export async function finishRun(q: Queryable, runId: number, status: Exclude<RefreshRunStatus, 'running'>, fields: RunEnd): Promise<void> {
  // A failure or refusal only finishes a run still running: one whose write committed after its deadline
  // (it records itself 'succeeded' in that transaction) keeps saying so. 'succeeded' always lands (in
  // the write transaction): its version did, even if the run was taken for abandoned meanwhile.
  await q.query(
    `UPDATE refresh_runs SET status = $2, finished_at = now(), error = $3, instance_types = $4, prices = $5,
       skipped = $6::jsonb, catalog_version = $7, regions = coalesce($8::text[], regions)
     WHERE id = $1 AND (status = 'running' OR $2 = 'succeeded')`,
    [
      runId,
      status,
      fields.error ?? null,
      fields.instanceTypes ?? null,
      fields.prices ?? null,
      fields.skipped ? JSON.stringify(fields.skipped) : null,
      fields.catalogVersion ?? null,
      fields.regions ?? null,
    ],
  )
}

/**
 * Marks failed the runs left `running` by a process that is gone, and returns their ids:
 *  - a run whose heartbeat (or, for rows from before migration 002 that have none, its start) is older
 *    than `staleAfterMs`;
 *  - with `ownedHereOnly` (the embedded database, which one process owns): at once, a run owned by
 *    anyone but `owner`, or by `owner` but not among `liveIds`.
 * The error says which: a run of `owner`'s own stopped without recording its end (the database did not
 * answer then); anyone else's names the owner, whose process is gone.
 */
export async function closeAbandonedRuns(
  q: Queryable,
  who: { staleAfterMs: number; owner: string; ownedHereOnly: boolean; liveIds: number[] },
): Promise<number[]> {
  const { rows } = await q.query<{ id: string | number }>(
    `UPDATE refresh_runs SET status = 'failed', finished_at = now(),
       error = CASE WHEN owner IS NOT DISTINCT FROM $2
         THEN 'abandoned: it stopped without recording its end (the database did not answer then); nothing was written'
         ELSE 'abandoned: its process (' || coalesce(owner, 'unknown') || ') is gone; nothing was written' END
     WHERE status = 'running' AND (
       coalesce(heartbeat_at, started_at) < now() - $1::double precision * interval '1 millisecond'
       OR ($3::boolean AND (owner IS DISTINCT FROM $2 OR NOT (id = ANY ($4::bigint[]))))
     )
     RETURNING id`,
    [who.staleAfterMs, who.owner, who.ownedHereOnly, who.liveIds],
  )
  return rows.map((r) => Number(r.id))
}

/** The `limit` most recent runs, newest first. */
export async function listRuns(q: Queryable, limit: number): Promise<RefreshRun[]> {
  const { rows } = await q.query<{
    id: string
    started_at: Date
    finished_at: Date | null
    regions: string[]
    status: RefreshRunStatus
    instance_types: number | null
    prices: number | null
    // jsonb: a parsed value, or its text; both are read.
    skipped: SkipCounts | string | null
    error: string | null
    catalog_version: string | null
  }>(
    `SELECT id, started_at, finished_at, regions, status, instance_types, prices, skipped, error, catalog_version
     FROM refresh_runs ORDER BY id DESC LIMIT $1`,
    [limit],
  )
  return rows.map((r) => ({
    id: Number(r.id),
    startedAt: new Date(r.started_at).toISOString(),
    finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
    regions: r.regions,
    status: r.status,
    instanceTypes: r.instance_types,
    prices: r.prices,
    skipped: typeof r.skipped === 'string' ? (JSON.parse(r.skipped) as SkipCounts) : r.skipped,
    error: r.error,
    catalogVersion: r.catalog_version === null ? null : Number(r.catalog_version),
  }))
}
