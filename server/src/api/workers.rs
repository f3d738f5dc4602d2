//! `/workers`: the logical workers and their instances.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use worker::instance::{Instance, Worker};

use super::{ApiAccess, ApiError, ApiState, ErrorBody};

/// A worker as the API shows it, with its instances.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkerView {
    pub id: String,
    pub title: String,
    pub description: String,
    /// Goes up whenever the worker's definitions change.
    pub version: i64,
    pub instances: Vec<InstanceView>,
}

/// One process of a worker.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstanceView {
    pub id: String,
    pub hostname: String,
    /// The worker version it started with.
    pub version: i64,
    /// `UP` (a heartbeat within 15 s), `PENDING` (within 60 s), `DOWN`, or
    /// `STOPPED` (it shut down cleanly).
    pub status: &'static str,
    pub heartbeat_at: String,
    pub started_at: String,
    pub concurrency: i64,
    /// The functions it loaded, as `id@version`.
    pub functions: Vec<String>,
}

fn view(worker: Worker, instances: &[Instance], now: chrono::DateTime<chrono::Utc>) -> WorkerView {
    let time = worker::timing::rfc3339;
    WorkerView {
        instances: instances
            .iter()
            .map(|i| InstanceView {
                id: i.id.clone(),
                hostname: i.hostname.clone(),
                version: i.version,
                status: i.health(now).as_str(),
                heartbeat_at: time(i.heartbeat_at),
                started_at: time(i.started_at),
                concurrency: i.concurrency,
                functions: i.functions.clone(),
            })
            .collect(),
        id: worker.id,
        title: worker.title,
        description: worker.description,
        version: worker.version,
    }
}

/// The workers the caller may see (`view` on the worker), by id.
#[utoipa::path(get,
    path = "/workers",
    tag = "workers",
    security(("api_key" = []), ("user_api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [WorkerView]), (status = 401, description = "No key, or not a valid one", body = ErrorBody)))]
pub async fn list(
    State(state): State<ApiState>,
    ApiAccess(access): ApiAccess,
) -> Result<Json<Vec<WorkerView>>, ApiError> {
    let now = state.engine.now();
    Ok(Json(
        state
            .engine
            .store()
            .workers_with_instances()
            .await?
            .into_iter()
            .filter(|(w, _)| access.may_view_worker(&w.id))
            .map(|(w, instances)| view(w, &instances, now))
            .collect(),
    ))
}
