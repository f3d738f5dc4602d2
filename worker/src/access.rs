//! Access: who may do what to workers, functions, schedules and runs.
//!
//! A *right* is one action on one kind of thing (`schedule.edit`). A *rule*
//! grants a right to users and groups by name. Rules live at three *levels*
//! — a worker, a function, a schedule — and a thing without a rule for a
//! right inherits it from the level above it:
//!
//! - a function's rights come from its own rules, then its worker's default
//!   function access;
//! - a schedule's from its own, then its function's default schedule access,
//!   then its worker's;
//! - a run's from its schedule's run access, then its function's default run
//!   access, then its worker's.
//!
//! The first level that names the right decides; where no level names it,
//! every signed-in user has it. Admins have every right; a caller who is not
//! signed in has none. [`Caller::may`] is the one resolver the whole product
//! calls.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{Run, Schedule};

/// One action on one kind of thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Right {
    #[serde(rename = "worker.view")]
    WorkerView,
    #[serde(rename = "worker.delete")]
    WorkerDelete,
    #[serde(rename = "function.view")]
    FunctionView,
    #[serde(rename = "function.createSchedule")]
    FunctionCreateSchedule,
    #[serde(rename = "schedule.view")]
    ScheduleView,
    #[serde(rename = "schedule.edit")]
    ScheduleEdit,
    #[serde(rename = "schedule.delete")]
    ScheduleDelete,
    #[serde(rename = "run.view")]
    RunView,
    #[serde(rename = "run.viewLogs")]
    RunViewLogs,
    #[serde(rename = "run.delete")]
    RunDelete,
}

impl Right {
    pub const ALL: [Right; 10] = [
        Right::WorkerView,
        Right::WorkerDelete,
        Right::FunctionView,
        Right::FunctionCreateSchedule,
        Right::ScheduleView,
        Right::ScheduleEdit,
        Right::ScheduleDelete,
        Right::RunView,
        Right::RunViewLogs,
        Right::RunDelete,
    ];

    /// The name used in manifests and the API: `view`, `createSchedule`, ….
    pub fn name(self) -> &'static str {
        match self {
            Right::WorkerView | Right::FunctionView | Right::ScheduleView | Right::RunView => {
                "view"
            }
            Right::WorkerDelete | Right::ScheduleDelete | Right::RunDelete => "delete",
            Right::FunctionCreateSchedule => "createSchedule",
            Right::ScheduleEdit => "edit",
            Right::RunViewLogs => "viewLogs",
        }
    }

    /// The kind of thing it is a right on.
    pub fn kind(self) -> Kind {
        match self {
            Right::WorkerView | Right::WorkerDelete => Kind::Worker,
            Right::FunctionView | Right::FunctionCreateSchedule => Kind::Function,
            Right::ScheduleView | Right::ScheduleEdit | Right::ScheduleDelete => Kind::Schedule,
            Right::RunView | Right::RunViewLogs | Right::RunDelete => Kind::Run,
        }
    }

    /// The right of `kind` called `name`, if there is one.
    pub fn parse(kind: Kind, name: &str) -> Option<Right> {
        Right::ALL
            .into_iter()
            .find(|r| r.kind() == kind && r.name() == name)
    }
}

/// The kinds of things rights are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Worker,
    Function,
    Schedule,
    Run,
}

/// Who a rule grants a right to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grantees {
    #[serde(default)]
    pub users: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}

/// Rules for the rights of one kind, as one level states them: a right that
/// is absent is not stated, and is inherited. A right present with nobody in
/// it is stated: nobody but admins has it.
pub type Rules = BTreeMap<String, Grantees>;

/// The rules a worker states: its own and the defaults for what runs on it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerRules {
    #[serde(default)]
    pub access: Rules,
    #[serde(default)]
    pub default_function_access: Rules,
    #[serde(default)]
    pub default_schedule_access: Rules,
    #[serde(default)]
    pub default_run_access: Rules,
}

/// The rules a function states (from its manifest, or an admin).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionRules {
    #[serde(default)]
    pub access: Rules,
    #[serde(default)]
    pub default_schedule_access: Rules,
    #[serde(default)]
    pub default_run_access: Rules,
}

