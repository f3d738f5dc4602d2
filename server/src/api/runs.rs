//! `/runs`: each execution, with its output.
#![allow(
    unused_qualifications,
    reason = "the OpenAPI path macro expands `params(Query)` to a path the lint flags"
)]

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::access::Right;
use worker::model::{Run, RunStatus, Stream};
use worker::store::RunFilter;

use utoipa::{IntoParams, ToSchema};

use super::{ApiAccess, ApiError, ApiState, ErrorBody, MAX_LIMIT};

/// A run as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunView {
    pub id: i64,
    pub schedule_id: i64,
    pub function_id: String,
    pub function_version: i64,
    pub data: Value,
    pub trigger: &'static str,
    pub scheduled_for: String,
    pub attempt: i64,
    pub status: &'static str,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub exit_code: Option<i32>,
    pub error: Option<String>,
    /// The instance that claimed it.
    pub instance_id: Option<String>,
    /// When a cancel was asked for while the run was running; it stops
    /// within a second and then shows `cancelled`.
    pub cancel_requested_at: Option<String>,
}

impl From<Run> for RunView {
    fn from(r: Run) -> Self {
        let time = |t: chrono::DateTime<chrono::Utc>| worker::timing::rfc3339(t);
        RunView {
            id: r.id,
            schedule_id: r.schedule_id,
            function_id: r.function_id,
            function_version: r.function_version,
            data: r.data,
            trigger: r.trigger.as_str(),
            scheduled_for: time(r.scheduled_for),
            attempt: r.attempt,
            status: r.status.as_str(),
            started_at: r.started_at.map(time),
            finished_at: r.finished_at.map(time),
            exit_code: r.exit_code,
            error: r.error,
            instance_id: r.instance_id,
            cancel_requested_at: r.cancel_requested_at.map(time),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RunQuery {
    schedule_id: Option<i64>,
    status: Option<String>,
    /// Runs older than this one: the next page, newest first.
    before_id: Option<i64>,
    limit: Option<i64>,
}

/// Runs the caller may see, newest first.
#[utoipa::path(get,
    path = "/runs",
    tag = "runs",
    security(("api_key" = []), ("user_api_key" = []), ("bearer" = [])),
    params(RunQuery),
    responses((status = 200, body = [RunView]), (status = 401, description = "No key, or not a valid one", body = ErrorBody), (status = 422, description = "A rule broken; `field` names it", body = ErrorBody)))]
pub async fn list(
    State(state): State<ApiState>,
    ApiAccess(access): ApiAccess,
    Query(query): Query<RunQuery>,
) -> Result<Json<Vec<RunView>>, ApiError> {
    let status = match query.status.as_deref() {
        None => None,
        Some(text) => Some(RunStatus::parse(text).ok_or_else(|| {
            ApiError::invalid("status", format!("status: `{text}` is not a run status"))
        })?),
    };
    let store = state.engine.store();
    let schedule_ids = access.run_schedule_filter(&store.list_schedules().await?);
    let filter = RunFilter {
        schedule_id: query.schedule_id,
        schedule_ids,
        status,
        before_id: query.before_id,
        limit: query.limit.unwrap_or(50).clamp(0, MAX_LIMIT as i64),
    };
    let runs = store.list_runs(&filter).await?;
    Ok(Json(runs.into_iter().map(RunView::from).collect()))
}

/// One run.
#[utoipa::path(get,
    path = "/runs/{id}",
    tag = "runs",
    security(("api_key" = []), ("user_api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = RunView), (status = 401, description = "No key, or not a valid one", body = ErrorBody), (status = 404, description = "Not there, or not visible to the caller", body = ErrorBody)))]
pub async fn get(
    State(state): State<ApiState>,
    ApiAccess(access): ApiAccess,
    Path(id): Path<i64>,
) -> Result<Json<RunView>, ApiError> {
    let run = state.engine.store().get_run(id).await?;
    access.check_run(Right::RunView, &run)?;
    Ok(Json(run.into()))
}

/// Deletes a run that has ended, with its output; needs `delete`.
#[utoipa::path(delete, path = "/runs/{id}", tag = "runs",
    security(("api_key" = []), ("user_api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted"),
        (status = 401, description = "No key, or not a valid one", body = ErrorBody),
        (status = 403, description = "Visible, but the caller lacks the right", body = ErrorBody),
        (status = 404, description = "Not there, or not visible to the caller", body = ErrorBody),
        (status = 409, description = "The run has not ended", body = ErrorBody)))]
pub async fn delete(
    State(state): State<ApiState>,
    ApiAccess(access): ApiAccess,
    Path(id): Path<i64>,
) -> Result<axum::http::StatusCode, ApiError> {
    let store = state.engine.store();
    let run = store.get_run(id).await?;
    access.check_run(Right::RunDelete, &run)?;
    store.delete_run(id).await?;
    tracing::info!(run.id = id, "run deleted through the API");
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Asks for a run to stop; needs `edit` on its schedule, as running it
/// does. A pending run is cancelled at once; a running one stops within a
/// second, and until then shows `running` with `cancelRequestedAt`.
#[utoipa::path(post,
    path = "/runs/{id}/cancel",
    tag = "runs",
    security(("api_key" = []), ("user_api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = RunView),
        (status = 401, description = "No key, or not a valid one", body = ErrorBody),
        (status = 403, description = "Visible, but the caller lacks the right", body = ErrorBody),
        (status = 404, description = "Not there, or not visible to the caller", body = ErrorBody),
        (status = 409, description = "The run has already ended", body = ErrorBody)))]
pub async fn cancel(
    State(state): State<ApiState>,
    ApiAccess(access): ApiAccess,
    Path(id): Path<i64>,
) -> Result<Json<RunView>, ApiError> {
    let run = state.engine.store().get_run(id).await?;
    access.check_cancel(&run)?;
    let run = state.engine.cancel_run(id).await?;
    Ok(Json(run.into()))
}

/// Output lines served per request at most; `nextOffset` pages on.
const MAX_LINES: usize = 10_000;

/// One output line with the instant it was written.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineView {
    pub at: String,
    pub text: String,
}

