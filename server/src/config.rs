//! Configuration, from flags and the environment (flags win).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono_tz::Tz;
use clap::Args;
use worker::store::{Database, SqliteLocation};

/// Settings of `enschedule serve` (and `migrate`). Its `Debug` leaves the
/// secrets out.
#[derive(Clone, Args)]
pub struct ServeConfig {
    /// Port to listen on.
    #[arg(long, env = "PORT", default_value_t = 3000)]
    pub port: u16,

    /// Address to listen on (`0.0.0.0` in a container).
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    pub host: String,

    /// Folder for the SQLite database and the compiled-module cache.
    #[arg(long, env = "ENSCHEDULE_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Further handler modules: comma-separated `.wasm` files or folders of them.
    #[arg(long, env = "IMPORT_FUNCTIONS", value_delimiter = ',')]
    pub import_functions: Vec<PathBuf>,

    /// Timezone of schedules that name none (IANA name).
    #[arg(long, env = "ENSCHEDULE_DEFAULT_TIMEZONE", default_value = "UTC")]
    pub default_timezone: String,

    /// Folder with the built dashboard assets (`pkg/`).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// The admin account, `user:password`: created, or reset to admin with
    /// that password, at every start.
    #[arg(long, env = "ADMIN_ACCOUNT", hide_env_values = true)]
    pub admin_account: Option<String>,

    /// The server's API key: `Authorization: Api-Key <key>` acts as an
    /// admin on the REST API. Without it, only users' keys are accepted.
    #[arg(long, env = "API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,

    /// A worker's base URL (`enschedule worker --api`): `serve` is then
    /// only the dashboard of that worker, with no database of its own;
    /// people sign in through the worker's API, and `API_KEY` must be the
    /// worker's key.
    #[arg(long, env = "WORKER_URL")]
    pub worker_url: Option<String>,

    /// Mark the session cookie Secure: set it when the dashboard is served
    /// over HTTPS (behind a proxy that terminates TLS).
    #[arg(long, env = "ENSCHEDULE_SECURE_COOKIES", default_value_t = false, action = clap::ArgAction::Set)]
    pub secure_cookies: bool,

    /// Whether to run the inline worker (turn off to serve the dashboard only).
    #[arg(long, env = "ENSCHEDULE_INLINE_WORKER", default_value_t = true, action = clap::ArgAction::Set)]
    pub inline_worker: bool,

    #[command(flatten)]
    pub worker: WorkerSettings,
}

/// Which database to use: at most one of `SQLITE`, `POSTGRES`, `MYSQL` and
/// `MARIADB`, each a URL (a path for SQLite) or `true` with the `DB_*`
/// settings. Its `Debug` leaves the password out.
#[derive(Clone, Default, Args)]
pub struct DatabaseArgs {
    /// SQLite database: a file path, or `:memory:`. Default: a file in the data folder.
    #[arg(long, env = "SQLITE")]
    pub sqlite: Option<String>,

    /// PostgreSQL: a `postgres://` URL, or `true` to build one from the `DB_*` settings.
    #[arg(long, env = "POSTGRES", hide_env_values = true)]
    pub postgres: Option<String>,

    /// MySQL: a `mysql://` URL, or `true` to build one from the `DB_*` settings.
    #[arg(long, env = "MYSQL", hide_env_values = true)]
    pub mysql: Option<String>,

    /// MariaDB: a `mysql://` or `mariadb://` URL, or `true` for the `DB_*` settings.
    #[arg(long, env = "MARIADB", hide_env_values = true)]
    pub mariadb: Option<String>,

    /// With `true` above: the database user.
    #[arg(long, env = "DB_USER")]
    pub db_user: Option<String>,

    /// With `true` above: the user's password.
    #[arg(long, env = "DB_PASSWORD", hide_env_values = true)]
    pub db_password: Option<String>,

    /// With `true` above: the server's host (default `localhost`).
    #[arg(long, env = "DB_HOST")]
    pub db_host: Option<String>,

    /// With `true` above: the server's port (default 5432 for PostgreSQL, 3306 otherwise).
    #[arg(long, env = "DB_PORT")]
    pub db_port: Option<u16>,

