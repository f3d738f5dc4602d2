//! `probe`: writes the text it is given to stdout and stderr exactly, sleeps
//! if told to, then exits with the given code, or traps when `trap` is set.

use std::io::Write;

use serde::Deserialize;

enschedule_sdk::embed_manifest!(include_bytes!("../manifest.json"));

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Data {
    #[serde(default)]
    stdout: String,
    #[serde(default)]
    stderr: String,
    #[serde(default)]
    exit_code: i32,
    #[serde(default)]
    trap: bool,
    /// Milliseconds to sleep after writing: a run that stays running.
    #[serde(default)]
    sleep_ms: u64,
    /// Exit 1 on attempts before this one (`ENSCHEDULE_ATTEMPT`): a run
    /// that succeeds on a retry.
    #[serde(default)]
    fail_until_attempt: u32,
}

fn main() {
    let data: Data = match enschedule_sdk::read_data() {
        Ok(data) => data,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };

    // Written unbuffered and flushed so the bytes arrive exactly as given,
    // in this order, before the handler ends.
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(data.stdout.as_bytes());
    let _ = stdout.flush();
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(data.stderr.as_bytes());
    let _ = stderr.flush();

    if data.sleep_ms > 0 {
        std::thread::sleep(std::time::Duration::from_millis(data.sleep_ms));
    }
    if data.trap {
        core::arch::wasm32::unreachable();
    }
    let attempt: u32 = std::env::var("ENSCHEDULE_ATTEMPT")
        .ok()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1);
    if attempt < data.fail_until_attempt {
        eprintln!("failing on purpose on attempt {attempt}");
        std::process::exit(1);
    }
    std::process::exit(data.exit_code);
}
