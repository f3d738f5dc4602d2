//! Schedule policies on a controlled clock: catch-up after downtime, overlap
//! with runs still going, retries with backoff, failure triggers, run now,
//! pause and resume, and applying by event id. Each asserts the exact runs
//! and skipped fire times.

use chrono::Duration;
use serde_json::json;
use worker::model::{
    Backoff, CatchUp, EventKind, NewSchedule, Overlap, RetryPolicy, Run, RunStatus, ScheduleEvent,
    ScheduleStatus, Stream, Timing, Trigger,
};
use worker::queue::Applied;
use worker::store::RunFilter;

use crate::helpers::{TestEngine, at, engine_at, engine_with, rfc3339};

fn cron_schedule(expression: &str, data: serde_json::Value) -> NewSchedule {
    let function = if data.get("message").is_some() {
        "log-job"
    } else {
        "probe"
    };
    NewSchedule {
        timing: Timing::Cron {
            expression: expression.into(),
            phrase: None,
        },
        ..NewSchedule::new(function, 1, data)
    }
}

async fn runs_of(t: &TestEngine, schedule_id: i64) -> Vec<Run> {
    let mut runs = t
        .engine
        .store()
        .list_runs(&RunFilter {
            schedule_id: Some(schedule_id),
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    runs.reverse();
    runs
}

async fn events_of(t: &TestEngine, schedule_id: i64, kind: EventKind) -> Vec<ScheduleEvent> {
    let mut events = t
        .engine
        .store()
        .list_events(schedule_id, 10_000)
        .await
        .unwrap();
    events.reverse();
    events.retain(|e| e.kind == kind);
    events
}

fn fire_times(runs: &[Run]) -> Vec<String> {
    runs.iter().map(|r| rfc3339(r.scheduled_for)).collect()
}

/// The single fire time of each skip record, as RFC 3339.
fn skipped_fire_times(events: &[ScheduleEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            assert_eq!(e.fire_count, 1, "{e:?}");
            rfc3339(e.first_fire_time.unwrap())
        })
        .collect()
}

/// BEH-01: a `* * * * *` schedule whose last run served 08:28; every process
/// is down from 08:28:30 to 10:21:30 (113 missed fire times), then ticks at
/// 10:22, 10:23 and 10:24.
async fn downtime(catch_up: CatchUp) -> (TestEngine, i64) {
    let t = engine_at("2026-01-10T08:27:30Z").await;
    let s = t
        .engine
        .create_schedule(NewSchedule {
            catch_up,
            ..cron_schedule("* * * * *", json!({ "message": "m" }))
        })
        .await
        .unwrap();
    t.clock.set(at("2026-01-10T08:28:00Z"));
    t.engine.tick().await.unwrap();

    t.clock.set(at("2026-01-10T10:21:30Z"));
    t.engine.tick().await.unwrap();
    for minute in ["10:22", "10:23", "10:24"] {
        t.clock.set(at(&format!("2026-01-10T{minute}:00Z")));
        t.engine.tick().await.unwrap();
    }
    (t, s.id)
}

#[tokio::test]
async fn catch_up_none_skips_every_missed_fire_time_and_goes_on() {
    let (t, id) = downtime(CatchUp::None).await;

    let runs = runs_of(&t, id).await;
    assert_eq!(
        fire_times(&runs),
        [
            "2026-01-10T08:28:00Z",
            "2026-01-10T10:22:00Z",
            "2026-01-10T10:23:00Z",
            "2026-01-10T10:24:00Z"
        ]
    );
    let skipped = events_of(&t, id, EventKind::Skipped).await;
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].fire_count, 113);
    assert_eq!(
        rfc3339(skipped[0].first_fire_time.unwrap()),
        "2026-01-10T08:29:00Z"
    );
    assert_eq!(
        rfc3339(skipped[0].last_fire_time.unwrap()),
        "2026-01-10T10:21:00Z"
    );
    assert_eq!(
        skipped[0].reason,
        "113 fire times missed while no instance was running (catch-up: none)"
    );
    let schedule = t.engine.store().get_schedule(id).await.unwrap();
    assert_eq!(schedule.status, ScheduleStatus::Active);
    assert_eq!(schedule.next_run_at, Some(at("2026-01-10T10:25:00Z")));
}

