//! Worker instances: registration and versions, health from heartbeats,
//! runs kept to the worker a schedule names, a restart closing the runs
//! the previous process held, and stopping with a grace period.

use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as Span;
use serde_json::json;
use worker::instance::{Health, Registration};
use worker::model::{NewSchedule, RetryPolicy, RunStatus, Timing};
use worker::runtime::Runtime;
use worker::store::{Database, RunFilter};
use worker::{Engine, EngineOptions, ManualClock, Store};

use crate::helpers::{at, handler, shared_database};

fn registration(worker_id: &str, instance_id: &str, functions: &[&str]) -> Registration {
    Registration {
        worker_id: worker_id.into(),
        instance_id: instance_id.into(),
        hostname: "host-a".into(),
        title: format!("The {worker_id} worker"),
        description: String::new(),
        concurrency: 4,
        poll_interval: Duration::from_secs(1),
        functions: functions.iter().map(|f| f.to_string()).collect(),
        access: Vec::new(),
    }
}

/// An engine of `worker_id`/`instance_id` on `database`, sharing it with any
/// other engine on the same database.
async fn engine_on(
    database: &Database,
    worker_id: &str,
    instance_id: &str,
    clock: Arc<ManualClock>,
) -> Engine {
    let store = Store::open(database).await.unwrap();
    let options = EngineOptions {
        worker_id: worker_id.into(),
        instance_id: instance_id.into(),
        ..EngineOptions::default()
    };
    let engine = Engine::new(store, Runtime::new(None, 4).unwrap(), clock, options);
    for name in ["log-job", "probe"] {
        engine.register_module(&handler(name), None).await.unwrap();
    }
    engine
}

#[tokio::test]
async fn a_worker_version_rises_with_new_definitions_and_is_kept_for_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(at("2026-01-01T00:00:00Z")));
    let engine = engine_on(
        &shared_database(dir.path()).await,
        "reports",
        "reports@a",
        clock.clone(),
    )
    .await;
    let store = engine.store();
    let now = engine.now();

    let first = registration("reports", "reports@a", &["log-job@1"]);
    let same_elsewhere = Registration {
        instance_id: "reports@b".into(),
        hostname: "host-b".into(),
        concurrency: 16,
        ..first.clone()
    };
    let more = registration("reports", "reports@c", &["log-job@1", "probe@1"]);

    let versions = [
        store.register_instance(&first, now).await.unwrap(),
        store.register_instance(&first, now).await.unwrap(),
        store.register_instance(&same_elsewhere, now).await.unwrap(),
        store.register_instance(&more, now).await.unwrap(),
        // An instance still on the old definitions keeps the old version.
        store.register_instance(&first, now).await.unwrap(),
    ];
    assert_eq!(versions, [1, 1, 1, 2, 1]);

    let instances: Vec<(String, i64)> = store
        .list_instances()
        .await
        .unwrap()
        .into_iter()
        .map(|i| (i.id, i.version))
        .collect();
    assert_eq!(
        instances,
        [
            ("reports@a".to_string(), 1),
            ("reports@b".to_string(), 1),
            ("reports@c".to_string(), 2)
        ]
    );
    let workers = store.list_workers().await.unwrap();
    assert_eq!(
        workers
            .iter()
            .map(|w| (w.id.as_str(), w.title.as_str(), w.version))
            .collect::<Vec<_>>(),
        [("reports", "The reports worker", 1)]
    );
}

