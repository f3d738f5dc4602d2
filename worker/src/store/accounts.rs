//! The accounts tables: users, groups and their members, API keys, and the
//! access rules that workers, functions and schedules state.

use super::sql::RowExt;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use super::{Result, Store, StoreError, from_ms, ms, unique_violation};
use crate::access::{Kind, RuleBook};
use crate::accounts::{ApiKey, Group, User};

/// A user as stored, with the hash that proves their password.
#[derive(Debug, Clone)]
pub struct StoredUser {
    pub user: User,
    pub password_hash: String,
}

const USER_COLUMNS: &str =
    "id, name, password_hash, admin, disabled, sessions_valid_from, created_at";

const KEY_COLUMNS: &str =
    "id, user_id, name, prefix, created_at, expires_at, revoked_at, last_used_at";

impl Store {
    // ----- users -----------------------------------------------------------

    pub async fn create_user(
        &self,
        name: &str,
        password_hash: &str,
        admin: bool,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        self.sql(
            "INSERT INTO users (name, password_hash, admin, disabled, sessions_valid_from, \
             created_at, updated_at) VALUES ($1, $2, $3, 0, $4, $4, $4)",
        )
        .bind(name)
        .bind(password_hash)
        .bind(admin)
        .bind(ms(now))
        .insert_id(&self.pool)
        .await
        .map_err(|e| unique_violation(e, &format!("a user named {name} exists")))
    }

    pub async fn count_users(&self) -> Result<i64> {
        self.sql("SELECT COUNT(*) FROM users")
            .scalar(&self.pool)
            .await
    }