#[tokio::test]
async fn catch_up_one_runs_once_for_the_latest_missed_fire_time() {
    let (t, id) = downtime(CatchUp::One).await;

    let runs = runs_of(&t, id).await;
    assert_eq!(
        fire_times(&runs),
        [
            "2026-01-10T08:28:00Z",
            "2026-01-10T10:21:00Z",
            "2026-01-10T10:22:00Z",
            "2026-01-10T10:23:00Z",
            "2026-01-10T10:24:00Z"
        ]
    );
    assert_eq!(runs[1].trigger, Trigger::CatchUp);
    assert_eq!(runs[1].started_at, Some(at("2026-01-10T10:21:30Z")));
    assert!(runs.iter().all(|r| r.status == RunStatus::Succeeded));
    assert!(
        runs.iter()
            .enumerate()
            .all(|(i, r)| (i == 1) == (r.trigger == Trigger::CatchUp))
    );
    let skipped = events_of(&t, id, EventKind::Skipped).await;
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].fire_count, 112);
    assert_eq!(
        rfc3339(skipped[0].last_fire_time.unwrap()),
        "2026-01-10T10:20:00Z"
    );
}

#[tokio::test]
async fn catch_up_all_runs_the_latest_hundred_in_order_and_records_the_rest() {
    let (t, id) = downtime(CatchUp::All).await;

    let runs = runs_of(&t, id).await;
    assert_eq!(runs.len(), 1 + 100 + 3);
    let caught_up: Vec<&Run> = runs
        .iter()
        .filter(|r| r.trigger == Trigger::CatchUp)
        .collect();
    assert_eq!(caught_up.len(), 100);
    assert_eq!(rfc3339(caught_up[0].scheduled_for), "2026-01-10T08:42:00Z");
    assert_eq!(rfc3339(caught_up[99].scheduled_for), "2026-01-10T10:21:00Z");
    // One at a time, oldest first.
    assert!(
        caught_up
            .windows(2)
            .all(|w| w[0].scheduled_for < w[1].scheduled_for && w[0].id < w[1].id)
    );
    assert!(runs.iter().all(|r| r.status == RunStatus::Succeeded));
    assert_eq!(
        fire_times(&runs[101..]),
        [
            "2026-01-10T10:22:00Z",
            "2026-01-10T10:23:00Z",
            "2026-01-10T10:24:00Z"
        ]
    );

    let skipped = events_of(&t, id, EventKind::Skipped).await;
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].fire_count, 13);
    assert_eq!(
        rfc3339(skipped[0].first_fire_time.unwrap()),
        "2026-01-10T08:29:00Z"
    );
    assert_eq!(
        rfc3339(skipped[0].last_fire_time.unwrap()),
        "2026-01-10T08:41:00Z"
    );
    let caught = events_of(&t, id, EventKind::CaughtUp).await;
    assert_eq!(caught.len(), 1);
    assert_eq!(caught[0].fire_count, 100);
}

