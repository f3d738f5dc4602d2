//! Schedules: when a function runs and with what data.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

use crate::components::{ErrorNotice, JsonBlock, StatusBadge, loaded};
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
}

/// A schedule with its data and latest runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleDetail {
    pub summary: ScheduleSummary,
    pub description: String,
    pub data: String,
    pub timeout: String,
    pub created_at: String,
    pub runs: Vec<RunSummary>,
}

#[server]
pub async fn list_schedules() -> Result<Vec<ScheduleSummary>, AppError> {
    let engine = crate::error::engine()?;
    let schedules = engine.store().list_schedules().await?;
    Ok(schedules.iter().map(ssr::summary).collect())
}

#[server]
pub async fn get_schedule(id: i64) -> Result<ScheduleDetail, AppError> {
    let engine = crate::error::engine()?;
    let schedule = engine.store().get_schedule(id).await?;
    let filter = worker::store::RunFilter {
        schedule_id: Some(id),
        limit: ssr::RUNS_ON_SCHEDULE_PAGE,
        ..Default::default()
    };
    let runs = engine.store().list_runs(&filter).await?;
    Ok(ScheduleDetail {
        summary: ssr::summary(&schedule),
        description: schedule.description.clone(),
        data: crate::functions::ssr::pretty(&schedule.data),
        timeout: format!("{} s", schedule.timeout_ms as f64 / 1000.0),
        created_at: crate::components::show_instant(schedule.created_at),
        runs: runs
            .iter()
            .map(|r| crate::runs::ssr::summary(r, Some(&schedule.title)))
            .collect(),
    })
}

/// The create form's fields. `function` is `id@version`; `when` is `cron`,
/// `once` or `manual`; `run_at` is a local date-time in `timezone`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleInput {
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
}

/// Creates a schedule from the form; answers its id.
#[server]
pub async fn create_schedule(input: ScheduleInput) -> Result<i64, AppError> {
    let engine = crate::error::engine()?;
    let (function_id, function_version) = ssr::parse_function_ref(&input.function)?;
    let data = worker::queue::parse_data(&input.data)?;
    let timing = ssr::timing(&input.when, &input.cron, &input.run_at, &input.timezone)?;
    let schedule = engine
        .create_schedule(worker::model::NewSchedule {
            function_id,
            function_version,
            title: input.title,
            description: input.description,
            data,
            timing,
            timezone: Some(input.timezone),
            timeout_ms: None,
        })
        .await?;
    Ok(schedule.id)
}

/// Checks data against a function's schema, for the form's live feedback.
#[server]
pub async fn check_data(function: String, data: String) -> Result<(), AppError> {
    let engine = crate::error::engine()?;
    let (id, version) = ssr::parse_function_ref(&function)?;
    let function = engine.store().get_function(&id, version).await?;
    let data = worker::queue::parse_data(&data)?;
    worker::manifest::check_data(&function.data_schema, &data)
        .map_err(|problem| AppError::Invalid(format!("data: {problem}")))
}

/// The next fire times of a cron expression in a timezone, in UTC.
#[server]
pub async fn preview_cron(expression: String, timezone: String) -> Result<Vec<String>, AppError> {
    let engine = crate::error::engine()?;
    let tz = worker::timing::parse_timezone(timezone.trim())
        .map_err(|e| AppError::Invalid(format!("timezone: {e}")))?;
    let now = engine.now();
    let cron = worker::timing::Cron::new(&expression, tz, now)
        .map_err(|e| AppError::Invalid(format!("cron: {e}")))?;
    Ok(cron
        .iter_after(now)
        .take(5)
        .map(|t| {
            let local = t.with_timezone(&tz).format("%a %Y-%m-%d %H:%M:%S %Z");
            format!("{local} ({})", crate::components::show_instant(t))
        })
        .collect())
}

