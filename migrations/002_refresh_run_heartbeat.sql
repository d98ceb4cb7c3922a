-- A running refresh says who runs it and that it is still alive, so a run left 'running' by a process
-- that died (SIGKILL, OOM, eviction) is closed as soon as anyone looks, not after an hour
-- (src/catalog/refresh.ts closeDeadRuns):
--  - owner: host, pid and a random part of the process (and database handle) running it;
--  - heartbeat_at: written every few seconds while it runs; a stale one means nobody is left.
-- Rows from before this migration have neither: they count from started_at.
ALTER TABLE refresh_runs
  ADD COLUMN owner text,
  ADD COLUMN heartbeat_at timestamptz;
