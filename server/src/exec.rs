//! `enschedule exec`: run one handler module once, locally, the way a
//! schedule would, and exit with its exit status. For handler authors.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use serde_json::Value;
use worker::manifest;
use worker::runtime::{self, Cancel, Ending, Invocation, Limits, Runtime};

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

    /// Memory limit: bytes, or with a unit (`64MiB`, `1GiB`; K, M and G are
    /// binary too).
    #[arg(long, default_value = "256MiB", value_parser = parse_size)]
    pub memory: usize,

    /// The most output kept per stream, as for `--memory`: past it the first
    /// and last halves are kept, with a marker of what was left out.
    #[arg(long, default_value = "4MiB", value_parser = parse_size)]
    pub output_cap: usize,

    /// A host the handler may send HTTP requests to (`host`, for ports 80
    /// and 443, or `host:port`); repeat for more. Components only.
    #[arg(long = "allow-host", value_name = "HOST", value_parser = parse_host)]
    pub allow_hosts: Vec<String>,
}

fn parse_host(text: &str) -> Result<String, String> {
    runtime::http::parse_grant(text)
}

/// Parses a size: a whole number of bytes, or one with a binary unit.
fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: usize = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size: expected a number such as 64MiB"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        other => return Err(format!("unknown unit `{other}`: use B, KiB, MiB or GiB")),
    };
    number
        .checked_mul(1 << shift)
        .filter(|bytes| *bytes > 0)
        .ok_or_else(|| format!("`{text}` must be more than zero and fit in memory"))
}

/// Exit status when the handler could not be run at all (bad module or data).
const USAGE_ERROR: u8 = 2;
/// The longest `--timeout`: a year.
const MAX_TIMEOUT: Duration = Duration::from_secs(365 * 24 * 3600);
/// Exit status when the handler was stopped at its timeout, as timeout(1) does.
const TIMED_OUT: u8 = 124;
/// Exit status when the handler was stopped at its memory limit.
const MEMORY_LIMIT: u8 = 125;
/// Exit status when the run was interrupted (Ctrl-C), as shells report SIGINT.
const INTERRUPTED: u8 = 130;

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
    let timeout = Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|t| !t.is_zero() && *t <= MAX_TIMEOUT)
        .ok_or_else(|| {
            format!(
                "--timeout must be a number of seconds above 0 and at most {}, not {}",
                MAX_TIMEOUT.as_secs(),
                args.timeout
            )
        })?;

    if args.memory > runtime::MAX_MEMORY_BYTES {
        return Err(format!(
            "--memory can be at most {}",
            runtime::bytes_text(runtime::MAX_MEMORY_BYTES)
        ));
    }

    let runtime = Runtime::new(None, 1).map_err(|e| e.to_string())?;
    let module = runtime.prepare("exec", &bytes).map_err(|e| e.to_string())?;
    let invocation = Invocation {
        stdin: serde_json::to_vec(&data).unwrap_or_default(),
        env: Vec::new(),
        limits: Limits {
            timeout,
            memory_bytes: args.memory,
            output_cap: args.output_cap,
        },
        cancel: Cancel::new(),
        allowed_hosts: args.allow_hosts.clone(),
        ..Invocation::default()
    };
    let cancel = invocation.cancel.clone();
    let interrupt = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.trigger();
        }
    });
    let outcome = runtime.invoke(&module, invocation).await;
    interrupt.abort();

    let _ = std::io::stdout().write_all(&outcome.stdout.bytes);
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().write_all(&outcome.stderr.bytes);
    for (name, output) in [("stdout", &outcome.stdout), ("stderr", &outcome.stderr)] {
        if output.omitted_bytes > 0 {
            eprintln!(
                "enschedule exec: {name} was {} bytes; {} in the middle were left out \
                 (--output-cap)",
                output.total_bytes, output.omitted_bytes
            );
        }
    }
    let status = match &outcome.ending {
        Ending::Exited(0) => return Ok(ExitCode::SUCCESS),
        Ending::Exited(code) => u8::try_from(*code).ok().filter(|c| *c != 0).unwrap_or(1),
        Ending::Trapped(_) => 1,
        Ending::TimedOut(_) => TIMED_OUT,
        Ending::MemoryLimit(_) => MEMORY_LIMIT,
        Ending::Cancelled => INTERRUPTED,
    };
    let how = match &outcome.ending {
        Ending::Exited(code) => format!("exited with code {code}"),
        Ending::Trapped(message) => format!("trapped: {message}"),
        other => format!("was stopped: {}", other.error().unwrap_or_default()),
    };
    eprintln!("enschedule exec: the handler {how}");
    Ok(ExitCode::from(status))
}
