//! Storage: the only place that speaks SQL.
//!
//! Every query the engine needs is a method here, and database errors are
//! mapped once, at this boundary, into [`StoreError`]. Instants are stored as
//! milliseconds since the Unix epoch. The store runs on SQLite, PostgreSQL or
//! MySQL/MariaDB through sqlx's `Any` driver: the statements are shared (see
//! [`sql`]) and each database has its schema in `migrations/<dialect>/`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor};
use tokio::sync::Notify;

use crate::manifest::Manifest;
use crate::model::{
    Backoff, CatchUp, EventKind, Function, LineStart, Output, Overlap, RetryPolicy, Run, RunStatus,
    Schedule, ScheduleEvent, ScheduleStatus, Stream, Timing, Trigger,
};

mod accounts;
mod instances;
mod moves;
pub mod scratch;
pub mod sql;

pub use self::accounts::StoredUser;
pub use self::sql::Dialect;
use self::sql::{RowExt, Sql};

/// What can go wrong in storage, in the engine's terms.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Config(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    /// Whether trying the same transaction again may succeed: it met a
    /// concurrent one (a duplicate key created meanwhile, a deadlock, a
    /// serialization failure, a lock wait that timed out, a busy SQLite).
    pub fn is_transient(&self) -> bool {
        let StoreError::Database(sqlx::Error::Database(error)) = self else {
            return false;
        };
        let message = error.message();
        error.is_unique_violation()
            // Serialization failure and deadlock, in SQLSTATE (both databases).
            || matches!(error.code().as_deref(), Some("40001" | "40P01"))
            || message.contains("Lock wait timeout")
            || message.contains("database is locked")
    }
}

/// Where the SQLite database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqliteLocation {
    Memory,
    File(std::path::PathBuf),
}

/// The database the store keeps everything in.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(SqliteLocation),
    /// A `postgres://` URL.
    Postgres(String),
    /// A `mysql://` URL, for MySQL and MariaDB alike.
    MySql(String),
}

impl Database {
    pub fn dialect(&self) -> Dialect {
        match self {
            Database::Sqlite(_) => Dialect::Sqlite,
            Database::Postgres(_) => Dialect::Postgres,
            Database::MySql(_) => Dialect::MySql,
        }
    }

    /// The URL sqlx connects with.
    pub fn url(&self) -> Result<String> {
        match self {
            Database::Sqlite(SqliteLocation::Memory) => Ok("sqlite::memory:".into()),
            Database::Sqlite(SqliteLocation::File(path)) => {
                let path = path.to_str().ok_or_else(|| {
                    StoreError::Config(format!(
                        "the SQLite path {} is not valid UTF-8",
                        path.display()
                    ))
                })?;
                // sqlx decodes `%` escapes in the path, and `?` starts options.
                let path = percent_encoding::utf8_percent_encode(path, SQLITE_PATH_ESCAPES);
                Ok(format!("sqlite://{path}?mode=rwc"))
            }
            Database::Postgres(url) | Database::MySql(url) => Ok(url.clone()),
        }
    }
}

/// What a SQLite path may not hold as it is inside a URL.
const SQLITE_PATH_ESCAPES: &percent_encoding::AsciiSet =
    &percent_encoding::CONTROLS.add(b'%').add(b'?').add(b'#');

/// Shows where the database is without its password.
impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(location) => write!(f, "SQLite {location:?}"),
            Database::Postgres(url) | Database::MySql(url) => {
                write!(f, "{} {}", self.dialect().name(), without_password(url))
            }
        }
    }
}

/// A database URL with its password, if any, replaced by `***`.
pub fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "(an unreadable URL)".into(),
    }
}

/// The result of registering a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    Created,
    /// The same module and manifest were already stored under that version.
    Unchanged,
}

/// What a request to cancel a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelRequest {
    /// The run had not started: it is cancelled now.
    CancelledPending,
    /// The run is running: its instance is asked to stop it.
    Flagged,
}

/// Why a running run is taken to be lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lost {
    /// Its instance stopped renewing the lease (it crashed, or its host is gone).
    LeaseExpired,
    /// Its instance started again, so it cannot still be running it.
    InstanceRestarted { instance_id: String },
}

/// Who claims runs: an instance of a worker.
#[derive(Debug, Clone, Copy)]
pub struct Claimant<'a> {
    pub instance_id: &'a str,
    pub worker_id: &'a str,
}

/// A run to be created.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub schedule_id: i64,
    pub function_id: String,
    pub function_version: i64,
    pub data: Value,
    pub trigger: Trigger,
    pub scheduled_for: DateTime<Utc>,
    pub attempt: i64,
    pub due_at: DateTime<Utc>,
    pub timeout_ms: i64,
    /// Start only when no other run of the schedule is running, after the
    /// serial runs created before it.
    pub serial: bool,
    /// The worker whose instances alone may run it, if any.
    pub worker_id: Option<String>,
}

/// A decision to record about a schedule.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub schedule_id: i64,
    pub kind: EventKind,
    pub run_id: Option<i64>,
    pub first_fire_time: Option<DateTime<Utc>>,
    pub last_fire_time: Option<DateTime<Utc>>,
    pub fire_count: i64,
    pub reason: String,
}

/// What one fire of a schedule does, committed at once: the schedule moves
/// from `due` to `next`, and the runs and events are stored.
#[derive(Debug, Clone)]
pub struct Firing {
    pub schedule_id: i64,
    /// The `next_run_at` the decision was taken on; if another instance
    /// moved it meanwhile, nothing is stored.
    pub due: DateTime<Utc>,
    pub next: Option<DateTime<Utc>>,
    pub runs: Vec<NewRun>,
    pub events: Vec<NewEvent>,
}

/// What follows the end of a run, stored with it: a retry, a failure
/// trigger's run, and the events that explain them.
#[derive(Debug, Clone, Default)]
pub struct FollowUp {
    pub runs: Vec<NewRun>,
    pub events: Vec<NewEvent>,
}

/// The runs of one schedule that have not ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActiveRuns {
    pub running: i64,
    pub pending: i64,
    /// Pending serial runs: fire times queued behind a running one.
    pub waiting: i64,
}

impl ActiveRuns {
    pub fn any(&self) -> bool {
        self.running + self.pending > 0
    }
}

