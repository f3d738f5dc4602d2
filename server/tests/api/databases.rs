//! Many instances on one database, for each database Enschedule runs on:
//! four `enschedule worker` processes share 10,000 due runs and execute each
//! exactly once, and an instance killed with SIGKILL mid-run has its run
//! marked lost and retried on another.
//!
//! PostgreSQL and MySQL/MariaDB are the servers `worker::store::scratch`
//! names (the machine's own by default); each test gets a database of its
//! own there.

use std::collections::BTreeMap;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{Value, json};
use worker::Store;
use worker::model::{RunStatus, Trigger};
use worker::store::scratch::ScratchDatabase;
use worker::store::{Database, Dialect, NewRun, SqliteLocation};

use crate::workers::{Process, call, eventually, free_port, healthy, runs_of, spawn};

const RUNS: usize = 10_000;
const INSTANCES: usize = 4;

/// A database for one test, and the temporary folder that holds the data
/// folders (and the SQLite file).
async fn database(dialect: Dialect, dir: &std::path::Path) -> Database {
    match dialect {
        Dialect::Sqlite => Database::Sqlite(SqliteLocation::File(dir.join("shared.sqlite"))),
        server => {
            ScratchDatabase::create(server)
                .await
                .unwrap_or_else(|e| panic!("a database on the {} server: {e}", server.name()))
                .database
        }
    }
}

/// `enschedule worker` as instance `instance` on `database`, its log in
/// `log` (or dropped), with the REST API on `port` when given.
fn worker_on(
    database: &Database,
    data_dir: &std::path::Path,
    instance: &str,
    port: Option<u16>,
    log: Option<std::fs::File>,
) -> Command {
    let probe = concat!(env!("CARGO_MANIFEST_DIR"), "/../handlers/dist/probe.wasm");
    let mut command = Command::new(env!("CARGO_BIN_EXE_enschedule"));
    command.arg("worker");
    for variable in ["SQLITE", "POSTGRES", "MYSQL", "MARIADB"] {
        command.env_remove(variable);
    }
    match database {
        Database::Sqlite(SqliteLocation::File(path)) => command.env("SQLITE", path),
        Database::Sqlite(SqliteLocation::Memory) => unreachable!("processes share no memory"),
        Database::Postgres(url) => command.env("POSTGRES", url),
        Database::MySql(url) => command.env("MYSQL", url),
    };
    if let Some(port) = port {
        command
            .arg("--api")
            .env("PORT", port.to_string())
            .env("HOST", "127.0.0.1")
            .env("API_KEY", crate::workers::KEY);
    }
    command
        .env("ENSCHEDULE_DATA_DIR", data_dir)
        .env("WORKER_ID", "inline")
        .env("INSTANCE_ID", instance)
        .env("IMPORT_FUNCTIONS", probe)
        .env("CONCURRENCY", "8")
        .env("SHUTDOWN_GRACE_SECONDS", "5")
        .env("RUST_LOG", "warn,worker::queue=info")
        .stdout(log.map_or_else(Stdio::null, Stdio::from))
        .stderr(Stdio::null());
    command
}

