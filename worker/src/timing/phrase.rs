//! Schedule phrases: plain English turned into a 5-field cron expression.
//!
//! A *phrase* is a short English description of when a schedule fires, such as
//! `every day at 2 am` or `at 6pm every tuesday and thursday`. It is a sequence
//! of clauses, each used at most once and in any order; matching ignores case,
//! extra whitespace and one final period. The clauses are:
//!
//! - a **repeat**: `every minute`, `every N minutes` (N 1-59), `every hour` or
//!   `hourly`, `every N hours` (N 1-23); an hourly repeat may take
//!   `at minute M` or `at :MM`;
//! - a **time**: `at T`, or several joined by `,` and `and`
//!   (`at 2 am and 2 pm`); `at` may be left out when T cannot be mistaken for
//!   a number (`2 am every day`). T is `2 am`, `2am`, `2:30pm`, `2:30 p.m.`,
//!   `14:30`, `0:00`, `noon`, `midnight` or `12 noon`; a bare hour (`at 9`)
//!   is on the hour, 0-23;
//! - **days of the week**: `every monday`, `on mondays`, `tuesday and
//!   thursday`, `mon, wed and fri` (full, plural or short names such as `tue`,
//!   `tues`, `thurs`), `weekdays` (Monday to Friday) and `weekends`, after
//!   `every`, after `on` or on their own;
//! - **days of the month**: `on the 1st`, `on the 1st and 15th`,
//!   `on the last day`, optionally followed by `of every month`; with a month
//!   name (`on 25 december`, `on december 25th`, `on the 1st of january`) the
//!   schedule is yearly;
//! - a **period**: `every day`/`daily`, `every week`/`weekly` (Sundays),
//!   `every month`/`monthly` (the 1st unless days of the month are given),
//!   `every year`/`yearly`/`annually` (January 1st unless a date is given).
//!
//! `each` may stand for `every`. What is left unsaid defaults to the start of
//! the period: no time means midnight, no day means every day.
//!
//! Steps are spelled differently for minutes and hours. `every N minutes` is
//! always the cron step `*/N`, which restarts every hour, so `*/7` fires at :56
//! and then at :00. `every N hours` is a list of hours from midnight when N
//! divides 24 (`every 6 hours` is `0 0,6,12,18 * * *`), which names the hours
//! it fires at, and `*/N` otherwise. A list and a step match the same
//! wall-clock times, but the timing module treats an expression with an hour
//! list as fixed-time (one run per wall-clock slot) and one with a `*/N` hour
//! as real time, so the two can differ when a slot falls in a daylight-saving
//! change.
//!
//! Lists of three or more consecutive values are written as ranges
//! (`weekdays` is `1-5`), and Sunday is 0. A phrase that one cron expression
//! cannot state is refused rather than approximated: several times with
//! different minutes, days of the week together with days of the month (cron
//! would fire on either), a yearly date without a month, or a date no month
//! has (`february 30th`). `on the 31st` is kept and, as in cron, skips the
//! shorter months.

/// The suggestions offered when nothing in a phrase was understood.
const EXAMPLES: &str = "\"every day at 2 am\", \"every 15 minutes\" or \"every monday at noon\"";

const EXPECT_REPEAT: &str = "what repeats, such as \"day\", \"monday\" or \"15 minutes\"";
const EXPECT_UNIT: &str = "\"minutes\" or \"hours\"";
const EXPECT_TIME: &str = "a time such as \"2 am\", \"14:30\" or \"noon\"";
const EXPECT_MINUTE: &str = "a minute of the hour such as 15";
const EXPECT_ON: &str = "a day such as \"monday\", \"weekdays\" or \"the 1st\"";
const EXPECT_WEEKDAY: &str = "a day of the week such as \"friday\"";
const EXPECT_DATE: &str = "a day of the month such as \"1st\" or \"last day\"";
const EXPECT_DAY: &str = "\"day\"";
const EXPECT_OF: &str = "\"every month\" or a month such as \"december\"";
const EXPECT_MONTH: &str = "\"month\"";

const MONTH_NAMES: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Why a phrase has no cron form. Quoted text is the user's own, with runs of
/// whitespace shortened to one space.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhraseError {
    #[error("the phrase is empty; try for example {EXAMPLES}")]
    Empty,
    #[error("\"{0}\" is not a schedule phrase; try for example {EXAMPLES}")]
    NotAPhrase(String),
    #[error("understood \"{understood}\" but not \"{rest}\"")]
    NotUnderstood { understood: String, rest: String },
    #[error("\"{understood}\" is unfinished: expected {expected}")]
    Unfinished {
        understood: String,
        expected: &'static str,
    },
    #[error("{0} is not a time of day")]
    TimeOfDay(String),
    #[error("minute {0} is not a minute of the hour")]
    MinuteOfHour(u32),
    #[error("every {0} minutes: the interval must be 1-59 minutes{hint}", hint = hours_hint(.0))]
    MinuteInterval(u32),
    #[error("every {0} hours: the interval must be 1-23 hours")]
    HourInterval(u32),
    #[error("the {} is not a day of the month", ordinal(.0))]
    DayOfMonth(u32),
    #[error("the {} of {month} is not a date", ordinal(.day))]
    NotADate { day: u32, month: &'static str },
    #[error(
        "\"{first}\" and \"{second}\" must share the minute: one cron expression cannot give each hour its own minute"
    )]
    MinutesDiffer { first: String, second: String },
    #[error("\"{first}\" and \"{second}\" cannot be combined")]
    Conflict { first: String, second: String },
    #[error("\"{0}\" needs a month to be yearly, for example \"every year on 25 december\"")]
    MissingMonth(String),
    #[error("\"{0}\" needs an hourly repeat, for example \"every hour at minute 15\"")]
    MinuteWithoutHours(String),
}

/// Turns a phrase such as `every day at 2 am` into its 5-field cron form.
///
/// # Errors
///
/// A [`PhraseError`] when the phrase is not understood, names a value out of
/// range, or asks for something one cron expression cannot state.
pub fn phrase_to_cron(text: &str) -> Result<String, PhraseError> {
    let text = text.trim();
    let src = text.strip_suffix('.').unwrap_or(text).trim_end();
    let tokens = tokenize(src);
    if tokens.is_empty() {
        return Err(PhraseError::Empty);
    }
    let mut parser = Parser {
        src,
        tokens: &tokens,
        pos: 0,
        parts: Parts::default(),
    };
    parser.clauses()?;
    parser.parts.cron()
}

/// A word of the phrase, lower-cased, with its place in the source so that
/// error messages can quote the user's own spelling.
struct Token {
    word: String,
    start: usize,
    end: usize,
}