    /// The user called `name`, with their password hash.
    pub async fn find_user(&self, name: &str) -> Result<Option<StoredUser>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE name = $1");
        let row = self.sql(&sql).bind(name).fetch_optional(&self.pool).await?;
        match row {
            Some(row) => Ok(Some(self.stored_user(&row).await?)),
            None => Ok(None),
        }
    }

    pub async fn get_user(&self, id: i64) -> Result<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row = self
            .sql(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {id}")))?;
        Ok(self.stored_user(&row).await?.user)
    }

    /// Every user, by name.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY name");
        let rows = self.sql(&sql).fetch_all(&self.pool).await?;
        let mut users = Vec::with_capacity(rows.len());
        for row in &rows {
            users.push(self.stored_user(row).await?.user);
        }
        Ok(users)
    }

    /// Sets a new password; every session begun before `now` ends.
    pub async fn set_password(
        &self,
        id: i64,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let updated = self
            .sql(
                "UPDATE users SET password_hash = $1, sessions_valid_from = $2, updated_at = $2 \
             WHERE id = $3",
            )
            .bind(password_hash)
            .bind(ms(now))
            .bind(id)
            .execute(&self.pool)
            .await?;
        found(updated.rows_affected(), id)
    }

    pub async fn set_admin(&self, id: i64, admin: bool, now: DateTime<Utc>) -> Result<()> {
        let updated = self
            .sql("UPDATE users SET admin = $1, updated_at = $2 WHERE id = $3")
            .bind(admin)
            .bind(ms(now))
            .bind(id)
            .execute(&self.pool)
            .await?;
        found(updated.rows_affected(), id)
    }

    /// Disabling a user also ends their sessions.
    pub async fn set_disabled(&self, id: i64, disabled: bool, now: DateTime<Utc>) -> Result<()> {
        let updated = self
            .sql(
                "UPDATE users SET disabled = $1, updated_at = $2, \
             sessions_valid_from = CASE WHEN $1 = 1 THEN $2 ELSE sessions_valid_from END \
             WHERE id = $3",
            )
            .bind(disabled)
            .bind(ms(now))
            .bind(id)
            .execute(&self.pool)
            .await?;
        found(updated.rows_affected(), id)
    }

    /// Ends every session of a user begun before `now` ("sign out
    /// everywhere").
    pub async fn end_sessions(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        let updated = self
            .sql("UPDATE users SET sessions_valid_from = $1, updated_at = $1 WHERE id = $2")
            .bind(ms(now))
            .bind(id)
            .execute(&self.pool)
            .await?;
        found(updated.rows_affected(), id)
    }

    async fn stored_user(&self, row: &AnyRow) -> Result<StoredUser> {
        let id: i64 = row.cell("id")?;
        let groups = self
            .sql(
                "SELECT g.name FROM \"groups\" g JOIN group_members m ON m.group_id = g.id \
             WHERE m.user_id = $1 ORDER BY g.name",
            )
            .bind(id)
            .scalars(&self.pool)
            .await?;
        Ok(StoredUser {
            user: User {
                id,
                name: row.cell("name")?,
                admin: row.cell("admin")?,
                disabled: row.cell("disabled")?,
                groups,
                sessions_valid_from: from_ms(row.cell("sessions_valid_from")?),
                created_at: from_ms(row.cell("created_at")?),
            },
            password_hash: row.cell("password_hash")?,
        })
    }

    // ----- groups ----------------------------------------------------------

    pub async fn create_group(&self, name: &str, now: DateTime<Utc>) -> Result<i64> {
        self.sql("INSERT INTO \"groups\" (name, created_at) VALUES ($1, $2)")
            .bind(name)
            .bind(ms(now))
            .insert_id(&self.pool)
            .await
            .map_err(|e| unique_violation(e, &format!("a group named {name} exists")))
    }

    /// Every group with its members, by name.
    pub async fn list_groups(&self) -> Result<Vec<Group>> {
        let rows = self
            .sql(
                "SELECT g.id, g.name, u.name AS member FROM \"groups\" g \
             LEFT JOIN group_members m ON m.group_id = g.id \
             LEFT JOIN users u ON u.id = m.user_id ORDER BY g.name, u.name",
            )
            .fetch_all(&self.pool)
            .await?;
        let mut groups: Vec<Group> = Vec::new();
        for row in &rows {
            let id: i64 = row.cell("id")?;
            let member: Option<String> = row.cell("member")?;
            match groups.last_mut() {
                Some(group) if group.id == id => group.members.extend(member),
                _ => groups.push(Group {
                    id,
                    name: row.cell("name")?,
                    members: member.into_iter().collect(),
                }),
            }
        }
        Ok(groups)
    }

    pub async fn add_member(&self, group_id: i64, user_id: i64) -> Result<()> {
        self.sql("INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)")
            .bind(group_id)
            .bind(user_id)
            .ignore_duplicates()
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn remove_member(&self, group_id: i64, user_id: i64) -> Result<()> {
        self.sql("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
            .bind(group_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delete_group(&self, id: i64) -> Result<()> {
        let deleted = self
            .sql("DELETE FROM \"groups\" WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("group {id}")));
        }
        Ok(())
    }

    // ----- API keys --------------------------------------------------------

    /// Stores a new key by its hash; the caller shows the key once.
    pub async fn insert_api_key(
        &self,
        user_id: i64,
        name: &str,
        prefix: &str,
        key_hash: &str,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        self.sql(
            "INSERT INTO api_keys (user_id, name, prefix, key_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(user_id)
        .bind(name)
        .bind(prefix)
        .bind(key_hash)
        .bind(ms(now))
        .bind(expires_at.map(ms))
        .insert_id(&self.pool)
        .await
    }

    /// The key with this hash and its owner, noting its use, if it is live at
    /// `now` (not revoked, not expired) and its owner is not disabled.
    pub async fn use_api_key(&self, key_hash: &str, now: DateTime<Utc>) -> Result<Option<User>> {
        let user_id: Option<i64> = self
            .sql(
                "SELECT k.user_id FROM api_keys k JOIN users u ON u.id = k.user_id \
                 WHERE k.key_hash = $1 AND k.revoked_at IS NULL \
                 AND (k.expires_at IS NULL OR k.expires_at > $2) AND u.disabled = 0 \
                 AND (k.name <> $3 OR k.created_at >= u.sessions_valid_from)",
            )
            .bind(key_hash)
            .bind(ms(now))
            .bind(crate::accounts::LOGIN_TOKEN)
            .optional_scalar(&self.pool)
            .await?;
        let Some(id) = user_id else {
            return Ok(None);
        };
        self.sql("UPDATE api_keys SET last_used_at = $1 WHERE key_hash = $2")
            .bind(ms(now))
            .bind(key_hash)
            .execute(&self.pool)
            .await?;
        Ok(Some(self.get_user(id).await?))
    }

    /// A user's keys, newest first; all keys when `user_id` is `None`.
    pub async fn list_api_keys(&self, user_id: Option<i64>) -> Result<Vec<ApiKey>> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE ($1 IS NULL OR user_id = $1) \
             ORDER BY id DESC"
        );
        let rows = self.sql(&sql).bind(user_id).fetch_all(&self.pool).await?;
        rows.iter().map(key_from_row).collect()
    }

    /// Revokes the key with this hash, if there is one: signing out of a
    /// dashboard that signed in through the API.
    pub async fn revoke_api_key_by_hash(&self, key_hash: &str, now: DateTime<Utc>) -> Result<()> {
        self.sql("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE key_hash = $2")
            .bind(ms(now))
            .bind(key_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn revoke_api_key(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        let revoked = self
            .sql("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2")
            .bind(ms(now))
            .bind(id)
            .execute(&self.pool)
            .await?;
        if revoked.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("API key {id}")));
        }
        Ok(())
    }

    // ----- access rules ----------------------------------------------------

    /// The rules a worker (`worker_id`), function (`id@version`) or schedule
    /// (its id) states, as JSON; `None` when it states none.
    pub async fn access_rules(&self, kind: Kind, target: &str) -> Result<Option<String>> {
        self.sql("SELECT rules FROM access_rules WHERE target_kind = $1 AND target_id = $2")
            .bind(kind_name(kind)?)
            .bind(target)
            .optional_scalar(&self.pool)
            .await
    }

    /// Every stored rule set of one kind: `(target, rules JSON)`.
    pub async fn all_access_rules(&self, kind: Kind) -> Result<Vec<(String, String)>> {
        let rows = self.sql(
            "SELECT target_id, rules FROM access_rules WHERE target_kind = $1 ORDER BY target_id",
        )
        .bind(kind_name(kind)?)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.cell("target_id")?, row.cell("rules")?)))
            .collect()
    }

    /// Replaces the rules a target states; `None` removes them, so it
    /// inherits again.
    pub async fn set_access_rules(
        &self,
        kind: Kind,
        target: &str,
        rules: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let kind = kind_name(kind)?;
        match rules {
            Some(rules) => {
                self.sql(&format!(
                    "INSERT INTO access_rules (target_kind, target_id, rules, updated_at) \
                         VALUES ($1, $2, $3, $4){}",
                    self.dialect
                        .upsert("target_kind, target_id", &["rules", "updated_at"])
                ))
                .bind(kind)
                .bind(target)
                .bind(rules)
                .bind(ms(now))
                .execute(&self.pool)
                .await?
            }
            None => {
                self.sql("DELETE FROM access_rules WHERE target_kind = $1 AND target_id = $2")
                    .bind(kind)
                    .bind(target)
                    .execute(&self.pool)
                    .await?
            }
        };
        Ok(())
    }

    /// Every stored rule set, parsed: what access decisions are made from.
    pub async fn rule_book(&self) -> Result<RuleBook> {
        fn parse<T: serde::de::DeserializeOwned>(target: &str, json: &str) -> Result<T> {
            serde_json::from_str(json).map_err(|e| {
                StoreError::Corrupt(format!("the access rules of {target} are unreadable: {e}"))
            })
        }

        let mut book = RuleBook::default();
        for (target, json) in self.all_access_rules(Kind::Worker).await? {
            let rules = parse(&target, &json)?;
            book.workers.insert(target, rules);
        }
        for (target, json) in self.all_access_rules(Kind::Function).await? {
            let rules = parse(&target, &json)?;
            book.functions.insert(target, rules);
        }
        for (target, json) in self.all_access_rules(Kind::Schedule).await? {
            let rules = parse(&target, &json)?;
            let id = target.parse().map_err(|_| {
                StoreError::Corrupt(format!("access rules name schedule `{target}`"))
            })?;
            book.schedules.insert(id, rules);
        }
        Ok(book)
    }
}

fn found(rows: u64, user_id: i64) -> Result<()> {
    if rows == 0 {
        return Err(StoreError::NotFound(format!("user {user_id}")));
    }
    Ok(())
}

/// Runs state no rules of their own: they inherit from their schedule.
fn kind_name(kind: Kind) -> Result<&'static str> {
    match kind {
        Kind::Worker => Ok("worker"),
        Kind::Function => Ok("function"),
        Kind::Schedule => Ok("schedule"),
        Kind::Run => Err(StoreError::Conflict(
            "runs have no access rules of their own; set their schedule's run access".into(),
        )),
    }
}

fn key_from_row(row: &AnyRow) -> Result<ApiKey> {
    let at = |column: &str| -> Result<Option<DateTime<Utc>>> {
        Ok(row.cell::<Option<i64>>(column)?.map(from_ms))
    };
    Ok(ApiKey {
        id: row.cell("id")?,
        user_id: row.cell("user_id")?,
        name: row.cell("name")?,
        prefix: row.cell("prefix")?,
        created_at: from_ms(row.cell("created_at")?),
        expires_at: at("expires_at")?,
        revoked_at: at("revoked_at")?,
        last_used_at: at("last_used_at")?,
    })
}
