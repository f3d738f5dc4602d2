//! Worker instances: the processes that claim and execute runs.
//!
//! A *worker* is a logical group (`inline`, `reports`, …) whose instances
//! run the same functions. Each instance registers when it starts, with its
//! hostname, its concurrency and the functions it loaded, and then beats its
//! heart every few seconds; its health follows from the age of the last
//! beat. The worker's *version* goes up when the hash of its definitions
//! (title, description, poll interval, the functions it runs with their
//! access rules) changes, so instances of different versions can be told
//! apart while they run side by side.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// How often an instance beats its heart.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);
/// Beats younger than this: the instance is up.
pub const UP_WITHIN: Duration = Duration::from_secs(15);
/// Beats younger than this (and older than [`UP_WITHIN`]): pending, perhaps
/// only slow; older: down.
pub const PENDING_WITHIN: Duration = Duration::from_secs(60);

/// What an instance says about itself when it registers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub worker_id: String,
    pub instance_id: String,
    pub hostname: String,
    pub title: String,
    pub description: String,
    pub concurrency: usize,
    pub poll_interval: Duration,
    /// The functions it loaded, as `id@version`.
    pub functions: Vec<String>,
    /// The access rules stated for those functions and the worker, as they
    /// were at start (part of the definitions).
    pub access: Vec<String>,
}

impl Registration {
    /// The hash of the worker's definitions: what, when it changes, makes a
    /// new worker version. The instance's own id, host and concurrency are
    /// not definitions.
    pub fn definitions_hash(&self) -> String {
        let mut functions = self.functions.clone();
        functions.sort();
        let mut access = self.access.clone();
        access.sort();
        let definitions = serde_json::json!({
            "title": self.title,
            "description": self.description,
            "pollIntervalMs": self.poll_interval.as_millis() as u64,
            "functions": functions,
            "access": access,
        });
        let digest = Sha256::digest(definitions.to_string().as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The instance id used when none is configured: stable across restarts of
/// the same worker on the same host, so a restarted instance can close the
/// runs its previous life held.
pub fn default_instance_id(worker_id: &str, hostname: &str) -> String {
    format!("{worker_id}@{hostname}")
}

/// This machine's name, as the system reports it.
pub fn hostname() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

/// An instance's health, from the age of its last heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Health {
    Up,
    Pending,
    Down,
    /// It stopped cleanly and said so.
    Stopped,
}

impl Health {
    pub fn of(
        heartbeat_at: DateTime<Utc>,
        stopped_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Health {
        if stopped_at.is_some() {
            return Health::Stopped;
        }
        let age = (now - heartbeat_at).to_std().unwrap_or(Duration::ZERO);
        if age <= UP_WITHIN {
            Health::Up
        } else if age <= PENDING_WITHIN {
            Health::Pending
        } else {
            Health::Down
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Health::Up => "UP",
            Health::Pending => "PENDING",
            Health::Down => "DOWN",
            Health::Stopped => "STOPPED",
        }
    }
}

/// A logical worker as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    pub id: String,
    pub title: String,
    pub description: String,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// An instance as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub id: String,
    pub worker_id: String,
    pub hostname: String,
    pub version: i64,
    pub concurrency: i64,
    pub functions: Vec<String>,
    pub started_at: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
}

impl Instance {
    pub fn health(&self, now: DateTime<Utc>) -> Health {
        Health::of(self.heartbeat_at, self.stopped_at, now)
    }
}

/// Runs an instance: registers it (moving its worker to a new version if its
/// definitions changed), marks the runs its id still held as lost, beats its
/// heart, runs the engine until `stop`, and records that it stopped. The
/// runs under way get `grace` to finish; the rest are released.
pub async fn serve(
    engine: crate::Engine,
    registration: Registration,
    stop: impl Future<Output = ()>,
    grace: Duration,
) -> Result<(), crate::queue::EngineError> {
    let store = engine.store().clone();
    let version = store.register_instance(&registration, engine.now()).await?;
    tracing::info!(worker.id = %registration.worker_id, instance.id = %registration.instance_id,
        worker.version = version, host = %registration.hostname,
        functions = ?registration.functions, "instance registered");
    let recovered = engine.recover_held_runs().await?;
    if !recovered.is_empty() {
        tracing::warn!(runs = ?recovered, "runs held before a restart were marked lost");
    }

    let beating = {
        let engine = engine.clone();
        let registration = registration.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(HEARTBEAT_INTERVAL);
            interval.tick().await;
            loop {
                interval.tick().await;
                let store = engine.store();
                match store
                    .heartbeat(&registration.instance_id, engine.now())
                    .await
                {
                    Ok(true) => {}
                    // Its record is gone (an admin removed it): register again.
                    Ok(false) => {
                        if let Err(error) =
                            store.register_instance(&registration, engine.now()).await
                        {
                            tracing::error!(error = %error, "could not register the instance again");
                        }
                    }
                    Err(error) => tracing::error!(error = %error, "heartbeat failed"),
                }
            }
        })
    };

    engine.clone().run_until_stopped(stop, grace).await;
    beating.abort();
    store
        .stop_instance(&registration.instance_id, engine.now())
        .await?;
    tracing::info!(instance.id = %registration.instance_id, "instance stopped");
    Ok(())
}

/// The access rules that belong to a worker's definitions: the worker's own
/// and those of the functions it runs, each as `target=json`.
pub fn stated_access(
    rules: &crate::access::RuleBook,
    worker_id: &str,
    functions: &[String],
) -> Vec<String> {
    let mut stated = Vec::new();
    if let Some(worker) = rules.workers.get(worker_id) {
        stated.push(format!(
            "worker {worker_id}={}",
            serde_json::to_string(worker).unwrap_or_default()
        ));
    }
    for key in functions {
        if let Some(function) = rules.functions.get(key) {
            stated.push(format!(
                "function {key}={}",
                serde_json::to_string(function).unwrap_or_default()
            ));
        }
    }
    stated
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn health_follows_the_age_of_the_last_heartbeat() {
        let beat = at("2026-01-01T00:00:00Z");
        let health = |now: &str| Health::of(beat, None, at(now));
        assert_eq!(health("2026-01-01T00:00:00Z"), Health::Up);
        assert_eq!(health("2026-01-01T00:00:15Z"), Health::Up);
        assert_eq!(health("2026-01-01T00:00:16Z"), Health::Pending);
        assert_eq!(health("2026-01-01T00:01:00Z"), Health::Pending);
        assert_eq!(health("2026-01-01T00:01:01Z"), Health::Down);
        assert_eq!(
            Health::of(beat, Some(beat), at("2026-01-01T00:00:01Z")),
            Health::Stopped
        );
    }

    #[test]
    fn the_definitions_hash_ignores_the_instance_and_the_order_of_functions() {
        let one = Registration {
            worker_id: "reports".into(),
            instance_id: "reports@a".into(),
            hostname: "a".into(),
            title: "Reports".into(),
            description: String::new(),
            concurrency: 4,
            poll_interval: Duration::from_secs(1),
            functions: vec!["log-job@1".into(), "probe@1".into()],
            access: vec![],
        };
        let other_instance = Registration {
            instance_id: "reports@b".into(),
            hostname: "b".into(),
            concurrency: 16,
            functions: vec!["probe@1".into(), "log-job@1".into()],
            ..one.clone()
        };
        let new_function = Registration {
            functions: vec!["log-job@1".into(), "probe@2".into()],
            ..one.clone()
        };
        assert_eq!(one.definitions_hash(), other_instance.definitions_hash());
        assert_ne!(one.definitions_hash(), new_function.definitions_hash());
    }
}