#[tokio::test]
async fn a_daily_schedule_down_for_three_days_catches_up_by_policy() {
    for (catch_up, expected) in [
        (CatchUp::One, vec!["2026-01-13T03:00:00Z"]),
        (
            CatchUp::All,
            vec![
                "2026-01-10T03:00:00Z",
                "2026-01-11T03:00:00Z",
                "2026-01-12T03:00:00Z",
                "2026-01-13T03:00:00Z",
            ],
        ),
        (CatchUp::None, vec![]),
    ] {
        let t = engine_at("2026-01-09T12:00:00Z").await;
        let s = t
            .engine
            .create_schedule(NewSchedule {
                catch_up,
                ..cron_schedule("0 3 * * *", json!({ "message": "m" }))
            })
            .await
            .unwrap();

        // Down from 2026-01-10T02:00Z to 2026-01-13T05:00Z.
        t.clock.set(at("2026-01-13T05:00:00Z"));
        t.engine.tick().await.unwrap();

        let runs = runs_of(&t, s.id).await;
        assert_eq!(fire_times(&runs), expected, "{catch_up:?}");
        assert!(runs.iter().all(|r| r.trigger == Trigger::CatchUp));
        let next = t
            .engine
            .store()
            .get_schedule(s.id)
            .await
            .unwrap()
            .next_run_at;
        assert_eq!(next, Some(at("2026-01-14T03:00:00Z")));
    }
}

/// BEH-03: `0-4 10 * * *` with a handler that outlasts the next fire times.
/// The clock moves a minute a step while the guest sleeps 2 s in real time,
/// so every run started stays running through the later steps unless the
/// test waits for it. Under skip and queue the 10:00 run is awaited and
/// "ends" at 10:02:30, as in the scenario. Returns the schedule's id and how
/// many of its runs were running after each step, with every run ended.
async fn overlapping(t: &TestEngine, overlap: Overlap) -> (i64, Vec<i64>) {
    let s = t
        .engine
        .create_schedule(NewSchedule {
            overlap,
            ..cron_schedule("0-4 10 * * *", json!({ "sleepMs": 2000 }))
        })
        .await
        .unwrap();
    let mut running = Vec::new();
    let mut steps: Vec<worker::queue::Started> = Vec::new();
    for minute in 0..5 {
        if minute == 3 && overlap != Overlap::Allow {
            steps.remove(0).finish().await;
            t.clock.set(at("2026-01-01T10:02:30Z"));
            steps.push(t.engine.start_due().await.unwrap());
        }
        t.clock.set(at(&format!("2026-01-01T10:0{minute}:00Z")));
        steps.push(t.engine.start_due().await.unwrap());
        running.push(t.engine.store().active_runs(s.id).await.unwrap().running);
    }
    for step in steps {
        step.finish().await;
    }
    // Start and finish what the last runs to end released.
    t.engine.tick().await.unwrap();
    (s.id, running)
}

/// The clock jumps minutes while runs sleep for seconds: a lease as long as
/// the scenario keeps them from being swept as lost.
async fn overlap_engine() -> TestEngine {
    let options = worker::EngineOptions {
        lease: std::time::Duration::from_secs(3600),
        ..Default::default()
    };
    engine_with("2026-01-01T09:59:00Z", options).await
}

#[tokio::test]
async fn overlap_skip_records_fire_times_that_find_a_run_going() {
    let t = overlap_engine().await;
    let (id, running) = overlapping(&t, Overlap::Skip).await;

    let runs = runs_of(&t, id).await;
    assert_eq!(
        fire_times(&runs),
        ["2026-01-01T10:00:00Z", "2026-01-01T10:03:00Z"]
    );
    assert!(runs.iter().all(|r| r.status == RunStatus::Succeeded));
    assert_eq!(running, [1, 1, 1, 1, 1]);
    let skipped = events_of(&t, id, EventKind::Skipped).await;
    assert_eq!(
        skipped_fire_times(&skipped),
        [
            "2026-01-01T10:01:00Z",
            "2026-01-01T10:02:00Z",
            "2026-01-01T10:04:00Z"
        ]
    );
    assert_eq!(
        skipped[0].reason,
        "overlap: an earlier run was still pending or running (overlap: skip)"
    );
}

