//! `enschedule exec`, run as a process the way a handler author runs it.

use std::path::PathBuf;
use std::process::Command;

fn module(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../handlers/dist/{name}.wasm"))
}

fn exec(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_enschedule"))
        .arg("exec")
        .args(args)
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
