//! The engine's records: functions, schedules and runs, as the store returns
//! them and the rest of the product reads them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A registered function: a handler module plus its manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Function {
    pub id: String,
    pub version: i64,
    pub title: String,
    pub description: String,
    pub data_schema: Value,
    pub example: Value,
    /// The hosts its manifest asks to reach over HTTP (admins grant them);
    /// `None` when it makes no HTTP requests.
    pub requested_hosts: Option<Vec<String>>,
    /// The older versions whose schedules' data this version can migrate
    /// (the manifest's `migratesFrom`), ascending; empty when none.
    pub migrates_from: Vec<i64>,
    /// SHA-256 of the module's bytes, hex; the key of the stored module.
    pub module_hash: String,
    pub module_size: i64,
    pub created_at: DateTime<Utc>,
}

/// When a schedule fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Timing {
    /// A cron expression in the schedule's timezone. When the schedule was
    /// written as a natural-language phrase, `phrase` keeps it and
    /// `expression` is its cron form, which decides every fire time.
    ///
    /// On input, `expression` may itself be a phrase (text starting with a
    /// letter): the engine then stores the phrase and its cron form.
    Cron {
        expression: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        phrase: Option<String>,
    },
    /// Once, at an instant; an instant in the past fires at once.
    Once { run_at: DateTime<Utc> },
    /// Only when someone asks (*run now*).
    Manual,
}

impl Timing {
    pub fn kind(&self) -> &'static str {
        match self {
            Timing::Cron { .. } => "cron",
            Timing::Once { .. } => "once",
            Timing::Manual => "manual",
        }
    }
}

/// Whether a schedule fires on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleStatus {
    Active,
    Paused,
}

impl ScheduleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ScheduleStatus::Active => "active",
            ScheduleStatus::Paused => "paused",
        }
    }
}

/// What to do with fire times that passed while no instance was running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatchUp {
    /// Skip them all; the schedule goes on at its next fire time.
    None,
    /// One run for the latest of them.
    #[default]
    One,
    /// One run for each, oldest first, at most [`CatchUp::MAX_RUNS`].
    All,
}

impl CatchUp {
    /// The most runs `all` creates after one stretch of downtime; older fire
    /// times beyond it are recorded as skipped.
    pub const MAX_RUNS: usize = 100;

    pub fn as_str(self) -> &'static str {
        match self {
            CatchUp::None => "none",
            CatchUp::One => "one",
            CatchUp::All => "all",
        }
    }

    pub fn parse(text: &str) -> Option<CatchUp> {
        [CatchUp::None, CatchUp::One, CatchUp::All]
            .into_iter()
            .find(|c| c.as_str() == text)
    }
}

/// What to do at a fire time while an earlier run of the schedule is still
/// pending or running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overlap {
    /// Record the fire time as skipped.
    #[default]
    Skip,
    /// Start another run beside it.
    Allow,
    /// Keep one run waiting until the running one ends; a fire time that
    /// finds one already waiting is skipped.
    Queue,
}

impl Overlap {
    pub fn as_str(self) -> &'static str {
        match self {
            Overlap::Skip => "skip",
            Overlap::Allow => "allow",
            Overlap::Queue => "queue",
        }
    }

    pub fn parse(text: &str) -> Option<Overlap> {
        [Overlap::Skip, Overlap::Allow, Overlap::Queue]
            .into_iter()
            .find(|o| o.as_str() == text)
    }
}

/// How long to wait before each retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backoff {
    /// `base`, then doubling, never more than `cap`.
    #[default]
    Exponential,
    /// `base` every time.
    Fixed,
}

impl Backoff {
    pub fn as_str(self) -> &'static str {
        match self {
            Backoff::Exponential => "exponential",
            Backoff::Fixed => "fixed",
        }
    }

    pub fn parse(text: &str) -> Option<Backoff> {
        [Backoff::Exponential, Backoff::Fixed]
            .into_iter()
            .find(|b| b.as_str() == text)
    }
}

/// What happens after a failed run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryPolicy {
    /// Retries after the first attempt: 0 for none, -1 for no limit.
    pub max_retries: i64,
    pub backoff: Backoff,
    pub base_ms: i64,
    pub cap_ms: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 0,
            backoff: Backoff::Exponential,
            base_ms: 30_000,
            cap_ms: 5 * 60_000,
        }
    }
}

