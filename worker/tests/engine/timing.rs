//! Fire times: every recorded case, then the rules each case stands for.

use chrono_tz::Tz;
use serde::Deserialize;
use worker::timing::{Cron, CronExpr, parse_timezone};

use crate::helpers::{at, rfc3339};

#[derive(Deserialize)]
struct Case {
    id: String,
    expr: String,
    tz: String,
    after: String,
    #[serde(default)]
    expected_next: Vec<String>,
    #[serde(default)]
    expect_error: bool,
}

fn next(expr: &str, tz: &str, after: &str, count: usize) -> Vec<String> {
    let cron = Cron::new(expr, parse_timezone(tz).unwrap(), at(after)).unwrap();
    cron.iter_after(at(after))
        .take(count)
        .map(rfc3339)
        .collect()
}

#[test]
fn every_recorded_cron_case_gives_the_expected_fire_times() {
    let cases: Vec<Case> =
        serde_json::from_str(include_str!("data/cron_cases.json")).expect("cases parse");
    assert_eq!(cases.len(), 30);
    let mut failures = Vec::new();
    for case in &cases {
        let tz = parse_timezone(&case.tz).unwrap();
        match Cron::new(&case.expr, tz, at(&case.after)) {
            Err(error) if case.expect_error => assert!(!error.to_string().is_empty()),
            Err(error) => failures.push(format!("{}: refused: {error}", case.id)),
            Ok(_) if case.expect_error => failures.push(format!("{}: accepted", case.id)),
            Ok(cron) => {
                let got: Vec<String> = cron
                    .iter_after(at(&case.after))
                    .take(case.expected_next.len())
                    .map(rfc3339)
                    .collect();
                if got != case.expected_next {
                    failures.push(format!(
                        "{}: got {got:?}, want {:?}",
                        case.id, case.expected_next
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn a_six_field_expression_fires_every_ten_seconds() {
    assert_eq!(
        next("*/10 * * * * *", "UTC", "2026-01-01T00:00:05Z", 4),
        [
            "2026-01-01T00:00:10Z",
            "2026-01-01T00:00:20Z",
            "2026-01-01T00:00:30Z",
            "2026-01-01T00:00:40Z"
        ]
    );
}

#[test]
fn fixed_slots_inside_one_gap_fire_once_at_its_end() {
    // Berlin springs forward at 2026-03-29 01:00Z (02:00 CET -> 03:00 CEST).
    assert_eq!(
        next("0,30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 3),
        [
            "2026-03-29T01:00:00Z",
            "2026-03-30T00:00:00Z",
            "2026-03-30T00:30:00Z"
        ]
    );
}

#[test]
fn wildcard_minutes_walk_a_repeated_hour_twice() {
    assert_eq!(
        next(
            "*/30 1 * * *",
            "America/New_York",
            "2026-11-01T04:50:00Z",
            4
        ),
        [
            "2026-11-01T05:00:00Z",
            "2026-11-01T05:30:00Z",
            "2026-11-01T06:00:00Z",
            "2026-11-01T06:30:00Z"
        ]
    );
}

#[test]
fn wildcard_slots_inside_a_gap_do_not_exist() {
    assert_eq!(
        next("*/30 * * * *", "Europe/Berlin", "2026-03-29T00:15:00Z", 3),
        [
            "2026-03-29T00:30:00Z",
            "2026-03-29T01:00:00Z",
            "2026-03-29T01:30:00Z"
        ]
    );
}

#[test]
fn names_nicknames_and_sunday_as_seven_are_understood() {
    assert_eq!(
        next("0 8 * JAN,feb SUN", "UTC", "2026-01-01T00:00:00Z", 2),
        ["2026-01-04T08:00:00Z", "2026-01-11T08:00:00Z"]
    );
    assert_eq!(
        next("0 8 * * 7", "UTC", "2026-01-01T00:00:00Z", 1),
        ["2026-01-04T08:00:00Z"]
    );
    assert_eq!(
        next("@monthly", "UTC", "2026-01-15T00:00:00Z", 1),
        ["2026-02-01T00:00:00Z"]
    );
    assert_eq!(
        next("0 12 * * 1#2", "UTC", "2026-01-01T00:00:00Z", 1),
        ["2026-01-12T12:00:00Z"]
    );
    assert_eq!(
        next("0 12 15W * *", "UTC", "2026-02-01T00:00:00Z", 1),
        ["2026-02-16T12:00:00Z"]
    );
}

#[test]
fn errors_name_the_field_and_the_problem() {
    let error = |e: &str| CronExpr::parse(e).unwrap_err().to_string();
    assert_eq!(error("60 * * * *"), "minute: 60 is outside 0-59");
    assert_eq!(error("0 24 * * *"), "hour: 24 is outside 0-23");
    assert_eq!(
        error("/5 * * * *"),
        "minute: step `/5` has no range (write `*/5` or `0/5`)"
    );
    assert_eq!(
        error("* * *"),
        "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), found 3"
    );
    assert_eq!(
        error("0 0 * FOO *"),
        "month: `FOO` is not a number or a known name"
    );
    assert_eq!(
        error("0 0 * * 5-2"),
        "day-of-week: range 5-2 runs backwards"
    );
    assert_eq!(error("*/0 * * * *"), "minute: a step must be at least 1");
    assert_eq!(
        Cron::new("0 0 31 2 *", Tz::UTC, at("2024-12-02T00:00:00Z"))
            .unwrap_err()
            .to_string(),
        "`0 0 31 2 *` never fires: it has no fire time in the next 100 years"
    );
    assert_eq!(
        parse_timezone("Mars/Olympus").unwrap_err().to_string(),
        "`Mars/Olympus` is not an IANA timezone name (for example `Europe/Berlin` or `UTC`)"
    );
}