/// The rules a schedule states.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleRules {
    #[serde(default)]
    pub access: Rules,
    #[serde(default)]
    pub run_access: Rules,
}

/// Everything above a thing that can state its rights. A run's chain is its
/// schedule's, with the schedule's run access at the front.
#[derive(Debug, Clone, Copy, Default)]
pub struct Chain<'a> {
    pub worker: Option<&'a WorkerRules>,
    pub function: Option<&'a FunctionRules>,
    pub schedule: Option<&'a ScheduleRules>,
}

impl Chain<'_> {
    /// The rule sets that may state `right`, nearest first.
    fn levels(&self, right: Right) -> Vec<&Rules> {
        let (worker, function, schedule) = (self.worker, self.function, self.schedule);
        let levels = match right.kind() {
            Kind::Worker => vec![worker.map(|w| &w.access)],
            Kind::Function => vec![
                function.map(|f| &f.access),
                worker.map(|w| &w.default_function_access),
            ],
            Kind::Schedule => vec![
                schedule.map(|s| &s.access),
                function.map(|f| &f.default_schedule_access),
                worker.map(|w| &w.default_schedule_access),
            ],
            Kind::Run => vec![
                schedule.map(|s| &s.run_access),
                function.map(|f| &f.default_run_access),
                worker.map(|w| &w.default_run_access),
            ],
        };
        levels.into_iter().flatten().collect()
    }
}

/// Whoever makes a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// Not signed in: no rights.
    Anonymous,
    /// A signed-in user, with the groups they belong to.
    User {
        name: String,
        groups: Vec<String>,
        admin: bool,
    },
    /// The server's own API key: every right.
    Server,
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        matches!(self, Caller::Server | Caller::User { admin: true, .. })
    }

    /// Whether the caller has `right` on the thing whose rules `chain` holds.
    pub fn may(&self, right: Right, chain: &Chain<'_>) -> bool {
        let (name, groups) = match self {
            Caller::Anonymous => return false,
            Caller::Server | Caller::User { admin: true, .. } => return true,
            Caller::User { name, groups, .. } => (name, groups),
        };
        let stated = chain
            .levels(right)
            .into_iter()
            .find_map(|rules| rules.get(right.name()));
        match stated {
            None => true,
            Some(grantees) => {
                grantees.users.iter().any(|u| u == name)
                    || grantees.groups.iter().any(|g| groups.contains(g))
            }
        }
    }

    /// Every right the caller has on the thing, for showing effective rights.
    pub fn rights(&self, kind: Kind, chain: &Chain<'_>) -> Vec<Right> {
        Right::ALL
            .into_iter()
            .filter(|r| r.kind() == kind && self.may(*r, chain))
            .collect()
    }
}

/// The worker every function runs on until functions can name another.
pub const INLINE_WORKER: &str = "inline";

/// Every rule set that workers, functions and schedules state, read at once,
/// so a request can decide rights on a whole list without a query per item.
#[derive(Debug, Clone, Default)]
pub struct RuleBook {
    /// By worker id.
    pub workers: BTreeMap<String, WorkerRules>,
    /// By `id@version`.
    pub functions: BTreeMap<String, FunctionRules>,
    /// By schedule id.
    pub schedules: BTreeMap<i64, ScheduleRules>,
}

/// How a function is named where rules are kept: `id@version`.
pub fn function_key(id: &str, version: i64) -> String {
    format!("{id}@{version}")
}

impl RuleBook {
    /// The chain above a worker.
    pub fn worker_chain(&self, worker_id: &str) -> Chain<'_> {
        Chain {
            worker: self.workers.get(worker_id),
            ..Chain::default()
        }
    }

    /// The chain above a function: its own rules and its worker's.
    pub fn function_chain(&self, id: &str, version: i64) -> Chain<'_> {
        Chain {
            worker: self.workers.get(INLINE_WORKER),
            function: self.functions.get(&function_key(id, version)),
            schedule: None,
        }
    }

    /// The chain above a schedule and its runs.
    pub fn schedule_chain(&self, schedule_id: i64, function_id: &str, version: i64) -> Chain<'_> {
        Chain {
            schedule: self.schedules.get(&schedule_id),
            ..self.function_chain(function_id, version)
        }
    }
}

