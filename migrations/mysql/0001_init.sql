-- The same schema as the SQLite migrations (migrations/sqlite), all of them
-- folded into one migration for MySQL 8 and MariaDB 10.11. Tables, columns
-- and their order, constraints and indexes match those of SQLite after its
-- last migration, and columns that SQLite adds later with ALTER TABLE close
-- their table here. The one addition is runs.fire_key, see there.
--
-- Instants are BIGINT milliseconds since the Unix epoch, UTC, and flags are
-- BIGINT 0 or 1, as in SQLite. Text that is part of a key or an index is
-- VARCHAR (SHA-256 hex hashes 64 characters, the rest 255), other text
-- LONGTEXT, bytes LONGBLOB. The binary collation compares text by its bytes,
-- case-sensitive as in SQLite.
--
-- The connection runs with sql_mode ANSI_QUOTES, so identifiers are quoted
-- with double quotes: "trigger", "lines" and "groups" are reserved words.
-- Foreign keys are written as table constraints, since MySQL ignores a
-- REFERENCES clause on a column.

-- Handler modules, by the SHA-256 (hex) of their bytes, shared by the
-- function versions that use the same module.
CREATE TABLE modules (
    hash VARCHAR(64) NOT NULL PRIMARY KEY,
    bytes LONGBLOB NOT NULL,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A function is a module plus its manifest: (id, version) never changes meaning.
CREATE TABLE functions (
    id VARCHAR(255) NOT NULL,
    version BIGINT NOT NULL,
    title LONGTEXT NOT NULL,
    description LONGTEXT NOT NULL,
    data_schema LONGTEXT NOT NULL,
    example LONGTEXT NOT NULL,
    module_hash VARCHAR(64) NOT NULL,
    created_at BIGINT NOT NULL,
    -- The hosts the manifest asks to reach over HTTP, as a JSON array, NULL
    -- when it makes no requests. What an admin granted is in http_grants.
    requested_hosts LONGTEXT,
    -- The older versions whose schedules data this version can migrate (the
    -- manifest field migratesFrom), as a JSON array, NULL when none.
    migrates_from LONGTEXT,
    PRIMARY KEY (id, version),
    FOREIGN KEY (module_hash) REFERENCES modules (hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE schedules (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    function_id VARCHAR(255) NOT NULL,
    function_version BIGINT NOT NULL,
    title LONGTEXT NOT NULL,
    description LONGTEXT NOT NULL,
    data LONGTEXT NOT NULL,
    timing_kind LONGTEXT NOT NULL CHECK (timing_kind IN ('cron', 'once', 'manual')),
    cron_expression LONGTEXT,
    -- The natural-language phrase the cron expression was made from, if any.
    phrase LONGTEXT,
    run_at BIGINT,
    timezone LONGTEXT NOT NULL,
    timeout_ms BIGINT NOT NULL,
    catch_up LONGTEXT NOT NULL CHECK (catch_up IN ('none', 'one', 'all')),
    overlap LONGTEXT NOT NULL CHECK (overlap IN ('skip', 'allow', 'queue')),
    -- Retries after a failed first attempt: 0 none, -1 without limit.
    max_retries BIGINT NOT NULL,
    backoff LONGTEXT NOT NULL CHECK (backoff IN ('exponential', 'fixed')),
    backoff_base_ms BIGINT NOT NULL,
    backoff_cap_ms BIGINT NOT NULL,
    failure_trigger BIGINT,
    event_id VARCHAR(255) UNIQUE,
    status VARCHAR(255) NOT NULL CHECK (status IN ('active', 'paused')),
    -- The next fire time, NULL when the schedule does not fire on its own.
    next_run_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- The worker whose instances alone run this schedule, if one is named.
    worker_id LONGTEXT,
    FOREIGN KEY (failure_trigger) REFERENCES schedules (id) ON DELETE SET NULL,
    FOREIGN KEY (function_id, function_version) REFERENCES functions (id, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE INDEX schedules_due ON schedules (status, next_run_at);

CREATE TABLE runs (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    schedule_id BIGINT NOT NULL,
    function_id LONGTEXT NOT NULL,
    function_version BIGINT NOT NULL,
    data LONGTEXT NOT NULL,
    "trigger" LONGTEXT NOT NULL,
    scheduled_for BIGINT NOT NULL,
    attempt BIGINT NOT NULL,
    status VARCHAR(255) NOT NULL,
    -- When the run may start: a claim takes pending runs whose time has come.
    due_at BIGINT NOT NULL,
    -- A serial run starts only when no other run of its schedule is running,
    -- and after the serial runs before it (queued and caught-up fire times).
    serial BIGINT NOT NULL DEFAULT 0,
    timeout_ms BIGINT NOT NULL,
    instance_id LONGTEXT,
    lease_until BIGINT,
    started_at BIGINT,
    finished_at BIGINT,
    exit_code BIGINT,
    error LONGTEXT,
    created_at BIGINT NOT NULL,
    -- A request to cancel a running run, for whichever instance holds it. A
    -- pending run is cancelled at once and needs no request.
    cancel_requested_at BIGINT,
    -- The schedule worker_id when the run was made: an instance claims only
    -- what it may run.
    worker_id LONGTEXT,
    -- Not in SQLite, which has a partial unique index (runs_fire_time, WHERE
    -- trigger <> manual) that MySQL lacks. This column is 1 for a run made
    -- from a fire time and NULL for a manual run, and runs_fire_time ends
    -- with it: NULLs never collide in a unique index, so manual runs are
    -- free, and all others are unique on (schedule_id, scheduled_for,
    -- attempt), as in SQLite. It is computed from "trigger" alone because
    -- MySQL InnoDB refuses a cascading foreign key (schedule_id here) on a
    -- column that a stored generated column is computed from.
    fire_key BIGINT AS (CASE WHEN "trigger" <> 'manual' THEN 1 END) STORED,
    FOREIGN KEY (schedule_id) REFERENCES schedules (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A fire time becomes a run exactly once, whoever notices it first.
CREATE UNIQUE INDEX runs_fire_time ON runs (schedule_id, scheduled_for, attempt, fire_key);
CREATE INDEX runs_claimable ON runs (status, due_at);
CREATE INDEX runs_by_schedule ON runs (schedule_id, id);
CREATE INDEX runs_active ON runs (schedule_id, status);

-- Decisions about a schedule: skipped and caught-up fire times, retries,
-- giving up, pauses. With the runs, they account for every fire time.
CREATE TABLE schedule_events (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    schedule_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    kind LONGTEXT NOT NULL,
    run_id BIGINT,
    first_fire_time BIGINT,
    last_fire_time BIGINT,
    fire_count BIGINT NOT NULL,
    reason LONGTEXT NOT NULL,
    FOREIGN KEY (schedule_id) REFERENCES schedules (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE INDEX schedule_events_by_schedule ON schedule_events (schedule_id, id);

CREATE TABLE run_output (
    run_id BIGINT NOT NULL,
    stream VARCHAR(255) NOT NULL CHECK (stream IN ('stdout', 'stderr')),
    bytes LONGBLOB NOT NULL,
    -- JSON array of [byte offset, unix ms]: where each line starts, and when.
    "lines" LONGTEXT NOT NULL,
    total_bytes BIGINT NOT NULL,
    omitted_bytes BIGINT NOT NULL,
    omitted_at BIGINT NOT NULL,
    PRIMARY KEY (run_id, stream),
    FOREIGN KEY (run_id) REFERENCES runs (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- People and what they may do.
CREATE TABLE users (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL UNIQUE,
    -- Argon2id, in PHC string form.
    password_hash LONGTEXT NOT NULL,
    admin BIGINT NOT NULL DEFAULT 0,
    disabled BIGINT NOT NULL DEFAULT 0,
    -- Sessions begun before this instant are void: signing out everywhere
    -- and a password change move it to now.
    sessions_valid_from BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE "groups" (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE group_members (
    group_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id),
    FOREIGN KEY (group_id) REFERENCES "groups" (id) ON DELETE CASCADE,
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A user API keys. Only a SHA-256 (hex) of the key is kept: keys are long
-- and random, so a fast hash is enough, and the key itself is shown once.
CREATE TABLE api_keys (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    name LONGTEXT NOT NULL,
    -- The first characters of the key, so people can tell their keys apart.
    prefix LONGTEXT NOT NULL,
    key_hash VARCHAR(64) NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT,
    last_used_at BIGINT,
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The access rules a worker, function or schedule states, as JSON in the
-- shape of worker::access::{WorkerRules, FunctionRules, ScheduleRules}.
-- A function is named id@version.
CREATE TABLE access_rules (
    target_kind VARCHAR(255) NOT NULL CHECK (target_kind IN ('worker', 'function', 'schedule')),
    target_id VARCHAR(255) NOT NULL,
    rules LONGTEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (target_kind, target_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The hosts an admin granted a function to reach over HTTP: per function,
-- for every version.
CREATE TABLE http_grants (
    function_id VARCHAR(255) NOT NULL,
    host VARCHAR(255) NOT NULL,
    granted_by LONGTEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (function_id, host)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Logical workers and their instances. A worker version goes up when the
-- hash of its definitions changes. Each instance records the version it
-- started with and beats its heart while it runs.
CREATE TABLE workers (
    id VARCHAR(255) NOT NULL PRIMARY KEY,
    title LONGTEXT NOT NULL,
    description LONGTEXT NOT NULL,
    version BIGINT NOT NULL,
    definitions_hash LONGTEXT NOT NULL,
    updated_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every set of definitions a worker has run with, by version: instances
-- that start with definitions seen before take that version again.
CREATE TABLE worker_versions (
    worker_id VARCHAR(255) NOT NULL,
    version BIGINT NOT NULL,
    definitions_hash VARCHAR(64) NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (worker_id, version),
    UNIQUE (worker_id, definitions_hash),
    FOREIGN KEY (worker_id) REFERENCES workers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE worker_instances (
    id VARCHAR(255) NOT NULL PRIMARY KEY,
    worker_id VARCHAR(255) NOT NULL,
    hostname LONGTEXT NOT NULL,
    version BIGINT NOT NULL,
    concurrency BIGINT NOT NULL,
    -- The functions it registered at start, as a JSON array of id@version.
    functions LONGTEXT NOT NULL,
    started_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    -- Set when it stopped cleanly. A crashed instance just stops beating.
    stopped_at BIGINT,
    FOREIGN KEY (worker_id) REFERENCES workers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
