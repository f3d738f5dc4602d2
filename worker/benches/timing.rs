//! Timing benchmark: how fast fire times are computed, beside the `cron`
//! crate on the same expressions, and how fast due schedules are found among
//! 100,000 active ones. Prints a Markdown section for `BENCHMARKS.md`.
//!
//! Run with `cargo bench -p worker --bench timing` (an optimised build).

use std::hint::black_box;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::json;
use worker::model::{NewSchedule, Timing};
use worker::runtime::Runtime;
use worker::store::SqliteLocation;
use worker::timing::Cron;
use worker::{Engine, EngineOptions, ManualClock, Store};

/// Expressions people write, in both syntaxes: ours (5 or 6 fields, Sunday
/// 0) and the `cron` crate's (seconds first, Sunday 1). Only expressions
/// both read the same way are compared.
const MIX: [(&str, &str); 8] = [
    ("* * * * *", "0 * * * * *"),
    ("*/15 * * * *", "0 */15 * * * *"),
    ("0 2 * * *", "0 0 2 * * *"),
    ("30 17 * * 1-5", "0 30 17 * * Mon-Fri"),
    ("0 12 1,15 * *", "0 0 12 1,15 * *"),
    ("0 9 * JAN,JUL MON", "0 0 9 * Jan,Jul Mon"),
    ("*/10 * * * * *", "*/10 * * * * *"),
    ("0 0 29 2 *", "0 0 0 29 2 *"),
];

const ITERATIONS: usize = 20_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut report = String::from("## Timing\n\n");
    report.push_str(&next_fire_times());
    report.push_str(&runtime.block_on(due_detection()));
    println!("{report}");
}

/// Fire times per second, walking each expression's next `ITERATIONS` fire
/// times from a fixed start, in UTC and in a zone with daylight saving.
fn next_fire_times() -> String {
    let start: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().expect("an instant");
    let mut out = String::from(
        "### Next fire time\n\n| expression | Enschedule, UTC | Enschedule, Europe/Berlin \
         | `cron` 0.15, UTC |\n| --- | ---: | ---: | ---: |\n",
    );
    let mut totals = [0.0f64; 3];
    for (ours, theirs) in MIX {
        let utc = rate(|| walk_ours(ours, Tz::UTC, start));
        let berlin = rate(|| walk_ours(ours, Tz::Europe__Berlin, start));
        let crate_utc = rate(|| walk_theirs(theirs, start));
        for (total, r) in totals.iter_mut().zip([utc, berlin, crate_utc]) {
            *total += r;
        }
        out.push_str(&format!(
            "| `{ours}` | {} | {} | {} |\n",
            per_second(utc),
            per_second(berlin),
            per_second(crate_utc)
        ));
    }
    let n = MIX.len() as f64;
    out.push_str(&format!(
        "| mean | {} | {} | {} |\n\n",
        per_second(totals[0] / n),
        per_second(totals[1] / n),
        per_second(totals[2] / n)
    ));
    out
}

fn walk_ours(expression: &str, tz: Tz, start: DateTime<Utc>) -> usize {
    let cron = Cron::new(expression, tz, start).expect("a valid expression");
    cron.iter_after(start)
        .take(ITERATIONS)
        .map(black_box)
        .count()
}

fn walk_theirs(expression: &str, start: DateTime<Utc>) -> usize {
    let schedule = cron::Schedule::from_str(expression).expect("a valid expression");
    schedule
        .after(&start)
        .take(ITERATIONS)
        .map(black_box)
        .count()
}

/// Fire times per second: the best of five walks, each timed whole.
fn rate(walk: impl Fn() -> usize) -> f64 {
    (0..5)
        .map(|_| {
            let started = Instant::now();
            let count = walk();
            count as f64 / started.elapsed().as_secs_f64()
        })
        .fold(0.0, f64::max)
}

fn per_second(rate: f64) -> String {
    if rate >= 1e6 {
        format!("{:.2} M/s", rate / 1e6)
    } else {
        format!("{:.0} k/s", rate / 1e3)
    }
}

/// 100,000 active schedules in a SQLite file, spread over a day of fire
/// times; how long finding the due ones and the next due time takes.
async fn due_detection() -> String {
    const SCHEDULES: usize = 100_000;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = Store::open_sqlite(&SqliteLocation::File(dir.path().join("bench.sqlite")))
        .await
        .expect("a store");
    let start: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().expect("an instant");
    let clock = Arc::new(ManualClock::new(start));
    let engine = Engine::new(
        store.clone(),
        Runtime::new(None, 4).expect("a runtime"),
        clock.clone(),
        EngineOptions::default(),
    );
    engine
        .register_module(&log_job(), None)
        .await
        .expect("log-job registers");

    let created = Instant::now();
    for i in 0..SCHEDULES {
        // Each minute of the day gets about 70 schedules.
        let (hour, minute) = ((i / 60) % 24, i % 60);
        let new = NewSchedule {
            timing: Timing::Cron {
                expression: format!("{minute} {hour} * * *"),
                phrase: None,
            },
            ..NewSchedule::new("log-job", 1, json!({ "message": "m" }))
        };
        engine.create_schedule(new).await.expect("a schedule");
    }
    let creating = created.elapsed();

    // 12:00:30: the schedules of 00:00 to 12:00 are due, about 50,000.
    let now: DateTime<Utc> = "2026-01-01T12:00:30Z".parse().expect("an instant");
    let due = time(|| async { store.due_schedules(now, 1000).await.expect("a query").len() }).await;
    let next = time(|| async { store.next_due_at().await.expect("a query").is_some() }).await;
    format!(
        "### Due detection\n\n{SCHEDULES} active daily schedules (one SQLite file, WAL), \
         created through the engine in {:.1} s.\n\n| query | median |\n| --- | ---: |\n\
         | due schedules, first 1,000 of ~50,000 due | {} |\n\
         | next due time (the loop's sleep) | {} |\n\n",
        creating.as_secs_f64(),
        millis(due),
        millis(next)
    )
}

async fn time<F, Fut, T>(query: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: Future<Output = T>,
{
    let mut samples = Vec::new();
    for _ in 0..25 {
        let started = Instant::now();
        black_box(query().await);
        samples.push(started.elapsed());
    }
    samples.sort();
    samples[samples.len() / 2]
}

fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

fn log_job() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../handlers/dist/log-job.wasm");
    std::fs::read(path).expect("handlers built (scripts/build-handlers.sh)")
}
