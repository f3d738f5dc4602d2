//! Sandbox benchmark: what one short run costs in the sandbox beside
//! spawning a native process, the memory of 1,000 concurrent runs, and how
//! long a module takes to compile, cold and from wasmtime's on-disk cache.
//! Prints a Markdown section for `BENCHMARKS.md`.
//!
//! Run with `cargo bench -p worker --bench sandbox` (an optimised build).

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use worker::runtime::{Ending, Invocation, Outcome, Prepared, Runtime};

/// `log-job`'s data, and what it prints for it.
const DATA: &[u8] = br#"{"message":"hello"}"#;
const PRINTED: &[u8] = b"hello\n";

/// The per-run comparison runs in rounds, each a block of sandbox runs then
/// a block of each kind of spawn, so that a noisy stretch on the shared
/// machine falls on all of them alike.
const ROUNDS: usize = 10;
const SANDBOX_RUNS_PER_ROUND: usize = 200;
const SPAWNS_PER_ROUND: usize = 50;
const WARM_UP_RUNS: usize = 200;
const WARM_UP_SPAWNS: usize = 50;

/// The concurrent-memory test.
const CONCURRENT: usize = 1_000;
/// How long each `probe` run sleeps in the variant whose runs are all alive
/// at once.
const HELD_MS: u64 = 1_000;

/// Compilations timed per way of getting a compiled module.
const COMPILES: usize = 5;

/// What the engine's default configuration allows (`EngineOptions`).
const DEFAULT_CONCURRENCY: u32 = 16;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let log_job = handler("log-job");
    let probe = handler("probe");

    let mut report = String::from("## Sandbox\n\n");
    report.push_str(&machine());
    // Memory first, while the process's heap has seen the least.
    report.push_str(&runtime.block_on(concurrent_memory(&log_job, &probe)));
    report.push_str(&runtime.block_on(per_run(&log_job)));
    report.push_str(&compile_times(&log_job));
    println!("{report}");
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or("unknown", |(_, name)| name.trim());
    format!("Machine: {cores} cores, {model}.\n\n")
}

/// Per-run cost: `Runtime::invoke` of a prepared `log-job` (a fresh store,
/// instantiation, the run, the captured output) beside spawning `/bin/true`
/// and waiting for it.
async fn per_run(log_job: &[u8]) -> String {
    let runtime = Runtime::new(None, DEFAULT_CONCURRENCY).expect("a runtime");
    let prepared = runtime
        .prepare("log-job", log_job)
        .expect("log-job compiles");

    for _ in 0..WARM_UP_RUNS {
        check(&run(&runtime, &prepared, DATA).await);
    }
    for _ in 0..WARM_UP_SPAWNS {
        spawn_waiting();
        spawn_capturing();
    }

    let mut sandbox = Vec::with_capacity(ROUNDS * SANDBOX_RUNS_PER_ROUND);
    let mut waiting = Vec::with_capacity(ROUNDS * SPAWNS_PER_ROUND);
    let mut capturing = Vec::with_capacity(ROUNDS * SPAWNS_PER_ROUND);
    for _ in 0..ROUNDS {
        for _ in 0..SANDBOX_RUNS_PER_ROUND {
            let started = Instant::now();
            let outcome = run(&runtime, &prepared, DATA).await;
            sandbox.push(started.elapsed());
            check(&outcome);
        }
        for _ in 0..SPAWNS_PER_ROUND {
            waiting.push(spawn_waiting());
        }
        for _ in 0..SPAWNS_PER_ROUND {
            capturing.push(spawn_capturing());
        }
    }

    let sandbox = Summary::of(sandbox);
    let waiting = Summary::of(waiting);
    let capturing = Summary::of(capturing);
    let mut out = format!(
        "### Per run\n\n{ROUNDS} rounds of {SANDBOX_RUNS_PER_ROUND} sandbox runs, \
         {SPAWNS_PER_ROUND} spawns waited for and {SPAWNS_PER_ROUND} spawns with output \
         captured, after a warm-up of {WARM_UP_RUNS} runs and {WARM_UP_SPAWNS} spawns of \
         each kind.\n\n\
         | what | runs | median | p99 |\n| --- | ---: | ---: | ---: |\n"
    );
    for (what, summary) in [
        (
            "sandbox: `Runtime::invoke` of prepared `log-job` (store, instantiate, run, capture)",
            &sandbox,
        ),
        (
            "native: spawn `/bin/true` and wait (`Command::status`)",
            &waiting,
        ),
        (
            "native: spawn `/bin/true`, capture stdout and stderr (`Command::output`)",
            &capturing,
        ),
    ] {
        out.push_str(&format!(
            "| {what} | {} | {} | {} |\n",
            thousands(summary.count),
            micros(summary.median),
            micros(summary.p99)
        ));
    }
    out.push_str(&format!(
        "\n| spawn ÷ sandbox | median | p99 |\n| --- | ---: | ---: |\n\
         | `Command::status` | {} | {} |\n| `Command::output` | {} | {} |\n\n",
        ratio(waiting.median, sandbox.median),
        ratio(waiting.p99, sandbox.p99),
        ratio(capturing.median, sandbox.median),
        ratio(capturing.p99, sandbox.p99),
    ));
    out
}

