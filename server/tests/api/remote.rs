//! A dashboard with no database in front of a worker's API (`WORKER_URL`):
//! people sign in through the worker, every server function is answered
//! there as the user who signed in (so their rights hold), and signing out
//! revokes the token on the worker.

use axum::http::StatusCode;
use leptos::server_fn::ServerFn;
use serde_json::{Value, json};
use server::startup::RemoteDashboard;

use crate::access::{PASSWORD, world};
use crate::helpers::{ADMIN, SERVER_KEY, Session, TestApp, config, spawn_app, titles};

/// A worker application serving on a real port, and its URL.
async fn serving_worker() -> (TestApp, String) {
    let worker = spawn_app().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(axum::serve(listener, worker.app.router()).into_future());
    (worker, url)
}

/// A worker serving on a real port, and a remote dashboard in front of it.
async fn worker_and_dashboard() -> (TestApp, RemoteDashboard) {
    let (worker, url) = serving_worker().await;
    let dashboard = RemoteDashboard::build(&config(worker.data_dir.path()), &url)
        .await
        .expect("the remote dashboard builds");
    (worker, dashboard)
}

/// Why a remote dashboard in front of `url` does not start.
async fn refusal(settings: &server::config::ServeConfig, url: &str) -> String {
    match RemoteDashboard::build(settings, url).await {
        Ok(_) => panic!("a remote dashboard started in front of {url}"),
        Err(error) => format!("{error:#}"),
    }
}

