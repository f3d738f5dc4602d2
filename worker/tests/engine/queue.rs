//! The queue on a controlled clock: fire times become runs exactly once, and
//! runs are recorded as they ended.

use chrono::Duration;
use serde_json::json;
use worker::model::{NewSchedule, RunStatus, Stream, Timing, Trigger};
use worker::store::RunFilter;

use crate::helpers::{TestEngine, at, engine_at, rfc3339};

fn schedule(function: &str, data: serde_json::Value, timing: Timing) -> NewSchedule {
    NewSchedule {
        timing,
        ..NewSchedule::new(function, 1, data)
    }
}

fn cron(expression: &str) -> Timing {
    Timing::Cron {
        expression: expression.into(),
        phrase: None,
    }
}

async fn all_runs(t: &TestEngine) -> Vec<worker::model::Run> {
    let mut runs = t
        .engine
        .store()
        .list_runs(&RunFilter {
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    runs.reverse();
    runs
}

#[tokio::test]
async fn a_ten_second_cron_yields_runs_at_exactly_its_fire_times() {
    let t = engine_at("2026-01-01T00:00:05Z").await;
    t.engine
        .create_schedule(schedule(
            "log-job",
            json!({ "message": "tick" }),
            cron("*/10 * * * * *"),
        ))
        .await
        .unwrap();

    for _ in 0..60 {
        t.clock.advance(Duration::seconds(1));
        t.engine.tick().await.unwrap();
    }

    let runs = all_runs(&t).await;
    let fire_times: Vec<String> = runs.iter().map(|r| rfc3339(r.scheduled_for)).collect();
    assert_eq!(
        fire_times,
        [
            "2026-01-01T00:00:10Z",
            "2026-01-01T00:00:20Z",
            "2026-01-01T00:00:30Z",
            "2026-01-01T00:00:40Z",
            "2026-01-01T00:00:50Z",
            "2026-01-01T00:01:00Z"
        ]
    );
    assert!(
        runs.iter()
            .all(|r| r.status == RunStatus::Succeeded && r.trigger == Trigger::Schedule)
    );
    assert!(runs.iter().all(|r| r.started_at == Some(r.scheduled_for)));
    let stdout = t
        .engine
        .store()
        .run_output(runs[0].id, Stream::Stdout)
        .await
        .unwrap();
    assert_eq!(stdout.bytes, b"tick\n");
}

#[tokio::test]
async fn a_handler_that_exits_3_is_recorded_as_failed_with_exit_code_3() {
    let t = engine_at("2026-01-01T00:00:00Z").await;
    let s = t
        .engine
        .create_schedule(schedule(
            "probe",
            json!({ "stderr": "boom\n", "exitCode": 3 }),
            Timing::Manual,
        ))
        .await
        .unwrap();

    let run = t.engine.run_now(s.id).await.unwrap();
    t.engine.tick().await.unwrap();

    let run = t.engine.store().get_run(run.id).await.unwrap();
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.exit_code, Some(3));
    assert_eq!(run.error, None);
    let stderr = t
        .engine
        .store()
        .run_output(run.id, Stream::Stderr)
        .await
        .unwrap();
    assert_eq!(stderr.bytes, b"boom\n");
}

#[tokio::test]
async fn a_trapping_handler_is_failed_with_the_trap_message() {
    let t = engine_at("2026-01-01T00:00:00Z").await;
    let s = t
        .engine
        .create_schedule(schedule("probe", json!({ "trap": true }), Timing::Manual))
        .await
        .unwrap();

    let run = t.engine.run_now(s.id).await.unwrap();
    t.engine.tick().await.unwrap();

    let run = t.engine.store().get_run(run.id).await.unwrap();
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.exit_code, None);
    assert_eq!(
        run.error.as_deref(),
        Some("wasm trap: wasm `unreachable` instruction executed")
    );
}

#[tokio::test]
async fn run_now_leaves_the_next_fire_time_alone() {
    let t = engine_at("2026-07-01T10:00:00Z").await;
    let s = t
        .engine
        .create_schedule(schedule(
            "log-job",
            json!({ "message": "m" }),
            cron("0 9 * * 1-5"),
        ))
        .await
        .unwrap();
    assert_eq!(s.next_run_at, Some(at("2026-07-02T09:00:00Z")));

    let run = t.engine.run_now(s.id).await.unwrap();
    let outcome = t.engine.tick().await.unwrap();

    assert_eq!(outcome.executed, [run.id]);
    assert_eq!(run.trigger, Trigger::Manual);
    let s = t.engine.store().get_schedule(s.id).await.unwrap();
    assert_eq!(s.next_run_at, Some(at("2026-07-02T09:00:00Z")));
}

