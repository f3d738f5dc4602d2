//! Schedules: when a function runs and with what data.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

use crate::components::{ErrorNotice, JsonBlock, StatusBadge, loaded, textarea_text};
use crate::error::AppError;
use crate::functions::{FunctionSummary, list_functions};
use crate::runs::{RunSummary, RunTable, poll_while};

/// A schedule in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleSummary {
    pub id: i64,
    pub title: String,
    pub function_id: String,
    pub function_version: i64,
    /// How it fires, in words: `cron 0 * * * *`, `once at …`, `manual`.
    pub timing: String,
    pub timezone: String,
    pub status: String,
    pub next_run_at: Option<String>,
    /// `NO_WORKER`: its function version is not registered, so nothing can
    /// run it and it fires nothing until the version is back (or the
    /// schedule is migrated to another one).
    pub no_worker: bool,
}

/// A schedule with its data, policies, latest runs and decisions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleDetail {
    pub summary: ScheduleSummary,
    /// What the cron form means, in words; `None` for one-off and manual.
    pub description_of_timing: Option<String>,
    pub description: String,
    pub data: String,
    pub timeout: String,
    pub catch_up: String,
    pub overlap: String,
    pub retries: String,
    pub failure_trigger: Option<i64>,
    pub event_id: Option<String>,
    pub created_at: String,
    pub runs: Vec<RunSummary>,
    pub events: Vec<EventSummary>,
    /// The definition as the edit form shows it.
    pub draft: ScheduleInput,
}

/// A decision the engine took about the schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventSummary {
    pub at: String,
    pub kind: String,
    pub run_id: Option<i64>,
    /// The fire times concerned, in words: one instant, or a range and count.
    pub fire_times: Option<String>,
    pub reason: String,
}

#[server]
pub async fn list_schedules() -> Result<Vec<ScheduleSummary>, AppError> {
    crate::remote::forward_to_worker!(ListSchedules {});
    let access = crate::auth::ssr::Access::load().await?;
    let engine = access.engine.clone();
    let schedules = engine.store().list_schedules().await?;
    let registered: std::collections::HashSet<(String, i64)> = engine
        .store()
        .list_functions()
        .await?
        .into_iter()
        .map(|f| (f.id, f.version))
        .collect();
    Ok(schedules
        .iter()
        .filter(|s| access.rights.may_view_schedule(s))
        .map(|s| {
            let key = (s.function_id.clone(), s.function_version);
            ssr::summary(s, !registered.contains(&key))
        })
        .collect())
}

#[server]
pub async fn get_schedule(id: i64) -> Result<ScheduleDetail, AppError> {
    use worker::access::Right;

    crate::remote::forward_to_worker!(GetSchedule { id });
    let access = crate::auth::ssr::Access::load().await?;
    let engine = access.engine.clone();
    let schedule = engine.store().get_schedule(id).await?;
    access
        .rights
        .check_schedule(Right::ScheduleView, &schedule)?;
    let runs_visible = access.rights.may_view_runs_of(&schedule);
    let filter = worker::store::RunFilter {
        schedule_id: Some(id),
        limit: ssr::RUNS_ON_SCHEDULE_PAGE,
        ..Default::default()
    };
    let runs = match runs_visible {
        true => engine.store().list_runs(&filter).await?,
        false => Vec::new(),
    };
    let events = engine
        .store()
        .list_events(id, ssr::EVENTS_ON_SCHEDULE_PAGE)
        .await?;
    let no_worker = match engine
        .store()
        .get_function(&schedule.function_id, schedule.function_version)
        .await
    {
        Ok(_) => false,
        Err(worker::StoreError::NotFound(_)) => true,
        Err(other) => return Err(other.into()),
    };
    Ok(ssr::detail(&schedule, &runs, &events, no_worker))
}

#[server]
pub async fn pause_schedule(schedule_id: i64) -> Result<(), AppError> {
    crate::remote::forward_to_worker!(PauseSchedule { schedule_id });
    let engine = ssr::editable(schedule_id).await?;
    engine.pause(schedule_id).await?;
    Ok(())
}

#[server]
pub async fn resume_schedule(schedule_id: i64) -> Result<(), AppError> {
    crate::remote::forward_to_worker!(ResumeSchedule { schedule_id });
    let engine = ssr::editable(schedule_id).await?;
    engine.resume(schedule_id).await?;
    Ok(())
}

