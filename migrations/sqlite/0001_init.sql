-- Instants are stored as INTEGER milliseconds since the Unix epoch, UTC.

-- Handler modules, by the SHA-256 of their bytes; shared by the function
-- versions that use the same module.
CREATE TABLE modules (
    hash TEXT PRIMARY KEY NOT NULL,
    bytes BLOB NOT NULL,
    size INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

-- A function is a module plus its manifest; (id, version) never changes meaning.
CREATE TABLE functions (
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    data_schema TEXT NOT NULL,
    example TEXT NOT NULL,
    module_hash TEXT NOT NULL REFERENCES modules (hash),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (id, version)
);

CREATE TABLE schedules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    function_id TEXT NOT NULL,
    function_version INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    data TEXT NOT NULL,
    timing_kind TEXT NOT NULL CHECK (timing_kind IN ('cron', 'once', 'manual')),
    cron_expression TEXT,
    -- The natural-language phrase the cron expression was made from, if any.
    phrase TEXT,
    run_at INTEGER,
    timezone TEXT NOT NULL,
    timeout_ms INTEGER NOT NULL,
    catch_up TEXT NOT NULL CHECK (catch_up IN ('none', 'one', 'all')),
    overlap TEXT NOT NULL CHECK (overlap IN ('skip', 'allow', 'queue')),
    -- Retries after a failed first attempt: 0 none, -1 without limit.
    max_retries INTEGER NOT NULL,
    backoff TEXT NOT NULL CHECK (backoff IN ('exponential', 'fixed')),
    backoff_base_ms INTEGER NOT NULL,
    backoff_cap_ms INTEGER NOT NULL,
    failure_trigger INTEGER REFERENCES schedules (id) ON DELETE SET NULL,
    event_id TEXT UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('active', 'paused')),
    -- The next fire time; NULL when the schedule does not fire on its own.
    next_run_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    FOREIGN KEY (function_id, function_version) REFERENCES functions (id, version)
);

CREATE INDEX schedules_due ON schedules (status, next_run_at);

CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    schedule_id INTEGER NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    function_id TEXT NOT NULL,
    function_version INTEGER NOT NULL,
    data TEXT NOT NULL,
    trigger TEXT NOT NULL,
    scheduled_for INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    status TEXT NOT NULL,
    -- When the run may start; a claim takes pending runs whose time has come.
    due_at INTEGER NOT NULL,
    -- A serial run starts only when no other run of its schedule is running,
    -- and after the serial runs before it (queued and caught-up fire times).
    serial INTEGER NOT NULL DEFAULT 0,
    timeout_ms INTEGER NOT NULL,
    instance_id TEXT,
    lease_until INTEGER,
    started_at INTEGER,
    finished_at INTEGER,
    exit_code INTEGER,
    error TEXT,
    created_at INTEGER NOT NULL
);

-- A fire time becomes a run exactly once, whoever notices it first.
CREATE UNIQUE INDEX runs_fire_time ON runs (schedule_id, scheduled_for, attempt)
    WHERE trigger <> 'manual';
CREATE INDEX runs_claimable ON runs (status, due_at);
CREATE INDEX runs_by_schedule ON runs (schedule_id, id);
CREATE INDEX runs_active ON runs (schedule_id, status);

-- Decisions about a schedule: skipped and caught-up fire times, retries,
-- giving up, pauses. With the runs, they account for every fire time.
CREATE TABLE schedule_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    schedule_id INTEGER NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    run_id INTEGER,
    first_fire_time INTEGER,
    last_fire_time INTEGER,
    fire_count INTEGER NOT NULL,
    reason TEXT NOT NULL
);

CREATE INDEX schedule_events_by_schedule ON schedule_events (schedule_id, id);

CREATE TABLE run_output (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    stream TEXT NOT NULL CHECK (stream IN ('stdout', 'stderr')),
    bytes BLOB NOT NULL,
    -- JSON array of [byte offset, unix ms]: where each line starts, and when.
    lines TEXT NOT NULL,
    total_bytes INTEGER NOT NULL,
    omitted_bytes INTEGER NOT NULL,
    omitted_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, stream)
);