#[tokio::test]
async fn overlap_queue_keeps_one_run_waiting_and_skips_the_rest() {
    let t = overlap_engine().await;
    let (id, running) = overlapping(&t, Overlap::Queue).await;

    let runs = runs_of(&t, id).await;
    assert_eq!(
        fire_times(&runs),
        [
            "2026-01-01T10:00:00Z",
            "2026-01-01T10:01:00Z",
            "2026-01-01T10:03:00Z"
        ]
    );
    assert!(runs.iter().all(|r| r.status == RunStatus::Succeeded));
    assert_eq!(running, [1, 1, 1, 1, 1]);
    let skipped = events_of(&t, id, EventKind::Skipped).await;
    assert_eq!(
        skipped_fire_times(&skipped),
        ["2026-01-01T10:02:00Z", "2026-01-01T10:04:00Z"]
    );
    assert_eq!(
        skipped[0].reason,
        "overlap: a run is already waiting for the running one (overlap: queue)"
    );
}

#[tokio::test]
async fn overlap_allow_starts_every_fire_time_at_once() {
    let t = overlap_engine().await;
    let (id, running) = overlapping(&t, Overlap::Allow).await;

    let runs = runs_of(&t, id).await;
    assert_eq!(runs.len(), 5);
    assert!(runs.iter().all(|r| r.started_at == Some(r.scheduled_for)));
    assert!(runs.iter().all(|r| r.status == RunStatus::Succeeded));
    assert_eq!(running, [1, 2, 3, 4, 5]);
    assert!(events_of(&t, id, EventKind::Skipped).await.is_empty());
}

/// BEH-04: a one-off whose handler always fails, three retries, backoff from
/// 10 s doubling to at most 25 s. Ticks every second for two minutes.
async fn retried(data: serde_json::Value, max_retries: i64) -> (TestEngine, Vec<Run>) {
    let t = engine_at("2026-01-01T00:00:00Z").await;
    let s = t
        .engine
        .create_schedule(NewSchedule {
            timing: Timing::Once {
                run_at: at("2026-01-01T00:00:00Z"),
            },
            retry: RetryPolicy {
                max_retries,
                backoff: Backoff::Exponential,
                base_ms: 10_000,
                cap_ms: 25_000,
            },
            ..NewSchedule::new("probe", 1, data)
        })
        .await
        .unwrap();
    for _ in 0..120 {
        t.engine.tick().await.unwrap();
        t.clock.advance(Duration::seconds(1));
    }
    let runs = runs_of(&t, s.id).await;
    (t, runs)
}

#[tokio::test]
async fn three_retries_make_four_attempts_with_capped_backoff() {
    let (t, runs) = retried(json!({ "trap": true }), 3).await;

    let attempts: Vec<(i64, String, Trigger, RunStatus)> = runs
        .iter()
        .map(|r| {
            (
                r.attempt,
                rfc3339(r.started_at.unwrap()),
                r.trigger,
                r.status,
            )
        })
        .collect();
    assert_eq!(
        attempts,
        [
            (
                1,
                "2026-01-01T00:00:00Z".into(),
                Trigger::Schedule,
                RunStatus::Failed
            ),
            (
                2,
                "2026-01-01T00:00:10Z".into(),
                Trigger::Retry,
                RunStatus::Failed
            ),
            (
                3,
                "2026-01-01T00:00:30Z".into(),
                Trigger::Retry,
                RunStatus::Failed
            ),
            (
                4,
                "2026-01-01T00:00:55Z".into(),
                Trigger::Retry,
                RunStatus::Failed
            ),
        ]
    );
    assert!(
        runs.iter()
            .all(|r| r.scheduled_for == at("2026-01-01T00:00:00Z"))
    );
    assert!(
        runs.iter()
            .all(|r| r.error.as_deref()
                == Some("wasm trap: wasm `unreachable` instruction executed"))
    );

    let id = runs[0].schedule_id;
    let retried = events_of(&t, id, EventKind::Retried).await;
    assert_eq!(retried.len(), 3);
    assert_eq!(
        retried[2].reason,
        format!(
            "run {} failed on attempt 3; attempt 4 (4 attempts) at 2026-01-01T00:00:55Z",
            runs[2].id
        )
    );
    let gave_up = events_of(&t, id, EventKind::GaveUp).await;
    assert_eq!(gave_up.len(), 1);
    assert_eq!(
        gave_up[0].reason,
        format!(
            "run {} failed on attempt 4; its 3 retries are used up",
            runs[3].id
        )
    );
}