/// Commas are words of their own: they separate list items even when written
/// without a following space (`mon,wed`).
fn tokenize(src: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut push = |start: usize, end: usize| {
        if let Some(word) = src.get(start..end) {
            tokens.push(Token {
                word: word.to_lowercase(),
                start,
                end,
            });
        }
    };
    let mut word_start = None;
    for (i, c) in src.char_indices() {
        if c.is_whitespace() || c == ',' {
            if let Some(start) = word_start.take() {
                push(start, i);
            }
            if c == ',' {
                push(i, i + 1);
            }
        } else if word_start.is_none() {
            word_start = Some(i);
        }
    }
    if let Some(start) = word_start {
        push(start, src.len());
    }
    tokens
}

/// Where a clause came from, for messages about clauses that clash.
#[derive(Debug)]
struct Span {
    text: String,
    at: usize,
}

#[derive(Debug)]
struct Slot<T> {
    value: T,
    span: Span,
}

#[derive(Debug, Clone, Copy)]
enum Interval {
    Minutes(u32),
    Hours(u32),
}

#[derive(Debug)]
enum TimeClause {
    At(Vec<Time>),
    MinuteOfHour(u32),
}

#[derive(Debug)]
struct Time {
    hour: u32,
    minute: u32,
    text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Period {
    Day,
    Week,
    Month,
    Year,
}

/// Days of the month: bit n stands for day n.
#[derive(Debug)]
struct Dates {
    days: u32,
    last: bool,
    month: Option<u32>,
}

#[derive(Debug, Default)]
struct Parts {
    interval: Option<Slot<Interval>>,
    time: Option<Slot<TimeClause>>,
    period: Option<Slot<Period>>,
    /// Days of the week: bit 0 is Sunday.
    weekdays: Option<Slot<u8>>,
    dates: Option<Slot<Dates>>,
}

#[derive(Debug, Clone, Copy)]
enum Meridiem {
    Am,
    Pm,
}

struct Parser<'a> {
    src: &'a str,
    tokens: &'a [Token],
    pos: usize,
    parts: Parts,
}

/// Stores a clause, refusing a second one of the same kind: `every day every
/// monday` has no single meaning.
fn put<T>(slot: &mut Option<Slot<T>>, value: T, span: Span) -> Result<(), PhraseError> {
    if let Some(old) = slot {
        return Err(conflict(&old.span, &span));
    }
    *slot = Some(Slot { value, span });
    Ok(())
}

