//! `enschedule exec`: run one handler module once, locally, the way a
//! schedule would, and exit with its exit status. For handler authors.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use serde_json::Value;
use worker::manifest;
use worker::runtime::{Ending, Invocation, Limits, Runtime};

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The handler module (.wasm).
    pub module: PathBuf,

    /// The data, as JSON. Default: the manifest's example, else `null`.
    #[arg(long)]
    pub data: Option<String>,

    /// Wall-clock limit in seconds.
    #[arg(long, default_value_t = 300.0)]
    pub timeout: f64,
}

/// Exit status when the handler could not be run at all (bad module or data).
const USAGE_ERROR: u8 = 2;
/// Exit status when the handler was stopped at its timeout, as timeout(1) does.
const TIMED_OUT: u8 = 124;

pub async fn run(args: ExecArgs) -> ExitCode {
    match execute(&args).await {
        Ok(code) => code,
        Err(message) => {
            eprintln!("enschedule exec: {message}");
            ExitCode::from(USAGE_ERROR)
        }
    }
}

async fn execute(args: &ExecArgs) -> Result<ExitCode, String> {
    let bytes = std::fs::read(&args.module)
        .map_err(|e| format!("cannot read {}: {e}", args.module.display()))?;
    let info = manifest::inspect(&bytes).map_err(|e| format!("{}: {e}", args.module.display()))?;

    let data: Value = match (&args.data, &info.manifest) {
        (Some(text), _) => {
            serde_json::from_str(text).map_err(|e| format!("--data is not valid JSON: {e}"))?
        }
        (None, Some(manifest)) => manifest.example.clone(),
        (None, None) => Value::Null,
    };
    if let Some(manifest) = &info.manifest {
        manifest::check_data(&manifest.data_schema, &data).map_err(|problem| {
            format!("the data does not match the function's dataSchema: {problem}")
        })?;
    }
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        return Err(format!(
            "--timeout must be a positive number of seconds, not {}",
            args.timeout
        ));
    }

    let runtime = Runtime::new(None, 1).map_err(|e| e.to_string())?;
    let module = runtime.prepare("exec", &bytes).map_err(|e| e.to_string())?;
    let limits = Limits {
        timeout: Duration::from_secs_f64(args.timeout),
        ..Limits::default()
    };
    let invocation = Invocation {
        stdin: serde_json::to_vec(&data).unwrap_or_default(),
        env: Vec::new(),
        limits,
    };
    let outcome = runtime.invoke(&module, invocation).await;

    let _ = std::io::stdout().write_all(&outcome.stdout.bytes);
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().write_all(&outcome.stderr.bytes);
    Ok(match outcome.ending {
        Ending::Exited(code) => {
            if code != 0 {
                eprintln!("enschedule exec: the handler exited with code {code}");
            }
            ExitCode::from(u8::try_from(code).unwrap_or(1))
        }
        Ending::Trapped(message) => {
            eprintln!("enschedule exec: the handler trapped: {message}");
            ExitCode::FAILURE
        }
        Ending::TimedOut(limit) => {
            eprintln!("enschedule exec: the handler was stopped at its timeout of {limit:?}");
            ExitCode::from(TIMED_OUT)
        }
    })
}
