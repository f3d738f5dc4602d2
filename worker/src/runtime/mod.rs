//! The sandbox: runs handler modules in wasmtime.
//!
//! A handler is a WASI preview-1 command module (`_start`) or a WASI
//! preview-2 component (`wasi:cli/run`). An *invocation* is one execution:
//! its data goes to stdin as JSON, its stdout and stderr are captured apart
//! with a timestamp per line, and it ends with an [`Ending`]. Guest behaviour
//! (an exit code, a trap, the timeout, the memory limit) is part of the
//! outcome, never a host error; [`RuntimeError`] is for modules that cannot
//! be loaded at all.
//!
//! A guest gets stdin, the two captured streams and the variables it is
//! given: no files, no sockets, no host environment. A component may also
//! make outgoing HTTP requests through `wasi:http`, to the hosts granted to
//! its function and no others (see [`http`]).
//!
//! One wasmtime `Engine` and one linker per kind serve every run; compiled
//! modules are kept per content hash, in memory and in wasmtime's on-disk
//! cache, and each run gets a fresh `Store` with its own limits.

mod capture;
pub mod http;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use wasmtime::component::{Component, ResourceTable};
use wasmtime::{
    Cache, CacheConfig, Config, Engine, InstanceAllocationStrategy, InstancePre, Linker, Module,
    PoolingAllocationConfig, ResourceLimiter, Store, StoreLimits, StoreLimitsBuilder, Trap,
    UpdateDeadline,
};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::bindings::CommandPre;
use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi::{I32Exit, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

pub use self::capture::Capture;
use self::http::HttpGrants;
use crate::model::Output;

/// Defaults for every run (SPEC: 5 minutes, 256 MiB, 4 MiB per stream).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5 * 60);
pub const DEFAULT_MEMORY_BYTES: usize = 256 << 20;
pub const DEFAULT_OUTPUT_CAP: usize = 4 << 20;

/// The largest memory limit a run may have: a 32-bit guest's whole space.
pub const MAX_MEMORY_BYTES: usize = 4 << 30;

/// Core instances a run may create: one for a module; a component's code
/// and the adapters between it and WASI, for a component.
const INSTANCES_PER_RUN: usize = 8;

/// The most host resources a component's run may hold at once.
const MAX_RESOURCES: usize = 1024;
/// The most bytes one set of HTTP header fields may hold.
const MAX_HTTP_FIELDS_BYTES: usize = 32 << 10;

/// The most random bytes one host call hands a guest.
const MAX_RANDOM_BYTES: u64 = 1 << 20;

/// How often the epoch advances; the timeout is checked on each tick, so a
/// runaway guest stops within this of its deadline.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The limits of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub timeout: Duration,
    pub memory_bytes: usize,
    pub output_cap: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: DEFAULT_TIMEOUT,
            memory_bytes: DEFAULT_MEMORY_BYTES,
            output_cap: DEFAULT_OUTPUT_CAP,
        }
    }
}

/// One execution request.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    /// Written to the guest's stdin.
    pub stdin: Vec<u8>,
    /// The guest's command line, program name first; empty for a run, which
    /// takes its data from stdin alone.
    pub args: Vec<String>,
    /// The guest's environment: only what the caller puts here.
    pub env: Vec<(String, String)>,
    pub limits: Limits,
    /// Stops the run when triggered.
    pub cancel: Cancel,
    /// The hosts a component may send HTTP requests to (`host` or
    /// `host:port`; see [`http`]). Modules cannot make requests at all.
    pub allowed_hosts: Vec<String>,
}

/// A switch that stops a run from outside: the guest is interrupted at its
/// next epoch tick, or at once when it waits in a host call. Clones share
/// one switch.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    inner: Arc<CancelState>,
}

