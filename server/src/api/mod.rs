//! The REST API under `/api/v1`.
//!
//! A *caller* proves who they are with the `Authorization` header:
//! `Api-Key <key>` is the server's own key (`API_KEY`, every right),
//! `User-Api-Key <key>` or `Bearer <key>` one of a user's API keys (that
//! user's rights). The server's key with a user's token beside it in the
//! `Enschedule-User-Token` header acts as that user: a dashboard without a
//! database calls that way for whoever signed in to it (see [`dashboard`]).
//! Every handler decides with `worker::access`, as the dashboard does.
//! Errors are JSON: `{"error": {"code", "message", "field"}}`.

mod dashboard;
mod functions;
mod runs;
mod schedules;
mod workers;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use worker::access::{Access, Caller, Denied};
use worker::accounts::{
    LOGIN_TOKEN, SignInError, SignInLimiter, User, check_credentials, hash_key, issue_api_key,
};
use worker::queue::EngineError;
use worker::{Engine, StoreError};

/// The most a JSON body may hold.
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// What the API's handlers share.
#[derive(Clone)]
pub struct ApiState {
    pub engine: Engine,
    /// The SHA-256 of the server's key, when `API_KEY` is set.
    pub server_key_hash: Option<Arc<str>>,
    pub limiter: SignInLimiter,
}

impl ApiState {
    pub fn new(engine: Engine, server_key: Option<&str>) -> ApiState {
        ApiState {
            engine,
            server_key_hash: server_key
                .filter(|k| !k.is_empty())
                .map(|k| hash_key(k).into()),
            limiter: SignInLimiter::default(),
        }
    }
}

/// The `/api/v1` routes.
pub fn router<S>(state: ApiState) -> Router<S> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi))
        .route("/login", post(login))
        .route("/functions", get(functions::list))
        .route("/functions/{id}/{version}", get(functions::get))
        .route("/schedules", get(schedules::list).post(schedules::apply))
        .route(
            "/schedules/{id}",
            get(schedules::get).delete(schedules::delete),
        )
        .route("/schedules/{id}/run", post(schedules::run_now))
        .route("/schedules/{id}/pause", post(schedules::pause))
        .route("/schedules/{id}/resume", post(schedules::resume))
        .route("/runs", get(runs::list))
        .route("/runs/{id}", get(runs::get).delete(runs::delete))
        .route("/runs/{id}/cancel", post(runs::cancel))
        .route("/workers", get(workers::list))
        .route("/runs/{id}/{stream}", get(runs::output))
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .layer(from_fn(json_errors))
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .merge(dashboard::router())
        .with_state(state)
}

#[derive(Debug, Serialize, ToSchema)]
struct Health {
    status: &'static str,
    database: &'static str,
    version: &'static str,
}

/// Healthy when the database answers. Open to anyone: load balancers ask.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, body = Health), (status = 503, description = "The database does not answer", body = Health)))]
#[tracing::instrument(skip_all)]
async fn healthz(State(state): State<ApiState>) -> Response {
    let version = env!("CARGO_PKG_VERSION");
    match state.engine.store().ping().await {
        Ok(()) => Json(Health {
            status: "ok",
            database: "ok",
            version,
        })
        .into_response(),
        Err(error) => {
            tracing::error!(error = %error, "health check: the database does not answer");
            let body = Health {
                status: "unavailable",
                database: "unreachable",
                version,
            };
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
    }
}

/// The API's description, generated from the handlers and types above.
#[derive(OpenApi)]
#[openapi(
    info(title = "Enschedule", description = "Schedules, functions and runs of an Enschedule server."),
    servers((url = "/api/v1")),
    paths(
        healthz,
        login,
        functions::list,
        functions::get,
        schedules::list,
        schedules::apply,
        schedules::get,
        schedules::delete,
        schedules::run_now,
        schedules::pause,
        schedules::resume,
        runs::list,
        runs::get,
        runs::delete,
        runs::cancel,
        runs::output,
        workers::list,
    ),
    modifiers(&KeySchemes)
)]
pub struct ApiDoc;

/// A user's name and password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    name: String,
    password: String,
}

/// A token for the user who signed in: a key that ends on its own.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    /// Send it as `Authorization: Bearer <token>`.
    token: String,
    expires_at: String,
    name: String,
    admin: bool,
}

/// How long a login token works.
const TOKEN_HOURS: i64 = 12;

