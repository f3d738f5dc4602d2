//! Cron expressions: parsing and matching on a local calendar.
//!
//! An expression has 5 fields (minute hour day-of-month month day-of-week, at
//! second 0) or 6 (seconds first), or is a nickname such as `@daily`. Day of
//! month and day of week combine as in Vixie cron: when both are restricted a
//! day matching either fires; a field whose text starts with `*` is
//! unrestricted, and then both must match.
//!
//! This module knows nothing of timezones: it answers "which local date-times
//! match". [`super::Cron`] turns those into instants.

use std::fmt;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Weekday};

mod describe;

/// Why an expression was refused. The message names the field and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    #[error("the expression is empty")]
    Empty,
    #[error(
        "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), found {0}"
    )]
    FieldCount(usize),
    #[error(
        "unknown nickname `{0}`; known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly"
    )]
    UnknownNickname(String),
    #[error("{field}: {problem}")]
    Field { field: Field, problem: String },
}

/// The fields of an expression, named as in error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Second,
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
}

impl Field {
    fn bounds(self) -> (u32, u32) {
        match self {
            Field::Second | Field::Minute => (0, 59),
            Field::Hour => (0, 23),
            Field::DayOfMonth => (1, 31),
            Field::Month => (1, 12),
            // 7 is accepted as a second spelling of Sunday.
            Field::DayOfWeek => (0, 7),
        }
    }

    fn names(self) -> &'static [&'static str] {
        match self {
            Field::Month => &[
                "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
            ],
            Field::DayOfWeek => &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
            _ => &[],
        }
    }

    /// The value the first name stands for (`JAN` is 1, `SUN` is 0).
    fn first_name_value(self) -> u32 {
        match self {
            Field::Month => 1,
            _ => 0,
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Second => "second",
            Field::Minute => "minute",
            Field::Hour => "hour",
            Field::DayOfMonth => "day-of-month",
            Field::Month => "month",
            Field::DayOfWeek => "day-of-week",
        })
    }
}

/// A parsed expression: one set of allowed values per field plus the
/// day-of-month and day-of-week extensions (`L`, `W`, `#`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronExpr {
    seconds: u64,
    minutes: u64,
    hours: u32,
    months: u16,
    days_of_month: u32,
    last_day_of_month: bool,
    nearest_weekdays: Vec<u32>,
    last_weekday_of_month: bool,
    days_of_week: u8,
    last_weekdays: Vec<Weekday>,
    nth_weekdays: Vec<(Weekday, u32)>,
    day_of_month_restricted: bool,
    day_of_week_restricted: bool,
    fixed_time: bool,
}

