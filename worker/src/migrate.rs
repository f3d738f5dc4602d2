//! Migrations: moving schedules to a newer version of their function.
//!
//! A schedule names a function version, and `(id, version)` never changes,
//! so a new version lives beside the old one and schedules stay where they
//! are until they are *migrated*. A *migration* is the newer version's
//! module run in another mode: with the command line
//! `<function id> --migrate-from <N>` it reads the data of a schedule on
//! version N as JSON on stdin and writes the new data as JSON on stdout,
//! exiting 0. A version states the older versions it migrates in its
//! manifest (`migratesFrom`).
//!
//! Applying a migration ([`Engine::migrate_schedules`]) takes each schedule
//! on the old version in turn: the new data must come out of the module and
//! satisfy the newer version's `dataSchema`, and then the schedule moves,
//! with its new data and an event in its history, in one transaction. A
//! schedule whose data does not make it stays on its version with the reason
//! recorded, and the [`MigrationReport`] lists both kinds.
//!
//! With no migration declared from that version, the data moves unchanged
//! when it already satisfies the newer schema, and otherwise stays, with the
//! schema's complaint as the reason: nothing guesses at a conversion.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::manifest;
use crate::model::{EventKind, Function, Schedule};
use crate::queue::{Engine, EngineError};
use crate::runtime::{Ending, Invocation, Limits, Prepared};
use crate::store::NewEvent;

/// How long a migration may take for one schedule's data.
pub const MIGRATION_TIMEOUT: Duration = Duration::from_secs(30);

/// The most of a migration's stderr a reason quotes.
const MAX_QUOTED_STDERR: usize = 1000;

/// What applying a migration did, schedule by schedule, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MigrationReport {
    pub function_id: String,
    pub from: i64,
    pub to: i64,
    /// Whether version `to` declares a migration from `from`. Without one,
    /// data that satisfies the new schema moved unchanged.
    pub declared: bool,
    pub moved: Vec<Moved>,
    pub not_moved: Vec<NotMoved>,
}

/// A schedule now on the newer version, with the data it has there.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Moved {
    pub schedule_id: i64,
    pub title: String,
    pub data: Value,
}

/// A schedule left on the older version, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotMoved {
    pub schedule_id: i64,
    pub title: String,
    pub reason: String,
}

impl Engine {
    /// Moves every schedule on version `from` of a function to version `to`,
    /// each whose data that version's migration converts (or, with no
    /// migration declared from `from`, whose data already fits) and whose new
    /// data satisfies version `to`'s schema. The others stay on `from`; the
    /// report says why. Runs already created keep the version and data they
    /// were created with.
    #[tracing::instrument(skip(self, function_id), fields(function.id = function_id))]
    pub async fn migrate_schedules(
        &self,
        function_id: &str,
        from: i64,
        to: i64,
    ) -> Result<MigrationReport, EngineError> {
        if from >= to {
            return Err(EngineError::Invalid {
                field: "from",
                problem: format!(
                    "version {from} is not older than version {to}: schedules migrate to a \
                     newer version"
                ),
            });
        }
        let target = self.store().get_function(function_id, to).await?;
        let declared = target.migrates_from.contains(&from);
        let mut schedules = self
            .store()
            .schedules_of_function(function_id, from)
            .await?;
        schedules.sort_by_key(|s| s.id);

        // The module is compiled once for all the schedules, and before any
        // of them moves: one that cannot load refuses the whole migration.
        let module = match declared && !schedules.is_empty() {
            true => Some(self.prepare_function(&target).await?),
            false => None,
        };

        let mut report = MigrationReport {
            function_id: function_id.to_string(),
            from,
            to,
            declared,
            moved: Vec::new(),
            not_moved: Vec::new(),
        };
        for schedule in schedules {
            let converted = match &module {
                Some(module) => self.run_migration(module, &target, &schedule).await,
                None => Ok(schedule.data.clone()),
            };
            let checked =
                converted.and_then(
                    |data| match manifest::check_data(&target.data_schema, &data) {
                        Ok(()) => Ok(data),
                        Err(problem) if declared => Err(format!(
                            "the migrated data does not match version {to}'s dataSchema: {problem}"
                        )),
                        Err(problem) => Err(format!(
                            "version {to} declares no migration from version {from}, and the data \
                         does not match its dataSchema: {problem}"
                        )),
                    },
                );
            self.settle(&schedule, to, declared, checked, &mut report)
                .await?;
        }
        tracing::info!(
            from,
            to,
            declared,
            moved = report.moved.len(),
            not_moved = report.not_moved.len(),
            "migration applied"
        );
        Ok(report)
    }

