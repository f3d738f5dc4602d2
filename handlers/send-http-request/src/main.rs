//! `send-http-request`: performs one HTTP request through `wasi:http` and
//! prints the response — the status line (`HTTP 200 OK`), the headers one per
//! line (`name: value`), a blank line, then the body byte for byte.
//!
//! Any response, whatever its status, is a success; bad data or a request
//! that could not be made (a host not granted to the function, a refused
//! connection, …) ends with a message on stderr and exit code 1.
//!
//! Built for `wasm32-wasip2`: the module is a component that exports
//! `wasi:cli/run` and imports `wasi:http/outgoing-handler`, and the host
//! decides which hosts it may reach.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Deserialize;
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, HeaderError, IncomingResponse, Method, OutgoingBody, OutgoingRequest, Scheme,
};
use wasip2::io::streams::{InputStream, StreamError};

enschedule_sdk::embed_manifest!(include_bytes!("../manifest.json"));

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Data {
    url: String,
    method: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<String>,
}

fn main() {
    enschedule_sdk::run(send)
}

fn send(data: Data) -> Result<(), String> {
    let url = &data.url;
    let request = build(&data)?;
    let body = request.body().expect("the body of a new request is free");
    let response = outgoing_handler::handle(request, None)
        .map_err(|code| format!("request to {url} failed: {}", describe(&code)))?;

    // Send the body while the host makes the request; a failure here usually
    // comes with a better reason in the response below, so it waits.
    let sent = write_body(body, data.body.as_deref().unwrap_or_default().as_bytes());

    response.subscribe().block();
    let response = match response.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(code))) => {
            return Err(format!("request to {url} failed: {}", describe(&code)));
        }
        Some(Err(())) | None => {
            return Err(format!(
                "request to {url} failed: no response from the host"
            ));
        }
    };
    if let Err(e) = sent {
        eprintln!("the request body was not sent completely: {e}");
    }
    print_response(&response).map_err(|e| format!("reading the response of {url} failed: {e}"))
}

/// The request the data describes, or why the data is not a request.
fn build(data: &Data) -> Result<OutgoingRequest, String> {
    let url = &data.url;
    let uri: http::Uri = url
        .parse()
        .map_err(|e| format!("the url {url:?} is not a valid URL: {e}"))?;
    let scheme = match uri.scheme_str() {
        Some("http") => Scheme::Http,
        Some("https") => Scheme::Https,
        _ => {
            return Err(format!(
                "the url {url:?} does not start with http:// or https://"
            ));
        }
    };
    let authority = match uri.authority() {
        Some(authority) if !authority.host().is_empty() => authority.as_str(),
        _ => return Err(format!("the url {url:?} names no host")),
    };
    let path = uri.path_and_query().map_or("/", |p| p.as_str());

    let method = data.method.as_deref().unwrap_or("GET");
    http::Method::from_bytes(method.as_bytes())
        .map_err(|_| format!("the method {method:?} is not a valid HTTP method"))?;
    let method = match method {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "CONNECT" => Method::Connect,
        "OPTIONS" => Method::Options,
        "TRACE" => Method::Trace,
        "PATCH" => Method::Patch,
        other => Method::Other(other.to_owned()),
    };

    let headers = Fields::new();
    for (name, value) in &data.headers {
        headers
            .append(name, value.as_bytes())
            .map_err(|e| match e {
                HeaderError::Forbidden => format!("the header {name:?} may not be set"),
                _ => format!("the header {name:?}: {value:?} is not valid"),
            })?;
    }
    if let Some(body) = &data.body
        && !headers.has("content-length")
    {
        // Without it the body goes chunked, which not every server reads.
        headers
            .set("content-length", &[body.len().to_string().into_bytes()])
            .map_err(|e| format!("could not set the content-length: {e:?}"))?;
    }

    let request = OutgoingRequest::new(headers);
    let rejected = |what: &str| format!("the {what} of {url:?} is not accepted by the host");
    request
        .set_method(&method)
        .map_err(|()| rejected("method"))?;
    request
        .set_scheme(Some(&scheme))
        .map_err(|()| rejected("scheme"))?;
    request
        .set_authority(Some(authority))
        .map_err(|()| rejected("host"))?;
    request
        .set_path_with_query(Some(path))
        .map_err(|()| rejected("path"))?;
    Ok(request)
}

