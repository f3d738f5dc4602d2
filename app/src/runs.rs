//! Runs: each execution of a function, with its captured output.

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::components::{JsonBlock, Log, LogView, StatusBadge, loaded};
use crate::error::AppError;

/// A run in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: i64,
    pub schedule_id: i64,
    pub schedule_title: Option<String>,
    pub function_id: String,
    pub function_version: i64,
    pub trigger: String,
    pub scheduled_for: String,
    pub attempt: i64,
    pub status: String,
    pub finished: bool,
    pub started_at: Option<String>,
    pub duration: Option<String>,
    pub exit_code: Option<i32>,
}

/// A run with everything its page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDetail {
    pub summary: RunSummary,
    pub data: String,
    pub error: Option<String>,
    pub finished_at: Option<String>,
    pub timeout: String,
    pub instance_id: Option<String>,
    /// `None` when the caller may see the run but not its output.
    pub stdout: Option<Log>,
    pub stderr: Option<Log>,
    /// A running run asked to stop, not stopped yet.
    pub cancel_requested: bool,
    /// Whether the caller may cancel it: it has not ended, and they may
    /// edit its schedule.
    pub may_cancel: bool,
}

#[server]
pub async fn list_runs(status: Option<String>) -> Result<Vec<RunSummary>, AppError> {
    crate::remote::forward_to_worker!(ListRuns { status });
    let access = crate::auth::ssr::Access::load().await?;
    let engine = access.engine.clone();
    let status =
        match status.as_deref() {
            None | Some("") => None,
            Some(text) => Some(worker::model::RunStatus::parse(text).ok_or_else(|| {
                AppError::Invalid(format!("status: `{text}` is not a run status"))
            })?),
        };
    let schedules = engine.store().list_schedules().await?;
    let schedule_ids = access.rights.run_schedule_filter(&schedules);
    let filter = worker::store::RunFilter {
        status,
        schedule_ids,
        limit: ssr::RUNS_PER_PAGE,
        ..Default::default()
    };
    let runs = engine.store().list_runs(&filter).await?;
    let titles: std::collections::HashMap<i64, String> =
        schedules.into_iter().map(|s| (s.id, s.title)).collect();
    Ok(runs
        .iter()
        .map(|r| ssr::summary(r, titles.get(&r.schedule_id).map(String::as_str)))
        .collect())
}

#[server]
pub async fn get_run(id: i64) -> Result<RunDetail, AppError> {
    use worker::model::Stream;

    crate::remote::forward_to_worker!(GetRun { id });
    let access = crate::auth::ssr::Access::load().await?;
    let engine = access.engine.clone();
    let run = engine.store().get_run(id).await?;
    access
        .rights
        .check_run(worker::access::Right::RunView, &run)?;
    let logs_visible = access
        .rights
        .check_run(worker::access::Right::RunViewLogs, &run)
        .is_ok();
    let may_cancel = !run.status.is_finished() && access.rights.check_cancel(&run).is_ok();
    let title = engine
        .store()
        .get_schedule(run.schedule_id)
        .await
        .ok()
        .map(|s| s.title);
    let (stdout, stderr) = if logs_visible {
        let stdout = engine.store().run_output(id, Stream::Stdout).await?;
        let stderr = engine.store().run_output(id, Stream::Stderr).await?;
        (Some(ssr::log(&stdout)), Some(ssr::log(&stderr)))
    } else {
        (None, None)
    };
    Ok(RunDetail {
        summary: ssr::summary(&run, title.as_deref()),
        data: crate::functions::ssr::pretty(&run.data),
        error: run.error.clone(),
        finished_at: run.finished_at.map(crate::components::show_instant),
        timeout: format!("{} s", run.timeout_ms as f64 / 1000.0),
        instance_id: run.instance_id.clone(),
        stdout,
        stderr,
        cancel_requested: run.cancel_requested_at.is_some() && !run.status.is_finished(),
        may_cancel,
    })
}

