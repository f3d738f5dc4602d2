-- People and what they may do.

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    -- Argon2id, in PHC string form.
    password_hash TEXT NOT NULL,
    admin INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    -- Sessions begun before this instant are void: "sign out everywhere"
    -- and a password change move it to now.
    sessions_valid_from INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE group_members (
    group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);

-- A user's API keys. Only a SHA-256 of the key is kept: keys are long and
-- random, so a fast hash is enough, and the key itself is shown once.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- The first characters of the key, so people can tell their keys apart.
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER,
    last_used_at INTEGER
);

-- The access rules a worker, function or schedule states, as JSON in the
-- shape of `worker::access::{WorkerRules, FunctionRules, ScheduleRules}`.
-- A function is named `id@version`.
CREATE TABLE access_rules (
    target_kind TEXT NOT NULL CHECK (target_kind IN ('worker', 'function', 'schedule')),
    target_id TEXT NOT NULL,
    rules TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (target_kind, target_id)
);