#[tokio::test]
async fn a_run_that_succeeds_on_its_second_attempt_is_not_retried_again() {
    let (t, runs) = retried(json!({ "failUntilAttempt": 2 }), 3).await;

    let attempts: Vec<(i64, RunStatus)> = runs.iter().map(|r| (r.attempt, r.status)).collect();
    assert_eq!(
        attempts,
        [(1, RunStatus::Failed), (2, RunStatus::Succeeded)]
    );
    assert_eq!(runs[0].exit_code, Some(1));
    let stderr = t
        .engine
        .store()
        .run_output(runs[0].id, Stream::Stderr)
        .await
        .unwrap();
    assert_eq!(stderr.bytes, b"failing on purpose on attempt 1\n");
}

#[tokio::test]
async fn no_retries_means_exactly_one_attempt() {
    let (t, runs) = retried(json!({ "exitCode": 3 }), 0).await;

    assert_eq!(runs.len(), 1);
    assert_eq!(
        (runs[0].status, runs[0].exit_code),
        (RunStatus::Failed, Some(3))
    );
    let gave_up = events_of(&t, runs[0].schedule_id, EventKind::GaveUp).await;
    assert_eq!(
        gave_up[0].reason,
        format!("run {} failed on attempt 1; no retries are set", runs[0].id)
    );
}

#[tokio::test]
async fn fixed_backoff_waits_the_same_each_time() {
    let policy = RetryPolicy {
        max_retries: -1,
        backoff: Backoff::Fixed,
        base_ms: 7_000,
        cap_ms: 7_000,
    };
    let delays: Vec<i64> = (1..=4)
        .map(|a| policy.delay_after(a).num_seconds())
        .collect();
    assert_eq!(delays, [7, 7, 7, 7]);
    assert!(policy.retries_after(1_000_000));
    let default = RetryPolicy::default();
    let delays: Vec<i64> = (1..=6)
        .map(|a| default.delay_after(a).num_seconds())
        .collect();
    assert_eq!(delays, [30, 60, 120, 240, 300, 300]);
    assert!(!default.retries_after(1));
}

#[tokio::test]
async fn the_failure_trigger_runs_once_the_last_attempt_failed() {
    let t = engine_at("2026-01-01T00:00:00Z").await;
    let alert = t
        .engine
        .create_schedule(NewSchedule::new(
            "log-job",
            1,
            json!({ "message": "alert" }),
        ))
        .await
        .unwrap();
    let failing = t
        .engine
        .create_schedule(NewSchedule {
            failure_trigger: Some(alert.id),
            retry: RetryPolicy {
                max_retries: 1,
                backoff: Backoff::Fixed,
                base_ms: 5_000,
                cap_ms: 5_000,
            },
            ..NewSchedule::new("probe", 1, json!({ "exitCode": 2 }))
        })
        .await
        .unwrap();

    t.engine.run_now(failing.id).await.unwrap();
    t.engine.tick().await.unwrap();
    assert!(runs_of(&t, alert.id).await.is_empty());
    t.clock.advance(Duration::seconds(5));
    t.engine.tick().await.unwrap();

    let alerts = runs_of(&t, alert.id).await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].trigger, Trigger::Failure);
    assert_eq!(alerts[0].status, RunStatus::Succeeded);
    let triggered = events_of(&t, failing.id, EventKind::FailureTriggered).await;
    assert_eq!(
        triggered[0].reason,
        format!("failure trigger: schedule {} runs now", alert.id)
    );
}

