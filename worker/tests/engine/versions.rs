//! Versions of a function: `(id, version)` never changes, a new version
//! lives beside the old one, and migrations move schedules to it; a schedule
//! whose version is not registered waits (`NO_WORKER`).

use chrono::Duration;
use serde_json::{Value, json};
use worker::manifest::Manifest;
use worker::migrate::{MigrationReport, Moved, NotMoved};
use worker::model::{EventKind, NewSchedule, Timing, Trigger};
use worker::store::{Registered, RunFilter};

use crate::helpers::{TestEngine, bare_command_module, engine_at, handler, rfc3339};

/// An engine with `greeter` version 1 and version 2 registered.
async fn with_greeters() -> TestEngine {
    let t = engine_at("2026-01-01T00:00:00Z").await;
    for name in ["greeter-v1", "greeter-v2"] {
        t.engine
            .register_module(&handler(name), None)
            .await
            .unwrap();
    }
    t
}

/// A manual schedule of `greeter` version 1.
async fn greet(t: &TestEngine, title: &str, name: &str) -> i64 {
    let mut new = NewSchedule::new("greeter", 1, json!({ "name": name }));
    new.title = title.to_string();
    t.engine.create_schedule(new).await.unwrap().id
}

/// A schedule's version and data, as stored.
async fn where_is(t: &TestEngine, id: i64) -> (i64, Value) {
    let schedule = t.engine.store().get_schedule(id).await.unwrap();
    (schedule.function_version, schedule.data)
}

/// The kind and reason of a schedule's latest event.
async fn latest_event(t: &TestEngine, id: i64) -> (EventKind, String) {
    let events = t.engine.store().list_events(id, 1).await.unwrap();
    (events[0].kind, events[0].reason.clone())
}

fn bare_manifest(id: &str, version: i64, schema: Value, example: Value) -> Manifest {
    serde_json::from_value(json!({
        "id": id, "version": version, "title": "Bare", "dataSchema": schema, "example": example,
    }))
    .unwrap()
}

#[tokio::test]
async fn the_same_module_again_under_its_version_changes_nothing() {
    let t = engine_at("2026-01-01T00:00:00Z").await;

    let (_, first) = t
        .engine
        .register_module(&handler("greeter-v1"), None)
        .await
        .unwrap();
    let (_, again) = t
        .engine
        .register_module(&handler("greeter-v1"), None)
        .await
        .unwrap();

    assert_eq!((first, again), (Registered::Created, Registered::Unchanged));
}

#[tokio::test]
async fn another_module_under_an_existing_version_is_refused_and_the_first_kept() {
    let t = with_greeters().await;
    let mut changed = handler("greeter-v1");
    changed.extend([0x00, 0x04, 0x03, b'x', b'y', b'z']); // a custom section "xyz"

    let error = t.engine.register_module(&changed, None).await.unwrap_err();

    assert_eq!(
        error.to_string(),
        "function greeter version 1 already exists with a different module or manifest; \
         give the new one a higher version"
    );
    let kept = t.engine.store().get_function("greeter", 1).await.unwrap();
    assert_eq!(
        kept.module_hash,
        worker::store::module_hash(&handler("greeter-v1"))
    );
}