/// One run of a prepared handler with the given data on stdin.
async fn run(runtime: &Runtime, prepared: &Prepared, data: &[u8]) -> Outcome {
    let invocation = Invocation {
        stdin: data.to_vec(),
        ..Invocation::default()
    };
    runtime.invoke(prepared, invocation).await
}

fn check(outcome: &Outcome) {
    assert_eq!(outcome.ending, Ending::Exited(0), "log-job succeeds");
    assert_eq!(outcome.stdout.bytes, PRINTED, "log-job prints its message");
}

fn spawn_waiting() -> Duration {
    let started = Instant::now();
    let status = Command::new("/bin/true")
        .stdin(Stdio::null())
        .status()
        .expect("/bin/true starts");
    let elapsed = started.elapsed();
    assert!(status.success(), "/bin/true succeeds");
    elapsed
}

fn spawn_capturing() -> Duration {
    let started = Instant::now();
    let output = Command::new("/bin/true")
        .stdin(Stdio::null())
        .output()
        .expect("/bin/true starts");
    let elapsed = started.elapsed();
    assert!(output.status.success(), "/bin/true succeeds");
    elapsed
}

/// Peak memory of 1,000 runs started at once, each in its own tokio task:
/// `log-job`, which ends as soon as it has printed, and `probe` sleeping, so
/// that every run is alive at the same time.
async fn concurrent_memory(log_job: &[u8], probe: &[u8]) -> String {
    let held_label = format!("`probe`, sleeping {HELD_MS} ms");
    let held_data = format!(r#"{{"sleepMs":{HELD_MS}}}"#);
    let resettable = reset_peak_rss();
    let mut out = format!(
        "### {} concurrent runs\n\nA runtime sized for {} concurrent runs; {} invocations \
         spawned at once as tokio tasks (on {} worker threads), then all joined. Peak RSS \
         is `VmHWM` from `/proc/self/status`, {}.\n\n\
         | handler | runtime created in | wall time | most runs in flight | peak RSS before \
         | after | growth per run |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        thousands(CONCURRENT),
        thousands(CONCURRENT),
        thousands(CONCURRENT),
        tokio::runtime::Handle::current().metrics().num_workers(),
        if resettable {
            "reset to the current RSS before each batch (`clear_refs`)"
        } else {
            "never reset (`clear_refs` refused): the process's peak so far"
        },
    );
    for (label, module, warm_up, data) in [
        ("`log-job`", log_job, DATA, DATA),
        (&*held_label, probe, b"{}".as_slice(), held_data.as_bytes()),
    ] {
        let batch = batch(module, warm_up, data).await;
        let growth = batch.after_kib.saturating_sub(batch.before_kib) as f64 / CONCURRENT as f64;
        out.push_str(&format!(
            "| {label} | {} | {} | {} | {} | {} | {:.1} KiB |\n",
            millis(batch.setup),
            millis(batch.wall),
            thousands(batch.most_in_flight),
            mebibytes(batch.before_kib),
            mebibytes(batch.after_kib),
            growth
        ));
    }
    out.push('\n');
    out
}

struct Batch {
    setup: Duration,
    wall: Duration,
    most_in_flight: usize,
    before_kib: u64,
    after_kib: u64,
}

/// One batch of concurrent runs of `module` with `data`, after a few runs
/// with `warm_up`.
async fn batch(module: &[u8], warm_up: &[u8], data: &[u8]) -> Batch {
    let created = Instant::now();
    let runtime = Runtime::new(None, CONCURRENT as u32).expect("a runtime");
    let setup = created.elapsed();
    let prepared = runtime
        .prepare("bench", module)
        .expect("the module compiles");
    // A few runs first, spread over the worker threads, so that what the first run
    // of a process sets up once is not counted.
    let warm_ups: Vec<_> = (0..20)
        .map(|_| {
            let (runtime, prepared) = (runtime.clone(), prepared.clone());
            let stdin = warm_up.to_vec();
            tokio::spawn(async move { run(&runtime, &prepared, &stdin).await })
        })
        .collect();
    for task in warm_ups {
        let outcome = task.await.expect("a warm-up run");
        assert_eq!(
            outcome.ending,
            Ending::Exited(0),
            "the warm-up run succeeds"
        );
    }

    reset_peak_rss();
    let before_kib = peak_rss_kib();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONCURRENT)
        .map(|_| {
            let (runtime, prepared) = (runtime.clone(), prepared.clone());
            let (in_flight, most) = (in_flight.clone(), most.clone());
            let stdin = data.to_vec();
            tokio::spawn(async move {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                let outcome = run(&runtime, &prepared, &stdin).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                outcome
            })
        })
        .collect();
    for task in tasks {
        let outcome = task.await.expect("a run");
        assert_eq!(outcome.ending, Ending::Exited(0), "the run succeeds");
    }
    let wall = started.elapsed();
    Batch {
        setup,
        wall,
        most_in_flight: most.load(Ordering::SeqCst),
        before_kib,
        after_kib: peak_rss_kib(),
    }
}