/// The schedule form's fields. `schedule_id` is empty for a new schedule;
/// `function` is `id@version`; `when` is `cron`, `once` or `manual`; `cron`
/// holds a cron expression or a phrase; `run_at` is a local date-time in
/// `timezone`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ScheduleInput {
    #[serde(default)]
    pub schedule_id: String,
    pub function: String,
    pub title: String,
    pub description: String,
    pub data: String,
    pub when: String,
    #[serde(default)]
    pub cron: String,
    #[serde(default)]
    pub run_at: String,
    pub timezone: String,
    /// `none`, `one` or `all`.
    #[serde(default)]
    pub catch_up: String,
    /// `skip`, `allow` or `queue`.
    #[serde(default)]
    pub overlap: String,
    /// Retries after a failed attempt; empty means none, -1 no limit.
    #[serde(default)]
    pub max_retries: String,
}

/// Creates a schedule from the form, or replaces the definition of the one
/// named by `schedule_id`; answers its id.
#[server]
pub async fn save_schedule(input: ScheduleInput) -> Result<i64, AppError> {
    use worker::access::Right;

    crate::remote::forward_to_worker!(SaveSchedule { input });
    let access = crate::auth::ssr::Access::load().await?;
    let engine = access.engine.clone();
    let existing = match input.schedule_id.trim() {
        "" => None,
        id => {
            let id = id
                .parse()
                .map_err(|_| AppError::Invalid(format!("schedule: `{id}` is not an id")))?;
            let existing = engine.store().get_schedule(id).await?;
            access
                .rights
                .check_schedule(Right::ScheduleEdit, &existing)?;
            Some(existing)
        }
    };
    let (function_id, function_version) = ssr::parse_function_ref(&input.function)?;
    // Scheduling a function needs its `createSchedule`; an edit that keeps
    // the function needs only `edit` on the schedule.
    let same_function = existing
        .as_ref()
        .is_some_and(|s| s.function_id == function_id && s.function_version == function_version);
    if !same_function {
        access.rights.check_function(
            Right::FunctionCreateSchedule,
            &function_id,
            function_version,
        )?;
    }

    let data = worker::queue::parse_data(&input.data)?;
    let tz = ssr::zone(&input.timezone, engine.options().default_timezone)?;
    let timing = ssr::timing(&input.when, &input.cron, &input.run_at, tz)?;
    let mut new = worker::model::NewSchedule::new(function_id, function_version, data);
    new.title = input.title;
    new.description = input.description;
    new.timing = timing;
    new.timezone = Some(tz.name().to_string());
    ssr::policies(
        &mut new,
        &input.catch_up,
        &input.overlap,
        &input.max_retries,
    )?;
    let schedule = match existing {
        None => engine.create_schedule(new).await?,
        Some(existing) => {
            // What the form does not show is kept as it was.
            new.retry.backoff = existing.retry.backoff;
            new.retry.base_ms = existing.retry.base_ms;
            new.retry.cap_ms = existing.retry.cap_ms;
            new.timeout_ms = Some(existing.timeout_ms);
            new.failure_trigger = existing.failure_trigger;
            new.event_id = existing.event_id;
            engine.update_schedule(existing.id, new).await?
        }
    };
    Ok(schedule.id)
}

/// Checks data against a function's schema, for the form's live feedback.
#[server]
pub async fn check_data(function: String, data: String) -> Result<(), AppError> {
    crate::remote::forward_to_worker!(CheckData { function, data });
    let access = crate::auth::ssr::Access::load().await?;
    let engine = access.engine.clone();
    let (id, version) = ssr::parse_function_ref(&function)?;
    access
        .rights
        .check_function(worker::access::Right::FunctionView, &id, version)?;
    let function = engine.store().get_function(&id, version).await?;
    let data = worker::queue::parse_data(&data)?;
    worker::manifest::check_data(&function.data_schema, &data)
        .map_err(|problem| AppError::Invalid(format!("data: {problem}")))
}

/// What a cron expression or phrase means, for the form's live preview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimingPreview {
    /// The cron form (the expression itself, or the phrase's translation).
    pub expression: String,
    pub phrase: Option<String>,
    pub description: String,
    pub fire_times: Vec<FireTimePreview>,
}

/// One upcoming fire time, in the schedule's timezone and the viewer's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FireTimePreview {
    pub schedule_zone: String,
    pub viewer_zone: Option<String>,
    pub utc: String,
}

/// How many fire times the preview lists.
pub const PREVIEW_COUNT: usize = 5;

