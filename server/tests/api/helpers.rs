//! A fresh application per test: in-memory SQLite, a temporary data folder.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use server::config::ServeConfig;
use server::startup::Application;
use tower::ServiceExt;

pub struct TestApp {
    pub app: Application,
    _data_dir: tempfile::TempDir,
}

pub fn config(data_dir: &std::path::Path) -> ServeConfig {
    ServeConfig {
        port: 0,
        host: "127.0.0.1".into(),
        data_dir: data_dir.to_path_buf(),
        sqlite: Some(":memory:".into()),
        import_functions: Vec::new(),
        default_timezone: "UTC".into(),
        site_root: data_dir.join("site"),
        inline_worker: false,
    }
}

pub async fn spawn_app() -> TestApp {
    let data_dir = tempfile::tempdir().expect("a temporary folder");
    let app = Application::build(&config(data_dir.path()))
        .await
        .expect("the application builds");
    TestApp {
        app,
        _data_dir: data_dir,
    }
}

impl TestApp {
    /// GETs `path`; returns the status and the body as text.
    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let request = Request::get(path).body(Body::empty()).expect("a request");
        let response = self
            .app
            .router()
            .oneshot(request)
            .await
            .expect("a response");
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }
}
