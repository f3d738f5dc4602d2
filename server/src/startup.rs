//! Building and running the application: database, engine, router, listener.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::FromRef;
use axum::middleware::{from_fn, from_fn_with_state};
use leptos::config::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;
use tower_sessions::SessionManagerLayer;
use worker::access::function_key;
use worker::instance::{self, Registration};
use worker::manifest::Manifest;
use worker::queue::EngineError;
use worker::runtime::Runtime;
use worker::store::{Database, Registered, SqliteLocation, StoreError};
use worker::{Engine, EngineOptions, Store, SystemClock};

use app::remote::ssr::RemoteWorker;

use crate::config::ServeConfig;

/// The router's state: what the dashboard and the API share.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub backend: Backend,
}

/// Where the dashboard's server functions find their answers.
#[derive(Clone)]
pub enum Backend {
    /// This process's engine and database.
    Local(Engine),
    /// A worker in another process, through its API (`WORKER_URL`).
    Remote(RemoteWorker),
}

/// A built application, listening but not yet serving.
pub struct Application {
    listener: TcpListener,
    router: Router,
    engine: Engine,
    /// The inline worker's instance, unless it is turned off.
    instance: Option<Registration>,
    grace: Duration,
}

impl Application {
    /// Opens the database (migrating it), registers the bundled and imported
    /// functions, and binds the listener.
    pub async fn build(config: &ServeConfig) -> anyhow::Result<Application> {
        let engine = open_engine(config).await?;
        let functions = register_functions(&engine, config).await?;
        set_up_admin(&engine, config).await?;
        let instance = match config.inline_worker {
            true => Some(registration(&engine, config, functions).await?),
            false => None,
        };
        let sessions = crate::auth::session_layer(Some(&config.database()?), config.secure_cookies)
            .await
            .context("Failed to set up the session store")?;

        let listener = bind(config).await?;
        let api = crate::api::ApiState::new(engine.clone(), config.api_key.as_deref());
        let router = router(
            AppState {
                leptos_options: leptos_options(config, &listener)?,
                backend: Backend::Local(engine.clone()),
            },
            Some(api),
            sessions,
        );
        Ok(Application {
            listener,
            router,
            engine,
            instance,
            grace: Duration::from_secs(config.worker.shutdown_grace_seconds),
        })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The HTTP surface, for tests that call it without a socket.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Serves until SIGINT or SIGTERM; the inline worker then stops claiming
    /// and lets its runs finish within the grace period.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        serve_until_stopped(
            self.engine,
            self.instance,
            self.grace,
            Some((self.listener, self.router)),
        )
        .await
    }
}

/// A dashboard in front of a worker in another process (`WORKER_URL`): no
/// database and no worker of its own, its sessions in memory; people sign in
/// through the worker's API, and the worker answers every server function.
pub struct RemoteDashboard {
    listener: TcpListener,
    router: Router,
}

impl RemoteDashboard {
    pub async fn build(config: &ServeConfig, worker_url: &str) -> anyhow::Result<RemoteDashboard> {
        let key = config.api_key.as_deref().unwrap_or_default();
        let worker = RemoteWorker::new(worker_url, key).map_err(anyhow::Error::msg)?;
        worker.check_key().await.map_err(anyhow::Error::msg)?;
        let sessions = crate::auth::session_layer(None, config.secure_cookies).await?;
        let listener = bind(config).await?;
        let router = router(
            AppState {
                leptos_options: leptos_options(config, &listener)?,
                backend: Backend::Remote(worker),
            },
            None,
            sessions,
        );
        Ok(RemoteDashboard { listener, router })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// The HTTP surface, for tests that call it without a socket.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Serves until SIGINT or SIGTERM.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("The HTTP server failed")
    }
}

/// `enschedule serve`: with `WORKER_URL`, the dashboard of that worker.
pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    init_tracing();
    if let Some(worker_url) = config.worker_url.as_deref().filter(|url| !url.is_empty()) {
        let dashboard = RemoteDashboard::build(&config, worker_url).await?;
        tracing::info!(url = %format!("http://{}:{}", config.host, dashboard.port()),
            worker = worker_url, "dashboard listening, in front of the worker's API");
        return dashboard.run_until_stopped().await;
    }
    let app = Application::build(&config).await?;
    tracing::info!(url = %format!("http://{}:{}", config.host, app.port()), "dashboard and API listening");
    app.run_until_stopped().await
}

