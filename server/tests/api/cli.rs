//! The command-line tools, run as processes the way people run them:
//! `enschedule exec` for handler authors, `enschedule next` for checking
//! what a schedule's timing means.

use std::path::PathBuf;
use std::process::Command;

fn module(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../handlers/dist/{name}.wasm"))
}

fn exec(args: &[&str]) -> (Option<i32>, String, String) {
    enschedule("exec", args)
}

fn next(args: &[&str]) -> (Option<i32>, String, String) {
    enschedule("next", args)
}

/// Runs a subcommand; answers its exit code, stdout and stderr.
fn enschedule(command: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_enschedule"))
        .arg(command)
        .args(args)
        // The host's zone must never leak into fire times.
        .env("TZ", "Pacific/Auckland")
        .env_remove("ENSCHEDULE_DEFAULT_TIMEZONE")
        .output()
        .expect("enschedule runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn exec_prints_the_handler_output_and_exits_zero() {
    let log_job = module("log-job");
    let result = exec(&[
        log_job.to_str().unwrap(),
        "--data",
        r#"{"message":"hi there"}"#,
    ]);
    assert_eq!(result, (Some(0), "hi there\n".to_string(), String::new()));
}

#[test]
fn exec_uses_the_manifest_example_when_no_data_is_given() {
    let log_job = module("log-job");
    let result = exec(&[log_job.to_str().unwrap()]);
    assert_eq!(
        result,
        (Some(0), "some message\n".to_string(), String::new())
    );
}

#[test]
fn exec_ends_with_the_handler_exit_code() {
    let probe = module("probe");
    let result = exec(&[
        probe.to_str().unwrap(),
        "--data",
        r#"{"stderr":"bad\n","exitCode":3}"#,
    ]);
    assert_eq!(
        result,
        (
            Some(3),
            String::new(),
            "bad\nenschedule exec: the handler exited with code 3\n".to_string()
        )
    );
}

#[test]
fn exec_reports_a_trap_and_fails() {
    let probe = module("probe");
    let result = exec(&[probe.to_str().unwrap(), "--data", r#"{"trap":true}"#]);
    assert_eq!(
        result,
        (
            Some(1),
            String::new(),
            "enschedule exec: the handler trapped: wasm trap: wasm `unreachable` instruction executed\n"
                .to_string()
        )
    );
}

#[test]
fn exec_stops_an_endless_loop_at_its_timeout() {
    let hostile = module("hostile");
    let result = exec(&[
        hostile.to_str().unwrap(),
        "--data",
        r#"{"attack":"loop"}"#,
        "--timeout",
        "0.5",
    ]);
    assert_eq!(
        result,
        (
            Some(124),
            String::new(),
            "enschedule exec: the handler was stopped: timed out after 500 ms\n".to_string()
        )
    );
}

#[test]
fn exec_stops_a_memory_bomb_at_its_memory_limit() {
    let hostile = module("hostile");
    let result = exec(&[
        hostile.to_str().unwrap(),
        "--data",
        r#"{"attack":"memory"}"#,
        "--memory",
        "32MiB",
    ]);
    assert_eq!(
        result,
        (
            Some(125),
            String::new(),
            "memory allocation of 1048576 bytes failed\n\
             note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\
             enschedule exec: the handler was stopped: memory limit of 32 MiB reached: \
             the module asked for more and was refused\n"
                .to_string()
        )
    );
}

#[test]
fn exec_caps_output_and_says_how_much_was_left_out() {
    let probe = module("probe");
    let result = exec(&[
        probe.to_str().unwrap(),
        "--data",
        r#"{"stdout":"0123456789abcdefghij"}"#,
        "--output-cap",
        "8",
    ]);
    assert_eq!(
        result,
        (
            Some(0),
            "0123ghij".to_string(),
            "enschedule exec: stdout was 20 bytes; 12 in the middle were left out (--output-cap)\n"
                .to_string()
        )
    );
}

#[test]
fn exec_refuses_a_size_it_cannot_read() {
    let probe = module("probe");
    let (code, stdout, stderr) = exec(&[probe.to_str().unwrap(), "--memory", "12 parsecs"]);
    assert_eq!((code, stdout.as_str()), (Some(2), ""));
    assert_eq!(
        stderr.lines().next().unwrap(),
        "error: invalid value '12 parsecs' for '--memory <MEMORY>': unknown unit `parsecs`: \
         use B, KiB, MiB or GiB"
    );
}

/// A one-shot HTTP server on 127.0.0.1 answering `ok`; its port.
fn serve_once() -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let Ok((mut socket, _)) = listener.accept() else {
            return;
        };
        // The whole request: its head, then as many bytes as it announced.
        let mut request = Vec::new();
        let mut buffer = [0u8; 1024];
        let complete = |request: &[u8]| {
            let text = String::from_utf8_lossy(request).to_lowercase();
            let Some(head_end) = text.find("\r\n\r\n") else {
                return false;
            };
            let length = text[..head_end]
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|n| n.trim().parse::<usize>().ok())
                .unwrap_or(0);
            request.len() >= head_end + 4 + length
        };
        while !complete(&request) {
            match socket.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => request.extend_from_slice(&buffer[..n]),
            }
        }
        let _ = socket.write_all(b"HTTP/1.1 201 Created\r\ncontent-length: 3\r\n\r\nok\n");
    });
    port
}

