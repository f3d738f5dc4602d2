//! Fire times: every recorded case, then the rules each case stands for,
//! phrases, and `enschedule next`'s view of them.

use chrono_tz::Tz;
use serde::Deserialize;
use worker::timing::{Cron, CronExpr, parse_timezone, preview};

use crate::helpers::{at, rfc3339};

#[derive(Deserialize)]
struct Case {
    id: String,
    expr: String,
    /// Set for natural-language cases; `expr` is then its cron form.
    #[serde(default)]
    phrase: Option<String>,
    tz: String,
    after: String,
    #[serde(default)]
    expected_next: Vec<String>,
    #[serde(default)]
    expect_error: bool,
}

/// The next fire times of a cron expression or phrase, as schedules see them.
fn next(text: &str, tz: &str, after: &str, count: usize) -> Vec<String> {
    preview(text, parse_timezone(tz).unwrap(), at(after), count)
        .unwrap()
        .fire_times
        .into_iter()
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
        // A phrase goes through the same reading as a schedule's timing, and
        // must also translate to the recorded cron form.
        let text = case.phrase.as_deref().unwrap_or(&case.expr);
        let count = case.expected_next.len();
        match preview(text, tz, at(&case.after), count) {
            Err(error) if case.expect_error => assert!(!error.to_string().is_empty()),
            Err(error) => failures.push(format!("{}: refused: {error}", case.id)),
            Ok(_) if case.expect_error => failures.push(format!("{}: accepted", case.id)),
            Ok(preview) => {
                let got: Vec<String> = preview.fire_times.into_iter().map(rfc3339).collect();
                if case.phrase.is_some() && preview.written.expression != case.expr {
                    failures.push(format!(
                        "{}: `{text}` became `{}`, want `{}`",
                        case.id, preview.written.expression, case.expr
                    ));
                }
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

#[test]
fn daylight_saving_rules_hold_in_three_zones_and_both_hemispheres() {
    // (expression, zone, after, expected fire times)
    let cases: [(&str, &str, &str, &[&str]); 6] = [
        // New York springs forward on 2026-03-08 at 02:00: 02:30 does not
        // exist, so it runs at 03:00 EDT, the first instant after the gap.
        (
            "30 2 * * *",
            "America/New_York",
            "2026-03-07T00:00:00Z",
            &[
                "2026-03-07T07:30:00Z",
                "2026-03-08T07:00:00Z",
                "2026-03-09T06:30:00Z",
            ],
        ),
        // ...and falls back on 2026-11-01: 01:30 occurs twice and runs once,
        // at its first occurrence (EDT).
        (
            "30 1 * * *",
            "America/New_York",
            "2026-10-31T00:00:00Z",
            &[
                "2026-10-31T05:30:00Z",
                "2026-11-01T05:30:00Z",
                "2026-11-02T06:30:00Z",
            ],
        ),
        // An hourly wildcard follows real time through the repeated hour.
        (
            "0 * * * *",
            "America/New_York",
            "2026-11-01T04:30:00Z",
            &[
                "2026-11-01T05:00:00Z",
                "2026-11-01T06:00:00Z",
                "2026-11-01T07:00:00Z",
            ],
        ),
        // Sydney falls back on 2026-04-05 at 03:00 AEDT.
        (
            "30 2 * * *",
            "Australia/Sydney",
            "2026-04-04T00:00:00Z",
            &["2026-04-04T15:30:00Z", "2026-04-05T16:30:00Z"],
        ),
        // ...and springs forward on 2026-10-04 at 02:00 AEST.
        (
            "30 2 * * *",
            "Australia/Sydney",
            "2026-10-02T12:00:00Z",
            &[
                "2026-10-02T16:30:00Z",
                "2026-10-03T16:00:00Z",
                "2026-10-04T15:30:00Z",
            ],
        ),
        // Berlin's gap swallows both slots of 02:00 and 02:30: one run.
        (
            "0,30 2 * * *",
            "Europe/Berlin",
            "2026-03-28T12:00:00Z",
            &["2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z"],
        ),
    ];
    for (expression, zone, after, expected) in cases {
        assert_eq!(
            next(expression, zone, after, expected.len()),
            expected,
            "{expression} in {zone}"
        );
    }
}

#[test]
fn calendar_edges_leap_days_and_short_months_are_exact() {
    assert_eq!(
        next("0 9 29 2 *", "UTC", "2026-01-01T00:00:00Z", 2),
        ["2028-02-29T09:00:00Z", "2032-02-29T09:00:00Z"]
    );
    assert_eq!(
        next("0 0 31 * *", "UTC", "2026-01-31T01:00:00Z", 3),
        [
            "2026-03-31T00:00:00Z",
            "2026-05-31T00:00:00Z",
            "2026-07-31T00:00:00Z"
        ]
    );
    assert_eq!(
        next("0 0 L 2 *", "UTC", "2027-01-01T00:00:00Z", 2),
        ["2027-02-28T00:00:00Z", "2028-02-29T00:00:00Z"]
    );
}

#[test]
fn restricted_day_fields_fire_on_either_and_a_starred_one_on_both() {
    // Day 13 or any Friday (Vixie cron's OR).
    assert_eq!(
        next("0 0 13 * 5", "UTC", "2026-02-01T00:00:00Z", 6),
        [
            "2026-02-06T00:00:00Z",
            "2026-02-13T00:00:00Z",
            "2026-02-20T00:00:00Z",
            "2026-02-27T00:00:00Z",
            "2026-03-06T00:00:00Z",
            "2026-03-13T00:00:00Z"
        ]
    );
    // `*/10` in day-of-month starts with `*`: both fields must match, so only
    // Mondays that are day 1, 11, 21 or 31.
    assert_eq!(
        next("0 0 */10 * MON", "UTC", "2026-01-01T00:00:00Z", 3),
        [
            "2026-05-11T00:00:00Z",
            "2026-06-01T00:00:00Z",
            "2026-08-31T00:00:00Z"
        ]
    );
}

#[test]
fn steps_ranges_and_nicknames_expand_as_cron_does() {
    assert_eq!(
        next("10-20/5 * * * *", "UTC", "2026-01-01T00:00:00Z", 4),
        [
            "2026-01-01T00:10:00Z",
            "2026-01-01T00:15:00Z",
            "2026-01-01T00:20:00Z",
            "2026-01-01T01:10:00Z"
        ]
    );
    assert_eq!(
        next("0 22 * * 1-5/2", "UTC", "2026-01-01T00:00:00Z", 3),
        [
            "2026-01-02T22:00:00Z",
            "2026-01-05T22:00:00Z",
            "2026-01-07T22:00:00Z"
        ]
    );
    for (nickname, expected) in [
        ("@yearly", "2027-01-01T00:00:00Z"),
        ("@annually", "2027-01-01T00:00:00Z"),
        ("@monthly", "2026-02-01T00:00:00Z"),
        ("@weekly", "2026-01-04T00:00:00Z"),
        ("@daily", "2026-01-02T00:00:00Z"),
        ("@midnight", "2026-01-02T00:00:00Z"),
        ("@hourly", "2026-01-01T01:00:00Z"),
    ] {
        assert_eq!(
            next(nickname, "UTC", "2026-01-01T00:30:00Z", 1),
            [expected],
            "{nickname}"
        );
    }
}

#[test]
fn each_phrase_form_becomes_its_cron_form_and_fires_accordingly() {
    let after = at("2026-01-01T00:00:00Z");
    let cases = [
        ("every day at 2 am", "0 2 * * *"),
        ("every monday at noon", "0 12 * * 1"),
        ("every 15 minutes", "*/15 * * * *"),
        ("every 7 minutes", "*/7 * * * *"),
        ("every hour", "0 * * * *"),
        ("at 17:30 on weekdays", "30 17 * * 1-5"),
        ("every weekend at 9:00", "0 9 * * 0,6"),
        ("every month on the 1st at 8am", "0 8 1 * *"),
        ("every tuesday and thursday at 6pm", "0 18 * * 2,4"),
        ("at midnight", "0 0 * * *"),
        ("every day at 12am", "0 0 * * *"),
        ("every day at 12pm", "0 12 * * *"),
        ("Every Day At 2 AM.", "0 2 * * *"),
    ];
    for (phrase, expression) in cases {
        let preview = preview(phrase, Tz::UTC, after, 1).unwrap();
        assert_eq!(preview.written.expression, expression, "{phrase}");
        assert_eq!(preview.written.phrase.as_deref(), Some(phrase.trim()));
    }
    assert_eq!(
        next("every weekend at 9:00", "UTC", "2026-01-01T00:00:00Z", 3),
        [
            "2026-01-03T09:00:00Z",
            "2026-01-04T09:00:00Z",
            "2026-01-10T09:00:00Z"
        ]
    );
}

#[test]
fn an_unknown_phrase_says_what_was_understood() {
    let error = |text: &str| {
        preview(text, Tz::UTC, at("2026-01-01T00:00:00Z"), 1)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        error("every monday at noonish"),
        "understood \"every monday at\" but not \"noonish\""
    );
    assert_eq!(error("every day at 25:00"), "25:00 is not a time of day");
}
