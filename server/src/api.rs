//! The REST API under `/api/v1`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use worker::Engine;

/// The `/api/v1` routes.
pub fn router() -> Router<Engine> {
    Router::new().route("/healthz", get(healthz))
}

#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    database: &'static str,
    version: &'static str,
}

/// Healthy when the database answers.
#[tracing::instrument(skip_all)]
async fn healthz(State(engine): State<Engine>) -> Response {
    let version = env!("CARGO_PKG_VERSION");
    match engine.store().ping().await {
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
