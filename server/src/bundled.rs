//! Handler modules that ship inside the binary, built from `handlers/`.

/// `log-job` v1: prints the `message` it is given.
pub const LOG_JOB: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../handlers/dist/log-job.wasm"
));

/// `send-http-request` v1: a component that makes one HTTP request, to the
/// hosts an admin granted it, and prints the response.
pub const SEND_HTTP_REQUEST: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../handlers/dist/send-http-request.wasm"
));

/// Every bundled module, registered on each start.
pub const MODULES: &[(&str, &[u8])] = &[
    ("log-job", LOG_JOB),
    ("send-http-request", SEND_HTTP_REQUEST),
];