/// `enschedule worker`: an instance of a worker, claiming and executing
/// runs from the database; with `api`, it also serves the REST API.
pub async fn worker(config: ServeConfig, api: bool) -> anyhow::Result<()> {
    init_tracing();
    let engine = open_engine(&config).await?;
    let functions = register_functions(&engine, &config).await?;
    let registration = registration(&engine, &config, functions).await?;
    let http = match api {
        true => {
            // Dashboards in front of this API sign people in here.
            set_up_admin(&engine, &config).await?;
            let listener = bind(&config).await?;
            let api = crate::api::ApiState::new(engine.clone(), config.api_key.as_deref());
            let router = Router::new()
                .nest("/api/v1", crate::api::router(api))
                .layer(TraceLayer::new_for_http());
            tracing::info!(url = %format!("http://{}/api/v1", listener.local_addr()?), "REST API listening");
            Some((listener, router))
        }
        false => None,
    };
    let grace = Duration::from_secs(config.worker.shutdown_grace_seconds);
    serve_until_stopped(engine, Some(registration), grace, http).await
}

/// Runs the instance (if any) and serves HTTP (if any) until SIGINT or
/// SIGTERM; then the instance stops claiming and its runs get `grace`.
async fn serve_until_stopped(
    engine: Engine,
    instance: Option<Registration>,
    grace: Duration,
    http: Option<(TcpListener, Router)>,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = instance.map(|registration| {
        let mut stop = stop_rx;
        tokio::spawn(instance::serve(
            engine,
            registration,
            async move {
                let _ = stop.wait_for(|stopped| *stopped).await;
            },
            grace,
        ))
    });
    match http {
        Some((listener, router)) => axum::serve(listener, router)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("The HTTP server failed")?,
        None => shutdown_signal().await,
    }
    let _ = stop_tx.send(true);
    if let Some(worker) = worker {
        worker
            .await
            .context("The worker instance panicked")?
            .context("The worker instance failed")?;
    }
    Ok(())
}

/// `enschedule migrate`.
pub async fn migrate(config: ServeConfig) -> anyhow::Result<()> {
    init_tracing();
    open_store(&config).await?;
    tracing::info!("the database schema is up to date");
    Ok(())
}

/// The whole HTTP surface: dashboard pages and server functions, the REST
/// API (with a database of its own), and the dashboard's static files.
pub fn router(
    state: AppState,
    api: Option<crate::api::ApiState>,
    sessions: SessionManagerLayer<crate::auth::Sessions>,
) -> Router {
    let routes = generate_route_list(app::App);
    let backend = state.backend.clone();
    let options = state.leptos_options.clone();
    // The dashboard's sign-in and the API's login count attempts together.
    let limiter = api.as_ref().map(|api| api.limiter.clone());
    // What server functions find in their context, on pages and on the
    // not-found page alike.
    let context = move || {
        match &backend {
            Backend::Local(engine) => leptos::prelude::provide_context(engine.clone()),
            Backend::Remote(worker) => leptos::prelude::provide_context(worker.clone()),
        }
        if let Some(limiter) = &limiter {
            leptos::prelude::provide_context(limiter.clone());
        }
    };
    let mut router = Router::<AppState>::new().leptos_routes_with_context(
        &state,
        routes,
        context.clone(),
        move || app::shell(options.clone()),
    );
    if let Some(api) = api {
        router = router.nest("/api/v1", crate::api::router(api));
    }
    router
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, app::shell))
        // Layers run outside in: trace, sessions, then the guards.
        .layer(from_fn_with_state(
            state.backend.clone(),
            crate::auth::require_sign_in,
        ))
        .layer(from_fn(crate::auth::multipart_uploads))
        .layer(from_fn(crate::auth::same_origin))
        .layer(from_fn(crate::auth::server_fn_status))
        .layer(sessions)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn bind(config: &ServeConfig) -> anyhow::Result<TcpListener> {
    let address = config.address()?;
    TcpListener::bind(address)
        .await
        .with_context(|| format!("Failed to listen on {address}"))
}

fn leptos_options(config: &ServeConfig, listener: &TcpListener) -> anyhow::Result<LeptosOptions> {
    Ok(LeptosOptions::builder()
        .output_name("enschedule")
        .site_root(config.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(listener.local_addr()?)
        .build())
}

async fn open_store(config: &ServeConfig) -> anyhow::Result<Store> {
    let database = config.database()?;
    if let Database::Sqlite(SqliteLocation::File(path)) = &database
        && let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("Failed to create {}", parent.display()))?;
    }
    Store::open(&database)
        .await
        .with_context(|| format!("Failed to open the database ({database:?})"))
}

async fn open_engine(config: &ServeConfig) -> anyhow::Result<Engine> {
    let store = open_store(config).await?;
    let worker = &config.worker;
    let lease = Duration::from_secs(worker.lease_seconds);
    let options = EngineOptions {
        worker_id: worker.worker_id.clone(),
        instance_id: instance_id(config),
        concurrency: worker.concurrency as usize,
        lease,
        lease_renewal: lease / 3,
        poll_interval: Duration::from_millis(worker.poll_interval_ms),
        default_timezone: config.default_timezone()?,
        ..EngineOptions::default()
    };
    // Wasmtime's cache wants an absolute folder; the data folder may be relative.
    let cache = std::path::absolute(config.data_dir.join("module-cache"))
        .context("Failed to resolve the data folder")?;
    std::fs::create_dir_all(&cache)
        .with_context(|| format!("Failed to create {}", cache.display()))?;
    let runtime = Runtime::new(Some(&cache), options.concurrency as u32)
        .context("Failed to set up the WebAssembly runtime")?;
    Ok(Engine::new(store, runtime, Arc::new(SystemClock), options))
}