#[tokio::test]
async fn after_downtime_one_run_serves_the_latest_missed_fire_time() {
    let t = engine_at("2026-01-10T08:27:30Z").await;
    t.engine
        .create_schedule(schedule(
            "log-job",
            json!({ "message": "m" }),
            cron("* * * * *"),
        ))
        .await
        .unwrap();
    t.clock.set(at("2026-01-10T08:28:00Z"));
    t.engine.tick().await.unwrap();

    // Down from 08:28:30 to 10:21:30.
    t.clock.set(at("2026-01-10T10:21:30Z"));
    t.engine.tick().await.unwrap();
    t.clock.set(at("2026-01-10T10:22:00Z"));
    t.engine.tick().await.unwrap();

    let fire_times: Vec<String> = all_runs(&t)
        .await
        .iter()
        .map(|r| rfc3339(r.scheduled_for))
        .collect();
    assert_eq!(
        fire_times,
        [
            "2026-01-10T08:28:00Z",
            "2026-01-10T10:21:00Z",
            "2026-01-10T10:22:00Z"
        ]
    );
}

#[tokio::test]
async fn a_one_off_run_at_fires_once_and_then_never() {
    let t = engine_at("2026-01-01T00:00:00Z").await;
    let s = t
        .engine
        .create_schedule(schedule(
            "log-job",
            json!({ "message": "once" }),
            Timing::Once {
                run_at: at("2026-01-01T00:00:30Z"),
            },
        ))
        .await
        .unwrap();

    for _ in 0..4 {
        t.clock.advance(Duration::seconds(20));
        t.engine.tick().await.unwrap();
    }

    let runs = all_runs(&t).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(rfc3339(runs[0].scheduled_for), "2026-01-01T00:00:30Z");
    assert_eq!(
        t.engine
            .store()
            .get_schedule(s.id)
            .await
            .unwrap()
            .next_run_at,
        None
    );
}

#[tokio::test]
async fn data_that_breaks_the_schema_is_refused_naming_the_field() {
    let t = engine_at("2026-01-01T00:00:00Z").await;
    let error = t
        .engine
        .create_schedule(schedule("log-job", json!({ "message": 5 }), Timing::Manual))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "data: at /message: 5 is not of type \"string\""
    );
}

#[tokio::test]
async fn two_engines_on_one_database_create_each_run_once() {
    let dir = tempfile::tempdir().unwrap();
    let database = crate::helpers::shared_database(dir.path()).await;
    let clock = std::sync::Arc::new(worker::ManualClock::new(at("2026-01-01T00:00:00Z")));
    let mut engines = Vec::new();
    for instance in ["a", "b"] {
        let store = worker::Store::open(&database).await.unwrap();
        let runtime = worker::runtime::Runtime::new(None, 4).unwrap();
        let options = worker::EngineOptions {
            instance_id: instance.into(),
            ..Default::default()
        };
        engines.push(worker::Engine::new(store, runtime, clock.clone(), options));
    }
    engines[0]
        .register_module(&crate::helpers::handler("log-job"), None)
        .await
        .unwrap();
    engines[0]
        .create_schedule(schedule(
            "log-job",
            json!({ "message": "m" }),
            cron("* * * * * *"),
        ))
        .await
        .unwrap();

    for _ in 0..30 {
        clock.advance(Duration::seconds(1));
        let (a, b) = tokio::join!(engines[0].tick(), engines[1].tick());
        a.unwrap();
        b.unwrap();
    }

    let runs = engines[1]
        .store()
        .list_runs(&RunFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(runs.len(), 30);
    let mut fire_times: Vec<_> = runs.iter().map(|r| r.scheduled_for).collect();
    fire_times.dedup();
    assert_eq!(fire_times.len(), 30);
    assert!(runs.iter().all(|r| r.status == RunStatus::Succeeded));
}

#[tokio::test]
async fn a_sqlite_file_whose_path_has_url_characters_opens_where_it_says() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd #1 ?x=%41.sqlite");
    let location = worker::store::SqliteLocation::File(path.clone());
    let store = worker::Store::open_sqlite(&location).await.unwrap();
    store.ping().await.unwrap();
    assert!(path.is_file(), "{} was not created", path.display());
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".sqlite"))
        .collect();
    assert_eq!(names, ["odd #1 ?x=%41.sqlite"]);
}
