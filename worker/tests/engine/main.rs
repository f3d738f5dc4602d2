//! The engine's integration tests: timing against the recorded cases, the
//! sandbox on real handler modules from `handlers/`, and the queue on a
//! controlled clock.

mod functions;
mod helpers;
mod queue;
mod runtime;
mod timing;