/// Signs a user in for API calls: answers a token valid for 12 hours.
/// Attempts count against the same limit as the dashboard's sign-in.
#[utoipa::path(post, path = "/login", tag = "accounts", request_body = Credentials,
    responses((status = 200, body = Token),
        (status = 401, description = "The name or the password is wrong", body = ErrorBody),
        (status = 429, description = "Too many attempts for this name", body = ErrorBody)))]
async fn login(
    State(state): State<ApiState>,
    ApiJson(credentials): ApiJson<Credentials>,
) -> Result<Json<Token>, ApiError> {
    let store = state.engine.store();
    let name = credentials.name.trim();
    let user = check_credentials(store, &state.limiter, name, &credentials.password)
        .await
        .map_err(|error| match error {
            SignInError::Store(store) => store.into(),
            many @ SignInError::TooManyAttempts => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                many.to_string(),
            ),
            refused @ SignInError::Refused => ApiError::unauthorized(refused.to_string()),
        })?;
    let now = state.engine.now();
    let expires_at = now + chrono::Duration::hours(TOKEN_HOURS);
    let issued = issue_api_key(store, user.id, LOGIN_TOKEN, Some(expires_at), now)
        .await
        .map_err(|error| {
            tracing::error!(error = %error, "could not issue a login token");
            ApiError::internal()
        })?;
    tracing::info!(user.name = %user.name, "signed in through the API");
    Ok(Json(Token {
        token: issued.key,
        expires_at: worker::timing::rfc3339(expires_at),
        name: user.name,
        admin: user.admin,
    }))
}

/// The three ways to present a key, all in `Authorization`.
struct KeySchemes;

impl Modify for KeySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, what) in [
            ("api_key", "`Api-Key <key>`: the server's key"),
            ("user_api_key", "`User-Api-Key <key>`: a user's key"),
            ("bearer", "`Bearer <key>`: a user's key"),
        ] {
            let scheme = ApiKey::Header(ApiKeyValue::with_description("Authorization", what));
            components.add_security_scheme(name, SecurityScheme::ApiKey(scheme));
        }
    }
}

/// `GET /openapi.json`: open to anyone, like the health check.
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// A caller with the rules their rights come from.
pub struct ApiAccess(pub Access);

impl FromRequestParts<ApiState> for ApiAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        let (scheme, key) = authorization(&parts.headers)?;
        let store = state.engine.store();
        let caller = match scheme {
            "Api-Key" => {
                check_server_key(state, key)?;
                match user_token(&parts.headers) {
                    Some(token) => user_caller(user_of_key(state, token).await?),
                    None => Caller::Server,
                }
            }
            "User-Api-Key" | "Bearer" => user_caller(user_of_key(state, key).await?),
            other => {
                return Err(ApiError::unauthorized(format!(
                    "`{other}` is not an authorization scheme here: use Api-Key, User-Api-Key or Bearer"
                )));
            }
        };
        let rules = store.rule_book().await?;
        Ok(ApiAccess(Access { caller, rules }))
    }
}

/// The `Authorization` header's scheme and key.
fn authorization(headers: &axum::http::HeaderMap) -> Result<(&str, &str), ApiError> {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .ok_or_else(|| {
            ApiError::unauthorized(
                "an Authorization header is required: Api-Key, User-Api-Key or Bearer",
            )
        })?;
    let (scheme, key) = header.split_once(' ').unwrap_or((header, ""));
    Ok((scheme, key.trim()))
}

/// Refuses anything but the server's own key.
fn check_server_key(state: &ApiState, key: &str) -> Result<(), ApiError> {
    let matches = state
        .server_key_hash
        .as_deref()
        .is_some_and(|hash| hash == hash_key(key));
    if !matches {
        tracing::warn!("API call refused: wrong server key");
        return Err(ApiError::unauthorized("the server API key is not valid"));
    }
    Ok(())
}

/// The user token sent beside the server's key, if one was.
fn user_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(app::remote::USER_TOKEN_HEADER)
        .and_then(|h| h.to_str().ok())
        .map(str::trim)
}

/// The user whose API key (or login token) this is, while it works.
async fn user_of_key(state: &ApiState, key: &str) -> Result<User, ApiError> {
    state
        .engine
        .store()
        .use_api_key(&hash_key(key), state.engine.now())
        .await?
        .ok_or_else(|| {
            tracing::warn!("API call refused: unknown, expired or revoked key");
            ApiError::unauthorized("the API key is not valid, or it expired or was revoked")
        })
}

