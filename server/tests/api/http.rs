use axum::http::StatusCode;

use crate::helpers::{config, spawn_app};

#[tokio::test]
async fn healthz_answers_ok_when_the_database_answers() {
    let app = spawn_app().await;

    let (status, body) = app.get("/api/v1/healthz").await;

    assert_eq!(status, StatusCode::OK);
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({ "status": "ok", "database": "ok", "version": env!("CARGO_PKG_VERSION") })
    );
}

#[tokio::test]
async fn the_functions_page_is_rendered_on_the_server_with_the_bundled_handler() {
    let app = spawn_app().await;
    let admin = app.admin().await;

    let (status, body) = admin.get("/functions").await;

    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("<title>Functions · Enschedule</title>"),
        "{body}"
    );
    assert!(body.contains(r#"<a href="/functions/log-job/1""#), "{body}");
    assert!(body.contains(">Log message</a>"), "{body}");
}

#[tokio::test]
async fn an_unknown_page_answers_404() {
    let app = spawn_app().await;
    let admin = app.admin().await;

    let (status, body) = admin.get("/no/such/page").await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("There is no page at this address."), "{body}");
}

#[tokio::test]
async fn imported_functions_are_registered_at_start() {
    let data_dir = tempfile::tempdir().unwrap();
    let probe =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../handlers/dist/probe.wasm");
    let mut config = config(data_dir.path());
    config.import_functions = vec![probe];

    let app = server::startup::Application::build(&config).await.unwrap();

    let functions = app.engine().store().list_functions().await.unwrap();
    let ids: Vec<(String, i64)> = functions
        .iter()
        .map(|f| (f.id.clone(), f.version))
        .collect();
    assert_eq!(
        ids,
        [
            ("log-job".to_string(), 1),
            ("probe".to_string(), 1),
            ("send-http-request".to_string(), 1)
        ]
    );
}

#[tokio::test]
async fn an_import_that_is_not_a_module_stops_the_start_with_its_name() {
    let data_dir = tempfile::tempdir().unwrap();
    let bogus = data_dir.path().join("bogus.wasm");
    std::fs::write(&bogus, b"not wasm").unwrap();
    let mut config = config(data_dir.path());
    config.import_functions = vec![bogus.clone()];

    let error = server::startup::Application::build(&config)
        .await
        .err()
        .expect("refused");

    assert_eq!(
        format!("{error:#}"),
        format!(
            "IMPORT_FUNCTIONS: {} was refused: the file is not a WebAssembly module (it does not start with `\\0asm`)",
            bogus.display()
        )
    );
}

#[tokio::test]
async fn text_in_a_textarea_cannot_end_it_and_inject_markup() {
    let app = spawn_app().await;
    let engine = app.app.engine();
    let mut new = worker::model::NewSchedule::new(
        "log-job",
        1,
        serde_json::json!({ "message": "</textarea><script>alert(2)</script>" }),
    );
    new.description = "</textarea><script>alert(1)</script>".into();
    let id = engine.create_schedule(new).await.unwrap().id;
    let admin = app.admin().await;

    let (status, body) = admin.get(&format!("/schedules/{id}/edit")).await;

    assert_eq!(status, StatusCode::OK);
    assert!(!body.contains("<script>alert"), "{body}");
    assert!(
        body.contains("&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{body}"
    );
}

#[test]
fn the_configuration_never_prints_its_secrets() {
    let data_dir = tempfile::tempdir().unwrap();
    let config = config(data_dir.path());

    let printed = format!("{config:?}");

    assert!(!printed.contains("test-password"), "{printed}");
    assert!(!printed.contains(crate::helpers::SERVER_KEY), "{printed}");
    assert!(
        printed.contains(r#"api_key: Some("[redacted]")"#),
        "{printed}"
    );
}
