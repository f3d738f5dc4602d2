//! Schedules and the versions of their function: how many schedules each
//! version has, and a schedule's *move* to another version with new data.

use super::sql::RowExt;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{NewEvent, Result, Store, ms};
use crate::model::Schedule;

impl Store {
    /// How many schedules each version of a function has, by version; a
    /// version with no function row (`NO_WORKER`) counts too.
    pub async fn schedule_counts_by_version(&self, function_id: &str) -> Result<Vec<(i64, i64)>> {
        let rows = self
            .sql(
                "SELECT function_version, COUNT(*) AS n FROM schedules WHERE function_id = $1 \
             GROUP BY function_version ORDER BY function_version",
            )
            .bind(function_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok((row.cell("function_version")?, row.cell("n")?)))
            .collect()
    }

    /// Moves `schedule` to version `to` of its function with `data`, and
    /// records `event`, in one transaction. Only a schedule still as it was
    /// read moves (same version, not updated since): answers false, storing
    /// nothing, when someone changed it meanwhile.
    pub async fn move_schedule(
        &self,
        schedule: &Schedule,
        to: i64,
        data: &Value,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let moved = self
            .sql(
                "UPDATE schedules SET function_version = $1, data = $2, updated_at = $3 \
             WHERE id = $4 AND function_id = $5 AND function_version = $6 AND updated_at = $7",
            )
            .bind(to)
            .bind(data.to_string())
            .bind(ms(now))
            .bind(schedule.id)
            .bind(&schedule.function_id)
            .bind(schedule.function_version)
            .bind(ms(schedule.updated_at))
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        self.insert_event_in(&mut tx, event, now).await?;
        tx.commit().await?;
        Ok(true)
    }
}
