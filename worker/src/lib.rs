//! The Enschedule engine.
//!
//! A *function* is a WebAssembly handler module with its manifest; a
//! *schedule* says when a function runs and with what data; a *run* is one
//! execution of a function, with its captured output. This crate stores all
//! three ([`store`]), decides when schedules fire ([`timing`]), turns fire
//! times into runs and executes them ([`queue`]) in the sandbox ([`runtime`]),
//! and moves schedules to newer versions of their function ([`migrate`]).
//!
//! It knows nothing of HTTP or of the dashboard: the `server` crate drives it.

pub mod access;
pub mod accounts;
pub mod clock;
pub mod instance;
pub mod manifest;
pub mod migrate;
pub mod model;
pub mod queue;
pub mod runtime;
pub mod store;
pub mod timing;

pub use clock::{Clock, ManualClock, SystemClock};
pub use queue::{Engine, EngineOptions};
pub use store::{Store, StoreError};