/// Cancels a run: one not started yet ends at once, a running one stops
/// within a second. Needs the right to edit its schedule.
#[server]
pub async fn cancel_run(id: i64) -> Result<(), AppError> {
    crate::remote::forward_to_worker!(CancelRun { id });
    let access = crate::auth::ssr::Access::load().await?;
    let engine = access.engine.clone();
    let run = engine.store().get_run(id).await?;
    access.rights.check_cancel(&run)?;
    engine.cancel_run(id).await?;
    Ok(())
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use worker::model::{Output, Run};

    use super::RunSummary;
    use crate::components::{Log, LogLine, show_instant};

    /// How many runs the runs page lists.
    pub const RUNS_PER_PAGE: i64 = 100;

    pub fn summary(run: &Run, schedule_title: Option<&str>) -> RunSummary {
        let duration = run.started_at.zip(run.finished_at).map(|(start, end)| {
            let ms = (end - start).num_milliseconds();
            if ms < 1000 {
                format!("{ms} ms")
            } else {
                format!("{:.1} s", ms as f64 / 1000.0)
            }
        });
        RunSummary {
            id: run.id,
            schedule_id: run.schedule_id,
            schedule_title: schedule_title.map(str::to_string),
            function_id: run.function_id.clone(),
            function_version: run.function_version,
            trigger: run.trigger.as_str().to_string(),
            scheduled_for: show_instant(run.scheduled_for),
            attempt: run.attempt,
            status: run.status.as_str().to_string(),
            finished: run.status.is_finished(),
            started_at: run.started_at.map(show_instant),
            duration,
            exit_code: run.exit_code,
        }
    }

    /// Lines a run page shows at most from each end of a stream.
    const SHOWN_LINES_PER_END: usize = 1000;

    pub fn log(output: &Output) -> Log {
        let omitted_before_line = (output.omitted_bytes > 0)
            .then(|| {
                output
                    .lines
                    .iter()
                    .position(|l| l.offset >= output.omitted_at)
            })
            .flatten();
        let mut lines: Vec<LogLine> = output
            .text_lines()
            .into_iter()
            .map(|(at, text)| LogLine {
                at: at.format("%H:%M:%S%.3f").to_string(),
                text,
            })
            .collect();
        // A page with a million lines helps nobody: the first and last
        // thousand are shown, the rest counted.
        let mut hidden = None;
        let mut omitted_before_line = omitted_before_line;
        if lines.len() > 2 * SHOWN_LINES_PER_END {
            let count = lines.len() - 2 * SHOWN_LINES_PER_END;
            lines.drain(SHOWN_LINES_PER_END..SHOWN_LINES_PER_END + count);
            hidden = Some((count, SHOWN_LINES_PER_END));
            omitted_before_line = omitted_before_line.and_then(|i| match i {
                i if i <= SHOWN_LINES_PER_END => Some(i),
                i if i >= SHOWN_LINES_PER_END + count => Some(i - count),
                // The gap is among the hidden lines: the hidden marker stands for both.
                _ => None,
            });
        }
        Log {
            lines,
            total_bytes: output.total_bytes,
            omitted_bytes: output.omitted_bytes,
            omitted_before_line,
            hidden,
        }
    }
}

/// Calls `refetch` every second while `unfinished` is true, in the browser.
pub fn poll_while(
    unfinished: impl Fn() -> bool + Send + Sync + 'static,
    refetch: impl Fn() + Clone + Send + Sync + 'static,
) {
    Effect::new(move |_| {
        if unfinished() {
            let refetch = refetch.clone();
            set_timeout(refetch, Duration::from_secs(1));
        }
    });
}

