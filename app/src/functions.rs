//! Functions: the handler modules people can schedule, and their upload.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};
use server_fn::codec::{MultipartData, MultipartFormData};

use crate::components::{JsonBlock, loaded};
use crate::error::AppError;
use crate::schedules::{ScheduleSummary, ScheduleTable};

/// A function in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionSummary {
    pub id: String,
    pub version: i64,
    pub title: String,
    pub description: String,
    /// The example data, pretty-printed: what a new schedule starts from.
    pub example: String,
}

/// A function with everything its page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionDetail {
    pub summary: FunctionSummary,
    pub data_schema: String,
    pub module_hash: String,
    pub module_size: i64,
    pub created_at: String,
    pub schedules: Vec<ScheduleSummary>,
    /// Outgoing HTTP: `None` when the function makes no requests.
    pub http: Option<HttpAccess>,
    /// Every version of the function the viewer may see, newest first.
    pub versions: Vec<VersionLink>,
    /// The older versions this one migrates (its manifest's `migratesFrom`).
    pub migrates_from: Vec<i64>,
    /// For admins, the older versions that have schedules, which can be
    /// migrated to this one; empty for everyone else.
    pub migrations: Vec<MigrationOffer>,
}

/// A version of a function, for the list on each version's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionLink {
    pub version: i64,
    pub title: String,
}

/// An older version with schedules, and what migrating them would do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrationOffer {
    pub from: i64,
    pub schedules: i64,
    /// Whether this version declares a migration from `from`; without one,
    /// only data that already matches this version's schema moves.
    pub declared: bool,
}

/// What applying a migration did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrationReport {
    pub function_id: String,
    pub from: i64,
    pub to: i64,
    pub declared: bool,
    pub moved: Vec<MovedSchedule>,
    pub not_moved: Vec<UnmovedSchedule>,
}

/// A schedule the migration moved, with its new data (pretty-printed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MovedSchedule {
    pub id: i64,
    pub title: String,
    pub data: String,
}

/// A schedule the migration left on its version, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnmovedSchedule {
    pub id: i64,
    pub title: String,
    pub reason: String,
}

/// A function's outgoing HTTP: what its manifest asks for and what is granted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpAccess {
    pub requested: Vec<String>,
    pub granted: Vec<String>,
    /// Whether the viewer may change the grants (admins).
    pub may_grant: bool,
}

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Uploaded {
    pub id: String,
    pub version: i64,
    /// False when the same module and manifest were already registered.
    pub created: bool,
}

#[server]
pub async fn list_functions() -> Result<Vec<FunctionSummary>, AppError> {
    crate::remote::forward_to_worker!(ListFunctions {});
    let access = crate::auth::ssr::Access::load().await?;
    let engine = access.engine.clone();
    let functions = engine.store().list_functions().await?;
    Ok(functions
        .iter()
        .filter(|f| access.rights.may_view_function(&f.id, f.version))
        .map(ssr::summary)
        .collect())
}

#[server]
pub async fn get_function(id: String, version: i64) -> Result<FunctionDetail, AppError> {
    crate::remote::forward_to_worker!(GetFunction { id, version });
    let access = crate::auth::ssr::Access::load().await?;
    let engine = access.engine.clone();
    let function = engine.store().get_function(&id, version).await?;
    access
        .rights
        .check_function(worker::access::Right::FunctionView, &id, version)?;
    let mut schedules = engine.store().schedules_of_function(&id, version).await?;
    schedules.retain(|s| access.rights.may_view_schedule(s));
    let granted = engine.store().http_grants(&id).await?;
    let http = (function.requested_hosts.is_some() || !granted.is_empty()).then(|| HttpAccess {
        requested: function.requested_hosts.clone().unwrap_or_default(),
        granted,
        may_grant: access.rights.caller.is_admin(),
    });
    let versions = engine
        .store()
        .list_functions()
        .await?
        .into_iter()
        .filter(|f| f.id == id && access.rights.may_view_function(&f.id, f.version))
        .map(|f| VersionLink {
            version: f.version,
            title: f.title,
        })
        .collect();
    // Migrating moves schedules whoever may see them: admins only.
    let migrations = match access.rights.caller.is_admin() {
        true => engine
            .store()
            .schedule_counts_by_version(&id)
            .await?
            .into_iter()
            .filter(|&(older, count)| older < version && count > 0)
            .map(|(older, count)| MigrationOffer {
                from: older,
                schedules: count,
                declared: function.migrates_from.contains(&older),
            })
            .collect(),
        false => Vec::new(),
    };
    Ok(FunctionDetail {
        summary: ssr::summary(&function),
        data_schema: ssr::pretty(&function.data_schema),
        module_hash: function.module_hash.clone(),
        module_size: function.module_size,
        created_at: crate::components::show_instant(function.created_at),
        schedules: schedules
            .iter()
            .map(|s| crate::schedules::ssr::summary(s, false))
            .collect(),
        http,
        versions,
        migrates_from: function.migrates_from.clone(),
        migrations,
    })
}