#[tokio::test]
async fn a_new_version_lives_beside_the_old_and_schedules_stay_on_theirs() {
    let t = engine_at("2026-01-01T00:00:00Z").await;
    t.engine
        .register_module(&handler("greeter-v1"), None)
        .await
        .unwrap();
    let ada = greet(&t, "Ada", "Ada").await;

    let (manifest, registered) = t
        .engine
        .register_module(&handler("greeter-v2"), None)
        .await
        .unwrap();
    t.engine.run_now(ada).await.unwrap();
    t.engine.tick().await.unwrap();

    assert_eq!(registered, Registered::Created);
    assert_eq!(manifest.migrates_from, [1]);
    let versions: Vec<(String, i64, Vec<i64>)> = t
        .engine
        .store()
        .list_functions()
        .await
        .unwrap()
        .into_iter()
        .filter(|f| f.id == "greeter")
        .map(|f| (f.id, f.version, f.migrates_from))
        .collect();
    assert_eq!(
        versions,
        [
            ("greeter".into(), 2, vec![1]),
            ("greeter".into(), 1, vec![])
        ]
    );
    assert_eq!(where_is(&t, ada).await, (1, json!({ "name": "Ada" })));
    let runs = t
        .engine
        .store()
        .list_runs(&RunFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let stdout = t
        .engine
        .store()
        .run_output(runs[0].id, worker::model::Stream::Stdout)
        .await
        .unwrap();
    assert_eq!(
        (runs[0].function_version, stdout.bytes),
        (1, b"Hello, Ada\n".to_vec())
    );
}

#[tokio::test]
async fn a_migration_moves_the_schedules_whose_data_converts_and_reports_the_rest() {
    let t = with_greeters().await;
    let ada = greet(&t, "Ada", "Ada").await;
    let blank = greet(&t, "Blank", "   ").await;
    let long = greet(&t, "Long", "Bartholomew Maximilian").await;
    let grace = greet(&t, "Grace", " Grace ").await;

    let report = t.engine.migrate_schedules("greeter", 1, 2).await.unwrap();

    let greeting = |name: &str| json!({ "greeting": { "name": name, "punctuation": "!" } });
    assert_eq!(
        report,
        MigrationReport {
            function_id: "greeter".into(),
            from: 1,
            to: 2,
            declared: true,
            moved: vec![
                Moved {
                    schedule_id: ada,
                    title: "Ada".into(),
                    data: greeting("Ada"),
                },
                Moved {
                    schedule_id: grace,
                    title: "Grace".into(),
                    data: greeting("Grace"),
                },
            ],
            not_moved: vec![
                NotMoved {
                    schedule_id: blank,
                    title: "Blank".into(),
                    reason: "the migration exited with code 1: cannot migrate: the name is \
                             blank, so there is nobody to greet"
                        .into(),
                },
                NotMoved {
                    schedule_id: long,
                    title: "Long".into(),
                    reason: "the migrated data does not match version 2's dataSchema: at \
                             /greeting/name: \"Bartholomew Maximilian\" is longer than 20 \
                             characters"
                        .into(),
                },
            ],
        }
    );
    assert_eq!(where_is(&t, ada).await, (2, greeting("Ada")));
    assert_eq!(where_is(&t, grace).await, (2, greeting("Grace")));
    assert_eq!(where_is(&t, blank).await, (1, json!({ "name": "   " })));
    assert_eq!(
        where_is(&t, long).await,
        (1, json!({ "name": "Bartholomew Maximilian" }))
    );
    assert_eq!(
        latest_event(&t, ada).await,
        (
            EventKind::Migrated,
            "moved from version 1 to version 2; version 2's migration rewrote the data".into()
        )
    );
    assert_eq!(
        latest_event(&t, blank).await,
        (
            EventKind::NotMigrated,
            "stays on version 1, not moved to version 2: the migration exited with code 1: \
             cannot migrate: the name is blank, so there is nobody to greet"
                .into()
        )
    );
}

#[tokio::test]
async fn a_migrated_schedule_runs_the_new_version_on_its_new_data() {
    let t = with_greeters().await;
    let ada = greet(&t, "Ada", "Ada").await;
    t.engine.migrate_schedules("greeter", 1, 2).await.unwrap();

    let run = t.engine.run_now(ada).await.unwrap();
    t.engine.tick().await.unwrap();

    let stdout = t
        .engine
        .store()
        .run_output(run.id, worker::model::Stream::Stdout)
        .await
        .unwrap();
    assert_eq!(
        (run.function_version, stdout.bytes),
        (2, b"Hello, Ada!\n".to_vec())
    );
}

#[tokio::test]
async fn without_a_declared_migration_only_data_that_fits_moves_and_unchanged() {
    let t = with_greeters().await;
    let short = bare_manifest(
        "greeter",
        3,
        json!({ "type": "object", "properties": { "name": { "type": "string", "maxLength": 10 } },
                "required": ["name"] }),
        json!({ "name": "Ada" }),
    );
    t.engine
        .register_module(&bare_command_module(), Some(short))
        .await
        .unwrap();
    let ada = greet(&t, "Ada", "Ada").await;
    let long = greet(&t, "Long", "Bartholomew Maximilian").await;

    let report = t.engine.migrate_schedules("greeter", 1, 3).await.unwrap();

    assert!(!report.declared);
    assert_eq!(
        report.moved,
        [Moved {
            schedule_id: ada,
            title: "Ada".into(),
            data: json!({ "name": "Ada" }),
        }]
    );
    assert_eq!(
        report.not_moved,
        [NotMoved {
            schedule_id: long,
            title: "Long".into(),
            reason: "version 3 declares no migration from version 1, and the data does not \
                     match its dataSchema: at /name: \"Bartholomew Maximilian\" is longer than \
                     10 characters"
                .into(),
        }]
    );
    assert_eq!(where_is(&t, ada).await, (3, json!({ "name": "Ada" })));
    assert_eq!(
        latest_event(&t, ada).await,
        (
            EventKind::Migrated,
            "moved from version 1 to version 3; the data is unchanged: version 3 declares no \
             migration from version 1, and the data matches its dataSchema"
                .into()
        )
    );
}

#[tokio::test]
async fn a_migration_that_writes_no_json_leaves_the_schedule_with_the_parse_error() {
    let t = engine_at("2026-01-01T00:00:00Z").await;
    let schema = json!({ "type": "object" });
    t.engine
        .register_module(
            &bare_command_module(),
            Some(bare_manifest("bare", 1, schema.clone(), json!({}))),
        )
        .await
        .unwrap();
    let mut v2 = bare_manifest("bare", 2, schema, json!({}));
    v2.migrates_from = vec![1];
    t.engine
        .register_module(&bare_command_module(), Some(v2))
        .await
        .unwrap();
    let schedule = t
        .engine
        .create_schedule(NewSchedule::new("bare", 1, json!({})))
        .await
        .unwrap();

    let report = t.engine.migrate_schedules("bare", 1, 2).await.unwrap();

    assert_eq!(report.moved, []);
    assert_eq!(
        report.not_moved,
        [NotMoved {
            schedule_id: schedule.id,
            title: "Bare".into(),
            reason: "the migration's output is not JSON: EOF while parsing a value at line 1 \
                     column 0"
                .into(),
        }]
    );
}

#[tokio::test]
async fn migrating_to_an_older_or_a_missing_version_is_refused() {
    let t = with_greeters().await;
    greet(&t, "Ada", "Ada").await;

    let backwards = t.engine.migrate_schedules("greeter", 2, 1).await;
    let missing = t.engine.migrate_schedules("greeter", 1, 9).await;

    assert_eq!(
        backwards.unwrap_err().to_string(),
        "from: version 2 is not older than version 1: schedules migrate to a newer version"
    );
    assert_eq!(
        missing.unwrap_err().to_string(),
        "function greeter version 9 not found"
    );
}

#[tokio::test]
async fn a_manifest_may_migrate_only_from_older_versions() {
    let refuse = |version: i64, migrates_from: Vec<i64>| {
        let mut manifest = bare_manifest("bare", version, json!({}), json!({}));
        manifest.migrates_from = migrates_from;
        manifest.validate().unwrap_err().to_string()
    };

    assert_eq!(
        refuse(2, vec![1, 2]),
        "migratesFrom: 2 is not an older version: version 2 can migrate from versions 1 to 1"
    );
    assert_eq!(
        refuse(3, vec![0]),
        "migratesFrom: 0 is not an older version: version 3 can migrate from versions 1 to 2"
    );
    assert_eq!(
        refuse(1, vec![1]),
        "migratesFrom: 1: version 1 has no older versions to migrate from"
    );
}

/// NO_WORKER: Enschedule refuses a schedule for a version that is not
/// registered, and never removes a function that has schedules, so only a
/// database changed by hand gets there; the schedule then waits.
#[tokio::test]
async fn a_schedule_whose_function_version_is_gone_fires_nothing_until_it_is_back() {
    let t = engine_at("2026-01-01T00:00:30Z").await;
    t.engine
        .register_module(&handler("greeter-v1"), None)
        .await
        .unwrap();
    let refused = t
        .engine
        .create_schedule(NewSchedule::new("greeter", 9, json!({ "name": "Ada" })))
        .await
        .unwrap_err();
    let schedule = t
        .engine
        .create_schedule(NewSchedule {
            timing: Timing::Cron {
                expression: "* * * * *".into(),
                phrase: None,
            },
            ..NewSchedule::new("greeter", 1, json!({ "name": "Ada" }))
        })
        .await
        .unwrap();
    crate::helpers::delete_function_by_hand(t.engine.store(), "greeter", 1).await;

    t.clock.advance(Duration::minutes(3));
    let while_gone = t.engine.tick().await.unwrap();
    t.engine
        .register_module(&handler("greeter-v1"), None)
        .await
        .unwrap();
    let once_back = t.engine.tick().await.unwrap();

    assert_eq!(refused.to_string(), "function greeter version 9 not found");
    assert_eq!(while_gone, Default::default());
    assert_eq!(once_back.fired.len(), 1);
    let run = t.engine.store().get_run(once_back.fired[0]).await.unwrap();
    assert_eq!(
        (rfc3339(run.scheduled_for), run.trigger),
        ("2026-01-01T00:03:00Z".to_string(), Trigger::CatchUp)
    );
    let events = t.engine.store().list_events(schedule.id, 10).await.unwrap();
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::CaughtUp, EventKind::Skipped]);
}
