//! `enschedule next`: the next fire times of a cron expression or phrase,
//! computed exactly as schedules compute them. One instant per line, in UTC.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::Args;
use worker::timing::{self, rfc3339};

#[derive(Debug, Args)]
pub struct NextArgs {
    /// A cron expression (5 or 6 fields, or a nickname such as `@daily`) or a
    /// phrase such as `every day at 2 am`. Quote it.
    pub expression: String,

    /// The schedule's timezone (IANA name).
    #[arg(long, env = "ENSCHEDULE_DEFAULT_TIMEZONE", default_value = "UTC")]
    pub tz: String,

    /// List fire times strictly after this instant (RFC 3339). Default: now.
    #[arg(long)]
    pub after: Option<String>,

    /// How many fire times to list.
    #[arg(long, default_value_t = 5)]
    pub count: usize,

    /// Print one JSON object: the cron form, the phrase, a description and
    /// the fire times.
    #[arg(long)]
    pub json: bool,
}

/// Exit status for an expression, timezone or instant that is refused.
const REFUSED: u8 = 2;

pub fn run(args: NextArgs) -> ExitCode {
    match render(&args, Utc::now()) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("enschedule next: {message}");
            ExitCode::from(REFUSED)
        }
    }
}

/// What `next` prints for `args`, with `now` as the default start.
pub fn render(args: &NextArgs, now: DateTime<Utc>) -> Result<String, String> {
    let tz = timing::parse_timezone(args.tz.trim()).map_err(|e| format!("--tz: {e}"))?;
    let after = match args.after.as_deref() {
        Some(text) => DateTime::parse_from_rfc3339(text.trim())
            .map_err(|e| format!("--after: `{text}` is not an RFC 3339 instant ({e})"))?
            .with_timezone(&Utc),
        None => now,
    };
    let preview =
        timing::preview(&args.expression, tz, after, args.count).map_err(|e| e.to_string())?;
    let instants: Vec<String> = preview.fire_times.iter().map(|t| rfc3339(*t)).collect();

    if args.json {
        let document = serde_json::json!({
            "expression": preview.written.expression,
            "phrase": preview.written.phrase,
            "description": preview.description,
            "timezone": tz.name(),
            "after": rfc3339(after),
            "next": instants,
        });
        return Ok(format!("{document:#}\n"));
    }
    Ok(instants.iter().map(|t| format!("{t}\n")).collect())
}
