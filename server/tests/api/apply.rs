//! `enschedule apply` and the other API commands, run as processes against
//! a server started by the test, the way GitOps pipelines use them.

use std::path::Path;
use std::process::Command;

use worker::Engine;

use crate::helpers::{SERVER_KEY, spawn_app};

/// A server listening on a free port; its engine, for looking behind the API.
struct Served {
    endpoint: String,
    engine: Engine,
    _data_dir: tempfile::TempDir,
}

async fn serve() -> Served {
    let test_app = spawn_app().await;
    let endpoint = format!("http://127.0.0.1:{}", test_app.app.port());
    let engine = test_app.app.engine().clone();
    let crate::helpers::TestApp { app, data_dir } = test_app;
    tokio::spawn(app.run_until_stopped());
    Served {
        endpoint,
        engine,
        _data_dir: data_dir,
    }
}

/// Runs `enschedule <args>` against the server; answers its exit code,
/// stdout and stderr.
async fn enschedule(served: &Served, args: &[&str]) -> (Option<i32>, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_enschedule"));
    command
        .args(args)
        .env("ENSCHEDULE_API_ENDPOINT", &served.endpoint)
        .env("ENSCHEDULE_API_KEY", SERVER_KEY);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("enschedule runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

async fn by_event_id(engine: &Engine, event_id: &str) -> worker::model::Schedule {
    let found = engine.store().find_schedule_by_event_id(event_id).await;
    found.unwrap().expect("the schedule exists")
}

async fn titles(engine: &Engine) -> Vec<String> {
    let schedules = engine.store().list_schedules().await.unwrap();
    let mut titles: Vec<String> = schedules.into_iter().map(|s| s.title).collect();
    titles.sort();
    titles
}

const TWO_FORMS: &str = r#"
apiVersion: v1
kind: schedule
spec:
  name: ping
  handler: log
  data:
    message: ping
  description: say ping
  schedule: "every day at 2 am"
  id: ping
---
kind: schedule
metadata:
  name: nightly
spec:
  functionId: log-job
  functionVersion: 1
  data:
    message: nightly
  options:
    cronExpression: "30 1 * * *"
    timezone: Europe/Berlin
"#;

#[tokio::test(flavor = "multi_thread")]
async fn applying_a_file_twice_creates_then_changes_nothing_then_updates() {
    let served = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "schedules.yaml", TWO_FORMS);

    let first = enschedule(&served, &["apply", "-f", &file]).await;
    let second = enschedule(&served, &["apply", "-f", &file]).await;
    write(
        dir.path(),
        "schedules.yaml",
        &TWO_FORMS.replace("say ping", "say ping twice"),
    );
    let third = enschedule(&served, &["apply", "-f", dir.path().to_str().unwrap()]).await;

    let ok = |text: &str| (Some(0), text.to_string(), String::new());
    assert_eq!(
        first,
        ok("schedule ping created\nschedule nightly created\n")
    );
    assert_eq!(
        second,
        ok("schedule ping unchanged\nschedule nightly unchanged\n")
    );
    assert_eq!(
        third,
        ok("schedule ping updated\nschedule nightly unchanged\n")
    );
    let ping = by_event_id(&served.engine, "ping").await;
    assert_eq!(ping.function_id, "log-job");
    assert_eq!(ping.description, "say ping twice");
    assert_eq!(
        ping.timing,
        worker::model::Timing::Cron {
            expression: "0 2 * * *".into(),
            phrase: Some("every day at 2 am".into()),
        }
    );
    assert_eq!(titles(&served.engine).await, ["nightly", "ping"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_schedule_that_never_fires_stops_the_whole_file() {
    // BEH-16: three schedules, the second impossible; none is applied, and
    // the error names it.
    let served = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "three.yaml",
        r#"
kind: schedule
spec: { name: a, handler: log, data: { message: a }, schedule: "every day at 2 am" }
---
kind: schedule
spec: { name: b, handler: log, data: { message: b }, schedule: "0 0 31 2 *" }
---
kind: schedule
spec: { name: c, handler: log, data: { message: c }, schedule: "*/15 * * * *" }
"#,
    );

    let result = enschedule(&served, &["apply", "-f", &file]).await;

    assert_eq!(
        result,
        (
            Some(1),
            String::new(),
            format!(
                "error: {file}: document 2 (b): cronExpression: `0 0 31 2 *` never fires: it has \
                 no fire time in the next 100 years\nnothing was applied\n"
            )
        )
    );
    assert!(titles(&served.engine).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_yaml_and_an_unknown_function_are_each_named() {
    let served = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let broken = write(
        dir.path(),
        "broken.yaml",
        "kind: schedule\nspec: [unclosed\n",
    );
    let unknown = write(
        dir.path(),
        "unknown.yaml",
        "kind: schedule\nspec: { name: x, handler: nope, data: {} }\n",
    );

    let (code, stdout, stderr) =
        enschedule(&served, &["apply", "-f", &broken, "-f", &unknown]).await;

    assert_eq!((code, stdout.as_str()), (Some(1), ""));
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert_eq!(
        lines[0],
        format!(
            "error: {broken}: document 1: not valid YAML: did not find expected ',' or ']' \
             at line 3 column 1, while parsing a flow sequence at line 2 column 7"
        )
    );
    assert_eq!(
        lines[1],
        format!("error: {unknown}: document 1 (x): functionId: there is no function `nope`")
    );
    assert_eq!(lines[2], "nothing was applied");
    assert!(titles(&served.engine).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_shows_the_next_fire_times_and_changes_nothing() {
    let served = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "one.json",
        r#"{ "kind": "schedule", "metadata": { "name": "hourly" },
             "spec": { "functionId": "log-job", "data": { "message": "h" },
                       "options": { "cronExpression": "0 * * * *" } } }"#,
    );

    let (code, stdout, stderr) = enschedule(&served, &["apply", "--dry-run", "-f", &file]).await;

    assert_eq!((code, stderr.as_str()), (Some(0), ""));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "schedule hourly would be created");
    let times: Vec<&str> = lines[1]
        .trim_start_matches("  next: ")
        .split(", ")
        .collect();
    assert_eq!(times.len(), 5);
    assert!(times.iter().all(|t| t.ends_with(":00:00Z")), "{stdout}");
    assert!(titles(&served.engine).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn schedules_are_paused_run_and_deleted_by_their_event_id() {
    let served = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "schedules.yaml", TWO_FORMS);
    enschedule(&served, &["apply", "-f", &file]).await;
    let id = by_event_id(&served.engine, "ping").await.id;

    let paused = enschedule(&served, &["pause", "ping"]).await;
    let resumed = enschedule(&served, &["resume", &id.to_string()]).await;
    let (run_code, run_out, _) = enschedule(&served, &["run", "ping"]).await;
    let (get_code, get_out, _) = enschedule(&served, &["get", "schedules"]).await;
    let deleted = enschedule(&served, &["delete", "ping"]).await;
    let missing = enschedule(&served, &["delete", "ping"]).await;

    let ok = |text: String| (Some(0), text, String::new());
    assert_eq!(paused, ok(format!("schedule {id} paused\n")));
    assert_eq!(resumed, ok(format!("schedule {id} resumed\n")));
    assert_eq!(run_code, Some(0));
    assert!(
        run_out.starts_with(&format!("schedule {id}: run ")),
        "{run_out}"
    );
    assert_eq!(get_code, Some(0));
    assert_eq!(
        get_out.lines().next(),
        Some("id\tstatus\tnextRunAt\teventId\ttitle")
    );
    assert_eq!(get_out.lines().count(), 3, "{get_out}");
    assert_eq!(deleted, ok(format!("schedule {id} deleted\n")));
    assert_eq!(
        missing,
        (
            Some(1),
            String::new(),
            "error: there is no schedule with the id or event id `ping`\n".to_string()
        )
    );
    assert_eq!(titles(&served.engine).await, ["nightly"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_misspelt_key_or_an_event_id_used_twice_is_refused() {
    let served = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "typos.yaml",
        r#"
kind: schedule
spec: { name: a, handler: log, data: { message: a }, scheduel: "@daily" }
---
kind: schedule
spec: { name: b, handler: log, data: { message: b }, schedule: "@daily" }
---
kind: schedule
metadata: { name: b }
spec: { functionId: log-job, data: { message: b } }
"#,
    );

    let result = enschedule(&served, &["apply", "-f", &file]).await;

    assert_eq!(
        result,
        (
            Some(1),
            String::new(),
            format!(
                "error: {file}: document 1 (a): spec.scheduel: is not a field here (the fields \
                 are name, handler, data, description, schedule, id)\n\
                 error: {file}: document 3 (b): eventId: `b` is also the event id of {file}: \
                 document 2\nnothing was applied\n"
            )
        )
    );
    assert!(titles(&served.engine).await.is_empty());
}