/// Moves the schedules of version `from` to version `to`, each whose data
/// version `to`'s migration converts to data its schema accepts (or, with no
/// migration declared, whose data already fits); reports the others with
/// the reason. Admins only.
#[server]
pub async fn migrate_schedules(
    function_id: String,
    from: i64,
    to: i64,
) -> Result<MigrationReport, AppError> {
    crate::remote::forward_to_worker!(MigrateSchedules {
        function_id,
        from,
        to
    });
    let engine = crate::error::engine()?;
    let admin = crate::auth::ssr::require_admin().await?;
    let report = engine.migrate_schedules(&function_id, from, to).await?;
    tracing::info!(function.id = %function_id, from, to, by = %admin.name,
        moved = report.moved.len(), not_moved = report.not_moved.len(),
        "schedules migrated from the dashboard");
    Ok(ssr::report(report))
}

/// Replaces the hosts a function may send HTTP requests to: one per line,
/// `host` or `host:port`. Admins only.
#[server]
pub async fn set_http_grants(function_id: String, hosts: String) -> Result<Vec<String>, AppError> {
    crate::remote::forward_to_worker!(SetHttpGrants { function_id, hosts });
    let engine = crate::error::engine()?;
    let admin = crate::auth::ssr::require_admin().await?;
    let hosts: Vec<String> = hosts
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect();
    Ok(engine
        .set_http_grants(&function_id, &hosts, &admin.name)
        .await?)
}

