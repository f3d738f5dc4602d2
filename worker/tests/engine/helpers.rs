//! Shared set-up: handler modules, a store in memory, an engine on a manual clock.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use worker::runtime::Runtime;
use worker::store::SqliteLocation;
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

pub struct TestEngine {
    pub engine: Engine,
    pub clock: Arc<ManualClock>,
}

/// An engine on a fresh in-memory database, its clock stopped at `start`,
/// with `log-job` and `probe` registered.
pub async fn engine_at(start: &str) -> TestEngine {
    engine_with(start, EngineOptions::default()).await
}

/// The same, with other settings.
pub async fn engine_with(start: &str, options: EngineOptions) -> TestEngine {
    let store = Store::open_sqlite(&SqliteLocation::Memory)
        .await
        .expect("in-memory store");
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
