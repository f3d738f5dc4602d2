//! `enschedule worker` as a process: it registers as an instance of its
//! worker, shows on `/workers`, runs the schedules that name its worker, and
//! on SIGTERM stops cleanly.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use worker::store::SqliteLocation;

const KEY: &str = "worker-test-key";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_worker(data_dir: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_enschedule"))
        .args(["worker", "--api"])
        .env("SQLITE", data_dir.join("enschedule.sqlite"))
        .env("ENSCHEDULE_DATA_DIR", data_dir)
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .env("API_KEY", KEY)
        .env("WORKER_ID", "reports")
        .env("WORKER_TITLE", "Reports")
        .env("INSTANCE_ID", "reports@test")
        .env("SHUTDOWN_GRACE_SECONDS", "5")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("enschedule worker starts")
}

async fn call(method: reqwest::Method, url: &str, body: Option<Value>) -> (u16, Value) {
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
async fn eventually(seconds: u64, mut check: impl AsyncFnMut() -> bool) -> bool {
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

    let healthy = eventually(60, async || {
        reqwest::get(format!("{api}/healthz"))
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    assert!(healthy, "the worker's API did not come up");

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
        json!(["log-job@1", "send-http-request@1"])
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
        .args(["-TERM", &process.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let exited = eventually(30, async || process.try_wait().unwrap().is_some()).await;
    assert!(exited, "the worker did not stop on SIGTERM");
    assert_eq!(process.wait().unwrap().code(), Some(0));

    let store = worker::Store::open_sqlite(&SqliteLocation::File(
        data_dir.path().join("enschedule.sqlite"),
    ))
    .await
    .unwrap();
    let instance = store.list_instances().await.unwrap().remove(0);
    assert!(instance.stopped_at.is_some());
}
