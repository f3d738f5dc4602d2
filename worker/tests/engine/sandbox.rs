//! Hostile modules: each kind of misbehaviour ends with its exact status and
//! message, while ordinary runs beside it finish normally. Cancelling a run,
//! in the sandbox and through the engine.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use worker::model::{NewSchedule, RunStatus, Stream, Timing};
use worker::runtime::{Ending, Invocation, Limits, Outcome, Runtime};
use worker::store::RunFilter;

use crate::helpers::{engine_at, handler};

const MIB: usize = 1 << 20;

fn invocation(data: Value, limits: Limits) -> Invocation {
    Invocation {
        stdin: serde_json::to_vec(&data).unwrap(),
        env: vec![
            ("ENSCHEDULE_RUN_ID".into(), "7".into()),
            ("ENSCHEDULE_ATTEMPT".into(), "1".into()),
        ],
        limits,
        ..Invocation::default()
    }
}

/// Starts a module on its own task; its outcome comes back with how long it took.
fn start(
    runtime: &Runtime,
    module: &str,
    invocation: Invocation,
) -> tokio::task::JoinHandle<(Outcome, Duration)> {
    let runtime = runtime.clone();
    let module = runtime.prepare(module, &handler(module)).unwrap();
    tokio::spawn(async move {
        let started = Instant::now();
        let outcome = runtime.invoke(&module, invocation).await;
        (outcome, started.elapsed())
    })
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_modules_are_contained_while_other_runs_finish_normally() {
    let runtime = Runtime::new(None, 16).unwrap();
    // Only the endless loop has a short timeout: on a loaded machine the
    // others must not reach theirs before they end in their own way.
    let limits = Limits {
        timeout: Duration::from_secs(60),
        memory_bytes: 64 * MIB,
        ..Limits::default()
    };
    let attack = |name: &str| {
        let limits = match name {
            "loop" => Limits {
                timeout: Duration::from_secs(1),
                ..limits
            },
            _ => limits,
        };
        start(
            &runtime,
            "hostile",
            invocation(json!({ "attack": name }), limits),
        )
    };

    let endless = attack("loop");
    let memory = attack("memory");
    let recursion = attack("recursion");
    let flood = attack("flood");
    let invalid = attack("invalid-utf8");
    let file = attack("read-file");
    let environment = attack("environment");
    let socket = attack("socket");
    let ordinary: Vec<_> = (0..6)
        .map(|i| {
            start(
                &runtime,
                "log-job",
                invocation(
                    json!({ "message": format!("ordinary {i}") }),
                    Limits::default(),
                ),
            )
        })
        .collect();

    for (i, run) in ordinary.into_iter().enumerate() {
        let (outcome, _) = run.await.unwrap();
        assert_eq!(outcome.ending, Ending::Exited(0));
        assert_eq!(text(&outcome.stdout.bytes), format!("ordinary {i}\n"));
    }

    let (outcome, took) = endless.await.unwrap();
    assert_eq!(outcome.ending, Ending::TimedOut(Duration::from_secs(1)));
    assert_eq!(outcome.ending.error().unwrap(), "timed out after 1 s");
    // Stopped within a second of its limit, asserted with room for a loaded machine.
    assert!(
        took < Duration::from_secs(3),
        "the endless loop ran for {took:?}"
    );

    let (outcome, _) = memory.await.unwrap();
    assert_eq!(outcome.ending, Ending::MemoryLimit(64 * MIB));
    assert_eq!(
        outcome.ending.error().unwrap(),
        "memory limit of 64 MiB reached: the module asked for more and was refused"
    );
    assert_eq!(
        text(&outcome.stderr.bytes),
        "memory allocation of 1048576 bytes failed\n\
         note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n"
    );

    let (outcome, _) = recursion.await.unwrap();
    assert_eq!(
        outcome.ending,
        Ending::Trapped("wasm trap: call stack exhausted".into())
    );
    assert_eq!(outcome.stdout.bytes, b"");

    let (outcome, _) = flood.await.unwrap();
    assert_eq!(outcome.ending, Ending::Exited(0));
    let stdout = &outcome.stdout;
    assert_eq!(stdout.total_bytes, 50_000_000);
    assert_eq!(stdout.bytes.len(), 4 * MIB);
    assert_eq!(stdout.omitted_bytes, 50_000_000 - 4 * MIB as u64);
    assert_eq!(stdout.omitted_at, 2 * MIB as u64);
    let line = format!("{}\n", "x".repeat(99));
    assert!(stdout.bytes.starts_with(line.as_bytes()));
    assert!(stdout.bytes.ends_with(line.as_bytes()));

    let (outcome, _) = invalid.await.unwrap();
    assert_eq!(outcome.ending, Ending::Exited(0));
    assert_eq!(outcome.stdout.bytes, b"ok \xff\xfe end\n");
    assert_eq!(outcome.stderr.bytes, b"\xc3\x28\n");
    assert_eq!(text(&outcome.stdout.bytes), "ok \u{fffd}\u{fffd} end\n");

    let (outcome, _) = file.await.unwrap();
    assert_eq!(outcome.ending, Ending::Exited(1));
    assert_eq!(
        text(&outcome.stderr.bytes),
        // No directory is pre-opened: to the guest, no file exists at all.
        "read /etc/passwd: No such file or directory (os error 44)\n"
    );

    let (outcome, _) = environment.await.unwrap();
    assert_eq!(outcome.ending, Ending::Exited(0));
    assert_eq!(
        text(&outcome.stdout.bytes),
        "ENSCHEDULE_RUN_ID=7\nENSCHEDULE_ATTEMPT=1\n"
    );

    let (outcome, _) = socket.await.unwrap();
    assert_eq!(outcome.ending, Ending::Exited(1));
    assert_eq!(
        text(&outcome.stderr.bytes),
        "connect 127.0.0.1:80: operation not supported on this platform\n"
    );
}

#[tokio::test]
async fn a_module_whose_initial_memory_exceeds_the_limit_hits_the_memory_limit() {
    let runtime = Runtime::new(None, 2).unwrap();
    let limits = Limits {
        memory_bytes: MIB,
        ..Limits::default()
    };
    let (outcome, _) = start(
        &runtime,
        "log-job",
        invocation(json!({ "message": "hi" }), limits),
    )
    .await
    .unwrap();
    assert_eq!(outcome.ending, Ending::MemoryLimit(MIB));
}

#[tokio::test]
async fn a_cancelled_run_stops_within_a_second_whether_busy_or_waiting() {
    let runtime = Runtime::new(None, 4).unwrap();
    let busy = invocation(json!({ "attack": "loop" }), Limits::default());
    let waiting = invocation(
        json!({ "stdout": "started\n", "sleepMs": 60_000 }),
        Limits::default(),
    );
    let switches = [busy.cancel.clone(), waiting.cancel.clone()];
    let busy = start(&runtime, "hostile", busy);
    let waiting = start(&runtime, "probe", waiting);

    tokio::time::sleep(Duration::from_millis(300)).await;
    let cancelled_at = Instant::now();
    for switch in &switches {
        switch.trigger();
    }
    for run in [busy, waiting] {
        let (outcome, _) = run.await.unwrap();
        assert_eq!(outcome.ending, Ending::Cancelled);
        // Within a second, asserted with room for a loaded machine.
        assert!(
            cancelled_at.elapsed() < Duration::from_secs(3),
            "stopped {:?} after the cancel",
            cancelled_at.elapsed()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_cancels_pending_and_running_runs_and_refuses_ended_ones() {
    let t = engine_at("2026-01-01T00:00:00Z").await;
    let sleeper = t
        .engine
        .create_schedule(NewSchedule {
            timing: Timing::Manual,
            ..NewSchedule::new(
                "probe",
                1,
                json!({ "stdout": "partial\n", "sleepMs": 60_000 }),
            )
        })
        .await
        .unwrap();

    // Pending: cancelled at once, never started.
    let pending = t.engine.run_now(sleeper.id).await.unwrap();
    let cancelled = t.engine.cancel_run(pending.id).await.unwrap();
    assert_eq!(cancelled.status, RunStatus::Cancelled);
    assert_eq!(
        cancelled.error.as_deref(),
        Some("cancelled before it started")
    );
    assert_eq!(cancelled.started_at, None);

    // Running: stopped, its partial output kept, and no retry follows.
    t.clock.advance(chrono::Duration::seconds(1));
    let running = t.engine.run_now(sleeper.id).await.unwrap();
    let started = t.engine.start_due().await.unwrap();
    assert_eq!(started.claimed, [running.id]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let requested = t.engine.cancel_run(running.id).await.unwrap();
    // The switch is local, so the run may have stopped before it is read back.
    assert!(
        [RunStatus::Running, RunStatus::Cancelled].contains(&requested.status),
        "{:?}",
        requested.status
    );
    let before = Instant::now();
    assert_eq!(started.finish().await, [running.id]);
    // Within a second, asserted with room for a loaded machine.
    assert!(before.elapsed() < Duration::from_secs(3));

    let run = t.engine.store().get_run(running.id).await.unwrap();
    assert_eq!(run.status, RunStatus::Cancelled);
    assert_eq!(run.error.as_deref(), Some("cancelled while running"));
    let stdout = t
        .engine
        .store()
        .run_output(run.id, Stream::Stdout)
        .await
        .unwrap();
    assert_eq!(stdout.bytes, b"partial\n");

    // Ended: refused, and nothing changes.
    let error = t.engine.cancel_run(running.id).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "run {} has already ended (cancelled): only a pending or running run can be cancelled",
            running.id
        )
    );
    let runs = t
        .engine
        .store()
        .list_runs(&RunFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(runs.len(), 2, "no retry was created");
}

/// A one-shot HTTP server on 127.0.0.1: answers every request with `hello`
/// and hands back the request it read.
async fn serve_once() -> (u16, tokio::task::JoinHandle<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buffer = [0u8; 4096];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buffer).await.unwrap();
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buffer[..n]);
        }
        socket
            .write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 6\r\n\
                  connection: close\r\n\r\nhello\n",
            )
            .await
            .unwrap();
        String::from_utf8_lossy(&request).into_owned()
    });
    (port, server)
}