    /// With `true` above: the database's name.
    #[arg(long, env = "DB_DATABASE")]
    pub db_database: Option<String>,
}

impl DatabaseArgs {
    /// The database these settings name; SQL Server, which the original
    /// project also offered, is refused by name rather than ignored.
    pub fn database(&self, data_dir: &std::path::Path) -> anyhow::Result<Database> {
        if std::env::var_os("MSSQL").is_some_and(|v| !v.is_empty()) {
            bail!(
                "MSSQL is set, but SQL Server is not supported: there is no SQL Server driver \
                 in Enschedule's stack; use SQLITE, POSTGRES, MYSQL or MARIADB"
            );
        }
        let given = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("false"))
                .map(str::to_string)
        };
        let chosen: Vec<(&str, String)> = [
            ("SQLITE", given(&self.sqlite)),
            ("POSTGRES", given(&self.postgres)),
            ("MYSQL", given(&self.mysql)),
            ("MARIADB", given(&self.mariadb)),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect();
        let Some((name, value)) = chosen.first() else {
            return Ok(Database::Sqlite(SqliteLocation::File(
                worker::store::default_sqlite_path(data_dir),
            )));
        };
        if chosen.len() > 1 {
            let names: Vec<&str> = chosen.iter().map(|(name, _)| *name).collect();
            bail!(
                "{} are set together; set only one database",
                names.join(" and ")
            );
        }
        match *name {
            "SQLITE" => Ok(Database::Sqlite(match value.as_str() {
                ":memory:" => SqliteLocation::Memory,
                "true" => SqliteLocation::File(worker::store::default_sqlite_path(data_dir)),
                path => SqliteLocation::File(PathBuf::from(path)),
            })),
            "POSTGRES" => Ok(Database::Postgres(self.url(
                name,
                value,
                &["postgres", "postgresql"],
                5432,
            )?)),
            _ => Ok(Database::MySql(self.url(
                name,
                value,
                &["mysql", "mariadb"],
                3306,
            )?)),
        }
    }

    /// The URL `variable` gives, or builds with `true`, as sqlx reads it
    /// (`mariadb://` is spelled `mysql://`).
    fn url(
        &self,
        variable: &str,
        value: &str,
        schemes: &[&str],
        default_port: u16,
    ) -> anyhow::Result<String> {
        let scheme = if schemes[0] == "mysql" {
            "mysql"
        } else {
            "postgres"
        };
        if value.eq_ignore_ascii_case("true") {
            let database = self
                .db_database
                .as_deref()
                .filter(|d| !d.is_empty())
                .with_context(|| {
                    format!("{variable}=true needs DB_DATABASE, the database's name")
                })?;
            let host = self.db_host.as_deref().unwrap_or("localhost");
            let port = self.db_port.unwrap_or(default_port);
            let mut url = url::Url::parse(&format!("{scheme}://{host}:{port}/"))
                .with_context(|| format!("DB_HOST `{host}` is not a host name"))?;
            url.set_path(database);
            if let Some(user) = self.db_user.as_deref().filter(|u| !u.is_empty()) {
                url.set_username(user)
                    .ok()
                    .context("DB_USER cannot be set on this URL")?;
            }
            if let Some(password) = self.db_password.as_deref().filter(|p| !p.is_empty()) {
                url.set_password(Some(password))
                    .ok()
                    .context("DB_PASSWORD cannot be set on this URL")?;
            }
            return Ok(url.to_string());
        }
        let parsed = url::Url::parse(value)
            .ok()
            .filter(|u| schemes.contains(&u.scheme()));
        let Some(parsed) = parsed else {
            bail!(
                "{variable} must be a {}:// URL, or `true` with DB_HOST, DB_PORT, DB_USER, \
                 DB_PASSWORD and DB_DATABASE",
                schemes[0]
            );
        };
        let rest = &value[parsed.scheme().len()..];
        Ok(format!("{scheme}{rest}"))
    }
}

