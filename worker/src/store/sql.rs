//! Speaking SQL to three databases with one set of queries.
//!
//! The store's statements are written once, with `$1`-style parameters, in
//! the SQL that SQLite, PostgreSQL and MySQL/MariaDB share. [`Sql`] carries a
//! statement with its parameters to whichever database the store is on:
//! MySQL numbers no parameters, so there each `$n` becomes a `?` and the
//! values are bound in the order the placeholders occur, repeats included.
//! The few statements the databases spell differently (inserts that return
//! their id or skip duplicates, upserts, claiming) ask the [`Dialect`].
//!
//! Rows are read through [`RowExt::cell`], which also accepts text that
//! MySQL reports as a blob (its `LONGTEXT` columns).

use std::fmt::Display;

use sqlx::any::{AnyArguments, AnyQueryResult, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, ColumnIndex, Executor, Row};

use super::{Result, StoreError};

/// Which SQL database the store is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
    MySql,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "SQLite",
            Dialect::Postgres => "PostgreSQL",
            Dialect::MySql => "MySQL/MariaDB",
        }
    }

    /// The tail of an `INSERT` that updates `columns` from the new row when
    /// the row exists already (by its primary key or a unique index named in
    /// `conflict`, which MySQL finds by itself).
    pub(crate) fn upsert(self, conflict: &str, columns: &[&str]) -> String {
        let updates = |new: &dyn Fn(&str) -> String| -> String {
            columns
                .iter()
                .map(|c| format!("{c} = {}", new(c)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Dialect::MySql => {
                format!(
                    " ON DUPLICATE KEY UPDATE {}",
                    updates(&|c| format!("VALUES({c})"))
                )
            }
            Dialect::Sqlite | Dialect::Postgres => format!(
                " ON CONFLICT ({conflict}) DO UPDATE SET {}",
                updates(&|c| format!("excluded.{c}"))
            ),
        }
    }
}

/// A value bound to a statement: every column is an integer, a text or a
/// blob (instants are milliseconds, flags 0 and 1).
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Vec<u8>),
}

impl From<i64> for Param {
    fn from(value: i64) -> Param {
        Param::Int(Some(value))
    }
}

impl From<Option<i64>> for Param {
    fn from(value: Option<i64>) -> Param {
        Param::Int(value)
    }
}

impl From<i32> for Param {
    fn from(value: i32) -> Param {
        Param::Int(Some(value.into()))
    }
}

impl From<Option<i32>> for Param {
    fn from(value: Option<i32>) -> Param {
        Param::Int(value.map(i64::from))
    }
}

impl From<bool> for Param {
    fn from(value: bool) -> Param {
        Param::Int(Some(value.into()))
    }
}

impl From<&str> for Param {
    fn from(value: &str) -> Param {
        Param::Text(Some(value.to_string()))
    }
}

impl From<String> for Param {
    fn from(value: String) -> Param {
        Param::Text(Some(value))
    }
}

impl From<&String> for Param {
    fn from(value: &String) -> Param {
        Param::Text(Some(value.clone()))
    }
}

impl From<Option<&str>> for Param {
    fn from(value: Option<&str>) -> Param {
        Param::Text(value.map(str::to_string))
    }
}

impl From<Option<String>> for Param {
    fn from(value: Option<String>) -> Param {
        Param::Text(value)
    }
}

impl From<&Option<String>> for Param {
    fn from(value: &Option<String>) -> Param {
        Param::Text(value.clone())
    }
}

impl From<&[u8]> for Param {
    fn from(value: &[u8]) -> Param {
        Param::Bytes(value.to_vec())
    }
}

impl From<&Vec<u8>> for Param {
    fn from(value: &Vec<u8>) -> Param {
        Param::Bytes(value.clone())
    }
}

impl Param {
    fn bind_to<'q>(
        &'q self,
        query: Query<'q, Any, AnyArguments<'q>>,
    ) -> Query<'q, Any, AnyArguments<'q>> {
        match self {
            Param::Int(value) => query.bind(*value),
            Param::Text(value) => query.bind(value.as_deref()),
            Param::Bytes(value) => query.bind(value.as_slice()),
        }
    }
}

/// A statement with its parameters, ready for one database.
#[derive(Debug)]
pub(crate) struct Sql {
    dialect: Dialect,
    text: String,
    params: Vec<Param>,
    /// For MySQL: which parameter each `?` takes, in order.
    order: Option<Vec<usize>>,
}

