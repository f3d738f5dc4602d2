//! The queue: from schedules to finished runs.
//!
//! A *fire time* of an active schedule becomes a `pending` run exactly once
//! (the store's unique index on schedule, fire time and attempt sees to
//! that). An instance *claims* due pending runs with a lease, executes them in
//! the sandbox, and records how they ended. [`Engine::tick`] is one pass of
//! that, on the engine's clock, so tests can drive it step by step;
//! [`Engine::run_until_stopped`] repeats it, sleeping until the next due time.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

use crate::clock::Clock;
use crate::manifest::{self, Manifest, ManifestError};
use crate::model::{
    Function, NewSchedule, Run, RunStatus, Schedule, ScheduleStatus, Timing, Trigger,
};
use crate::runtime::{Ending, Invocation, Limits, Runtime, RuntimeError};
use crate::store::{Finished, NewRun, Registered, Store, StoreError};
use crate::timing::{self, Cron, TimingError};

/// Settings of one engine instance.
#[derive(Debug, Clone)]
pub struct EngineOptions {
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
    /// For schedules that name no timezone.
    pub default_timezone: Tz,
    /// For schedules that set no timeout.
    pub default_timeout: Duration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            instance_id: "inline".to_string(),
            concurrency: 16,
            lease: Duration::from_secs(30),
            lease_renewal: Duration::from_secs(10),
            poll_interval: Duration::from_secs(1),
            default_timezone: Tz::UTC,
            default_timeout: crate::runtime::DEFAULT_TIMEOUT,
        }
    }
}

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

