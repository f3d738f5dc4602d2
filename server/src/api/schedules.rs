//! `/schedules`: when functions run and with what data.
#![allow(
    unused_qualifications,
    reason = "the OpenAPI path macro expands `params(Query)` to a path the lint flags"
)]

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::access::{Access, Denied, Kind, Right, Rules, ScheduleRules, StatedRules};
use worker::model::{Backoff, CatchUp, NewSchedule, Overlap, Schedule, Timing};

use super::runs::RunView;
use utoipa::{IntoParams, ToSchema};

use super::{ApiAccess, ApiError, ApiJson, ApiState, ErrorBody, Page, page};

/// A schedule as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleView {
    pub id: i64,
    pub function_id: String,
    pub function_version: i64,
    pub title: String,
    pub description: String,
    pub data: Value,
    /// `cron`, `once` or `manual`.
    pub kind: &'static str,
    pub cron_expression: Option<String>,
    pub phrase: Option<String>,
    pub run_at: Option<String>,
    pub timezone: String,
    pub timeout_ms: i64,
    pub catch_up: &'static str,
    pub overlap: &'static str,
    pub max_retries: i64,
    pub backoff: &'static str,
    pub failure_trigger: Option<i64>,
    pub event_id: Option<String>,
    /// The worker whose instances alone run it; none for any.
    pub worker_id: Option<String>,
    pub status: &'static str,
    pub next_run_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Schedule> for ScheduleView {
    fn from(s: Schedule) -> Self {
        let time = worker::timing::rfc3339;
        let (cron_expression, phrase, run_at) = match &s.timing {
            Timing::Cron { expression, phrase } => (Some(expression.clone()), phrase.clone(), None),
            Timing::Once { run_at } => (None, None, Some(time(*run_at))),
            Timing::Manual => (None, None, None),
        };
        ScheduleView {
            id: s.id,
            kind: s.timing.kind(),
            function_id: s.function_id,
            function_version: s.function_version,
            title: s.title,
            description: s.description,
            data: s.data,
            cron_expression,
            phrase,
            run_at,
            timezone: s.timezone,
            timeout_ms: s.timeout_ms,
            catch_up: s.catch_up.as_str(),
            overlap: s.overlap.as_str(),
            max_retries: s.retry.max_retries,
            backoff: s.retry.backoff.as_str(),
            failure_trigger: s.failure_trigger,
            event_id: s.event_id,
            worker_id: s.worker_id,
            status: s.status.as_str(),
            next_run_at: s.next_run_at.map(time),
            created_at: time(s.created_at),
            updated_at: time(s.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScheduleQuery {
    status: Option<String>,
    function_id: Option<String>,
    event_id: Option<String>,
    /// Words the title or the description holds, in any case.
    q: Option<String>,
    offset: Option<usize>,
    limit: Option<usize>,
}

/// The schedules the caller may see, newest first, filtered and paged.
#[utoipa::path(get,
    path = "/schedules",
    tag = "schedules",
    security(("api_key" = []), ("user_api_key" = []), ("bearer" = [])),
    params(ScheduleQuery),
    responses((status = 200, body = Page<ScheduleView>), (status = 401, description = "No key, or not a valid one", body = ErrorBody), (status = 422, description = "A rule broken; `field` names it", body = ErrorBody)))]
pub async fn list(
    State(state): State<ApiState>,
    ApiAccess(access): ApiAccess,
    Query(query): Query<ScheduleQuery>,
) -> Result<Json<Page<ScheduleView>>, ApiError> {
    let text = query.q.as_deref().map(str::to_lowercase);
    if let Some(status) = query.status.as_deref()
        && !matches!(status, "active" | "paused")
    {
        return Err(ApiError::invalid(
            "status",
            format!("status: `{status}` is not one of active, paused"),
        ));
    }
    let mut schedules: Vec<Schedule> = state
        .engine
        .store()
        .list_schedules()
        .await?
        .into_iter()
        .filter(|s| access.may_view_schedule(s))
        .filter(|s| {
            query
                .status
                .as_deref()
                .is_none_or(|q| s.status.as_str() == q)
        })
        .filter(|s| {
            query
                .function_id
                .as_deref()
                .is_none_or(|f| s.function_id == f)
        })
        .filter(|s| {
            let event_id = query.event_id.as_deref();
            event_id.is_none_or(|e| s.event_id.as_deref() == Some(e))
        })
        .filter(|s| {
            text.as_deref().is_none_or(|t| {
                s.title.to_lowercase().contains(t) || s.description.to_lowercase().contains(t)
            })
        })
        .collect();
    schedules.sort_by_key(|s| std::cmp::Reverse(s.id));
    let views = schedules.into_iter().map(ScheduleView::from).collect();
    Ok(Json(page(views, query.offset, query.limit)))
}

/// One schedule.
#[utoipa::path(get,
    path = "/schedules/{id}",
    tag = "schedules",
    security(("api_key" = []), ("user_api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ScheduleView), (status = 401, description = "No key, or not a valid one", body = ErrorBody), (status = 404, description = "Not there, or not visible to the caller", body = ErrorBody)))]
pub async fn get(
    State(state): State<ApiState>,
    ApiAccess(access): ApiAccess,
    Path(id): Path<i64>,
) -> Result<Json<ScheduleView>, ApiError> {
    let schedule = state.engine.store().get_schedule(id).await?;
    access.check_schedule(Right::ScheduleView, &schedule)?;
    Ok(Json(schedule.into()))
}

/// A schedule to create, or to update when its `eventId` exists: the
/// original project's body, with Enschedule's own options beside.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScheduleBody {
    function_id: String,
    /// The function's latest version when absent.
    function_version: Option<i64>,
    #[serde(default)]
    data: Value,
    #[serde(default)]
    options: ScheduleOptions,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScheduleOptions {
    title: Option<String>,
    description: Option<String>,
    /// A cron expression or a phrase (`every day at 2 am`).
    cron_expression: Option<String>,
    /// The same as `cronExpression`, for those who write a phrase.
    phrase: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    run_at: Option<DateTime<Utc>>,
    event_id: Option<String>,
    retry_failed_jobs: Option<bool>,
    max_retries: Option<i64>,
    backoff: Option<String>,
    failure_trigger: Option<i64>,
    /// The worker whose instances alone run it (one that has registered).
    worker_id: Option<String>,
    #[serde(default)]
    run_now: bool,
    timezone: Option<String>,
    catch_up: Option<String>,
    overlap: Option<String>,
    timeout_ms: Option<i64>,
    /// The schedule's own rules: `{ "view": { "users": [], "groups": [] }, … }`.
    #[schema(value_type = Option<Object>)]
    access: Option<Rules>,
    #[schema(value_type = Option<Object>)]
    run_access: Option<Rules>,
}

/// What applying a schedule did.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Applied {
    /// `created`, `updated` or `unchanged`.
    pub status: &'static str,
    pub schedule: ScheduleView,
    /// The run `runNow` started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<RunView>,
    /// In a dry run, the next five fire times, in UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_fire_times: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApplyQuery {
    /// Check the schedule and say what applying it would do, storing nothing.
    #[serde(default)]
    dry_run: bool,
}

/// Creates a schedule, or updates the one with the same `eventId`; with
/// `?dryRun=true`, only says what that would do.
#[utoipa::path(post,
    path = "/schedules",
    tag = "schedules",
    security(("api_key" = []), ("user_api_key" = []), ("bearer" = [])),
    params(ApplyQuery), request_body = ScheduleBody,
    responses((status = 201, description = "Created", body = Applied), (status = 200, description = "Updated, unchanged, or a dry run", body = Applied), (status = 400, description = "Malformed JSON", body = ErrorBody), (status = 401, description = "No key, or not a valid one", body = ErrorBody), (status = 403, description = "Visible, but the caller lacks the right", body = ErrorBody), (status = 409, description = "The event id is taken by a schedule the caller may not see", body = ErrorBody), (status = 413, description = "The body is over 1 MiB", body = ErrorBody), (status = 422, description = "A rule broken; `field` names it", body = ErrorBody)))]
pub async fn apply(
    State(state): State<ApiState>,
    ApiAccess(access): ApiAccess,
    Query(query): Query<ApplyQuery>,
    ApiJson(body): ApiJson<ScheduleBody>,
) -> Result<Response, ApiError> {
    let engine = &state.engine;
    let store = engine.store();
    let options = body.options;
    let version = match body.function_version {
        Some(version) => version,
        None => latest_version(&state, &access, &body.function_id).await?,
    };
    let existing = match options.event_id.as_deref().map(str::trim) {
        Some(event_id) if !event_id.is_empty() => store.find_schedule_by_event_id(event_id).await?,
        _ => None,
    };
    if let Some(existing) = &existing {
        // Any answer tells that the event id is taken; none tells more.
        if let Err(Denied::Hidden(_)) = access.check_schedule(Right::ScheduleView, existing) {
            let event_id = existing.event_id.as_deref().unwrap_or_default();
            return Err(ApiError::conflict(
                "options.eventId",
                format!("options.eventId: `{event_id}` is taken by a schedule you may not see"),
            ));
        }
        access.check_schedule(Right::ScheduleEdit, existing)?;
    }
    if let Some(target) = options.failure_trigger {
        failure_trigger_allowed(&state, &access, target).await?;
    }
    let same_function = existing
        .as_ref()
        .is_some_and(|s| s.function_id == body.function_id && s.function_version == version);
    if !same_function {
        access.check_function(Right::FunctionCreateSchedule, &body.function_id, version)?;
    }
    let rules = stated_rules(&options)?;
    let run_now = options.run_now;
    let new = new_schedule(body.function_id, version, body.data, options)?;
    if query.dry_run {
        let (schedule, outcome) = engine.plan_schedule(new).await?;
        let answer = Applied {
            status: outcome.as_str(),
            next_fire_times: Some(next_fire_times(&schedule, engine.now())),
            schedule: schedule.into(),
            run: None,
        };
        return Ok(Json(answer).into_response());
    }

    let (schedule, outcome) = match new.event_id.is_some() {
        true => engine.apply_schedule(new).await?,
        false => (
            engine.create_schedule(new).await?,
            worker::queue::Applied::Created,
        ),
    };
    if let Some(rules) = rules {
        store
            .set_access_rules(
                Kind::Schedule,
                &schedule.id.to_string(),
                Some(&rules),
                engine.now(),
            )
            .await?;
    }
    let run = match run_now {
        true => Some(engine.run_now(schedule.id).await?.into()),
        false => None,
    };
    let status = match outcome {
        worker::queue::Applied::Created => StatusCode::CREATED,
        _ => StatusCode::OK,
    };
    let answer = Applied {
        status: outcome.as_str(),
        schedule: schedule.into(),
        run,
        next_fire_times: None,
    };
    Ok((status, Json(answer)).into_response())
}

/// A failure trigger makes its schedule run: naming one needs `edit` on it,
/// and one the caller may not see is answered as one that does not exist.
async fn failure_trigger_allowed(
    state: &ApiState,
    access: &Access,
    target: i64,
) -> Result<(), ApiError> {
    let missing = || {
        ApiError::invalid(
            "options.failureTrigger",
            format!("options.failureTrigger: there is no schedule {target}"),
        )
    };
    let schedule = match state.engine.store().get_schedule(target).await {
        Ok(schedule) => schedule,
        Err(worker::StoreError::NotFound(_)) => return Err(missing()),
        Err(other) => return Err(other.into()),
    };
    match access.check_schedule(Right::ScheduleEdit, &schedule) {
        Err(Denied::Hidden(_)) => Err(missing()),
        other => Ok(other?),
    }
}

/// The next five fire times of a checked schedule.
fn next_fire_times(schedule: &Schedule, now: DateTime<Utc>) -> Vec<String> {
    let times = match &schedule.timing {
        Timing::Cron { expression, .. } => worker::timing::parse_timezone(&schedule.timezone)
            .and_then(|tz| worker::timing::preview(expression, tz, now, 5))
            .map(|preview| preview.fire_times)
            .unwrap_or_default(),
        Timing::Once { run_at } => vec![*run_at],
        Timing::Manual => Vec::new(),
    };
    times.into_iter().map(worker::timing::rfc3339).collect()
}

/// The newest version of a function the caller may see.
async fn latest_version(state: &ApiState, access: &Access, id: &str) -> Result<i64, ApiError> {
    let functions = state.engine.store().list_functions().await?;
    functions
        .iter()
        .filter(|f| f.id == id && access.may_view_function(&f.id, f.version))
        .map(|f| f.version)
        .max()
        .ok_or_else(|| {
            ApiError::invalid(
                "functionId",
                format!("functionId: there is no function `{id}`"),
            )
        })
}

/// The schedule's own rules, when the body states any, as stored.
fn stated_rules(options: &ScheduleOptions) -> Result<Option<String>, ApiError> {
    if options.access.is_none() && options.run_access.is_none() {
        return Ok(None);
    }
    let rules = ScheduleRules {
        access: options.access.clone().unwrap_or_default(),
        run_access: options.run_access.clone().unwrap_or_default(),
    };
    let json = serde_json::to_string(&rules).unwrap_or_default();
    let stated = StatedRules::parse(Kind::Schedule, &json)
        .map_err(|problem| ApiError::invalid("options.access", problem))?;
    Ok(Some(stated.to_json()))
}

fn new_schedule(
    function_id: String,
    version: i64,
    data: Value,
    options: ScheduleOptions,
) -> Result<NewSchedule, ApiError> {
    let mut new = NewSchedule::new(function_id, version, data);
    new.title = options.title.unwrap_or_default();
    new.description = options.description.unwrap_or_default();
    if options.cron_expression.is_some() && options.phrase.is_some() {
        return Err(ApiError::invalid(
            "options.phrase",
            "options.phrase: give either cronExpression or phrase, not both",
        ));
    }
    if options.retry_failed_jobs == Some(false) && options.max_retries.is_some_and(|n| n != 0) {
        return Err(ApiError::invalid(
            "options.maxRetries",
            "options.maxRetries: retryFailedJobs is false, so there are no retries to count",
        ));
    }
    new.timing = match (options.cron_expression.or(options.phrase), options.run_at) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "options.runAt",
                "options.runAt: give either cronExpression or runAt, not both",
            ));
        }
        (Some(expression), None) => Timing::Cron {
            expression,
            phrase: None,
        },
        (None, Some(run_at)) => Timing::Once { run_at },
        (None, None) => Timing::Manual,
    };
    new.timezone = options.timezone;
    new.timeout_ms = options.timeout_ms;
    new.event_id = options.event_id;
    new.failure_trigger = options.failure_trigger;
    new.worker_id = options.worker_id;
    if let Some(text) = options.catch_up {
        new.catch_up = CatchUp::parse(&text).ok_or_else(|| {
            ApiError::invalid(
                "options.catchUp",
                format!("options.catchUp: `{text}` is not one of none, one, all"),
            )
        })?;
    }
    if let Some(text) = options.overlap {
        new.overlap = Overlap::parse(&text).ok_or_else(|| {
            ApiError::invalid(
                "options.overlap",
                format!("options.overlap: `{text}` is not one of skip, allow, queue"),
            )
        })?;
    }
    if let Some(text) = options.backoff {
        new.retry.backoff = Backoff::parse(&text).ok_or_else(|| {
            ApiError::invalid(
                "options.backoff",
                format!("options.backoff: `{text}` is not one of exponential, fixed"),
            )
        })?;
    }
    // The original's `retryFailedJobs` turns retries on; without a count they
    // go on until one succeeds, as there.
    new.retry.max_retries = match (options.retry_failed_jobs, options.max_retries) {
        (Some(false), _) => 0,
        (_, Some(n)) => n,
        (Some(true), None) => -1,
        (None, None) => 0,
    };
    Ok(new)
}