/// Four instances on one database share 10,000 runs that are due at once:
/// every run ends `succeeded`, and the instances' logs together show each
/// run executed once, by exactly one of them.
async fn each_run_executes_exactly_once(dialect: Dialect) {
    let dir = tempfile::tempdir().unwrap();
    let database = database(dialect, dir.path()).await;
    let port = free_port();
    let mut logs = Vec::new();
    let mut instances: Vec<Process> = Vec::new();
    for n in 1..=INSTANCES {
        let data_dir = dir.path().join(format!("w{n}"));
        let log_path = dir.path().join(format!("w{n}.log"));
        let log = std::fs::File::create(&log_path).unwrap();
        let api = (n == 1).then_some(port);
        instances.push(spawn(&mut worker_on(
            &database,
            &data_dir,
            &format!("inline@w{n}"),
            api,
            Some(log),
        )));
        logs.push(log_path);
        if n == 1 {
            // The first creates the schema; the others find it made.
            healthy(port).await;
        }
    }
    let store = Store::open(&database).await.unwrap();
    let all_up = eventually(60, async || {
        store.list_instances().await.unwrap().len() == INSTANCES
    })
    .await;
    assert!(all_up, "not every instance registered");

    let schedule = json!({
        "functionId": "log-job",
        "data": { "message": "once" },
        "options": { "title": "Exactly once", "overlap": "allow", "maxRetries": 0 }
    });
    let url = format!("http://127.0.0.1:{port}/api/v1/schedules");
    let (status, created) = call(reqwest::Method::POST, &url, Some(schedule)).await;
    assert_eq!(status, 201, "{created}");
    let schedule_id = created["schedule"]["id"].as_i64().unwrap();

    // All due at once, while the instances are already claiming.
    let due = Utc::now();
    let mut inserting = tokio::task::JoinSet::new();
    for part in 0..8 {
        let store = store.clone();
        inserting.spawn(async move {
            for n in (part..RUNS).step_by(8) {
                let run = NewRun {
                    schedule_id,
                    function_id: "log-job".into(),
                    function_version: 1,
                    data: json!({ "message": format!("run {n}") }),
                    trigger: Trigger::Manual,
                    scheduled_for: due,
                    attempt: 1,
                    due_at: due,
                    timeout_ms: 60_000,
                    serial: false,
                    worker_id: None,
                };
                store.insert_run(&run, due).await.unwrap().unwrap();
            }
        });
    }
    inserting.join_all().await;

    let started = Instant::now();
    let mut counts = Vec::new();
    let done = eventually(600, async || {
        counts = store.count_runs_by_status().await.unwrap();
        counts == [(RunStatus::Succeeded, RUNS as i64)]
    })
    .await;
    assert!(done, "after {:?}: {counts:?}", started.elapsed());

    for instance in &instances {
        let stopped = Command::new("kill")
            .args(["-TERM", &instance.0.id().to_string()])
            .status()
            .unwrap();
        assert!(stopped.success());
    }
    for instance in &mut instances {
        let exited = eventually(30, async || instance.0.try_wait().unwrap().is_some()).await;
        assert!(exited, "an instance did not stop on SIGTERM");
    }

    // Which instance executed which run, from the lines they logged.
    let mut executions: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    let mut per_instance = Vec::new();
    for (n, ids) in finished_in(&logs).into_iter().enumerate() {
        per_instance.push(ids.len());
        for id in ids {
            executions.entry(id).or_default().push(n + 1);
        }
    }
    let twice: Vec<_> = executions.iter().filter(|(_, by)| by.len() > 1).collect();
    assert!(twice.is_empty(), "runs executed more than once: {twice:?}");
    assert_eq!(
        executions.len(),
        RUNS,
        "runs executed: {}",
        executions.len()
    );
    assert_eq!(per_instance.iter().sum::<usize>(), RUNS);
    // The work was shared, not done by one instance while the rest idled.
    assert!(
        per_instance.iter().all(|&n| n > 0),
        "runs per instance: {per_instance:?}"
    );
    let runs = store
        .list_runs(&worker::store::RunFilter {
            schedule_id: Some(schedule_id),
            limit: RUNS as i64 + 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(runs.len(), RUNS);
    for run in &runs {
        assert_eq!(executions[&run.id].len(), 1);
        assert_eq!(
            run.instance_id.as_deref(),
            Some(format!("inline@w{}", executions[&run.id][0]).as_str()),
            "run {} was recorded by another instance than the one that ran it",
            run.id
        );
        assert_eq!(run.attempt, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_instances_execute_each_of_10_000_runs_once_on_sqlite() {
    each_run_executes_exactly_once(Dialect::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_instances_execute_each_of_10_000_runs_once_on_postgres() {
    each_run_executes_exactly_once(Dialect::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_instances_execute_each_of_10_000_runs_once_on_mysql() {
    each_run_executes_exactly_once(Dialect::MySql).await;
}

/// BEH-06 with real processes: W1 is killed with SIGKILL in the middle of
/// a run (lease 3 s); W2 marks the run lost within the lease and sweep time
/// and runs the retry to its end.
async fn a_killed_instance_loses_its_run_to_another(dialect: Dialect) {
    let dir = tempfile::tempdir().unwrap();
    let database = database(dialect, dir.path()).await;
    let (p1, p2) = (free_port(), free_port());
    let mut w1 = spawn(
        worker_on(
            &database,
            &dir.path().join("w1"),
            "inline@w1",
            Some(p1),
            None,
        )
        .env("LEASE_SECONDS", "3"),
    );
    healthy(p1).await;
    let schedule = crate::workers::run_probe(p1, json!({ "sleepMs": 4000 })).await;
    let running = eventually(30, async || {
        runs_of(p1, &schedule).await[0]["status"] == "running"
    })
    .await;
    assert!(running, "W1 did not start the run");
    let _w2 = spawn(
        worker_on(
            &database,
            &dir.path().join("w2"),
            "inline@w2",
            Some(p2),
            None,
        )
        .env("LEASE_SECONDS", "3"),
    );
    healthy(p2).await;

    w1.0.kill().unwrap();
    w1.0.wait().unwrap();
    let killed_at = Instant::now();
    let lost = eventually(30, async || {
        let runs = runs_of(p2, &schedule).await;
        runs.as_array()
            .unwrap()
            .iter()
            .any(|r| r["status"] == "lost")
    })
    .await;
    assert!(lost, "the run was never marked lost");
    // The lease (3 s), a sweep (every second) and slack for a loaded machine.
    assert!(killed_at.elapsed() < Duration::from_secs(15));

    let mut runs = Value::Null;
    let retried = eventually(60, async || {
        runs = runs_of(p2, &schedule).await;
        runs[0]["attempt"] == 2 && runs[0]["status"] == "succeeded"
    })
    .await;
    assert!(retried, "the retry did not succeed: {runs}");
    assert_eq!(runs[0]["instanceId"], "inline@w2");
    assert_eq!(runs[1]["status"], "lost");
    assert_eq!(runs[1]["instanceId"], "inline@w1");
    assert_eq!(
        runs[1]["error"],
        "the instance running it stopped renewing its lease"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_instance_loses_its_run_to_another_on_sqlite() {
    a_killed_instance_loses_its_run_to_another(Dialect::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_instance_loses_its_run_to_another_on_postgres() {
    a_killed_instance_loses_its_run_to_another(Dialect::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_instance_loses_its_run_to_another_on_mysql() {
    a_killed_instance_loses_its_run_to_another(Dialect::MySql).await;
}

/// Which run ids each log shows finished, one list per log.
fn finished_in(logs: &[std::path::PathBuf]) -> Vec<Vec<i64>> {
    logs.iter()
        .map(|log| {
            let mut text = String::new();
            std::fs::File::open(log)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            text.lines()
                .filter(|l| l.contains("run finished"))
                .map(|line| {
                    line.split("run.id=")
                        .nth(1)
                        .and_then(|rest| rest.split(' ').next())
                        .and_then(|id| id.parse().ok())
                        .unwrap_or_else(|| panic!("no run id in {line:?}"))
                })
                .collect()
        })
        .collect()
}

/// The drill: four instances on PostgreSQL work through 2,000 runs of 100 ms
/// while one is killed and started again under its id and another is killed
/// for good. Nothing is lost (every run ends succeeded, directly or through
/// the retry of a lost attempt), nothing is doubled (no run is executed by
/// two instances), and nothing is stuck (no run is left pending or running).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_killed_at_random_lose_nothing_and_double_nothing_on_postgres() {
    const DRILL_RUNS: usize = 2_000;
    let dir = tempfile::tempdir().unwrap();
    let database = database(Dialect::Postgres, dir.path()).await;
    let port = free_port();
    let log = |name: &str| {
        let path = dir.path().join(format!("{name}.log"));
        (std::fs::File::create(&path).unwrap(), path)
    };
    let mut logs = Vec::new();
    let mut instances = Vec::new();
    for n in 1..=INSTANCES {
        let (file, path) = log(&format!("w{n}"));
        logs.push((format!("inline@w{n}"), path));
        instances.push(spawn(
            worker_on(
                &database,
                &dir.path().join(format!("w{n}")),
                &format!("inline@w{n}"),
                (n == 1).then_some(port),
                Some(file),
            )
            .env("LEASE_SECONDS", "3"),
        ));
        if n == 1 {
            healthy(port).await;
        }
    }
    let store = Store::open(&database).await.unwrap();
    let all_up = eventually(60, async || {
        store.list_instances().await.unwrap().len() == INSTANCES
    })
    .await;
    assert!(all_up, "not every instance registered");
    let body = json!({
        "functionId": "probe",
        "data": { "sleepMs": 300 },
        "options": { "title": "Drill", "overlap": "allow", "maxRetries": 3 }
    });
    let url = format!("http://127.0.0.1:{port}/api/v1/schedules");
    let (status, created) = call(reqwest::Method::POST, &url, Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let schedule_id = created["schedule"]["id"].as_i64().unwrap();

    // Each run its own fire time, as runs started by hand have: a retry is
    // unique per schedule, fire time and attempt.
    let due = Utc::now();
    for n in 0..DRILL_RUNS {
        let run = NewRun {
            schedule_id,
            function_id: "probe".into(),
            function_version: 1,
            data: json!({ "stdout": format!("drill {n}\n"), "sleepMs": 300 }),
            trigger: Trigger::Manual,
            scheduled_for: due + chrono::Duration::milliseconds(n as i64),
            attempt: 1,
            due_at: due,
            timeout_ms: 60_000,
            serial: false,
            worker_id: None,
        };
        store.insert_run(&run, due).await.unwrap().unwrap();
    }

    // Kill w2 and w3 at moments drawn at random while each has runs under
    // way; w2 comes back under its id, w3 does not.
    let mut random = rand::rng();
    let (first, second) = (
        rand::Rng::random_range(&mut random, 0..400),
        rand::Rng::random_range(&mut random, 0..400),
    );
    eprintln!("killing w2 {first} ms and w3 {second} ms after each is seen running runs");
    let kill_while_running = async |instance: &mut Process, id: &str, after: u64| {
        let running = eventually(60, async || {
            !store.runs_held_by(id).await.unwrap().is_empty()
        })
        .await;
        assert!(running, "{id} never ran a run");
        tokio::time::sleep(Duration::from_millis(after)).await;
        instance.0.kill().unwrap();
        instance.0.wait().unwrap();
    };
    kill_while_running(&mut instances[1], "inline@w2", first).await;
    let (file, path) = log("w2-again");
    logs.push(("inline@w2".into(), path));
    instances.push(spawn(
        worker_on(
            &database,
            &dir.path().join("w2"),
            "inline@w2",
            None,
            Some(file),
        )
        .env("LEASE_SECONDS", "3"),
    ));
    kill_while_running(&mut instances[2], "inline@w3", second).await;

    // Lost attempts are retried after their backoff (30 s).
    let mut counts = Vec::new();
    let settled = eventually(180, async || {
        counts = store.count_runs_by_status().await.unwrap();
        let succeeded = counts
            .iter()
            .find(|(s, _)| *s == RunStatus::Succeeded)
            .map_or(0, |(_, n)| *n);
        succeeded == DRILL_RUNS as i64
            && counts
                .iter()
                .all(|(s, _)| matches!(s, RunStatus::Succeeded | RunStatus::Lost))
    })
    .await;
    assert!(settled, "the drill did not settle: {counts:?}");

    let runs = store
        .list_runs(&worker::store::RunFilter {
            schedule_id: Some(schedule_id),
            limit: 100_000,
            ..Default::default()
        })
        .await
        .unwrap();
    let lost: Vec<_> = runs
        .iter()
        .filter(|r| r.status == RunStatus::Lost)
        .collect();
    assert!(
        !lost.is_empty(),
        "no run was under way when an instance died"
    );
    // Each lost attempt has its retry, and only lost attempts have one.
    assert_eq!(runs.len(), DRILL_RUNS + lost.len());
    assert_eq!(
        runs.iter().filter(|r| r.attempt > 1).count(),
        lost.len(),
        "{counts:?}"
    );

    for instance in &instances {
        let _ = Command::new("kill")
            .args(["-TERM", &instance.0.id().to_string()])
            .status();
    }
    for instance in &mut instances {
        eventually(30, async || instance.0.try_wait().unwrap().is_some()).await;
    }
    let paths: Vec<_> = logs.iter().map(|(_, path)| path.clone()).collect();
    let mut executions: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for ((instance, _), ids) in logs.iter().zip(finished_in(&paths)) {
        for id in ids {
            executions.entry(id).or_default().push(instance);
        }
    }
    for run in &runs {
        let by = executions.get(&run.id).cloned().unwrap_or_default();
        assert!(by.len() <= 1, "run {} executed by {by:?}", run.id);
        if run.status == RunStatus::Succeeded {
            assert_eq!(by, [run.instance_id.as_deref().unwrap()], "run {}", run.id);
        }
    }
}