/// The next fire times of a cron expression or phrase in a timezone, also
/// shown in the viewer's timezone when the browser told it.
#[server]
pub async fn preview_timing(
    expression: String,
    timezone: String,
    viewer_timezone: Option<String>,
) -> Result<TimingPreview, AppError> {
    crate::remote::forward_to_worker!(PreviewTiming {
        expression,
        timezone,
        viewer_timezone
    });
    let engine = crate::error::engine()?;
    crate::auth::ssr::require_user().await?;
    let tz = ssr::zone(&timezone, engine.options().default_timezone)?;
    // An unknown viewer zone only loses the second column.
    let viewer = viewer_timezone.and_then(|name| worker::timing::parse_timezone(&name).ok());
    let preview = worker::timing::preview(&expression, tz, engine.now(), PREVIEW_COUNT)
        .map_err(|e| AppError::Invalid(format!("cron: {e}")))?;
    let local = |t: chrono::DateTime<chrono::Utc>, zone: chrono_tz::Tz| {
        t.with_timezone(&zone)
            .format("%a %Y-%m-%d %H:%M:%S %Z")
            .to_string()
    };
    Ok(TimingPreview {
        expression: preview.written.expression,
        phrase: preview.written.phrase,
        description: preview.description,
        fire_times: preview
            .fire_times
            .into_iter()
            .map(|t| FireTimePreview {
                schedule_zone: local(t, tz),
                viewer_zone: viewer.map(|v| local(t, v)),
                utc: worker::timing::rfc3339(t),
            })
            .collect(),
    })
}