async fn signed_in(dashboard: &RemoteDashboard, name: &str, password: &str) -> Session {
    let mut session = Session::on(dashboard.router());
    let (status, body) = session
        .call(
            app::auth::SignIn::PATH,
            &[
                ("name", name),
                ("password", password),
                ("next", "/schedules"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "signing in as {name}: {body}");
    assert_eq!(body, r#""/schedules""#);
    session
}

#[tokio::test]
async fn a_remote_dashboard_shows_the_workers_schedules_to_each_user_as_their_rights_allow() {
    let (worker, dashboard) = worker_and_dashboard().await;
    let w = world(&worker).await;
    let list = app::schedules::ListSchedules::PATH;

    let mut admin = signed_in(&dashboard, ADMIN.0, ADMIN.1).await;
    let me: Value = admin.call_ok(app::auth::Me::PATH, &[]).await;
    assert_eq!(me, json!({ "name": "admin", "admin": true, "groups": [] }));
    // Newest first, as on a dashboard with its own database.
    let schedules: Value = admin.call_ok(list, &[]).await;
    assert_eq!(titles(&schedules), ["Restricted", "Open"]);
    assert_eq!(schedules[1]["id"], json!(w.open));

    // ann may not see the restricted schedule, nor its run.
    let mut ann = signed_in(&dashboard, "ann", PASSWORD).await;
    let schedules: Value = ann.call_ok(list, &[]).await;
    assert_eq!(titles(&schedules), ["Open"]);
    let (status, body) = ann
        .call(
            app::runs::GetRun::PATH,
            &[("id", &w.restricted_run.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = ann.call(app::admin::ListAccounts::PATH, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body, r#"{"Forbidden":"only admins may do this"}"#);

    // dan may; the run's page comes from the worker's database.
    let mut dan = signed_in(&dashboard, "dan", PASSWORD).await;
    let schedules: Value = dan.call_ok(list, &[]).await;
    assert_eq!(titles(&schedules), ["Restricted", "Open"]);
    let run: Value = dan
        .call_ok(
            app::runs::GetRun::PATH,
            &[("id", &w.restricted_run.to_string())],
        )
        .await;
    assert_eq!(run["summary"]["schedule_title"], json!("Restricted"));

    // A page is rendered with the worker's answers.
    let (status, page) = admin.get(&format!("/schedules/{}", w.restricted)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Restricted"), "{page}");
}

#[tokio::test]
async fn a_remote_dashboard_changes_the_workers_database_for_an_admin() {
    let (worker, dashboard) = worker_and_dashboard().await;
    let mut admin = signed_in(&dashboard, ADMIN.0, ADMIN.1).await;

    let (status, body) = admin
        .call(
            app::admin::CreateUser::PATH,
            &[
                ("name", "remote-made"),
                ("password", PASSWORD),
                ("admin", "on"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let store = worker.app.engine().store();
    let user = store.find_user("remote-made").await.unwrap().unwrap().user;
    assert_eq!((user.name.as_str(), user.admin), ("remote-made", true));
}

#[tokio::test]
async fn signing_in_on_a_remote_dashboard_with_a_wrong_password_is_refused_by_the_worker() {
    let (_worker, dashboard) = worker_and_dashboard().await;
    let mut session = Session::on(dashboard.router());

    let (status, body) = session
        .call(
            app::auth::SignIn::PATH,
            &[("name", "admin"), ("password", "not-it"), ("next", "/")],
        )
        .await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        r#"{"Unauthorized":"the user name or the password is wrong"}"#
    );
    let (status, _) = session.get("/schedules").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn signing_out_of_a_remote_dashboard_revokes_its_token_on_the_worker() {
    let (worker, dashboard) = worker_and_dashboard().await;
    let mut admin = signed_in(&dashboard, ADMIN.0, ADMIN.1).await;
    let store = worker.app.engine().store();
    let keys = store.list_api_keys(None).await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].name, worker::accounts::LOGIN_TOKEN);
    assert_eq!(keys[0].revoked_at, None);

    let (status, body) = admin.call(app::auth::SignOut::PATH, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let keys = store.list_api_keys(None).await.unwrap();
    assert!(keys[0].revoked_at.is_some(), "{keys:?}");
    let me: Value = admin.call_ok(app::auth::Me::PATH, &[]).await;
    assert_eq!(me, Value::Null);
    let (status, _) = admin.get("/schedules").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn signing_out_everywhere_ends_the_remote_dashboards_sessions_too() {
    let (_worker, dashboard) = worker_and_dashboard().await;
    let mut first = signed_in(&dashboard, ADMIN.0, ADMIN.1).await;
    let mut second = signed_in(&dashboard, ADMIN.0, ADMIN.1).await;

    let (status, body) = first.call(app::auth::SignOutEverywhere::PATH, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let me: Value = second.call_ok(app::auth::Me::PATH, &[]).await;
    assert_eq!(me, Value::Null);
    let (status, body) = second.call(app::schedules::ListSchedules::PATH, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

#[tokio::test]
async fn a_remote_dashboard_will_not_start_with_a_key_the_worker_refuses() {
    let (worker, url) = serving_worker().await;
    let mut settings = config(worker.data_dir.path());
    settings.api_key = Some(format!("{SERVER_KEY}-wrong"));

    let error = refusal(&settings, &url).await;

    assert_eq!(
        error,
        format!("API_KEY: the worker at {url}/api/v1 refused it: the server API key is not valid")
    );
}

#[tokio::test]
async fn worker_url_must_be_an_http_url() {
    let data_dir = tempfile::tempdir().unwrap();
    let settings = config(data_dir.path());

    let error = refusal(&settings, "ftp://example.com").await;

    assert_eq!(
        error,
        "WORKER_URL: `ftp://example.com` is not an http or https URL"
    );
}

#[tokio::test]
async fn a_module_uploaded_on_a_remote_dashboard_is_registered_on_the_worker() {
    let (worker, dashboard) = worker_and_dashboard().await;
    let probe = std::fs::read(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../handlers/dist/probe.wasm"),
    )
    .unwrap();
    let path = app::functions::UploadFunction::PATH;
    let admin = signed_in(&dashboard, ADMIN.0, ADMIN.1).await;
    world(&worker).await;
    let ann = signed_in(&dashboard, "ann", PASSWORD).await;

    let refused = ann.upload(path, "module", "probe.wasm", &probe).await;
    let uploaded = admin.upload(path, "module", "probe.wasm", &probe).await;

    assert_eq!(
        refused,
        (
            StatusCode::FORBIDDEN,
            r#"{"Forbidden":"only admins may do this"}"#.to_string()
        )
    );
    assert_eq!(
        uploaded,
        (
            StatusCode::OK,
            r#"{"id":"probe","version":1,"created":true}"#.to_string()
        )
    );
    let function = worker
        .app
        .engine()
        .store()
        .get_function("probe", 1)
        .await
        .unwrap();
    assert_eq!(function.id, "probe");
}