/// The sections of rules a target of `kind` may state, in the JSON shape,
/// each with the kind of thing its rights are about. Runs state none.
pub fn sections_of(kind: Kind) -> &'static [(&'static str, Kind)] {
    match kind {
        Kind::Worker => &[
            ("access", Kind::Worker),
            ("defaultFunctionAccess", Kind::Function),
            ("defaultScheduleAccess", Kind::Schedule),
            ("defaultRunAccess", Kind::Run),
        ],
        Kind::Function => &[
            ("access", Kind::Function),
            ("defaultScheduleAccess", Kind::Schedule),
            ("defaultRunAccess", Kind::Run),
        ],
        Kind::Schedule => &[("access", Kind::Schedule), ("runAccess", Kind::Run)],
        Kind::Run => &[],
    }
}

/// The rules one target states, read from JSON and checked: each section
/// names only rights of its kind (`schedule.access` knows `view`, `edit` and
/// `delete`, not `viewLogs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatedRules {
    Worker(WorkerRules),
    Function(FunctionRules),
    Schedule(ScheduleRules),
}

impl StatedRules {
    /// Parses the rules a target of `kind` states.
    pub fn parse(kind: Kind, json: &str) -> Result<StatedRules, String> {
        fn read<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, String> {
            serde_json::from_str(json).map_err(|e| format!("rules: not valid rules JSON: {e}"))
        }
        let stated = match kind {
            Kind::Worker => StatedRules::Worker(read(json)?),
            Kind::Function => StatedRules::Function(read(json)?),
            Kind::Schedule => StatedRules::Schedule(read(json)?),
            Kind::Run => {
                return Err("rules: runs state no rules; set their schedule's runAccess".into());
            }
        };
        stated.check()?;
        Ok(stated)
    }

    /// Checks that each section names only rights of its kind.
    pub fn check(&self) -> Result<(), String> {
        for (section, kind, rules) in self.sections() {
            if let Some(unknown) = rules.keys().find(|r| Right::parse(kind, r).is_none()) {
                let known: Vec<_> = Right::ALL
                    .iter()
                    .filter(|r| r.kind() == kind)
                    .map(|r| r.name())
                    .collect();
                return Err(format!(
                    "rules: {section}: `{unknown}` is not a right here (it may hold {})",
                    known.join(", ")
                ));
            }
        }
        Ok(())
    }

    /// Each section with the kind of thing its rights are about.
    pub fn sections(&self) -> Vec<(&'static str, Kind, &Rules)> {
        let (kind, rule_sets) = match self {
            StatedRules::Worker(w) => (
                Kind::Worker,
                vec![
                    &w.access,
                    &w.default_function_access,
                    &w.default_schedule_access,
                    &w.default_run_access,
                ],
            ),
            StatedRules::Function(f) => (
                Kind::Function,
                vec![&f.access, &f.default_schedule_access, &f.default_run_access],
            ),
            StatedRules::Schedule(s) => (Kind::Schedule, vec![&s.access, &s.run_access]),
        };
        sections_of(kind)
            .iter()
            .zip(rule_sets)
            .map(|(&(name, about), rules)| (name, about, rules))
            .collect()
    }

    /// Every user and every group the rules name.
    pub fn grantees(&self) -> Grantees {
        let mut all = Grantees::default();
        for (_, _, rules) in self.sections() {
            for grantees in rules.values() {
                all.users.extend(grantees.users.iter().cloned());
                all.groups.extend(grantees.groups.iter().cloned());
            }
        }
        all.users.sort();
        all.users.dedup();
        all.groups.sort();
        all.groups.dedup();
        all
    }

    /// The rules as stored: compact JSON.
    pub fn to_json(&self) -> String {
        let value = match self {
            StatedRules::Worker(w) => serde_json::to_value(w),
            StatedRules::Function(f) => serde_json::to_value(f),
            StatedRules::Schedule(s) => serde_json::to_value(s),
        };
        value.map(|v| v.to_string()).unwrap_or_default()
    }
}

/// Why a caller was refused something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// They may not even see it: told exactly what they would be told if it
    /// did not exist, so ids cannot be probed.
    #[error("{0} not found")]
    Hidden(String),
    /// They may see it, but not do this to it.
    #[error("you do not have the right `{right}` on {what}")]
    Forbidden { right: &'static str, what: String },
}

