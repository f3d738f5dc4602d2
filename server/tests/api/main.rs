//! The HTTP surface, called in-process: health, pages rendered on the server,
//! access to every server function, and start-up configuration.

mod access;
mod apply;
mod cli;
mod databases;
mod helpers;
mod http;
mod openapi;
mod remote;
mod rest;
mod versions;
mod workers;
