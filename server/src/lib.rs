//! The `enschedule` binary's parts: configuration, the HTTP application
//! (dashboard, REST API, static files) and the command-line tools.

pub mod api;
pub mod auth;
pub mod bundled;
pub mod config;
pub mod exec;
pub mod next;
pub mod remote;
pub mod schedule_file;
pub mod startup;
