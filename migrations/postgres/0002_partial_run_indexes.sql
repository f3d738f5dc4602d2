-- A run is pending, then running, then done for good; the finished runs,
-- nearly all of them, are looked up by schedule and id, never by status. The
-- indexes that find runs by status keep only the runs that can still change:
-- a claim adds no entry to the claimable index, and the end of a run adds
-- none to either. Every query that uses them names the status as a literal,
-- so the planner can tell the index covers it.
DROP INDEX runs_claimable;
CREATE INDEX runs_claimable ON runs (due_at, id) WHERE status = 'pending';

DROP INDEX runs_active;
CREATE INDEX runs_active ON runs (status, schedule_id)
    WHERE status IN ('pending', 'running');