#[server]
pub async fn run_now(schedule_id: i64) -> Result<i64, AppError> {
    crate::remote::forward_to_worker!(RunNow { schedule_id });
    let engine = ssr::editable(schedule_id).await?;
    Ok(engine.run_now(schedule_id).await?.id)
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use chrono::{LocalResult, NaiveDateTime, TimeZone};
    use worker::model::{Schedule, Timing};

    use super::ScheduleSummary;
    use crate::components::show_instant;
    use crate::error::AppError;

    /// The engine, once the caller is known to have `edit` on the schedule.
    pub async fn editable(schedule_id: i64) -> Result<worker::Engine, AppError> {
        let access = crate::auth::ssr::Access::load().await?;
        let engine = access.engine.clone();
        let schedule = engine.store().get_schedule(schedule_id).await?;
        access
            .rights
            .check_schedule(worker::access::Right::ScheduleEdit, &schedule)?;
        Ok(engine)
    }

    /// How many runs a schedule's page lists.
    pub const RUNS_ON_SCHEDULE_PAGE: i64 = 50;
    /// How many decisions a schedule's page lists.
    pub const EVENTS_ON_SCHEDULE_PAGE: i64 = 50;

    pub fn detail(
        schedule: &Schedule,
        runs: &[worker::model::Run],
        events: &[worker::model::ScheduleEvent],
        no_worker: bool,
    ) -> super::ScheduleDetail {
        let retry = &schedule.retry;
        let retries = match retry.max_retries {
            0 => "none".to_string(),
            n => {
                let count = if n < 0 {
                    "no limit".to_string()
                } else {
                    n.to_string()
                };
                format!(
                    "{count}, {} backoff from {} s to at most {} s",
                    retry.backoff.as_str(),
                    retry.base_ms as f64 / 1000.0,
                    retry.cap_ms as f64 / 1000.0
                )
            }
        };
        let description_of_timing = match &schedule.timing {
            Timing::Cron { expression, .. } => worker::timing::CronExpr::parse(expression)
                .ok()
                .map(|e| e.describe()),
            _ => None,
        };
        super::ScheduleDetail {
            summary: summary(schedule, no_worker),
            description_of_timing,
            description: schedule.description.clone(),
            data: crate::functions::ssr::pretty(&schedule.data),
            timeout: format!("{} s", schedule.timeout_ms as f64 / 1000.0),
            catch_up: schedule.catch_up.as_str().to_string(),
            overlap: schedule.overlap.as_str().to_string(),
            retries,
            failure_trigger: schedule.failure_trigger,
            event_id: schedule.event_id.clone(),
            created_at: show_instant(schedule.created_at),
            runs: runs
                .iter()
                .map(|r| crate::runs::ssr::summary(r, Some(&schedule.title)))
                .collect(),
            events: events.iter().map(event_summary).collect(),
            draft: draft(schedule),
        }
    }

    /// A stored schedule as the form's fields.
    fn draft(schedule: &Schedule) -> super::ScheduleInput {
        let tz = worker::timing::parse_timezone(&schedule.timezone).unwrap_or(chrono_tz::UTC);
        let (when, cron, run_at) = match &schedule.timing {
            Timing::Cron { expression, phrase } => (
                "cron",
                phrase.clone().unwrap_or_else(|| expression.clone()),
                String::new(),
            ),
            Timing::Once { run_at } => (
                "once",
                String::new(),
                run_at
                    .with_timezone(&tz)
                    .format("%Y-%m-%dT%H:%M:%S")
                    .to_string(),
            ),
            Timing::Manual => ("manual", String::new(), String::new()),
        };
        super::ScheduleInput {
            schedule_id: schedule.id.to_string(),
            function: format!("{}@{}", schedule.function_id, schedule.function_version),
            title: schedule.title.clone(),
            description: schedule.description.clone(),
            data: crate::functions::ssr::pretty(&schedule.data),
            when: when.to_string(),
            cron,
            run_at,
            timezone: schedule.timezone.clone(),
            catch_up: schedule.catch_up.as_str().to_string(),
            overlap: schedule.overlap.as_str().to_string(),
            max_retries: schedule.retry.max_retries.to_string(),
        }
    }

    fn event_summary(event: &worker::model::ScheduleEvent) -> super::EventSummary {
        let fire_times = match (event.first_fire_time, event.last_fire_time) {
            (Some(first), Some(last)) if first != last => Some(format!(
                "{} fire times, {} to {}",
                event.fire_count,
                show_instant(first),
                show_instant(last)
            )),
            (Some(first), _) => Some(show_instant(first)),
            _ => None,
        };
        super::EventSummary {
            at: show_instant(event.at),
            kind: event.kind.as_str().to_string(),
            run_id: event.run_id,
            fire_times,
            reason: event.reason.clone(),
        }
    }

    /// A schedule in a list; `no_worker` when its function version is not
    /// registered.
    pub fn summary(schedule: &Schedule, no_worker: bool) -> ScheduleSummary {
        ScheduleSummary {
            id: schedule.id,
            title: schedule.title.clone(),
            function_id: schedule.function_id.clone(),
            function_version: schedule.function_version,
            timing: match &schedule.timing {
                Timing::Cron {
                    expression,
                    phrase: Some(phrase),
                } => format!("{phrase} (cron {expression})"),
                Timing::Cron { expression, .. } => format!("cron {expression}"),
                Timing::Once { run_at } => format!("once at {}", show_instant(*run_at)),
                Timing::Manual => "manual".to_string(),
            },
            timezone: schedule.timezone.clone(),
            status: schedule.status.as_str().to_string(),
            next_run_at: schedule.next_run_at.map(show_instant),
            no_worker,
        }
    }

    pub fn parse_function_ref(text: &str) -> Result<(String, i64), AppError> {
        let invalid = || AppError::Invalid(format!("function: `{text}` is not `id@version`"));
        let (id, version) = text.rsplit_once('@').ok_or_else(invalid)?;
        let version = version.parse::<i64>().map_err(|_| invalid())?;
        Ok((id.to_string(), version))
    }

    pub fn timing(
        when: &str,
        cron: &str,
        run_at: &str,
        tz: chrono_tz::Tz,
    ) -> Result<Timing, AppError> {
        match when {
            "cron" => Ok(Timing::Cron {
                expression: cron.to_string(),
                phrase: None,
            }),
            "manual" => Ok(Timing::Manual),
            "once" => {
                let local = parse_local(run_at)?;
                // A local time that does not exist (a DST gap) is refused; one
                // that occurs twice means its first occurrence.
                let instant = match tz.from_local_datetime(&local) {
                    LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t,
                    LocalResult::None => {
                        return Err(AppError::Invalid(format!(
                            "run at: {run_at} does not exist in {tz} (the clocks skip it)"
                        )));
                    }
                };
                Ok(Timing::Once {
                    run_at: instant.with_timezone(&chrono::Utc),
                })
            }
            other => Err(AppError::Invalid(format!(
                "when: `{other}` is not one of cron, once, manual"
            ))),
        }
    }

    /// The timezone named in the form; empty means the server's default.
    pub fn zone(text: &str, default: chrono_tz::Tz) -> Result<chrono_tz::Tz, AppError> {
        match text.trim() {
            "" => Ok(default),
            name => worker::timing::parse_timezone(name)
                .map_err(|e| AppError::Invalid(format!("timezone: {e}"))),
        }
    }

    /// Reads the form's policy fields; empty ones keep the defaults.
    pub fn policies(
        new: &mut worker::model::NewSchedule,
        catch_up: &str,
        overlap: &str,
        max_retries: &str,
    ) -> Result<(), AppError> {
        use worker::model::{CatchUp, Overlap};
        if !catch_up.is_empty() {
            new.catch_up = CatchUp::parse(catch_up).ok_or_else(|| {
                AppError::Invalid(format!(
                    "catch up: `{catch_up}` is not one of none, one, all"
                ))
            })?;
        }
        if !overlap.is_empty() {
            new.overlap = Overlap::parse(overlap).ok_or_else(|| {
                AppError::Invalid(format!(
                    "overlap: `{overlap}` is not one of skip, allow, queue"
                ))
            })?;
        }
        let max_retries = max_retries.trim();
        if !max_retries.is_empty() {
            new.retry.max_retries = max_retries.parse().map_err(|_| {
                AppError::Invalid(format!(
                    "max retries: `{max_retries}` is not a whole number"
                ))
            })?;
        }
        Ok(())
    }

    fn parse_local(text: &str) -> Result<NaiveDateTime, AppError> {
        ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(text.trim(), format).ok())
            .ok_or_else(|| {
                AppError::Invalid(format!(
                    "run at: `{text}` is not a date and time (YYYY-MM-DDTHH:MM)"
                ))
            })
    }
}

