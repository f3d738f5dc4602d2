//! The engine's integration tests: access rules and accounts, timing against the recorded cases, the
//! sandbox on real handler modules from `handlers/`, and the queue and its
//! policies on a controlled clock.

mod access;
mod accounts;
mod checksum_c;
mod functions;
mod handlers;
mod helpers;
mod instances;
mod policies;
mod queue;
mod runtime;
mod sandbox;
mod timing;
mod versions;