/// How a run ended, as recorded.
#[derive(Debug, Clone)]
pub struct Finished {
    pub status: RunStatus,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub exit_code: Option<i32>,
    pub error: Option<String>,
    pub stdout: Output,
    pub stderr: Output,
}

/// Which runs to list.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub schedule_id: Option<i64>,
    /// Only runs of these schedules (the ones a caller may see).
    pub schedule_ids: Option<Vec<i64>>,
    pub status: Option<RunStatus>,
    /// Runs with an id below this one (paging from the newest).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// The handle to the database. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
    /// PostgreSQL's URL, for listening to what other processes make due.
    listen_url: Option<Arc<str>>,
}

/// The PostgreSQL channel on which a change that may make work due is told.
const DUE_CHANNEL: &str = "enschedule_due";

const RUN_COLUMNS: &str = "id, schedule_id, function_id, function_version, data, \"trigger\", \
     scheduled_for, attempt, status, timeout_ms, instance_id, started_at, finished_at, \
     exit_code, error, cancel_requested_at, worker_id, created_at";

const SCHEDULE_COLUMNS: &str = "id, function_id, function_version, title, description, data, \
     timing_kind, cron_expression, phrase, run_at, timezone, timeout_ms, catch_up, overlap, \
     max_retries, backoff, backoff_base_ms, backoff_cap_ms, failure_trigger, event_id, status, \
     next_run_at, worker_id, created_at, updated_at";

/// A condition on `schedules`: its function version is registered.
const HAS_FUNCTION: &str = "EXISTS (SELECT 1 FROM functions fv \
     WHERE fv.id = schedules.function_id AND fv.version = schedules.function_version)";

const EVENT_COLUMNS: &str =
    "id, schedule_id, at, kind, run_id, first_fire_time, last_fire_time, fire_count, reason";

const FUNCTION_COLUMNS: &str = "f.id, f.version, f.title, f.description, f.data_schema, \
     f.example, f.requested_hosts, f.migrates_from, f.module_hash, m.size, f.created_at";

