//! Throughput and fire-to-start latency of `enschedule worker` processes on
//! SQLite and PostgreSQL, with one and with four instances, and then the same
//! phases for graphile-worker (`bench/graphile`) on the same PostgreSQL.
//!
//! `cargo bench -p server --bench instances` (release build). Settings, by
//! environment: `BENCH_RUNS` (10,000), `BENCH_INSTANCES` (`1,4`),
//! `BENCH_DATABASES` (`sqlite,postgres`), `BENCH_PROBES` (200),
//! `BENCH_GRAPHILE` (`1` to run graphile-worker too, the default when its npm
//! packages are installed). The figures go to stdout as JSON, a summary to
//! stderr.
//!
//! Every run is the bundled `log-job` handler printing one line: claimed,
//! executed in the sandbox, its output stored. The phases:
//! - throughput: the runs are stored due in an hour, then moved to be due
//!   together two seconds ahead; timed from that instant to the last run's
//!   end, both as the database records them;
//! - idle: probe runs stored one at a time, 50 ms apart, each due 100 ms
//!   after it is stored; latency is its recorded start minus its due time;
//! - prescheduled: the probes stored at once, due 50 ms apart from 0.5 s on;
//! - under load: as idle, while other runs are stored at 400 a second.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use worker::Store;
use worker::model::{RunStatus, Trigger};
use worker::store::scratch::ScratchDatabase;
use worker::store::{Database, Dialect, NewRun, RunFilter, SqliteLocation};

const KEY: &str = "bench-key";
const PROBE_SPACING: Duration = Duration::from_millis(50);
const PROBE_OFFSET_MS: i64 = 100;
const LOAD_PER_SECOND: u64 = 400;

fn setting(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(run());
}

async fn run() {
    let runs: usize = setting("BENCH_RUNS", "10000").parse().expect("BENCH_RUNS");
    let probes: usize = setting("BENCH_PROBES", "200")
        .parse()
        .expect("BENCH_PROBES");
    let instance_counts: Vec<usize> = setting("BENCH_INSTANCES", "1,4")
        .split(',')
        .map(|n| n.trim().parse().expect("BENCH_INSTANCES"))
        .collect();
    let mut results = serde_json::Map::new();
    for name in setting("BENCH_DATABASES", "sqlite,postgres").split(',') {
        let dialect = match name.trim() {
            "sqlite" => Dialect::Sqlite,
            "postgres" => Dialect::Postgres,
            "mysql" => Dialect::MySql,
            other => panic!("BENCH_DATABASES: unknown database {other}"),
        };
        for &instances in &instance_counts {
            eprintln!("== {} with {instances} instance(s)", dialect.name());
            let figures = measure(dialect, instances, runs, probes).await;
            eprintln!("{}", summary(&figures));
            results.insert(format!("{}_{instances}", name.trim()), figures);
        }
    }
    let graphile = graphile(runs, probes, &instance_counts);
    let report = json!({
        "bench": "enschedule instances",
        "runs": runs,
        "probes": probes,
        "concurrency_per_instance": 8,
        "poll_interval_ms": 1000,
        "enschedule": results,
        "graphile_worker": graphile,
    });
    println!("{}", serde_json::to_string_pretty(&report).expect("JSON"));
}