/// Registers an uploaded module. The form sends the file as `module` and,
/// for a module without an `enschedule` section, the manifest fields `id`,
/// `version`, `title`, `description`, `dataSchema`, `example` and
/// `migratesFrom` (versions separated by commas).
#[server(input = MultipartFormData)]
pub async fn upload_function(data: MultipartData) -> Result<Uploaded, AppError> {
    if let Some(worker) = crate::remote::ssr::remote_worker() {
        let token = crate::remote::ssr::session_token()
            .await?
            .ok_or_else(crate::auth::ssr::not_signed_in)?;
        let form = ssr::read_upload(data).await?;
        return ssr::forward_upload(&worker, &token, form).await;
    }
    // A module is code that runs on the server's workers: admins only.
    let engine = crate::error::engine()?;
    crate::auth::ssr::require_admin().await?;
    let form = ssr::read_upload(data).await?;
    let module = form
        .module
        .ok_or_else(|| AppError::Invalid("module: choose a .wasm file".into()))?;
    let given = ssr::manifest_from_fields(&form.fields)?;
    let (manifest, registered) = engine.register_module(&module, given).await?;
    tracing::info!(function.id = %manifest.id, function.version = manifest.version,
        outcome = ?registered, "module uploaded");
    Ok(Uploaded {
        id: manifest.id,
        version: manifest.version,
        created: registered == worker::store::Registered::Created,
    })
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use std::collections::HashMap;

    use serde_json::Value;
    use server_fn::codec::MultipartData;
    use worker::manifest::Manifest;
    use worker::model::Function;

    use super::{FunctionSummary, Uploaded};
    use crate::error::AppError;
    use crate::remote::ssr::RemoteWorker;

    /// Uploads larger than this are refused while they stream in.
    const MAX_MODULE_BYTES: usize = 64 << 20;

    pub fn summary(function: &Function) -> FunctionSummary {
        FunctionSummary {
            id: function.id.clone(),
            version: function.version,
            title: function.title.clone(),
            description: function.description.clone(),
            example: pretty(&function.example),
        }
    }

    pub fn pretty(value: &Value) -> String {
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    }

    pub struct UploadForm {
        pub module: Option<Vec<u8>>,
        pub fields: HashMap<String, String>,
    }

    /// Sends an upload on to a remote worker as the same form.
    pub async fn forward_upload(
        worker: &RemoteWorker,
        token: &str,
        form: UploadForm,
    ) -> Result<Uploaded, AppError> {
        use leptos::server_fn::ServerFn;
        use reqwest::multipart::{Form, Part};

        let mut multipart = Form::new();
        if let Some(module) = form.module {
            multipart = multipart.part("module", Part::bytes(module).file_name("module.wasm"));
        }
        for (name, value) in form.fields {
            multipart = multipart.text(name, value);
        }
        let path = super::UploadFunction::PATH;
        let request = worker.call(path, token).multipart(multipart);
        worker.answer(path, request).await
    }

    pub async fn read_upload(data: MultipartData) -> Result<UploadForm, AppError> {
        let mut multipart = data
            .into_inner()
            .ok_or_else(|| AppError::Invalid("the upload is not a multipart form".into()))?;
        let mut form = UploadForm {
            module: None,
            fields: HashMap::new(),
        };
        while let Some(mut field) = multipart
            .next_field()
            .await
            .map_err(|e| AppError::Invalid(format!("the upload could not be read: {e}")))?
        {
            let name = field.name().unwrap_or_default().to_string();
            let mut bytes = Vec::new();
            while let Some(chunk) = field
                .chunk()
                .await
                .map_err(|e| AppError::Invalid(format!("the upload could not be read: {e}")))?
            {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > MAX_MODULE_BYTES {
                    return Err(AppError::Invalid(format!(
                        "{name}: larger than the {} MiB upload limit",
                        MAX_MODULE_BYTES >> 20
                    )));
                }
            }
            if name == "module" {
                form.module = (!bytes.is_empty()).then_some(bytes);
            } else {
                let text = String::from_utf8(bytes)
                    .map_err(|_| AppError::Invalid(format!("{name}: not UTF-8 text")))?;
                form.fields.insert(name, text);
            }
        }
        Ok(form)
    }

    /// The manifest typed into the form, when an id was given.
    pub fn manifest_from_fields(
        fields: &HashMap<String, String>,
    ) -> Result<Option<Manifest>, AppError> {
        let field = |name: &str| fields.get(name).map(|v| v.trim()).unwrap_or_default();
        if field("id").is_empty() {
            return Ok(None);
        }
        let version = field("version").parse::<i64>().map_err(|_| {
            AppError::Invalid(format!(
                "version: `{}` is not a whole number",
                field("version")
            ))
        })?;
        let json = |name: &str, default: Value| -> Result<Value, AppError> {
            match field(name) {
                "" => Ok(default),
                text => serde_json::from_str(text)
                    .map_err(|e| AppError::Invalid(format!("{name}: not valid JSON: {e}"))),
            }
        };
        Ok(Some(Manifest {
            id: field("id").to_string(),
            version,
            title: field("title").to_string(),
            description: field("description").to_string(),
            data_schema: json("dataSchema", Value::Object(Default::default()))?,
            example: json("example", Value::Null)?,
            access: Default::default(),
            default_schedule_access: Default::default(),
            default_run_access: Default::default(),
            capabilities: Default::default(),
            migrates_from: migrates_from(field("migratesFrom"))?,
        }))
    }

    /// The versions typed as `1, 2`; empty for none.
    fn migrates_from(text: &str) -> Result<Vec<i64>, AppError> {
        text.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                part.parse::<i64>().map_err(|_| {
                    AppError::Invalid(format!("migratesFrom: `{part}` is not a version number"))
                })
            })
            .collect()
    }

    pub fn report(report: worker::migrate::MigrationReport) -> super::MigrationReport {
        super::MigrationReport {
            function_id: report.function_id,
            from: report.from,
            to: report.to,
            declared: report.declared,
            moved: report
                .moved
                .into_iter()
                .map(|m| super::MovedSchedule {
                    id: m.schedule_id,
                    title: m.title,
                    data: pretty(&m.data),
                })
                .collect(),
            not_moved: report
                .not_moved
                .into_iter()
                .map(|n| super::UnmovedSchedule {
                    id: n.schedule_id,
                    title: n.title,
                    reason: n.reason,
                })
                .collect(),
        }
    }
}