impl Store {
    /// Connects to a database, creating a SQLite file if needed, and brings
    /// its schema up to date.
    pub async fn open(database: &Database) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let dialect = database.dialect();
        let options = match database {
            // An in-memory database exists once per connection: keep exactly
            // one, forever.
            Database::Sqlite(SqliteLocation::Memory) => AnyPoolOptions::new()
                .min_connections(1)
                .max_connections(1)
                .idle_timeout(None)
                .max_lifetime(None),
            // SQLite serialises the writers; a small pool serves the readers.
            Database::Sqlite(SqliteLocation::File(_)) => AnyPoolOptions::new().max_connections(8),
            Database::Postgres(_) | Database::MySql(_) => AnyPoolOptions::new()
                .max_connections(10)
                .acquire_timeout(Duration::from_secs(30)),
        };
        let file = matches!(database, Database::Sqlite(SqliteLocation::File(_)));
        let pool = options
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    for statement in session_settings(dialect, file) {
                        (&mut *connection).execute(*statement).await?;
                    }
                    Ok(())
                })
            })
            .connect(&database.url()?)
            .await?;
        let store = Store {
            pool,
            dialect,
            listen_url: match database {
                Database::Postgres(url) => Some(url.as_str().into()),
                _ => None,
            },
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Opens a SQLite database; see [`Store::open`].
    pub async fn open_sqlite(location: &SqliteLocation) -> Result<Store> {
        Store::open(&Database::Sqlite(location.clone())).await
    }

    /// Applies the migrations not applied yet.
    pub async fn migrate(&self) -> Result<()> {
        match self.dialect {
            Dialect::Sqlite => {
                sqlx::migrate!("../migrations/sqlite")
                    .run(&self.pool)
                    .await?
            }
            Dialect::Postgres => {
                sqlx::migrate!("../migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
            Dialect::MySql => {
                sqlx::migrate!("../migrations/mysql")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The connection pool, for tests that look at the tables themselves.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    fn sql(&self, text: &str) -> Sql {
        Sql::new(self.dialect, text)
    }

    /// Tells the instances listening on PostgreSQL that work may be due,
    /// when the transaction commits. The other databases have no such
    /// channel: their instances look every poll interval.
    async fn tell_due<'c, E>(&self, executor: E) -> Result<()>
    where
        E: Executor<'c, Database = sqlx::Any>,
    {
        if self.dialect == Dialect::Postgres {
            executor.execute(&*format!("NOTIFY {DUE_CHANNEL}")).await?;
        }
        Ok(())
    }

    /// Wakes `wake` whenever another process tells that work may be due, for
    /// as long as the store lives; returns at once on databases without
    /// notifications. Losing the connection costs only promptness: the
    /// instance still polls, and the listener connects again.
    pub async fn listen_for_due(&self, wake: Arc<Notify>) {
        let Some(url) = self.listen_url.clone() else {
            return;
        };
        loop {
            match sqlx::postgres::PgListener::connect(&url).await {
                Ok(mut listener) => {
                    if let Err(error) = listener.listen(DUE_CHANNEL).await {
                        tracing::warn!(%error, "cannot listen for due work");
                    } else {
                        loop {
                            match listener.recv().await {
                                Ok(_) => wake.notify_one(),
                                Err(error) => {
                                    tracing::warn!(%error, "lost the due-work listener");
                                    break;
                                }
                            }
                        }
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot connect the due-work listener"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        self.sql("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    // ----- functions -------------------------------------------------------

    /// Stores a module and its (already validated) manifest. The same module
    /// and manifest again change nothing; anything different under an
    /// existing `(id, version)` is a conflict.
    pub async fn register_function(
        &self,
        manifest: &Manifest,
        module: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Registered> {
        let hash = module_hash(module);
        let mut tx = self.pool.begin().await?;

        let requested_hosts = manifest
            .capabilities
            .http
            .as_ref()
            .map(|http| serde_json::to_string(&http.allow).unwrap_or_else(|_| "[]".into()));
        let migrates_from = migrates_from_column(&manifest.migrates_from);
        let existing = self
            .sql(
                "SELECT module_hash, title, description, data_schema, example, requested_hosts, \
             migrates_from FROM functions WHERE id = $1 AND version = $2",
            )
            .bind(&manifest.id)
            .bind(manifest.version)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = existing {
            let same = row.cell::<String>("module_hash")? == hash
                && row.cell::<String>("title")? == manifest.title
                && row.cell::<String>("description")? == manifest.description
                && json(&row, "data_schema")? == manifest.data_schema
                && json(&row, "example")? == manifest.example
                && row.cell::<Option<String>>("requested_hosts")? == requested_hosts
                && row.cell::<Option<String>>("migrates_from")? == migrates_from;
            return if same {
                Ok(Registered::Unchanged)
            } else {
                Err(StoreError::Conflict(format!(
                    "function {} version {} already exists with a different module or manifest; \
                     give the new one a higher version",
                    manifest.id, manifest.version
                )))
            };
        }

        self.sql("INSERT INTO modules (hash, bytes, size, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&hash)
            .bind(module)
            .bind(module.len() as i64)
            .bind(ms(now))
            .ignore_duplicates()
            .execute(&mut *tx)
            .await?;
        self.sql(
            "INSERT INTO functions (id, version, title, description, data_schema, example, \
             requested_hosts, migrates_from, module_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&manifest.id)
        .bind(manifest.version)
        .bind(&manifest.title)
        .bind(&manifest.description)
        .bind(manifest.data_schema.to_string())
        .bind(manifest.example.to_string())
        .bind(&requested_hosts)
        .bind(&migrates_from)
        .bind(&hash)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Registered::Created)
    }

    pub async fn list_functions(&self) -> Result<Vec<Function>> {
        let sql = format!(
            "SELECT {FUNCTION_COLUMNS} FROM functions f JOIN modules m ON m.hash = f.module_hash \
             ORDER BY f.id, f.version DESC"
        );
        let rows = self.sql(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(function_from_row).collect()
    }

    pub async fn get_function(&self, id: &str, version: i64) -> Result<Function> {
        let sql = format!(
            "SELECT {FUNCTION_COLUMNS} FROM functions f JOIN modules m ON m.hash = f.module_hash \
             WHERE f.id = $1 AND f.version = $2"
        );
        let row = self
            .sql(&sql)
            .bind(id)
            .bind(version)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("function {id} version {version}")))?;
        function_from_row(&row)
    }

    /// The hosts a function may send HTTP requests to, sorted.
    pub async fn http_grants(&self, function_id: &str) -> Result<Vec<String>> {
        self.sql("SELECT host FROM http_grants WHERE function_id = $1 ORDER BY host")
            .bind(function_id)
            .scalars(&self.pool)
            .await
    }

    /// Replaces a function's HTTP grants (already checked and normalised).
    pub async fn set_http_grants(
        &self,
        function_id: &str,
        hosts: &[String],
        granted_by: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        self.sql("DELETE FROM http_grants WHERE function_id = $1")
            .bind(function_id)
            .execute(&mut *tx)
            .await?;
        for host in hosts {
            self.sql(
                "INSERT INTO http_grants (function_id, host, granted_by, granted_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(function_id)
            .bind(host)
            .bind(granted_by)
            .bind(ms(now))
            .ignore_duplicates()
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn module_bytes(&self, hash: &str) -> Result<Vec<u8>> {
        self.sql("SELECT bytes FROM modules WHERE hash = $1")
            .bind(hash)
            .optional_scalar(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("module {hash}")))
    }

    // ----- schedules -------------------------------------------------------

    /// Stores a schedule whose timing the caller has checked, with its first
    /// fire time.
    pub async fn insert_schedule(&self, schedule: &Schedule) -> Result<i64> {
        let query = self.sql(
            "INSERT INTO schedules (function_id, function_version, title, description, data, \
             timing_kind, cron_expression, phrase, run_at, timezone, timeout_ms, catch_up, \
             overlap, max_retries, backoff, backoff_base_ms, backoff_cap_ms, failure_trigger, \
             event_id, status, next_run_at, worker_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
             $17, $18, $19, $20, $21, $22, $23, $24)",
        );
        let mut tx = self.pool.begin().await?;
        let id = bind_definition(query, schedule)
            .bind(ms(schedule.created_at))
            .bind(ms(schedule.updated_at))
            .insert_id(&mut *tx)
            .await
            .map_err(|e| unique_violation(e, "a schedule with this eventId exists"))?;
        self.tell_due(&mut *tx).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Replaces a stored schedule's definition, state and next fire time,
    /// and records why.
    pub async fn update_schedule(&self, schedule: &Schedule, event: &NewEvent) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let query = self.sql(
            "UPDATE schedules SET function_id = $1, function_version = $2, title = $3, \
             description = $4, data = $5, timing_kind = $6, cron_expression = $7, phrase = $8, \
             run_at = $9, timezone = $10, timeout_ms = $11, catch_up = $12, overlap = $13, \
             max_retries = $14, backoff = $15, backoff_base_ms = $16, backoff_cap_ms = $17, \
             failure_trigger = $18, event_id = $19, status = $20, next_run_at = $21, \
             worker_id = $22, updated_at = $23 WHERE id = $24",
        );
        let updated = bind_definition(query, schedule)
            .bind(ms(schedule.updated_at))
            .bind(schedule.id)
            .execute(&mut *tx)
            .await
            .map_err(|e| unique_violation(e, "a schedule with this eventId exists"))?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("schedule {}", schedule.id)));
        }
        self.insert_event_in(&mut tx, event, schedule.updated_at)
            .await?;
        self.tell_due(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn find_schedule_by_event_id(&self, event_id: &str) -> Result<Option<Schedule>> {
        let sql = format!("SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE event_id = $1");
        let row = self
            .sql(&sql)
            .bind(event_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(schedule_from_row).transpose()
    }

    pub async fn get_schedule(&self, id: i64) -> Result<Schedule> {
        let sql = format!("SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE id = $1");
        let row = self
            .sql(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("schedule {id}")))?;
        schedule_from_row(&row)
    }

    /// All schedules, newest first.
    pub async fn list_schedules(&self) -> Result<Vec<Schedule>> {
        let sql = format!("SELECT {SCHEDULE_COLUMNS} FROM schedules ORDER BY id DESC");
        let rows = self.sql(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(schedule_from_row).collect()
    }

    /// Schedules of one function version.
    pub async fn schedules_of_function(&self, id: &str, version: i64) -> Result<Vec<Schedule>> {
        let sql = format!(
            "SELECT {SCHEDULE_COLUMNS} FROM schedules \
             WHERE function_id = $1 AND function_version = $2 ORDER BY id DESC"
        );
        let rows = self
            .sql(&sql)
            .bind(id)
            .bind(version)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(schedule_from_row).collect()
    }

    /// Active schedules whose next fire time has come, oldest first. A
    /// schedule whose function version is not registered (`NO_WORKER`) is
    /// left out: nothing could run it, so its fire times wait, and once the
    /// version is back they count as missed and follow its catch-up policy.
    pub async fn due_schedules(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<Schedule>> {
        let sql = format!(
            "SELECT {SCHEDULE_COLUMNS} FROM schedules \
             WHERE status = 'active' AND next_run_at IS NOT NULL AND next_run_at <= $1 \
               AND {HAS_FUNCTION} \
             ORDER BY next_run_at LIMIT $2"
        );
        let rows = self
            .sql(&sql)
            .bind(ms(now))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(schedule_from_row).collect()
    }

    /// Commits one fire of a schedule: moves it on to its next fire time and
    /// stores the runs and events, atomically. Returns the ids of the runs
    /// created, or `None` when another instance already handled this fire.
    pub async fn fire(&self, firing: &Firing, now: DateTime<Utc>) -> Result<Option<Vec<i64>>> {
        let mut tx = self.pool.begin().await?;
        let moved = self
            .sql(
                "UPDATE schedules SET next_run_at = $1 \
             WHERE id = $2 AND status = 'active' AND next_run_at = $3",
            )
            .bind(firing.next.map(ms))
            .bind(firing.schedule_id)
            .bind(ms(firing.due))
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        let mut ids = Vec::with_capacity(firing.runs.len());
        for run in &firing.runs {
            ids.extend(self.insert_run_in(&mut tx, run, now).await?);
        }
        for event in &firing.events {
            self.insert_event_in(&mut tx, event, now).await?;
        }
        self.tell_due(&mut *tx).await?;
        tx.commit().await?;
        Ok(Some(ids))
    }

    /// The runs of a schedule that have not ended yet.
    pub async fn active_runs(&self, schedule_id: i64) -> Result<ActiveRuns> {
        let row = self
            .sql(
                "SELECT COUNT(CASE WHEN status = 'running' THEN 1 END) AS running, \
                    COUNT(CASE WHEN status = 'pending' THEN 1 END) AS pending, \
                    COUNT(CASE WHEN status = 'pending' AND serial = 1 THEN 1 END) AS waiting \
             FROM runs WHERE schedule_id = $1 AND status IN ('pending', 'running')",
            )
            .bind(schedule_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(ActiveRuns {
            running: row.cell("running")?,
            pending: row.cell("pending")?,
            waiting: row.cell("waiting")?,
        })
    }

    /// The decisions recorded about a schedule, newest first.
    pub async fn list_events(&self, schedule_id: i64, limit: i64) -> Result<Vec<ScheduleEvent>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM schedule_events WHERE schedule_id = $1 \
             ORDER BY id DESC LIMIT $2"
        );
        let rows = self
            .sql(&sql)
            .bind(schedule_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// Deletes a run that has ended, with its output. A pending or running
    /// run is refused: its instance would have nowhere to record the end.
    pub async fn delete_run(&self, id: i64) -> Result<()> {
        let deleted = self
            .sql("DELETE FROM runs WHERE id = $1 AND status NOT IN ('pending', 'running')")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if deleted.rows_affected() == 0 {
            let run = self.get_run(id).await?;
            return Err(StoreError::Conflict(format!(
                "run {id} is {}: it can be deleted once it has ended",
                run.status.as_str()
            )));
        }
        Ok(())
    }

    pub async fn delete_schedule(&self, id: i64) -> Result<()> {
        let deleted = self
            .sql("DELETE FROM schedules WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("schedule {id}")));
        }
        Ok(())
    }

    /// The earliest instant at which something becomes due: a schedule's next
    /// fire time or a pending run's start.
    pub async fn next_due_at(&self) -> Result<Option<DateTime<Utc>>> {
        let sql = format!(
            "SELECT MIN(t) FROM (\
               SELECT MIN(next_run_at) AS t FROM schedules \
                 WHERE status = 'active' AND {HAS_FUNCTION} \
               UNION ALL SELECT MIN(due_at) AS t FROM runs WHERE status = 'pending') due"
        );
        let at: Option<i64> = self.sql(&sql).scalar(&self.pool).await?;
        Ok(at.map(from_ms))
    }

    // ----- runs ------------------------------------------------------------

    /// Creates a run; `None` when its fire time and attempt already have one.
    pub async fn insert_run(&self, run: &NewRun, now: DateTime<Utc>) -> Result<Option<i64>> {
        let mut tx = self.pool.begin().await?;
        let id = self.insert_run_in(&mut tx, run, now).await?;
        self.tell_due(&mut *tx).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records a decision about a schedule.
    pub async fn insert_event(&self, event: &NewEvent, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        self.insert_event_in(&mut tx, event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Claims up to `limit` pending runs that are due, for `instance_id`, with
    /// a lease until `lease_until`, so that a run is never claimed twice: on
    /// SQLite one statement, which runs as the single writer; on PostgreSQL
    /// and MySQL the chosen rows are locked, and rows another instance is
    /// claiming at the same moment are skipped rather than waited for. A
    /// serial run is claimable only when no run of its schedule is running
    /// and no serial run of it came first, so at most one of them starts per
    /// schedule at a time. A run that names a worker is claimed only by that
    /// worker's instances.
    pub async fn claim_runs(
        &self,
        claimant: &Claimant<'_>,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Run>> {
        let claimable = "SELECT r.id FROM runs r WHERE r.status = 'pending' AND r.due_at <= $1 \
             AND (r.worker_id IS NULL OR r.worker_id = $2) \
             AND (r.serial = 0 OR ( \
               NOT EXISTS (SELECT 1 FROM runs o WHERE o.schedule_id = r.schedule_id \
                           AND o.status = 'running') \
               AND NOT EXISTS (SELECT 1 FROM runs e WHERE e.schedule_id = r.schedule_id \
                           AND e.status = 'pending' AND e.serial = 1 AND e.id < r.id))) \
             ORDER BY r.due_at, r.id LIMIT $3";
        let take = "UPDATE runs SET status = 'running', instance_id = $4, lease_until = $5, \
             started_at = $1";
        let claim = |sql: &str| {
            self.sql(sql)
                .bind(ms(now))
                .bind(claimant.worker_id)
                .bind(limit)
                .bind(claimant.instance_id)
                .bind(ms(lease_until))
        };
        let rows = match self.dialect {
            Dialect::Sqlite => {
                claim(&format!(
                    "{take} WHERE id IN ({claimable}) RETURNING {RUN_COLUMNS}"
                ))
                .fetch_all(&self.pool)
                .await?
            }
            Dialect::Postgres => {
                claim(&format!(
                    "{take} WHERE id IN ({claimable} FOR UPDATE SKIP LOCKED) \
                     RETURNING {RUN_COLUMNS}"
                ))
                .fetch_all(&self.pool)
                .await?
            }
            // MySQL neither updates a table it selects from in a subquery
            // nor returns updated rows: lock, update, then read.
            Dialect::MySql => {
                let mut tx = self.pool.begin().await?;
                let ids: Vec<i64> = claim(&format!("{claimable} FOR UPDATE SKIP LOCKED"))
                    .scalars(&mut *tx)
                    .await?;
                if ids.is_empty() {
                    // Ended now, not whenever the pool gets round to it: an
                    // open transaction's locks would make the next claims
                    // skip rows that are free.
                    tx.rollback().await?;
                    return Ok(Vec::new());
                }
                let listed = id_list(&ids);
                claim(&format!("{take} WHERE id IN ({listed})"))
                    .execute(&mut *tx)
                    .await?;
                let rows = self
                    .sql(&format!(
                        "SELECT {RUN_COLUMNS} FROM runs WHERE id IN ({listed})"
                    ))
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                rows
            }
        };
        let mut runs: Vec<Run> = rows.iter().map(run_from_row).collect::<Result<_>>()?;
        runs.sort_by_key(|r| (r.scheduled_for, r.id));
        Ok(runs)
    }

    /// Puts a run this instance was stopped from finishing back to pending,
    /// for another instance to start afresh; its partial output is dropped.
    /// False when it is not this instance's running run, or someone asked to
    /// cancel it (then it is recorded as cancelled instead).
    pub async fn release_run(&self, run_id: i64, instance_id: &str) -> Result<bool> {
        let released = self
            .sql(
                "UPDATE runs SET status = 'pending', instance_id = NULL, lease_until = NULL, \
             started_at = NULL WHERE id = $1 AND instance_id = $2 AND status = 'running' \
             AND cancel_requested_at IS NULL",
            )
            .bind(run_id)
            .bind(instance_id)
            .execute(&self.pool)
            .await?;
        if released.rows_affected() == 0 {
            return Ok(false);
        }
        self.tell_due(&self.pool).await?;
        Ok(true)
    }

    /// Extends the lease of a run this instance holds.
    pub async fn renew_lease(
        &self,
        run_id: i64,
        instance_id: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<bool> {
        let renewed = self
            .sql(
                "UPDATE runs SET lease_until = $1 \
             WHERE id = $2 AND instance_id = $3 AND status = 'running'",
            )
            .bind(ms(lease_until))
            .bind(run_id)
            .bind(instance_id)
            .execute(&self.pool)
            .await?;
        Ok(renewed.rows_affected() == 1)
    }

    /// Cancels a run that has not started, or asks the instance running it
    /// to stop it; a run that has ended is refused.
    pub async fn cancel_run(&self, id: i64, now: DateTime<Utc>) -> Result<CancelRequest> {
        let cancelled = self
            .sql(
                "UPDATE runs SET status = 'cancelled', finished_at = $1, \
             error = 'cancelled before it started' WHERE id = $2 AND status = 'pending'",
            )
            .bind(ms(now))
            .bind(id)
            .execute(&self.pool)
            .await?;
        if cancelled.rows_affected() == 1 {
            return Ok(CancelRequest::CancelledPending);
        }
        let flagged = self
            .sql(
                "UPDATE runs SET cancel_requested_at = COALESCE(cancel_requested_at, $1) \
             WHERE id = $2 AND status = 'running'",
            )
            .bind(ms(now))
            .bind(id)
            .execute(&self.pool)
            .await?;
        if flagged.rows_affected() == 1 {
            return Ok(CancelRequest::Flagged);
        }
        let run = self.get_run(id).await?;
        Err(StoreError::Conflict(format!(
            "run {id} has already ended ({}): only a pending or running run can be cancelled",
            run.status.as_str()
        )))
    }

    /// The runs held by `instance_id` that someone asked to cancel.
    pub async fn cancel_requests(&self, instance_id: &str) -> Result<Vec<i64>> {
        self.sql(
            "SELECT id FROM runs WHERE status = 'running' AND instance_id = $1 \
             AND cancel_requested_at IS NOT NULL ORDER BY id",
        )
        .bind(instance_id)
        .scalars(&self.pool)
        .await
    }

    /// Running runs whose lease ran out.
    pub async fn expired_leases(&self, now: DateTime<Utc>) -> Result<Vec<Run>> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE status = 'running' AND lease_until < $1 \
             ORDER BY id"
        );
        let rows = self.sql(&sql).bind(ms(now)).fetch_all(&self.pool).await?;
        rows.iter().map(run_from_row).collect()
    }

    /// The runs that `instance_id` holds as running.
    pub async fn runs_held_by(&self, instance_id: &str) -> Result<Vec<Run>> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE status = 'running' AND instance_id = $1 \
             ORDER BY id"
        );
        let rows = self
            .sql(&sql)
            .bind(instance_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(run_from_row).collect()
    }

    /// Marks a running run as lost, with what follows from that. Returns
    /// false when it was not lost after all (its instance renewed the lease
    /// or finished it meanwhile, or another sweeper came first).
    pub async fn mark_lost(
        &self,
        run_id: i64,
        why: &Lost,
        now: DateTime<Utc>,
        follow_up: &FollowUp,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let marked = match why {
            Lost::LeaseExpired => {
                self.sql(
                    "UPDATE runs SET status = 'lost', finished_at = $1, lease_until = NULL, \
                     error = 'the instance running it stopped renewing its lease' \
                     WHERE id = $2 AND status = 'running' AND lease_until < $1",
                )
                .bind(ms(now))
                .bind(run_id)
                .execute(&mut *tx)
                .await?
            }
            Lost::InstanceRestarted { instance_id } => {
                self.sql(
                    "UPDATE runs SET status = 'lost', finished_at = $1, lease_until = NULL, \
                     error = 'the instance running it restarted before it ended' \
                     WHERE id = $2 AND status = 'running' AND instance_id = $3",
                )
                .bind(ms(now))
                .bind(run_id)
                .bind(instance_id)
                .execute(&mut *tx)
                .await?
            }
        };
        if marked.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        self.store_follow_up(&mut tx, follow_up, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Records how a run ended, with its output and what follows from it.
    /// Only the instance that holds the run records its end: false, and
    /// nothing stored, when the run was taken from it meanwhile (marked lost
    /// after its lease ran out).
    pub async fn finish_run(
        &self,
        run_id: i64,
        instance_id: &str,
        finished: &Finished,
        follow_up: &FollowUp,
    ) -> Result<bool> {
        // The streams with output: an empty stream is read back as empty
        // without a row of its own.
        let streams: Vec<(Stream, &Output)> = [
            (Stream::Stdout, &finished.stdout),
            (Stream::Stderr, &finished.stderr),
        ]
        .into_iter()
        .filter(|(_, output)| output.total_bytes > 0)
        .collect();

        // Most runs end with nothing to follow: then the end is one
        // statement, with no transaction around it, where the database
        // allows. PostgreSQL inserts the output from the update's result, so
        // a run taken meanwhile stores no output either.
        let nothing_follows = follow_up.runs.is_empty() && follow_up.events.is_empty();
        if nothing_follows && streams.is_empty() {
            let recorded = bind_finish(self.sql(FINISH_RUN), run_id, instance_id, finished)
                .execute(&self.pool)
                .await?;
            return Ok(recorded.rows_affected() > 0);
        }
        if nothing_follows && self.dialect == Dialect::Postgres {
            let selects: Vec<String> = (0..streams.len())
                .map(|i| format!("SELECT id, {} FROM done", output_params(8 + i * 6)))
                .collect();
            let sql = format!(
                "WITH done AS ({FINISH_RUN} RETURNING id) {INSERT_OUTPUT} {}",
                selects.join(" UNION ALL ")
            );
            let query = bind_finish(self.sql(&sql), run_id, instance_id, finished);
            let recorded = bind_output(query, &streams).execute(&self.pool).await?;
            return Ok(recorded.rows_affected() > 0);
        }

        let mut tx = self.pool.begin().await?;
        let recorded = bind_finish(self.sql(FINISH_RUN), run_id, instance_id, finished)
            .execute(&mut *tx)
            .await?;
        if recorded.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        if !streams.is_empty() {
            // `($1, $2, … $7)`, then `($1, $8, … $13)`: the run id, then six
            // columns per stream.
            let rows: Vec<String> = (0..streams.len())
                .map(|i| format!("($1, {})", output_params(2 + i * 6)))
                .collect();
            let sql = format!("{INSERT_OUTPUT} VALUES {}", rows.join(", "));
            let query = self.sql(&sql).bind(run_id);
            bind_output(query, &streams).execute(&mut *tx).await?;
        }
        self.store_follow_up(&mut tx, follow_up, finished.finished_at)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn get_run(&self, id: i64) -> Result<Run> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = $1");
        let row = self
            .sql(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("run {id}")))?;
        run_from_row(&row)
    }

    /// Runs, newest first.
    pub async fn list_runs(&self, filter: &RunFilter) -> Result<Vec<Run>> {
        let mut conditions = vec!["($1 IS NULL OR schedule_id = $1)".to_string()];
        conditions.push("($2 IS NULL OR status = $2)".into());
        conditions.push("($3 IS NULL OR id < $3)".into());
        if let Some(ids) = &filter.schedule_ids {
            conditions.push(format!("schedule_id IN ({})", id_list(ids)));
        }
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE {} ORDER BY id DESC LIMIT $4",
            conditions.join(" AND ")
        );
        let rows = self
            .sql(&sql)
            .bind(filter.schedule_id)
            .bind(filter.status.map(RunStatus::as_str))
            .bind(filter.before_id)
            .bind(filter.limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(run_from_row).collect()
    }

    /// Run counts per status.
    pub async fn count_runs_by_status(&self) -> Result<Vec<(RunStatus, i64)>> {
        let rows = self
            .sql("SELECT status, COUNT(*) AS n FROM runs GROUP BY status")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok((run_status(&row.cell::<String>("status")?)?, row.cell("n")?)))
            .collect()
    }

    /// One stream of a run's output; empty when the run has not ended or
    /// wrote nothing to it.
    pub async fn run_output(&self, run_id: i64, stream: Stream) -> Result<Output> {
        let row = self
            .sql(
                "SELECT bytes, \"lines\", total_bytes, omitted_bytes, omitted_at FROM run_output \
             WHERE run_id = $1 AND stream = $2",
            )
            .bind(run_id)
            .bind(stream.as_str())
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(Output::default());
        };
        let lines: Vec<(u64, i64)> = serde_json::from_str(&row.cell::<String>("lines")?)
            .map_err(|e| StoreError::Corrupt(format!("line index of run {run_id}: {e}")))?;
        Ok(Output {
            bytes: row.cell("bytes")?,
            lines: lines
                .into_iter()
                .map(|(offset, at)| LineStart {
                    offset,
                    at: from_ms(at),
                })
                .collect(),
            total_bytes: row.cell::<i64>("total_bytes")? as u64,
            omitted_bytes: row.cell::<i64>("omitted_bytes")? as u64,
            omitted_at: row.cell::<i64>("omitted_at")? as u64,
        })
    }
}

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

/// What each new connection is set to. SQLite: write-ahead logging for
/// files, waiting for a busy database, enforced foreign keys. MySQL: standard
/// quoting of identifiers (the statements quote the few reserved words they
/// use as names, like `"trigger"`), and reads of committed rows only, so a
/// claim that skips locked rows does not hold the ones it passed over.
fn session_settings(dialect: Dialect, file: bool) -> &'static [&'static str] {
    match (dialect, file) {
        (Dialect::Sqlite, true) => &[
            "PRAGMA journal_mode = WAL",
            "PRAGMA busy_timeout = 10000",
            "PRAGMA foreign_keys = ON",
        ],
        (Dialect::Sqlite, false) => &["PRAGMA busy_timeout = 10000", "PRAGMA foreign_keys = ON"],
        (Dialect::MySql, _) => &[
            "SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')",
            "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
        ],
        (Dialect::Postgres, _) => &[],
    }
}

/// A unique-index violation is the caller's conflict, not a database fault.
fn unique_violation(error: StoreError, conflict: &str) -> StoreError {
    match &error {
        StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            StoreError::Conflict(conflict.to_string())
        }
        _ => error,
    }
}

/// Ids written into a statement as an `IN` list: they are integers, so they
/// need no quoting; an empty list matches nothing.
fn id_list(ids: &[i64]) -> String {
    if ids.is_empty() {
        return "NULL".into();
    }
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The content hash that names a module.
pub fn module_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn ms(instant: DateTime<Utc>) -> i64 {
    instant.timestamp_millis()
}

fn from_ms(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

impl Store {
    async fn insert_run_in(
        &self,
        tx: &mut Tx<'_>,
        run: &NewRun,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let id = self
            .sql(
                "INSERT INTO runs (schedule_id, function_id, function_version, data, \"trigger\", \
             scheduled_for, attempt, status, due_at, timeout_ms, serial, worker_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10, $11, $12)",
            )
            .bind(run.schedule_id)
            .bind(&run.function_id)
            .bind(run.function_version)
            .bind(run.data.to_string())
            .bind(run.trigger.as_str())
            .bind(ms(run.scheduled_for))
            .bind(run.attempt)
            .bind(ms(run.due_at))
            .bind(run.timeout_ms)
            .bind(run.serial)
            .bind(&run.worker_id)
            .bind(ms(now))
            .ignore_duplicates()
            .inserted_id(&mut **tx)
            .await?;
        Ok(id)
    }

    async fn insert_event_in(
        &self,
        tx: &mut Tx<'_>,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.sql(
            "INSERT INTO schedule_events (schedule_id, at, kind, run_id, first_fire_time, \
             last_fire_time, fire_count, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(event.schedule_id)
        .bind(ms(now))
        .bind(event.kind.as_str())
        .bind(event.run_id)
        .bind(event.first_fire_time.map(ms))
        .bind(event.last_fire_time.map(ms))
        .bind(event.fire_count)
        .bind(&event.reason)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn store_follow_up(
        &self,
        tx: &mut Tx<'_>,
        follow_up: &FollowUp,
        now: DateTime<Utc>,
    ) -> Result<()> {
        for run in &follow_up.runs {
            self.insert_run_in(tx, run, now).await?;
        }
        // A retry or a failure trigger is new work for any instance. What
        // else an ending frees (a slot, a serial run's successor) the
        // instance that ran it takes up itself, at once.
        if !follow_up.runs.is_empty() {
            self.tell_due(&mut **tx).await?;
        }
        for event in &follow_up.events {
            self.insert_event_in(tx, event, now).await?;
        }
        Ok(())
    }
}

fn json(row: &AnyRow, column: &str) -> Result<Value> {
    let text: String = row.cell(column)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

type TimingColumns<'a> = (&'static str, Option<&'a str>, Option<&'a str>, Option<i64>);

/// Binds what inserting and updating a schedule share, `$1` to `$21`: its
/// definition, its state and its next fire time.
fn bind_definition(query: Sql, schedule: &Schedule) -> Sql {
    let (kind, expression, phrase, run_at) = timing_columns(&schedule.timing);
    query
        .bind(&schedule.function_id)
        .bind(schedule.function_version)
        .bind(&schedule.title)
        .bind(&schedule.description)
        .bind(schedule.data.to_string())
        .bind(kind)
        .bind(expression)
        .bind(phrase)
        .bind(run_at)
        .bind(&schedule.timezone)
        .bind(schedule.timeout_ms)
        .bind(schedule.catch_up.as_str())
        .bind(schedule.overlap.as_str())
        .bind(schedule.retry.max_retries)
        .bind(schedule.retry.backoff.as_str())
        .bind(schedule.retry.base_ms)
        .bind(schedule.retry.cap_ms)
        .bind(schedule.failure_trigger)
        .bind(&schedule.event_id)
        .bind(schedule.status.as_str())
        .bind(schedule.next_run_at.map(ms))
        .bind(&schedule.worker_id)
}

fn timing_columns(timing: &Timing) -> TimingColumns<'_> {
    match timing {
        Timing::Cron { expression, phrase } => ("cron", Some(expression), phrase.as_deref(), None),
        Timing::Once { run_at } => ("once", None, None, Some(ms(*run_at))),
        Timing::Manual => ("manual", None, None, None),
    }
}

/// Reads a column holding one of an enum's names.
fn named<T>(row: &AnyRow, column: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    let text: String = row.cell(column)?;
    parse(&text).ok_or_else(|| StoreError::Corrupt(format!("{column} `{text}`")))
}

fn run_status(text: &str) -> Result<RunStatus> {
    RunStatus::parse(text).ok_or_else(|| StoreError::Corrupt(format!("run status `{text}`")))
}

/// The `migrates_from` column: the versions ascending and once each, as a
/// JSON array; NULL for none.
fn migrates_from_column(versions: &[i64]) -> Option<String> {
    let mut versions = versions.to_vec();
    versions.sort_unstable();
    versions.dedup();
    (!versions.is_empty()).then(|| Value::from(versions).to_string())
}

fn function_from_row(row: &AnyRow) -> Result<Function> {
    Ok(Function {
        id: row.cell("id")?,
        version: row.cell("version")?,
        title: row.cell("title")?,
        description: row.cell("description")?,
        data_schema: json(row, "data_schema")?,
        example: json(row, "example")?,
        requested_hosts: match row.cell::<Option<String>>("requested_hosts")? {
            Some(text) => Some(
                serde_json::from_str(&text)
                    .map_err(|e| StoreError::Corrupt(format!("requested hosts: {e}")))?,
            ),
            None => None,
        },
        migrates_from: match row.cell::<Option<String>>("migrates_from")? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| StoreError::Corrupt(format!("migrates from: {e}")))?,
            None => Vec::new(),
        },
        module_hash: row.cell("module_hash")?,
        module_size: row.cell("size")?,
        created_at: from_ms(row.cell("created_at")?),
    })
}

fn schedule_from_row(row: &AnyRow) -> Result<Schedule> {
    let id: i64 = row.cell("id")?;
    let timing = match row.cell::<String>("timing_kind")?.as_str() {
        "cron" => Timing::Cron {
            expression: row.cell("cron_expression")?,
            phrase: row.cell("phrase")?,
        },
        "once" => Timing::Once {
            run_at: from_ms(row.cell("run_at")?),
        },
        "manual" => Timing::Manual,
        other => {
            return Err(StoreError::Corrupt(format!(
                "schedule {id} timing `{other}`"
            )));
        }
    };
    let status = named(row, "status", |s| match s {
        "active" => Some(ScheduleStatus::Active),
        "paused" => Some(ScheduleStatus::Paused),
        _ => None,
    })?;
    Ok(Schedule {
        id,
        function_id: row.cell("function_id")?,
        function_version: row.cell("function_version")?,
        title: row.cell("title")?,
        description: row.cell("description")?,
        data: json(row, "data")?,
        timing,
        timezone: row.cell("timezone")?,
        timeout_ms: row.cell("timeout_ms")?,
        catch_up: named(row, "catch_up", CatchUp::parse)?,
        overlap: named(row, "overlap", Overlap::parse)?,
        retry: RetryPolicy {
            max_retries: row.cell("max_retries")?,
            backoff: named(row, "backoff", Backoff::parse)?,
            base_ms: row.cell("backoff_base_ms")?,
            cap_ms: row.cell("backoff_cap_ms")?,
        },
        failure_trigger: row.cell("failure_trigger")?,
        event_id: row.cell("event_id")?,
        worker_id: row.cell("worker_id")?,
        status,
        next_run_at: row.cell::<Option<i64>>("next_run_at")?.map(from_ms),
        created_at: from_ms(row.cell("created_at")?),
        updated_at: from_ms(row.cell("updated_at")?),
    })
}

fn event_from_row(row: &AnyRow) -> Result<ScheduleEvent> {
    let at = |column: &str| -> Result<Option<DateTime<Utc>>> {
        Ok(row.cell::<Option<i64>>(column)?.map(from_ms))
    };
    Ok(ScheduleEvent {
        id: row.cell("id")?,
        schedule_id: row.cell("schedule_id")?,
        at: from_ms(row.cell("at")?),
        kind: named(row, "kind", EventKind::parse)?,
        run_id: row.cell("run_id")?,
        first_fire_time: at("first_fire_time")?,
        last_fire_time: at("last_fire_time")?,
        fire_count: row.cell("fire_count")?,
        reason: row.cell("reason")?,
    })
}

fn run_from_row(row: &AnyRow) -> Result<Run> {
    let id: i64 = row.cell("id")?;
    let trigger: String = row.cell("trigger")?;
    Ok(Run {
        id,
        schedule_id: row.cell("schedule_id")?,
        function_id: row.cell("function_id")?,
        function_version: row.cell("function_version")?,
        data: json(row, "data")?,
        trigger: Trigger::parse(&trigger)
            .ok_or_else(|| StoreError::Corrupt(format!("run {id} trigger `{trigger}`")))?,
        scheduled_for: from_ms(row.cell("scheduled_for")?),
        attempt: row.cell("attempt")?,
        status: run_status(&row.cell::<String>("status")?)?,
        timeout_ms: row.cell("timeout_ms")?,
        instance_id: row.cell("instance_id")?,
        started_at: row.cell::<Option<i64>>("started_at")?.map(from_ms),
        finished_at: row.cell::<Option<i64>>("finished_at")?.map(from_ms),
        exit_code: row.cell("exit_code")?,
        error: row.cell("error")?,
        cancel_requested_at: row.cell::<Option<i64>>("cancel_requested_at")?.map(from_ms),
        worker_id: row.cell("worker_id")?,
        created_at: from_ms(row.cell("created_at")?),
    })
}

/// Opens the database file inside `dir`, the default location.
pub fn default_sqlite_path(dir: &Path) -> std::path::PathBuf {
    dir.join("enschedule.sqlite")
}

/// A run's end, recorded only by the instance that holds it: `$1` to `$7`.
const FINISH_RUN: &str = "UPDATE runs SET status = $1, started_at = $2, finished_at = $3, \
     exit_code = $4, error = $5, lease_until = NULL \
     WHERE id = $6 AND status = 'running' AND instance_id = $7";

const INSERT_OUTPUT: &str = "INSERT INTO run_output (run_id, stream, bytes, \"lines\", \
     total_bytes, omitted_bytes, omitted_at)";

fn bind_finish(query: Sql, run_id: i64, instance_id: &str, finished: &Finished) -> Sql {
    query
        .bind(finished.status.as_str())
        .bind(ms(finished.started_at))
        .bind(ms(finished.finished_at))
        .bind(finished.exit_code)
        .bind(&finished.error)
        .bind(run_id)
        .bind(instance_id)
}

/// The six parameters of a stream's output row, numbered from `first`.
fn output_params(first: usize) -> String {
    let params: Vec<String> = (first..first + 6).map(|n| format!("${n}")).collect();
    params.join(", ")
}

/// Binds, for each stream in turn, the six values `output_params` numbers.
fn bind_output(mut query: Sql, streams: &[(Stream, &Output)]) -> Sql {
    for (stream, output) in streams {
        let lines: Vec<(u64, i64)> = output.lines.iter().map(|l| (l.offset, ms(l.at))).collect();
        query = query
            .bind(stream.as_str())
            .bind(&output.bytes)
            .bind(serde_json::to_string(&lines).unwrap_or_else(|_| "[]".into()))
            .bind(output.total_bytes as i64)
            .bind(output.omitted_bytes as i64)
            .bind(output.omitted_at as i64);
    }
    query
}
