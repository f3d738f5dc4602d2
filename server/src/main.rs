//! `enschedule`: the dashboard, the REST API, the inline worker, and the
//! command-line tools around them.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use server::config::ServeConfig;
use server::{exec, next, startup};

#[derive(Parser)]
#[command(
    name = "enschedule",
    version,
    about = "Schedule any task: WebAssembly handlers on cron, once, or on demand"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the dashboard and the API, with the inline worker running.
    Serve(ServeConfig),
    /// Bring the database schema up to date, then exit.
    Migrate(ServeConfig),
    /// Run one handler module once, locally, and exit with its exit status.
    Exec(exec::ExecArgs),
    /// Print the next fire times of a cron expression or phrase, in UTC.
    Next(next::NextArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Exec(args) => exec::run(args).await,
            Command::Next(args) => next::run(args),
            Command::Serve(config) => report(startup::serve(config).await),
            Command::Migrate(config) => report(startup::migrate(config).await),
        }
    })
}

fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