#[derive(Debug, Default)]
struct CancelState {
    requested: AtomicBool,
    notify: tokio::sync::Notify,
}

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Asks the run to stop. Harmless when it has ended or was never started.
    pub fn trigger(&self) {
        self.inner.requested.store(true, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }

    pub fn is_triggered(&self) -> bool {
        self.inner.requested.load(Ordering::SeqCst)
    }

    /// Resolves once the switch is triggered.
    async fn triggered(&self) {
        loop {
            let notified = self.inner.notify.notified();
            if self.is_triggered() {
                return;
            }
            notified.await;
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// `_start` returned or the guest called `proc_exit`.
    Exited(i32),
    /// The guest trapped; the message says why.
    Trapped(String),
    /// The wall-clock limit was reached.
    TimedOut(Duration),
    /// The guest asked for more memory than its limit (in bytes) and failed
    /// for it.
    MemoryLimit(usize),
    /// The run was stopped by its [`Cancel`] switch.
    Cancelled,
}

impl Ending {
    pub fn is_success(&self) -> bool {
        *self == Ending::Exited(0)
    }

    /// What went wrong, for the run's record: `None` for an exit, whose
    /// code says it all; a trap's own message; else the ending in words.
    pub fn error(&self) -> Option<String> {
        match self {
            Ending::Exited(_) => None,
            Ending::Trapped(message) => Some(message.clone()),
            Ending::TimedOut(limit) => Some(format!("timed out after {}", duration_text(*limit))),
            Ending::MemoryLimit(bytes) => Some(format!(
                "memory limit of {} reached: the module asked for more and was refused",
                bytes_text(*bytes)
            )),
            Ending::Cancelled => Some("cancelled while running".to_string()),
        }
    }
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub ending: Ending,
    pub stdout: Output,
    pub stderr: Output,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
}

/// A module that cannot run at all.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("the module does not compile: {0}")]
    Compile(String),
    #[error("the module's imports cannot be satisfied: {0}")]
    Link(String),
    #[error("the sandbox could not be set up: {0}")]
    Setup(String),
}

/// The per-run state of a preview-1 module.
struct ModuleState {
    wasi: WasiP1Ctx,
    guard: MemoryGuard,
}

/// The per-run state of a component: WASI, `wasi:http` with the run's
/// grants, and the resources they share.
struct ComponentState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    grants: HttpGrants,
    table: ResourceTable,
    guard: MemoryGuard,
}

impl WasiView for ComponentState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for ComponentState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.grants,
        }
    }
}

/// Either kind of per-run state, for what both need.
trait Guarded: Send + 'static {
    fn guard(&mut self) -> &mut MemoryGuard;
}

impl Guarded for ModuleState {
    fn guard(&mut self) -> &mut MemoryGuard {
        &mut self.guard
    }
}

impl Guarded for ComponentState {
    fn guard(&mut self) -> &mut MemoryGuard {
        &mut self.guard
    }
}

/// The store's limits, remembering whether a request for memory was refused:
/// a guest whose allocation fails usually aborts with a trap, and the run's
/// record should say that the memory limit was the cause.
/// The limit is on the run as a whole: a component with several memories
/// shares one budget among them.
struct MemoryGuard {
    limits: StoreLimits,
    /// The run's budget, and what its memories hold now, in bytes.
    budget: usize,
    used: usize,
    refused: bool,
}

impl MemoryGuard {
    fn new(memory_bytes: usize) -> MemoryGuard {
        MemoryGuard {
            // A component holds a few core instances (its code and the
            // adapters between it and WASI), a module exactly one.
            // The memory limit is the budget below, for all memories at once.
            limits: StoreLimitsBuilder::new()
                .instances(INSTANCES_PER_RUN)
                .build(),
            budget: memory_bytes,
            used: 0,
            refused: false,
        }
    }
}

impl ResourceLimiter for MemoryGuard {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let used = self.used - current.min(self.used) + desired;
        let allowed =
            used <= self.budget && self.limits.memory_growing(current, desired, maximum)?;
        if allowed {
            self.used = used;
        }
        self.refused |= !allowed;
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

/// Why the epoch callback interrupted a guest.
#[derive(Debug)]
enum Interrupted {
    Deadline,
    Cancelled,
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Interrupted::Deadline => "the run reached its timeout",
            Interrupted::Cancelled => "the run was cancelled",
        })
    }
}