/// The live preview of a cron expression or phrase: its cron form, what it
/// means, and the next fire times in the schedule's zone and the viewer's.
#[component]
fn TimingPreviewView(preview: TimingPreview) -> impl IntoView {
    let viewer = preview
        .fire_times
        .first()
        .is_some_and(|t| t.viewer_zone.is_some());
    view! {
        <div class="preview" id="cron-preview">
            {preview.phrase.is_some().then(|| view! {
                <p>"Cron form: " <code id="cron-form">{preview.expression.clone()}</code></p>
            })}
            <p id="cron-description">{preview.description}</p>
            <table class="table compact">
                <thead>
                    <tr>
                        <th>"Next fire times (schedule's zone)"</th>
                        {viewer.then(|| view! { <th>"Your zone"</th> })}
                        <th>"UTC"</th>
                    </tr>
                </thead>
                <tbody>
                    {preview.fire_times.into_iter().map(|t| view! {
                        <tr>
                            <td>{t.schedule_zone}</td>
                            {t.viewer_zone.map(|v| view! { <td>{v}</td> })}
                            <td class="mono">{t.utc}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// `NO_WORKER`: the schedule's function version is not registered.
#[component]
fn NoWorkerBadge() -> impl IntoView {
    view! {
        <span class="badge badge-no_worker" data-status="NO_WORKER"
            title="Its function version is not registered: it fires nothing until it is">
            "NO_WORKER"
        </span>
    }
}

/// A table of schedules, shared by the list and a function's page.
#[component]
pub fn ScheduleTable(schedules: Vec<ScheduleSummary>) -> impl IntoView {
    if schedules.is_empty() {
        return view! { <p class="muted">"No schedules yet."</p> }.into_any();
    }
    view! {
        <table class="table" id="schedules">
            <thead>
                <tr><th>"Schedule"</th><th>"Function"</th><th>"When"</th><th>"Status"</th><th>"Next run"</th></tr>
            </thead>
            <tbody>
                {schedules.into_iter().map(|s| view! {
                    <tr>
                        <td><A href=format!("/schedules/{}", s.id)>{s.title}</A></td>
                        <td class="mono">{format!("{} v{}", s.function_id, s.function_version)}</td>
                        <td class="mono">{s.timing}<div class="muted">{s.timezone}</div></td>
                        <td>
                            <StatusBadge status=s.status />
                            {s.no_worker.then(|| view! { " " <NoWorkerBadge /> })}
                        </td>
                        <td>{s.next_run_at.unwrap_or_else(|| "—".into())}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
pub fn SchedulesPage() -> impl IntoView {
    let schedules = Resource::new(|| (), |_| list_schedules());
    view! {
        <Title text="Schedules" />
        <section class="page">
            <div class="page-head">
                <h1>"Schedules"</h1>
                <A href="/schedules/new" attr:class="button">"New schedule"</A>
            </div>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || loaded(schedules.get(), |schedules| view! { <ScheduleTable schedules /> })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn SchedulePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok()));
    let schedule = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_schedule(id).await,
            None => Err(AppError::NotFound("schedule not found".into())),
        }
    });
    poll_while(
        move || {
            schedule
                .get()
                .and_then(Result::ok)
                .is_some_and(|s| s.runs.iter().any(|r| !r.finished))
        },
        move || schedule.refetch(),
    );

    let run = ServerAction::<RunNow>::new();
    let pause = ServerAction::<PauseSchedule>::new();
    let resume = ServerAction::<ResumeSchedule>::new();
    Effect::new(move |_| {
        if pause.version().get() + resume.version().get() > 0 {
            schedule.refetch();
        }
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(run_id)) = run.value().get() {
            navigate(&format!("/runs/{run_id}"), Default::default());
        }
    });

    view! {
        <Title text="Schedule" />
        <section class="page">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || loaded(schedule.get(), |s: ScheduleDetail| {
                    let function_href = format!("/functions/{}/{}", s.summary.function_id, s.summary.function_version);
                    let paused = s.summary.status == "paused";
                    let next_run = if paused {
                        "— (paused)".to_string()
                    } else {
                        s.summary.next_run_at.clone().unwrap_or_else(|| "—".into())
                    };
                    let id = s.summary.id;
                    view! {
                        <div class="page-head">
                            <h1>{s.summary.title.clone()}</h1>
                            <div class="actions">
                                {if paused {
                                    view! {
                                        <ActionForm action=resume>
                                            <input type="hidden" name="schedule_id" value=id />
                                            <button type="submit" class="secondary" id="resume">"Resume"</button>
                                        </ActionForm>
                                    }.into_any()
                                } else {
                                    view! {
                                        <ActionForm action=pause>
                                            <input type="hidden" name="schedule_id" value=id />
                                            <button type="submit" class="secondary" id="pause">"Pause"</button>
                                        </ActionForm>
                                    }.into_any()
                                }}
                                <A href=format!("/schedules/{id}/edit") attr:class="button secondary" attr:id="edit">"Edit"</A>
                                <ActionForm action=run>
                                    <input type="hidden" name="schedule_id" value=id />
                                    <button type="submit" id="run-now">"Run now"</button>
                                </ActionForm>
                            </div>
                        </div>
                        {s.summary.no_worker.then(|| view! {
                            <p class="notice notice-error" id="no-worker">
                                {format!(
                                    "NO_WORKER: {} version {} is not registered, so nothing runs this \
                                     schedule and it fires nothing until that version is registered \
                                     again; a newer version's page can migrate it.",
                                    s.summary.function_id, s.summary.function_version
                                )}
                            </p>
                        })}
                        <p>{s.description.clone()}</p>
                        <dl class="facts">
                            <dt>"Function"</dt>
                            <dd><A href=function_href>{format!("{} v{}", s.summary.function_id, s.summary.function_version)}</A></dd>
                            <dt>"When"</dt>
                            <dd>
                                <span class="mono" id="timing">{s.summary.timing.clone()}</span>
                                {s.description_of_timing.clone().map(|d| view! { <div class="muted" id="timing-description">{d}</div> })}
                            </dd>
                            <dt>"Timezone"</dt><dd>{s.summary.timezone.clone()}</dd>
                            <dt>"Status"</dt>
                            <dd>
                                <StatusBadge status=s.summary.status.clone() />
                                {s.summary.no_worker.then(|| view! { " " <NoWorkerBadge /> })}
                            </dd>
                            <dt>"Next run"</dt><dd id="next-run">{next_run}</dd>
                            <dt>"Timeout"</dt><dd>{s.timeout.clone()}</dd>
                            <dt>"Catch-up"</dt><dd>{s.catch_up.clone()}</dd>
                            <dt>"Overlap"</dt><dd>{s.overlap.clone()}</dd>
                            <dt>"Retries"</dt><dd>{s.retries.clone()}</dd>
                            {s.failure_trigger.map(|target| view! {
                                <dt>"On failure"</dt>
                                <dd><A href=format!("/schedules/{target}")>{format!("run schedule {target}")}</A></dd>
                            })}
                            {s.event_id.clone().map(|event_id| view! {
                                <dt>"Event id"</dt><dd class="mono">{event_id}</dd>
                            })}
                            <dt>"Created"</dt><dd>{s.created_at.clone()}</dd>
                        </dl>
                        <h2>"Data"</h2>
                        <JsonBlock json=s.data.clone() />
                        <h2>"Runs"</h2>
                        <RunTable runs=s.runs />
                        <h2>"Decisions"</h2>
                        <EventTable events=s.events />
                    }
                })}
            </Suspense>
            {move || run.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error /> })}
            {move || pause.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error /> })}
            {move || resume.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error /> })}
        </section>
    }
}

