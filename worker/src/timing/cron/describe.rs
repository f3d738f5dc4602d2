//! Cron expressions described in plain English, for people reading a schedule.
//!
//! The sentence is built from the parsed field sets, never from the text, so
//! spellings of the same schedule (`*/15`, `0,15,30,45`, `0-59/15`) read the
//! same. Times are 24-hour. The wording rules, from the time of day outward:
//!
//! - up to four times a day are listed: `at 00:50 and 12:50`;
//! - runs at one interval all day read `every 15 minutes`,
//!   `every 2 hours, on the hour` or `every hour at :15`. The interval must
//!   divide the day evenly: `*/7` jumps from :56 to :00, so it is not one;
//! - runs at one interval over part of the day name the first and last run:
//!   `every 5 minutes from 09:00 to 17:55`, up to three such windows;
//! - anything else describes the pattern within an hour, then the hours:
//!   `every 7 minutes from :00 to :56 of every hour`,
//!   `at minutes 3, 17 and 44 past hours 1, 5 and 9`;
//! - seconds are shown (`09:00:30`) only when some second is not zero;
//! - the days follow: `every day`, `on Monday to Friday`,
//!   `on day 1 of every month`, `on 1 January`. When both day fields are
//!   restricted a day matching either fires, which reads
//!   `on day 13 of every month, and every Friday`; when only one is, a day
//!   must match both: `on days 1, 3, 5, …, 31 of every month, but only on Monday`;
//! - in any list, three or more consecutive values make a range
//!   (`Monday to Friday`) and six or more evenly spaced ones show the first
//!   three and the last (`0, 7, 14, …, 56`);
//! - a schedule whose days never occur says so.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};

use super::CronExpr;

/// Said if the weekday field allowed no day at all. The parser gives every
/// field at least one value, so this only keeps a sentence from trailing off
/// should that ever change.
const NO_WEEKDAY: &str = "on no day of the week";

const MINUTE: u32 = 60;
const HOUR: u32 = 3_600;
const DAY: u32 = 86_400;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Monday first, the way people list a week, so `0,6` reads "Saturday and Sunday".
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

impl CronExpr {
    /// The expression in plain English, for people reading a schedule.
    pub fn describe(&self) -> String {
        let time = self.describe_time();
        let days = self.describe_days(time.points);
        let mut sentence = time.text;
        if !days.is_empty() {
            // "every hour, on the hour on Monday" would run two clauses together.
            if sentence.ends_with("on the hour") {
                sentence.push(',');
            }
            sentence.push(' ');
            sentence.push_str(&days);
        }
        if self.never_fires() {
            sentence.push_str(" (no such day exists, so it never runs)");
        }
        sentence
    }

    fn describe_time(&self) -> TimePhrase {
        let seconds = set_bits(self.seconds, 0, 59);
        let minutes = set_bits(self.minutes, 0, 59);
        let hours = set_bits(u64::from(self.hours), 0, 23);
        let clock = Clock {
            seconds: seconds.iter().any(|&s| s != 0),
        };
        let times: Vec<u32> = hours
            .iter()
            .flat_map(|&h| {
                let seconds = &seconds;
                minutes
                    .iter()
                    .flat_map(move |&m| seconds.iter().map(move |&s| h * HOUR + m * MINUTE + s))
            })
            .collect();

        let (&first, &last) = match (times.first(), times.last()) {
            (Some(first), Some(last)) => (first, last),
            _ => return TimePhrase::repeating("never".into()),
        };
        if times.len() <= 4 {
            let listed: Vec<String> = times.iter().map(|&t| clock.time(t)).collect();
            return TimePhrase::points(format!("at {}", join(&listed)));
        }
        if let Some(step) = common_step(&times) {
            let whole_day =
                first < step && DAY.is_multiple_of(step) && times.len() == (DAY / step) as usize;
            if whole_day && first == 0 {
                let tail = if step.is_multiple_of(HOUR) {
                    ", on the hour"
                } else {
                    ""
                };
                return TimePhrase::repeating(format!("{}{tail}", every(step)));
            }
            if whole_day && step.is_multiple_of(HOUR) && first < HOUR {
                return TimePhrase::repeating(format!("{} at {}", every(step), clock.mark(first)));
            }
            if whole_day && step.is_multiple_of(MINUTE) && first < MINUTE {
                return TimePhrase::repeating(format!("{} at second {first}", every(step)));
            }
            // An all-day interval under an hour that starts off the hour reads
            // better within the hour: "every hour at :15 and :45".
            if !(whole_day && step < HOUR) {
                let (from, to) = (clock.time(first), clock.time(last));
                return TimePhrase::repeating(format!("{} from {from} to {to}", every(step)));
            }
        } else if let Some((step, runs)) = split_windows(&times) {
            let spans: Vec<String> = runs
                .iter()
                .map(|&(from, to)| format!("from {} to {}", clock.time(from), clock.time(to)))
                .collect();
            return TimePhrase::repeating(format!("{} {}", every(step), join(&spans)));
        }
        within_hour(&hours, &minutes, &seconds, clock)
    }

