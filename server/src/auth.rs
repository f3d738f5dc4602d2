//! Sessions and the guards in front of the dashboard.
//!
//! A *session* lives in the database (the session store's own table), or in
//! memory for a dashboard without a database (`WORKER_URL`), and is named by
//! an HttpOnly, SameSite=Lax cookie, Secure when the dashboard
//! is served over HTTPS. Two guards run before the dashboard: pages need a
//! signed-in session (else a redirect to the sign-in page), and requests
//! that change something must come from the dashboard's own origin, so
//! another site cannot make a signed-in browser act for it.

use std::str::FromStr;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::Duration;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions::{Expiry, MemoryStore, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::{MySqlStore, PostgresStore, SqliteStore};
use worker::store::{Database, SqliteLocation};

use crate::startup::Backend;

/// How long a session lasts without being used.
const IDLE_EXPIRY_DAYS: i64 = 7;

/// The session layer: in the database, with its table created and expired
/// sessions pruned hourly in the background; in memory with no database.
pub async fn session_layer(
    database: Option<&Database>,
    secure: bool,
) -> anyhow::Result<SessionManagerLayer<Sessions>> {
    let store = match database {
        Some(database) => {
            let store = Sessions::open(database).await?;
            store.migrate().await?;
            tokio::spawn(
                store
                    .clone()
                    .continuously_delete_expired(tokio::time::Duration::from_secs(3600)),
            );
            store
        }
        None => Sessions::Memory(MemoryStore::default()),
    };
    Ok(SessionManagerLayer::new(store)
        .with_name("enschedule_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_expiry(Expiry::OnInactivity(Duration::days(IDLE_EXPIRY_DAYS))))
}

#[derive(Debug, Clone)]
pub enum Sessions {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
    MySql(MySqlStore),
    /// Kept in this process: a dashboard without a database. Expired
    /// sessions are never read again, and go when the process ends.
    Memory(MemoryStore),
}

impl Sessions {
    async fn open(database: &Database) -> anyhow::Result<Sessions> {
        Ok(match database {
            Database::Sqlite(location) => {
                let options = match location {
                    SqliteLocation::Memory => {
                        sqlx::sqlite::SqliteConnectOptions::from_str("sqlite::memory:")?
                    }
                    SqliteLocation::File(path) => sqlx::sqlite::SqliteConnectOptions::new()
                        .filename(path)
                        .create_if_missing(true)
                        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal),
                }
                .busy_timeout(std::time::Duration::from_secs(10));
                // An in-memory database lives as long as its one connection.
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(match location {
                        SqliteLocation::Memory => 1,
                        SqliteLocation::File(_) => 4,
                    })
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .connect_with(options)
                    .await?;
                Sessions::Sqlite(SqliteStore::new(pool))
            }
            Database::Postgres(url) => {
                Sessions::Postgres(PostgresStore::new(sqlx::PgPool::connect(url).await?))
            }
            Database::MySql(url) => {
                // In the store's own database, not in a schema of its own.
                let name = url::Url::parse(url)?
                    .path()
                    .trim_start_matches('/')
                    .to_string();
                let store = MySqlStore::new(sqlx::MySqlPool::connect(url).await?);
                Sessions::MySql(match name.is_empty() {
                    true => store,
                    false => store.with_schema_name(&name).map_err(anyhow::Error::msg)?,
                })
            }
        })
    }

    async fn migrate(&self) -> sqlx::Result<()> {
        match self {
            Sessions::Sqlite(store) => store.migrate().await,
            Sessions::Postgres(store) => store.migrate().await,
            Sessions::MySql(store) => store.migrate().await,
            Sessions::Memory(_) => Ok(()),
        }
    }
}

#[async_trait::async_trait]
impl SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Sessions::Sqlite(store) => store.create(record).await,
            Sessions::Postgres(store) => store.create(record).await,
            Sessions::MySql(store) => store.create(record).await,
            Sessions::Memory(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Sessions::Sqlite(store) => store.save(record).await,
            Sessions::Postgres(store) => store.save(record).await,
            Sessions::MySql(store) => store.save(record).await,
            Sessions::Memory(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Sessions::Sqlite(store) => store.load(id).await,
            Sessions::Postgres(store) => store.load(id).await,
            Sessions::MySql(store) => store.load(id).await,
            Sessions::Memory(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Sessions::Sqlite(store) => store.delete(id).await,
            Sessions::Postgres(store) => store.delete(id).await,
            Sessions::MySql(store) => store.delete(id).await,
            Sessions::Memory(store) => store.delete(id).await,
        }
    }
}

#[async_trait::async_trait]
impl ExpiredDeletion for Sessions {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Sessions::Sqlite(store) => store.delete_expired().await,
            Sessions::Postgres(store) => store.delete_expired().await,
            Sessions::MySql(store) => store.delete_expired().await,
            Sessions::Memory(_) => Ok(()),
        }
    }
}

