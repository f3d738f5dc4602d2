//! The commands that drive a server through its REST API: `apply` for
//! schedule files, and `get`, `delete`, `run`, `pause`, `resume`.
//!
//! They find the server in `ENSCHEDULE_API_ENDPOINT` (its base URL; `/api/v1`
//! is added unless it is there) and prove who they are with
//! `ENSCHEDULE_API_KEY`, which may carry its scheme (`Api-Key …`,
//! `User-Api-Key …`, `Bearer …`); a bare key is the server's (`Api-Key`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use reqwest::Method;
use serde_json::Value;

use crate::schedule_file::{self, Document, Problem};

#[derive(Debug, Clone, Args)]
pub struct Connection {
    /// The server's base URL, for example `https://enschedule.example.com`.
    #[arg(long, env = "ENSCHEDULE_API_ENDPOINT")]
    pub endpoint: String,

    /// An API key, with its scheme or bare (then the server's `Api-Key`).
    #[arg(long, env = "ENSCHEDULE_API_KEY", hide_env_values = true)]
    pub api_key: String,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A schedule file (YAML, several documents allowed, or JSON) or a folder
    /// of them; repeat for more.
    #[arg(short = 'f', long = "filename", required = true)]
    pub files: Vec<PathBuf>,

    /// Check every schedule and print what would change, with the next fire
    /// times, changing nothing.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub connection: Connection,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Listing {
    Schedules,
    Runs,
    Functions,
    /// One schedule, by id or event id, as JSON.
    Schedule,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    pub what: Listing,
    /// The schedule's id or event id (for `schedule`).
    pub id: Option<String>,
    #[command(flatten)]
    pub connection: Connection,
}

/// A schedule named by its id or its event id.
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    pub schedule: String,
    #[command(flatten)]
    pub connection: Connection,
}

/// What to do to one schedule.
#[derive(Debug, Clone, Copy)]
pub enum Action {
    Delete,
    Run,
    Pause,
    Resume,
}

pub async fn apply(args: ApplyArgs) -> ExitCode {
    let client = match Client::new(&args.connection) {
        Ok(client) => client,
        Err(message) => return fail(&message),
    };

    // Every document is read and checked by the server before any is
    // applied: one bad schedule leaves every other as it was.
    let mut documents = Vec::new();
    let mut problems = Vec::new();
    for path in &args.files {
        match schedule_file::files(path) {
            Ok(files) => {
                for file in files {
                    for document in schedule_file::read(&file) {
                        match document {
                            Ok(document) => documents.push(document),
                            Err(problem) => problems.push(problem),
                        }
                    }
                }
            }
            Err(problem) => problems.push(problem),
        }
    }
    // Two documents with one event id would overwrite each other.
    let mut seen: std::collections::HashMap<String, &Document> = Default::default();
    for document in &documents {
        let Some(event_id) = document.body["options"]["eventId"].as_str() else {
            continue;
        };
        if let Some(first) = seen.insert(event_id.to_string(), document) {
            problems.push(problem_in(
                document,
                format!(
                    "eventId: `{event_id}` is also the event id of {}: document {}",
                    first.file.display(),
                    first.index
                ),
            ));
        }
    }
    let mut plans = Vec::new();
    for document in &documents {
        match client.post_schedule(document, true).await {
            Ok(plan) => plans.push(plan),
            Err(message) => problems.push(problem_in(document, message)),
        }
    }
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("error: {problem}");
        }
        eprintln!("nothing was applied");
        return ExitCode::FAILURE;
    }

    if args.dry_run {
        for (document, plan) in documents.iter().zip(&plans) {
            let status = plan["status"].as_str().unwrap_or_default();
            let times: Vec<&str> = plan["nextFireTimes"]
                .as_array()
                .map(|t| t.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            println!("schedule {} would be {status}", document.name);
            if !times.is_empty() {
                println!("  next: {}", times.join(", "));
            }
        }
        return ExitCode::SUCCESS;
    }
    for document in &documents {
        match client.post_schedule(document, false).await {
            Ok(applied) => {
                let status = applied["status"].as_str().unwrap_or_default();
                println!("schedule {} {status}", document.name);
            }
            Err(message) => return fail(&problem_in(document, message).to_string()),
        }
    }
    ExitCode::SUCCESS
}