fn instance_id(config: &ServeConfig) -> String {
    let worker = &config.worker;
    worker
        .instance_id
        .clone()
        .unwrap_or_else(|| instance::default_instance_id(&worker.worker_id, &instance::hostname()))
}

/// What this process tells the database about itself as an instance.
async fn registration(
    engine: &Engine,
    config: &ServeConfig,
    functions: Vec<String>,
) -> anyhow::Result<Registration> {
    let worker = &config.worker;
    let rules = engine.store().rule_book().await?;
    Ok(Registration {
        access: instance::stated_access(&rules, &worker.worker_id, &functions),
        worker_id: worker.worker_id.clone(),
        instance_id: instance_id(config),
        hostname: instance::hostname(),
        title: worker
            .worker_title
            .clone()
            .unwrap_or_else(|| worker.worker_id.clone()),
        description: worker.worker_description.clone(),
        concurrency: worker.concurrency as usize,
        poll_interval: Duration::from_millis(worker.poll_interval_ms),
        functions,
    })
}

/// Registers the bundled modules and those named by `IMPORT_FUNCTIONS`;
/// answers them as `id@version`, the functions this instance loaded.
async fn register_functions(engine: &Engine, config: &ServeConfig) -> anyhow::Result<Vec<String>> {
    let mut loaded = Vec::new();
    for (name, module) in crate::bundled::MODULES {
        match engine.register_module(module, None).await {
            Ok((manifest, outcome)) => {
                log_registration(&manifest, outcome, "bundled");
                loaded.push(function_key(&manifest.id, manifest.version));
            }
            // A version is immutable: the database keeps the module it has.
            // A bundled module that differs only in how it was built (another
            // compiler, say) must not stop the server from starting.
            Err(EngineError::Store(StoreError::Conflict(why))) => {
                tracing::warn!(
                    handler = name,
                    "the bundled handler was not registered: {why}; \
                    the registered module stays in use"
                )
            }
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("Failed to register the bundled handler {name}"));
            }
        }
    }
    for path in config.function_files()? {
        let module =
            std::fs::read(&path).with_context(|| format!("Failed to read {}", path.display()))?;
        let sidecar = sidecar_manifest(&path)?;
        let (manifest, outcome) = engine
            .register_module(&module, sidecar)
            .await
            .with_context(|| format!("IMPORT_FUNCTIONS: {} was refused", path.display()))?;
        log_registration(&manifest, outcome, &path.display().to_string());
        loaded.push(function_key(&manifest.id, manifest.version));
    }
    Ok(loaded)
}

/// Makes sure an admin can sign in: `ADMIN_ACCOUNT`, or on a first start with
/// no users, `admin` with a generated password shown once here.
async fn set_up_admin(engine: &Engine, config: &ServeConfig) -> anyhow::Result<()> {
    use worker::accounts::{AdminSetUp, ensure_admin};
    let outcome = ensure_admin(
        engine.store(),
        config.admin_account.as_deref(),
        engine.now(),
    )
    .await
    .context("Failed to set up the admin account")?;
    match outcome {
        AdminSetUp::Created(name) => tracing::info!(user.name = %name, "admin account created"),
        AdminSetUp::Updated(name) => {
            tracing::info!(user.name = %name, "admin account updated from ADMIN_ACCOUNT")
        }
        AdminSetUp::Generated { name, password } => tracing::warn!(
            "\n\n    No users yet: created the admin account.\n    Sign in as `{name}` with \
             the password `{password}`\n    (shown this once; change it on the profile page, \
             or set ADMIN_ACCOUNT=user:password).\n"
        ),
        AdminSetUp::Unchanged => {}
    }
    Ok(())
}

/// A manifest given beside a module as `<stem>.json`.
fn sidecar_manifest(module: &Path) -> anyhow::Result<Option<Manifest>> {
    let path = module.with_extension("json");
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("Failed to read {}", path.display()))?;
    let manifest = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a valid manifest", path.display()))?;
    Ok(Some(manifest))
}

fn log_registration(manifest: &Manifest, outcome: Registered, source: &str) {
    tracing::info!(function.id = %manifest.id, function.version = manifest.version, source,
        outcome = ?outcome, "function registered");
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;

    let mut filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,cranelift_codegen=warn,wasmtime=warn"));
    if std::env::var("ORM_LOGGING").is_ok_and(|v| v != "false" && !v.is_empty())
        && let Ok(directive) = "sqlx=debug".parse()
    {
        filter = filter.add_directive(directive);
    }
    // Colours only for a person at a terminal, not in files and collectors.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .try_init();
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("stopping: finishing the runs under way");
}