#[server]
pub async fn run_now(schedule_id: i64) -> Result<i64, AppError> {
    let engine = crate::error::engine()?;
    Ok(engine.run_now(schedule_id).await?.id)
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use chrono::{LocalResult, NaiveDateTime, TimeZone};
    use worker::model::{Schedule, Timing};

    use super::ScheduleSummary;
    use crate::components::show_instant;
    use crate::error::AppError;

    /// How many runs a schedule's page lists.
    pub const RUNS_ON_SCHEDULE_PAGE: i64 = 50;

    pub fn summary(schedule: &Schedule) -> ScheduleSummary {
        ScheduleSummary {
            id: schedule.id,
            title: schedule.title.clone(),
            function_id: schedule.function_id.clone(),
            function_version: schedule.function_version,
            timing: match &schedule.timing {
                Timing::Cron { expression } => format!("cron {expression}"),
                Timing::Once { run_at } => format!("once at {}", show_instant(*run_at)),
                Timing::Manual => "manual".to_string(),
            },
            timezone: schedule.timezone.clone(),
            status: schedule.status.as_str().to_string(),
            next_run_at: schedule.next_run_at.map(show_instant),
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
        timezone: &str,
    ) -> Result<Timing, AppError> {
        match when {
            "cron" => Ok(Timing::Cron {
                expression: cron.to_string(),
            }),
            "manual" => Ok(Timing::Manual),
            "once" => {
                let tz = worker::timing::parse_timezone(timezone.trim())
                    .map_err(|e| AppError::Invalid(format!("timezone: {e}")))?;
                let local = parse_local(run_at)?;
                // A local time that does not exist (a DST gap) is refused; one
                // that occurs twice means its first occurrence.
                let instant = match tz.from_local_datetime(&local) {
                    LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t,
                    LocalResult::None => {
                        return Err(AppError::Invalid(format!(
                            "run at: {run_at} does not exist in {timezone} (the clocks skip it)"
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
                        <td><StatusBadge status=s.status /></td>
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
                    view! {
                        <div class="page-head">
                            <h1>{s.summary.title.clone()}</h1>
                            <ActionForm action=run>
                                <input type="hidden" name="schedule_id" value=s.summary.id />
                                <button type="submit" id="run-now">"Run now"</button>
                            </ActionForm>
                        </div>
                        <p>{s.description.clone()}</p>
                        <dl class="facts">
                            <dt>"Function"</dt>
                            <dd><A href=function_href>{format!("{} v{}", s.summary.function_id, s.summary.function_version)}</A></dd>
                            <dt>"When"</dt><dd class="mono">{s.summary.timing.clone()}</dd>
                            <dt>"Timezone"</dt><dd>{s.summary.timezone.clone()}</dd>
                            <dt>"Status"</dt><dd><StatusBadge status=s.summary.status.clone() /></dd>
                            <dt>"Next run"</dt><dd id="next-run">{s.summary.next_run_at.clone().unwrap_or_else(|| "—".into())}</dd>
                            <dt>"Timeout"</dt><dd>{s.timeout.clone()}</dd>
                            <dt>"Created"</dt><dd>{s.created_at.clone()}</dd>
                        </dl>
                        <h2>"Data"</h2>
                        <JsonBlock json=s.data.clone() />
                        <h2>"Runs"</h2>
                        <RunTable runs=s.runs />
                    }
                })}
            </Suspense>
            {move || run.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error /> })}
        </section>
    }
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
                    let preselected = query.with_untracked(|q| q.get("function"));
                    view! { <ScheduleForm functions preselected /> }
                })}
            </Suspense>
        </section>
    }
}

/// The create form: function, data (pre-filled with the function's example
/// and checked against its schema as it is typed), timing, title.
#[component]
fn ScheduleForm(functions: Vec<FunctionSummary>, preselected: Option<String>) -> impl IntoView {
    if functions.is_empty() {
        return view! {
            <p class="muted">"No functions yet. " <A href="/functions/upload">"Upload a module"</A> " first."</p>
        }
        .into_any();
    }
    let key = |f: &FunctionSummary| format!("{}@{}", f.id, f.version);
    let initial = preselected
        .and_then(|wanted| functions.iter().find(|f| key(f) == wanted).cloned())
        .unwrap_or_else(|| functions[0].clone());

    let function = RwSignal::new(key(&initial));
    let data = RwSignal::new(initial.example.clone());
    let when = RwSignal::new("cron".to_string());
    let cron = RwSignal::new("*/5 * * * *".to_string());
    let timezone = RwSignal::new("UTC".to_string());

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
    let preview = Resource::new(
        move || (when.get(), cron.get(), timezone.get()),
        |(when, cron, timezone)| async move {
            if when == "cron" {
                preview_cron(cron, timezone).await.map(Some)
            } else {
                Ok(None)
            }
        },
    );

    let create = ServerAction::<CreateSchedule>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            navigate(&format!("/schedules/{id}"), Default::default());
        }
    });

    view! {
        <ActionForm action=create attr:class="form" attr:id="schedule-form">
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
                    on:input=move |ev| data.set(event_target_value(&ev))>{data.get_untracked()}</textarea>
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
                            {match choice { "cron" => "Cron expression", "once" => "Once, at", _ => "Manually only" }}
                        </label>
                    })}
                </div>
                <label class:hidden=move || when.get() != "cron">
                    "Cron expression (5 fields, or 6 with seconds first)"
                    <input type="text" name="input[cron]" class="mono" prop:value=move || cron.get()
                        on:input=move |ev| cron.set(event_target_value(&ev)) />
                </label>
                <label class:hidden=move || when.get() != "once">
                    "Run at (in the timezone below)"
                    <input type="datetime-local" name="input[run_at]" />
                </label>
                <label>
                    "Timezone (IANA name)"
                    <input type="text" name="input[timezone]" prop:value=move || timezone.get()
                        on:input=move |ev| timezone.set(event_target_value(&ev)) />
                </label>
                <Transition fallback=|| ()>
                    {move || preview.get().map(|result| match result {
                        Ok(Some(times)) => view! {
                            <div class="preview" id="cron-preview">
                                <span class="muted">"Next fire times:"</span>
                                <ul>{times.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}</ul>
                            </div>
                        }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(error) => view! { <p class="hint hint-error" id="cron-preview">{error.to_string()}</p> }.into_any(),
                    })}
                </Transition>
            </fieldset>
            <label>"Title" <input type="text" name="input[title]" placeholder="Defaults to the function's title" /></label>
            <label>"Description" <textarea name="input[description]" rows="2"></textarea></label>
            <button type="submit" id="create-schedule" disabled=move || create.pending().get()>"Create schedule"</button>
            {move || create.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error /> })}
        </ActionForm>
    }
    .into_any()
}
