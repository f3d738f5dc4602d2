//! The queue: from schedules to finished runs.
//!
//! A *fire time* of an active schedule becomes a `pending` run exactly once:
//! the schedule's `next_run_at` moves on in the same transaction that stores
//! the run, and only if nobody moved it first. Fire times that find an
//! earlier run still going follow the schedule's *overlap* policy; fire
//! times that passed while no instance ran follow its *catch-up* policy;
//! either way each one ends up as a run or a recorded skip. An instance
//! *claims* due pending runs with a lease, executes them in the sandbox, and
//! records how they ended together with what follows (a retry, a failure
//! trigger). [`Engine::tick`] is one pass of all that on the engine's clock,
//! so tests can drive it step by step; [`Engine::run_until_stopped`] repeats
//! it, sleeping until the next due time.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use crate::clock::Clock;
use crate::manifest::{self, Manifest, ManifestError};
use crate::model::{
    CatchUp, EventKind, NewSchedule, Overlap, Run, RunStatus, Schedule, ScheduleStatus, Timing,
    Trigger,
};
use crate::runtime::{Cancel, Ending, Invocation, Limits, Prepared, Runtime, RuntimeError};
use crate::store::{
    ActiveRuns, CancelRequest, Claimant, Finished, Firing, FollowUp, Lost, NewEvent, NewRun,
    Registered, Store, StoreError,
};
use crate::timing::{self, Cron, TimingError};

/// Settings of one engine instance.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// The logical worker this process is an instance of: it claims the
    /// runs of schedules that name it, and those that name none.
    pub worker_id: String,
    /// Names this process in the runs it claims.
    pub instance_id: String,
    /// Runs executing at once, at most.
    pub concurrency: usize,
    /// How long a claim holds without renewal.
    pub lease: Duration,
    /// How often a running run's lease is renewed.
    pub lease_renewal: Duration,
    /// The longest sleep between looks at the database, for work created by
    /// other processes.
    pub poll_interval: Duration,
    /// How late a fire time may be noticed and still count as on time; older
    /// ones were *missed* (no instance was running) and follow the
    /// schedule's catch-up policy.
    pub misfire_grace: Duration,
    /// For schedules that name no timezone.
    pub default_timezone: Tz,
    /// For schedules that set no timeout.
    pub default_timeout: Duration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            worker_id: crate::access::INLINE_WORKER.to_string(),
            instance_id: crate::instance::default_instance_id(
                crate::access::INLINE_WORKER,
                &crate::instance::hostname(),
            ),
            concurrency: 16,
            lease: Duration::from_secs(30),
            lease_renewal: Duration::from_secs(10),
            poll_interval: Duration::from_secs(1),
            misfire_grace: Duration::from_secs(15),
            default_timezone: Tz::UTC,
            default_timeout: crate::runtime::DEFAULT_TIMEOUT,
        }
    }
}

/// The most fire times looked at when a schedule is noticed late; beyond
/// them, the rest of the downtime is skipped in one record.
const MAX_SCANNED_FIRE_TIMES: usize = 100_000;

/// How many rounds of claiming one [`Engine::tick`] does at most; each round
/// starts the serial runs that the previous one released.
const MAX_TICK_ROUNDS: usize = 1_000;

/// How many claims an instance has under way at once between passes.
const CLAIMS_IN_FLIGHT: usize = 2;

/// Why the engine refused a request.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Timing(#[from] TimingError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
}

impl EngineError {
    fn invalid(field: &'static str, problem: impl Into<String>) -> EngineError {
        EngineError::Invalid {
            field,
            problem: problem.into(),
        }
    }
}

/// What applying a definition comes to, before anything is stored.
enum Plan {
    Create(Schedule),
    Update {
        existing: Box<Schedule>,
        schedule: Schedule,
    },
    Unchanged(Schedule),
}

/// What applying a schedule by its `event_id` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Created,
    Updated,
    Unchanged,
}

impl Applied {
    pub fn as_str(self) -> &'static str {
        match self {
            Applied::Created => "created",
            Applied::Updated => "updated",
            Applied::Unchanged => "unchanged",
        }
    }
}

/// What one [`Engine::tick`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TickOutcome {
    /// Runs created from fire times.
    pub fired: Vec<i64>,
    /// Runs executed to their end.
    pub executed: Vec<i64>,
    /// Runs found with an expired lease.
    pub lost: Vec<i64>,
}

/// Runs started by [`Engine::start_due`], still executing.
pub struct Started {
    /// Runs created from fire times in this step.
    pub fired: Vec<i64>,
    /// Runs found with an expired lease.
    pub lost: Vec<i64>,
    /// The ids of the runs claimed, in the order they started.
    pub claimed: Vec<i64>,
    executing: JoinSet<i64>,
}

impl Started {
    /// Waits until every run of this step has ended; returns their ids.
    pub async fn finish(mut self) -> Vec<i64> {
        let mut ids = Vec::new();
        while let Some(done) = self.executing.join_next().await {
            if let Ok(id) = done {
                ids.push(id);
            }
        }
        ids.sort_unstable();
        ids
    }
}

/// The engine: a store, a sandbox and a clock. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    store: Store,
    runtime: Runtime,
    clock: Arc<dyn Clock>,
    options: Arc<EngineOptions>,
    /// Something may be due now: a schedule changed, a run was asked for,
    /// another process told so.
    wake: Arc<Notify>,
    /// A run ended here: a slot is free, and a serial run may follow.
    slot_freed: Arc<Notify>,
    slots: Arc<Semaphore>,
    /// The cancel switches of the runs this instance is executing.
    executing: Arc<Mutex<HashMap<i64, Cancel>>>,
    /// Set when shutting down: runs stopped now are released, not cancelled.
    releasing: Arc<AtomicBool>,
    /// The module hash of each function version run here. A registered
    /// version never changes, so after its first run no run reads it from
    /// the database; the runtime keeps the compiled modules by hash.
    module_hashes: Arc<Mutex<HashMap<(String, i64), String>>>,
}