/// The engine: a store, a sandbox and a clock. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    store: Store,
    runtime: Runtime,
    clock: Arc<dyn Clock>,
    options: Arc<EngineOptions>,
    wake: Arc<Notify>,
    slots: Arc<Semaphore>,
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
            slots,
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

        let registered = self
            .store
            .register_function(&manifest, module, self.now())
            .await?;
        Ok((manifest, registered))
    }

    /// Checks and stores a new schedule, with its first fire time.
    pub async fn create_schedule(&self, new: NewSchedule) -> Result<Schedule, EngineError> {
        let function = self
            .store
            .get_function(&new.function_id, new.function_version)
            .await?;
        if let Err(problem) = manifest::check_data(&function.data_schema, &new.data) {
            return Err(EngineError::invalid("data", problem));
        }
        let title = new.title.trim();
        let title = if title.is_empty() {
            function.title.clone()
        } else {
            title.to_string()
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

        let now = self.now();
        let timing = match new.timing {
            Timing::Cron { expression } => Timing::Cron {
                expression: expression.trim().to_string(),
            },
            other => other,
        };
        let next_run_at = first_fire_time(&timing, timezone, now)?;
        let mut schedule = Schedule {
            id: 0,
            function_id: function.id,
            function_version: function.version,
            title,
            description: new.description.trim().to_string(),
            data: new.data,
            timing,
            timezone: timezone.name().to_string(),
            timeout_ms,
            status: ScheduleStatus::Active,
            next_run_at,
            created_at: now,
            updated_at: now,
        };
        schedule.id = self.store.insert_schedule(&schedule).await?;
        tracing::info!(schedule.id = schedule.id, next_run_at = ?schedule.next_run_at, "schedule created");
        self.wake.notify_one();
        Ok(schedule)
    }

    /// *Run now*: a manual run that starts at once and leaves the schedule's
    /// next fire time alone.
    pub async fn run_now(&self, schedule_id: i64) -> Result<Run, EngineError> {
        let schedule = self.store.get_schedule(schedule_id).await?;
        let now = self.now();
        let run = NewRun {
            schedule_id,
            function_id: schedule.function_id.clone(),
            function_version: schedule.function_version,
            data: schedule.data.clone(),
            trigger: Trigger::Manual,
            scheduled_for: now,
            attempt: 1,
            due_at: now,
            timeout_ms: schedule.timeout_ms,
        };
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

    /// One pass: mark runs with expired leases lost, turn due fire times into
    /// runs, then claim due runs and execute them to their end.
    pub async fn tick(&self) -> Result<TickOutcome, EngineError> {
        let lost = self.sweep().await?;
        let fired = self.fire_due_schedules().await?;
        let mut executing = JoinSet::new();
        for run in self.claim().await? {
            let engine = self.clone();
            executing.spawn(async move { engine.execute(run).await });
        }
        let mut executed = Vec::new();
        while let Some(done) = executing.join_next().await {
            if let Ok(id) = done {
                executed.push(id);
            }
        }
        executed.sort_unstable();
        Ok(TickOutcome {
            fired,
            executed,
            lost,
        })
    }

    /// Runs the engine until `stop` resolves. Runs execute concurrently up to
    /// the concurrency limit; a long run holds no other back. On stop, claiming
    /// ends and the runs under way are awaited.
    pub async fn run_until_stopped(self, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        let mut executing = JoinSet::new();
        loop {
            if let Err(error) = self.step(&mut executing).await {
                tracing::error!(error = %error, "engine step failed");
            }
            while executing.try_join_next().is_some() {}

            let sleep = self.sleep_duration().await;
            tokio::select! {
                _ = &mut stop => break,
                _ = tokio::time::sleep(sleep) => {}
                _ = self.wake.notified() => {}
            }
        }
        tracing::info!(
            running = executing.len(),
            "engine stopping; waiting for runs under way"
        );
        while executing.join_next().await.is_some() {}
    }

    /// One step of the loop: like [`Engine::tick`], but runs are left executing.
    async fn step(&self, executing: &mut JoinSet<i64>) -> Result<(), EngineError> {
        self.sweep().await?;
        self.fire_due_schedules().await?;
        let free = self.slots.available_permits();
        if free == 0 {
            return Ok(());
        }
        for run in self.claim_up_to(free as i64).await? {
            let engine = self.clone();
            let permit = self.slots.clone().acquire_owned().await;
            executing.spawn(async move {
                let id = engine.execute(run).await;
                drop(permit);
                // A slot is free: look for more work at once.
                engine.wake.notify_one();
                id
            });
        }
        Ok(())
    }

    /// How long to sleep: until the next due time, at most the poll interval.
    async fn sleep_duration(&self) -> Duration {
        let poll = self.options.poll_interval;
        match self.store.next_due_at().await {
            Ok(Some(at)) => (at - self.now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(poll),
            Ok(None) => poll,
            Err(error) => {
                tracing::error!(error = %error, "could not read the next due time");
                poll
            }
        }
    }

    async fn sweep(&self) -> Result<Vec<i64>, EngineError> {
        let lost = self.store.sweep_lost_runs(self.now()).await?;
        for id in &lost {
            tracing::warn!(run.id = id, "run lost: its lease expired");
        }
        Ok(lost)
    }

    /// Turns the due fire times of active schedules into runs. When several
    /// fire times were missed (the process was down), one run serves the
    /// latest of them and the schedule moves on to its next fire time.
    async fn fire_due_schedules(&self) -> Result<Vec<i64>, EngineError> {
        let now = self.now();
        let mut fired = Vec::new();
        for schedule in self.store.due_schedules(now, 1000).await? {
            let Some(due) = schedule.next_run_at else {
                continue;
            };
            let (fire_time, next) = match &schedule.timing {
                Timing::Cron { expression } => {
                    let cron =
                        Cron::new(expression, timing::parse_timezone(&schedule.timezone)?, now)?;
                    let latest = cron
                        .iter_after(due)
                        .take_while(|t| *t <= now)
                        .last()
                        .unwrap_or(due);
                    (latest, cron.next_after(latest))
                }
                Timing::Once { .. } | Timing::Manual => (due, None),
            };
            let run = NewRun {
                schedule_id: schedule.id,
                function_id: schedule.function_id.clone(),
                function_version: schedule.function_version,
                data: schedule.data.clone(),
                trigger: Trigger::Schedule,
                scheduled_for: fire_time,
                attempt: 1,
                due_at: fire_time,
                timeout_ms: schedule.timeout_ms,
            };
            if let Some(id) = self.store.fire(schedule.id, due, next, &run, now).await? {
                if fire_time != due {
                    tracing::info!(schedule.id = schedule.id, missed_from = %due, fire_time = %fire_time,
                        "fire times were missed; one run serves the latest");
                }
                tracing::debug!(schedule.id = schedule.id, run.id = id, fire_time = %fire_time, "fired");
                fired.push(id);
            }
        }
        Ok(fired)
    }

    async fn claim(&self) -> Result<Vec<Run>, EngineError> {
        self.claim_up_to(self.options.concurrency as i64).await
    }

    async fn claim_up_to(&self, limit: i64) -> Result<Vec<Run>, EngineError> {
        let now = self.now();
        let lease_until = now + self.options.lease;
        Ok(self
            .store
            .claim_runs(&self.options.instance_id, now, lease_until, limit)
            .await?)
    }

    /// Executes a claimed run and records its end; returns the run's id.
    /// Failures to record are logged: the lease then expires and the sweeper
    /// marks the run lost, so it is never left running.
    async fn execute(&self, run: Run) -> i64 {
        let id = run.id;
        let started_at = self.now();
        let renewal = self.spawn_lease_renewal(id);
        let finished = match self.invoke(&run).await {
            Ok(outcome) => {
                let (status, exit_code, error) = match &outcome.ending {
                    Ending::Exited(0) => (RunStatus::Succeeded, Some(0), None),
                    Ending::Exited(code) => (RunStatus::Failed, Some(*code), None),
                    Ending::Trapped(message) => (RunStatus::Failed, None, Some(message.clone())),
                    Ending::TimedOut(limit) => (
                        RunStatus::TimedOut,
                        None,
                        Some(format!("timed out after {}", humanize(*limit))),
                    ),
                };
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
        if let Err(error) = self.store.finish_run(id, &finished).await {
            tracing::error!(run.id = id, error = %error, "could not record the end of a run");
        }
        id
    }

    async fn invoke(&self, run: &Run) -> Result<crate::runtime::Outcome, EngineError> {
        let function = self
            .store
            .get_function(&run.function_id, run.function_version)
            .await?;
        let module = self.load(&function).await?;
        let invocation = Invocation {
            stdin: serde_json::to_vec(&run.data).unwrap_or_default(),
            env: run_environment(run),
            limits: Limits {
                timeout: Duration::from_millis(run.timeout_ms.max(1) as u64),
                ..Limits::default()
            },
        };
        Ok(self.runtime.invoke(&module, invocation).await)
    }

    async fn load(
        &self,
        function: &Function,
    ) -> Result<crate::runtime::InstancePreHandle, EngineError> {
        // Compiled modules are kept by hash; the bytes are read only once.
        if let Some(module) = self.runtime.cached(&function.module_hash) {
            return Ok(module);
        }
        let bytes = self.store.module_bytes(&function.module_hash).await?;
        Ok(self.runtime.prepare(&function.module_hash, &bytes)?)
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

/// The first fire time of a new schedule: the next cron slot after `now`,
/// the given instant for a one-off (a past one fires at once), none for a
/// manual schedule.
fn first_fire_time(
    timing: &Timing,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, EngineError> {
    Ok(match timing {
        Timing::Cron { expression } => Cron::new(expression, tz, now)?.next_after(now),
        Timing::Once { run_at } => Some((*run_at).max(now)),
        Timing::Manual => None,
    })
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

fn humanize(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

/// Parses JSON text given for a schedule's data; the error names the field.
pub fn parse_data(text: &str) -> Result<Value, EngineError> {
    serde_json::from_str(text)
        .map_err(|e| EngineError::invalid("data", format!("not valid JSON: {e}")))
}