#[tokio::test]
async fn a_run_whose_lease_expired_is_lost_and_retried() {
    let t = engine_at("2026-01-01T00:00:00Z").await;
    let s = t
        .engine
        .create_schedule(NewSchedule {
            retry: RetryPolicy {
                max_retries: 1,
                backoff: Backoff::Fixed,
                base_ms: 0,
                cap_ms: 0,
            },
            ..NewSchedule::new("log-job", 1, json!({ "message": "again" }))
        })
        .await
        .unwrap();
    let run = t.engine.run_now(s.id).await.unwrap();
    // An instance claims it and dies without a word.
    let now = t.engine.now();
    let claimed = t
        .engine
        .store()
        .claim_runs(
            &worker::store::Claimant {
                instance_id: "dead",
                worker_id: "inline",
            },
            now,
            now + Duration::seconds(30),
            10,
        )
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);

    t.clock.advance(Duration::seconds(29));
    assert!(t.engine.tick().await.unwrap().lost.is_empty());
    t.clock.advance(Duration::seconds(2));
    let outcome = t.engine.tick().await.unwrap();

    assert_eq!(outcome.lost, [run.id]);
    let runs = runs_of(&t, s.id).await;
    let attempts: Vec<(i64, RunStatus)> = runs.iter().map(|r| (r.attempt, r.status)).collect();
    assert_eq!(attempts, [(1, RunStatus::Lost), (2, RunStatus::Succeeded)]);
    assert_eq!(
        runs[0].error.as_deref(),
        Some("the instance running it stopped renewing its lease")
    );
}

#[tokio::test]
async fn run_now_keeps_the_next_fire_time_in_london() {
    // BEH-12: Wednesday 2026-07-01 10:00Z; weekdays at 09:00 London (BST).
    let t = engine_at("2026-07-01T10:00:00Z").await;
    let s = t
        .engine
        .create_schedule(NewSchedule {
            timezone: Some("Europe/London".into()),
            ..cron_schedule("0 9 * * 1-5", json!({ "message": "m" }))
        })
        .await
        .unwrap();
    let next = Some(at("2026-07-02T08:00:00Z"));
    assert_eq!(s.next_run_at, next);

    let manual = t.engine.run_now(s.id).await.unwrap();
    let started = t.engine.start_due().await.unwrap();
    assert_eq!(started.claimed, [manual.id]);
    assert_eq!(
        t.engine
            .store()
            .get_schedule(s.id)
            .await
            .unwrap()
            .next_run_at,
        next
    );
    started.finish().await;
    assert_eq!(
        t.engine
            .store()
            .get_schedule(s.id)
            .await
            .unwrap()
            .next_run_at,
        next
    );

    t.clock.set(at("2026-07-02T08:00:00Z"));
    t.engine.tick().await.unwrap();
    let runs = runs_of(&t, s.id).await;
    let triggers: Vec<(Trigger, String)> = runs
        .iter()
        .map(|r| (r.trigger, rfc3339(r.scheduled_for)))
        .collect();
    assert_eq!(
        triggers,
        [
            (Trigger::Manual, "2026-07-01T10:00:00Z".into()),
            (Trigger::Schedule, "2026-07-02T08:00:00Z".into())
        ]
    );
}

#[tokio::test]
async fn a_paused_schedule_fires_nothing_and_resumes_from_now() {
    let t = engine_at("2026-01-01T00:00:30Z").await;
    let s = t
        .engine
        .create_schedule(cron_schedule("* * * * *", json!({ "message": "m" })))
        .await
        .unwrap();
    t.clock.set(at("2026-01-01T00:01:00Z"));
    t.engine.tick().await.unwrap();

    let paused = t.engine.pause(s.id).await.unwrap();
    assert_eq!(paused.status, ScheduleStatus::Paused);
    for minute in 2..=5 {
        t.clock.set(at(&format!("2026-01-01T00:0{minute}:00Z")));
        t.engine.tick().await.unwrap();
    }
    t.clock.set(at("2026-01-01T00:05:10Z"));
    let resumed = t.engine.resume(s.id).await.unwrap();
    assert_eq!(resumed.next_run_at, Some(at("2026-01-01T00:06:00Z")));
    t.clock.set(at("2026-01-01T00:06:00Z"));
    t.engine.tick().await.unwrap();

    assert_eq!(
        fire_times(&runs_of(&t, s.id).await),
        ["2026-01-01T00:01:00Z", "2026-01-01T00:06:00Z"]
    );
    // Paused fire times are not missed ones: nothing is recorded as skipped.
    assert!(events_of(&t, s.id, EventKind::Skipped).await.is_empty());
    assert_eq!(events_of(&t, s.id, EventKind::Paused).await.len(), 1);
    assert_eq!(
        events_of(&t, s.id, EventKind::Resumed).await[0].reason,
        "resumed; next fire time 2026-01-01T00:06:00Z"
    );
}