/// Where a line starts in the exact bytes, and when it was written.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineStartView {
    pub offset: u64,
    pub at: String,
}

/// What a run wrote to one stream. As text (the default): lines with
/// invalid UTF-8 replaced, a page of them from `offset`. As base64: the exact
/// bytes kept, with where each line starts. Past the output cap the middle
/// was left out: `omittedBytes` of it, at byte `omittedAt` of what is kept.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutputView {
    /// `text` or `base64`.
    pub encoding: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<LineView>>,
    /// The offset of the next page of lines, when there are more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_starts: Option<Vec<LineStartView>>,
    pub total_bytes: u64,
    pub omitted_bytes: u64,
    pub omitted_at: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutputQuery {
    /// `text` (default) or `base64`.
    encoding: Option<String>,
    /// The first line to serve (text only).
    offset: Option<usize>,
    /// How many lines to serve, at most 10000 (text only).
    limit: Option<usize>,
}

/// `/runs/{id}/stdout` and `/runs/{id}/stderr`: needs `viewLogs`.
#[utoipa::path(get,
    path = "/runs/{id}/{stream}",
    tag = "runs",
    security(("api_key" = []), ("user_api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path), ("stream" = String, Path, description = "`stdout` or `stderr`"), OutputQuery),
    responses((status = 200, body = OutputView), (status = 401, description = "No key, or not a valid one", body = ErrorBody), (status = 403, description = "Visible, but the caller lacks the right", body = ErrorBody), (status = 404, description = "Not there, or not visible to the caller", body = ErrorBody), (status = 422, description = "A rule broken; `field` names it", body = ErrorBody)))]
pub async fn output(
    State(state): State<ApiState>,
    ApiAccess(access): ApiAccess,
    Path((id, stream)): Path<(i64, String)>,
    Query(query): Query<OutputQuery>,
) -> Result<Json<OutputView>, ApiError> {
    let stream = match stream.as_str() {
        "stdout" => Stream::Stdout,
        "stderr" => Stream::Stderr,
        _ => return Err(ApiError::not_found("no such endpoint")),
    };
    let base64 = match query.encoding.as_deref() {
        None | Some("text") => false,
        Some("base64") => true,
        Some(other) => {
            return Err(ApiError::invalid(
                "encoding",
                format!("encoding: `{other}` is not one of text, base64"),
            ));
        }
    };
    let store = state.engine.store();
    let run = store.get_run(id).await?;
    access.check_run(Right::RunViewLogs, &run)?;
    let output = store.run_output(id, stream).await?;
    let mut view = OutputView {
        encoding: "text",
        lines: None,
        next_offset: None,
        data: None,
        line_starts: None,
        total_bytes: output.total_bytes,
        omitted_bytes: output.omitted_bytes,
        omitted_at: output.omitted_at,
    };
    if base64 {
        use base64::Engine as _;
        view.encoding = "base64";
        view.data = Some(base64::engine::general_purpose::STANDARD.encode(&output.bytes));
        view.line_starts = Some(
            output
                .lines
                .iter()
                .map(|l| LineStartView {
                    offset: l.offset,
                    at: worker::timing::rfc3339(l.at),
                })
                .collect(),
        );
    } else {
        let lines = output.text_lines();
        let offset = query.offset.unwrap_or(0).min(lines.len());
        let limit = query.limit.unwrap_or(MAX_LINES).min(MAX_LINES);
        let end = offset.saturating_add(limit).min(lines.len());
        view.next_offset = (end < lines.len()).then_some(end);
        view.lines = Some(
            lines[offset..end]
                .iter()
                .map(|(at, text)| LineView {
                    at: worker::timing::rfc3339(*at),
                    text: text.clone(),
                })
                .collect(),
        );
    }
    Ok(Json(view))
}