impl std::error::Error for Interrupted {}

/// The shared sandbox. Cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    modules: Linker<ModuleState>,
    components: wasmtime::component::Linker<ComponentState>,
    prepared: Mutex<HashMap<String, Prepared>>,
}

/// A compiled handler, linked and ready to instantiate.
#[derive(Clone)]
pub struct Prepared(Kind);

impl Prepared {
    /// Whether it is a component: only components may make HTTP requests.
    pub fn is_component(&self) -> bool {
        matches!(self.0, Kind::Component(_))
    }
}

#[derive(Clone)]
enum Kind {
    Module(InstancePre<ModuleState>),
    Component(CommandPre<ComponentState>),
}

impl Runtime {
    /// Builds the engine. `cache_dir`, when given, keeps compiled modules on
    /// disk across restarts (wasmtime keys them by its version and settings).
    pub fn new(
        cache_dir: Option<&Path>,
        max_concurrent_runs: u32,
    ) -> Result<Runtime, RuntimeError> {
        let cache = match cache_dir {
            Some(dir) => {
                let mut cache = CacheConfig::new();
                cache.with_directory(dir);
                Some(Cache::new(cache).map_err(|e| RuntimeError::Setup(e.to_string()))?)
            }
            None => None,
        };
        // Resetting reused slots by scanning for dirty pages needs Linux 6.7;
        // elsewhere the slots are handed back to the kernel instead.
        let engine = Engine::new(&engine_config(max_concurrent_runs, true, cache.clone()))
            .or_else(|_| Engine::new(&engine_config(max_concurrent_runs, false, cache)))
            .map_err(|e| RuntimeError::Setup(e.to_string()))?;

        let setup = |e: wasmtime::Error| RuntimeError::Setup(format!("{e:#}"));
        let mut modules = Linker::new(&engine);
        wasmtime_wasi::p1::add_to_linker_async(&mut modules, |state: &mut ModuleState| {
            &mut state.wasi
        })
        .map_err(setup)?;
        let mut components = wasmtime::component::Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut components).map_err(setup)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut components).map_err(setup)?;

        // The epoch clock: a thread that ticks while any runtime lives.
        let weak = engine.weak();
        std::thread::Builder::new()
            .name("enschedule-epoch".into())
            .spawn(move || {
                while let Some(engine) = weak.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(EPOCH_TICK);
                }
            })
            .map_err(|e| RuntimeError::Setup(e.to_string()))?;

        Ok(Runtime {
            inner: Arc::new(Inner {
                engine,
                modules,
                components,
                prepared: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The compiled module with content hash `hash`, if it is compiled yet.
    pub fn cached(&self, hash: &str) -> Option<Prepared> {
        self.prepared().get(hash).cloned()
    }

    /// Compiles and links a module or component and keeps it under its
    /// content hash.
    pub fn prepare(&self, hash: &str, bytes: &[u8]) -> Result<Prepared, RuntimeError> {
        if let Some(prepared) = self.cached(hash) {
            return Ok(prepared);
        }
        let compile = |e: wasmtime::Error| RuntimeError::Compile(format!("{e:#}"));
        let link = |e: wasmtime::Error| RuntimeError::Link(format!("{e:#}"));
        let engine = &self.inner.engine;
        let kind = if wasmparser::Parser::is_component(bytes) {
            let component = Component::new(engine, bytes).map_err(compile)?;
            let pre = self
                .inner
                .components
                .instantiate_pre(&component)
                .map_err(link)?;
            Kind::Component(CommandPre::new(pre).map_err(link)?)
        } else {
            let module = Module::new(engine, bytes).map_err(compile)?;
            let start_is_command = matches!(
                module.get_export("_start"),
                Some(wasmtime::ExternType::Func(f)) if f.params().len() == 0 && f.results().len() == 0
            );
            if !start_is_command {
                return Err(RuntimeError::Link(
                    "`_start` must take no arguments and return nothing, as a WASI command's does"
                        .into(),
                ));
            }
            Kind::Module(self.inner.modules.instantiate_pre(&module).map_err(link)?)
        };
        let prepared = Prepared(kind);
        self.prepared().insert(hash.to_string(), prepared.clone());
        Ok(prepared)
    }

    fn prepared(&self) -> std::sync::MutexGuard<'_, HashMap<String, Prepared>> {
        self.inner
            .prepared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs a prepared module or component once.
    pub async fn invoke(&self, prepared: &Prepared, invocation: Invocation) -> Outcome {
        let limits = invocation.limits;
        let cancel = invocation.cancel.clone();
        let stdout = Capture::new(limits.output_cap);
        let stderr = Capture::new(limits.output_cap);

        // Nothing but stdin, the two captured streams and the given variables:
        // no files (nothing is pre-opened), no sockets, no host environment.
        let mut wasi = WasiCtxBuilder::new();
        wasi.stdin(MemoryInputPipe::new(invocation.stdin))
            .args(&invocation.args)
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .envs(&invocation.env)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            // Host calls do not yield: one asking for many random bytes would
            // hold a worker thread past the run's timeout.
            .max_random_size(MAX_RANDOM_BYTES);

        let started_at = Utc::now();
        let (result, refused) = match &prepared.0 {
            Kind::Module(pre) => {
                let state = ModuleState {
                    wasi: wasi.build_p1(),
                    guard: MemoryGuard::new(limits.memory_bytes),
                };
                let mut store = self.store(state, limits, &cancel);
                let execution = async {
                    let instance = pre.instantiate_async(&mut store).await?;
                    let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
                    start.call_async(&mut store, ()).await
                };
                let result = supervise(execution, limits, &cancel).await;
                (result, store.data().guard.refused)
            }
            Kind::Component(pre) => {
                // Host resources (streams, HTTP fields and requests) live
                // outside the guest's memory: their number and size are
                // bounded so that they cannot grow the server instead.
                let mut table = ResourceTable::new();
                table.set_max_capacity(MAX_RESOURCES);
                let mut http = WasiHttpCtx::new();
                http.set_field_size_limit(MAX_HTTP_FIELDS_BYTES);
                let state = ComponentState {
                    wasi: wasi.build(),
                    http,
                    grants: HttpGrants::new(invocation.allowed_hosts, stderr.clone()),
                    table,
                    guard: MemoryGuard::new(limits.memory_bytes),
                };
                let mut store = self.store(state, limits, &cancel);
                let execution = async {
                    let command = pre.instantiate_async(&mut store).await?;
                    // `run` answers an error without a code: exit status 1.
                    command
                        .wasi_cli_run()
                        .call_run(&mut store)
                        .await?
                        .map_err(|()| wasmtime::Error::new(I32Exit(1)))
                };
                let result = supervise(execution, limits, &cancel).await;
                (result, store.data().guard.refused)
            }
        };
        let finished_at = Utc::now();

        Outcome {
            ending: ending_of(result, limits, refused),
            stdout: stdout.finish(),
            stderr: stderr.finish(),
            started_at,
            finished_at,
        }
    }

    /// A fresh store for one run, with its memory limit, its deadline and
    /// its cancel switch checked on every epoch tick.
    fn store<T: Guarded>(&self, state: T, limits: Limits, cancel: &Cancel) -> Store<T> {
        let mut store = Store::new(&self.inner.engine, state);
        store.limiter(|state| state.guard() as &mut dyn ResourceLimiter);

        // Between checks the guest yields, so a busy guest never holds a
        // tokio worker for long.
        // A timeout too long to add to the clock is as good as none.
        let now = Instant::now();
        let deadline = now
            .checked_add(limits.timeout)
            .unwrap_or(now + Duration::from_secs(100 * 365 * 24 * 3600));
        let switch = cancel.clone();
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if switch.is_triggered() {
                Err(wasmtime::Error::new(Interrupted::Cancelled))
            } else if Instant::now() >= deadline {
                Err(wasmtime::Error::new(Interrupted::Deadline))
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        store
    }
}

/// The engine's settings: epoch interruption for timeouts and cancelling,
/// the pooling allocator sized for `max_concurrent_runs`, and the on-disk
/// compilation cache.
///
/// The pool reuses instance slots, so a short run costs microseconds. When
/// a slot is reused, its pages must be reset: with `pagemap_scan` (Linux
/// 6.7 and later) only the pages a run dirtied are found and zeroed in place,
/// up to the first 2 MiB of a memory (a Rust handler's stack and data), and
/// stay mapped; without it, or beyond that, they are handed back to the
/// kernel in batches, each hand-back costing a TLB flush on every core.
fn engine_config(max_concurrent_runs: u32, pagemap_scan: bool, cache: Option<Cache>) -> Config {
    let mut config = Config::new();
    config.epoch_interruption(true);

    let mut pool = PoolingAllocationConfig::default();
    let runs = max_concurrent_runs.max(1) * 2;
    let slots = runs * INSTANCES_PER_RUN as u32;
    // Slots reserve address space, not memory; each run's own limit is
    // enforced by its store's limiter, below this ceiling.
    pool.total_component_instances(runs)
        .total_core_instances(slots)
        .total_memories(slots)
        .total_tables(slots)
        .max_memory_size(MAX_MEMORY_BYTES)
        .decommit_batch_size(32);
    if pagemap_scan {
        pool.pagemap_scan(wasmtime::Enabled::Yes)
            .linear_memory_keep_resident(2 << 20)
            .table_keep_resident(64 << 10);
    }
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    config.cache(cache);
    config
}

/// Drives a guest to its end. A guest blocked in a host call does not see
/// epoch ticks; the outer timeout (a little later than the epoch one) and
/// the cancel switch cover that case.
async fn supervise(
    execution: impl Future<Output = wasmtime::Result<()>>,
    limits: Limits,
    cancel: &Cancel,
) -> wasmtime::Result<()> {
    tokio::select! {
        result = tokio::time::timeout(limits.timeout.saturating_add(EPOCH_TICK * 50), execution) => {
            result.unwrap_or_else(|_elapsed| Err(wasmtime::Error::new(Interrupted::Deadline)))
        }
        () = cancel.triggered() => Err(wasmtime::Error::new(Interrupted::Cancelled)),
    }
}

/// How a guest ended, from the result of its call and whether a request
/// for memory was refused on the way.
fn ending_of(result: wasmtime::Result<()>, limits: Limits, refused: bool) -> Ending {
    let ending = match result {
        Ok(()) => Ending::Exited(0),
        Err(error) => classify(&error, limits),
    };
    // Memory refused and a failure: the refusal is the likely cause. A guest
    // that coped with it and succeeded has simply succeeded.
    match ending {
        Ending::Exited(code) if code != 0 && refused => Ending::MemoryLimit(limits.memory_bytes),
        Ending::Trapped(_) if refused => Ending::MemoryLimit(limits.memory_bytes),
        other => other,
    }
}

/// A duration as a person would write it: `300 s`, `1500 ms`.
pub fn duration_text(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

/// A size in the largest binary unit that states it exactly: `256 MiB`,
/// `4 KiB`, `1000 bytes`.
pub fn bytes_text(bytes: usize) -> String {
    const UNITS: [&str; 4] = ["GiB", "MiB", "KiB", "bytes"];
    for (shift, unit) in [30, 20, 10].into_iter().zip(UNITS) {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    format!("{bytes} bytes")
}

/// Sorts a failed call into how the guest ended. Instantiation failures (a
/// module whose initial memory exceeds the limit, say) end the run like a trap.
fn classify(error: &wasmtime::Error, limits: Limits) -> Ending {
    if let Some(exit) = error.downcast_ref::<I32Exit>() {
        return Ending::Exited(exit.0);
    }
    match error.downcast_ref::<Interrupted>() {
        Some(Interrupted::Deadline) => return Ending::TimedOut(limits.timeout),
        Some(Interrupted::Cancelled) => return Ending::Cancelled,
        None => {}
    }
    if let Some(trap) = error.downcast_ref::<Trap>() {
        return Ending::Trapped(trap.to_string());
    }
    Ending::Trapped(format!("{error:#}"))
}
