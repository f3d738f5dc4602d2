//! Timing: when a schedule fires.
//!
//! A *fire time* is an instant at which a schedule is due. This module turns a
//! cron expression and an IANA timezone into fire times, with the daylight
//! saving rules of cronie:
//!
//! - a *fixed-time* expression (neither minute nor hour starts with `*`) names
//!   wall-clock times: one that falls in a spring-forward gap fires once, at the
//!   first instant after the gap; one that occurs twice fires at its first
//!   occurrence;
//! - any other expression follows real time: slots inside a gap do not exist,
//!   and a repeated hour fires twice.
//!
//! Everything here is pure: no clock, no I/O.

mod cron;
mod phrase;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

pub use self::cron::{CronError, CronExpr, Field};
pub use self::phrase::{PhraseError, phrase_to_cron};

/// How far ahead an expression must fire to be accepted.
pub const HORIZON_YEARS: i32 = 100;

/// A cron expression in a timezone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    expr: CronExpr,
    tz: Tz,
}

/// Why a schedule's timing was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimingError {
    #[error(transparent)]
    Cron(#[from] CronError),
    #[error("`{0}` is not an IANA timezone name (for example `Europe/Berlin` or `UTC`)")]
    UnknownTimezone(String),
    #[error("`{0}` never fires: it has no fire time in the next {HORIZON_YEARS} years")]
    NeverFires(String),
    #[error(transparent)]
    Phrase(#[from] PhraseError),
}

/// A schedule's timing as a person wrote it: a cron expression (or
/// nickname), or a natural-language phrase with the cron form made of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub expression: String,
    pub phrase: Option<String>,
}

/// Reads what a person wrote for a schedule's timing. Text that starts with
/// a letter is a phrase (`every day at 2 am`); anything else is cron (a cron
/// field starts with a digit, `*` or `?`, a nickname with `@`).
pub fn read_schedule_text(text: &str) -> Result<Written, TimingError> {
    let text = text.trim();
    if text.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Ok(Written {
            expression: phrase_to_cron(text)?,
            phrase: Some(text.to_string()),
        });
    }
    CronExpr::parse(text)?;
    Ok(Written {
        expression: text.to_string(),
        phrase: None,
    })
}

/// What a schedule's timing means: its cron form, in words, and its next
/// fire times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub written: Written,
    pub description: String,
    pub fire_times: Vec<DateTime<Utc>>,
}

/// Reads `text` as [`read_schedule_text`] does and lists its next `count`
/// fire times after `after` in `tz`.
pub fn preview(
    text: &str,
    tz: Tz,
    after: DateTime<Utc>,
    count: usize,
) -> Result<Preview, TimingError> {
    let written = read_schedule_text(text)?;
    let cron = Cron::new(&written.expression, tz, after)?;
    Ok(Preview {
        description: cron.describe(),
        fire_times: cron.iter_after(after).take(count).collect(),
        written,
    })
}