#[component]
pub fn FunctionsPage() -> impl IntoView {
    let functions = Resource::new(|| (), |_| list_functions());
    view! {
        <Title text="Functions" />
        <section class="page">
            <div class="page-head">
                <h1>"Functions"</h1>
                <A href="/functions/upload" attr:class="button">"Upload a module"</A>
            </div>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || loaded(functions.get(), |functions: Vec<FunctionSummary>| view! {
                    <table class="table" id="functions">
                        <thead><tr><th>"Function"</th><th>"Version"</th><th>"Description"</th></tr></thead>
                        <tbody>
                            {functions.into_iter().map(|f| {
                                let href = format!("/functions/{}/{}", f.id, f.version);
                                view! {
                                    <tr>
                                        <td><A href=href>{f.title}</A><div class="muted mono">{f.id}</div></td>
                                        <td>{f.version}</td>
                                        <td>{f.description}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn FunctionPage() -> impl IntoView {
    let params = use_params_map();
    let grant = ServerAction::<SetHttpGrants>::new();
    let migrate = ServerAction::<MigrateSchedules>::new();
    let function = Resource::new(
        move || {
            params.with(|p| {
                (
                    p.get("id").unwrap_or_default(),
                    p.get("version").unwrap_or_default(),
                    grant.version().get() + migrate.version().get(),
                )
            })
        },
        |(id, version, _)| async move {
            let version = version.parse::<i64>().map_err(|_| {
                AppError::NotFound(format!("function {id} version {version} not found"))
            })?;
            get_function(id, version).await
        },
    );
    view! {
        <Title text="Function" />
        <section class="page">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || loaded(function.get(), |f: FunctionDetail| {
                    let new_schedule = format!(
                        "/schedules/new?function={}@{}", f.summary.id, f.summary.version
                    );
                    view! {
                        <div class="page-head">
                            <h1>{f.summary.title.clone()}</h1>
                            <A href=new_schedule attr:class="button">"Schedule it"</A>
                        </div>
                        <p>{f.summary.description.clone()}</p>
                        <dl class="facts">
                            <dt>"Id"</dt><dd class="mono">{f.summary.id.clone()}</dd>
                            <dt>"Version"</dt><dd>{f.summary.version}</dd>
                            <dt>"Module"</dt>
                            <dd class="mono">{format!("sha256:{} · {} bytes", &f.module_hash[..16], f.module_size)}</dd>
                            <dt>"Registered"</dt><dd>{f.created_at.clone()}</dd>
                            {(!f.migrates_from.is_empty()).then(|| view! {
                                <dt>"Migrates from"</dt>
                                <dd id="migrates-from">{versions_text(&f.migrates_from)}</dd>
                            })}
                        </dl>
                        <div class="columns">
                            <div><h2>"Data schema"</h2><JsonBlock json=f.data_schema.clone() /></div>
                            <div><h2>"Example"</h2><JsonBlock json=f.summary.example.clone() /></div>
                        </div>
                        {f.http.clone().map(|http| view! {
                            <HttpGrants function_id=f.summary.id.clone() http action=grant />
                        })}
                        <Versions id=f.summary.id.clone() current=f.summary.version versions=f.versions />
                        {(!f.migrations.is_empty()).then(|| view! {
                            <Migrations
                                function_id=f.summary.id.clone()
                                to=f.summary.version
                                offers=f.migrations
                                action=migrate
                            />
                        })}
                        <h2>"Schedules"</h2>
                        <ScheduleTable schedules=f.schedules />
                    }
                })}
            </Suspense>
            {move || migrate.value().get().map(|result| match result {
                Ok(report) => view! { <MigrationReportView report /> }.into_any(),
                Err(error) => view! { <crate::components::ErrorNotice error /> }.into_any(),
            })}
        </section>
    }
}

/// `1, 2 and 3`.
fn versions_text(versions: &[i64]) -> String {
    let names: Vec<String> = versions.iter().map(i64::to_string).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// The versions of a function, each a link but the one shown.
#[component]
fn Versions(id: String, current: i64, versions: Vec<VersionLink>) -> impl IntoView {
    view! {
        <section id="versions">
            <h2>"Versions"</h2>
            <ul class="versions">
                {versions.into_iter().map(|v| {
                    let label = format!("version {} — {}", v.version, v.title);
                    if v.version == current {
                        view! { <li aria-current="page"><strong>{label}</strong>" (this page)"</li> }.into_any()
                    } else {
                        let href = format!("/functions/{id}/{}", v.version);
                        view! { <li><A href=href>{label}</A></li> }.into_any()
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// For admins: a form per older version with schedules, moving them to this
/// version.
#[component]
fn Migrations(
    function_id: String,
    to: i64,
    offers: Vec<MigrationOffer>,
    action: ServerAction<MigrateSchedules>,
) -> impl IntoView {
    view! {
        <section id="migrations">
            <h2>"Migrate schedules"</h2>
            <p class="muted">
                "Schedules stay on their version until they are migrated. A schedule moves only "
                "when its new data matches this version's data schema; the others stay, and the "
                "report says why."
            </p>
            {offers.into_iter().map(|offer| {
                let count = match offer.schedules {
                    1 => "1 schedule".to_string(),
                    n => format!("{n} schedules"),
                };
                let how = if offer.declared {
                    format!("This version's migration rewrites their data from version {}.", offer.from)
                } else {
                    format!(
                        "This version declares no migration from version {}: only data that \
                         already matches its schema moves, unchanged.",
                        offer.from
                    )
                };
                let function_id = function_id.clone();
                view! {
                    <ActionForm action attr:class="form migration" attr:data-from=offer.from.to_string()>
                        <input type="hidden" name="function_id" value=function_id />
                        <input type="hidden" name="from" value=offer.from.to_string() />
                        <input type="hidden" name="to" value=to.to_string() />
                        <p>{format!("Version {}: {count}. ", offer.from)}{how}</p>
                        <button type="submit" disabled=move || action.pending().get()>
                            {format!("Migrate schedules from version {}", offer.from)}
                        </button>
                    </ActionForm>
                }
            }).collect_view()}
        </section>
    }
}

/// What a migration did: the schedules moved, with their new data, and
/// those left behind, with the reason.
#[component]
fn MigrationReportView(report: MigrationReport) -> impl IntoView {
    let summary = format!(
        "Migrated from version {} to version {}: {} moved, {} not moved.",
        report.from,
        report.to,
        report.moved.len(),
        report.not_moved.len()
    );
    let link = |id: i64, title: String| view! { <A href=format!("/schedules/{id}")>{title}</A> };
    view! {
        <section id="migration-report">
            <p class="notice notice-ok" role="status">{summary}</p>
            {(!report.moved.is_empty()).then(|| view! {
                <table class="table" id="migration-moved">
                    <thead><tr><th>"Moved"</th><th>"New data"</th></tr></thead>
                    <tbody>
                        {report.moved.into_iter().map(|m| view! {
                            <tr><td>{link(m.id, m.title)}</td><td><JsonBlock json=m.data /></td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            {(!report.not_moved.is_empty()).then(|| view! {
                <table class="table" id="migration-not-moved">
                    <thead><tr><th>"Not moved"</th><th>"Why"</th></tr></thead>
                    <tbody>
                        {report.not_moved.into_iter().map(|n| view! {
                            <tr><td>{link(n.id, n.title)}</td><td>{n.reason}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}

/// A function's outgoing HTTP: the hosts it asks for, those granted, and for
/// admins a form to change the grants.
#[component]
fn HttpGrants(
    function_id: String,
    http: HttpAccess,
    action: ServerAction<SetHttpGrants>,
) -> impl IntoView {
    let list = |hosts: &[String]| {
        if hosts.is_empty() {
            view! { <span class="muted">"none"</span> }.into_any()
        } else {
            hosts
                .iter()
                .map(|h| view! { <code class="host">{h.clone()}</code> " " })
                .collect_view()
                .into_any()
        }
    };
    let text = http.granted.join("\n");
    view! {
        <section id="http-grants">
            <h2>"Outgoing HTTP"</h2>
            <p class="muted">
                "Runs may send HTTP requests to the granted hosts only: "
                <code>"host"</code>" allows ports 80 and 443, "<code>"host:port"</code>" that port."
            </p>
            <dl class="facts">
                <dt>"Requested"</dt><dd id="http-requested">{list(&http.requested)}</dd>
                <dt>"Granted"</dt><dd id="http-granted">{list(&http.granted)}</dd>
            </dl>
            {http.may_grant.then(|| view! {
                <ActionForm action attr:class="form" attr:id="http-grants-form">
                    <input type="hidden" name="function_id" value=function_id />
                    <label>"Granted hosts, one per line"
                        <textarea name="hosts" rows="3" class="mono">{crate::components::textarea_text(&text)}</textarea>
                    </label>
                    <button type="submit" disabled=move || action.pending().get()>"Save grants"</button>
                </ActionForm>
            })}
            {move || action.value().get().and_then(Result::err).map(|error| view! {
                <crate::components::ErrorNotice error />
            })}
        </section>
    }
}

#[component]
pub fn UploadPage() -> impl IntoView {
    let upload = Action::new_local(|form: &web_sys::FormData| upload_function(form.clone().into()));
    let on_submit = move |event: web_sys::SubmitEvent| {
        use wasm_bindgen::JsCast;
        event.prevent_default();
        let Some(target) = event.target() else { return };
        if let Ok(form) = web_sys::FormData::new_with_form(target.unchecked_ref()) {
            upload.dispatch_local(form);
        }
    };
    let result = move || {
        upload.value().get().map(|result| match result {
            Ok(done) => {
                let href = format!("/functions/{}/{}", done.id, done.version);
                let what = if done.created { "Registered" } else { "Already registered, unchanged:" };
                view! {
                    <p class="notice notice-ok" role="status">
                        {what} " " <A href=href>{format!("{} version {}", done.id, done.version)}</A>
                    </p>
                }
                .into_any()
            }
            Err(error) => view! { <crate::components::ErrorNotice error /> }.into_any(),
        })
    };

    view! {
        <Title text="Upload a module" />
        <section class="page narrow">
            <h1>"Upload a module"</h1>
            <p class="muted">
                "A handler is a WASI command: a preview-1 module (wasm32-wasip1) or a component "
                "(wasm32-wasip2). Its manifest is read from its "
                <code>"enschedule"</code>
                " custom section; for a module without one, fill in the fields below."
            </p>
            <form class="form" on:submit=on_submit id="upload-form">
                <label>"Module (.wasm)" <input type="file" name="module" accept=".wasm,application/wasm" required /></label>
                <fieldset>
                    <legend>"Manifest, for a module without an enschedule section"</legend>
                    <label>"Id" <input type="text" name="id" placeholder="send-report" /></label>
                    <label>"Version" <input type="number" name="version" min="1" value="1" /></label>
                    <label>"Title" <input type="text" name="title" /></label>
                    <label>"Description" <input type="text" name="description" /></label>
                    <label>"Data schema (JSON Schema)" <textarea name="dataSchema" rows="4" class="mono">"{}"</textarea></label>
                    <label>"Example data (JSON)" <textarea name="example" rows="3" class="mono">"{}"</textarea></label>
                    <label>"Migrates from versions (optional, for example 1, 2)" <input type="text" name="migratesFrom" /></label>
                </fieldset>
                <button type="submit" disabled=move || upload.pending().get()>"Upload"</button>
            </form>
            {result}
        </section>
    }
}