impl Engine {
    pub fn new(
        store: Store,
        runtime: Runtime,
        clock: Arc<dyn Clock>,
        options: EngineOptions,
    ) -> Self {
        let slots = Arc::new(Semaphore::new(options.concurrency.max(1)));
        Engine {
            store,
            runtime,
            clock,
            options: Arc::new(options),
            wake: Arc::new(Notify::new()),
            slot_freed: Arc::new(Notify::new()),
            slots,
            executing: Arc::default(),
            releasing: Arc::default(),
            module_hashes: Arc::default(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    /// Registers a handler module. Its manifest comes from its `enschedule`
    /// section, or from `given` when it has none; either is validated.
    pub async fn register_module(
        &self,
        module: &[u8],
        given: Option<Manifest>,
    ) -> Result<(Manifest, Registered), EngineError> {
        let info = manifest::inspect(module)?;
        let manifest = match (info.manifest, given) {
            (Some(embedded), _) => embedded,
            (None, Some(given)) => given,
            (None, None) => return Err(ManifestError::Missing("id").into()),
        };
        manifest.validate()?;

        // Compiling now catches a module the sandbox cannot link (an import it
        // does not offer) before anything is stored.
        let hash = crate::store::module_hash(module);
        self.runtime.prepare(&hash, module)?;

        let now = self.now();
        let registered = self.store.register_function(&manifest, module, now).await?;
        if let (Registered::Created, Some(rules)) = (registered, manifest.rules()) {
            let key = crate::access::function_key(&manifest.id, manifest.version);
            let json = serde_json::to_string(&rules).unwrap_or_default();
            self.store
                .set_access_rules(crate::access::Kind::Function, &key, Some(&json), now)
                .await?;
        }
        Ok((manifest, registered))
    }

    /// Checks and stores a new schedule, with its first fire time.
    pub async fn create_schedule(&self, new: NewSchedule) -> Result<Schedule, EngineError> {
        let now = self.now();
        let schedule = self.check(new, None, now).await?;
        self.insert(schedule, now).await
    }

    async fn insert(
        &self,
        mut schedule: Schedule,
        now: DateTime<Utc>,
    ) -> Result<Schedule, EngineError> {
        schedule.next_run_at = first_fire_time(&schedule, now)?;
        schedule.id = self.store.insert_schedule(&schedule).await?;
        tracing::info!(schedule.id = schedule.id, next_run_at = ?schedule.next_run_at,
            "schedule created");
        self.wake.notify_one();
        Ok(schedule)
    }

    /// Replaces the definition of a schedule. A change of timing or timezone
    /// computes the next fire time afresh from now; other changes keep it.
    pub async fn update_schedule(
        &self,
        id: i64,
        new: NewSchedule,
    ) -> Result<Schedule, EngineError> {
        let existing = self.store.get_schedule(id).await?;
        let now = self.now();
        let schedule = self.check(new, Some(&existing), now).await?;
        self.replace(existing, schedule, now).await
    }

    /// Creates or updates the schedule named by `new.event_id`, as GitOps
    /// tools expect: a definition that matches the stored one changes
    /// nothing.
    pub async fn apply_schedule(
        &self,
        new: NewSchedule,
    ) -> Result<(Schedule, Applied), EngineError> {
        if new.event_id.as_deref().is_none_or(|e| e.trim().is_empty()) {
            return Err(EngineError::invalid(
                "eventId",
                "is required to apply a schedule",
            ));
        }
        let now = self.now();
        Ok(match self.plan(new, now).await? {
            Plan::Create(schedule) => (self.insert(schedule, now).await?, Applied::Created),
            Plan::Unchanged(existing) => (existing, Applied::Unchanged),
            Plan::Update { existing, schedule } => (
                self.replace(*existing, schedule, now).await?,
                Applied::Updated,
            ),
        })
    }

    /// What applying `new` would do, stored nowhere: the schedule as it would
    /// be, and whether it would be created, updated or left as it is. A
    /// definition without an `event_id` would be created.
    pub async fn plan_schedule(
        &self,
        new: NewSchedule,
    ) -> Result<(Schedule, Applied), EngineError> {
        let now = self.now();
        Ok(match self.plan(new, now).await? {
            Plan::Create(mut schedule) => {
                schedule.next_run_at = first_fire_time(&schedule, now)?;
                (schedule, Applied::Created)
            }
            Plan::Unchanged(existing) => (existing, Applied::Unchanged),
            Plan::Update {
                existing,
                mut schedule,
            } => {
                schedule.id = existing.id;
                (schedule, Applied::Updated)
            }
        })
    }

    async fn plan(&self, new: NewSchedule, now: DateTime<Utc>) -> Result<Plan, EngineError> {
        let existing = match new.event_id.as_deref().map(str::trim) {
            Some(event_id) if !event_id.is_empty() => {
                self.store.find_schedule_by_event_id(event_id).await?
            }
            _ => None,
        };
        let schedule = self.check(new, existing.as_ref(), now).await?;
        Ok(match existing {
            None => Plan::Create(schedule),
            Some(existing) if same_definition(&existing, &schedule) => Plan::Unchanged(existing),
            Some(existing) => Plan::Update {
                existing: Box::new(existing),
                schedule,
            },
        })
    }

    /// Stores `schedule` over `existing`, recomputing the next fire time when
    /// the timing changed.
    async fn replace(
        &self,
        existing: Schedule,
        mut schedule: Schedule,
        now: DateTime<Utc>,
    ) -> Result<Schedule, EngineError> {
        schedule.id = existing.id;
        schedule.created_at = existing.created_at;
        schedule.status = existing.status;
        schedule.next_run_at =
            if schedule.timing == existing.timing && schedule.timezone == existing.timezone {
                existing.next_run_at
            } else {
                first_fire_time(&schedule, now)?
            };
        let event = NewEvent {
            reason: format!(
                "definition changed; next fire time {}",
                show(schedule.next_run_at)
            ),
            ..event(schedule.id, EventKind::Updated)
        };
        self.store.update_schedule(&schedule, &event).await?;
        tracing::info!(schedule.id = schedule.id, next_run_at = ?schedule.next_run_at,
            "schedule updated");
        self.wake.notify_one();
        Ok(schedule)
    }

    /// Stops a schedule firing; its history and pending runs stay.
    pub async fn pause(&self, id: i64) -> Result<Schedule, EngineError> {
        let mut schedule = self.store.get_schedule(id).await?;
        if schedule.status == ScheduleStatus::Paused {
            return Ok(schedule);
        }
        schedule.status = ScheduleStatus::Paused;
        schedule.updated_at = self.now();
        let event = NewEvent {
            reason: "paused: no fire times until resumed".into(),
            ..event(id, EventKind::Paused)
        };
        self.store.update_schedule(&schedule, &event).await?;
        tracing::info!(schedule.id = id, "schedule paused");
        Ok(schedule)
    }

    /// Lets a paused schedule fire again, from now on: the fire times that
    /// passed while it was paused are not caught up. A one-off keeps its
    /// instant (a past one fires at once) unless it has fired already.
    pub async fn resume(&self, id: i64) -> Result<Schedule, EngineError> {
        let mut schedule = self.store.get_schedule(id).await?;
        if schedule.status == ScheduleStatus::Active {
            return Ok(schedule);
        }
        let now = self.now();
        schedule.status = ScheduleStatus::Active;
        schedule.updated_at = now;
        if let Timing::Cron { .. } = schedule.timing {
            schedule.next_run_at = first_fire_time(&schedule, now)?;
        }
        let event = NewEvent {
            reason: format!("resumed; next fire time {}", show(schedule.next_run_at)),
            ..event(id, EventKind::Resumed)
        };
        self.store.update_schedule(&schedule, &event).await?;
        tracing::info!(schedule.id = id, next_run_at = ?schedule.next_run_at, "schedule resumed");
        self.wake.notify_one();
        Ok(schedule)
    }

    /// Checks a schedule definition and resolves its defaults. `existing` is
    /// the schedule it replaces, if any.
    async fn check(
        &self,
        new: NewSchedule,
        existing: Option<&Schedule>,
        now: DateTime<Utc>,
    ) -> Result<Schedule, EngineError> {
        let function = self
            .store
            .get_function(&new.function_id, new.function_version)
            .await?;
        if let Err(problem) = manifest::check_data(&function.data_schema, &new.data) {
            return Err(EngineError::invalid("data", problem));
        }
        let title = match new.title.trim() {
            "" => function.title.clone(),
            title => title.to_string(),
        };
        let timezone = match new.timezone.as_deref().map(str::trim) {
            Some(name) if !name.is_empty() => timing::parse_timezone(name)?,
            _ => self.options.default_timezone,
        };
        let timeout_ms = match new.timeout_ms {
            Some(ms) if ms < 1 => {
                return Err(EngineError::invalid("timeout", "must be at least 1 ms"));
            }
            Some(ms) => ms,
            None => self.options.default_timeout.as_millis() as i64,
        };
        let timing = match new.timing {
            Timing::Cron { expression, .. } => {
                let written = timing::read_schedule_text(&expression)?;
                // Refuses an expression that never fires.
                Cron::new(&written.expression, timezone, now)?;
                Timing::Cron {
                    expression: written.expression,
                    phrase: written.phrase,
                }
            }
            other => other,
        };

        let retry = new.retry;
        if retry.max_retries < -1 {
            return Err(EngineError::invalid(
                "maxRetries",
                "must be 0 or more, or -1 for no limit",
            ));
        }
        if retry.base_ms < 0 {
            return Err(EngineError::invalid(
                "backoff",
                "the base delay cannot be negative",
            ));
        }
        if retry.cap_ms < retry.base_ms {
            return Err(EngineError::invalid(
                "backoff",
                "the cap must be at least the base delay",
            ));
        }
        if let Some(target) = new.failure_trigger {
            if existing.is_some_and(|s| s.id == target) {
                return Err(EngineError::invalid(
                    "failureTrigger",
                    "a schedule cannot be its own failure trigger",
                ));
            }
            match self.store.get_schedule(target).await {
                Ok(_) => {}
                Err(StoreError::NotFound(_)) => {
                    return Err(EngineError::invalid(
                        "failureTrigger",
                        format!("schedule {target} does not exist"),
                    ));
                }
                Err(other) => return Err(other.into()),
            }
        }
        let event_id = new
            .event_id
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty());
        let worker_id = match new.worker_id.as_deref().map(str::trim) {
            Some(id) if !id.is_empty() => Some(self.known_worker(id).await?),
            _ => None,
        };

        Ok(Schedule {
            id: 0,
            function_id: function.id,
            function_version: function.version,
            title,
            description: new.description.trim().to_string(),
            data: new.data,
            timing,
            timezone: timezone.name().to_string(),
            timeout_ms,
            catch_up: new.catch_up,
            overlap: new.overlap,
            retry,
            failure_trigger: new.failure_trigger,
            event_id,
            worker_id,
            status: ScheduleStatus::Active,
            next_run_at: None,
            created_at: now,
            updated_at: now,
        })
    }

    /// `id` if a worker of that id has registered (or is this engine's own);
    /// else the error names the workers there are.
    async fn known_worker(&self, id: &str) -> Result<String, EngineError> {
        let workers = self.store.list_workers().await?;
        if id == self.options.worker_id || workers.iter().any(|w| w.id == id) {
            return Ok(id.to_string());
        }
        let mut known: Vec<&str> = workers.iter().map(|w| w.id.as_str()).collect();
        if !known.contains(&self.options.worker_id.as_str()) {
            known.push(&self.options.worker_id);
        }
        known.sort_unstable();
        Err(EngineError::invalid(
            "workerId",
            format!(
                "there is no worker `{id}` (the workers are: {})",
                known.join(", ")
            ),
        ))
    }

    /// Sets the hosts a function's runs may send HTTP requests to, for every
    /// version of it; answers them normalised and sorted. Each is checked,
    /// and the first that is not a host or `host:port` is refused by its
    /// line number.
    pub async fn set_http_grants(
        &self,
        function_id: &str,
        hosts: &[String],
        granted_by: &str,
    ) -> Result<Vec<String>, EngineError> {
        if !self
            .store
            .list_functions()
            .await?
            .iter()
            .any(|f| f.id == function_id)
        {
            return Err(StoreError::NotFound(format!("function {function_id}")).into());
        }
        let mut granted = Vec::new();
        for (line, host) in hosts.iter().enumerate() {
            let host = crate::runtime::http::parse_grant(host).map_err(|problem| {
                EngineError::invalid("hosts", format!("line {}: {problem}", line + 1))
            })?;
            granted.push(host);
        }
        granted.sort();
        granted.dedup();
        self.store
            .set_http_grants(function_id, &granted, granted_by, self.now())
            .await?;
        tracing::info!(function.id = function_id, hosts = ?granted, by = granted_by,
            "outgoing HTTP grants set");
        Ok(granted)
    }

    /// *Run now*: a manual run that starts at once, whatever the overlap
    /// policy, and leaves the schedule's next fire time alone.
    pub async fn run_now(&self, schedule_id: i64) -> Result<Run, EngineError> {
        let schedule = self.store.get_schedule(schedule_id).await?;
        let now = self.now();
        let run = new_run(&schedule, Trigger::Manual, now, now);
        let id =
            self.store.insert_run(&run, now).await?.ok_or_else(|| {
                StoreError::Conflict("a manual run for this instant exists".into())
            })?;
        tracing::info!(
            schedule.id = schedule_id,
            run.id = id,
            "manual run requested"
        );
        self.wake.notify_one();
        Ok(self.store.get_run(id).await?)
    }

    /// Cancels a run: one that has not started ends at once; a running one
    /// is stopped by the instance executing it, within a second when that
    /// is this instance and within the poll interval for another. A run that
    /// has ended is refused. Cancelling is not a failure: no retry follows.
    pub async fn cancel_run(&self, run_id: i64) -> Result<Run, EngineError> {
        let request = self.store.cancel_run(run_id, self.now()).await?;
        tracing::info!(run.id = run_id, request = ?request, "run cancel requested");
        if request == CancelRequest::Flagged
            && let Some(cancel) = self.executing().get(&run_id)
        {
            cancel.trigger();
        }
        Ok(self.store.get_run(run_id).await?)
    }

    /// Stops the runs of this instance that were asked, through the
    /// database, to be cancelled.
    async fn honour_cancel_requests(&self) -> Result<(), EngineError> {
        if self.executing().is_empty() {
            return Ok(());
        }
        for run_id in self
            .store
            .cancel_requests(&self.options.instance_id)
            .await?
        {
            if let Some(cancel) = self.executing().get(&run_id) {
                cancel.trigger();
            }
        }
        Ok(())
    }

    fn executing(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Cancel>> {
        self.executing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// One pass, to the end: mark runs with expired leases lost, turn due
    /// fire times into runs, then claim due runs and execute them, again
    /// while finished runs release serial ones that are due.
    pub async fn tick(&self) -> Result<TickOutcome, EngineError> {
        let mut outcome = TickOutcome::default();
        for round in 0..MAX_TICK_ROUNDS {
            let started = if round == 0 {
                self.start_due().await?
            } else {
                self.start_claimed().await?
            };
            outcome.fired.extend(&started.fired);
            outcome.lost.extend(&started.lost);
            let claimed = !started.claimed.is_empty();
            outcome.executed.extend(started.finish().await);
            if !claimed {
                break;
            }
        }
        outcome.executed.sort_unstable();
        Ok(outcome)
    }

    /// One step without waiting: sweep lost runs, fire due schedules, and
    /// start the due runs there are free slots for. The runs go on executing
    /// in the background; [`Started::finish`] awaits them.
    pub async fn start_due(&self) -> Result<Started, EngineError> {
        self.honour_cancel_requests().await?;
        let lost = self.sweep().await?;
        let fired = self.fire_due_schedules().await?;
        let mut started = self.start_claimed().await?;
        started.lost = lost;
        started.fired = fired;
        Ok(started)
    }

    async fn start_claimed(&self) -> Result<Started, EngineError> {
        let mut started = Started {
            fired: Vec::new(),
            lost: Vec::new(),
            claimed: Vec::new(),
            executing: JoinSet::new(),
        };
        // The slots are taken before the claim, so that claims under way at
        // the same time never take more runs than there are slots.
        let free = self.slots.available_permits();
        if free == 0 {
            return Ok(started);
        }
        let Ok(mut reserved) = self.slots.clone().try_acquire_many_owned(free as u32) else {
            return Ok(started);
        };
        for run in self.claim(free as i64).await? {
            // A claim returns at most as many runs as it was given slots.
            let slot = reserved.split(1).expect("a slot reserved for each run");
            started.claimed.push(run.id);
            let engine = self.clone();
            started
                .executing
                .spawn(async move { engine.execute(run, slot).await });
        }
        Ok(started)
    }

    /// Runs the engine until `stop` resolves. Runs execute concurrently up to
    /// the concurrency limit; a long run holds no other back. On stop,
    /// claiming ends and the runs under way have `grace` to finish; those
    /// still going then are stopped and released for another instance to
    /// start afresh.
    ///
    /// Between steps it sleeps until the next due time, at most the poll
    /// interval, and on PostgreSQL it wakes at once when another process
    /// tells that work may be due.
    pub async fn run_until_stopped(self, stop: impl Future<Output = ()>, grace: Duration) {
        tokio::pin!(stop);
        let listener = tokio::spawn({
            let store = self.store.clone();
            let wake = self.wake.clone();
            async move { store.listen_for_due(wake).await }
        });
        let mut executing = JoinSet::new();
        // Claims between passes, each for the slots free when it began.
        let mut claiming = JoinSet::new();
        'passes: loop {
            // A full pass: cancel requests, lost runs, due schedules, claims.
            let looked_at = self.now();
            // Claims need no second look at once: a claim takes every due
            // run there is a free slot for, and a run that ends claims more
            // below. Firing does: a pass fires a bounded number of schedules.
            let fired = match self.start_due().await {
                Ok(started) => {
                    let fired = !started.fired.is_empty();
                    keep_executing(&mut executing, started);
                    fired
                }
                Err(error) => {
                    tracing::error!(error = %error, "engine step failed");
                    false
                }
            };
            let mut next_pass =
                tokio::time::Instant::now() + self.sleep_duration(fired, looked_at).await;
            // Until then, a run that ends here only needs its slot filled:
            // claiming is enough, without the rest of a pass. A claim is a
            // round trip: another may begin while one is under way, for the
            // slots freed meanwhile.
            loop {
                while executing.try_join_next().is_some() {}
                tokio::select! {
                    _ = &mut stop => break 'passes,
                    _ = tokio::time::sleep_until(next_pass) => break,
                    _ = self.wake.notified() => break,
                    Some(claimed) = claiming.join_next() => {
                        // Slots left free: the due runs are taken, and the
                        // next may come due before the next pass.
                        if let Some(began) = keep_claimed(&mut executing, claimed)
                            && self.slots.available_permits() > 0
                        {
                            next_pass = tokio::time::Instant::now()
                                + self.sleep_duration(false, began).await;
                        }
                    }
                    _ = self.slot_freed.notified(), if claiming.len() < CLAIMS_IN_FLIGHT => {
                        let engine = self.clone();
                        claiming.spawn(async move {
                            let began = engine.now();
                            (began, engine.start_claimed().await)
                        });
                    }
                }
            }
        }
        while let Some(claimed) = claiming.join_next().await {
            keep_claimed(&mut executing, claimed);
        }
        listener.abort();
        tracing::info!(
            running = self.executing().len(),
            grace = ?grace,
            "engine stopping; waiting for runs under way"
        );
        let finished = async { while executing.join_next().await.is_some() {} };
        tokio::pin!(finished);
        if tokio::time::timeout(grace, &mut finished).await.is_err() {
            tracing::warn!(
                running = self.executing().len(),
                "grace period over; releasing the runs still going"
            );
            self.releasing.store(true, Ordering::SeqCst);
            for cancel in self.executing().values() {
                cancel.trigger();
            }
            finished.await;
        }
    }

    /// How long to sleep: until the next due time, at most the poll interval.
    /// Work that is overdue but could not start (no free slot, a serial run
    /// behind a running one) waits for a run to end, which claims it, or for
    /// the next poll: it must not spin the loop. Work that came due after the
    /// pass began (`looked_at`) was not seen yet, and a pass that `fired`
    /// schedules may have left more due: then another pass at once.
    async fn sleep_duration(&self, fired: bool, looked_at: DateTime<Utc>) -> Duration {
        let poll = self.options.poll_interval;
        match self.store.next_due_at().await {
            Ok(Some(at)) => match (at - self.now()).to_std() {
                Ok(wait) => wait.min(poll),
                Err(_overdue) if fired || at > looked_at => Duration::ZERO,
                Err(_overdue) => poll,
            },
            Ok(None) => poll,
            Err(error) => {
                tracing::error!(error = %error, "could not read the next due time");
                poll
            }
        }
    }

    /// Marks running runs whose lease expired as lost, each with its retry or
    /// failure trigger.
    async fn sweep(&self) -> Result<Vec<i64>, EngineError> {
        let runs = self.store.expired_leases(self.now()).await?;
        self.mark_lost(runs, Lost::LeaseExpired).await
    }

    /// Marks the runs that this instance's id still holds as lost: a process
    /// that starts under the id of one that died cannot still be running
    /// them, so they need not wait for their leases to run out. Call it once
    /// at start, before claiming.
    pub async fn recover_held_runs(&self) -> Result<Vec<i64>, EngineError> {
        let instance_id = self.options.instance_id.clone();
        let runs = self.store.runs_held_by(&instance_id).await?;
        self.mark_lost(runs, Lost::InstanceRestarted { instance_id })
            .await
    }

    async fn mark_lost(&self, runs: Vec<Run>, why: Lost) -> Result<Vec<i64>, EngineError> {
        let now = self.now();
        let mut lost = Vec::new();
        for run in runs {
            let follow_up = self.follow_up(&run, RunStatus::Lost, now).await?;
            if self.store.mark_lost(run.id, &why, now, &follow_up).await? {
                tracing::warn!(run.id = run.id, schedule.id = run.schedule_id,
                    instance.id = ?run.instance_id, why = ?why, "run lost");
                lost.push(run.id);
            }
        }
        Ok(lost)
    }

    /// Turns the due fire times of active schedules into runs or skips.
    async fn fire_due_schedules(&self) -> Result<Vec<i64>, EngineError> {
        let now = self.now();
        let mut fired = Vec::new();
        for schedule in self.store.due_schedules(now, 1000).await? {
            let schedule_id = schedule.id;
            match self.fire(schedule, now).await {
                Ok(ids) => fired.extend(ids),
                // One broken schedule must not hold the others back.
                Err(error) => {
                    tracing::error!(schedule.id = schedule_id, error = %error,
                        "could not fire a schedule")
                }
            }
        }
        Ok(fired)
    }

    /// Decides what the due fire times of one schedule become, and commits
    /// it. Returns the runs created.
    async fn fire(&self, schedule: Schedule, now: DateTime<Utc>) -> Result<Vec<i64>, EngineError> {
        let Some(due) = schedule.next_run_at else {
            return Ok(Vec::new());
        };
        let mut firing = Firing {
            schedule_id: schedule.id,
            due,
            next: None,
            runs: Vec::new(),
            events: Vec::new(),
        };
        let grace =
            chrono::Duration::from_std(self.options.misfire_grace).unwrap_or(chrono::Duration::MAX);
        let on_time = |t: DateTime<Utc>| now - t <= grace;

        match &schedule.timing {
            // A one-off always runs, however late: it has no later fire time
            // to wait for.
            Timing::Once { .. } => {
                let trigger = if on_time(due) {
                    Trigger::Schedule
                } else {
                    Trigger::CatchUp
                };
                let due_at = due.max(now - grace);
                firing.runs.push(new_run(&schedule, trigger, due, due_at));
            }
            Timing::Manual => {}
            Timing::Cron { expression, .. } => {
                let cron = Cron::new(expression, timing::parse_timezone(&schedule.timezone)?, now)?;
                let passed = PassedFireTimes::scan(&cron, due, now);
                firing.next = cron.next_after(now);
                let active = self.store.active_runs(schedule.id).await?;
                decide(&schedule, &passed, active, on_time, now, &mut firing);
            }
        }

        let Some(ids) = self.store.fire(&firing, now).await? else {
            // Another instance handled this fire time first.
            return Ok(Vec::new());
        };
        for event in &firing.events {
            tracing::info!(schedule.id = schedule.id, kind = event.kind.as_str(),
                fire_count = event.fire_count, reason = %event.reason, "fire time decision");
        }
        tracing::debug!(schedule.id = schedule.id, runs = ?ids, next_run_at = ?firing.next, "fired");
        Ok(ids)
    }

    async fn claim(&self, limit: i64) -> Result<Vec<Run>, EngineError> {
        let now = self.now();
        let lease_until = now + self.options.lease;
        Ok(self
            .store
            .claim_runs(
                &Claimant {
                    instance_id: &self.options.instance_id,
                    worker_id: &self.options.worker_id,
                },
                now,
                lease_until,
                limit,
            )
            .await?)
    }

    /// Executes a claimed run and records its end; returns the run's id.
    /// Failures to record are logged: the lease then expires and the sweeper
    /// marks the run lost, so it is never left running.
    async fn execute(&self, run: Run, slot: OwnedSemaphorePermit) -> i64 {
        let id = run.id;
        // The claim's instant: the task may begin a moment later.
        let started_at = run.started_at.unwrap_or_else(|| self.now());
        let renewal = self.spawn_lease_renewal(id);
        let cancel = Cancel::new();
        self.executing().insert(id, cancel.clone());
        let outcome = self.invoke(&run, cancel).await;
        self.executing().remove(&id);
        // The slot holds back executions, not writes: the next run may start
        // while this one's end is recorded.
        drop(slot);
        self.slot_freed.notify_one();
        if self.releasing.load(Ordering::SeqCst)
            && matches!(&outcome, Ok(o) if o.ending == Ending::Cancelled)
        {
            renewal.abort();
            match self.store.release_run(id, &self.options.instance_id).await {
                Ok(true) => {
                    tracing::info!(run.id = id, "run released for another instance");
                    return id;
                }
                Ok(false) => {}
                Err(error) => {
                    tracing::error!(run.id = id, error = %error, "could not release a run");
                    return id;
                }
            }
        }
        let finished = match outcome {
            Ok(outcome) => {
                let (status, exit_code) = match outcome.ending {
                    Ending::Exited(0) => (RunStatus::Succeeded, Some(0)),
                    Ending::Exited(code) => (RunStatus::Failed, Some(code)),
                    Ending::Trapped(_) | Ending::MemoryLimit(_) => (RunStatus::Failed, None),
                    Ending::TimedOut(_) => (RunStatus::TimedOut, None),
                    Ending::Cancelled => (RunStatus::Cancelled, None),
                };
                let error = outcome.ending.error();
                Finished {
                    status,
                    started_at,
                    finished_at: self.now(),
                    exit_code,
                    error,
                    stdout: outcome.stdout,
                    stderr: outcome.stderr,
                }
            }
            Err(error) => Finished {
                status: RunStatus::Failed,
                started_at,
                finished_at: self.now(),
                exit_code: None,
                error: Some(format!("the run could not start: {error}")),
                stdout: Default::default(),
                stderr: Default::default(),
            },
        };
        renewal.abort();
        tracing::info!(run.id = id, schedule.id = run.schedule_id, status = finished.status.as_str(),
            exit_code = ?finished.exit_code, "run finished");
        let follow_up = match self
            .follow_up(&run, finished.status, finished.finished_at)
            .await
        {
            Ok(follow_up) => follow_up,
            Err(error) => {
                tracing::error!(run.id = id, error = %error, "could not decide on a retry");
                FollowUp::default()
            }
        };
        match self
            .store
            .finish_run(id, &self.options.instance_id, &finished, &follow_up)
            .await
        {
            // A serial run its end releases may start now.
            Ok(true) => self.slot_freed.notify_one(),
            Ok(false) => tracing::warn!(
                run.id = id,
                "the run was taken from this instance (its lease ran out); its end is not recorded"
            ),
            Err(error) => {
                tracing::error!(run.id = id, error = %error, "could not record the end of a run")
            }
        }
        id
    }

    /// What follows a run that ended with `status` at `ended_at`: another
    /// attempt at its fire time while the retry policy allows one, else the
    /// schedule's failure trigger.
    async fn follow_up(
        &self,
        run: &Run,
        status: RunStatus,
        ended_at: DateTime<Utc>,
    ) -> Result<FollowUp, EngineError> {
        let mut follow_up = FollowUp::default();
        if !status.is_failure() {
            return Ok(follow_up);
        }
        let schedule = match self.store.get_schedule(run.schedule_id).await {
            Ok(schedule) => schedule,
            // Deleted meanwhile: nothing to follow.
            Err(StoreError::NotFound(_)) => return Ok(follow_up),
            Err(other) => return Err(other.into()),
        };
        let policy = schedule.retry;

        if policy.retries_after(run.attempt) {
            let due_at = ended_at + policy.delay_after(run.attempt);
            let limit = match policy.max_retries {
                -1 => "no limit".to_string(),
                n => format!("{} attempts", n + 1),
            };
            follow_up.runs.push(NewRun {
                trigger: Trigger::Retry,
                attempt: run.attempt + 1,
                due_at,
                serial: false,
                ..retry_of(run)
            });
            follow_up.events.push(NewEvent {
                run_id: Some(run.id),
                first_fire_time: Some(run.scheduled_for),
                last_fire_time: Some(run.scheduled_for),
                fire_count: 1,
                reason: format!(
                    "run {} {} on attempt {}; attempt {} ({limit}) at {}",
                    run.id,
                    status.as_str(),
                    run.attempt,
                    run.attempt + 1,
                    show(Some(due_at)),
                ),
                ..event(schedule.id, EventKind::Retried)
            });
            tracing::info!(run.id = run.id, schedule.id = schedule.id, attempt = run.attempt + 1,
                due_at = %due_at, "run failed; retrying");
            return Ok(follow_up);
        }

        let why = if policy.max_retries == 0 {
            "no retries are set".to_string()
        } else {
            format!("its {} retries are used up", policy.max_retries)
        };
        follow_up.events.push(NewEvent {
            run_id: Some(run.id),
            first_fire_time: Some(run.scheduled_for),
            last_fire_time: Some(run.scheduled_for),
            fire_count: 1,
            reason: format!(
                "run {} {} on attempt {}; {why}",
                run.id,
                status.as_str(),
                run.attempt
            ),
            ..event(schedule.id, EventKind::GaveUp)
        });
        tracing::info!(
            run.id = run.id,
            schedule.id = schedule.id,
            attempt = run.attempt,
            "run failed; giving up"
        );

        if let Some(target) = schedule.failure_trigger {
            match self.store.get_schedule(target).await {
                Ok(other) => {
                    follow_up
                        .runs
                        .push(new_run(&other, Trigger::Failure, ended_at, ended_at));
                    follow_up.events.push(NewEvent {
                        run_id: Some(run.id),
                        reason: format!("failure trigger: schedule {target} runs now"),
                        ..event(schedule.id, EventKind::FailureTriggered)
                    });
                }
                Err(StoreError::NotFound(_)) => {
                    tracing::warn!(
                        schedule.id = schedule.id,
                        failure_trigger = target,
                        "the failure trigger no longer exists"
                    );
                }
                Err(other) => return Err(other.into()),
            }
        }
        Ok(follow_up)
    }

    async fn invoke(
        &self,
        run: &Run,
        cancel: Cancel,
    ) -> Result<crate::runtime::Outcome, EngineError> {
        let module = self
            .module_of(&run.function_id, run.function_version)
            .await?;
        // Only components can make HTTP requests; modules need no grants.
        let allowed_hosts = match module.is_component() {
            true => self.store.http_grants(&run.function_id).await?,
            false => Vec::new(),
        };
        let invocation = Invocation {
            stdin: serde_json::to_vec(&run.data).unwrap_or_default(),
            env: run_environment(run),
            limits: Limits {
                timeout: Duration::from_millis(run.timeout_ms.max(1) as u64),
                ..Limits::default()
            },
            cancel,
            allowed_hosts,
            ..Invocation::default()
        };
        Ok(self.runtime.invoke(&module, invocation).await)
    }

    /// The compiled module of a function version: its hash is looked up on
    /// its first run here, its bytes read and compiled on the first run of
    /// that hash.
    async fn module_of(&self, id: &str, version: i64) -> Result<Prepared, EngineError> {
        let key = (id.to_string(), version);
        let known = self.module_hashes().get(&key).cloned();
        let hash = match known {
            Some(hash) => hash,
            None => {
                let hash = self.store.get_function(id, version).await?.module_hash;
                self.module_hashes().insert(key, hash.clone());
                hash
            }
        };
        if let Some(module) = self.runtime.cached(&hash) {
            return Ok(module);
        }
        let bytes = self.store.module_bytes(&hash).await?;
        Ok(self.runtime.prepare(&hash, &bytes)?)
    }

    fn module_hashes(&self) -> std::sync::MutexGuard<'_, HashMap<(String, i64), String>> {
        self.module_hashes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn spawn_lease_renewal(&self, run_id: i64) -> tokio::task::JoinHandle<()> {
        let engine = self.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(engine.options.lease_renewal);
            interval.tick().await;
            loop {
                interval.tick().await;
                let until = engine.now() + engine.options.lease;
                match engine
                    .store
                    .renew_lease(run_id, &engine.options.instance_id, until)
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(error) => {
                        tracing::warn!(run.id = run_id, error = %error, "lease renewal failed")
                    }
                }
            }
        })
    }
}