#[test]
fn exec_grants_outgoing_http_only_to_the_hosts_allowed() {
    let send = module("send-http-request");
    let port = serve_once();
    let data = format!(r#"{{"url":"http://127.0.0.1:{port}/hook","method":"POST","body":"hi"}}"#);

    let granted = format!("127.0.0.1:{port}");
    let result = exec(&[
        send.to_str().unwrap(),
        "--data",
        &data,
        "--allow-host",
        &granted,
    ]);
    assert_eq!(
        result,
        (
            Some(0),
            "HTTP 201 Created\ncontent-length: 3\n\nok\n".to_string(),
            String::new()
        )
    );

    let result = exec(&[send.to_str().unwrap(), "--data", &data]);
    assert_eq!(
        result,
        (
            Some(1),
            String::new(),
            format!(
                "enschedule: outgoing HTTP to 127.0.0.1:{port} refused: the host is not granted \
                 to this function (an admin can grant it on the function's page)\n\
                 request to http://127.0.0.1:{port}/hook failed: HTTP-request-denied (this host \
                 is not granted to the function)\n\
                 enschedule exec: the handler exited with code 1\n"
            )
        )
    );
}

#[test]
fn exec_refuses_a_timeout_it_cannot_keep() {
    let probe = module("probe");
    let result = exec(&[probe.to_str().unwrap(), "--timeout", "1e20"]);
    assert_eq!(
        result,
        (
            Some(2),
            String::new(),
            "enschedule exec: --timeout must be a number of seconds above 0 and at most \
             31536000, not 100000000000000000000\n"
                .to_string()
        )
    );
}

#[test]
fn exec_refuses_data_that_breaks_the_schema() {
    let log_job = module("log-job");
    let result = exec(&[log_job.to_str().unwrap(), "--data", r#"{"message":1}"#]);
    assert_eq!(
        result,
        (
            Some(2),
            String::new(),
            "enschedule exec: the data does not match the function's dataSchema: \
             at /message: 1 is not of type \"string\"\n"
                .to_string()
        )
    );
}

#[test]
fn next_prints_fire_times_in_utc_one_per_line() {
    let result = next(&[
        "0 2 * * *",
        "--tz",
        "America/New_York",
        "--after",
        "2026-03-07T00:00:00Z",
        "--count",
        "3",
    ]);
    assert_eq!(
        result,
        (
            Some(0),
            "2026-03-07T07:00:00Z\n2026-03-08T07:00:00Z\n2026-03-09T06:00:00Z\n".to_string(),
            String::new()
        )
    );
}

#[test]
fn next_reads_a_phrase_and_defaults_to_five_in_utc() {
    let (code, stdout, stderr) = next(&[
        "every monday at noon",
        "--after",
        "2026-01-01T00:00:00+01:00",
    ]);
    assert_eq!((code, stderr.as_str()), (Some(0), ""));
    assert_eq!(
        stdout,
        "2026-01-05T12:00:00Z\n2026-01-12T12:00:00Z\n2026-01-19T12:00:00Z\n\
         2026-01-26T12:00:00Z\n2026-02-02T12:00:00Z\n"
    );
}

#[test]
fn next_as_json_gives_the_cron_form_and_a_description() {
    let (code, stdout, _) = next(&[
        "every 15 minutes",
        "--after",
        "2026-01-01T00:07:00Z",
        "--count",
        "2",
        "--json",
    ]);
    assert_eq!(code, Some(0));
    let document: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        document,
        serde_json::json!({
            "expression": "*/15 * * * *",
            "phrase": "every 15 minutes",
            "description": "every 15 minutes",
            "timezone": "UTC",
            "after": "2026-01-01T00:07:00Z",
            "next": ["2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z"]
        })
    );
}

#[test]
fn next_refuses_a_bad_expression_with_status_2() {
    assert_eq!(
        next(&["0 0 31 2 *"]),
        (
            Some(2),
            String::new(),
            "enschedule next: `0 0 31 2 *` never fires: it has no fire time in the next 100 years\n"
                .to_string()
        )
    );
    assert_eq!(
        next(&["61 * * * *"]),
        (
            Some(2),
            String::new(),
            "enschedule next: minute: 61 is outside 0-59\n".to_string()
        )
    );
    assert_eq!(
        next(&["@daily", "--tz", "Europe/Nowhere"]).2,
        "enschedule next: --tz: `Europe/Nowhere` is not an IANA timezone name \
         (for example `Europe/Berlin` or `UTC`)\n"
    );
}