/// A caller and the rules their rights come from: what the dashboard and the
/// API ask before they read or change anything.
#[derive(Debug, Clone)]
pub struct Access {
    pub caller: Caller,
    pub rules: RuleBook,
}

impl Access {
    pub fn may_view_worker(&self, id: &str) -> bool {
        self.caller
            .may(Right::WorkerView, &self.rules.worker_chain(id))
    }

    /// Checks `right` on a worker.
    pub fn check_worker(&self, right: Right, id: &str) -> Result<(), Denied> {
        let chain = self.rules.worker_chain(id);
        self.check(Right::WorkerView, right, &chain, || format!("worker {id}"))
    }

    pub fn may_view_function(&self, id: &str, version: i64) -> bool {
        let chain = self.rules.function_chain(id, version);
        self.caller.may(Right::FunctionView, &chain)
    }

    pub fn may_view_schedule(&self, schedule: &Schedule) -> bool {
        self.caller
            .may(Right::ScheduleView, &self.schedule_chain(schedule))
    }

    /// Whether the caller may see the runs of `schedule` (every run of a
    /// schedule has the same rules). Runs show their schedule's data, so
    /// they need `view` on the schedule too.
    pub fn may_view_runs_of(&self, schedule: &Schedule) -> bool {
        let chain = self.schedule_chain(schedule);
        self.caller.may(Right::ScheduleView, &chain) && self.caller.may(Right::RunView, &chain)
    }

    /// The schedules whose runs the caller may see, to narrow a run list;
    /// `None` for an admin, who sees every run.
    pub fn run_schedule_filter(&self, schedules: &[Schedule]) -> Option<Vec<i64>> {
        if self.caller.is_admin() {
            return None;
        }
        let visible = schedules.iter().filter(|s| self.may_view_runs_of(s));
        Some(visible.map(|s| s.id).collect())
    }

    /// Checks `right` on a function.
    pub fn check_function(&self, right: Right, id: &str, version: i64) -> Result<(), Denied> {
        let chain = self.rules.function_chain(id, version);
        self.check(Right::FunctionView, right, &chain, || {
            format!("function {id} version {version}")
        })
    }

    pub fn check_schedule(&self, right: Right, schedule: &Schedule) -> Result<(), Denied> {
        let chain = self.schedule_chain(schedule);
        self.check(Right::ScheduleView, right, &chain, || {
            format!("schedule {}", schedule.id)
        })
    }

    /// Checks `right` on a run, whose rules are its schedule's; a run of a
    /// schedule the caller may not see is hidden whatever its own rules.
    pub fn check_run(&self, right: Right, run: &Run) -> Result<(), Denied> {
        let chain =
            self.rules
                .schedule_chain(run.schedule_id, &run.function_id, run.function_version);
        let what = || format!("run {}", run.id);
        if !self.caller.may(Right::ScheduleView, &chain) {
            return Err(Denied::Hidden(what()));
        }
        self.check(Right::RunView, right, &chain, what)
    }

    /// Checks that the caller may cancel a run: see it, and edit its
    /// schedule (as for running it now).
    pub fn check_cancel(&self, run: &Run) -> Result<(), Denied> {
        self.check_run(Right::RunView, run)?;
        let chain =
            self.rules
                .schedule_chain(run.schedule_id, &run.function_id, run.function_version);
        self.check(Right::RunView, Right::ScheduleEdit, &chain, || {
            format!("run {}", run.id)
        })
    }

    fn schedule_chain(&self, schedule: &Schedule) -> Chain<'_> {
        self.rules.schedule_chain(
            schedule.id,
            &schedule.function_id,
            schedule.function_version,
        )
    }

    /// `Hidden` without `view`, else `Forbidden` without `right`.
    fn check(
        &self,
        view: Right,
        right: Right,
        chain: &Chain<'_>,
        what: impl Fn() -> String,
    ) -> Result<(), Denied> {
        if !self.caller.may(view, chain) {
            return Err(Denied::Hidden(what()));
        }
        if !self.caller.may(right, chain) {
            tracing::debug!(right = ?right, target = %what(), "refused: no right");
            return Err(Denied::Forbidden {
                right: right.name(),
                what: what(),
            });
        }
        Ok(())
    }
}