/// The fire times of a cron schedule from its stored `next_run_at` up to
/// now: how many there were, and the latest of them (enough for any policy).
struct PassedFireTimes {
    /// The latest fire times, oldest first.
    latest: VecDeque<DateTime<Utc>>,
    first: DateTime<Utc>,
    count: usize,
    /// True when the scan stopped at `MAX_SCANNED_FIRE_TIMES`.
    truncated: bool,
}

impl PassedFireTimes {
    fn scan(cron: &Cron, due: DateTime<Utc>, now: DateTime<Utc>) -> PassedFireTimes {
        let (latest, count, reached) = Self::scan_from(cron, due, now);
        let Some(reached) = reached else {
            return PassedFireTimes {
                latest,
                first: due,
                count,
                truncated: false,
            };
        };
        // Too many to walk: the fire times are dense, so the latest ones lie
        // in a short stretch before now. Walk that instead; the count is then
        // a lower bound.
        let window = (reached - due) / 100;
        let (latest, recent, _) = Self::scan_from(cron, (now - window).max(reached), now);
        PassedFireTimes {
            latest,
            first: due,
            count: count + recent,
            truncated: true,
        }
    }

    /// Walks fire times from `from` (included) to `now`, keeping the
    /// latest. Returns them, how many were walked, and where the walk stopped
    /// if it reached [`MAX_SCANNED_FIRE_TIMES`].
    fn scan_from(
        cron: &Cron,
        from: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> (VecDeque<DateTime<Utc>>, usize, Option<DateTime<Utc>>) {
        // Room for the catch-up runs plus the fire times that are on time.
        let keep = 2 * CatchUp::MAX_RUNS;
        let mut latest = VecDeque::with_capacity(keep);
        let mut count = 0;
        let times = cron.iter_after(from - chrono::Duration::seconds(1));
        for t in times.take_while(|t| *t <= now) {
            if count == MAX_SCANNED_FIRE_TIMES {
                return (latest, count, Some(t));
            }
            if latest.len() == keep {
                latest.pop_front();
            }
            latest.push_back(t);
            count += 1;
        }
        (latest, count, None)
    }
}

/// The policy decisions for the passed fire times of a cron schedule:
/// which are on time, which were missed and what catch-up makes of them,
/// and what overlap with runs still going makes of the rest.
fn decide(
    schedule: &Schedule,
    passed: &PassedFireTimes,
    active: ActiveRuns,
    on_time: impl Fn(DateTime<Utc>) -> bool,
    now: DateTime<Utc>,
    firing: &mut Firing,
) {
    let punctual: Vec<DateTime<Utc>> = passed
        .latest
        .iter()
        .copied()
        .filter(|t| on_time(*t))
        .collect();
    let missed_count = passed.count - punctual.len();
    let missed_kept: Vec<DateTime<Utc>> = passed
        .latest
        .iter()
        .copied()
        .filter(|t| !on_time(*t))
        .collect();
    let more = if passed.truncated { " or more" } else { "" };

    // Catch-up: which missed fire times get a run.
    let catch_up: Vec<DateTime<Utc>> = match schedule.catch_up {
        CatchUp::None => Vec::new(),
        // An on-time run covers the missed ones too.
        CatchUp::One if punctual.is_empty() => missed_kept.last().copied().into_iter().collect(),
        CatchUp::One => Vec::new(),
        CatchUp::All => {
            let skip = missed_kept.len().saturating_sub(CatchUp::MAX_RUNS);
            missed_kept[skip..].to_vec()
        }
    };
    if missed_count > 0 {
        // The caught-up fire times are the latest missed ones, so the
        // uncaught ones run from the first missed to the one before them.
        let uncaught = missed_count - catch_up.len();
        let last_uncaught = missed_kept
            .len()
            .checked_sub(catch_up.len() + 1)
            .map(|i| missed_kept[i]);
        if uncaught > 0 {
            let reason = match schedule.catch_up {
                CatchUp::None => "missed while no instance was running (catch-up: none)".into(),
                CatchUp::One if punctual.is_empty() => {
                    "missed while no instance was running; one run serves the latest \
                     (catch-up: one)"
                        .into()
                }
                CatchUp::One => {
                    "missed while no instance was running; the on-time run serves them \
                     (catch-up: one)"
                        .into()
                }
                CatchUp::All => format!(
                    "missed while no instance was running, beyond the {} runs catch-up makes \
                     (catch-up: all)",
                    CatchUp::MAX_RUNS
                ),
            };
            firing.events.push(NewEvent {
                first_fire_time: Some(passed.first),
                last_fire_time: last_uncaught,
                fire_count: uncaught as i64,
                reason: format!("{uncaught}{more} fire times {reason}"),
                ..event(schedule.id, EventKind::Skipped)
            });
        }
        if let (Some(first), Some(last)) = (catch_up.first(), catch_up.last()) {
            firing.events.push(NewEvent {
                first_fire_time: Some(*first),
                last_fire_time: Some(*last),
                fire_count: catch_up.len() as i64,
                reason: format!(
                    "{} missed fire times get a catch-up run (catch-up: {})",
                    catch_up.len(),
                    schedule.catch_up.as_str()
                ),
                ..event(schedule.id, EventKind::CaughtUp)
            });
        }
    }

    // Overlap: what the fire times that get a run do about runs still going.
    let candidates = catch_up
        .iter()
        .map(|t| (*t, Trigger::CatchUp, now))
        .chain(punctual.iter().map(|t| (*t, Trigger::Schedule, *t)));
    let blocked = match schedule.overlap {
        Overlap::Allow => false,
        Overlap::Skip => active.any(),
        Overlap::Queue => active.waiting > 0,
    };
    for (fire_time, trigger, due_at) in candidates {
        if blocked {
            let reason = match schedule.overlap {
                Overlap::Queue => {
                    "overlap: a run is already waiting for the running one (overlap: queue)"
                }
                _ => "overlap: an earlier run was still pending or running (overlap: skip)",
            };
            firing.events.push(NewEvent {
                first_fire_time: Some(fire_time),
                last_fire_time: Some(fire_time),
                fire_count: 1,
                reason: reason.to_string(),
                ..event(schedule.id, EventKind::Skipped)
            });
            continue;
        }
        firing.runs.push(NewRun {
            // Under skip and queue, runs of one schedule never overlap: each
            // waits for the one before it.
            serial: schedule.overlap != Overlap::Allow,
            ..new_run(schedule, trigger, fire_time, due_at)
        });
    }
}

/// Whether two checked definitions are the same; state (status, next fire
/// time, timestamps) does not count.
fn same_definition(a: &Schedule, b: &Schedule) -> bool {
    a.function_id == b.function_id
        && a.function_version == b.function_version
        && a.title == b.title
        && a.description == b.description
        && a.data == b.data
        && a.timing == b.timing
        && a.timezone == b.timezone
        && a.timeout_ms == b.timeout_ms
        && a.catch_up == b.catch_up
        && a.overlap == b.overlap
        && a.retry == b.retry
        && a.failure_trigger == b.failure_trigger
        && a.event_id == b.event_id
}

/// The first fire time of a schedule from `now`: the next cron slot, the
/// given instant for a one-off (a past one fires at once), none for a
/// manual schedule.
fn first_fire_time(
    schedule: &Schedule,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, EngineError> {
    Ok(match &schedule.timing {
        Timing::Cron { expression, .. } => {
            let tz = timing::parse_timezone(&schedule.timezone)?;
            Cron::new(expression, tz, now)?.next_after(now)
        }
        Timing::Once { run_at } => Some((*run_at).max(now)),
        Timing::Manual => None,
    })
}

/// A first attempt of `schedule` for `fire_time`, startable from `due_at`.
fn new_run(
    schedule: &Schedule,
    trigger: Trigger,
    fire_time: DateTime<Utc>,
    due_at: DateTime<Utc>,
) -> NewRun {
    NewRun {
        schedule_id: schedule.id,
        function_id: schedule.function_id.clone(),
        function_version: schedule.function_version,
        data: schedule.data.clone(),
        trigger,
        scheduled_for: fire_time,
        attempt: 1,
        due_at,
        timeout_ms: schedule.timeout_ms,
        serial: false,
        worker_id: schedule.worker_id.clone(),
    }
}

/// Another attempt of `run`, with the data and function it had.
fn retry_of(run: &Run) -> NewRun {
    NewRun {
        schedule_id: run.schedule_id,
        function_id: run.function_id.clone(),
        function_version: run.function_version,
        data: run.data.clone(),
        trigger: run.trigger,
        scheduled_for: run.scheduled_for,
        attempt: run.attempt,
        due_at: run.scheduled_for,
        timeout_ms: run.timeout_ms,
        serial: false,
        worker_id: run.worker_id.clone(),
    }
}

fn event(schedule_id: i64, kind: EventKind) -> NewEvent {
    NewEvent {
        schedule_id,
        kind,
        run_id: None,
        first_fire_time: None,
        last_fire_time: None,
        fire_count: 0,
        reason: String::new(),
    }
}

fn show(instant: Option<DateTime<Utc>>) -> String {
    instant.map_or_else(|| "none".to_string(), timing::rfc3339)
}

/// The variables a handler sees: which run it is, and nothing of the host.
fn run_environment(run: &Run) -> Vec<(String, String)> {
    [
        ("ENSCHEDULE_RUN_ID", run.id.to_string()),
        ("ENSCHEDULE_SCHEDULE_ID", run.schedule_id.to_string()),
        ("ENSCHEDULE_ATTEMPT", run.attempt.to_string()),
        ("ENSCHEDULE_FUNCTION_ID", run.function_id.clone()),
        (
            "ENSCHEDULE_FUNCTION_VERSION",
            run.function_version.to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Keeps the runs a step started executing in the background, in `executing`.
fn keep_executing(executing: &mut JoinSet<()>, started: Started) {
    let mut runs = started.executing;
    executing.spawn(async move { while runs.join_next().await.is_some() {} });
}

/// What a claim made between passes answers: when it began, and the runs
/// it started.
type Claimed = Result<(DateTime<Utc>, Result<Started, EngineError>), tokio::task::JoinError>;

/// Keeps the runs of a claim made between passes executing; answers when
/// the claim began, if it went through.
fn keep_claimed(executing: &mut JoinSet<()>, claimed: Claimed) -> Option<DateTime<Utc>> {
    match claimed {
        Ok((began, Ok(started))) => {
            keep_executing(executing, started);
            Some(began)
        }
        Ok((_, Err(error))) => {
            tracing::error!(error = %error, "claiming failed");
            None
        }
        Err(error) => {
            tracing::error!(error = %error, "a claim did not finish");
            None
        }
    }
}

/// Parses JSON text given for a schedule's data; the error names the field.
pub fn parse_data(text: &str) -> Result<Value, EngineError> {
    serde_json::from_str(text)
        .map_err(|e| EngineError::invalid("data", format!("not valid JSON: {e}")))
}