/// Deletes a schedule and its runs; needs `delete`.
#[utoipa::path(delete,
    path = "/schedules/{id}",
    tag = "schedules",
    security(("api_key" = []), ("user_api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted"), (status = 401, description = "No key, or not a valid one", body = ErrorBody), (status = 403, description = "Visible, but the caller lacks the right", body = ErrorBody), (status = 404, description = "Not there, or not visible to the caller", body = ErrorBody)))]
pub async fn delete(
    State(state): State<ApiState>,
    ApiAccess(access): ApiAccess,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let store = state.engine.store();
    let schedule = store.get_schedule(id).await?;
    access.check_schedule(Right::ScheduleDelete, &schedule)?;
    store.delete_schedule(id).await?;
    tracing::info!(schedule.id = id, "schedule deleted through the API");
    Ok(StatusCode::NO_CONTENT)
}

/// Starts a manual run at once; the next fire time stays as it was.
#[utoipa::path(post,
    path = "/schedules/{id}/run",
    tag = "schedules",
    security(("api_key" = []), ("user_api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 201, body = RunView), (status = 401, description = "No key, or not a valid one", body = ErrorBody), (status = 403, description = "Visible, but the caller lacks the right", body = ErrorBody), (status = 404, description = "Not there, or not visible to the caller", body = ErrorBody)))]
pub async fn run_now(
    State(state): State<ApiState>,
    ApiAccess(access): ApiAccess,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<RunView>), ApiError> {
    editable(&state, &access, id).await?;
    let run = state.engine.run_now(id).await?;
    Ok((StatusCode::CREATED, Json(run.into())))
}

/// Pauses a schedule; needs `edit`.
#[utoipa::path(post,
    path = "/schedules/{id}/pause",
    tag = "schedules",
    security(("api_key" = []), ("user_api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ScheduleView), (status = 401, description = "No key, or not a valid one", body = ErrorBody), (status = 403, description = "Visible, but the caller lacks the right", body = ErrorBody), (status = 404, description = "Not there, or not visible to the caller", body = ErrorBody)))]
pub async fn pause(
    State(state): State<ApiState>,
    ApiAccess(access): ApiAccess,
    Path(id): Path<i64>,
) -> Result<Json<ScheduleView>, ApiError> {
    editable(&state, &access, id).await?;
    Ok(Json(state.engine.pause(id).await?.into()))
}

/// Resumes a schedule from now; needs `edit`.
#[utoipa::path(post,
    path = "/schedules/{id}/resume",
    tag = "schedules",
    security(("api_key" = []), ("user_api_key" = []), ("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ScheduleView), (status = 401, description = "No key, or not a valid one", body = ErrorBody), (status = 403, description = "Visible, but the caller lacks the right", body = ErrorBody), (status = 404, description = "Not there, or not visible to the caller", body = ErrorBody)))]
pub async fn resume(
    State(state): State<ApiState>,
    ApiAccess(access): ApiAccess,
    Path(id): Path<i64>,
) -> Result<Json<ScheduleView>, ApiError> {
    editable(&state, &access, id).await?;
    Ok(Json(state.engine.resume(id).await?.into()))
}

async fn editable(state: &ApiState, access: &Access, id: i64) -> Result<(), ApiError> {
    let schedule = state.engine.store().get_schedule(id).await?;
    Ok(access.check_schedule(Right::ScheduleEdit, &schedule)?)
}
