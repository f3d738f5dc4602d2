//! Shared set-up: handler modules, a fresh database, an engine on a manual
//! clock.
//!
//! The tests run on SQLite, in memory, unless `ENSCHEDULE_TEST_DATABASE`
//! names `postgres` or `mysql`: then each test gets a database of its own on
//! that server (see `worker::store::scratch` for which server, and how
//! leftovers are dropped).

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use worker::runtime::Runtime;
use worker::store::scratch::ScratchDatabase;
use worker::store::{Database, Dialect, SqliteLocation};
use worker::{Engine, EngineOptions, ManualClock, Store};

/// A handler module built by `scripts/build-handlers.sh`.
pub fn handler(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../handlers/dist")
        .join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build the handlers first (scripts/build-handlers.sh)",
            path.display()
        )
    })
}

pub fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("an RFC 3339 instant")
}

pub fn rfc3339(instant: DateTime<Utc>) -> String {
    instant.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The database the tests run on.
pub fn dialect() -> Dialect {
    match std::env::var("ENSCHEDULE_TEST_DATABASE").as_deref() {
        Ok("postgres") => Dialect::Postgres,
        Ok("mysql") => Dialect::MySql,
        Ok("sqlite") | Err(_) => Dialect::Sqlite,
        Ok(other) => panic!("ENSCHEDULE_TEST_DATABASE={other}: use sqlite, postgres or mysql"),
    }
}

/// A fresh, empty database for one test.
pub async fn database() -> Database {
    match dialect() {
        Dialect::Sqlite => Database::Sqlite(SqliteLocation::Memory),
        server => scratch(server).await,
    }
}

/// A fresh database that several stores can open at once: a SQLite file in
/// `dir`, or a database on the server.
pub async fn shared_database(dir: &std::path::Path) -> Database {
    match dialect() {
        Dialect::Sqlite => Database::Sqlite(SqliteLocation::File(dir.join("db.sqlite"))),
        server => scratch(server).await,
    }
}

async fn scratch(dialect: Dialect) -> Database {
    ScratchDatabase::create(dialect)
        .await
        .unwrap_or_else(|e| panic!("a database on the {} server: {e}", dialect.name()))
        .database
}

/// A store on a fresh database.
pub async fn store() -> Store {
    Store::open(&database().await).await.expect("store opens")
}

/// Deletes a function version behind the engine's back, as only a database
/// changed by hand can: Enschedule never removes a function with schedules.
pub async fn delete_function_by_hand(store: &Store, id: &str, version: i64) {
    let (off, on) = match store.dialect() {
        Dialect::Sqlite => ("PRAGMA foreign_keys = OFF", "PRAGMA foreign_keys = ON"),
        Dialect::Postgres => (
            "SET session_replication_role = replica",
            "SET session_replication_role = DEFAULT",
        ),
        Dialect::MySql => ("SET FOREIGN_KEY_CHECKS = 0", "SET FOREIGN_KEY_CHECKS = 1"),
    };
    let delete = format!("DELETE FROM functions WHERE id = '{id}' AND version = {version}");
    let mut db = store.pool().acquire().await.unwrap();
    for statement in [off, delete.as_str(), on] {
        sqlx::query(statement).execute(&mut *db).await.unwrap();
    }
}

pub struct TestEngine {
    pub engine: Engine,
    pub clock: Arc<ManualClock>,
}

/// An engine on a fresh database, its clock stopped at `start`,
/// with `log-job` and `probe` registered.
pub async fn engine_at(start: &str) -> TestEngine {
    engine_with(start, EngineOptions::default()).await
}

/// The same, with other settings.
pub async fn engine_with(start: &str, options: EngineOptions) -> TestEngine {
    let store = store().await;
    let runtime = Runtime::new(None, 4).expect("runtime");
    let clock = Arc::new(ManualClock::new(at(start)));
    let engine = Engine::new(store, runtime, clock.clone(), options);
    for name in ["log-job", "probe"] {
        engine
            .register_module(&handler(name), None)
            .await
            .expect("bundled handler registers");
    }
    TestEngine { engine, clock }
}

/// The smallest WASI command: `_start` returns at once. It has no manifest.
pub fn bare_command_module() -> Vec<u8> {
    let mut module = b"\0asm\x01\0\0\0".to_vec();
    module.extend([0x01, 0x04, 0x01, 0x60, 0x00, 0x00]); // type: () -> ()
    module.extend([0x03, 0x02, 0x01, 0x00]); // one function of that type
    module.extend([0x07, 0x0a, 0x01, 0x06]); // export "_start" = function 0
    module.extend(b"_start");
    module.extend([0x00, 0x00]);
    module.extend([0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b]); // its body: end
    module
}