impl std::fmt::Debug for DatabaseArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = |value: &Option<String>| {
            value.as_deref().map(|v| match v.trim() {
                "true" | "false" | "" => v.to_string(),
                url => worker::store::without_password(url),
            })
        };
        f.debug_struct("DatabaseArgs")
            .field("sqlite", &self.sqlite)
            .field("postgres", &url(&self.postgres))
            .field("mysql", &url(&self.mysql))
            .field("mariadb", &url(&self.mariadb))
            .field("db_user", &self.db_user)
            .field(
                "db_password",
                &self.db_password.as_ref().map(|_| "[redacted]"),
            )
            .field("db_host", &self.db_host)
            .field("db_port", &self.db_port)
            .field("db_database", &self.db_database)
            .finish()
    }
}

/// Which worker a process is an instance of, and how it claims and runs.
#[derive(Debug, Clone, Args)]
pub struct WorkerSettings {
    /// The logical worker this process is an instance of; schedules may
    /// name it to run only here.
    #[arg(long, env = "WORKER_ID", default_value = worker::access::INLINE_WORKER)]
    pub worker_id: String,

    /// The worker's title on the dashboard. Default: its id.
    #[arg(long, env = "WORKER_TITLE")]
    pub worker_title: Option<String>,

    /// What the worker is for.
    #[arg(long, env = "WORKER_DESCRIPTION", default_value = "")]
    pub worker_description: String,

    /// This process's id among the worker's instances. Default
    /// `<worker id>@<hostname>`, the same across restarts, so a restarted
    /// instance closes the runs it held; give each instance on one host its own.
    #[arg(long, env = "INSTANCE_ID")]
    pub instance_id: Option<String>,

    /// Runs executing at once in this process, at most.
    #[arg(long, env = "CONCURRENCY", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,

    /// How long a claimed run's lease holds without renewal, in seconds; it is
    /// renewed every third of that. A run whose lease runs out is `lost`.
    #[arg(long, env = "LEASE_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(3..=3600))]
    pub lease_seconds: u64,

    /// The longest wait between looks at the database for work that other
    /// processes created, in milliseconds.
    #[arg(long, env = "POLL_INTERVAL_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub poll_interval_ms: u64,

    /// On SIGTERM, how long runs under way may take to finish before they
    /// are stopped and released for another instance, in seconds.
    #[arg(long, env = "SHUTDOWN_GRACE_SECONDS", default_value_t = 30)]
    pub shutdown_grace_seconds: u64,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            worker_id: worker::access::INLINE_WORKER.to_string(),
            worker_title: None,
            worker_description: String::new(),
            instance_id: None,
            concurrency: 16,
            lease_seconds: 30,
            poll_interval_ms: 1000,
            shutdown_grace_seconds: 30,
        }
    }
}

impl std::fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |secret: &Option<String>| secret.as_ref().map(|_| "[redacted]");
        f.debug_struct("ServeConfig")
            .field("port", &self.port)
            .field("host", &self.host)
            .field("data_dir", &self.data_dir)
            .field("database", &self.database)
            .field("import_functions", &self.import_functions)
            .field("default_timezone", &self.default_timezone)
            .field("site_root", &self.site_root)
            .field("admin_account", &redacted(&self.admin_account))
            .field("api_key", &redacted(&self.api_key))
            .field("worker_url", &self.worker_url)
            .field("secure_cookies", &self.secure_cookies)
            .field("inline_worker", &self.inline_worker)
            .field("worker", &self.worker)
            .finish()
    }
}

impl ServeConfig {
    pub fn address(&self) -> anyhow::Result<SocketAddr> {
        format!("{}:{}", self.host, self.port)
            .parse()
            .with_context(|| {
                format!(
                    "HOST `{}` with PORT {} is not a socket address",
                    self.host, self.port
                )
            })
    }

    /// Where the database is.
    pub fn database(&self) -> anyhow::Result<Database> {
        self.database.database(&self.data_dir)
    }

    pub fn default_timezone(&self) -> anyhow::Result<Tz> {
        worker::timing::parse_timezone(&self.default_timezone)
            .context("ENSCHEDULE_DEFAULT_TIMEZONE")
    }

