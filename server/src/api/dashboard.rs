//! Server function calls from a dashboard that has no database of its own
//! (`serve` with `WORKER_URL`): `POST /api/v1/dashboard/<the function's
//! path>`, the body encoded as the browser encodes it.
//!
//! The caller sends the server's key and the token of the user who signed in
//! to that dashboard ([`app::remote::USER_TOKEN_HEADER`]); the function runs
//! here, with this process's engine, as that user. It is the dashboard's own
//! protocol between two processes of one version, so it is not in the
//! OpenAPI document.

use app::remote::ssr::Delegated;
use app::remote::{DASHBOARD_CALLS, USER_TOKEN_HEADER};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use leptos::prelude::provide_context;
use worker::accounts::hash_key;

use super::{ApiError, ApiState, authorization, check_server_key, user_of_key};

/// Modules are uploaded this way too.
const BODY_LIMIT: usize = 64 << 20;

pub(super) fn router() -> Router<ApiState> {
    Router::new()
        .route(&format!("{DASHBOARD_CALLS}/{{*function}}"), post(call))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

async fn call(State(state): State<ApiState>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let delegated = match delegated(&parts.headers, &state).await {
        Ok(delegated) => delegated,
        Err(refused) => return refused.into_response(),
    };
    // The function's own path, as the dashboard's router would see it.
    let path = parts
        .uri
        .path()
        .strip_prefix(DASHBOARD_CALLS)
        .unwrap_or_default();
    let uri = match parts.uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_string(),
    };
    parts.uri = match uri.parse::<Uri>() {
        Ok(uri) => uri,
        Err(_) => return ApiError::not_found("no such server function").into_response(),
    };
    let engine = state.engine.clone();
    let limiter = state.limiter.clone();
    let context = move || {
        provide_context(engine.clone());
        provide_context(limiter.clone());
        provide_context(delegated.clone());
    };
    leptos_axum::handle_server_fns_with_context(context, Request::from_parts(parts, body))
        .await
        .into_response()
}

/// The server's key must be right and the user's token must work.
async fn delegated(
    headers: &axum::http::HeaderMap,
    state: &ApiState,
) -> Result<Delegated, ApiError> {
    let (scheme, key) = authorization(headers)?;
    if scheme != "Api-Key" {
        return Err(ApiError::unauthorized(
            "dashboard calls need the server's key: Api-Key",
        ));
    }
    check_server_key(state, key)?;
    let token = super::user_token(headers).ok_or_else(|| {
        ApiError::unauthorized(format!(
            "dashboard calls need the signed-in user's token in {USER_TOKEN_HEADER}"
        ))
    })?;
    let user = user_of_key(state, token).await?;
    Ok(Delegated {
        user,
        token_hash: hash_key(token),
    })
}