/// An instant as RFC 3339 in UTC with whole seconds (`2026-03-08T07:00:00Z`),
/// the one way the product writes fire times for machines.
pub fn rfc3339(instant: DateTime<Utc>) -> String {
    instant.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Parses an IANA timezone name.
pub fn parse_timezone(name: &str) -> Result<Tz, TimingError> {
    name.parse::<Tz>()
        .map_err(|_| TimingError::UnknownTimezone(name.to_string()))
}

impl Cron {
    /// Parses `text` in timezone `tz` and refuses an expression that has no
    /// fire time within [`HORIZON_YEARS`] of `now`.
    pub fn new(text: &str, tz: Tz, now: DateTime<Utc>) -> Result<Cron, TimingError> {
        let cron = Cron {
            expr: CronExpr::parse(text)?,
            tz,
        };
        if cron.next_after(now).is_none() {
            return Err(TimingError::NeverFires(text.trim().to_string()));
        }
        Ok(cron)
    }

    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// The expression in plain English.
    pub fn describe(&self) -> String {
        self.expr.describe()
    }

    /// The first fire time strictly after `after`, or `None` when there is
    /// none within [`HORIZON_YEARS`].
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let after = after.with_nanosecond_floor();
        let last_year = after.year() + HORIZON_YEARS;
        if self.expr.is_fixed_time() {
            self.next_fixed(after, last_year)
        } else {
            self.next_wildcard(after, last_year)
        }
    }

    /// Fire times after `after`, in order.
    pub fn iter_after(&self, after: DateTime<Utc>) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        std::iter::successors(self.next_after(after), move |t| self.next_after(*t))
    }

    /// Wall-clock semantics: walk local date-times and resolve each to one
    /// instant. The walk starts from the local time of `after` in the offset in
    /// force at `after`, so a slot in a gap just ahead is not stepped over.
    fn next_fixed(&self, after: DateTime<Utc>, last_year: i32) -> Option<DateTime<Utc>> {
        let mut cursor = self.local(after) + Duration::seconds(1);
        loop {
            let local = self.expr.next_local(cursor, last_year)?;
            let instant = match self.tz.from_local_datetime(&local) {
                LocalResult::Single(t) => t.with_timezone(&Utc),
                LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
                LocalResult::None => self.end_of_gap(local)?,
            };
            if instant > after {
                return Some(instant);
            }
            cursor = local + Duration::seconds(1);
        }
    }

    /// Real-time semantics: within a stretch of constant UTC offset, local time
    /// is UTC shifted, so the next match is found on the local calendar and
    /// shifted back. When a transition lies before that candidate, the search
    /// restarts at the transition in the new offset: a gap is jumped over and
    /// a repeated hour is walked twice.
    fn next_wildcard(&self, after: DateTime<Utc>, last_year: i32) -> Option<DateTime<Utc>> {
        let mut from = after + Duration::seconds(1);
        loop {
            let offset = self.offset_seconds(from);
            let local = from.naive_utc() + Duration::seconds(offset);
            let found = self.expr.next_local(local, last_year)?;
            let candidate = (found - Duration::seconds(offset)).and_utc();
            if self.offset_seconds(candidate) == offset {
                return Some(candidate);
            }
            from = self.next_transition(from, candidate);
        }
    }

    fn local(&self, instant: DateTime<Utc>) -> NaiveDateTime {
        instant.with_timezone(&self.tz).naive_local()
    }

    fn offset_seconds(&self, instant: DateTime<Utc>) -> i64 {
        i64::from(
            instant
                .with_timezone(&self.tz)
                .offset()
                .fix()
                .local_minus_utc(),
        )
    }

    /// The first instant in `(from, to]` whose UTC offset differs from that at
    /// `from`; the caller knows one exists.
    fn next_transition(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
        let offset = self.offset_seconds(from);
        let (mut low, mut high) = (from, to);
        while high - low > Duration::seconds(1) {
            let middle = low + (high - low) / 2;
            let middle = middle.with_nanosecond_floor();
            if self.offset_seconds(middle) == offset {
                low = middle;
            } else {
                high = middle;
            }
        }
        high
    }

    /// The first instant after the spring-forward gap that swallowed `local`.
    fn end_of_gap(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        // Gaps last at most a few hours; they end at the first local time that
        // exists again, found minute by minute and then to the second.
        let start = local.with_second_floor();
        let exists =
            |t: NaiveDateTime| !matches!(self.tz.from_local_datetime(&t), LocalResult::None);
        let minute = (1..=24 * 60)
            .map(|m| start + Duration::minutes(m))
            .find(|t| exists(*t))?;
        let first = (0..60)
            .rev()
            .map(|s| minute - Duration::seconds(s))
            .find(|t| exists(*t))?;
        self.tz
            .from_local_datetime(&first)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }
}

/// Truncation helpers: fire times have whole seconds.
trait Floor {
    fn with_nanosecond_floor(self) -> Self;
}

impl Floor for DateTime<Utc> {
    fn with_nanosecond_floor(self) -> Self {
        DateTime::from_timestamp(self.timestamp(), 0).unwrap_or(self)
    }
}

trait SecondFloor {
    fn with_second_floor(self) -> Self;
}

impl SecondFloor for NaiveDateTime {
    fn with_second_floor(self) -> Self {
        use chrono::Timelike;
        self.with_second(0)
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or(self)
    }
}