    /// The day part of the sentence, empty when it would add nothing; `points`
    /// asks for an explicit "every day" after a bare list of times.
    fn describe_days(&self, points: bool) -> String {
        let months = set_bits(u64::from(self.months), 1, 12);
        let month_names = (months.len() < 12).then(|| list(&months, month_name));
        let scope = month_names.as_deref().unwrap_or("every month");

        let every_day_of_month = (1..=31).all(|d| self.days_of_month & (1 << d) != 0);
        let every_day_of_week = self.days_of_week & 0x7f == 0x7f;
        let either = self.day_of_month_restricted && self.day_of_week_restricted;

        if (either && (every_day_of_month || every_day_of_week))
            || (every_day_of_month && every_day_of_week)
        {
            return match (&month_names, points) {
                (None, true) => "every day".into(),
                (None, false) => String::new(),
                (Some(names), true) => format!("every day in {names}"),
                (Some(names), false) => format!("in {names}"),
            };
        }

        let (plain, special) = self.weekday_parts();
        let in_months = |text: String| match &month_names {
            Some(names) => format!("{text} in {names}"),
            None => text,
        };
        let special_phrase = || format!("on {} of {scope}", join(&special));
        if either {
            let mut parts = vec![self.day_of_month_phrase(&months, scope)];
            parts.extend(plain.map(|names| in_months(format!("every {names}"))));
            if !special.is_empty() {
                parts.push(special_phrase());
            }
            parts.join(", and ")
        } else if every_day_of_month {
            let mut parts: Vec<String> = plain
                .map(|names| in_months(format!("on {names}")))
                .into_iter()
                .collect();
            if !special.is_empty() {
                parts.push(special_phrase());
            }
            if parts.is_empty() {
                parts.push(NO_WEEKDAY.to_string());
            }
            parts.join(", and ")
        } else if every_day_of_week {
            self.day_of_month_phrase(&months, scope)
        } else {
            let mut names: Vec<String> = plain.into_iter().collect();
            if !special.is_empty() {
                names.push(format!("{} of the month", join(&special)));
            }
            if names.is_empty() {
                return format!(
                    "{}, but {NO_WEEKDAY}",
                    self.day_of_month_phrase(&months, scope)
                );
            }
            format!(
                "{}, but only on {}",
                self.day_of_month_phrase(&months, scope),
                names.join(" and ")
            )
        }
    }

    fn day_of_month_phrase(&self, months: &[u32], scope: &str) -> String {
        let days = set_bits(u64::from(self.days_of_month), 1, 31);
        let plain_only = !self.last_day_of_month
            && !self.last_weekday_of_month
            && self.nearest_weekdays.is_empty();
        if let ([day], [month], true) = (days.as_slice(), months, plain_only) {
            return format!("on {day} {}", month_name(*month));
        }

        let mut items = Vec::new();
        if !days.is_empty() {
            items.push(labelled("day", "days", &days, number));
        }
        if self.last_day_of_month {
            items.push("the last day".to_string());
        }
        if self.last_weekday_of_month {
            items.push("the last weekday".to_string());
        }
        let mut nearest = self.nearest_weekdays.clone();
        nearest.sort_unstable();
        nearest.dedup();
        if !nearest.is_empty() {
            let noun = if nearest.len() == 1 {
                "weekday"
            } else {
                "weekdays"
            };
            let days = labelled("day", "days", &nearest, number);
            items.push(format!("the {noun} nearest {days}"));
        }
        if items.is_empty() {
            items.push("no day".to_string());
        }
        format!("on {} of {scope}", join(&items))
    }

