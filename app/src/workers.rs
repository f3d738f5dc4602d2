//! Workers: the logical workers, their instances and how each is doing.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::components::{StatusBadge, loaded};
use crate::error::AppError;
use crate::runs::poll_while;

/// A worker with its instances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerSummary {
    pub id: String,
    pub title: String,
    pub description: String,
    pub version: i64,
    pub instances: Vec<InstanceSummary>,
}

/// One instance of a worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceSummary {
    pub id: String,
    pub hostname: String,
    pub version: i64,
    /// `UP`, `PENDING`, `DOWN` or `STOPPED`.
    pub health: String,
    pub heartbeat: String,
    /// How long ago the last heartbeat was, in words.
    pub heartbeat_age: String,
    pub started_at: String,
    pub concurrency: i64,
    pub functions: Vec<String>,
}

/// The workers the caller may see, each with its instances.
#[server]
pub async fn list_workers() -> Result<Vec<WorkerSummary>, AppError> {
    crate::remote::forward_to_worker!(ListWorkers {});
    let access = crate::auth::ssr::Access::load().await?;
    let engine = access.engine.clone();
    let now = engine.now();
    Ok(engine
        .store()
        .workers_with_instances()
        .await?
        .into_iter()
        .filter(|(w, _)| access.rights.may_view_worker(&w.id))
        .map(|(w, instances)| ssr::summary(w, &instances, now))
        .collect())
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use chrono::{DateTime, Utc};
    use worker::instance::{Instance, Worker};

    use super::{InstanceSummary, WorkerSummary};
    use crate::components::show_instant;

    pub fn summary(worker: Worker, instances: &[Instance], now: DateTime<Utc>) -> WorkerSummary {
        WorkerSummary {
            instances: instances
                .iter()
                .map(|i| InstanceSummary {
                    id: i.id.clone(),
                    hostname: i.hostname.clone(),
                    version: i.version,
                    health: i.health(now).as_str().to_string(),
                    heartbeat: show_instant(i.heartbeat_at),
                    heartbeat_age: age(now - i.heartbeat_at),
                    started_at: show_instant(i.started_at),
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

    /// `4 s ago`, `3 min ago`, `2 h ago`, `5 d ago`.
    fn age(elapsed: chrono::Duration) -> String {
        let seconds = elapsed.num_seconds().max(0);
        match seconds {
            0..60 => format!("{seconds} s ago"),
            60..3600 => format!("{} min ago", seconds / 60),
            3600..86_400 => format!("{} h ago", seconds / 3600),
            _ => format!("{} d ago", seconds / 86_400),
        }
    }
}

#[component]
pub fn WorkersPage() -> impl IntoView {
    let workers = Resource::new(|| (), |_| list_workers());
    // Health changes with time alone: keep it current while the page is open.
    poll_while(move || workers.get().is_some(), move || workers.refetch());
    view! {
        <Title text="Workers" />
        <section class="page">
            <h1>"Workers"</h1>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || loaded(workers.get(), |workers: Vec<WorkerSummary>| {
                    if workers.is_empty() {
                        return view! { <p class="muted">"No worker has started yet."</p> }.into_any();
                    }
                    workers.into_iter().map(|w| view! {
                        <section class="worker" data-worker=w.id.clone()>
                            <h2>{w.title.clone()} " " <span class="muted mono">{format!("{} · version {}", w.id, w.version)}</span></h2>
                            {(!w.description.is_empty()).then(|| view! { <p>{w.description.clone()}</p> })}
                            <table class="table instances">
                                <thead><tr>
                                    <th>"Instance"</th><th>"Host"</th><th>"Version"</th><th>"Status"</th>
                                    <th>"Last heartbeat"</th><th>"Started"</th><th>"Concurrency"</th><th>"Functions"</th>
                                </tr></thead>
                                <tbody>
                                    {w.instances.into_iter().map(|i| view! {
                                        <tr data-instance=i.id.clone()>
                                            <td class="mono">{i.id.clone()}</td>
                                            <td>{i.hostname.clone()}</td>
                                            <td>{i.version}</td>
                                            <td><StatusBadge status=i.health.to_lowercase() /></td>
                                            <td title=i.heartbeat.clone()>{i.heartbeat_age.clone()}</td>
                                            <td>{i.started_at.clone()}</td>
                                            <td>{i.concurrency}</td>
                                            <td class="mono">{i.functions.join(", ")}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                    }).collect_view().into_any()
                })}
            </Transition>
        </section>
    }
}