    /// Moves one schedule with its new data, or records why it stays.
    async fn settle(
        &self,
        schedule: &Schedule,
        to: i64,
        declared: bool,
        checked: Result<Value, String>,
        report: &mut MigrationReport,
    ) -> Result<(), EngineError> {
        let from = schedule.function_version;
        let now = self.now();
        let event = |kind, reason| NewEvent {
            schedule_id: schedule.id,
            kind,
            run_id: None,
            first_fire_time: None,
            last_fire_time: None,
            fire_count: 0,
            reason,
        };
        let reason = match checked {
            Ok(data) => {
                let how = match declared {
                    true => format!("version {to}'s migration rewrote the data"),
                    false => format!(
                        "the data is unchanged: version {to} declares no migration from \
                         version {from}, and the data matches its dataSchema"
                    ),
                };
                let moved = event(
                    EventKind::Migrated,
                    format!("moved from version {from} to version {to}; {how}"),
                );
                if self
                    .store()
                    .move_schedule(schedule, to, &data, &moved, now)
                    .await?
                {
                    tracing::info!(schedule.id = schedule.id, from, to, "schedule migrated");
                    report.moved.push(Moved {
                        schedule_id: schedule.id,
                        title: schedule.title.clone(),
                        data,
                    });
                    return Ok(());
                }
                "the schedule changed while it was migrated; apply the migration again".to_string()
            }
            Err(reason) => reason,
        };

        tracing::info!(schedule.id = schedule.id, from, to, reason = %reason,
            "schedule not migrated");
        let stays = event(
            EventKind::NotMigrated,
            format!("stays on version {from}, not moved to version {to}: {reason}"),
        );
        self.store().insert_event(&stays, now).await?;
        report.not_moved.push(NotMoved {
            schedule_id: schedule.id,
            title: schedule.title.clone(),
            reason,
        });
        Ok(())
    }

    /// Runs `target`'s migration on one schedule's data: the new data, or
    /// why there is none.
    async fn run_migration(
        &self,
        module: &Prepared,
        target: &Function,
        schedule: &Schedule,
    ) -> Result<Value, String> {
        let invocation = Invocation {
            stdin: serde_json::to_vec(&schedule.data).unwrap_or_default(),
            args: vec![
                target.id.clone(),
                "--migrate-from".to_string(),
                schedule.function_version.to_string(),
            ],
            env: vec![
                ("ENSCHEDULE_FUNCTION_ID".into(), target.id.clone()),
                (
                    "ENSCHEDULE_FUNCTION_VERSION".into(),
                    target.version.to_string(),
                ),
                ("ENSCHEDULE_SCHEDULE_ID".into(), schedule.id.to_string()),
            ],
            limits: Limits {
                timeout: MIGRATION_TIMEOUT,
                ..Limits::default()
            },
            // A migration is a conversion of data: no network, whatever the
            // function was granted for its runs.
            allowed_hosts: Vec::new(),
            ..Invocation::default()
        };
        let outcome = self.runtime().invoke(module, invocation).await;

        let stderr = String::from_utf8_lossy(&outcome.stderr.bytes);
        if outcome.ending != Ending::Exited(0) {
            return Err(failure(&outcome.ending, &stderr));
        }
        if outcome.stdout.omitted_bytes > 0 {
            return Err(format!(
                "the migration wrote {} bytes, more than the output cap",
                outcome.stdout.total_bytes
            ));
        }
        serde_json::from_slice(&outcome.stdout.bytes)
            .map_err(|e| format!("the migration's output is not JSON: {e}"))
    }

    /// A function's module, compiled (kept by hash, so only once).
    async fn prepare_function(&self, function: &Function) -> Result<Prepared, EngineError> {
        if let Some(module) = self.runtime().cached(&function.module_hash) {
            return Ok(module);
        }
        let bytes = self.store().module_bytes(&function.module_hash).await?;
        Ok(self.runtime().prepare(&function.module_hash, &bytes)?)
    }
}

/// Why a migration that did not exit with 0 failed, with what it said on
/// stderr.
fn failure(ending: &Ending, stderr: &str) -> String {
    let what = match ending {
        Ending::Exited(code) => format!("the migration exited with code {code}"),
        Ending::Trapped(message) => format!("the migration trapped ({message})"),
        other => format!(
            "the migration failed ({})",
            other.error().unwrap_or_default()
        ),
    };
    match stderr.trim() {
        "" => what,
        said if said.len() > MAX_QUOTED_STDERR => {
            let mut end = MAX_QUOTED_STDERR;
            while !said.is_char_boundary(end) {
                end -= 1;
            }
            format!("{what}: {}…", &said[..end])
        }
        said => format!("{what}: {said}"),
    }
}