fn conflict(a: &Span, b: &Span) -> PhraseError {
    let (first, second) = if a.at <= b.at { (a, b) } else { (b, a) };
    PhraseError::Conflict {
        first: first.text.clone(),
        second: second.text.clone(),
    }
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a str> {
        self.peek_at(0)
    }

    fn peek_at(&self, ahead: usize) -> Option<&'a str> {
        self.tokens.get(self.pos + ahead).map(|t| t.word.as_str())
    }

    fn eat(&mut self, word: &str) -> bool {
        let found = self.peek() == Some(word);
        if found {
            self.pos += 1;
        }
        found
    }

    /// The source text of tokens `from..to`.
    fn quote(&self, from: usize, to: usize) -> String {
        let last = to.checked_sub(1).filter(|_| from < to);
        let (Some(first), Some(last)) =
            (self.tokens.get(from), last.and_then(|i| self.tokens.get(i)))
        else {
            return String::new();
        };
        let text = self.src.get(first.start..last.end).unwrap_or_default();
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn span(&self, from: usize) -> Span {
        Span {
            text: self.quote(from, self.pos),
            at: from,
        }
    }

    /// The error for a phrase that stops making sense at the current token.
    fn fail(&self, expected: &'static str) -> PhraseError {
        let understood = self.quote(0, self.pos);
        if self.pos >= self.tokens.len() {
            PhraseError::Unfinished {
                understood,
                expected,
            }
        } else {
            PhraseError::NotUnderstood {
                understood,
                rest: self.quote(self.pos, self.tokens.len()),
            }
        }
    }

    fn clauses(&mut self) -> Result<(), PhraseError> {
        while let Some(word) = self.peek() {
            let start = self.pos;
            match word {
                // A comma may also sit between clauses: `every monday, at 9`.
                "," => self.pos += 1,
                "every" | "each" => {
                    self.pos += 1;
                    self.every(start)?;
                }
                "hourly" => {
                    self.pos += 1;
                    let span = self.span(start);
                    put(&mut self.parts.interval, Interval::Hours(1), span)?;
                }
                "daily" => self.period_word(Period::Day)?,
                "weekly" => self.period_word(Period::Week)?,
                "monthly" => self.period_word(Period::Month)?,
                "yearly" | "annually" => self.period_word(Period::Year)?,
                "at" => {
                    self.pos += 1;
                    self.at(start)?;
                }
                "on" => {
                    self.pos += 1;
                    self.on(start)?;
                }
                _ if day_set(word).is_some() => self.weekdays(start)?,
                _ if self.time_ahead() => self.times(start)?,
                _ if self.parts.is_empty() => {
                    return Err(PhraseError::NotAPhrase(self.quote(0, self.tokens.len())));
                }
                // The word is there, so this is "not understood", never "unfinished".
                _ => return Err(self.fail("")),
            }
        }
        if self.parts.is_empty() {
            return Err(PhraseError::NotAPhrase(self.quote(0, self.tokens.len())));
        }
        Ok(())
    }

    fn period_word(&mut self, period: Period) -> Result<(), PhraseError> {
        let start = self.pos;
        self.pos += 1;
        let span = self.span(start);
        put(&mut self.parts.period, period, span)
    }

    /// After `every`: a repeat, a period or days of the week.
    fn every(&mut self, start: usize) -> Result<(), PhraseError> {
        let Some(word) = self.peek() else {
            return Err(self.fail(EXPECT_REPEAT));
        };
        let period = match word {
            "minute" => {
                self.pos += 1;
                return self.interval(Interval::Minutes(1), start);
            }
            "hour" => {
                self.pos += 1;
                return self.interval(Interval::Hours(1), start);
            }
            "day" => Period::Day,
            "week" => Period::Week,
            "month" => Period::Month,
            "year" => Period::Year,
            _ if day_set(word).is_some() => return self.weekdays(start),
            _ => {
                let Some(count) = number(word) else {
                    return Err(self.fail(EXPECT_REPEAT));
                };
                self.pos += 1;
                let interval = match self.peek() {
                    Some("minute" | "minutes" | "min" | "mins") => Interval::Minutes(count),
                    Some("hour" | "hours" | "hr" | "hrs") => Interval::Hours(count),
                    _ => return Err(self.fail(EXPECT_UNIT)),
                };
                self.pos += 1;
                return self.interval(interval, start);
            }
        };
        self.pos += 1;
        let span = self.span(start);
        put(&mut self.parts.period, period, span)
    }

    fn interval(&mut self, interval: Interval, start: usize) -> Result<(), PhraseError> {
        match interval {
            Interval::Minutes(n) if !(1..=59).contains(&n) => {
                return Err(PhraseError::MinuteInterval(n));
            }
            Interval::Hours(n) if !(1..=23).contains(&n) => {
                return Err(PhraseError::HourInterval(n));
            }
            _ => {}
        }
        let span = self.span(start);
        put(&mut self.parts.interval, interval, span)
    }

    /// After `at`: a minute of the hour or a list of times.
    fn at(&mut self, start: usize) -> Result<(), PhraseError> {
        let minute = match self.peek() {
            Some("minute") => {
                self.pos += 1;
                let Some(minute) = self.peek().and_then(number) else {
                    return Err(self.fail(EXPECT_MINUTE));
                };
                minute
            }
            Some(word) if word.starts_with(':') => {
                let Some(minute) = word.get(1..).and_then(number) else {
                    return Err(self.fail(EXPECT_TIME));
                };
                minute
            }
            _ => return self.times(start),
        };
        self.pos += 1;
        if minute > 59 {
            return Err(PhraseError::MinuteOfHour(minute));
        }
        let span = self.span(start);
        put(&mut self.parts.time, TimeClause::MinuteOfHour(minute), span)
    }

    fn times(&mut self, start: usize) -> Result<(), PhraseError> {
        let mut times = Vec::new();
        loop {
            match self.time()? {
                Some(time) => times.push(time),
                None => return Err(self.fail(EXPECT_TIME)),
            }
            if !self.separator(starts_time) {
                break;
            }
            self.eat("at");
        }
        let span = self.span(start);
        put(&mut self.parts.time, TimeClause::At(times), span)
    }

    /// One time of day, or `None` when the current word does not start one.
    fn time(&mut self) -> Result<Option<Time>, PhraseError> {
        let Some(word) = self.peek() else {
            return Ok(None);
        };
        let start = self.pos;
        let (body, attached) = split_meridiem(word);
        let fixed = match (body, attached) {
            ("noon", None) => Some(12),
            ("midnight", None) => Some(0),
            _ => None,
        };
        if let Some(hour) = fixed {
            self.pos += 1;
            let text = self.quote(start, self.pos);
            return Ok(Some(Time {
                hour,
                minute: 0,
                text,
            }));
        }
        if !starts_with_digit(body) {
            return Ok(None);
        }
        self.pos += 1;
        let meridiem = match attached {
            Some(meridiem) => Some(meridiem),
            None => {
                let next = trailing_meridiem(body, self.peek());
                if next.is_some() {
                    self.pos += 1;
                }
                next
            }
        };
        let text = self.quote(start, self.pos);
        match clock(body, meridiem) {
            Some((hour, minute)) => Ok(Some(Time { hour, minute, text })),
            None => Err(PhraseError::TimeOfDay(text)),
        }
    }

    /// Whether a time written without `at` starts here. A bare number does
    /// not count: without `at` it is more likely a count or a day.
    fn time_ahead(&self) -> bool {
        let Some(word) = self.peek() else {
            return false;
        };
        let (body, attached) = split_meridiem(word);
        if attached.is_none() && matches!(body, "noon" | "midnight") {
            return true;
        }
        starts_with_digit(body)
            && (attached.is_some()
                || body.contains(':')
                || trailing_meridiem(body, self.peek_at(1)).is_some())
    }

    /// After `on`: days of the week or days of the month.
    fn on(&mut self, start: usize) -> Result<(), PhraseError> {
        match self.peek() {
            Some(word) if day_set(word).is_some() => self.weekdays(start),
            Some(word) if starts_date(word) || month_number(word).is_some() => self.dates(start),
            _ => Err(self.fail(EXPECT_ON)),
        }
    }

    fn weekdays(&mut self, start: usize) -> Result<(), PhraseError> {
        let mut set = 0;
        loop {
            let Some(days) = self.peek().and_then(day_set) else {
                return Err(self.fail(EXPECT_WEEKDAY));
            };
            set |= days;
            self.pos += 1;
            if !self.separator(|word| day_set(word).is_some()) {
                break;
            }
        }
        let span = self.span(start);
        put(&mut self.parts.weekdays, set, span)
    }

    fn dates(&mut self, start: usize) -> Result<(), PhraseError> {
        let mut month = self.peek().and_then(month_number);
        if month.is_some() {
            self.pos += 1;
        }
        let mut dates = Dates {
            days: 0,
            last: false,
            month: None,
        };
        loop {
            self.eat("the");
            match self.peek() {
                Some("last") => {
                    self.pos += 1;
                    if !self.eat("day") {
                        return Err(self.fail(EXPECT_DAY));
                    }
                    dates.last = true;
                }
                Some(word) => {
                    let Some(day) = day_number(word) else {
                        return Err(self.fail(EXPECT_DATE));
                    };
                    if !(1..=31).contains(&day) {
                        return Err(PhraseError::DayOfMonth(day));
                    }
                    self.pos += 1;
                    dates.days |= 1 << day;
                }
                None => return Err(self.fail(EXPECT_DATE)),
            }
            if !self.separator(starts_date) {
                break;
            }
        }
        if month.is_none() {
            month = self.month_after_days()?;
        }
        if let Some(month) = month {
            check_dates(dates.days, month)?;
        }
        dates.month = month;
        let span = self.span(start);
        put(&mut self.parts.dates, dates, span)
    }

    /// The scope after a list of days: `december`, `of december`,
    /// `of every month` or `of the month`.
    fn month_after_days(&mut self) -> Result<Option<u32>, PhraseError> {
        let after_of = self.eat("of");
        if let Some(month) = self.peek().and_then(month_number) {
            self.pos += 1;
            return Ok(Some(month));
        }
        if !after_of {
            return Ok(None);
        }
        match self.peek() {
            Some("every" | "each") => {
                let start = self.pos;
                self.pos += 1;
                if !self.eat("month") {
                    return Err(self.fail(EXPECT_MONTH));
                }
                let span = self.span(start);
                put(&mut self.parts.period, Period::Month, span)?;
            }
            Some("the") => {
                self.pos += 1;
                if !self.eat("month") {
                    return Err(self.fail(EXPECT_MONTH));
                }
            }
            _ => return Err(self.fail(EXPECT_OF)),
        }
        Ok(None)
    }

    /// Consumes a list separator: `and` and `, and` always (a list cannot end
    /// in `and`), a lone comma only when another item follows it, since a
    /// comma may also end the list before the next clause.
    fn separator(&mut self, starts_item: fn(&str) -> bool) -> bool {
        match (self.peek(), self.peek_at(1)) {
            (Some("and"), _) => self.pos += 1,
            (Some(","), Some("and")) => self.pos += 2,
            (Some(","), Some(next)) if starts_item(next) => self.pos += 1,
            _ => return false,
        }
        true
    }
}

impl Parts {
    fn is_empty(&self) -> bool {
        self.interval.is_none()
            && self.time.is_none()
            && self.period.is_none()
            && self.weekdays.is_none()
            && self.dates.is_none()
    }

    fn cron(&self) -> Result<String, PhraseError> {
        let (minute, hour) = self.clock()?;
        let (day, month, weekday) = self.calendar()?;
        Ok(format!("{minute} {hour} {day} {month} {weekday}"))
    }