/// Sets the process's peak RSS to its current RSS; false when the kernel
/// refuses.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

/// Compiling `log-job` (`Runtime::prepare`: compile and link) with no cache,
/// into a fresh on-disk cache, and from that cache in a new runtime, as
/// after a restart.
fn compile_times(log_job: &[u8]) -> String {
    // Once, so that what the first compilation of a process sets up is not
    // counted.
    prepare_timed(None, log_job);

    let mut cold = Vec::new();
    let mut writing = Vec::new();
    let mut cached = Vec::new();
    for _ in 0..COMPILES {
        cold.push(prepare_timed(None, log_job));
        let dir = tempfile::tempdir().expect("a temporary folder");
        writing.push(prepare_timed(Some(dir.path()), log_job));
        assert!(cache_files(dir.path()) > 0, "the compiled module is cached");
        cached.push(prepare_timed(Some(dir.path()), log_job));
    }
    let [cold, writing, cached] = [cold, writing, cached].map(Summary::of);
    format!(
        "### Compiling\n\n`Runtime::prepare` of `log-job` ({} KiB), each in a new runtime, \
         {COMPILES} times each, median:\n\n| how | median |\n| --- | ---: |\n\
         | compiled, no cache | {} |\n| compiled and written to an empty on-disk cache | {} |\n\
         | loaded from the on-disk cache (a new runtime, as after a restart) | {} |\n\n\
         The cache makes preparing {} faster.\n",
        log_job.len() / 1024,
        millis(cold.median),
        millis(writing.median),
        millis(cached.median),
        ratio(cold.median, cached.median),
    )
}

fn prepare_timed(cache: Option<&std::path::Path>, module: &[u8]) -> Duration {
    let runtime = Runtime::new(cache, 1).expect("a runtime");
    let started = Instant::now();
    runtime
        .prepare("bench", module)
        .expect("the module compiles");
    started.elapsed()
}

fn cache_files(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| {
            let path = entry.path();
            if path.is_dir() { cache_files(&path) } else { 1 }
        })
        .sum()
}

/// The median and 99th percentile of a set of timings.
struct Summary {
    count: usize,
    median: Duration,
    p99: Duration,
}

impl Summary {
    fn of(mut samples: Vec<Duration>) -> Summary {
        samples.sort();
        let at = |quantile: f64| {
            let rank = (quantile * samples.len() as f64).ceil() as usize;
            samples[rank.clamp(1, samples.len()) - 1]
        };
        Summary {
            count: samples.len(),
            median: at(0.5),
            p99: at(0.99),
        }
    }
}

fn ratio(slow: Duration, fast: Duration) -> String {
    format!("{:.1}×", slow.as_secs_f64() / fast.as_secs_f64())
}

fn micros(duration: Duration) -> String {
    let us = duration.as_secs_f64() * 1e6;
    if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.1} µs")
    }
}

fn millis(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

fn mebibytes(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn handler(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../handlers/dist/{name}.wasm",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!("{path}: {e}; build the handlers first (scripts/build-handlers.sh)")
    })
}
