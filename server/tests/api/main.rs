//! The HTTP surface, called in-process: health, pages rendered on the server,
//! and start-up configuration.

mod cli;
mod helpers;
mod http;