    /// Every `.wasm` file named by `IMPORT_FUNCTIONS`, folders expanded.
    pub fn function_files(&self) -> anyhow::Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        for path in self
            .import_functions
            .iter()
            .filter(|p| !p.as_os_str().is_empty())
        {
            if path.is_dir() {
                let entries = std::fs::read_dir(path)
                    .with_context(|| format!("IMPORT_FUNCTIONS: cannot read {}", path.display()))?;
                let mut found: Vec<PathBuf> = entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
                    .collect();
                found.sort();
                files.extend(found);
            } else if path.is_file() {
                files.push(path.clone());
            } else {
                bail!(
                    "IMPORT_FUNCTIONS: {} is neither a .wasm file nor a folder",
                    path.display()
                );
            }
        }
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn database(args: DatabaseArgs) -> anyhow::Result<Database> {
        args.database(Path::new("/srv/data"))
    }

    fn error(args: DatabaseArgs) -> String {
        database(args).unwrap_err().to_string()
    }

    #[test]
    fn without_a_database_setting_sqlite_lives_in_the_data_folder() {
        assert_eq!(
            database(DatabaseArgs::default()).unwrap(),
            Database::Sqlite(SqliteLocation::File("/srv/data/enschedule.sqlite".into()))
        );
        let memory = DatabaseArgs {
            sqlite: Some(":memory:".into()),
            postgres: Some("false".into()),
            ..Default::default()
        };
        assert_eq!(
            database(memory).unwrap(),
            Database::Sqlite(SqliteLocation::Memory)
        );
    }

    #[test]
    fn a_url_is_taken_as_given_and_mariadb_is_spoken_to_as_mysql() {
        let postgres = DatabaseArgs {
            postgres: Some("postgresql://app:s3cret@db.internal:5433/jobs".into()),
            ..Default::default()
        };
        assert_eq!(
            database(postgres).unwrap(),
            Database::Postgres("postgres://app:s3cret@db.internal:5433/jobs".into())
        );
        let mariadb = DatabaseArgs {
            mariadb: Some("mariadb://root@127.0.0.1/enschedule".into()),
            ..Default::default()
        };
        assert_eq!(
            database(mariadb).unwrap(),
            Database::MySql("mysql://root@127.0.0.1/enschedule".into())
        );
    }

    #[test]
    fn true_builds_the_url_from_the_db_settings_with_escapes() {
        let args = DatabaseArgs {
            postgres: Some("true".into()),
            db_user: Some("app".into()),
            db_password: Some("p@ss/word".into()),
            db_host: Some("db.internal".into()),
            db_database: Some("jobs".into()),
            ..Default::default()
        };
        assert_eq!(
            database(args).unwrap(),
            Database::Postgres("postgres://app:p%40ss%2Fword@db.internal:5432/jobs".into())
        );
        let mysql = DatabaseArgs {
            mysql: Some("TRUE".into()),
            db_port: Some(3307),
            db_database: Some("jobs".into()),
            ..Default::default()
        };
        assert_eq!(
            database(mysql).unwrap(),
            Database::MySql("mysql://localhost:3307/jobs".into())
        );
    }

    #[test]
    fn a_wrong_or_ambiguous_setting_is_refused_by_name() {
        assert_eq!(
            error(DatabaseArgs {
                postgres: Some("true".into()),
                ..Default::default()
            }),
            "POSTGRES=true needs DB_DATABASE, the database's name"
        );
        assert_eq!(
            error(DatabaseArgs {
                mysql: Some("postgres://localhost/jobs".into()),
                ..Default::default()
            }),
            "MYSQL must be a mysql:// URL, or `true` with DB_HOST, DB_PORT, DB_USER, \
             DB_PASSWORD and DB_DATABASE"
        );
        assert_eq!(
            error(DatabaseArgs {
                sqlite: Some("jobs.sqlite".into()),
                postgres: Some("postgres://localhost/jobs".into()),
                ..Default::default()
            }),
            "SQLITE and POSTGRES are set together; set only one database"
        );
    }

    #[test]
    fn the_debug_form_hides_passwords() {
        let args = DatabaseArgs {
            postgres: Some("postgres://app:s3cret@db/jobs".into()),
            db_password: Some("other-secret".into()),
            ..Default::default()
        };
        let shown = format!("{args:?}");
        assert!(shown.contains("postgres://app:***@db/jobs"), "{shown}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("other-secret"),
            "{shown}"
        );
    }
}