#[tokio::test]
async fn editing_the_timing_recomputes_the_next_fire_time() {
    let t = engine_at("2026-01-01T00:00:00Z").await;
    let s = t
        .engine
        .create_schedule(cron_schedule("0 9 * * *", json!({ "message": "m" })))
        .await
        .unwrap();
    assert_eq!(s.next_run_at, Some(at("2026-01-01T09:00:00Z")));

    let retitled = t
        .engine
        .update_schedule(
            s.id,
            NewSchedule {
                title: "Morning".into(),
                ..cron_schedule("0 9 * * *", json!({ "message": "m" }))
            },
        )
        .await
        .unwrap();
    assert_eq!(retitled.next_run_at, Some(at("2026-01-01T09:00:00Z")));

    let moved = t
        .engine
        .update_schedule(
            s.id,
            NewSchedule {
                timezone: Some("Asia/Tokyo".into()),
                ..cron_schedule("every day at 2 am", json!({ "message": "m" }))
            },
        )
        .await
        .unwrap();
    assert_eq!(
        moved.timing,
        Timing::Cron {
            expression: "0 2 * * *".into(),
            phrase: Some("every day at 2 am".into())
        }
    );
    // 02:00 in Tokyo is 17:00 UTC the day before.
    assert_eq!(moved.next_run_at, Some(at("2026-01-01T17:00:00Z")));
    assert_eq!(moved.title, "Log message");
}

#[tokio::test]
async fn applying_by_event_id_answers_created_updated_or_unchanged() {
    let t = engine_at("2026-01-01T00:00:00Z").await;
    let definition = |message: &str| NewSchedule {
        event_id: Some("nightly-report".into()),
        ..cron_schedule("every day at 2 am", json!({ "message": message }))
    };

    let (first, applied) = t.engine.apply_schedule(definition("a")).await.unwrap();
    assert_eq!(applied, Applied::Created);
    let (again, applied) = t.engine.apply_schedule(definition("a")).await.unwrap();
    assert_eq!((again.id, applied), (first.id, Applied::Unchanged));
    let (changed, applied) = t.engine.apply_schedule(definition("b")).await.unwrap();
    assert_eq!((changed.id, applied), (first.id, Applied::Updated));
    assert_eq!(changed.data, json!({ "message": "b" }));
    assert_eq!(t.engine.store().list_schedules().await.unwrap().len(), 1);

    let error = t
        .engine
        .apply_schedule(NewSchedule::new("log-job", 1, json!({ "message": "x" })))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "eventId: is required to apply a schedule"
    );
}

#[tokio::test]
async fn a_schedule_that_never_fires_is_refused_and_nothing_is_stored() {
    let t = engine_at("2026-01-01T00:00:00Z").await;
    let error = t
        .engine
        .create_schedule(cron_schedule("0 0 31 2 *", json!({ "message": "m" })))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "`0 0 31 2 *` never fires: it has no fire time in the next 100 years"
    );
    let error = t
        .engine
        .create_schedule(cron_schedule(
            "every monday at noonish",
            json!({ "message": "m" }),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "understood \"every monday at\" but not \"noonish\""
    );
    assert!(t.engine.store().list_schedules().await.unwrap().is_empty());
}
