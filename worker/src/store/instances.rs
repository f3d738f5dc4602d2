//! The workers and worker instances tables.

use super::sql::RowExt;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use super::{Result, Store, StoreError, from_ms, ms};
use crate::instance::{Instance, Registration, Worker};

const INSTANCE_COLUMNS: &str = "id, worker_id, hostname, version, concurrency, functions, \
     started_at, heartbeat_at, stopped_at";

impl Store {
    /// Registers an instance and answers the version of its worker: the
    /// version its definitions had before, or for definitions never seen, one
    /// more than the worker's highest (1 for a new worker). The worker shows
    /// the title, description and version of its most recent start.
    ///
    /// Instances of a new worker that start together may race to create its
    /// first version; the loser sees a duplicate key and tries once more,
    /// then finds the winner's version.
    pub async fn register_instance(
        &self,
        registration: &Registration,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        const ATTEMPTS: usize = 5;
        for attempt in 1.. {
            match self.try_register_instance(registration, now).await {
                Err(error) if attempt < ATTEMPTS && error.is_transient() => {
                    tracing::debug!(%error, attempt, "registering again");
                }
                result => return result,
            }
        }
        unreachable!("the loop returns on its last attempt")
    }

    async fn try_register_instance(
        &self,
        registration: &Registration,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let hash = registration.definitions_hash();
        let worker_id = &registration.worker_id;
        let mut tx = self.pool.begin().await?;
        self.sql(
            "INSERT INTO workers (id, title, description, version, definitions_hash, updated_at) \
             VALUES ($1, $2, $3, 0, $4, $5)",
        )
        .bind(worker_id)
        .bind(&registration.title)
        .bind(&registration.description)
        .bind(&hash)
        .bind(ms(now))
        .ignore_duplicates()
        .execute(&mut *tx)
        .await?;
        let known: Option<i64> = self.sql(
            "SELECT version FROM worker_versions WHERE worker_id = $1 AND definitions_hash = $2",
        )
        .bind(worker_id)
        .bind(&hash)
        .optional_scalar(&mut *tx)
        .await?;
        let version = match known {
            Some(version) => version,
            None => {
                let version: i64 = self
                    .sql(
                        "SELECT COALESCE(MAX(version), 0) + 1 FROM worker_versions \
                     WHERE worker_id = $1",
                    )
                    .bind(worker_id)
                    .scalar(&mut *tx)
                    .await?;
                self.sql(
                    "INSERT INTO worker_versions (worker_id, version, definitions_hash, \
                     created_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(worker_id)
                .bind(version)
                .bind(&hash)
                .bind(ms(now))
                .execute(&mut *tx)
                .await?;
                version
            }
        };
        self.sql(
            "UPDATE workers SET title = $1, description = $2, version = $3, \
             definitions_hash = $4, updated_at = $5 WHERE id = $6",
        )
        .bind(&registration.title)
        .bind(&registration.description)
        .bind(version)
        .bind(&hash)
        .bind(ms(now))
        .bind(worker_id)
        .execute(&mut *tx)
        .await?;
        let functions = serde_json::to_string(&registration.functions)
            .map_err(|e| StoreError::Corrupt(format!("instance functions: {e}")))?;
        self.sql(&format!(
            "INSERT INTO worker_instances (id, worker_id, hostname, version, concurrency, \
                   functions, started_at, heartbeat_at, stopped_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7, NULL){}",
            self.dialect.upsert(
                "id",
                &[
                    "worker_id",
                    "hostname",
                    "version",
                    "concurrency",
                    "functions",
                    "started_at",
                    "heartbeat_at",
                    "stopped_at",
                ],
            )
        ))
        .bind(&registration.instance_id)
        .bind(&registration.worker_id)
        .bind(&registration.hostname)
        .bind(version)
        .bind(registration.concurrency as i64)
        .bind(&functions)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// Records a heartbeat; false when the instance is not registered.
    pub async fn heartbeat(&self, instance_id: &str, now: DateTime<Utc>) -> Result<bool> {
        let beat = self
            .sql("UPDATE worker_instances SET heartbeat_at = $1, stopped_at = NULL WHERE id = $2")
            .bind(ms(now))
            .bind(instance_id)
            .execute(&self.pool)
            .await?;
        Ok(beat.rows_affected() == 1)
    }

    /// Records that an instance stopped cleanly.
    pub async fn stop_instance(&self, instance_id: &str, now: DateTime<Utc>) -> Result<()> {
        self.sql("UPDATE worker_instances SET stopped_at = $1 WHERE id = $2")
            .bind(ms(now))
            .bind(instance_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every worker, by id.
    pub async fn list_workers(&self) -> Result<Vec<Worker>> {
        let rows = self
            .sql("SELECT id, title, description, version, updated_at FROM workers ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Worker {
                    id: row.cell("id")?,
                    title: row.cell("title")?,
                    description: row.cell("description")?,
                    version: row.cell("version")?,
                    updated_at: from_ms(row.cell("updated_at")?),
                })
            })
            .collect()
    }

    /// Every worker with its instances, most recent heartbeat first.
    pub async fn workers_with_instances(&self) -> Result<Vec<(Worker, Vec<Instance>)>> {
        let mut instances = self.list_instances().await?;
        Ok(self
            .list_workers()
            .await?
            .into_iter()
            .map(|worker| {
                let (own, others) = instances
                    .drain(..)
                    .partition(|i: &Instance| i.worker_id == worker.id);
                instances = others;
                (worker, own)
            })
            .collect())
    }

    /// Every instance, by worker and then most recent heartbeat first.
    pub async fn list_instances(&self) -> Result<Vec<Instance>> {
        let sql = format!(
            "SELECT {INSTANCE_COLUMNS} FROM worker_instances \
             ORDER BY worker_id, heartbeat_at DESC, id"
        );
        let rows = self.sql(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(instance_from_row).collect()
    }
}

fn instance_from_row(row: &AnyRow) -> Result<Instance> {
    let id: String = row.cell("id")?;
    let functions: String = row.cell("functions")?;
    Ok(Instance {
        functions: serde_json::from_str(&functions)
            .map_err(|e| StoreError::Corrupt(format!("functions of instance {id}: {e}")))?,
        id,
        worker_id: row.cell("worker_id")?,
        hostname: row.cell("hostname")?,
        version: row.cell("version")?,
        concurrency: row.cell("concurrency")?,
        started_at: from_ms(row.cell("started_at")?),
        heartbeat_at: from_ms(row.cell("heartbeat_at")?),
        stopped_at: row.cell::<Option<i64>>("stopped_at")?.map(from_ms),
    })
}
