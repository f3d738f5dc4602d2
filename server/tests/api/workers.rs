//! `enschedule worker` and `serve` as processes: an instance registers with
//! its worker, shows on `/workers`, runs the schedules that name its worker,
//! closes the runs it held when restarted, and on SIGTERM stops cleanly.
//! (Killed instances and many instances at once: `databases.rs`.)

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use worker::store::SqliteLocation;

pub(crate) const KEY: &str = "worker-test-key";

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_worker(data_dir: &std::path::Path, port: u16) -> Process {
    spawn(worker_command(data_dir, port, "reports", "reports@test").env("WORKER_TITLE", "Reports"))
}

/// A child process that is killed when the test lets go of it, passed or not.
pub(crate) struct Process(pub(crate) Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn spawn(command: &mut Command) -> Process {
    Process(command.spawn().expect("enschedule worker starts"))
}

/// `enschedule worker --api` on the database in `data_dir`, with `probe`.
fn worker_command(data_dir: &std::path::Path, port: u16, worker: &str, instance: &str) -> Command {
    let probe = concat!(env!("CARGO_MANIFEST_DIR"), "/../handlers/dist/probe.wasm");
    let mut command = Command::new(env!("CARGO_BIN_EXE_enschedule"));
    command
        .args(["worker", "--api"])
        .env("SQLITE", data_dir.join("enschedule.sqlite"))
        .env("ENSCHEDULE_DATA_DIR", data_dir)
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .env("API_KEY", KEY)
        .env("WORKER_ID", worker)
        .env("INSTANCE_ID", instance)
        .env("IMPORT_FUNCTIONS", probe)
        .env("SHUTDOWN_GRACE_SECONDS", "5")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Waits until the API on `port` answers.
pub(crate) async fn healthy(port: u16) {
    let url = format!("http://127.0.0.1:{port}/api/v1/healthz");
    let up = eventually(60, async || {
        reqwest::get(&url)
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    assert!(up, "the worker on port {port} did not come up");
}

/// The runs of a schedule, newest first.
pub(crate) async fn runs_of(port: u16, schedule_id: &Value) -> Value {
    let url = format!("http://127.0.0.1:{port}/api/v1/runs?scheduleId={schedule_id}");
    call(reqwest::Method::GET, &url, None).await.1
}

/// Creates a manual schedule of `probe` with `data` and one retry, and
/// starts it; answers the schedule's id.
pub(crate) async fn run_probe(port: u16, data: Value) -> Value {
    let body = json!({
        "functionId": "probe",
        "data": data,
        "options": { "title": "Sleeper", "maxRetries": 1, "runNow": true }
    });
    let url = format!("http://127.0.0.1:{port}/api/v1/schedules");
    let (status, created) = call(reqwest::Method::POST, &url, Some(body)).await;
    assert_eq!(status, 201, "{created}");
    created["schedule"]["id"].clone()
}

pub(crate) async fn call(method: reqwest::Method, url: &str, body: Option<Value>) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut request = client
        .request(method, url)
        .header("Authorization", format!("Api-Key {KEY}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the worker answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Polls `check` every 100 ms for up to `seconds`.
pub(crate) async fn eventually(seconds: u64, mut check: impl AsyncFnMut() -> bool) -> bool {
    for _ in 0..seconds * 10 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_process_registers_runs_its_schedules_and_stops_cleanly() {
    let data_dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut process = start_worker(data_dir.path(), port);
    let api = format!("http://127.0.0.1:{port}/api/v1");

    healthy(port).await;

    let (status, workers) = call(reqwest::Method::GET, &format!("{api}/workers"), None).await;
    assert_eq!(status, 200);
    assert_eq!(workers[0]["id"], "reports");
    assert_eq!(workers[0]["title"], "Reports");
    assert_eq!(workers[0]["version"], 1);
    let instance = &workers[0]["instances"][0];
    assert_eq!(instance["id"], "reports@test");
    assert_eq!(instance["status"], "UP");
    assert_eq!(instance["version"], 1);
    assert_eq!(instance["concurrency"], 16);
    assert_eq!(
        instance["functions"],
        json!(["log-job@1", "send-http-request@1", "probe@1"])
    );

    let schedule = json!({
        "functionId": "log-job",
        "data": { "message": "from the reports worker" },
        "options": { "title": "Report", "workerId": "reports", "runNow": true }
    });
    let (status, created) = call(
        reqwest::Method::POST,
        &format!("{api}/schedules"),
        Some(schedule),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["schedule"]["workerId"], "reports");
    let schedule_id = created["schedule"]["id"].clone();
    let mut run = Value::Null;
    let finished = eventually(30, async || {
        let (_, runs) = call(
            reqwest::Method::GET,
            &format!("{api}/runs?scheduleId={schedule_id}"),
            None,
        )
        .await;
        run = runs[0].clone();
        run["status"] == "succeeded"
    })
    .await;
    assert!(finished, "the run did not succeed: {run}");
    assert_eq!(run["instanceId"], "reports@test");

    let terminated = Command::new("kill")
        .args(["-TERM", &process.0.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let exited = eventually(30, async || process.0.try_wait().unwrap().is_some()).await;
    assert!(exited, "the worker did not stop on SIGTERM");
    assert_eq!(process.0.wait().unwrap().code(), Some(0));

    let store = worker::Store::open_sqlite(&SqliteLocation::File(
        data_dir.path().join("enschedule.sqlite"),
    ))
    .await
    .unwrap();
    let instance = store.list_instances().await.unwrap().remove(0);
    assert!(instance.stopped_at.is_some());
}

/// BEH-06's variant: W1 is killed and started again at once under the same
/// instance id; it closes the run it held within seconds, not a lease later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_instance_closes_the_runs_it_held_at_once() {
    let data_dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut w1 = spawn(&mut worker_command(
        data_dir.path(),
        port,
        "inline",
        "inline@w1",
    ));
    healthy(port).await;
    let schedule = run_probe(port, json!({ "sleepMs": 600_000 })).await;
    let running = eventually(30, async || {
        runs_of(port, &schedule).await[0]["status"] == "running"
    })
    .await;
    assert!(running, "W1 did not start the run");

    w1.0.kill().unwrap();
    w1.0.wait().unwrap();
    let _again = spawn(&mut worker_command(
        data_dir.path(),
        port,
        "inline",
        "inline@w1",
    ));
    healthy(port).await;
    let mut runs = Value::Null;
    let closed = eventually(5, async || {
        runs = runs_of(port, &schedule).await;
        runs.as_array()
            .unwrap()
            .iter()
            .any(|r| r["attempt"] == 1 && r["status"] == "lost")
    })
    .await;
    assert!(closed, "the held run was not closed: {runs}");
    let first = runs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["attempt"] == 1)
        .unwrap();
    assert_eq!(
        first["error"],
        "the instance running it restarted before it ended"
    );
}

/// `serve` (and so its inline instance) with the data folder given as a
/// relative path, as `make run` does: the module cache must still be found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_starts_with_a_relative_data_folder() {
    let home = tempfile::tempdir().unwrap();
    let port = free_port();
    let _server = spawn(
        Command::new(env!("CARGO_BIN_EXE_enschedule"))
            .arg("serve")
            .current_dir(home.path())
            .env("ENSCHEDULE_DATA_DIR", "data")
            .env_remove("SQLITE")
            .env("PORT", port.to_string())
            .env("HOST", "127.0.0.1")
            .env("ADMIN_ACCOUNT", "admin:relative-password")
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    healthy(port).await;
    assert!(home.path().join("data/enschedule.sqlite").is_file());
    assert!(home.path().join("data/module-cache").is_dir());
}
