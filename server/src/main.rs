//! `enschedule`: the dashboard, the REST API, the inline worker, and the
//! command-line tools around them.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use server::config::ServeConfig;
use server::remote::{self, Action};
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

#[derive(clap::Args)]
struct WorkerArgs {
    /// Also serve the REST API (on HOST and PORT).
    #[arg(long)]
    api: bool,
    #[command(flatten)]
    config: ServeConfig,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the dashboard and the API, with the inline worker running.
    Serve(ServeConfig),
    /// Run an instance of a worker: claim and execute runs from the
    /// database, beside `serve` and other instances on any host.
    Worker(WorkerArgs),
    /// Bring the database schema up to date, then exit.
    Migrate(ServeConfig),
    /// Run one handler module once, locally, and exit with its exit status.
    Exec(exec::ExecArgs),
    /// Print the next fire times of a cron expression or phrase, in UTC.
    Next(next::NextArgs),
    /// Create or update the schedules of YAML or JSON schedule files on a
    /// server, all or none.
    Apply(remote::ApplyArgs),
    /// List schedules, runs or functions on a server, or show one schedule.
    Get(remote::GetArgs),
    /// Delete a schedule on a server.
    Delete(remote::ScheduleArgs),
    /// Start a run of a schedule on a server now.
    Run(remote::ScheduleArgs),
    /// Pause a schedule on a server.
    Pause(remote::ScheduleArgs),
    /// Resume a paused schedule on a server.
    Resume(remote::ScheduleArgs),
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
            Command::Worker(args) => report(startup::worker(args.config, args.api).await),
            Command::Migrate(config) => report(startup::migrate(config).await),
            Command::Apply(args) => remote::apply(args).await,
            Command::Get(args) => remote::get(args).await,
            Command::Delete(args) => remote::act(Action::Delete, args).await,
            Command::Run(args) => remote::act(Action::Run, args).await,
            Command::Pause(args) => remote::act(Action::Pause, args).await,
            Command::Resume(args) => remote::act(Action::Resume, args).await,
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