    /// The plain weekdays as one list, and the `L` and `#` weekdays as
    /// separate items ("the second Monday", "the last Friday").
    fn weekday_parts(&self) -> (Option<String>, Vec<String>) {
        // Sunday moves from 0 to 7 so that the week runs Monday to Sunday.
        let mut plain: Vec<u32> = set_bits(u64::from(self.days_of_week), 0, 6)
            .into_iter()
            .map(|d| if d == 0 { 7 } else { d })
            .collect();
        plain.sort_unstable();
        let plain = (!plain.is_empty()).then(|| list(&plain, |d| WEEKDAYS[d as usize - 1].into()));

        let mut nth: Vec<(u32, u32)> = self
            .nth_weekdays
            .iter()
            .map(|&(day, n)| (n, day.num_days_from_monday()))
            .collect();
        nth.sort_unstable();
        nth.dedup();
        let mut last: Vec<u32> = self
            .last_weekdays
            .iter()
            .map(Weekday::num_days_from_monday)
            .collect();
        last.sort_unstable();
        last.dedup();

        let special = nth
            .into_iter()
            .map(|(n, day)| format!("the {} {}", ordinal(n), WEEKDAYS[day as usize]))
            .chain(
                last.into_iter()
                    .map(|day| format!("the last {}", WEEKDAYS[day as usize])),
            )
            .collect();
        (plain, special)
    }

    fn never_fires(&self) -> bool {
        // Any 28 years inside one century hold every pairing of date, weekday
        // and leap year that a calendar can produce.
        let Some(mut date) = NaiveDate::from_ymd_opt(2001, 1, 1) else {
            return false;
        };
        while date.year() <= 2028 {
            if self.matches_date(date) {
                return false;
            }
            match date.succ_opt() {
                Some(next) => date = next,
                None => return false,
            }
        }
        true
    }
}

/// The time-of-day part of a sentence.
struct TimePhrase {
    text: String,
    /// The text names points in the day rather than a repetition, so even an
    /// unrestricted day must be spelled out: "at 02:00 every day".
    points: bool,
}

impl TimePhrase {
    fn repeating(text: String) -> Self {
        TimePhrase {
            text,
            points: false,
        }
    }

    fn points(text: String) -> Self {
        TimePhrase { text, points: true }
    }
}

/// How an in-hour pattern is joined to the hours it applies to.
#[derive(Clone, Copy)]
enum Glue {
    /// A repetition that covers every hour by itself when all hours are set.
    Rhythm,
    /// A repetition over part of an hour: "… of every hour".
    Span,
    /// Ends in a list of minutes: "… past hours 1 and 5".
    Minutes { points: bool },
}

/// Used when the day's times are not one or a few evenly spaced runs: the
/// pattern inside each hour, then which hours.
fn within_hour(hours: &[u32], minutes: &[u32], seconds: &[u32], clock: Clock) -> TimePhrase {
    let offsets: Vec<u32> = minutes
        .iter()
        .flat_map(|&m| seconds.iter().map(move |&s| m * MINUTE + s))
        .collect();
    let attach = |text: String, glue: Glue| {
        let hour_list = || labelled("hour", "hours", hours, number);
        match (hours.len() == 24, glue) {
            (true, Glue::Rhythm) => TimePhrase::repeating(text),
            (true, _) => TimePhrase::repeating(format!("{text} of every hour")),
            (false, Glue::Rhythm | Glue::Span) => {
                TimePhrase::repeating(format!("{text} during {}", hour_list()))
            }
            (false, Glue::Minutes { points }) => TimePhrase {
                text: format!("{text} past {}", hour_list()),
                points,
            },
        }
    };

    if offsets.len() <= 4
        && let Some(step) = rhythm(hours, 24)
    {
        let marks: Vec<String> = offsets.iter().map(|&o| clock.mark(o)).collect();
        return TimePhrase::repeating(format!("{} at {}", every(step * HOUR), join(&marks)));
    }
    if let Some(step) = rhythm(&offsets, HOUR) {
        return attach(every(step), Glue::Rhythm);
    }
    let step = common_step(&offsets);
    if let (Some(step), Some(&first)) = (step, offsets.first())
        && step.is_multiple_of(MINUTE)
        && first < MINUTE
        && offsets.len() == (HOUR / step) as usize
    {
        return attach(format!("{} at second {first}", every(step)), Glue::Rhythm);
    }
    let second_list = || labelled("second", "seconds", seconds, number);
    if minutes.len() == 60 {
        return attach(
            format!("at {} of every minute", second_list()),
            Glue::Rhythm,
        );
    }
    if let (Some(step), Some(&first), Some(&last)) = (step, offsets.first(), offsets.last())
        && offsets.len() >= 3
    {
        let (from, to) = (clock.mark(first), clock.mark(last));
        return attach(format!("{} from {from} to {to}", every(step)), Glue::Span);
    }

    let minute_list = labelled("minute", "minutes", minutes, number);
    match seconds {
        [0] => attach(format!("at {minute_list}"), Glue::Minutes { points: true }),
        [second] => attach(
            format!("at second {second} of {minute_list}"),
            Glue::Minutes { points: true },
        ),
        _ => match rhythm(seconds, MINUTE) {
            Some(step) => attach(
                format!("{} during {minute_list}", every(step)),
                Glue::Minutes { points: false },
            ),
            None => attach(
                format!("at {} of {minute_list}", second_list()),
                Glue::Minutes { points: true },
            ),
        },
    }
}

