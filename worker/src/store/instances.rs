//! The workers and worker instances tables.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{Result, Store, StoreError, from_ms, ms};
use crate::instance::{Instance, Registration, Worker};

const INSTANCE_COLUMNS: &str = "id, worker_id, hostname, version, concurrency, functions, \
     started_at, heartbeat_at, stopped_at";

impl Store {
    /// Registers an instance and answers the version of its worker: the
    /// version its definitions had before, or for definitions never seen, one
    /// more than the worker's highest (1 for a new worker). The worker shows
    /// the title, description and version of its most recent start.
    pub async fn register_instance(
        &self,
        registration: &Registration,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let hash = registration.definitions_hash();
        let worker_id = &registration.worker_id;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO workers (id, title, description, version, definitions_hash, updated_at) \
             VALUES ($1, $2, $3, 0, $4, $5) ON CONFLICT (id) DO NOTHING",
        )
        .bind(worker_id)
        .bind(&registration.title)
        .bind(&registration.description)
        .bind(&hash)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let known: Option<i64> = sqlx::query_scalar(
            "SELECT version FROM worker_versions WHERE worker_id = $1 AND definitions_hash = $2",
        )
        .bind(worker_id)
        .bind(&hash)
        .fetch_optional(&mut *tx)
        .await?;
        let version = match known {
            Some(version) => version,
            None => {
                let version: i64 = sqlx::query_scalar(
                    "SELECT COALESCE(MAX(version), 0) + 1 FROM worker_versions \
                     WHERE worker_id = $1",
                )
                .bind(worker_id)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
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
        sqlx::query(
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
        sqlx::query(
            "INSERT INTO worker_instances (id, worker_id, hostname, version, concurrency, \
               functions, started_at, heartbeat_at, stopped_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, NULL) \
             ON CONFLICT (id) DO UPDATE SET worker_id = excluded.worker_id, \
               hostname = excluded.hostname, version = excluded.version, \
               concurrency = excluded.concurrency, functions = excluded.functions, \
               started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, \
               stopped_at = NULL",
        )
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
        let beat = sqlx::query(
            "UPDATE worker_instances SET heartbeat_at = $1, stopped_at = NULL WHERE id = $2",
        )
        .bind(ms(now))
        .bind(instance_id)
        .execute(&self.pool)
        .await?;
        Ok(beat.rows_affected() == 1)
    }

    /// Records that an instance stopped cleanly.
    pub async fn stop_instance(&self, instance_id: &str, now: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE worker_instances SET stopped_at = $1 WHERE id = $2")
            .bind(ms(now))
            .bind(instance_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every worker, by id.
    pub async fn list_workers(&self) -> Result<Vec<Worker>> {
        let rows = sqlx::query(
            "SELECT id, title, description, version, updated_at FROM workers ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Worker {
                    id: row.try_get("id")?,
                    title: row.try_get("title")?,
                    description: row.try_get("description")?,
                    version: row.try_get("version")?,
                    updated_at: from_ms(row.try_get("updated_at")?),
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
            "SELECT {INSTANCE_COLUMNS} FROM worker_instances ORDER BY worker_id, heartbeat_at DESC"
        );
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(instance_from_row).collect()
    }
}

fn instance_from_row(row: &SqliteRow) -> Result<Instance> {
    let id: String = row.try_get("id")?;
    let functions: String = row.try_get("functions")?;
    Ok(Instance {
        functions: serde_json::from_str(&functions)
            .map_err(|e| StoreError::Corrupt(format!("functions of instance {id}: {e}")))?,
        id,
        worker_id: row.try_get("worker_id")?,
        hostname: row.try_get("hostname")?,
        version: row.try_get("version")?,
        concurrency: row.try_get("concurrency")?,
        started_at: from_ms(row.try_get("started_at")?),
        heartbeat_at: from_ms(row.try_get("heartbeat_at")?),
        stopped_at: row.try_get::<Option<i64>, _>("stopped_at")?.map(from_ms),
    })
}
