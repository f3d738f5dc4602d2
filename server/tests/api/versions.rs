//! Versions of a function through the dashboard's server functions: an
//! upload under an existing version, the function page's versions and
//! migrations, and schedules whose version is not registered (`NO_WORKER`).

use axum::http::StatusCode;
use leptos::server_fn::ServerFn;
use serde_json::{Value, json};
use worker::model::NewSchedule;

use crate::access::PASSWORD;
use crate::helpers::{TestApp, spawn_app};

fn module(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../handlers/dist/{name}.wasm")),
    )
    .unwrap()
}

/// `greeter` versions 1 and 2, and a manual schedule of version 1 for each
/// name; answers the schedules' ids.
async fn greeters(app: &TestApp, names: &[&str]) -> Vec<i64> {
    let engine = app.app.engine();
    for name in ["greeter-v1", "greeter-v2"] {
        engine.register_module(&module(name), None).await.unwrap();
    }
    let mut ids = Vec::new();
    for name in names {
        let mut new = NewSchedule::new("greeter", 1, json!({ "name": name }));
        new.title = format!("Greet {}", name.trim());
        ids.push(engine.create_schedule(new).await.unwrap().id);
    }
    ids
}

#[tokio::test]
async fn an_upload_under_an_existing_version_is_unchanged_if_identical_else_409() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let path = app::functions::UploadFunction::PATH;
    let probe = module("probe");
    let mut changed = probe.clone();
    changed.extend([0x00, 0x04, 0x03, b'x', b'y', b'z']); // a custom section "xyz"

    let first = admin.upload(path, "module", "probe.wasm", &probe).await;
    let again = admin.upload(path, "module", "probe.wasm", &probe).await;
    let different = admin.upload(path, "module", "probe.wasm", &changed).await;

    assert_eq!(
        first,
        (
            StatusCode::OK,
            r#"{"id":"probe","version":1,"created":true}"#.to_string()
        )
    );
    assert_eq!(
        again,
        (
            StatusCode::OK,
            r#"{"id":"probe","version":1,"created":false}"#.to_string()
        )
    );
    assert_eq!(
        different,
        (
            StatusCode::CONFLICT,
            r#"{"Conflict":"function probe version 1 already exists with a different module or manifest; give the new one a higher version"}"#
                .to_string()
        )
    );
}

#[tokio::test]
async fn the_function_page_lists_versions_and_offers_admins_the_migration() {
    let app = spawn_app().await;
    greeters(&app, &["Ada"]).await;
    let engine = app.app.engine();
    worker::accounts::create_user(engine.store(), "ann", PASSWORD, false, engine.now())
        .await
        .unwrap();
    let fields = [("id", "greeter"), ("version", "2")];
    let path = app::functions::GetFunction::PATH;

    let for_admin: Value = app.admin().await.call_ok(path, &fields).await;
    let (status, html) = app.admin().await.get("/functions/greeter/2").await;
    let for_ann: Value = app
        .sign_in("ann", PASSWORD)
        .await
        .call_ok(path, &fields)
        .await;

    let versions = json!([
        { "version": 2, "title": "Greeter" },
        { "version": 1, "title": "Greeter" },
    ]);
    assert_eq!(for_admin["versions"], versions);
    assert_eq!(for_admin["migrates_from"], json!([1]));
    assert_eq!(
        for_admin["migrations"],
        json!([{ "from": 1, "schedules": 1, "declared": true }])
    );
    assert_eq!(for_ann["versions"], versions);
    assert_eq!(for_ann["migrations"], json!([]));
    assert_eq!(status, StatusCode::OK);
    for shown in [
        r#"href="/functions/greeter/1""#,
        "Migrate schedules from version 1",
        "This version's migration rewrites their data from version 1.",
    ] {
        assert!(html.contains(shown), "the page shows {shown}: {html}");
    }
}

#[tokio::test]
async fn an_admin_migrates_schedules_and_gets_the_report() {
    let app = spawn_app().await;
    let ids = greeters(&app, &["Ada", "   ", "Bartholomew Maximilian"]).await;
    let engine = app.app.engine();
    worker::accounts::create_user(engine.store(), "ann", PASSWORD, false, engine.now())
        .await
        .unwrap();
    let fields = [("function_id", "greeter"), ("from", "1"), ("to", "2")];
    let path = app::functions::MigrateSchedules::PATH;

    let (ann_status, ann_body) = app.sign_in("ann", PASSWORD).await.call(path, &fields).await;
    let report: Value = app.admin().await.call_ok(path, &fields).await;

    assert_eq!(
        (ann_status, ann_body.as_str()),
        (
            StatusCode::FORBIDDEN,
            r#"{"Forbidden":"only admins may do this"}"#
        )
    );
    assert_eq!(
        report,
        json!({
            "function_id": "greeter",
            "from": 1,
            "to": 2,
            "declared": true,
            "moved": [{
                "id": ids[0],
                "title": "Greet Ada",
                "data": "{\n  \"greeting\": {\n    \"name\": \"Ada\",\n    \"punctuation\": \"!\"\n  }\n}",
            }],
            "not_moved": [
                {
                    "id": ids[1],
                    "title": "Greet",
                    "reason": "the migration exited with code 1: cannot migrate: the name is \
                               blank, so there is nobody to greet",
                },
                {
                    "id": ids[2],
                    "title": "Greet Bartholomew Maximilian",
                    "reason": "the migrated data does not match version 2's dataSchema: at \
                               /greeting/name: \"Bartholomew Maximilian\" is longer than 20 \
                               characters",
                },
            ],
        })
    );
    let page: Value = app
        .admin()
        .await
        .call_ok(
            app::schedules::GetSchedule::PATH,
            &[("id", &ids[0].to_string())],
        )
        .await;
    assert_eq!(page["summary"]["function_version"], 2);
    assert_eq!(page["events"][0]["kind"], "migrated");
}

#[tokio::test]
async fn a_schedule_whose_function_version_is_gone_shows_no_worker() {
    use tower_sessions_sqlx_store::sqlx;

    let app = spawn_app().await;
    let ids = greeters(&app, &["Ada"]).await;
    let engine = app.app.engine();
    let kept = engine
        .create_schedule(NewSchedule::new("log-job", 1, json!({ "message": "hi" })))
        .await
        .unwrap()
        .id;
    // Enschedule never removes a function that has schedules: only a
    // database changed by hand gets here.
    let mut db = engine.store().pool().acquire().await.unwrap();
    for statement in [
        "PRAGMA foreign_keys = OFF",
        "DELETE FROM functions WHERE id = 'greeter' AND version = 1",
        "PRAGMA foreign_keys = ON",
    ] {
        sqlx::query(statement).execute(&mut *db).await.unwrap();
    }
    drop(db);
    let mut admin = app.admin().await;

    let list: Value = admin
        .call_ok(app::schedules::ListSchedules::PATH, &[])
        .await;
    let page: Value = admin
        .call_ok(
            app::schedules::GetSchedule::PATH,
            &[("id", &ids[0].to_string())],
        )
        .await;
    let (status, html) = admin.get(&format!("/schedules/{}", ids[0])).await;

    let no_worker: Vec<(i64, bool)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_i64().unwrap(), s["no_worker"].as_bool().unwrap()))
        .collect();
    assert_eq!(no_worker, [(kept, false), (ids[0], true)]);
    assert_eq!(page["summary"]["no_worker"], true);
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(r#"data-status="NO_WORKER""#),
        "the schedule's page shows NO_WORKER: {html}"
    );
}