/// Formats seconds since midnight, with seconds only when the expression
/// uses them.
#[derive(Clone, Copy)]
struct Clock {
    seconds: bool,
}

impl Clock {
    fn time(self, t: u32) -> String {
        let (h, m, s) = (t / HOUR, t / MINUTE % 60, t % MINUTE);
        if self.seconds {
            format!("{h:02}:{m:02}:{s:02}")
        } else {
            format!("{h:02}:{m:02}")
        }
    }

    /// A point within an hour: `:15`, or `:15:30`.
    fn mark(self, offset: u32) -> String {
        let (m, s) = (offset / MINUTE, offset % MINUTE);
        if self.seconds {
            format!(":{m:02}:{s:02}")
        } else {
            format!(":{m:02}")
        }
    }
}

/// "every minute", "every 15 minutes", "every 2 hours", "every 10 seconds".
fn every(seconds: u32) -> String {
    let (n, unit) = if seconds.is_multiple_of(HOUR) {
        (seconds / HOUR, "hour")
    } else if seconds.is_multiple_of(MINUTE) {
        (seconds / MINUTE, "minute")
    } else {
        (seconds, "second")
    };
    if n == 1 {
        format!("every {unit}")
    } else {
        format!("every {n} {unit}s")
    }
}

/// The values from `low` to `high` whose bit is set, in order.
fn set_bits(bits: u64, low: u32, high: u32) -> Vec<u32> {
    (low..=high).filter(|v| bits & (1 << v) != 0).collect()
}

/// The gap between neighbours when all gaps are equal and positive (at
/// least two values). Callers divide by it.
fn common_step(values: &[u32]) -> Option<u32> {
    let step = values.get(1)?.checked_sub(*values.first()?)?;
    (step > 0
        && values
            .windows(2)
            .all(|pair| pair[1].checked_sub(pair[0]) == Some(step)))
    .then_some(step)
}

/// The step when `values` start at 0 and repeat evenly through a cycle of
/// `size`, so that the gap across the wrap equals the others.
fn rhythm(values: &[u32], size: u32) -> Option<u32> {
    let step = common_step(values)?;
    (values.first() == Some(&0)
        && size.is_multiple_of(step)
        && values.len() == (size / step) as usize)
        .then_some(step)
}

/// Two or three runs at the day's most common interval, each of three or
/// more times, as (first, last) pairs with that interval.
fn split_windows(times: &[u32]) -> Option<(u32, Vec<(u32, u32)>)> {
    let mut gaps: BTreeMap<u32, usize> = BTreeMap::new();
    for pair in times.windows(2) {
        *gaps.entry(pair[1].saturating_sub(pair[0])).or_default() += 1;
    }
    // On a tie the shorter gap wins, as the finer rhythm.
    let step = gaps
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(&gap, _)| gap)?;

    let mut runs = Vec::new();
    let mut start = 0;
    for end in 1..=times.len() {
        let continues = match (times.get(end - 1), times.get(end)) {
            (Some(&prev), Some(&t)) => t.saturating_sub(prev) == step,
            _ => false,
        };
        if continues {
            continue;
        }
        if end - start < 3 || runs.len() == 3 {
            return None;
        }
        runs.push((times[start], times[end - 1]));
        start = end;
    }
    (runs.len() >= 2).then_some((step, runs))
}