/// A table of runs, shared by the list and a schedule's page.
#[component]
pub fn RunTable(runs: Vec<RunSummary>) -> impl IntoView {
    if runs.is_empty() {
        return view! { <p class="muted">"No runs yet."</p> }.into_any();
    }
    view! {
        <table class="table" id="runs">
            <thead>
                <tr>
                    <th>"Run"</th><th>"Schedule"</th><th>"Trigger"</th><th>"Fire time"</th>
                    <th>"Status"</th><th>"Duration"</th><th>"Exit"</th>
                </tr>
            </thead>
            <tbody>
                {runs.into_iter().map(|r| view! {
                    <tr>
                        <td><A href=format!("/runs/{}", r.id)>{format!("#{}", r.id)}</A></td>
                        <td><A href=format!("/schedules/{}", r.schedule_id)>
                            {r.schedule_title.unwrap_or_else(|| format!("#{}", r.schedule_id))}
                        </A></td>
                        <td>{r.trigger}{(r.attempt > 1).then(|| format!(" (attempt {})", r.attempt))}</td>
                        <td>{r.scheduled_for}</td>
                        <td><StatusBadge status=r.status /></td>
                        <td>{r.duration.unwrap_or_else(|| "—".into())}</td>
                        <td>{r.exit_code.map(|c| c.to_string()).unwrap_or_else(|| "—".into())}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
pub fn RunsPage() -> impl IntoView {
    let status = RwSignal::new(String::new());
    let runs = Resource::new(move || status.get(), |status| list_runs(Some(status)));
    poll_while(
        move || {
            runs.get()
                .and_then(Result::ok)
                .is_some_and(|r| r.iter().any(|r| !r.finished))
        },
        move || runs.refetch(),
    );
    view! {
        <Title text="Runs" />
        <section class="page">
            <div class="page-head">
                <h1>"Runs"</h1>
                <label class="inline">
                    "Status "
                    <select on:change=move |ev| status.set(event_target_value(&ev))>
                        <option value="">"any"</option>
                        {RUN_STATUSES.into_iter().map(|s| view! { <option value=s>{s.replace('_', " ")}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || loaded(runs.get(), |runs| view! { <RunTable runs /> })}
            </Transition>
        </section>
    }
}

/// The run statuses, in their life order, for the filter.
const RUN_STATUSES: [&str; 7] = [
    "pending",
    "running",
    "succeeded",
    "failed",
    "timed_out",
    "cancelled",
    "lost",
];

#[component]
pub fn RunPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok()));
    let cancel = ServerAction::<CancelRun>::new();
    let run = Resource::new(
        move || (id(), cancel.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => get_run(id).await,
                None => Err(AppError::NotFound("run not found".into())),
            }
        },
    );
    poll_while(
        move || {
            run.get()
                .and_then(Result::ok)
                .is_some_and(|r| !r.summary.finished)
        },
        move || run.refetch(),
    );
    view! {
        <Title text="Run" />
        <section class="page">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || loaded(run.get(), |r: RunDetail| {
                    let s = r.summary;
                    view! {
                        <div class="page-head">
                            <h1>{format!("Run #{}", s.id)}</h1>
                            <StatusBadge status=s.status.clone() />
                            {r.cancel_requested.then(|| view! {
                                <span class="muted" id="cancelling">"stopping…"</span>
                            })}
                            {(r.may_cancel && !r.cancel_requested).then(|| view! {
                                <ActionForm action=cancel attr:class="inline-form">
                                    <input type="hidden" name="id" value=s.id />
                                    <button type="submit" class="secondary" id="cancel-run"
                                        disabled=move || cancel.pending().get()>"Cancel run"</button>
                                </ActionForm>
                            })}
                        </div>
                        {move || cancel.value().get().and_then(Result::err).map(|error| view! {
                            <crate::components::ErrorNotice error />
                        })}
                        <dl class="facts">
                            <dt>"Schedule"</dt>
                            <dd><A href=format!("/schedules/{}", s.schedule_id)>
                                {s.schedule_title.clone().unwrap_or_else(|| format!("#{}", s.schedule_id))}
                            </A></dd>
                            <dt>"Function"</dt>
                            <dd><A href=format!("/functions/{}/{}", s.function_id, s.function_version)>
                                {format!("{} v{}", s.function_id, s.function_version)}
                            </A></dd>
                            <dt>"Trigger"</dt><dd>{s.trigger.clone()}</dd>
                            <dt>"Fire time"</dt><dd>{s.scheduled_for.clone()}</dd>
                            <dt>"Attempt"</dt><dd>{s.attempt}</dd>
                            <dt>"Started"</dt><dd>{s.started_at.clone().unwrap_or_else(|| "—".into())}</dd>
                            <dt>"Finished"</dt><dd>{r.finished_at.clone().unwrap_or_else(|| "—".into())}</dd>
                            <dt>"Duration"</dt><dd>{s.duration.clone().unwrap_or_else(|| "—".into())}</dd>
                            <dt>"Exit code"</dt><dd id="exit-code">{s.exit_code.map(|c| c.to_string()).unwrap_or_else(|| "—".into())}</dd>
                            <dt>"Timeout"</dt><dd>{r.timeout.clone()}</dd>
                            <dt>"Instance"</dt><dd class="mono">{r.instance_id.clone().unwrap_or_else(|| "—".into())}</dd>
                        </dl>
                        {r.error.clone().map(|e| view! { <p class="notice notice-error" id="run-error">{e}</p> })}
                        <h2>"Data"</h2>
                        <JsonBlock json=r.data.clone() />
                        <h2>"Output"</h2>
                        {match r.stdout.clone().zip(r.stderr.clone()) {
                            Some((stdout, stderr)) => view! {
                                <div class="columns">
                                    <LogView name="stdout" log=stdout />
                                    <LogView name="stderr" log=stderr />
                                </div>
                            }.into_any(),
                            None => view! {
                                <p class="muted" id="logs-hidden">
                                    "You may see this run but not its output (the right `viewLogs`)."
                                </p>
                            }.into_any(),
                        }}
                    }
                })}
            </Transition>
        </section>
    }
}
