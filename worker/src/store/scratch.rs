//! Throwaway databases on a PostgreSQL or MySQL server, for tests and
//! benchmarks that need a real server and a clean schema each.
//!
//! Each is named `enschedule_t_<process id>_<n>`. Creating one first drops
//! those left by processes that are no longer running (a test that failed
//! before cleaning up), so leftovers never pile up.

use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

use super::sql::Cell;
use super::{Database, Dialect, Result, StoreError};

/// The server to use when the environment names none: the machine's own,
/// as the development setup installs it.
pub fn server_url(dialect: Dialect) -> Option<String> {
    let (variable, default) = match dialect {
        Dialect::Sqlite => return None,
        Dialect::Postgres => (
            "ENSCHEDULE_TEST_POSTGRES",
            "postgres://postgres@127.0.0.1:5432/postgres",
        ),
        Dialect::MySql => ("ENSCHEDULE_TEST_MYSQL", "mysql://root@127.0.0.1:3306/mysql"),
    };
    Some(std::env::var(variable).unwrap_or_else(|_| default.to_string()))
}

const PREFIX: &str = "enschedule_t_";

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A database created for one test; [`ScratchDatabase::drop_database`]
/// removes it.
#[derive(Debug)]
pub struct ScratchDatabase {
    pub database: Database,
    server: AnyPool,
    name: String,
}

impl ScratchDatabase {
    /// Creates an empty database on the server of `dialect`.
    pub async fn create(dialect: Dialect) -> Result<ScratchDatabase> {
        let server_url = server_url(dialect).ok_or_else(|| {
            StoreError::Config("SQLite needs no server: use a file or memory".into())
        })?;
        sqlx::any::install_default_drivers();
        let server = AnyPoolOptions::new()
            .max_connections(2)
            .connect(&server_url)
            .await?;
        drop_abandoned(&server, dialect).await?;
        let name = format!(
            "{PREFIX}{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        server.execute(&*format!("CREATE DATABASE {name}")).await?;
        let mut url = url::Url::parse(&server_url)
            .map_err(|e| StoreError::Config(format!("{server_url}: {e}")))?;
        url.set_path(&name);
        let database = match dialect {
            Dialect::Postgres => Database::Postgres(url.to_string()),
            _ => Database::MySql(url.to_string()),
        };
        Ok(ScratchDatabase {
            database,
            server,
            name,
        })
    }

    pub async fn drop_database(self) -> Result<()> {
        drop_named(&self.server, self.database.dialect(), &self.name).await
    }
}

/// Drops the scratch databases whose process has ended.
async fn drop_abandoned(server: &AnyPool, dialect: Dialect) -> Result<()> {
    let query = match dialect {
        Dialect::Postgres => {
            "SELECT datname::text FROM pg_database WHERE datname LIKE 'enschedule\\_t\\_%'"
        }
        _ => {
            "SELECT schema_name FROM information_schema.schemata \
              WHERE schema_name LIKE 'enschedule\\_t\\_%'"
        }
    };
    let rows = sqlx::query(query).fetch_all(server).await?;
    for row in &rows {
        let name = String::read(row, 0)?;
        let pid = name
            .trim_start_matches(PREFIX)
            .split('_')
            .next()
            .and_then(|pid| pid.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            drop_named(server, dialect, &name).await?;
        }
    }
    Ok(())
}

async fn drop_named(server: &AnyPool, dialect: Dialect, name: &str) -> Result<()> {
    let statement = match dialect {
        // Connections a killed process left open must not keep it alive.
        Dialect::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        _ => format!("DROP DATABASE IF EXISTS {name}"),
    };
    server.execute(&*statement).await?;
    Ok(())
}
