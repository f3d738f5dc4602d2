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