impl RetryPolicy {
    /// Whether a run that failed on `attempt` gets another one.
    pub fn retries_after(&self, attempt: i64) -> bool {
        self.max_retries < 0 || attempt <= self.max_retries
    }

    /// The wait between the end of `attempt` and the start of the next one.
    pub fn delay_after(&self, attempt: i64) -> chrono::Duration {
        let ms = match self.backoff {
            Backoff::Fixed => self.base_ms,
            Backoff::Exponential => {
                // Doubling stops at the cap; the shift is bounded so it
                // cannot overflow however many attempts there were.
                let doublings = (attempt - 1).clamp(0, 40) as u32;
                self.base_ms
                    .saturating_mul(1_i64 << doublings)
                    .min(self.cap_ms)
            }
        };
        chrono::Duration::milliseconds(ms.max(0))
    }
}

/// What a schedule is made of: what is given to create one, or to replace
/// the definition of an existing one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSchedule {
    pub function_id: String,
    pub function_version: i64,
    pub title: String,
    pub description: String,
    pub data: Value,
    pub timing: Timing,
    /// IANA name; `None` means the engine's default timezone.
    pub timezone: Option<String>,
    /// Wall-clock limit per run; `None` means the engine's default.
    pub timeout_ms: Option<i64>,
    pub catch_up: CatchUp,
    pub overlap: Overlap,
    pub retry: RetryPolicy,
    /// Another schedule to run once this one's last attempt has failed.
    pub failure_trigger: Option<i64>,
    /// A name the caller chose: applying a schedule with a known `event_id`
    /// updates that schedule instead of creating another.
    pub event_id: Option<String>,
    /// The worker whose instances alone run it; `None` for any worker.
    pub worker_id: Option<String>,
}

impl NewSchedule {
    /// A manual schedule of a function with the default policies; callers
    /// set what they need on top.
    pub fn new(function_id: impl Into<String>, function_version: i64, data: Value) -> Self {
        NewSchedule {
            function_id: function_id.into(),
            function_version,
            title: String::new(),
            description: String::new(),
            data,
            timing: Timing::Manual,
            timezone: None,
            timeout_ms: None,
            catch_up: CatchUp::default(),
            overlap: Overlap::default(),
            retry: RetryPolicy::default(),
            failure_trigger: None,
            event_id: None,
            worker_id: None,
        }
    }
}

/// A stored schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    pub id: i64,
    pub function_id: String,
    pub function_version: i64,
    pub title: String,
    pub description: String,
    pub data: Value,
    pub timing: Timing,
    pub timezone: String,
    pub timeout_ms: i64,
    pub catch_up: CatchUp,
    pub overlap: Overlap,
    pub retry: RetryPolicy,
    pub failure_trigger: Option<i64>,
    pub event_id: Option<String>,
    /// The worker whose instances alone run it; `None` for any worker.
    pub worker_id: Option<String>,
    pub status: ScheduleStatus,
    /// The next fire time, or `None` when the schedule will not fire on its
    /// own (manual, paused, or a one-off that has fired).
    pub next_run_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Why a run exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A fire time, on time.
    Schedule,
    /// *Run now*.
    Manual,
    /// A further attempt at the fire time of a failed run.
    Retry,
    /// A fire time that passed while no instance was running.
    CatchUp,
    /// Another schedule's last attempt failed, and this one is its failure
    /// trigger.
    Failure,
}

impl Trigger {
    const ALL: [Trigger; 5] = [
        Trigger::Schedule,
        Trigger::Manual,
        Trigger::Retry,
        Trigger::CatchUp,
        Trigger::Failure,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Manual => "manual",
            Trigger::Retry => "retry",
            Trigger::CatchUp => "catch_up",
            Trigger::Failure => "failure",
        }
    }

    pub fn parse(text: &str) -> Option<Trigger> {
        Trigger::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Pending,
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Cancelled,
    Lost,
}

impl RunStatus {
    pub const ALL: [RunStatus; 7] = [
        RunStatus::Pending,
        RunStatus::Running,
        RunStatus::Succeeded,
        RunStatus::Failed,
        RunStatus::TimedOut,
        RunStatus::Cancelled,
        RunStatus::Lost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Pending => "pending",
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::TimedOut => "timed_out",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Lost => "lost",
        }
    }

    pub fn parse(text: &str) -> Option<RunStatus> {
        RunStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// True once the run can change no more.
    pub fn is_finished(self) -> bool {
        !matches!(self, RunStatus::Pending | RunStatus::Running)
    }

    /// True for the endings that count as a failure and may be retried.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            RunStatus::Failed | RunStatus::TimedOut | RunStatus::Lost
        )
    }
}