impl Sql {
    pub fn new(dialect: Dialect, text: &str) -> Sql {
        let (text, order) = match dialect {
            Dialect::MySql => {
                let (text, order) = positional(text);
                (text, Some(order))
            }
            Dialect::Sqlite | Dialect::Postgres => (text.to_string(), None),
        };
        Sql {
            dialect,
            text,
            params: Vec::new(),
            order,
        }
    }

    pub fn bind(mut self, value: impl Into<Param>) -> Sql {
        self.params.push(value.into());
        self
    }

    /// Makes an `INSERT` skip rows that would duplicate a unique key.
    pub fn ignore_duplicates(mut self) -> Sql {
        match self.dialect {
            Dialect::MySql => {
                self.text = self.text.replacen("INSERT INTO", "INSERT IGNORE INTO", 1);
            }
            Dialect::Sqlite | Dialect::Postgres => self.text.push_str(" ON CONFLICT DO NOTHING"),
        }
        self
    }

    fn query(&self) -> Result<Query<'_, Any, AnyArguments<'_>>> {
        let mut query = sqlx::query(&self.text);
        match &self.order {
            Some(order) => {
                for &index in order {
                    let param = self.params.get(index).ok_or_else(|| {
                        StoreError::Corrupt(format!(
                            "statement needs parameter ${} and has {}",
                            index + 1,
                            self.params.len()
                        ))
                    })?;
                    query = param.bind_to(query);
                }
            }
            None => {
                for param in &self.params {
                    query = param.bind_to(query);
                }
            }
        }
        Ok(query)
    }

    pub async fn execute<'c, E>(self, executor: E) -> Result<AnyQueryResult>
    where
        E: Executor<'c, Database = Any>,
    {
        Ok(self.query()?.execute(executor).await?)
    }

    pub async fn fetch_all<'c, E>(self, executor: E) -> Result<Vec<AnyRow>>
    where
        E: Executor<'c, Database = Any>,
    {
        Ok(self.query()?.fetch_all(executor).await?)
    }

    pub async fn fetch_optional<'c, E>(self, executor: E) -> Result<Option<AnyRow>>
    where
        E: Executor<'c, Database = Any>,
    {
        Ok(self.query()?.fetch_optional(executor).await?)
    }

    pub async fn fetch_one<'c, E>(self, executor: E) -> Result<AnyRow>
    where
        E: Executor<'c, Database = Any>,
    {
        Ok(self.query()?.fetch_one(executor).await?)
    }

    /// The first column of the one row the statement answers.
    pub async fn scalar<'c, T: Cell, E>(self, executor: E) -> Result<T>
    where
        E: Executor<'c, Database = Any>,
    {
        T::read(&self.fetch_one(executor).await?, 0)
    }

    /// The first column of the row the statement answers, if any.
    pub async fn optional_scalar<'c, T: Cell, E>(self, executor: E) -> Result<Option<T>>
    where
        E: Executor<'c, Database = Any>,
    {
        self.fetch_optional(executor)
            .await?
            .map(|row| T::read(&row, 0))
            .transpose()
    }

    /// The first column of every row.
    pub async fn scalars<'c, T: Cell, E>(self, executor: E) -> Result<Vec<T>>
    where
        E: Executor<'c, Database = Any>,
    {
        self.fetch_all(executor)
            .await?
            .iter()
            .map(|row| T::read(row, 0))
            .collect()
    }

    /// Runs an `INSERT` into a table with an `id` column that the database
    /// assigns, and answers that id.
    pub async fn insert_id<'c, E>(self, executor: E) -> Result<i64>
    where
        E: Executor<'c, Database = Any>,
    {
        self.inserted_id(executor)
            .await?
            .ok_or_else(|| StoreError::Corrupt("an insert stored no row".into()))
    }

    /// Like [`Sql::insert_id`], for an insert that may store nothing (one
    /// that ignores duplicates): `None` then.
    pub async fn inserted_id<'c, E>(mut self, executor: E) -> Result<Option<i64>>
    where
        E: Executor<'c, Database = Any>,
    {
        match self.dialect {
            // MySQL has no `RETURNING`; the connection knows the last id.
            Dialect::MySql => {
                let done = self.execute(executor).await?;
                Ok((done.rows_affected() > 0)
                    .then(|| done.last_insert_id())
                    .flatten())
            }
            Dialect::Sqlite | Dialect::Postgres => {
                self.text.push_str(" RETURNING id");
                self.optional_scalar(executor).await
            }
        }
    }
}