/// A sorted list of values in words, with ranges and elisions as described
/// in the module documentation.
fn list(values: &[u32], name: impl Fn(u32) -> String) -> String {
    if let [a, b, c, .., z] = values
        && values.len() >= 6
        && common_step(values).is_some_and(|step| step > 1)
    {
        return format!("{}, {}, {}, …, {}", name(*a), name(*b), name(*c), name(*z));
    }
    let mut items = Vec::new();
    let mut rest = values;
    while let Some(&start) = rest.first() {
        let run = rest
            .iter()
            .zip(start..)
            .take_while(|&(&v, expected)| v == expected)
            .count();
        if run >= 3 {
            items.push(format!(
                "{} to {}",
                name(start),
                name(start + run as u32 - 1)
            ));
        } else {
            items.extend(rest[..run].iter().map(|&v| name(v)));
        }
        rest = &rest[run..];
    }
    join(&items)
}

/// "day 1", "days 1 and 15".
fn labelled(one: &str, many: &str, values: &[u32], name: impl Fn(u32) -> String) -> String {
    let noun = if values.len() == 1 { one } else { many };
    format!("{noun} {}", list(values, name))
}

/// "a", "a and b", "a, b and c".
fn join(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn number(value: u32) -> String {
    value.to_string()
}

fn month_name(month: u32) -> String {
    MONTHS[month as usize - 1].to_string()
}

fn ordinal(n: u32) -> String {
    match n {
        1 => "first".into(),
        2 => "second".into(),
        3 => "third".into(),
        4 => "fourth".into(),
        5 => "fifth".into(),
        _ => format!("{n}th"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks every case and reports all mismatches at once.
    fn check(cases: &[(&str, &str)]) {
        let wrong: Vec<String> = cases
            .iter()
            .filter_map(|&(expr, expected)| {
                let got = match CronExpr::parse(expr) {
                    Ok(parsed) => parsed.describe(),
                    Err(err) => format!("parse error: {err}"),
                };
                (got != expected).then(|| format!("{expr:?}\n  want {expected:?}\n   got {got:?}"))
            })
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn an_interval_that_divides_the_day_reads_as_every_n_units() {
        check(&[
            ("* * * * *", "every minute"),
            ("*/15 * * * *", "every 15 minutes"),
            ("*/30 * * * *", "every 30 minutes"),
            ("0 * * * *", "every hour, on the hour"),
            ("@hourly", "every hour, on the hour"),
            ("0 */2 * * *", "every 2 hours, on the hour"),
            ("0 0-23/3 * * *", "every 3 hours, on the hour"),
            ("0 0 */3 * * *", "every 3 hours, on the hour"),
            ("* * * * * *", "every second"),
            ("*/10 * * * * *", "every 10 seconds"),
        ]);
    }

    #[test]
    fn an_interval_starting_off_the_mark_names_its_offset() {
        check(&[
            ("15 * * * *", "every hour at :15"),
            ("0 30 * * * *", "every hour at :30"),
            ("15 0 * * * *", "every hour at :00:15"),
            ("30 * * * * *", "every minute at second 30"),
            ("30 */5 * * * *", "every 5 minutes at second 30"),
        ]);
    }

    #[test]
    fn spellings_of_the_same_schedule_read_the_same() {
        let groups: &[&[&str]] = &[
            &[
                "*/15 * * * *",
                "0,15,30,45 * * * *",
                "0-59/15 * * * *",
                "0 */15 * * * *",
            ],
            &["0 0 * * 0", "0 0 * * 7", "0 0 * * SUN", "@weekly"],
            &["0 9 * * 1-5", "0 9 * * MON-FRI", "0 9 ? * 1,2,3,4,5"],
            &["0 0 1 1 *", "0 0 1 JAN *", "@yearly", "@annually"],
        ];
        for group in groups {
            let texts: Vec<String> = group
                .iter()
                .map(|expr| CronExpr::parse(expr).unwrap().describe())
                .collect();
            assert!(
                texts.iter().all(|t| *t == texts[0]),
                "{group:?} read {texts:?}"
            );
        }
    }

    #[test]
    fn up_to_four_times_a_day_are_listed() {
        check(&[
            ("0 2 * * *", "at 02:00 every day"),
            ("@daily", "at 00:00 every day"),
            ("50 0,12 * * *", "at 00:50 and 12:50 every day"),
            ("0 */6 * * *", "at 00:00, 06:00, 12:00 and 18:00 every day"),
            (
                "0,30 9,17 * * *",
                "at 09:00, 09:30, 17:00 and 17:30 every day",
            ),
            ("30 0 9 * * *", "at 09:00:30 every day"),
            ("0 0 0 * * *", "at 00:00 every day"),
        ]);
    }

    #[test]
    fn an_interval_over_part_of_the_day_names_its_first_and_last_run() {
        check(&[
            (
                "*/5 9-17 * * 1-5",
                "every 5 minutes from 09:00 to 17:55 on Monday to Friday",
            ),
            ("0 9-17 * * *", "every hour from 09:00 to 17:00"),
            ("0 1-23/2 * * *", "every 2 hours from 01:00 to 23:00"),
            (
                "0 8-18/2 * * 1-5",
                "every 2 hours from 08:00 to 18:00 on Monday to Friday",
            ),
            ("0,30 9-17 * * *", "every 30 minutes from 09:00 to 17:30"),
            ("* 9 * * *", "every minute from 09:00 to 09:59"),
            (
                "*/10 * 9 * * *",
                "every 10 seconds from 09:00:00 to 09:59:50",
            ),
            ("* 0 0 * * *", "every second from 00:00:00 to 00:00:59"),
        ]);
    }

    #[test]
    fn up_to_three_windows_at_one_interval_are_named() {
        check(&[
            (
                "*/5 9-16,18 * * *",
                "every 5 minutes from 09:00 to 16:55 and from 18:00 to 18:55",
            ),
            (
                "*/20 8-10,14-16,20-22 * * *",
                "every 20 minutes from 08:00 to 10:40, from 14:00 to 16:40 \
                 and from 20:00 to 22:40",
            ),
            (
                "30 * 1,5,9 * * *",
                "every minute from 01:00:30 to 01:59:30, from 05:00:30 to 05:59:30 \
                 and from 09:00:30 to 09:59:30",
            ),
        ]);
    }

    #[test]
    fn other_patterns_are_described_within_the_hour_then_by_hours() {
        check(&[
            (
                "*/7 * * * *",
                "every 7 minutes from :00 to :56 of every hour",
            ),
            ("0-29 * * * *", "every minute from :00 to :29 of every hour"),
            (
                "5/10 * * * *",
                "every 10 minutes from :05 to :55 of every hour",
            ),
            ("15,45 * * * *", "every hour at :15 and :45"),
            ("15,45 */2 * * *", "every 2 hours at :15 and :45"),
            (
                "0,1,2,30,31 * * * *",
                "at minutes 0 to 2, 30 and 31 of every hour",
            ),
            (
                "3,17,44 1,5,9 * * *",
                "at minutes 3, 17 and 44 past hours 1, 5 and 9 every day",
            ),
            (
                "5 1,2,5,7,11 * * *",
                "at minute 5 past hours 1, 2, 5, 7 and 11 every day",
            ),
            (
                "*/29 0,11,22,23 * * *",
                "every 29 minutes from :00 to :58 during hours 0, 11, 22 and 23",
            ),
            (
                "30 * */2 * * *",
                "every minute at second 30 during hours 0, 2, 4, …, 22",
            ),
        ]);
    }

    #[test]
    fn seconds_that_vary_within_a_minute_are_described_first() {
        check(&[
            (
                "5/10 * * * * *",
                "at seconds 5, 15, 25, …, 55 of every minute",
            ),
            ("0-9 * * * * *", "at seconds 0 to 9 of every minute"),
            ("10,40 * * * * *", "at seconds 10 and 40 of every minute"),
            (
                "0-9 3,17 * * * *",
                "at seconds 0 to 9 of minutes 3 and 17 of every hour",
            ),
            (
                "30 3,17 1,5,9 * * *",
                "at second 30 of minutes 3 and 17 past hours 1, 5 and 9 every day",
            ),
            (
                "*/10 3,17,44 1,5 * * *",
                "every 10 seconds during minutes 3, 17 and 44 past hours 1 and 5",
            ),
            (
                "0-9 * 1,5 * * *",
                "at seconds 0 to 9 of every minute during hours 1 and 5",
            ),
        ]);
    }

    #[test]
    fn weekdays_are_listed_monday_first_with_ranges() {
        check(&[
            ("30 17 * * 1-5", "at 17:30 on Monday to Friday"),
            ("0 12 * * 1", "at 12:00 on Monday"),
            ("0 18 * * 2,4", "at 18:00 on Tuesday and Thursday"),
            ("0 9 * * 0,6", "at 09:00 on Saturday and Sunday"),
            ("0 0 * * 5-7", "at 00:00 on Friday to Sunday"),
            ("0 0 * * 1,3,5", "at 00:00 on Monday, Wednesday and Friday"),
            ("0 12 * * 1-5,0", "at 12:00 on Monday to Friday and Sunday"),
            ("0 0 * * 0-7", "at 00:00 every day"),
        ]);
    }

    #[test]
    fn days_of_the_month_and_months_are_named() {
        check(&[
            ("0 8 1 * *", "at 08:00 on day 1 of every month"),
            ("@monthly", "at 00:00 on day 1 of every month"),
            ("0 12 1,15 * *", "at 12:00 on days 1 and 15 of every month"),
            ("0 0 1 1 *", "at 00:00 on 1 January"),
            ("0 0 29 2 *", "at 00:00 on 29 February"),
            (
                "0 0 1 3,6,9,12 *",
                "at 00:00 on day 1 of March, June, September and December",
            ),
            (
                "0 0 1 */2 *",
                "at 00:00 on day 1 of January, March, May, …, November",
            ),
            ("0 0 1-7 1 *", "at 00:00 on days 1 to 7 of January"),
            (
                "0 0 */2 * *",
                "at 00:00 on days 1, 3, 5, …, 31 of every month",
            ),
            ("0 0 * 1-3 *", "at 00:00 every day in January to March"),
            ("*/15 * * 3 *", "every 15 minutes in March"),
            ("0 0 0 * 1 2", "at 00:00 on Tuesday in January"),
        ]);
    }

    #[test]
    fn calendar_extensions_read_as_words() {
        check(&[
            ("0 0 L * *", "at 00:00 on the last day of every month"),
            ("59 23 L * *", "at 23:59 on the last day of every month"),
            ("0 0 L 2 *", "at 00:00 on the last day of February"),
            ("0 0 LW * *", "at 00:00 on the last weekday of every month"),
            (
                "0 0 LW 1-6 *",
                "at 00:00 on the last weekday of January to June",
            ),
            (
                "0 0 15W * *",
                "at 00:00 on the weekday nearest day 15 of every month",
            ),
            (
                "0 0 1W,15W * *",
                "at 00:00 on the weekdays nearest days 1 and 15 of every month",
            ),
            (
                "0 0 1,L * *",
                "at 00:00 on day 1 and the last day of every month",
            ),
            ("0 0 * * 5L", "at 00:00 on the last Friday of every month"),
            ("0 0 * 12 5L", "at 00:00 on the last Friday of December"),
            (
                "0 0 * * 1#2",
                "at 00:00 on the second Monday of every month",
            ),
            (
                "0 0 * * 5#3,5L",
                "at 00:00 on the third Friday and the last Friday of every month",
            ),
            (
                "0 0 * * 1,5L",
                "at 00:00 on Monday, and on the last Friday of every month",
            ),
        ]);
    }

    #[test]
    fn both_day_fields_restricted_means_a_day_matching_either_fires() {
        check(&[
            (
                "0 0 13 * 5",
                "at 00:00 on day 13 of every month, and every Friday",
            ),
            (
                "0 0 1-7 * 1",
                "at 00:00 on days 1 to 7 of every month, and every Monday",
            ),
            (
                "0 0 13 3 5",
                "at 00:00 on 13 March, and every Friday in March",
            ),
            (
                "0 0 L * 0,6",
                "at 00:00 on the last day of every month, and every Saturday and Sunday",
            ),
            (
                "0 0 13 * 1#1,5L",
                "at 00:00 on day 13 of every month, and on the first Monday and the last \
                 Friday of every month",
            ),
            ("0 0 1-31 * 5", "at 00:00 every day"),
        ]);
    }

    #[test]
    fn a_day_field_starting_with_a_star_must_match_as_well() {
        check(&[
            ("0 0 ? * MON-FRI", "at 00:00 on Monday to Friday"),
            ("0 0 1-31 * *", "at 00:00 every day"),
            (
                "0 0 */2 * 1",
                "at 00:00 on days 1, 3, 5, …, 31 of every month, but only on Monday",
            ),
            (
                "0 0 1 * */2",
                "at 00:00 on day 1 of every month, but only on Tuesday, Thursday, Saturday \
                 and Sunday",
            ),
            (
                "0 0 */2 * 5L",
                "at 00:00 on days 1, 3, 5, …, 31 of every month, but only on the last \
                 Friday of the month",
            ),
        ]);
    }

    #[test]
    fn sunday_spelled_seven_with_a_step_is_sunday_alone() {
        check(&[("0 0 * * 7/2", "at 00:00 on Sunday")]);
    }

    #[test]
    fn a_day_clause_after_on_the_hour_is_set_off_by_a_comma() {
        check(&[
            ("0 * * * 1", "every hour, on the hour, on Monday"),
            ("0 */2 * 3 *", "every 2 hours, on the hour, in March"),
        ]);
    }

    #[test]
    fn a_schedule_whose_days_never_occur_says_so() {
        check(&[
            (
                "0 0 30 2 *",
                "at 00:00 on 30 February (no such day exists, so it never runs)",
            ),
            (
                "0 0 31 4,6 *",
                "at 00:00 on day 31 of April and June (no such day exists, so it never runs)",
            ),
            (
                "0 0 30W 2 *",
                "at 00:00 on the weekday nearest day 30 of February \
                 (no such day exists, so it never runs)",
            ),
        ]);
    }

    #[test]
    fn six_fields_show_seconds_only_when_some_are_not_zero() {
        check(&[
            ("0 0 9 * * *", "at 09:00 every day"),
            ("30 0 9 * * *", "at 09:00:30 every day"),
            (
                "1 2 3 4 5 6",
                "at 03:02:01 on 4 May, and every Saturday in May",
            ),
            (
                "0 0 12 1 JAN-MAR MON",
                "at 12:00 on day 1 of January to March, and every Monday in January to March",
            ),
        ]);
    }

    #[test]
    fn any_expression_gives_a_sentence_without_panicking() {
        // A fixed pseudo-random sweep over items, ranges, steps and extensions.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |bound: u32| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) % u64::from(bound)) as u32
        };
        let mut item = |low: u32, high: u32| {
            let a = low + next(high - low + 1);
            let b = a + next(high - a + 1);
            let step = 1 + next(high);
            match next(6) {
                0 => "*".to_string(),
                1 => format!("*/{step}"),
                2 => a.to_string(),
                3 => format!("{a}-{b}"),
                4 => format!("{a}-{b}/{step}"),
                _ => format!("{a}/{step}"),
            }
        };
        let mut described = 0;
        for round in 0..400 {
            let mut fields = vec![
                format!("{},{}", item(0, 59), item(0, 59)),
                item(0, 23),
                item(1, 31),
                item(1, 12),
                item(0, 7),
            ];
            match round % 8 {
                0 => fields[2] = ["L", "LW", "9W", "1,L", "?"][round / 8 % 5].to_string(),
                1 => fields[4] = ["5L", "1#3", "0#5,6L", "?", "1-5,0L"][round / 8 % 5].to_string(),
                2 => fields.insert(0, item(0, 59)),
                _ => {}
            }
            let expr = fields.join(" ");
            let text = CronExpr::parse(&expr)
                .unwrap_or_else(|err| panic!("{expr}: {err}"))
                .describe();
            assert!(
                !text.is_empty() && !text.contains("  "),
                "{expr} read {text:?}"
            );
            described += 1;
        }
        assert_eq!(described, 400);
    }
}