/// One database, `instances` worker processes, every phase.
async fn measure(dialect: Dialect, instances: usize, runs: usize, probes: usize) -> Value {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let scratch = match dialect {
        Dialect::Sqlite => None,
        server => Some(ScratchDatabase::create(server).await.expect("a database")),
    };
    let database = match &scratch {
        Some(scratch) => scratch.database.clone(),
        None => Database::Sqlite(SqliteLocation::File(dir.path().join("bench.sqlite"))),
    };
    let port = free_port();
    let mut processes = Vec::new();
    for n in 1..=instances {
        processes.push(Worker::start(
            &database,
            dir.path(),
            n,
            (n == 1).then_some(port),
        ));
        if n == 1 {
            healthy(port).await;
        }
    }
    let store = Store::open(&database).await.expect("the store opens");
    while store.list_instances().await.expect("instances").len() < instances {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let schedule = create_schedule(port).await;

    let throughput = throughput(&store, schedule, runs).await;
    let idle = probe_latency(&store, schedule, probes, Pace::OneAtATime).await;
    let prescheduled = probe_latency(&store, schedule, probes, Pace::AllAhead).await;
    let under_load = under_load(&store, schedule, probes).await;

    drop(processes);
    store.pool().close().await;
    if let Some(scratch) = scratch {
        scratch
            .drop_database()
            .await
            .expect("the database is dropped");
    }
    json!({
        "database": dialect.name(),
        "instances": instances,
        "throughput": throughput,
        "latency": { "idle": idle, "prescheduled": prescheduled, "under_load": under_load },
    })
}

/// A worker process, stopped when dropped.
struct Worker(Child);

impl Worker {
    fn start(database: &Database, dir: &std::path::Path, n: usize, api: Option<u16>) -> Worker {
        let mut command = Command::new(env!("CARGO_BIN_EXE_enschedule"));
        command.arg("worker");
        for variable in ["SQLITE", "POSTGRES", "MYSQL", "MARIADB"] {
            command.env_remove(variable);
        }
        match database {
            Database::Sqlite(SqliteLocation::File(path)) => command.env("SQLITE", path),
            Database::Postgres(url) => command.env("POSTGRES", url),
            Database::MySql(url) => command.env("MYSQL", url),
            Database::Sqlite(SqliteLocation::Memory) => unreachable!("processes share no memory"),
        };
        if let Some(port) = api {
            command
                .arg("--api")
                .env("PORT", port.to_string())
                .env("HOST", "127.0.0.1")
                .env("API_KEY", KEY);
        }
        let child = command
            .env("ENSCHEDULE_DATA_DIR", dir.join(format!("w{n}")))
            .env("INSTANCE_ID", format!("inline@w{n}"))
            .env("CONCURRENCY", "8")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("enschedule worker starts");
        Worker(child)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn healthy(port: u16) {
    let url = format!("http://127.0.0.1:{port}/api/v1/healthz");
    for _ in 0..600 {
        if reqwest::get(&url)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the worker on port {port} did not come up");
}

/// A manual schedule of `log-job` whose runs may overlap and never retry.
async fn create_schedule(port: u16) -> i64 {
    let body = json!({
        "functionId": "log-job",
        "data": { "message": "bench" },
        "options": { "title": "Bench", "overlap": "allow", "maxRetries": 0 }
    });
    let response = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/api/v1/schedules"))
        .header("Authorization", format!("Api-Key {KEY}"))
        .json(&body)
        .send()
        .await
        .expect("the API answers");
    let created: Value = response.json().await.expect("JSON");
    created["schedule"]["id"].as_i64().expect("a schedule id")
}

fn new_run(schedule_id: i64, due: DateTime<Utc>, message: String) -> NewRun {
    NewRun {
        schedule_id,
        function_id: "log-job".into(),
        function_version: 1,
        data: json!({ "message": message }),
        trigger: Trigger::Manual,
        scheduled_for: due,
        attempt: 1,
        due_at: due,
        timeout_ms: 60_000,
        serial: false,
        worker_id: None,
    }
}

async fn insert(store: &Store, run: &NewRun) -> i64 {
    store
        .insert_run(run, Utc::now())
        .await
        .expect("the run is stored")
        .expect("a manual run is never a duplicate")
}

async fn throughput(store: &Store, schedule: i64, runs: usize) -> Value {
    let later = Utc::now() + chrono::Duration::hours(1);
    let mut storing = tokio::task::JoinSet::new();
    for part in 0..8 {
        let store = store.clone();
        storing.spawn(async move {
            for n in (part..runs).step_by(8) {
                insert(&store, &new_run(schedule, later, format!("run {n}"))).await;
            }
        });
    }
    storing.join_all().await;
    let due = Utc::now() + chrono::Duration::seconds(2);
    let statement = match store.dialect() {
        Dialect::MySql => "UPDATE runs SET due_at = ?, scheduled_for = ? WHERE status = 'pending'",
        _ => "UPDATE runs SET due_at = $1, scheduled_for = $2 WHERE status = 'pending'",
    };
    sqlx::query(statement)
        .bind(due.timestamp_millis())
        .bind(due.timestamp_millis())
        .execute(store.pool())
        .await
        .expect("the runs are made due");
    if store.dialect() == Dialect::Postgres {
        // Statistics for the planner, as autovacuum gives them to a table in
        // use; the graphile-worker side gets the same. Without them a fresh
        // table's estimates are defaults, and the claim sorts every due run.
        sqlx::query("VACUUM ANALYZE runs")
            .execute(store.pool())
            .await
            .expect("the runs table is analyzed");
    }
    wait_until_done(store, runs).await;
    let ended = store
        .list_runs(&RunFilter {
            schedule_id: Some(schedule),
            limit: runs as i64,
            ..Default::default()
        })
        .await
        .expect("runs");
    let first_start = ended
        .iter()
        .filter_map(|r| r.started_at)
        .min()
        .expect("a start");
    let last_end = ended
        .iter()
        .filter_map(|r| r.finished_at)
        .max()
        .expect("an end");
    let wall = (last_end - due).as_seconds_f64();
    let from_first = (last_end - first_start).as_seconds_f64();
    json!({
        "runs": runs,
        "wall_s": round(wall, 3),
        "runs_per_s": (runs as f64 / wall).round(),
        "due_to_first_start_ms": (first_start - due).num_milliseconds(),
        "runs_per_s_from_first_start": (runs as f64 / from_first).round(),
    })
}

/// Waits until every run stored so far has ended, and checks they succeeded.
async fn wait_until_done(store: &Store, expected_at_least: usize) {
    let started = Instant::now();
    loop {
        let counts = store.count_runs_by_status().await.expect("counts");
        let open: i64 = counts
            .iter()
            .filter(|(s, _)| matches!(s, RunStatus::Pending | RunStatus::Running))
            .map(|(_, n)| n)
            .sum();
        let total: i64 = counts.iter().map(|(_, n)| n).sum();
        if open == 0 && total as usize >= expected_at_least {
            assert!(
                counts.iter().all(|(s, _)| *s == RunStatus::Succeeded),
                "every run succeeds: {counts:?}"
            );
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(900),
            "stuck: {counts:?}"
        );
        // The times come from the database, so looking seldom costs no
        // precision, and counting every row often would load the server.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

enum Pace {
    /// Each probe stored 50 ms after the last, due 100 ms after it is stored.
    OneAtATime,
    /// All stored at once, due 50 ms apart from half a second on.
    AllAhead,
}

async fn probe_latency(store: &Store, schedule: i64, probes: usize, pace: Pace) -> Value {
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut ids = Vec::with_capacity(probes);
    match pace {
        Pace::OneAtATime => {
            for n in 0..probes {
                let due = Utc::now() + chrono::Duration::milliseconds(PROBE_OFFSET_MS);
                ids.push(insert(store, &new_run(schedule, due, format!("probe {n}"))).await);
                tokio::time::sleep(PROBE_SPACING).await;
            }
        }
        Pace::AllAhead => {
            let first = Utc::now() + chrono::Duration::milliseconds(500);
            for n in 0..probes {
                let due = first + PROBE_SPACING * n as u32;
                ids.push(insert(store, &new_run(schedule, due, format!("probe {n}"))).await);
            }
        }
    }
    latencies(store, &ids).await
}

async fn under_load(store: &Store, schedule: i64, probes: usize) -> Value {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = tokio::spawn({
        let store = store.clone();
        let stop = stop.clone();
        async move {
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            let per_tick = LOAD_PER_SECOND / 50;
            let mut stored = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                tick.tick().await;
                for _ in 0..per_tick {
                    let run = new_run(schedule, Utc::now(), format!("load {stored}"));
                    insert(&store, &run).await;
                    stored += 1;
                }
            }
            stored
        }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut figures = probe_latency(store, schedule, probes, Pace::OneAtATime).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let stored = load.await.expect("the load task");
    figures["load_runs"] = json!(stored);
    figures
}

/// Waits for the probes to end and answers their start minus due, in ms.
async fn latencies(store: &Store, ids: &[i64]) -> Value {
    let mut waits = Vec::with_capacity(ids.len());
    for &id in ids {
        loop {
            let run = store.get_run(id).await.expect("the probe");
            if let Some(started) = run.started_at {
                waits.push((started - run.scheduled_for).num_milliseconds());
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    waits.sort_unstable();
    let rank = |p: f64| waits[((p * waits.len() as f64).ceil() as usize).clamp(1, waits.len()) - 1];
    json!({
        "n": waits.len(),
        "min_ms": waits[0],
        "p50_ms": rank(0.50),
        "p90_ms": rank(0.90),
        "p99_ms": rank(0.99),
        "max_ms": waits[waits.len() - 1],
    })
}

fn round(value: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (value * scale).round() / scale
}

fn summary(figures: &Value) -> String {
    let t = &figures["throughput"];
    let l = &figures["latency"];
    let line = |name: &str| {
        format!(
            "  {name:<13} p50 {} ms, p99 {} ms, max {} ms",
            l[name]["p50_ms"], l[name]["p99_ms"], l[name]["max_ms"]
        )
    };
    format!(
        "  throughput    {} runs/s ({} s for {} runs; {} runs/s from the first start)\n{}\n{}\n{}",
        t["runs_per_s"],
        t["wall_s"],
        t["runs"],
        t["runs_per_s_from_first_start"],
        line("idle"),
        line("prescheduled"),
        line("under_load")
    )
}

/// graphile-worker's figures from `bench/graphile`, on the same server and
/// with the same counts; null when its packages are not installed.
fn graphile(runs: usize, probes: usize, instance_counts: &[usize]) -> Value {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../bench/graphile");
    let wanted = setting("BENCH_GRAPHILE", "");
    let installed = std::path::Path::new(folder).join("node_modules").is_dir();
    if wanted == "0" || (wanted.is_empty() && !installed) {
        eprintln!("== graphile-worker: skipped (run `npm ci` in bench/graphile)");
        return Value::Null;
    }
    eprintln!("== graphile-worker on the same PostgreSQL");
    let workers: Vec<String> = instance_counts.iter().map(usize::to_string).collect();
    let output = Command::new("node")
        .current_dir(folder)
        .args([
            "bench.mjs",
            "--jobs",
            &runs.to_string(),
            "--probes",
            &probes.to_string(),
        ])
        .args(["--workers", &workers.join(",")])
        .stderr(Stdio::inherit())
        .output()
        .expect("node runs bench.mjs");
    assert!(output.status.success(), "the graphile-worker bench failed");
    serde_json::from_slice(&output.stdout).expect("bench.mjs prints JSON")
}
