//! The Enschedule dashboard: Leptos pages, the `#[server]` functions they
//! call, and the wire types both sides share.
//!
//! Built twice: with `ssr` into the server (pages rendered to HTML, server
//! functions calling the engine) and with `hydrate` into the browser bundle
//! (the same pages made interactive). Each feature module keeps its wire types
//! at the top, its server functions in the middle, and its pages below.
//! A dashboard without a database sends its server functions on to a
//! worker's API instead ([`remote`]).

pub mod admin;
pub mod auth;
pub mod components;
pub mod error;
pub mod functions;
pub mod remote;
pub mod runs;
pub mod schedules;
mod shell;
pub mod workers;

pub use shell::{App, shell};
