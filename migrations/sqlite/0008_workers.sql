-- Logical workers and their instances. A worker's version goes up when the
-- hash of its definitions changes; each instance records the version it
-- started with and beats its heart while it runs.
CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    version INTEGER NOT NULL,
    definitions_hash TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Every set of definitions a worker has run with, by version: instances
-- that start with definitions seen before take that version again.
CREATE TABLE worker_versions (
    worker_id TEXT NOT NULL REFERENCES workers (id),
    version INTEGER NOT NULL,
    definitions_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (worker_id, version),
    UNIQUE (worker_id, definitions_hash)
);

CREATE TABLE worker_instances (
    id TEXT PRIMARY KEY,
    worker_id TEXT NOT NULL REFERENCES workers (id),
    hostname TEXT NOT NULL,
    version INTEGER NOT NULL,
    concurrency INTEGER NOT NULL,
    -- The functions it registered at start, as a JSON array of `id@version`.
    functions TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    -- Set when it stopped cleanly; a crashed instance just stops beating.
    stopped_at INTEGER
);

-- A schedule may name the worker whose instances alone run it; its runs
-- carry the same, so an instance claims only what it may run.
ALTER TABLE schedules ADD COLUMN worker_id TEXT;
ALTER TABLE runs ADD COLUMN worker_id TEXT;
