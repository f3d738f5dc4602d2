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
    /// SHA-256 of the module's bytes, hex; the key of the stored module.
    pub module_hash: String,
    pub module_size: i64,
    pub created_at: DateTime<Utc>,
}

/// When a schedule fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Timing {
    /// A cron expression in the schedule's timezone.
    Cron { expression: String },
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

/// What a new schedule is made of.
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
    Schedule,
    Manual,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Manual => "manual",
        }
    }

    pub fn parse(text: &str) -> Option<Trigger> {
        match text {
            "schedule" => Some(Trigger::Schedule),
            "manual" => Some(Trigger::Manual),
            _ => None,
        }
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
    pub created_at: DateTime<Utc>,
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