impl CronExpr {
    /// Parses a 5- or 6-field expression or a nickname.
    pub fn parse(text: &str) -> Result<CronExpr, CronError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(CronError::Empty);
        }
        let expanded = match text.strip_prefix('@') {
            Some(nickname) => expand_nickname(nickname)?,
            None => text,
        };

        let fields: Vec<&str> = expanded.split_whitespace().collect();
        let (second, rest) = match fields.len() {
            5 => ("0", &fields[..]),
            6 => (fields[0], &fields[1..]),
            n => return Err(CronError::FieldCount(n)),
        };
        let [minute, hour, day_of_month, month, day_of_week] = [0, 1, 2, 3, 4].map(|i| rest[i]);

        let mut expr = CronExpr {
            seconds: parse_plain(Field::Second, second)?,
            minutes: parse_plain(Field::Minute, minute)?,
            hours: parse_plain(Field::Hour, hour)? as u32,
            months: parse_plain(Field::Month, month)? as u16,
            days_of_month: 0,
            last_day_of_month: false,
            nearest_weekdays: Vec::new(),
            last_weekday_of_month: false,
            days_of_week: 0,
            last_weekdays: Vec::new(),
            nth_weekdays: Vec::new(),
            day_of_month_restricted: !is_unrestricted(day_of_month),
            day_of_week_restricted: !is_unrestricted(day_of_week),
            // DST handling depends on this: see `super::Cron`.
            fixed_time: !minute.starts_with('*') && !hour.starts_with('*'),
        };
        expr.parse_day_of_month(day_of_month)?;
        expr.parse_day_of_week(day_of_week)?;
        Ok(expr)
    }

    /// True when neither the minute nor the hour field starts with `*`: such an
    /// expression names wall-clock times, and DST gaps and repeats are resolved
    /// to one run. Other expressions follow real time.
    pub fn is_fixed_time(&self) -> bool {
        self.fixed_time
    }

    fn parse_day_of_month(&mut self, text: &str) -> Result<(), CronError> {
        let field = Field::DayOfMonth;
        for item in text.split(',') {
            let upper = item.to_ascii_uppercase();
            if upper == "L" {
                self.last_day_of_month = true;
            } else if upper == "LW" {
                self.last_weekday_of_month = true;
            } else if let Some(day) = upper.strip_suffix('W') {
                let day = parse_number(field, day)?;
                check_bounds(field, day)?;
                self.nearest_weekdays.push(day);
            } else {
                self.days_of_month |= parse_item(field, item)? as u32;
            }
        }
        Ok(())
    }

    fn parse_day_of_week(&mut self, text: &str) -> Result<(), CronError> {
        let field = Field::DayOfWeek;
        for item in text.split(',') {
            let upper = item.to_ascii_uppercase();
            if let Some(day) = upper.strip_suffix('L').filter(|d| !d.is_empty()) {
                self.last_weekdays.push(weekday(parse_value(field, day)?));
            } else if let Some((day, nth)) = upper.split_once('#') {
                let day = weekday(parse_value(field, day)?);
                let nth = parse_number(field, nth)?;
                if !(1..=5).contains(&nth) {
                    return Err(field_error(field, format!("#{nth}: the week must be 1-5")));
                }
                self.nth_weekdays.push((day, nth));
            } else {
                let bits = parse_item(field, item)?;
                // Fold 7 onto 0: both are Sunday.
                let sunday = if bits & (1 << 7) != 0 { 1 } else { 0 };
                self.days_of_week |= (bits as u8 & 0x7f) | sunday;
            }
        }
        Ok(())
    }

    /// Does the local calendar day match the day-of-month, month and
    /// day-of-week fields?
    pub fn matches_date(&self, date: NaiveDate) -> bool {
        if self.months & (1 << date.month()) == 0 {
            return false;
        }
        let dom = self.matches_day_of_month(date);
        let dow = self.matches_day_of_week(date);
        match (self.day_of_month_restricted, self.day_of_week_restricted) {
            (true, true) => dom || dow,
            _ => dom && dow,
        }
    }

    fn matches_day_of_month(&self, date: NaiveDate) -> bool {
        let day = date.day();
        let last = last_day_of_month(date);
        self.days_of_month & (1 << day) != 0
            || (self.last_day_of_month && day == last)
            || (self.last_weekday_of_month && day == nearest_weekday(date, last))
            || self
                .nearest_weekdays
                .iter()
                .any(|&n| n <= last && day == nearest_weekday(date, n))
    }

    fn matches_day_of_week(&self, date: NaiveDate) -> bool {
        let weekday = date.weekday();
        let day = date.day();
        self.days_of_week & (1 << weekday.num_days_from_sunday()) != 0
            || self
                .last_weekdays
                .iter()
                .any(|&w| w == weekday && day + 7 > last_day_of_month(date))
            || self
                .nth_weekdays
                .iter()
                .any(|&(w, n)| w == weekday && (day - 1) / 7 + 1 == n)
    }

    /// The first local date-time at or after `from` that matches, looking no
    /// further than the end of `last_year`.
    pub fn next_local(&self, from: NaiveDateTime, last_year: i32) -> Option<NaiveDateTime> {
        let mut date = from.date();
        let mut time = Some(from.time());
        while date.year() <= last_year {
            if self.months & (1 << date.month()) == 0 {
                date = first_of_next_month(date)?;
                time = None;
                continue;
            }
            if self.matches_date(date) {
                let start = time.unwrap_or(NaiveTime::MIN);
                if let Some(found) = self.next_time_of_day(start) {
                    return Some(date.and_time(found));
                }
            }
            date = date.succ_opt()?;
            time = None;
        }
        None
    }

    /// The first matching time of day at or after `start`, on any matching day.
    fn next_time_of_day(&self, start: NaiveTime) -> Option<NaiveTime> {
        let (h0, m0, s0) = (start.hour(), start.minute(), start.second());
        for hour in next_bits(self.hours as u64, h0, 23) {
            let minute_from = if hour == h0 { m0 } else { 0 };
            for minute in next_bits(self.minutes, minute_from, 59) {
                let second_from = if hour == h0 && minute == m0 { s0 } else { 0 };
                if let Some(second) = next_bits(self.seconds, second_from, 59).next() {
                    return NaiveTime::from_hms_opt(hour, minute, second);
                }
            }
        }
        None
    }
}

/// The set bits of `bits` from `from` to `to`, in order.
fn next_bits(bits: u64, from: u32, to: u32) -> impl Iterator<Item = u32> {
    (from..=to).filter(move |v| bits & (1 << v) != 0)
}

