-- The hosts a function's manifest asks to reach over HTTP (a JSON array, NULL
-- when it makes no requests), and those an admin granted it. Grants are per
-- function, for every version.
ALTER TABLE functions ADD COLUMN requested_hosts TEXT;

CREATE TABLE http_grants (
    function_id TEXT NOT NULL,
    host TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (function_id, host)
);
