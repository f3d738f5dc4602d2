//! The sandbox: runs handler modules in wasmtime.
//!
//! An *invocation* is one execution of a module: its data goes to stdin as
//! JSON, its stdout and stderr are captured apart with a timestamp per line,
//! and it ends with an [`Ending`]. Guest behaviour (an exit code, a trap, the
//! timeout) is part of the outcome, never a host error; [`RuntimeError`] is for
//! modules that cannot be loaded at all.
//!
//! One wasmtime `Engine` and `Linker` serve every run; compiled modules are
//! kept per content hash, in memory and in wasmtime's on-disk cache, and each
//! run gets a fresh `Store` with its own limits.

mod capture;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use wasmtime::{
    Cache, CacheConfig, Config, Engine, InstanceAllocationStrategy, InstancePre, Linker, Module,
    PoolingAllocationConfig, ResourceLimiter, StoreLimits, StoreLimitsBuilder, Trap,
    UpdateDeadline,
};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi::{I32Exit, WasiCtxBuilder};

pub use self::capture::Capture;
use crate::model::Output;

/// Defaults for every run (SPEC: 5 minutes, 256 MiB, 4 MiB per stream).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5 * 60);
pub const DEFAULT_MEMORY_BYTES: usize = 256 << 20;
pub const DEFAULT_OUTPUT_CAP: usize = 4 << 20;

/// The largest memory limit a run may have: a 32-bit guest's whole space.
pub const MAX_MEMORY_BYTES: usize = 4 << 30;

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
    /// The guest's environment: only what the caller puts here.
    pub env: Vec<(String, String)>,
    pub limits: Limits,
    /// Stops the run when triggered.
    pub cancel: Cancel,
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

/// The per-run state wasmtime hands to host calls.
struct RunState {
    wasi: WasiP1Ctx,
    limits: MemoryGuard,
}

/// The store's limits, remembering whether a request for memory was refused:
/// a guest whose allocation fails usually aborts with a trap, and the run's
/// record should say that the memory limit was the cause.
struct MemoryGuard {
    limits: StoreLimits,
    refused: bool,
}

impl ResourceLimiter for MemoryGuard {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, maximum)?;
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
    linker: Linker<RunState>,
    modules: Mutex<HashMap<String, InstancePre<RunState>>>,
}

impl Runtime {
    /// Builds the engine. `cache_dir`, when given, keeps compiled modules on
    /// disk across restarts (wasmtime keys them by its version and settings).
    pub fn new(
        cache_dir: Option<&Path>,
        max_concurrent_runs: u32,
    ) -> Result<Runtime, RuntimeError> {
        let mut config = Config::new();
        config.epoch_interruption(true);

        // The pooling allocator reuses instance slots, so a short run costs
        // microseconds; it is sized for the instance's concurrency.
        let mut pool = PoolingAllocationConfig::default();
        let slots = max_concurrent_runs.max(1) * 2;
        // Slots reserve address space, not memory; each run's own limit is
        // enforced by its store's limiter, below this ceiling.
        pool.total_core_instances(slots)
            .total_memories(slots)
            .total_tables(slots)
            .max_memory_size(MAX_MEMORY_BYTES);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));

        if let Some(dir) = cache_dir {
            let mut cache = CacheConfig::new();
            cache.with_directory(dir);
            let cache = Cache::new(cache).map_err(|e| RuntimeError::Setup(e.to_string()))?;
            config.cache(Some(cache));
        }
        let engine = Engine::new(&config).map_err(|e| RuntimeError::Setup(e.to_string()))?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p1::add_to_linker_async(&mut linker, |state: &mut RunState| &mut state.wasi)
            .map_err(|e| RuntimeError::Setup(e.to_string()))?;

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
                linker,
                modules: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The compiled module with content hash `hash`, if it is compiled yet.
    pub fn cached(&self, hash: &str) -> Option<InstancePreHandle> {
        self.modules().get(hash).cloned().map(InstancePreHandle)
    }

    /// Compiles and links a module and keeps it under its content hash.
    pub fn prepare(&self, hash: &str, bytes: &[u8]) -> Result<InstancePreHandle, RuntimeError> {
        if let Some(module) = self.cached(hash) {
            return Ok(module);
        }
        let module = Module::new(&self.inner.engine, bytes)
            .map_err(|e| RuntimeError::Compile(format!("{e:#}")))?;
        let pre = self
            .inner
            .linker
            .instantiate_pre(&module)
            .map_err(|e| RuntimeError::Link(format!("{e:#}")))?;
        self.modules().insert(hash.to_string(), pre.clone());
        Ok(InstancePreHandle(pre))
    }

    fn modules(&self) -> std::sync::MutexGuard<'_, HashMap<String, InstancePre<RunState>>> {
        self.inner
            .modules
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs a prepared module once.
    pub async fn invoke(&self, module: &InstancePreHandle, invocation: Invocation) -> Outcome {
        let limits = invocation.limits;
        let stdout = Capture::new(limits.output_cap);
        let stderr = Capture::new(limits.output_cap);

        // Nothing but stdin, the two captured streams and the given variables:
        // no files, no sockets, no host environment.
        let wasi = WasiCtxBuilder::new()
            .stdin(MemoryInputPipe::new(invocation.stdin))
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .envs(&invocation.env)
            .build_p1();
        let state = RunState {
            wasi,
            limits: MemoryGuard {
                limits: StoreLimitsBuilder::new()
                    .memory_size(limits.memory_bytes)
                    .instances(1)
                    .build(),
                refused: false,
            },
        };
        let mut store = wasmtime::Store::new(&self.inner.engine, state);
        store.limiter(|state| &mut state.limits as &mut dyn ResourceLimiter);

        // The deadline is checked on every epoch tick; between checks the
        // guest yields, so a busy guest never holds a tokio worker for long.
        let started = Instant::now();
        let deadline = started + limits.timeout;
        let cancel = invocation.cancel;
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

        let started_at = Utc::now();
        let execution = async {
            let instance = module.0.instantiate_async(&mut store).await?;
            let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
            start.call_async(&mut store, ()).await
        };
        // A guest blocked in a host call does not see epoch ticks; the outer
        // timeout (a little later than the epoch one) and the cancel switch
        // cover that case.
        let result = tokio::select! {
            result = tokio::time::timeout(limits.timeout + EPOCH_TICK * 50, execution) => result,
            () = cancel.triggered() => Ok(Err(wasmtime::Error::new(Interrupted::Cancelled))),
        };
        let finished_at = Utc::now();

        let ending = match result {
            Err(_elapsed) => Ending::TimedOut(limits.timeout),
            Ok(Ok(())) => Ending::Exited(0),
            Ok(Err(error)) => classify(&error, limits),
        };
        // Memory refused and a failure: the refusal is the likely cause. A
        // guest that coped with it and succeeded has simply succeeded.
        let ending = match ending {
            Ending::Exited(code) if code != 0 && store.data().limits.refused => {
                Ending::MemoryLimit(limits.memory_bytes)
            }
            Ending::Trapped(_) if store.data().limits.refused => {
                Ending::MemoryLimit(limits.memory_bytes)
            }
            other => other,
        };
        drop(store);

        Outcome {
            ending,
            stdout: stdout.finish(),
            stderr: stderr.finish(),
            started_at,
            finished_at,
        }
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

/// A compiled module, linked and ready to instantiate.
#[derive(Clone)]
pub struct InstancePreHandle(InstancePre<RunState>);

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