fn expand_nickname(nickname: &str) -> Result<&'static str, CronError> {
    Ok(match nickname.to_ascii_lowercase().as_str() {
        "yearly" | "annually" => "0 0 1 1 *",
        "monthly" => "0 0 1 * *",
        "weekly" => "0 0 * * 0",
        "daily" | "midnight" => "0 0 * * *",
        "hourly" => "0 * * * *",
        _ => return Err(CronError::UnknownNickname(format!("@{nickname}"))),
    })
}

fn is_unrestricted(text: &str) -> bool {
    text.starts_with('*') || text.starts_with('?')
}

fn field_error(field: Field, problem: String) -> CronError {
    CronError::Field { field, problem }
}

/// A field without extensions: a comma-separated list of items.
fn parse_plain(field: Field, text: &str) -> Result<u64, CronError> {
    text.split(',')
        .try_fold(0, |bits, item| Ok(bits | parse_item(field, item)?))
}

/// One list item: `*`, `?`, a value, a range `a-b`, each with an optional step
/// `/n`; a value with a step (`5/15`) runs to the end of the field.
fn parse_item(field: Field, item: &str) -> Result<u64, CronError> {
    let (low, high) = field.bounds();
    if item.is_empty() {
        return Err(field_error(field, "empty list item".into()));
    }
    let (range, step) = match item.split_once('/') {
        Some((range, step)) => {
            if range.is_empty() {
                return Err(field_error(
                    field,
                    format!("step `{item}` has no range (write `*/{step}` or `{low}/{step}`)"),
                ));
            }
            let step = parse_number(field, step)?;
            if step == 0 {
                return Err(field_error(field, "a step must be at least 1".into()));
            }
            (range, Some(step))
        }
        None => (item, None),
    };

    let (start, end) = if range == "*" || range == "?" {
        // Day-of-week `*` covers 0-6; 7 would only repeat Sunday.
        (low, if field == Field::DayOfWeek { 6 } else { high })
    } else if let Some((a, b)) = range.split_once('-') {
        let (a, b) = (parse_value(field, a)?, parse_value(field, b)?);
        if a > b {
            return Err(field_error(field, format!("range {range} runs backwards")));
        }
        (a, b)
    } else {
        let value = parse_value(field, range)?;
        match step {
            // `7/2` starts at the second spelling of Sunday: only Sunday.
            Some(_) if field == Field::DayOfWeek => (value, value.max(6)),
            Some(_) => (value, high),
            None => (value, value),
        }
    };

    let step = step.unwrap_or(1);
    Ok((start..=end)
        .step_by(step as usize)
        .fold(0u64, |bits, v| bits | (1 << v)))
}

/// A number or a name, checked against the field's bounds.
fn parse_value(field: Field, text: &str) -> Result<u32, CronError> {
    let upper = text.to_ascii_uppercase();
    let value = match field.names().iter().position(|name| *name == upper) {
        Some(index) => index as u32 + field.first_name_value(),
        None => parse_number(field, text)?,
    };
    check_bounds(field, value)?;
    Ok(value)
}

fn parse_number(field: Field, text: &str) -> Result<u32, CronError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(field_error(
            field,
            format!("`{text}` is not a number or a known name"),
        ));
    }
    text.parse::<u32>()
        .map_err(|_| field_error(field, format!("{text} is too large")))
}

fn check_bounds(field: Field, value: u32) -> Result<(), CronError> {
    let (low, high) = field.bounds();
    if value < low || value > high {
        return Err(field_error(
            field,
            format!("{value} is outside {low}-{high}"),
        ));
    }
    Ok(())
}

fn weekday(value: u32) -> Weekday {
    match value % 7 {
        0 => Weekday::Sun,
        1 => Weekday::Mon,
        2 => Weekday::Tue,
        3 => Weekday::Wed,
        4 => Weekday::Thu,
        5 => Weekday::Fri,
        _ => Weekday::Sat,
    }
}

fn last_day_of_month(date: NaiveDate) -> u32 {
    first_of_next_month(date)
        .and_then(|next| next.pred_opt())
        .map_or(31, |last| last.day())
}

fn first_of_next_month(date: NaiveDate) -> Option<NaiveDate> {
    let (year, month) = match date.month() {
        12 => (date.year() + 1, 1),
        m => (date.year(), m + 1),
    };
    NaiveDate::from_ymd_opt(year, month, 1)
}

/// The weekday nearest to day `target` of `date`'s month, never leaving the month.
fn nearest_weekday(date: NaiveDate, target: u32) -> u32 {
    let Some(day) = date.with_day(target) else {
        return 0;
    };
    let last = last_day_of_month(date);
    match day.weekday() {
        Weekday::Sat if target == 1 => 3,
        Weekday::Sat => target - 1,
        Weekday::Sun if target == last => target - 2,
        Weekday::Sun => target + 1,
        _ => target,
    }
}