fn user_caller(user: User) -> Caller {
    Caller::User {
        name: user.name,
        groups: user.groups,
        admin: user.admin,
    }
}

/// A JSON body, refused with the API's own errors: 415 when it is not sent
/// as JSON, 413 when it is too large, 400 when it is not JSON, 422 naming
/// the field when it does not fit.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send JSON with `Content-Type: application/json`",
            ));
        }
        let bytes =
            Bytes::from_request(request, state)
                .await
                .map_err(|rejection| match rejection.status() {
                    StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "too_large",
                        format!("the body is larger than the limit of {JSON_BODY_LIMIT} bytes"),
                    ),
                    _ => ApiError::new(StatusCode::BAD_REQUEST, "malformed", rejection.body_text()),
                })?;
        let deserializer = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(deserializer)
            .map(ApiJson)
            .map_err(|error| {
                let path = error.path().to_string();
                let inner = error.into_inner();
                // serde_json ends its messages with where in the text it was.
                let text = inner.to_string();
                let problem = text.split(" at line ").next().unwrap_or(&text);
                if inner.is_syntax() || inner.is_eof() {
                    return ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "malformed",
                        format!("the body is not valid JSON: {text}"),
                    );
                }
                match path.as_str() {
                    "." => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", problem),
                    field => ApiError::invalid(field, format!("{field}: {problem}")),
                }
            })
    }
}

/// Gives every error answer of the API the JSON shape, also those that
/// axum writes as text (a path or query that does not parse, a method the
/// route does not take).
pub async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let text = match axum::body::to_bytes(response.into_body(), 64 * 1024).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
        Err(_) => String::new(),
    };
    let message = match text.is_empty() {
        true => status
            .canonical_reason()
            .unwrap_or("the request failed")
            .to_string(),
        false => text,
    };
    let code = match status {
        StatusCode::BAD_REQUEST => "malformed",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        _ => "error",
    };
    ApiError::new(status, code, message).into_response()
}

/// An error answer of the API.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

/// Every error answer: `{"error": {"code", "message", "field"}}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
struct ErrorDetail {
    /// `malformed`, `unauthorized`, `forbidden`, `not_found`, `conflict`,
    /// `too_large`, `invalid`, …
    code: String,
    message: String,
    /// The field at fault, as a path in the body or the query.
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// A rule broken by a well-formed request; `message` starts with the
    /// field at fault (`data: …`).
    pub fn invalid(field: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            field: Some(field.to_string()),
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
        }
    }

    /// The request clashes with what exists; `message` starts with the field.
    pub fn conflict(field: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            field: Some(field.to_string()),
            ..ApiError::new(StatusCode::CONFLICT, "conflict", message)
        }
    }

    fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server could not complete the request; its log has the details",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
                field: self.field,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => ApiError::not_found(format!("{what} not found")),
            StoreError::Conflict(message) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", message)
            }
            other => {
                tracing::error!(error = %other, "storage failed");
                ApiError::internal()
            }
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Store(store) => store.into(),
            EngineError::Invalid { field, .. } => ApiError::invalid(field, error.to_string()),
            EngineError::Timing(worker::timing::TimingError::UnknownTimezone(name)) => {
                ApiError::invalid(
                    "options.timezone",
                    format!(
                        "options.timezone: `{name}` is not an IANA timezone name \
                         (for example `Europe/Berlin` or `UTC`)"
                    ),
                )
            }
            EngineError::Timing(timing) => {
                ApiError::invalid("cronExpression", format!("cronExpression: {timing}"))
            }
            other => ApiError::invalid("functionId", other.to_string()),
        }
    }
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::Hidden(_) => ApiError::not_found(denied.to_string()),
            Denied::Forbidden { .. } => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", denied.to_string())
            }
        }
    }
}

/// A page of a list: `limit` items from `offset`, and how many there are.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: usize,
}

/// The most items a list answers at once.
pub const MAX_LIMIT: usize = 500;

/// Cuts `items` to the page asked for (50 by default, at most 500).
pub fn page<T>(items: Vec<T>, offset: Option<usize>, limit: Option<usize>) -> Page<T> {
    let total = items.len();
    let limit = limit.unwrap_or(50).min(MAX_LIMIT);
    let items = items
        .into_iter()
        .skip(offset.unwrap_or(0))
        .take(limit)
        .collect();
    Page { items, total }
}