    /// The minute and hour fields.
    fn clock(&self) -> Result<(String, String), PhraseError> {
        match (&self.interval, &self.time) {
            (Some(interval), Some(time)) => match (interval.value, &time.value) {
                (Interval::Hours(n), TimeClause::MinuteOfHour(m)) => {
                    Ok((m.to_string(), hour_step(n)))
                }
                _ => Err(conflict(&interval.span, &time.span)),
            },
            (Some(interval), None) => Ok(match interval.value {
                Interval::Minutes(1) => ("*".to_string(), "*".to_string()),
                Interval::Minutes(n) => (format!("*/{n}"), "*".to_string()),
                Interval::Hours(n) => ("0".to_string(), hour_step(n)),
            }),
            (None, Some(time)) => match &time.value {
                TimeClause::At(times) => shared_minute(times),
                TimeClause::MinuteOfHour(_) => {
                    Err(PhraseError::MinuteWithoutHours(time.span.text.clone()))
                }
            },
            (None, None) => Ok(("0".to_string(), "0".to_string())),
        }
    }

    /// The day-of-month, month and day-of-week fields.
    fn calendar(&self) -> Result<(String, String, String), PhraseError> {
        let any = || "*".to_string();
        if let (Some(weekdays), Some(dates)) = (&self.weekdays, &self.dates) {
            return Err(conflict(&weekdays.span, &dates.span));
        }
        let named_days = self.weekdays.as_ref().map(|w| &w.span);
        let named_days = named_days.or(self.dates.as_ref().map(|d| &d.span));
        // Next to a repeat, a bare `every month` would silently mean "on the
        // 1st only"; refusing is kinder than guessing.
        if let (Some(interval), Some(period), None) = (&self.interval, &self.period, named_days)
            && period.value != Period::Day
        {
            return Err(conflict(&interval.span, &period.span));
        }
        let weekdays = self.weekdays.as_ref().map(|w| weekday_field(w.value));
        let Some(period) = &self.period else {
            return Ok(match &self.dates {
                Some(dates) => (day_field(&dates.value), month_field(&dates.value), any()),
                None => (any(), any(), weekdays.unwrap_or_else(any)),
            });
        };
        let clash = |other: Option<&Span>| match other {
            Some(other) => Err(conflict(&period.span, other)),
            None => Ok(()),
        };
        match period.value {
            Period::Day => {
                clash(named_days)?;
                Ok((any(), any(), any()))
            }
            Period::Week => {
                clash(self.dates.as_ref().map(|d| &d.span))?;
                Ok((any(), any(), weekdays.unwrap_or_else(|| "0".to_string())))
            }
            Period::Month => {
                clash(self.weekdays.as_ref().map(|w| &w.span))?;
                match &self.dates {
                    Some(dates) if dates.value.month.is_some() => clash(Some(&dates.span)),
                    _ => Ok(()),
                }?;
                let day = self.dates.as_ref().map(|d| day_field(&d.value));
                Ok((day.unwrap_or_else(|| "1".to_string()), any(), any()))
            }
            Period::Year => {
                clash(self.weekdays.as_ref().map(|w| &w.span))?;
                match &self.dates {
                    None => Ok(("1".to_string(), "1".to_string(), any())),
                    Some(dates) if dates.value.month.is_none() => {
                        Err(PhraseError::MissingMonth(dates.span.text.clone()))
                    }
                    Some(dates) => Ok((day_field(&dates.value), month_field(&dates.value), any())),
                }
            }
        }
    }
}

/// The hour field of `every N hours`: a list from midnight when N divides the
/// day, so the hours it fires at can be read off; otherwise a plain step.
fn hour_step(n: u32) -> String {
    if n <= 1 {
        "*".to_string()
    } else if 24 % n == 0 {
        let hours: Vec<String> = (0..24).step_by(n as usize).map(|h| h.to_string()).collect();
        hours.join(",")
    } else {
        format!("*/{n}")
    }
}

/// Several times fit one expression only as one minute over several hours.
fn shared_minute(times: &[Time]) -> Result<(String, String), PhraseError> {
    let Some(first) = times.first() else {
        return Ok(("0".to_string(), "0".to_string()));
    };
    if let Some(other) = times.iter().find(|t| t.minute != first.minute) {
        return Err(PhraseError::MinutesDiffer {
            first: first.text.clone(),
            second: other.text.clone(),
        });
    }
    let hours = times.iter().fold(0u64, |bits, t| bits | 1 << t.hour);
    Ok((first.minute.to_string(), list(hours, 0..=23)))
}

fn weekday_field(days: u8) -> String {
    if days == 0x7f {
        "*".to_string()
    } else {
        list(u64::from(days), 0..=6)
    }
}

fn day_field(dates: &Dates) -> String {
    let mut field = list(u64::from(dates.days), 1..=31);
    if dates.last {
        if !field.is_empty() {
            field.push(',');
        }
        field.push('L');
    }
    field
}

fn month_field(dates: &Dates) -> String {
    dates
        .month
        .map_or_else(|| "*".to_string(), |m| m.to_string())
}

/// The values whose bits are set, ascending, with runs of three or more
/// written as ranges.
fn list(bits: u64, values: std::ops::RangeInclusive<u32>) -> String {
    let set: Vec<u32> = values.filter(|v| bits & (1 << v) != 0).collect();
    let mut items = Vec::new();
    let mut rest = set.as_slice();
    while let Some(&low) = rest.first() {
        let run = rest
            .iter()
            .zip(low..)
            .take_while(|(value, expected)| **value == *expected)
            .count();
        let high = low + run as u32 - 1;
        match run {
            1 => items.push(low.to_string()),
            2 => items.push(format!("{low},{high}")),
            _ => items.push(format!("{low}-{high}")),
        }
        rest = rest.get(run..).unwrap_or_default();
    }
    items.join(",")
}

/// Refuses a date no year has, such as February 30th. February 29th stays:
/// it comes every leap year.
fn check_dates(days: u32, month: u32) -> Result<(), PhraseError> {
    let longest = match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    match (longest + 1..=31).find(|day| days & (1 << day) != 0) {
        Some(day) => Err(PhraseError::NotADate {
            day,
            month: month_name(month),
        }),
        None => Ok(()),
    }
}

fn month_name(month: u32) -> &'static str {
    let index = month.checked_sub(1).and_then(|i| usize::try_from(i).ok());
    index
        .and_then(|i| MONTH_NAMES.get(i))
        .copied()
        .unwrap_or_default()
}

/// Days of the week a word names, as a bit set with Sunday at bit 0.
fn day_set(word: &str) -> Option<u8> {
    let day = match word {
        "weekday" | "weekdays" => return Some(0b011_1110),
        "weekend" | "weekends" => return Some(0b100_0001),
        "sunday" | "sundays" | "sun" => 0,
        "monday" | "mondays" | "mon" => 1,
        "tuesday" | "tuesdays" | "tue" | "tues" => 2,
        "wednesday" | "wednesdays" | "wed" => 3,
        "thursday" | "thursdays" | "thu" | "thur" | "thurs" => 4,
        "friday" | "fridays" | "fri" => 5,
        "saturday" | "saturdays" | "sat" => 6,
        _ => return None,
    };
    Some(1 << day)
}