pub async fn get(args: GetArgs) -> ExitCode {
    let client = match Client::new(&args.connection) {
        Ok(client) => client,
        Err(message) => return fail(&message),
    };
    let result = match (args.what, args.id.as_deref()) {
        (Listing::Schedule, Some(id)) => client
            .find_schedule(id)
            .await
            .map(|schedule| serde_json::to_string_pretty(&schedule).unwrap_or_default() + "\n"),
        (Listing::Schedule, None) => Err("name the schedule: enschedule get schedule <id>".into()),
        (Listing::Schedules, _) => client
            .call(Method::GET, "/schedules?limit=500", None)
            .await
            .map(|page| {
                table(
                    &page["items"],
                    &["id", "status", "nextRunAt", "eventId", "title"],
                )
            }),
        (Listing::Runs, _) => client
            .call(Method::GET, "/runs?limit=100", None)
            .await
            .map(|runs| {
                table(
                    &runs,
                    &[
                        "id",
                        "scheduleId",
                        "status",
                        "scheduledFor",
                        "attempt",
                        "exitCode",
                    ],
                )
            }),
        (Listing::Functions, _) => client
            .call(Method::GET, "/functions", None)
            .await
            .map(|functions| table(&functions, &["id", "version", "title"])),
    };
    match result {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => fail(&message),
    }
}

pub async fn act(action: Action, args: ScheduleArgs) -> ExitCode {
    let client = match Client::new(&args.connection) {
        Ok(client) => client,
        Err(message) => return fail(&message),
    };
    let result = async {
        let schedule = client.find_schedule(&args.schedule).await?;
        let id = schedule["id"].as_i64().unwrap_or_default();
        let (method, path, done) = match action {
            Action::Delete => (Method::DELETE, format!("/schedules/{id}"), "deleted"),
            Action::Run => (Method::POST, format!("/schedules/{id}/run"), "started"),
            Action::Pause => (Method::POST, format!("/schedules/{id}/pause"), "paused"),
            Action::Resume => (Method::POST, format!("/schedules/{id}/resume"), "resumed"),
        };
        let answer = client.call(method, &path, None).await?;
        Ok::<_, String>(match action {
            Action::Run => format!("schedule {id}: run {} {done}", answer["id"]),
            _ => format!("schedule {id} {done}"),
        })
    }
    .await;
    match result {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(message) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

fn problem_in(document: &Document, message: String) -> Problem {
    Problem {
        file: document.file.clone(),
        index: Some(document.index),
        name: Some(document.name.clone()),
        message,
    }
}

/// Rows of the named fields, tab-separated under a header.
fn table(items: &Value, fields: &[&str]) -> String {
    let mut text = fields.join("\t") + "\n";
    for item in items.as_array().into_iter().flatten() {
        let cells: Vec<String> = fields
            .iter()
            .map(|f| match &item[*f] {
                Value::Null => "-".to_string(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        text += &(cells.join("\t") + "\n");
    }
    text
}

/// The REST API of one server, with one key.
struct Client {
    http: reqwest::Client,
    base: String,
    authorization: String,
}

impl Client {
    fn new(connection: &Connection) -> Result<Client, String> {
        let endpoint = connection.endpoint.trim().trim_end_matches('/');
        let base = app::remote::api_base(endpoint).ok_or_else(|| {
            format!("ENSCHEDULE_API_ENDPOINT: `{endpoint}` is not an http:// or https:// URL")
        })?;
        let key = connection.api_key.trim();
        if key.is_empty() {
            return Err("ENSCHEDULE_API_KEY: is empty".into());
        }
        let authorization = match key.contains(' ') {
            true => key.to_string(),
            false => format!("Api-Key {key}"),
        };
        let http = app::remote::ssr::http_client()?;
        Ok(Client {
            http,
            base,
            authorization,
        })
    }

    /// Calls the API; answers its JSON, or the error it gave in words.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, String> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header(reqwest::header::AUTHORIZATION, &self.authorization);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("cannot reach {}: {e}", self.base))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| format!("the answer of {} broke off: {e}", self.base))?;
        let json: Value = match text.trim() {
            "" => Value::Null,
            text => serde_json::from_str(text).map_err(|_| {
                format!(
                    "{} answered {status} with something that is not JSON",
                    self.base
                )
            })?,
        };
        if status.is_success() {
            return Ok(json);
        }
        Err(json["error"]["message"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("the server answered {status}")))
    }

    async fn post_schedule(&self, document: &Document, dry_run: bool) -> Result<Value, String> {
        let path = match dry_run {
            true => "/schedules?dryRun=true",
            false => "/schedules",
        };
        self.call(Method::POST, path, Some(&document.body)).await
    }

    /// A schedule by its event id, or else by its id.
    async fn find_schedule(&self, id: &str) -> Result<Value, String> {
        let query = serde_urlencoded::to_string([("eventId", id)]).unwrap_or_default();
        let page = self
            .call(Method::GET, &format!("/schedules?{query}"), None)
            .await?;
        if let Some(schedule) = page["items"].as_array().and_then(|items| items.first()) {
            return Ok(schedule.clone());
        }
        match id.parse::<i64>() {
            Ok(id) => {
                self.call(Method::GET, &format!("/schedules/{id}"), None)
                    .await
            }
            Err(_) => Err(format!(
                "there is no schedule with the id or event id `{id}`"
            )),
        }
    }
}