#[tokio::test]
async fn health_is_up_then_pending_then_down_until_a_heartbeat_and_stopped_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(at("2026-01-01T00:00:00Z")));
    let engine = engine_on(
        &shared_database(dir.path()).await,
        "inline",
        "inline@a",
        clock.clone(),
    )
    .await;
    let store = engine.store();
    store
        .register_instance(&registration("inline", "inline@a", &[]), engine.now())
        .await
        .unwrap();

    let mut seen = Vec::new();
    for step in [0, 15, 1, 44, 1] {
        clock.advance(Span::seconds(step));
        let instance = store.list_instances().await.unwrap().remove(0);
        seen.push(instance.health(engine.now()));
    }
    assert!(store.heartbeat("inline@a", engine.now()).await.unwrap());
    seen.push(store.list_instances().await.unwrap()[0].health(engine.now()));
    store.stop_instance("inline@a", engine.now()).await.unwrap();
    seen.push(store.list_instances().await.unwrap()[0].health(engine.now()));

    assert_eq!(
        seen,
        [
            Health::Up,      // 0 s
            Health::Up,      // 15 s
            Health::Pending, // 16 s
            Health::Pending, // 60 s
            Health::Down,    // 61 s
            Health::Up,      // a heartbeat
            Health::Stopped,
        ]
    );
    assert!(
        !store
            .heartbeat("nobody@nowhere", engine.now())
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_schedule_that_names_a_worker_runs_only_on_that_workers_instances() {
    let dir = tempfile::tempdir().unwrap();
    let path = shared_database(dir.path()).await;
    let clock = Arc::new(ManualClock::new(at("2026-01-01T00:00:00Z")));
    let alpha = engine_on(&path, "alpha", "alpha@a", clock.clone()).await;
    let beta = engine_on(&path, "beta", "beta@a", clock.clone()).await;
    beta.store()
        .register_instance(&registration("beta", "beta@a", &[]), beta.now())
        .await
        .unwrap();

    let unknown = alpha
        .create_schedule(NewSchedule {
            worker_id: Some("gamma".into()),
            ..NewSchedule::new("log-job", 1, json!({ "message": "?" }))
        })
        .await
        .unwrap_err();
    assert_eq!(
        unknown.to_string(),
        "workerId: there is no worker `gamma` (the workers are: alpha, beta)"
    );

    let for_beta = alpha
        .create_schedule(NewSchedule {
            worker_id: Some("beta".into()),
            ..NewSchedule::new("log-job", 1, json!({ "message": "beta only" }))
        })
        .await
        .unwrap();
    let for_anyone = alpha
        .create_schedule(NewSchedule::new(
            "log-job",
            1,
            json!({ "message": "anyone" }),
        ))
        .await
        .unwrap();
    let beta_run = alpha.run_now(for_beta.id).await.unwrap();
    let any_run = alpha.run_now(for_anyone.id).await.unwrap();

    let by_alpha = alpha.tick().await.unwrap().executed;
    let by_beta = beta.tick().await.unwrap().executed;

    assert_eq!(by_alpha, [any_run.id]);
    assert_eq!(by_beta, [beta_run.id]);
    let run = alpha.store().get_run(beta_run.id).await.unwrap();
    assert_eq!(
        (
            run.status,
            run.instance_id.as_deref(),
            run.worker_id.as_deref()
        ),
        (RunStatus::Succeeded, Some("beta@a"), Some("beta"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_instance_marks_the_runs_it_held_lost_and_retries_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = shared_database(dir.path()).await;
    let clock = Arc::new(ManualClock::new(at("2026-01-01T00:00:00Z")));
    let first_life = engine_on(&path, "inline", "inline@a", clock.clone()).await;
    let schedule = first_life
        .create_schedule(NewSchedule {
            timing: Timing::Manual,
            retry: RetryPolicy {
                max_retries: 1,
                ..RetryPolicy::default()
            },
            // Long enough to outlast starting the second engine on a loaded machine.
            ..NewSchedule::new("probe", 1, json!({ "sleepMs": 5_000 }))
        })
        .await
        .unwrap();
    let run = first_life.run_now(schedule.id).await.unwrap();
    let started = first_life.start_due().await.unwrap();
    assert_eq!(started.claimed, [run.id]);

    // The process dies; a new one starts under the same instance id.
    let second_life = engine_on(&path, "inline", "inline@a", clock.clone()).await;
    let recovered = second_life.recover_held_runs().await.unwrap();
    assert_eq!(recovered, [run.id]);

    let lost = second_life.store().get_run(run.id).await.unwrap();
    assert_eq!(lost.status, RunStatus::Lost);
    assert_eq!(
        lost.error.as_deref(),
        Some("the instance running it restarted before it ended")
    );
    let runs = second_life
        .store()
        .list_runs(&RunFilter {
            schedule_id: Some(schedule.id),
            limit: 10,
            ..RunFilter::default()
        })
        .await
        .unwrap();
    let attempts: Vec<(i64, RunStatus)> = runs.iter().map(|r| (r.attempt, r.status)).collect();
    assert_eq!(attempts, [(2, RunStatus::Pending), (1, RunStatus::Lost)]);

    // Had the first life only been frozen, the end it records later changes
    // nothing: the run is no longer its own.
    assert_eq!(started.finish().await, [run.id]);
    let still = second_life.store().get_run(run.id).await.unwrap();
    assert_eq!((still.status, still.exit_code), (RunStatus::Lost, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_lets_short_runs_finish_and_releases_the_rest_after_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let path = shared_database(dir.path()).await;
    let clock = Arc::new(ManualClock::new(at("2026-01-01T00:00:00Z")));
    let engine = engine_on(&path, "inline", "inline@a", clock.clone()).await;
    let mut ids = Vec::new();
    for sleep_ms in [100, 60_000] {
        let schedule = engine
            .create_schedule(NewSchedule::new(
                "probe",
                1,
                json!({ "stdout": "working\n", "sleepMs": sleep_ms }),
            ))
            .await
            .unwrap();
        ids.push(engine.run_now(schedule.id).await.unwrap().id);
    }

    let stop = tokio::time::sleep(Duration::from_millis(300));
    engine
        .clone()
        .run_until_stopped(stop, Duration::from_millis(500))
        .await;

    let short = engine.store().get_run(ids[0]).await.unwrap();
    let long = engine.store().get_run(ids[1]).await.unwrap();
    assert_eq!(short.status, RunStatus::Succeeded);
    assert_eq!(
        (long.status, long.instance_id, long.started_at),
        (RunStatus::Pending, None, None)
    );
}

/// BEH-06: W1 claims R and dies at t0 + 10 s (its process is gone: no
/// renewals, no heartbeats). L = 30 s, retries = 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_workers_run_is_lost_within_the_lease_and_retried_on_another() {
    for max_retries in [1, 0] {
        let dir = tempfile::tempdir().unwrap();
        let path = shared_database(dir.path()).await;
        let clock = Arc::new(ManualClock::new(at("2026-01-01T00:00:00Z")));
        let w1 = engine_on(&path, "inline", "inline@w1", clock.clone()).await;
        let w2 = engine_on(&path, "inline", "inline@w2", clock.clone()).await;
        for (engine, id) in [(&w1, "inline@w1"), (&w2, "inline@w2")] {
            engine
                .store()
                .register_instance(&registration("inline", id, &[]), engine.now())
                .await
                .unwrap();
        }
        let schedule = w1
            .create_schedule(NewSchedule {
                retry: RetryPolicy {
                    max_retries,
                    ..RetryPolicy::default()
                },
                ..NewSchedule::new("probe", 1, json!({ "sleepMs": 200 }))
            })
            .await
            .unwrap();
        let r = w1.run_now(schedule.id).await.unwrap();
        let claimed = w1.start_due().await.unwrap();
        assert_eq!(claimed.claimed, [r.id]);
        let t0 = w1.now();

        // kill -9 at t0 + 10 s: the run goes nowhere, its lease is not renewed.
        clock.advance(Span::seconds(10));
        drop(claimed);

        // W2 looks every second; the run leaves `running` once the lease is over.
        let mut lost_at = None;
        for _ in 0..40 {
            clock.advance(Span::seconds(1));
            if !w2.tick().await.unwrap().lost.is_empty() {
                lost_at = Some(w2.now());
                break;
            }
        }
        let lost_at = lost_at.expect("the run was never marked lost");
        assert!(lost_at - t0 <= Span::seconds(50), "lost only at {lost_at}");
        let attempt_one = w2.store().get_run(r.id).await.unwrap();
        assert_eq!(attempt_one.status, RunStatus::Lost);
        assert_eq!(
            attempt_one.error.as_deref(),
            Some("the instance running it stopped renewing its lease")
        );

        // The retry waits for its backoff, then W2 runs it to the end.
        clock.advance(Span::seconds(30));
        w2.tick().await.unwrap();
        let runs = w2
            .store()
            .list_runs(&RunFilter {
                schedule_id: Some(schedule.id),
                limit: 10,
                ..RunFilter::default()
            })
            .await
            .unwrap();
        let attempts: Vec<(i64, RunStatus, Option<&str>)> = runs
            .iter()
            .map(|r| (r.attempt, r.status, r.instance_id.as_deref()))
            .collect();
        match max_retries {
            1 => assert_eq!(
                attempts,
                [
                    (2, RunStatus::Succeeded, Some("inline@w2")),
                    (1, RunStatus::Lost, Some("inline@w1"))
                ]
            ),
            _ => assert_eq!(attempts, [(1, RunStatus::Lost, Some("inline@w1"))]),
        }

        // W1 stopped beating at t0: after the pending minute it is down.
        let w1_health = w2
            .store()
            .list_instances()
            .await
            .unwrap()
            .into_iter()
            .find(|i| i.id == "inline@w1")
            .unwrap()
            .health(w2.now());
        assert_eq!(w1_health, Health::Down);
    }
}