fn month_number(word: &str) -> Option<u32> {
    let short = match word {
        "sept" => "sep",
        _ => word,
    };
    MONTH_NAMES
        .iter()
        .position(|name| *name == word || (short.len() == 3 && name.starts_with(short)))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// A plain count such as `15`.
fn number(word: &str) -> Option<u32> {
    if word.is_empty() || !word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    word.parse().ok()
}

/// A day of the month, `15` or `15th`. Any ordinal suffix is taken (`22th`):
/// the number alone carries the meaning.
fn day_number(word: &str) -> Option<u32> {
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    let (value, suffix) = word.split_at_checked(digits)?;
    if matches!(suffix, "" | "st" | "nd" | "rd" | "th") {
        number(value)
    } else {
        None
    }
}

fn starts_date(word: &str) -> bool {
    matches!(word, "the" | "last") || day_number(word).is_some()
}

fn starts_time(word: &str) -> bool {
    let (body, _) = split_meridiem(word);
    starts_with_digit(body) || matches!(body, "noon" | "midnight")
}

fn starts_with_digit(word: &str) -> bool {
    word.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

fn meridiem_word(word: &str) -> Option<Meridiem> {
    match word {
        "am" | "a.m." | "a.m" => Some(Meridiem::Am),
        "pm" | "p.m." | "p.m" => Some(Meridiem::Pm),
        _ => None,
    }
}

/// Splits `2:30pm` into `2:30` and its am/pm.
fn split_meridiem(word: &str) -> (&str, Option<Meridiem>) {
    for suffix in ["a.m.", "p.m.", "a.m", "p.m", "am", "pm"] {
        if let Some(body) = word.strip_suffix(suffix) {
            return (body, meridiem_word(suffix));
        }
    }
    (word, None)
}

/// The am/pm written as a separate word after a time. `12 noon` and
/// `12 midnight` read as `12 pm` and `12 am`.
fn trailing_meridiem(body: &str, next: Option<&str>) -> Option<Meridiem> {
    match (body, next) {
        ("12", Some("noon")) => Some(Meridiem::Pm),
        ("12", Some("midnight")) => Some(Meridiem::Am),
        (_, Some(word)) => meridiem_word(word),
        (_, None) => None,
    }
}

/// Hour and minute of `H`, `H:MM` with an optional am/pm; `None` when that is
/// no time of day.
fn clock(body: &str, meridiem: Option<Meridiem>) -> Option<(u32, u32)> {
    let (hour, minute) = match body.split_once(':') {
        Some((hour, minute)) => (hour, Some(minute)),
        None => (body, None),
    };
    if !(1..=2).contains(&hour.len()) || minute.is_some_and(|m| m.len() != 2) {
        return None;
    }
    let hour = number(hour)?;
    let minute = match minute {
        Some(minute) => number(minute)?,
        None => 0,
    };
    if minute > 59 {
        return None;
    }
    let hour = match (meridiem, hour) {
        (None, 0..=23) => hour,
        (Some(Meridiem::Am), 12) => 0,
        (Some(Meridiem::Pm), 12) => 12,
        (Some(Meridiem::Am), 1..=11) => hour,
        (Some(Meridiem::Pm), 1..=11) => hour + 12,
        _ => return None,
    };
    Some((hour, minute))
}

fn ordinal(n: &u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// For `every N minutes` beyond an hour, the phrase in hours that says it.
fn hours_hint(minutes: &u32) -> String {
    match *minutes {
        60 => "; say \"every hour\" instead".to_string(),
        m if m > 60 && m % 60 == 0 && m / 60 < 24 => {
            format!("; say \"every {} hours\" instead", m / 60)
        }
        m if m > 60 => {
            "; count longer intervals in hours, for example \"every 2 hours\"".to_string()
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cron(text: &str) -> String {
        match phrase_to_cron(text) {
            Ok(cron) => cron,
            Err(error) => panic!("{text:?} was refused: {error}"),
        }
    }

    fn error(text: &str) -> String {
        match phrase_to_cron(text) {
            Ok(cron) => panic!("{text:?} was accepted as {cron:?}"),
            Err(error) => error.to_string(),
        }
    }

    // Times of day.

    #[test]
    fn every_day_at_two_am_is_two_oclock() {
        assert_eq!(cron("every day at 2 am"), "0 2 * * *");
        assert_eq!(cron("every day at 2am"), "0 2 * * *");
    }

    #[test]
    fn minutes_and_pm_combine_with_or_without_a_space() {
        assert_eq!(cron("every day at 2:30pm"), "30 14 * * *");
        assert_eq!(cron("every day at 2:30 pm"), "30 14 * * *");
        assert_eq!(cron("every day at 2:30PM"), "30 14 * * *");
    }

    #[test]
    fn dotted_am_and_pm_are_understood_even_at_the_end() {
        assert_eq!(cron("every day at 2:30 p.m."), "30 14 * * *");
        assert_eq!(cron("every day at 2:30 p.m"), "30 14 * * *");
        assert_eq!(cron("at 7 a.m. on weekdays"), "0 7 * * 1-5");
        assert_eq!(cron("every day at 7a.m."), "0 7 * * *");
    }

    #[test]
    fn a_twenty_four_hour_time_needs_no_am_or_pm() {
        assert_eq!(cron("every day at 14:30"), "30 14 * * *");
        assert_eq!(cron("every day at 0:00"), "0 0 * * *");
        assert_eq!(cron("every day at 00:05"), "5 0 * * *");
        assert_eq!(cron("every day at 23:59"), "59 23 * * *");
    }

    #[test]
    fn noon_and_midnight_are_twelve_and_zero() {
        assert_eq!(cron("every day at noon"), "0 12 * * *");
        assert_eq!(cron("every day at midnight"), "0 0 * * *");
        assert_eq!(cron("every day at 12 noon"), "0 12 * * *");
        assert_eq!(cron("every day at 12 midnight"), "0 0 * * *");
    }

    #[test]
    fn twelve_am_is_midnight_and_twelve_pm_is_noon() {
        assert_eq!(cron("every day at 12am"), "0 0 * * *");
        assert_eq!(cron("every day at 12pm"), "0 12 * * *");
        assert_eq!(cron("every day at 12:30 am"), "30 0 * * *");
        assert_eq!(cron("every day at 12:30 pm"), "30 12 * * *");
    }

    #[test]
    fn a_bare_hour_is_on_the_hour_in_twenty_four_hour_time() {
        assert_eq!(cron("every day at 9"), "0 9 * * *");
        assert_eq!(cron("every day at 21"), "0 21 * * *");
        assert_eq!(cron("every day at 0"), "0 0 * * *");
    }

    #[test]
    fn case_extra_whitespace_and_a_final_period_are_ignored() {
        assert_eq!(cron("  Every   Monday\tAT  Noon. "), "0 12 * * 1");
        assert_eq!(cron("EVERY DAY AT 2 AM"), "0 2 * * *");
    }

    // Minutes.

    #[test]
    fn every_minute_is_all_stars() {
        assert_eq!(cron("every minute"), "* * * * *");
        assert_eq!(cron("each minute"), "* * * * *");
    }

    #[test]
    fn every_fifteen_minutes_is_a_step_aligned_to_the_hour() {
        assert_eq!(cron("every 15 minutes"), "*/15 * * * *");
    }

    #[test]
    fn a_minute_step_that_does_not_divide_the_hour_stays_a_plain_step() {
        assert_eq!(cron("every 7 minutes"), "*/7 * * * *");
        assert_eq!(cron("every 59 mins"), "*/59 * * * *");
    }

    #[test]
    fn every_one_minute_is_every_minute() {
        assert_eq!(cron("every 1 minute"), "* * * * *");
        assert_eq!(cron("every 1 minutes"), "* * * * *");
    }

    #[test]
    fn a_minute_step_can_be_limited_to_some_days() {
        assert_eq!(cron("every 15 minutes on weekdays"), "*/15 * * * 1-5");
        assert_eq!(cron("every 10 minutes every day"), "*/10 * * * *");
    }

    // Hours.

    #[test]
    fn every_hour_and_hourly_are_on_the_hour() {
        assert_eq!(cron("every hour"), "0 * * * *");
        assert_eq!(cron("hourly"), "0 * * * *");
        assert_eq!(cron("every 1 hour"), "0 * * * *");
    }

    #[test]
    fn every_hour_can_pick_its_minute() {
        assert_eq!(cron("every hour at minute 15"), "15 * * * *");
        assert_eq!(cron("every hour at :15"), "15 * * * *");
        assert_eq!(cron("hourly at :05"), "5 * * * *");
        assert_eq!(cron("at minute 45 every hour"), "45 * * * *");
    }

    #[test]
    fn an_hour_step_that_divides_the_day_is_a_list_from_midnight() {
        assert_eq!(cron("every 6 hours"), "0 0,6,12,18 * * *");
        assert_eq!(cron("every 12 hours"), "0 0,12 * * *");
        assert_eq!(
            cron("every 2 hours"),
            "0 0,2,4,6,8,10,12,14,16,18,20,22 * * *"
        );
        assert_eq!(cron("every 8 hrs"), "0 0,8,16 * * *");
    }

    #[test]
    fn every_twelve_hours_at_minute_fifty_keeps_its_recorded_form() {
        assert_eq!(cron("every 12 hours at minute 50"), "50 0,12 * * *");
    }

    #[test]
    fn an_hour_step_that_does_not_divide_the_day_is_a_plain_step() {
        assert_eq!(cron("every 5 hours"), "0 */5 * * *");
        assert_eq!(cron("every 5 hours at :30"), "30 */5 * * *");
    }

    #[test]
    fn an_hourly_repeat_can_be_limited_to_some_days() {
        assert_eq!(cron("every hour on mondays"), "0 * * * 1");
        assert_eq!(cron("every hour on the 1st of every month"), "0 * 1 * *");
    }

    // Days.

    #[test]
    fn every_day_alone_is_midnight() {
        assert_eq!(cron("every day"), "0 0 * * *");
        assert_eq!(cron("daily"), "0 0 * * *");
        assert_eq!(cron("each day"), "0 0 * * *");
    }

    #[test]
    fn daily_takes_a_time() {
        assert_eq!(cron("daily at 6:45"), "45 6 * * *");
    }

    #[test]
    fn times_sharing_a_minute_become_an_hour_list() {
        assert_eq!(cron("every day at 2 am and 2 pm"), "0 2,14 * * *");
        assert_eq!(cron("every day at 2:15 and 14:15"), "15 2,14 * * *");
        assert_eq!(cron("every day at 9, 13 and 17"), "0 9,13,17 * * *");
        assert_eq!(cron("every day at noon and at midnight"), "0 0,12 * * *");
    }

    #[test]
    fn times_are_sorted_and_repeated_ones_dropped() {
        assert_eq!(cron("every day at 6pm, 2pm and 18:00"), "0 14,18 * * *");
    }

    #[test]
    fn three_consecutive_hours_become_a_range() {
        assert_eq!(cron("every day at 9, 10 and 11"), "0 9-11 * * *");
    }

    #[test]
    fn at_a_time_alone_means_every_day() {
        assert_eq!(cron("at midnight"), "0 0 * * *");
        assert_eq!(cron("at 17:30"), "30 17 * * *");
    }

    #[test]
    fn the_time_may_come_before_the_days() {
        assert_eq!(cron("at 2 am every day"), "0 2 * * *");
        assert_eq!(cron("at 6pm every tuesday and thursday"), "0 18 * * 2,4");
        assert_eq!(cron("at 8am on the 1st of every month"), "0 8 1 * *");
    }

    #[test]
    fn an_unmistakable_time_needs_no_at() {
        assert_eq!(cron("2 am every day"), "0 2 * * *");
        assert_eq!(cron("noon on weekdays"), "0 12 * * 1-5");
        assert_eq!(cron("every day 14:30"), "30 14 * * *");
    }

    // Days of the week.

    #[test]
    fn every_monday_at_noon_is_day_one() {
        assert_eq!(cron("every monday at noon"), "0 12 * * 1");
    }

    #[test]
    fn day_names_may_be_short_or_plural() {
        assert_eq!(cron("every mon at 9"), "0 9 * * 1");
        assert_eq!(cron("every tues at 9"), "0 9 * * 2");
        assert_eq!(cron("every tue at 9"), "0 9 * * 2");
        assert_eq!(cron("every wed at 9"), "0 9 * * 3");
        assert_eq!(cron("every thurs at 9"), "0 9 * * 4");
        assert_eq!(cron("every thu at 9"), "0 9 * * 4");
        assert_eq!(cron("every fri at 9"), "0 9 * * 5");
        assert_eq!(cron("every sat at 9"), "0 9 * * 6");
        assert_eq!(cron("every sun at 9"), "0 9 * * 0");
        assert_eq!(cron("mondays at 9"), "0 9 * * 1");
        assert_eq!(cron("on fridays at 5pm"), "0 17 * * 5");
    }

    #[test]
    fn two_days_joined_by_and_are_a_list() {
        assert_eq!(cron("every tuesday and thursday at 6pm"), "0 18 * * 2,4");
    }

    #[test]
    fn days_separated_by_commas_are_a_list() {
        assert_eq!(
            cron("every monday, wednesday and friday at 9"),
            "0 9 * * 1,3,5"
        );
        assert_eq!(
            cron("every monday, wednesday, and friday at 9"),
            "0 9 * * 1,3,5"
        );
        assert_eq!(cron("every mon,wed,fri at 9"), "0 9 * * 1,3,5");
    }

    #[test]
    fn weekdays_are_monday_to_friday() {
        assert_eq!(cron("every weekday at 8:30"), "30 8 * * 1-5");
        assert_eq!(cron("on weekdays at 8:30"), "30 8 * * 1-5");
        assert_eq!(cron("at 8:30 on weekdays"), "30 8 * * 1-5");
        assert_eq!(cron("weekdays at 8:30"), "30 8 * * 1-5");
    }

    #[test]
    fn weekends_are_sunday_and_saturday_in_that_order() {
        assert_eq!(cron("every weekend at 9:00"), "0 9 * * 0,6");
        assert_eq!(cron("at 9:00 on weekends"), "0 9 * * 0,6");
        assert_eq!(cron("every saturday and sunday at 9:00"), "0 9 * * 0,6");
    }

    #[test]
    fn every_day_of_the_week_named_is_every_day() {
        assert_eq!(cron("on weekdays and weekends at 9"), "0 9 * * *");
        assert_eq!(cron("every weekday and saturday at 9"), "0 9 * * 1-6");
    }

    #[test]
    fn a_day_of_the_week_alone_is_midnight() {
        assert_eq!(cron("every monday"), "0 0 * * 1");
        assert_eq!(cron("every weekday"), "0 0 * * 1-5");
    }

    #[test]
    fn a_comma_may_separate_clauses() {
        assert_eq!(cron("every monday, at 9"), "0 9 * * 1");
        assert_eq!(cron("at 9, every monday"), "0 9 * * 1");
    }

    // Weeks, months and years.

    #[test]
    fn weekly_is_sunday_midnight() {
        assert_eq!(cron("weekly"), "0 0 * * 0");
        assert_eq!(cron("every week"), "0 0 * * 0");
        assert_eq!(cron("weekly at 6am"), "0 6 * * 0");
    }

    #[test]
    fn weekly_may_name_its_day() {
        assert_eq!(cron("weekly on mondays at 9"), "0 9 * * 1");
    }

    #[test]
    fn monthly_is_the_first_at_midnight() {
        assert_eq!(cron("monthly"), "0 0 1 * *");
        assert_eq!(cron("every month"), "0 0 1 * *");
    }

    #[test]
    fn every_month_on_a_day_at_a_time() {
        assert_eq!(cron("every month on the 1st at 8am"), "0 8 1 * *");
        assert_eq!(cron("on the 15th of every month at 14:00"), "0 14 15 * *");
        assert_eq!(cron("monthly on the 3rd"), "0 0 3 * *");
        assert_eq!(cron("on the 15th of each month"), "0 0 15 * *");
        assert_eq!(cron("on the 15th"), "0 0 15 * *");
    }

    #[test]
    fn several_days_of_the_month_are_a_list() {
        assert_eq!(
            cron("every month on the 1st and 15th at noon"),
            "0 12 1,15 * *"
        );
        assert_eq!(
            cron("every month on the 1st and the 15th at noon"),
            "0 12 1,15 * *"
        );
        assert_eq!(cron("monthly on the 1st, 2nd and 3rd"), "0 0 1-3 * *");
    }

    #[test]
    fn ordinals_and_plain_numbers_name_days_of_the_month() {
        assert_eq!(cron("monthly on the 2nd"), "0 0 2 * *");
        assert_eq!(cron("monthly on the 4th"), "0 0 4 * *");
        assert_eq!(cron("monthly on the 21st"), "0 0 21 * *");
        assert_eq!(cron("monthly on the 22nd"), "0 0 22 * *");
        assert_eq!(cron("monthly on the 23rd"), "0 0 23 * *");
        assert_eq!(cron("monthly on the 31st"), "0 0 31 * *");
        assert_eq!(cron("monthly on 15"), "0 0 15 * *");
    }

    #[test]
    fn the_last_day_of_the_month_is_l() {
        assert_eq!(cron("every month on the last day at 23:00"), "0 23 L * *");
        assert_eq!(cron("on the last day of the month"), "0 0 L * *");
        assert_eq!(cron("monthly on the 15th and the last day"), "0 0 15,L * *");
    }

    #[test]
    fn yearly_is_new_year_at_midnight() {
        assert_eq!(cron("yearly"), "0 0 1 1 *");
        assert_eq!(cron("annually"), "0 0 1 1 *");
        assert_eq!(cron("every year"), "0 0 1 1 *");
    }

    #[test]
    fn every_year_on_a_date() {
        assert_eq!(cron("every year on january 1st at 9am"), "0 9 1 1 *");
        assert_eq!(cron("every year on 25 december"), "0 0 25 12 *");
        assert_eq!(
            cron("every year on the 25th of dec at 18:30"),
            "30 18 25 12 *"
        );
        assert_eq!(cron("annually on sept 1"), "0 0 1 9 *");
        assert_eq!(cron("every year on the last day of february"), "0 0 L 2 *");
    }

    #[test]
    fn a_date_with_a_month_is_yearly_by_itself() {
        assert_eq!(cron("on december 25th at 7am"), "0 7 25 12 *");
        assert_eq!(cron("on the 1st and 15th of july"), "0 0 1,15 7 *");
    }

    #[test]
    fn february_the_twenty_ninth_is_a_date() {
        assert_eq!(cron("every year on feb 29"), "0 0 29 2 *");
    }

    // Errors.

    #[test]
    fn an_empty_phrase_is_refused() {
        let expected = "the phrase is empty; try for example \"every day at 2 am\", \
                        \"every 15 minutes\" or \"every monday at noon\"";
        assert_eq!(error(""), expected);
        assert_eq!(error("  . "), expected);
    }

    #[test]
    fn a_phrase_with_nothing_understood_gets_examples() {
        assert_eq!(
            error("fortnightly"),
            "\"fortnightly\" is not a schedule phrase; try for example \"every day at 2 am\", \
             \"every 15 minutes\" or \"every monday at noon\""
        );
        assert_eq!(
            error(", 9"),
            "\", 9\" is not a schedule phrase; try for example \"every day at 2 am\", \
             \"every 15 minutes\" or \"every monday at noon\""
        );
    }

    #[test]
    fn an_unknown_word_is_quoted_with_what_came_before() {
        assert_eq!(
            error("every monday at noonish"),
            "understood \"every monday at\" but not \"noonish\""
        );
        assert_eq!(
            error("every fortnight"),
            "understood \"every\" but not \"fortnight\""
        );
        assert_eq!(
            error("every day at 2 in the morning"),
            "understood \"every day at 2\" but not \"in the morning\""
        );
        assert_eq!(
            error("every 2 days"),
            "understood \"every 2\" but not \"days\""
        );
        assert_eq!(
            error("Every  Monday and  At 9"),
            "understood \"Every Monday and\" but not \"At 9\""
        );
    }

    #[test]
    fn an_unfinished_phrase_says_what_should_follow() {
        assert_eq!(
            error("every"),
            "\"every\" is unfinished: expected what repeats, such as \"day\", \"monday\" or \
             \"15 minutes\""
        );
        assert_eq!(
            error("every monday at"),
            "\"every monday at\" is unfinished: expected a time such as \"2 am\", \"14:30\" or \
             \"noon\""
        );
        assert_eq!(
            error("every 5"),
            "\"every 5\" is unfinished: expected \"minutes\" or \"hours\""
        );
        assert_eq!(
            error("every tuesday and"),
            "\"every tuesday and\" is unfinished: expected a day of the week such as \"friday\""
        );
        assert_eq!(
            error("on the last"),
            "\"on the last\" is unfinished: expected \"day\""
        );
        assert_eq!(
            error("on the 1st of every"),
            "\"on the 1st of every\" is unfinished: expected \"month\""
        );
        assert_eq!(
            error("on"),
            "\"on\" is unfinished: expected a day such as \"monday\", \"weekdays\" or \"the 1st\""
        );
        assert_eq!(
            error("every hour at minute"),
            "\"every hour at minute\" is unfinished: expected a minute of the hour such as 15"
        );
    }

    #[test]
    fn an_hour_past_twenty_three_is_not_a_time() {
        assert_eq!(error("every day at 25:00"), "25:00 is not a time of day");
        assert_eq!(error("every day at 24"), "24 is not a time of day");
    }

    #[test]
    fn an_hour_past_twelve_with_am_or_pm_is_not_a_time() {
        assert_eq!(error("every day at 13 pm"), "13 pm is not a time of day");
        assert_eq!(error("every day at 0am"), "0am is not a time of day");
    }

    #[test]
    fn a_malformed_minute_is_not_a_time() {
        assert_eq!(error("every day at 14:60"), "14:60 is not a time of day");
        assert_eq!(error("every day at 2:3"), "2:3 is not a time of day");
        assert_eq!(error("every day at 2ish"), "2ish is not a time of day");
    }

    #[test]
    fn a_minute_interval_must_be_under_an_hour() {
        assert_eq!(
            error("every 0 minutes"),
            "every 0 minutes: the interval must be 1-59 minutes"
        );
        assert_eq!(
            error("every 60 minutes"),
            "every 60 minutes: the interval must be 1-59 minutes; say \"every hour\" instead"
        );
        assert_eq!(
            error("every 120 minutes"),
            "every 120 minutes: the interval must be 1-59 minutes; say \"every 2 hours\" instead"
        );
        assert_eq!(
            error("every 90 minutes"),
            "every 90 minutes: the interval must be 1-59 minutes; count longer intervals in \
             hours, for example \"every 2 hours\""
        );
    }

    #[test]
    fn an_hour_interval_must_be_under_a_day() {
        assert_eq!(
            error("every 0 hours"),
            "every 0 hours: the interval must be 1-23 hours"
        );
        assert_eq!(
            error("every 24 hours"),
            "every 24 hours: the interval must be 1-23 hours"
        );
    }

    #[test]
    fn a_minute_of_the_hour_must_be_under_sixty() {
        assert_eq!(
            error("every hour at minute 60"),
            "minute 60 is not a minute of the hour"
        );
        assert_eq!(
            error("every hour at :75"),
            "minute 75 is not a minute of the hour"
        );
    }

    #[test]
    fn a_minute_of_the_hour_needs_an_hourly_repeat() {
        assert_eq!(
            error("every day at minute 15"),
            "\"at minute 15\" needs an hourly repeat, for example \"every hour at minute 15\""
        );
        assert_eq!(
            error("at :15"),
            "\"at :15\" needs an hourly repeat, for example \"every hour at minute 15\""
        );
    }

    #[test]
    fn a_day_of_the_month_must_exist() {
        assert_eq!(
            error("every month on the 32nd"),
            "the 32nd is not a day of the month"
        );
        assert_eq!(error("on the 0th"), "the 0th is not a day of the month");
        assert_eq!(
            error("monthly on 111"),
            "the 111th is not a day of the month"
        );
    }

    #[test]
    fn a_date_must_exist_in_its_month() {
        assert_eq!(
            error("every year on february 30th"),
            "the 30th of february is not a date"
        );
        assert_eq!(
            error("on the 31st of april"),
            "the 31st of april is not a date"
        );
    }

    #[test]
    fn times_with_different_minutes_are_refused() {
        assert_eq!(
            error("every day at 2 am and 2:30 pm"),
            "\"2 am\" and \"2:30 pm\" must share the minute: one cron expression cannot give \
             each hour its own minute"
        );
    }

    #[test]
    fn a_clause_given_twice_is_refused() {
        assert_eq!(
            error("every day every monday"),
            "\"every day\" and \"every monday\" cannot be combined"
        );
        assert_eq!(
            error("at 9 at 10"),
            "\"at 9\" and \"at 10\" cannot be combined"
        );
    }

    #[test]
    fn days_of_the_week_and_of_the_month_are_refused_together() {
        assert_eq!(
            error("every monday on the 1st"),
            "\"every monday\" and \"on the 1st\" cannot be combined"
        );
        assert_eq!(
            error("every month on mondays"),
            "\"every month\" and \"on mondays\" cannot be combined"
        );
    }

    #[test]
    fn a_repeat_with_a_time_of_day_is_refused() {
        assert_eq!(
            error("every 15 minutes at 2pm"),
            "\"every 15 minutes\" and \"at 2pm\" cannot be combined"
        );
        assert_eq!(
            error("at 9 every hour"),
            "\"at 9\" and \"every hour\" cannot be combined"
        );
        assert_eq!(
            error("every 10 minutes at :05"),
            "\"every 10 minutes\" and \"at :05\" cannot be combined"
        );
    }

    #[test]
    fn a_repeat_with_a_bare_long_period_is_refused() {
        assert_eq!(
            error("every hour every month"),
            "\"every hour\" and \"every month\" cannot be combined"
        );
    }

    #[test]
    fn contradicting_periods_and_days_are_refused() {
        assert_eq!(
            error("every day on weekdays"),
            "\"every day\" and \"on weekdays\" cannot be combined"
        );
        assert_eq!(
            error("weekly on the 1st"),
            "\"weekly\" and \"on the 1st\" cannot be combined"
        );
        assert_eq!(
            error("monthly on 25 december"),
            "\"monthly\" and \"on 25 december\" cannot be combined"
        );
        assert_eq!(
            error("every year on mondays"),
            "\"every year\" and \"on mondays\" cannot be combined"
        );
    }

    #[test]
    fn a_yearly_date_needs_a_month() {
        assert_eq!(
            error("every year on the 25th"),
            "\"on the 25th\" needs a month to be yearly, for example \"every year on 25 december\""
        );
    }

    #[test]
    fn odd_input_is_answered_without_panicking() {
        let odd = [
            "every 99999999999999999999 minutes",
            "at 99999999999999999999",
            "on the 99999999999999999999th",
            "every hour at :",
            "every hour at :99999999999999999999",
            "at 12:",
            "at :",
            "ünïcødé at nöön",
            "every mönday",
            ",,,",
            "and",
            "at 2 am and",
            "on the 1st,",
            "every monday,",
            "p.m.",
            "at 2 p.m..",
        ];
        for text in odd {
            let _ = phrase_to_cron(text);
        }
    }
}