/// Writes the request body and marks it complete.
fn write_body(body: OutgoingBody, bytes: &[u8]) -> Result<(), String> {
    {
        let stream = body.write().expect("the body stream is taken once");
        // `blocking-write-and-flush` takes at most 4096 bytes a call.
        for chunk in bytes.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| stream_error(&e))?;
        }
        // The stream must be gone before the body is finished.
    }
    OutgoingBody::finish(body, None).map_err(|code| describe(&code))
}

/// Prints the status line, the headers and, as it arrives, the body.
fn print_response(response: &IncomingResponse) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    let write_failed = |e: std::io::Error| format!("could not write to stdout: {e}");

    let status = response.status();
    match http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => writeln!(stdout, "HTTP {status} {reason}"),
        None => writeln!(stdout, "HTTP {status}"),
    }
    .map_err(write_failed)?;
    for (name, value) in response.headers().entries() {
        writeln!(stdout, "{name}: {}", String::from_utf8_lossy(&value)).map_err(write_failed)?;
    }
    writeln!(stdout).map_err(write_failed)?;

    let body = response.consume().expect("the response body is taken once");
    let stream: InputStream = body.stream().expect("the body stream is taken once");
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => stdout.write_all(&chunk).map_err(write_failed)?,
            Err(StreamError::Closed) => break,
            Err(e) => return Err(stream_error(&e)),
        }
    }
    stdout.flush().map_err(write_failed)
}

fn stream_error(error: &StreamError) -> String {
    match error {
        StreamError::Closed => "the connection was closed".into(),
        StreamError::LastOperationFailed(e) => match wasip2::http::types::http_error_code(e) {
            Some(code) => describe(&code),
            None => e.to_debug_string(),
        },
    }
}

/// A readable account of a `wasi:http` error code: its WIT name, with a
/// hint or the details it carries for the usual ones.
fn describe(code: &ErrorCode) -> String {
    match code {
        ErrorCode::HttpRequestDenied => {
            "HTTP-request-denied (this host is not granted to the function)".into()
        }
        ErrorCode::DnsError(e) => format!(
            "DNS-error ({})",
            e.rcode
                .as_deref()
                .unwrap_or("the name could not be resolved")
        ),
        ErrorCode::DnsTimeout => "DNS-timeout".into(),
        ErrorCode::DestinationNotFound => "destination-not-found".into(),
        ErrorCode::DestinationUnavailable => "destination-unavailable".into(),
        ErrorCode::DestinationIpProhibited => "destination-IP-prohibited".into(),
        ErrorCode::DestinationIpUnroutable => "destination-IP-unroutable".into(),
        ErrorCode::ConnectionRefused => "connection-refused".into(),
        ErrorCode::ConnectionTerminated => "connection-terminated".into(),
        ErrorCode::ConnectionTimeout => "connection-timeout".into(),
        ErrorCode::ConnectionReadTimeout => "connection-read-timeout".into(),
        ErrorCode::ConnectionWriteTimeout => "connection-write-timeout".into(),
        ErrorCode::TlsProtocolError => "TLS-protocol-error".into(),
        ErrorCode::TlsCertificateError => "TLS-certificate-error".into(),
        ErrorCode::TlsAlertReceived(alert) => format!(
            "TLS-alert-received ({})",
            alert.alert_message.as_deref().unwrap_or("no message")
        ),
        ErrorCode::HttpRequestMethodInvalid => "HTTP-request-method-invalid".into(),
        ErrorCode::HttpRequestUriInvalid => "HTTP-request-URI-invalid".into(),
        ErrorCode::HttpProtocolError => "HTTP-protocol-error".into(),
        ErrorCode::HttpResponseIncomplete => "HTTP-response-incomplete".into(),
        ErrorCode::HttpResponseTimeout => "HTTP-response-timeout".into(),
        ErrorCode::InternalError(Some(message)) => format!("internal-error ({message})"),
        other => format!("{other:?}"),
    }
}