/// A run, without its output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub id: i64,
    pub schedule_id: i64,
    pub function_id: String,
    pub function_version: i64,
    pub data: Value,
    pub trigger: Trigger,
    /// The fire time this run serves (the request time for a manual run).
    pub scheduled_for: DateTime<Utc>,
    pub attempt: i64,
    pub status: RunStatus,
    pub timeout_ms: i64,
    pub instance_id: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub exit_code: Option<i32>,
    /// How the run ended when that is not an exit code: a trap message, the
    /// timeout, a host failure.
    pub error: Option<String>,
    /// When someone asked to cancel the run while it was running.
    pub cancel_requested_at: Option<DateTime<Utc>>,
    /// The worker whose instances alone may run it, from its schedule.
    pub worker_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A decision the engine took about a schedule, kept so that every fire
/// time is accounted for and every retry explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleEvent {
    pub id: i64,
    pub schedule_id: i64,
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    /// The run the decision concerns, if any.
    pub run_id: Option<i64>,
    /// The fire times concerned: `first` to `last`, `count` of them.
    pub first_fire_time: Option<DateTime<Utc>>,
    pub last_fire_time: Option<DateTime<Utc>>,
    pub fire_count: i64,
    /// In words, for people.
    pub reason: String,
}

/// The kinds of [`ScheduleEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Fire times that got no run (overlap, or missed under catch-up).
    Skipped,
    /// Missed fire times that got catch-up runs.
    CaughtUp,
    /// A failed run gets another attempt.
    Retried,
    /// A failed run had no attempts left.
    GaveUp,
    /// The failure trigger of the schedule was fired.
    FailureTriggered,
    Paused,
    Resumed,
    /// The definition changed.
    Updated,
    /// The schedule moved to another version of its function, with its data
    /// rewritten by that version's migration or kept as it was.
    Migrated,
    /// Applying a migration left the schedule on its version; the reason
    /// says why (the migration failed, or the new data broke the schema).
    NotMigrated,
}

impl EventKind {
    const ALL: [EventKind; 10] = [
        EventKind::Skipped,
        EventKind::CaughtUp,
        EventKind::Retried,
        EventKind::GaveUp,
        EventKind::FailureTriggered,
        EventKind::Paused,
        EventKind::Resumed,
        EventKind::Updated,
        EventKind::Migrated,
        EventKind::NotMigrated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Skipped => "skipped",
            EventKind::CaughtUp => "caught_up",
            EventKind::Retried => "retried",
            EventKind::GaveUp => "gave_up",
            EventKind::FailureTriggered => "failure_triggered",
            EventKind::Paused => "paused",
            EventKind::Resumed => "resumed",
            EventKind::Updated => "updated",
            EventKind::Migrated => "migrated",
            EventKind::NotMigrated => "not_migrated",
        }
    }

    pub fn parse(text: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// The two output streams of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// What a run wrote to one stream, as stored.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Output {
    /// The bytes kept: all of them, or the first and last halves of the cap.
    pub bytes: Vec<u8>,
    /// Where each line starts in `bytes`, with the instant it was written.
    pub lines: Vec<LineStart>,
    /// How many bytes the run wrote in all.
    pub total_bytes: u64,
    /// How many bytes were left out, at offset `omitted_at` of `bytes`.
    pub omitted_bytes: u64,
    pub omitted_at: u64,
}

/// The start of one output line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineStart {
    pub offset: u64,
    pub at: DateTime<Utc>,
}

impl Output {
    /// The lines, each with its timestamp, decoded with invalid UTF-8
    /// replaced; a line's trailing newline is not part of its text.
    pub fn text_lines(&self) -> Vec<(DateTime<Utc>, String)> {
        let ends = self
            .lines
            .iter()
            .skip(1)
            .map(|l| l.offset as usize)
            .chain([self.bytes.len()]);
        self.lines
            .iter()
            .zip(ends)
            .map(|(start, end)| {
                let slice = &self.bytes[start.offset as usize..end];
                let slice = slice.strip_suffix(b"\n").unwrap_or(slice);
                (start.at, String::from_utf8_lossy(slice).into_owned())
            })
            .collect()
    }
}
