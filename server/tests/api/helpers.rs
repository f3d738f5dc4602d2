//! A fresh application per test: in-memory SQLite, a temporary data folder.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use leptos::server_fn::ServerFn;
use server::config::{DatabaseArgs, ServeConfig};
use server::startup::Application;
use tower::ServiceExt;

pub struct TestApp {
    pub app: Application,
    pub data_dir: tempfile::TempDir,
}

pub fn config(data_dir: &std::path::Path) -> ServeConfig {
    ServeConfig {
        port: 0,
        host: "127.0.0.1".into(),
        data_dir: data_dir.to_path_buf(),
        database: DatabaseArgs {
            sqlite: Some(":memory:".into()),
            ..Default::default()
        },
        import_functions: Vec::new(),
        default_timezone: "UTC".into(),
        site_root: data_dir.join("site"),
        inline_worker: false,
        admin_account: Some("admin:test-password".into()),
        api_key: Some(SERVER_KEY.into()),
        worker_url: None,
        secure_cookies: false,
        worker: Default::default(),
    }
}

pub async fn spawn_app() -> TestApp {
    let data_dir = tempfile::tempdir().expect("a temporary folder");
    let app = Application::build(&config(data_dir.path()))
        .await
        .expect("the application builds");
    TestApp { app, data_dir }
}

/// The titles of a list of schedules, in its order.
pub fn titles(list: &serde_json::Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect()
}

/// The server's API key in tests.
pub const SERVER_KEY: &str = "test-server-key";

/// The admin every test application starts with.
pub const ADMIN: (&str, &str) = ("admin", "test-password");

/// The origin requests claim, as a browser on the dashboard would send it.
const ORIGIN: &str = "http://enschedule.test";

impl TestApp {
    /// GETs `path` with no session; returns the status and the body.
    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        Session::anonymous(self).get(path).await
    }

    /// A browser session signed in as `name`.
    pub async fn sign_in(&self, name: &str, password: &str) -> Session {
        let mut session = Session::anonymous(self);
        let (status, body) = session
            .call(
                app::auth::SignIn::PATH,
                &[("name", name), ("password", password), ("next", "/")],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "signing in as {name}: {body}");
        session
    }

    pub async fn admin(&self) -> Session {
        self.sign_in(ADMIN.0, ADMIN.1).await
    }
}

impl TestApp {
    /// Calls the REST API with an `Authorization` header (none when
    /// `authorization` is empty) and a JSON body; answers the status and the
    /// JSON (`null` for an empty body).
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        authorization: &str,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        let body = body.map(|b| b.to_string());
        let (status, text) = self.api_raw(method, path, authorization, body).await;
        let json = match text.as_str() {
            "" => serde_json::Value::Null,
            text => serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}")),
        };
        (status, json)
    }

    /// The same with the body as it is sent.
    pub async fn api_raw(
        &self,
        method: &str,
        path: &str,
        authorization: &str,
        body: Option<String>,
    ) -> (StatusCode, String) {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("/api/v1{path}"));
        if !authorization.is_empty() {
            request = request.header(header::AUTHORIZATION, authorization);
        }
        let body = match body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(body)
            }
            None => Body::empty(),
        };
        Session::anonymous(self).send(request, body).await
    }
}

/// A browser: the session cookie it holds, if any, sent with each request
/// from the dashboard's own origin.
pub struct Session {
    router: axum::Router,
    pub cookie: Option<String>,
}

impl Session {
    pub fn anonymous(app: &TestApp) -> Session {
        Session::on(app.app.router())
    }

    /// A browser on any dashboard's HTTP surface.
    pub fn on(router: axum::Router) -> Session {
        Session {
            router,
            cookie: None,
        }
    }

    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let request = Request::get(path);
        self.send(request, Body::empty()).await
    }

    /// Calls a server function with form fields, as the dashboard's forms
    /// do; keeps a new session cookie if the answer sets one.
    pub async fn call(&mut self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let body = serde_urlencoded::to_string(fields).expect("form fields encode");
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, ORIGIN);
        let (status, headers, body) = self.send_raw(request, Body::from(body)).await;
        if let Some(cookie) = headers.get(header::SET_COOKIE) {
            let cookie = cookie.to_str().expect("a text cookie");
            self.cookie = Some(cookie.split(';').next().unwrap_or_default().to_string());
        }
        (status, body)
    }

    /// Calls a server function and reads its JSON answer; panics on an
    /// error status.
    pub async fn call_ok<T: serde::de::DeserializeOwned>(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> T {
        let (status, body) = self.call(path, fields).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
    }

    /// Posts one file as a multipart form, as the upload page does.
    pub async fn upload(
        &self,
        path: &str,
        field: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> (StatusCode, String) {
        let boundary = "enschedule-test-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; \
             filename=\"{file_name}\"\r\nContent-Type: application/wasm\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let request = Request::post(path)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header(header::ORIGIN, ORIGIN);
        self.send(request, Body::from(body)).await
    }

    pub async fn send(
        &self,
        request: axum::http::request::Builder,
        body: Body,
    ) -> (StatusCode, String) {
        let (status, _, body) = self.send_raw(request, body).await;
        (status, body)
    }

    pub async fn send_raw(
        &self,
        mut request: axum::http::request::Builder,
        body: Body,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        request = request.header(header::HOST, ORIGIN.trim_start_matches("http://"));
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(body).expect("a request"))
            .await
            .expect("a response");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }
}
