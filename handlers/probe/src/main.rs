//! `probe`: writes the text it is given to stdout and stderr exactly, then
//! exits with the given code, or traps when `trap` is set.

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

    if data.trap {
        core::arch::wasm32::unreachable();
    }
    std::process::exit(data.exit_code);
}