fn http_request(url: &str, allowed_hosts: &[&str]) -> Invocation {
    Invocation {
        allowed_hosts: allowed_hosts.iter().map(|h| h.to_string()).collect(),
        ..invocation(json!({ "url": url }), Limits::default())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_reaches_a_granted_host_and_prints_the_response() {
    let runtime = Runtime::new(None, 2).unwrap();
    let (port, server) = serve_once().await;
    let url = format!("http://127.0.0.1:{port}/status?check=1");
    let granted = format!("127.0.0.1:{port}");

    let (outcome, _) = start(
        &runtime,
        "send-http-request",
        http_request(&url, &[&granted]),
    )
    .await
    .unwrap();

    assert_eq!(
        outcome.ending,
        Ending::Exited(0),
        "{}",
        text(&outcome.stderr.bytes)
    );
    assert_eq!(
        text(&outcome.stdout.bytes),
        // `connection` is hop-by-hop: the host does not pass it on.
        "HTTP 200 OK\ncontent-type: text/plain\ncontent-length: 6\n\nhello\n"
    );
    let request = server.await.unwrap();
    assert!(
        request.starts_with("GET /status?check=1 HTTP/1.1\r\n"),
        "{request}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_is_refused_a_host_not_granted_with_a_clear_message() {
    let runtime = Runtime::new(None, 2).unwrap();
    let (port, server) = serve_once().await;
    let url = format!("http://127.0.0.1:{port}/");

    // Granted another port of the same host, and a name: neither fits.
    let (outcome, _) = start(
        &runtime,
        "send-http-request",
        http_request(&url, &["127.0.0.1:1", "example.com"]),
    )
    .await
    .unwrap();

    assert_eq!(outcome.ending, Ending::Exited(1));
    assert_eq!(outcome.stdout.bytes, b"");
    assert_eq!(
        text(&outcome.stderr.bytes),
        format!(
            "enschedule: outgoing HTTP to 127.0.0.1:{port} refused: the host is not granted to \
             this function (an admin can grant it on the function's page)\n\
             request to {url} failed: HTTP-request-denied (this host is not granted to the \
             function)\n"
        )
    );
    // Nothing reached the server.
    server.abort();
}

#[test]
fn a_component_is_read_with_its_manifest_from_the_nested_module() {
    let info = worker::manifest::inspect(&handler("send-http-request")).unwrap();
    assert!(info.component);
    let manifest = info.manifest.unwrap();
    assert_eq!(
        (manifest.id.as_str(), manifest.version),
        ("send-http-request", 1)
    );
    assert_eq!(manifest.capabilities.requested_hosts(), [] as [String; 0]);
    assert!(manifest.capabilities.http.is_some());
    manifest.validate().unwrap();

    assert!(
        !worker::manifest::inspect(&handler("log-job"))
            .unwrap()
            .component
    );
}

/// BEH-09: a handler writes 200,000,000 bytes to stdout (2,000,000 lines of
/// 99 `x` and a newline) and 1,000,000 to stderr, then exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_output_is_capped_and_flagged_and_the_next_run_is_unaffected() {
    let t = engine_at("2026-01-01T00:00:00Z").await;
    t.engine
        .register_module(&handler("hostile"), None)
        .await
        .unwrap();
    let schedule = t
        .engine
        .create_schedule(NewSchedule {
            timing: Timing::Manual,
            ..NewSchedule::new(
                "hostile",
                1,
                json!({ "attack": "flood", "bytes": 200_000_000, "stderrBytes": 1_000_000 }),
            )
        })
        .await
        .unwrap();

    let huge = t.engine.run_now(schedule.id).await.unwrap();
    t.engine.tick().await.unwrap();
    t.clock.advance(chrono::Duration::seconds(1));
    let next = t.engine.run_now(schedule.id).await.unwrap();
    t.engine.tick().await.unwrap();

    let store = t.engine.store();
    let line = format!("{}\n", "x".repeat(99));
    for id in [huge.id, next.id] {
        let run = store.get_run(id).await.unwrap();
        assert_eq!((run.status, run.exit_code), (RunStatus::Succeeded, Some(0)));
        assert_eq!(run.error, None);

        let stdout = store.run_output(id, Stream::Stdout).await.unwrap();
        // At most the cap is kept: its first half from the start, its last
        // half from the end, and the size of the gap between them.
        assert_eq!(stdout.total_bytes, 200_000_000);
        assert_eq!(stdout.bytes.len(), 4 * MIB);
        assert_eq!(stdout.omitted_bytes, 200_000_000 - 4 * MIB as u64);
        assert_eq!(stdout.omitted_at, 2 * MIB as u64);
        let lines = stdout.text_lines();
        assert_eq!(
            lines[0].1,
            "x".repeat(99),
            "the first line is the handler's first"
        );
        assert!(stdout.bytes.ends_with(line.as_bytes()));

        let stderr = store.run_output(id, Stream::Stderr).await.unwrap();
        assert_eq!(stderr.total_bytes, 1_000_000);
        assert_eq!(stderr.bytes.len(), 1_000_000);
        assert_eq!(stderr.omitted_bytes, 0);
    }
}

/// Hostile schedules beside an ordinary one, all due at once: each run is
/// recorded with its exact status and reason, and the ordinary runs succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_records_each_hostile_run_and_runs_the_others_normally() {
    let t = engine_at("2026-01-01T00:00:00Z").await;
    t.engine
        .register_module(&handler("hostile"), None)
        .await
        .unwrap();
    let mut ids = Vec::new();
    // Only the endless loop has a short timeout: on a loaded machine the
    // others must not reach theirs before they fail in their own way.
    for (data, timeout_ms) in [
        (json!({ "attack": "loop" }), 1000),
        (json!({ "attack": "memory" }), 60_000),
        (json!({ "attack": "recursion" }), 60_000),
        (json!({ "attack": "socket" }), 60_000),
    ] {
        let schedule = t
            .engine
            .create_schedule(NewSchedule {
                timing: Timing::Manual,
                timeout_ms: Some(timeout_ms),
                ..NewSchedule::new("hostile", 1, data)
            })
            .await
            .unwrap();
        ids.push(t.engine.run_now(schedule.id).await.unwrap().id);
    }
    let ordinary = t
        .engine
        .create_schedule(NewSchedule {
            timing: Timing::Manual,
            ..NewSchedule::new("log-job", 1, json!({ "message": "still fine" }))
        })
        .await
        .unwrap();
    ids.push(t.engine.run_now(ordinary.id).await.unwrap().id);

    t.engine.tick().await.unwrap();

    let mut found = Vec::new();
    for id in ids {
        let run = t.engine.store().get_run(id).await.unwrap();
        found.push((run.status, run.exit_code, run.error));
    }
    assert_eq!(
        found,
        [
            (
                RunStatus::TimedOut,
                None,
                Some("timed out after 1 s".into())
            ),
            (
                RunStatus::Failed,
                None,
                Some(
                    "memory limit of 256 MiB reached: the module asked for more and was refused"
                        .into()
                )
            ),
            (
                RunStatus::Failed,
                None,
                Some("wasm trap: call stack exhausted".into())
            ),
            (RunStatus::Failed, Some(1), None),
            (RunStatus::Succeeded, Some(0), None),
        ]
    );
}

/// Modules no compiler emits, written as text: the sandbox must not trust
/// what a toolchain would normally guarantee.
fn module_from_text(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("valid WebAssembly text")
}

#[tokio::test]
async fn the_memory_limit_holds_for_all_of_a_runs_memories_together() {
    // A component of two core instances with a memory each, growing each
    // to 125 MiB, under a limit of 128 MiB for the run.
    let module = module_from_text(
        r#"(component
            (core module $grower
              (memory 1)
              (func (export "grow") (result i32) (memory.grow (i32.const 2000))))
            (core instance $a (instantiate $grower))
            (core instance $b (instantiate $grower))
            (core module $main
              (import "a" "grow" (func $grow_a (result i32)))
              (import "b" "grow" (func $grow_b (result i32)))
              (func (export "run") (result i32)
                (drop (call $grow_a))
                (if (result i32) (i32.eq (call $grow_b) (i32.const -1))
                  (then (i32.const 1))
                  (else (i32.const 0)))))
            (core instance $m (instantiate $main
              (with "a" (instance $a))
              (with "b" (instance $b))))
            (func $run (result (result)) (canon lift (core func $m "run")))
            (instance $cli (export "run" (func $run)))
            (export "wasi:cli/run@0.2.0" (instance $cli)))"#,
    );
    let runtime = Runtime::new(None, 2).unwrap();
    let prepared = runtime.prepare("two-memories", &module).unwrap();
    let limits = Limits {
        memory_bytes: 128 * MIB,
        ..Limits::default()
    };
    let outcome = runtime
        .invoke(&prepared, invocation(json!({}), limits))
        .await;
    assert_eq!(outcome.ending, Ending::MemoryLimit(128 * MIB));
}

#[test]
fn a_start_function_that_is_not_a_commands_is_refused_when_prepared() {
    let module = module_from_text(r#"(module (func (export "_start") (param i32)))"#);
    let runtime = Runtime::new(None, 1).unwrap();
    let error = runtime.prepare("odd-start", &module).err().unwrap();
    assert_eq!(
        error.to_string(),
        "the module's imports cannot be satisfied: `_start` must take no arguments and return \
         nothing, as a WASI command's does"
    );
}