/// Paths anyone may load: the sign-in page, the browser bundle, the REST API
/// (it authenticates by key) and the server functions (each checks the
/// session itself and answers 401).
fn is_public(path: &str) -> bool {
    path == "/sign-in"
        || path.starts_with("/pkg/")
        || path.starts_with("/api/")
        || path == "/favicon.ico"
}

/// Sends a browser that is not signed in to the sign-in page, with the page
/// it wanted to come back to.
pub async fn require_sign_in(
    State(backend): State<Backend>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if is_public(path) || !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let signed_in = match &backend {
        Backend::Local(engine) => app::auth::ssr::user_of_session(&session, engine.store())
            .await
            .map(|user| user.is_some()),
        Backend::Remote(worker) => app::auth::ssr::user_of_remote_session(&session, worker)
            .await
            .map(|user| user.is_some()),
    };
    match signed_in {
        Ok(true) => next.run(request).await,
        Ok(false) => {
            let wanted = request
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_string();
            let to = format!("/sign-in?next={}", encode_query_value(&wanted));
            Redirect::to(&to).into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Refuses a request that changes something (anything but GET, HEAD and
/// OPTIONS) from another origin. Browsers send `Origin` with such requests;
/// without it, `Referer` stands in. The REST API is left alone: it takes
/// keys in a header, which another site cannot make a browser send.
pub async fn same_origin(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || request.uri().path().starts_with("/api/v1/") {
        return next.run(request).await;
    }
    if from_own_origin(request.headers()) {
        return next.run(request).await;
    }
    tracing::warn!(path = %request.uri().path(), "cross-origin request refused");
    (
        StatusCode::FORBIDDEN,
        "Cross-origin request refused: changes must come from the dashboard itself",
    )
        .into_response()
}

fn from_own_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let origin = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|o| o.to_str().ok());
    origin.is_some_and(|origin| {
        let rest = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        rest.is_some_and(|rest| rest.split('/').next() == Some(host))
    })
}

/// Percent-encodes what a query value cannot hold as it is.
fn encode_query_value(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The most of a server function's error answer that is read to find its
/// status; errors are a sentence, far below this.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Gives a server function's error answer the status its kind calls for
/// (401, 403, 404, 409, 422…). Leptos answers every error with 500; the
/// body says which error it is.
pub async fn server_fn_status(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let server_fn = path.starts_with("/api/") && !path.starts_with("/api/v1/");
    let response = next.run(request).await;
    if !server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ERROR_BODY_LIMIT).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.status()).unwrap_or(parts.status);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Refuses a module upload that is not a multipart form: the server
/// function's decoder would fail on it without an answer.
pub async fn multipart_uploads(request: Request, next: Next) -> Response {
    use leptos::server_fn::ServerFn;

    let upload = request.uri().path() == app::functions::UploadFunction::PATH;
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data") && v.contains("boundary="));
    if upload && !multipart {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the module as multipart/form-data",
        )
            .into_response();
    }
    next.run(request).await
}