/// Skipped and caught-up fire times, retries and pauses, newest first.
#[component]
fn EventTable(events: Vec<EventSummary>) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="muted">"No decisions yet: every fire time so far got its run."</p> }
            .into_any();
    }
    view! {
        <table class="table" id="events">
            <thead>
                <tr><th>"At"</th><th>"Decision"</th><th>"Fire times"</th><th>"Why"</th></tr>
            </thead>
            <tbody>
                {events.into_iter().map(|e| view! {
                    <tr data-kind=e.kind.clone()>
                        <td>{e.at}</td>
                        <td>
                            {e.kind.replace('_', " ")}
                            {e.run_id.map(|id| view! { <div><A href=format!("/runs/{id}")>{format!("run {id}")}</A></div> })}
                        </td>
                        <td>{e.fire_times.unwrap_or_else(|| "—".into())}</td>
                        <td>{e.reason}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
pub fn NewSchedulePage() -> impl IntoView {
    let query = use_query_map();
    let functions = Resource::new(|| (), |_| list_functions());
    view! {
        <Title text="New schedule" />
        <section class="page narrow">
            <h1>"New schedule"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || loaded(functions.get(), move |functions: Vec<FunctionSummary>| {
                    let draft = ScheduleInput {
                        function: query.with_untracked(|q| q.get("function")).unwrap_or_default(),
                        ..ScheduleInput::default()
                    };
                    view! { <ScheduleForm functions draft /> }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn EditSchedulePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok()));
    let page = Resource::new(id, |id| async move {
        let Some(id) = id else {
            return Err(AppError::NotFound("schedule not found".into()));
        };
        Ok((get_schedule(id).await?, list_functions().await?))
    });
    view! {
        <Title text="Edit schedule" />
        <section class="page narrow">
            <h1>"Edit schedule"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || loaded(page.get(), |(schedule, functions): (ScheduleDetail, Vec<FunctionSummary>)| {
                    view! { <ScheduleForm functions draft=schedule.draft /> }
                })}
            </Suspense>
        </section>
    }
}

/// The schedule form: function, data (pre-filled with the function's example
/// and checked against its schema as it is typed), timing with a live
/// preview, policies, title. `draft` holds the values to start from: a
/// stored schedule's when editing, else only a preselected function.
#[component]
fn ScheduleForm(functions: Vec<FunctionSummary>, draft: ScheduleInput) -> impl IntoView {
    if functions.is_empty() {
        return view! {
            <p class="muted">"No functions yet. " <A href="/functions/upload">"Upload a module"</A> " first."</p>
        }
        .into_any();
    }
    let key = |f: &FunctionSummary| format!("{}@{}", f.id, f.version);
    let initial = functions
        .iter()
        .find(|f| key(f) == draft.function)
        .unwrap_or(&functions[0]);
    let editing = !draft.schedule_id.is_empty();
    let or =
        |value: &str, default: &str| if value.is_empty() { default } else { value }.to_string();

    let function = RwSignal::new(key(initial));
    let data = RwSignal::new(or(&draft.data, &initial.example));
    let when = RwSignal::new(or(&draft.when, "cron"));
    let cron = RwSignal::new(or(&draft.cron, "*/5 * * * *"));
    let timezone = RwSignal::new(draft.timezone.clone());
    let catch_up = or(&draft.catch_up, "one");
    let overlap = or(&draft.overlap, "skip");
    let max_retries = or(&draft.max_retries, "0");

    let examples: Vec<(String, String)> = functions
        .iter()
        .map(|f| (key(f), f.example.clone()))
        .collect();
    let choose_function = move |chosen: String| {
        if let Some((_, example)) = examples.iter().find(|(k, _)| *k == chosen) {
            data.set(example.clone());
        }
        function.set(chosen);
    };

    let data_check = Resource::new(
        move || (function.get(), data.get()),
        |(function, data)| check_data(function, data),
    );
    // The browser's timezone is known only once hydrated; the preview then
    // shows each fire time in it too.
    let viewer_timezone = RwSignal::new(None::<String>);
    Effect::new(move |_| viewer_timezone.set(crate::components::browser_timezone()));
    let preview = Resource::new(
        move || {
            (
                when.get(),
                cron.get(),
                timezone.get(),
                viewer_timezone.get(),
            )
        },
        |(when, cron, timezone, viewer)| async move {
            if when == "cron" {
                preview_timing(cron, timezone, viewer).await.map(Some)
            } else {
                Ok(None)
            }
        },
    );

    let create = ServerAction::<SaveSchedule>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            navigate(&format!("/schedules/{id}"), Default::default());
        }
    });

    view! {
        <ActionForm action=create attr:class="form" attr:id="schedule-form">
            <input type="hidden" name="input[schedule_id]" value=draft.schedule_id.clone() />
            <label>
                "Function"
                <select name="input[function]" prop:value=move || function.get()
                    on:change=move |ev| choose_function(event_target_value(&ev))>
                    {functions.iter().map(|f| {
                        let k = key(f);
                        view! { <option value=k.clone() selected=k == function.get_untracked()>{format!("{} ({} v{})", f.title, f.id, f.version)}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>
                "Data (JSON)"
                <textarea name="input[data]" rows="6" class="mono" prop:value=move || data.get()
                    on:input=move |ev| data.set(event_target_value(&ev))>{textarea_text(&data.get_untracked())}</textarea>
            </label>
            <Transition fallback=|| ()>
                {move || data_check.get().map(|result| match result {
                    Ok(()) => view! { <p class="hint hint-ok" id="data-check">"Data matches the function's schema."</p> }.into_any(),
                    Err(error) => view! { <p class="hint hint-error" id="data-check">{error.to_string()}</p> }.into_any(),
                })}
            </Transition>
            <fieldset>
                <legend>"When"</legend>
                <div class="choices">
                    {["cron", "once", "manual"].map(|choice| view! {
                        <label class="choice">
                            <input type="radio" name="input[when]" value=choice
                                checked=move || when.get() == choice
                                on:change=move |_| when.set(choice.to_string()) />
                            {match choice { "cron" => "Repeatedly", "once" => "Once, at", _ => "Manually only" }}
                        </label>
                    })}
                </div>
                <label class:hidden=move || when.get() != "cron">
                    "Cron expression (5 fields, or 6 with seconds first) or a phrase such as “every day at 2 am”"
                    <input type="text" name="input[cron]" class="mono" prop:value=move || cron.get()
                        on:input=move |ev| cron.set(event_target_value(&ev)) />
                </label>
                <label class:hidden=move || when.get() != "once">
                    "Run at (in the timezone below)"
                    <input type="datetime-local" name="input[run_at]" step="1" value=draft.run_at.clone() />
                </label>
                <label>
                    "Timezone (IANA name)"
                    <input type="text" name="input[timezone]" placeholder="The server's default (UTC unless set)"
                        prop:value=move || timezone.get()
                        on:input=move |ev| timezone.set(event_target_value(&ev)) />
                </label>
                <Transition fallback=|| ()>
                    {move || preview.get().map(|result| match result {
                        Ok(Some(preview)) => view! { <TimingPreviewView preview /> }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(error) => view! { <p class="hint hint-error" id="cron-preview">{error.to_string()}</p> }.into_any(),
                    })}
                </Transition>
            </fieldset>
            <fieldset>
                <legend>"When things go wrong"</legend>
                <label>
                    "Retries after a failed run (0 for none, -1 without limit)"
                    <input type="number" name="input[max_retries]" value=max_retries min="-1" />
                </label>
                <label>
                    "If the previous run is still going at a fire time"
                    <select name="input[overlap]">
                        {[("skip", "Skip that fire time"), ("queue", "Queue one run behind it"),
                          ("allow", "Start another run anyway")]
                            .map(|(value, label)| view! { <option value=value selected=overlap == value>{label}</option> })}
                    </select>
                </label>
                <label>
                    "Fire times missed while Enschedule was down"
                    <select name="input[catch_up]">
                        {[("one", "Run once for the latest"), ("all", "Run each of them (at most 100)"),
                          ("none", "Skip them")]
                            .map(|(value, label)| view! { <option value=value selected=catch_up == value>{label}</option> })}
                    </select>
                </label>
            </fieldset>
            <label>"Title" <input type="text" name="input[title]" placeholder="Defaults to the function's title" value=draft.title.clone() /></label>
            <label>"Description" <textarea name="input[description]" rows="2">{textarea_text(&draft.description)}</textarea></label>
            <button type="submit" id="create-schedule" disabled=move || create.pending().get()>
                {if editing { "Save schedule" } else { "Create schedule" }}
            </button>
            {move || create.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error /> })}
        </ActionForm>
    }
    .into_any()
}
