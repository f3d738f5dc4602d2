//! Outgoing HTTP for components: requests go out only to the hosts granted
//! to the run's function.
//!
//! A grant is `host` or `host:port`, with IPv6 addresses in brackets
//! (`[::1]:8080`). A bare host allows its scheme's standard port (80 for
//! `http`, 443 for `https`); a port allows exactly that port. Host names
//! compare without regard to case. A refused request fails in the guest with
//! `wasi:http`'s `HTTP-request-denied`, and the run's stderr says which host
//! was refused and how it could be granted.

use std::future::Future;

use http::uri::Scheme;
use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use super::Capture;

type IoFuture = Box<dyn Future<Output = Result<(), Error>> + Send>;

/// The grants of one run, and its stderr to report refusals on.
pub struct HttpGrants {
    allowed: Vec<Grant>,
    stderr: Capture,
}

/// One granted host, with its port if the grant names one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Grant {
    host: String,
    port: Option<u16>,
}

impl HttpGrants {
    pub(super) fn new(allowed: Vec<String>, stderr: Capture) -> HttpGrants {
        HttpGrants {
            // Grants are checked when they are made; one that cannot be read
            // here allows nothing.
            allowed: allowed.iter().filter_map(|g| parse(g).ok()).collect(),
            stderr,
        }
    }

    fn allows(&self, scheme: Option<&Scheme>, host: &str, port: Option<u16>) -> bool {
        let host = host.to_ascii_lowercase();
        let default_port = match scheme {
            Some(s) if *s == Scheme::HTTP => 80,
            _ => 443,
        };
        let port = port.unwrap_or(default_port);
        self.allowed
            .iter()
            .any(|grant| grant.host == host && grant.port.unwrap_or(default_port) == port)
    }
}

impl WasiHttpHooks for HttpGrants {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _response_done: IoFuture,
    ) -> Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), Error>> + Send> {
        let uri = request.uri();
        let (host, port, user_info) = match uri.authority() {
            Some(authority) => (
                authority.host().to_string(),
                authority.port_u16(),
                authority.as_str().contains('@'),
            ),
            None => (String::new(), None, false),
        };
        // A URL with user information is refused whatever its host: what
        // would be connected to is then not plainly the host granted.
        if user_info || !self.allows(uri.scheme(), &host, port) {
            let target = match port {
                Some(port) => format!("{host}:{port}"),
                None => host,
            };
            self.stderr.push(
                format!(
                    "enschedule: outgoing HTTP to {target} refused: the host is not granted to \
                     this function (an admin can grant it on the function's page)\n"
                )
                .as_bytes(),
            );
            return Box::new(async { Err(Error::HttpRequestDenied) });
        }
        Box::new(async move {
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as IoFuture,
            ))
        })
    }
}

/// Reads a grant (`host`, `host:port`, `[v6]`, `[v6]:port`), or says what is
/// wrong with it.
pub fn parse_grant(text: &str) -> Result<String, String> {
    parse(text).map(|grant| match grant.port {
        Some(port) => format!("{}:{port}", grant.host),
        None => grant.host,
    })
}

fn parse(text: &str) -> Result<Grant, String> {
    let text = text.trim();
    let problem = |why: &str| Err(format!("`{text}` is not a host or host:port: {why}"));
    if text.is_empty() {
        return problem("it is empty");
    }
    if text.contains("://") || text.contains('/') {
        return problem("give the host alone, without a scheme or a path");
    }
    let authority: http::uri::Authority = match text.parse() {
        Ok(authority) => authority,
        Err(e) => return problem(&e.to_string()),
    };
    if authority.as_str().contains('@') {
        return problem("it must not hold user information");
    }
    if text.ends_with(':') {
        return problem("the port is missing after `:`");
    }
    // The port is what follows the last `:`, unless that `:` is inside an
    // IPv6 address's brackets.
    let port = match authority.as_str().rsplit_once(':') {
        Some((_, port)) if !port.ends_with(']') => match port.parse::<u16>() {
            Ok(port) if port > 0 => Some(port),
            _ => return problem("the port must be a number from 1 to 65535"),
        },
        _ => None,
    };
    Ok(Grant {
        host: authority.host().to_ascii_lowercase(),
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    impl HttpGrants {
        fn of(grants: &[&str]) -> HttpGrants {
            HttpGrants::new(
                grants.iter().map(|g| g.to_string()).collect(),
                Capture::new(1024),
            )
        }
    }

    #[test]
    fn grants_are_read_and_normalised() {
        assert_eq!(parse_grant("Example.COM").unwrap(), "example.com");
        assert_eq!(
            parse_grant(" api.example.com:8443 ").unwrap(),
            "api.example.com:8443"
        );
        assert_eq!(parse_grant("[::1]:8080").unwrap(), "[::1]:8080");
        assert_eq!(parse_grant("127.0.0.1").unwrap(), "127.0.0.1");
    }

    #[test]
    fn bad_grants_say_what_is_wrong() {
        assert_eq!(
            parse_grant("https://example.com").unwrap_err(),
            "`https://example.com` is not a host or host:port: give the host alone, without a \
             scheme or a path"
        );
        assert_eq!(
            parse_grant("").unwrap_err(),
            "`` is not a host or host:port: it is empty"
        );
        assert_eq!(
            parse_grant("example.com:").unwrap_err(),
            "`example.com:` is not a host or host:port: the port is missing after `:`"
        );
        assert_eq!(
            parse_grant("user@example.com").unwrap_err(),
            "`user@example.com` is not a host or host:port: it must not hold user information"
        );
        assert_eq!(
            parse_grant("example.com:99999").unwrap_err(),
            "`example.com:99999` is not a host or host:port: the port must be a number from 1 \
             to 65535"
        );
    }

    #[test]
    fn a_bare_host_allows_its_standard_ports_and_a_port_exactly_that_port() {
        let grants = HttpGrants::of(&["example.com", "127.0.0.1:8080"]);
        let http = Some(&Scheme::HTTP);
        let https = Some(&Scheme::HTTPS);
        assert!(grants.allows(https, "example.com", None));
        assert!(grants.allows(https, "EXAMPLE.com", Some(443)));
        assert!(grants.allows(http, "example.com", None));
        assert!(grants.allows(http, "example.com", Some(80)));
        assert!(!grants.allows(https, "example.com", Some(8443)));
        assert!(!grants.allows(https, "api.example.com", None));
        assert!(grants.allows(http, "127.0.0.1", Some(8080)));
        assert!(!grants.allows(http, "127.0.0.1", Some(8081)));
        assert!(!grants.allows(http, "127.0.0.1", None));
    }
}