/// Turns `$n` placeholders into `?`, with the parameter index each takes.
fn positional(text: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(text.len());
    let mut order = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|(_, d)| d.is_ascii_digit()) {
            let mut number = 0usize;
            while let Some((_, d)) = chars.peek().copied().filter(|(_, d)| d.is_ascii_digit()) {
                number = number * 10 + d.to_digit(10).unwrap_or(0) as usize;
                chars.next();
            }
            out.push('?');
            order.push(number.saturating_sub(1));
        } else {
            out.push(c);
        }
    }
    (out, order)
}

/// A value read from a row's column.
pub(crate) trait Cell: Sized {
    fn read<I>(row: &AnyRow, index: I) -> Result<Self>
    where
        I: ColumnIndex<AnyRow> + Copy + Display;
}

impl Cell for i64 {
    fn read<I>(row: &AnyRow, index: I) -> Result<Self>
    where
        I: ColumnIndex<AnyRow> + Copy + Display,
    {
        Ok(row.try_get(index)?)
    }
}

impl Cell for Option<i64> {
    fn read<I>(row: &AnyRow, index: I) -> Result<Self>
    where
        I: ColumnIndex<AnyRow> + Copy + Display,
    {
        Ok(row.try_get(index)?)
    }
}

impl Cell for Option<i32> {
    fn read<I>(row: &AnyRow, index: I) -> Result<Self>
    where
        I: ColumnIndex<AnyRow> + Copy + Display,
    {
        Ok(row.try_get(index)?)
    }
}

impl Cell for bool {
    fn read<I>(row: &AnyRow, index: I) -> Result<Self>
    where
        I: ColumnIndex<AnyRow> + Copy + Display,
    {
        Ok(i64::read(row, index)? != 0)
    }
}

impl Cell for Option<String> {
    fn read<I>(row: &AnyRow, index: I) -> Result<Self>
    where
        I: ColumnIndex<AnyRow> + Copy + Display,
    {
        match row.try_get::<Option<String>, I>(index) {
            Ok(text) => Ok(text),
            // MySQL's long text columns arrive as blobs.
            Err(sqlx::Error::ColumnDecode { .. }) => row
                .try_get::<Option<Vec<u8>>, I>(index)?
                .map(|bytes| {
                    String::from_utf8(bytes)
                        .map_err(|_| StoreError::Corrupt(format!("column {index} is not UTF-8")))
                })
                .transpose(),
            Err(error) => Err(error.into()),
        }
    }
}

impl Cell for String {
    fn read<I>(row: &AnyRow, index: I) -> Result<Self>
    where
        I: ColumnIndex<AnyRow> + Copy + Display,
    {
        Option::<String>::read(row, index)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {index} is NULL")))
    }
}

impl Cell for Vec<u8> {
    fn read<I>(row: &AnyRow, index: I) -> Result<Self>
    where
        I: ColumnIndex<AnyRow> + Copy + Display,
    {
        Ok(row.try_get(index)?)
    }
}

/// Reading a row's columns by name.
pub(crate) trait RowExt {
    fn cell<T: Cell>(&self, column: &str) -> Result<T>;
}

impl RowExt for AnyRow {
    fn cell<T: Cell>(&self, column: &str) -> Result<T> {
        T::read(self, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_placeholders_follow_their_occurrences() {
        let (text, order) = positional("UPDATE t SET a = $2, b = $1 WHERE c = $2 AND d = $10");
        assert_eq!(text, "UPDATE t SET a = ?, b = ? WHERE c = ? AND d = ?");
        assert_eq!(order, vec![1, 0, 1, 9]);
    }

    #[test]
    fn a_dollar_without_digits_is_left_alone() {
        let (text, order) = positional("SELECT '$' || $1");
        assert_eq!(text, "SELECT '$' || ?");
        assert_eq!(order, vec![0]);
    }

    #[test]
    fn upserts_are_spelled_per_dialect() {
        assert_eq!(
            Dialect::Postgres.upsert("a, b", &["c", "d"]),
            " ON CONFLICT (a, b) DO UPDATE SET c = excluded.c, d = excluded.d"
        );
        assert_eq!(
            Dialect::MySql.upsert("a, b", &["c"]),
            " ON DUPLICATE KEY UPDATE c = VALUES(c)"
        );
    }
}
