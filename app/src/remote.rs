//! A dashboard with no database of its own, in front of a worker in another
//! process (`serve` with `WORKER_URL` and `API_KEY`).
//!
//! Such a dashboard signs people in through the worker's REST API
//! (`POST /api/v1/login` answers a user token, kept in the dashboard's own
//! session) and sends every server function call on to the worker, which
//! runs the very same function there: at `/api/v1/dashboard` followed by the
//! function's path, encoded as the browser would encode it, with the server
//! key in `Authorization` and the user's token in [`USER_TOKEN_HEADER`]. The
//! worker runs the function as that user, so their rights hold; the
//! dashboard only relays.
//!
//! Each server function starts with [`forward_to_worker!`]: in a dashboard
//! with a database it does nothing and the function goes on locally.

/// The header that carries the user's token beside the server's key.
pub const USER_TOKEN_HEADER: &str = "enschedule-user-token";

/// Where, under the worker's `/api/v1`, server functions are called.
pub const DASHBOARD_CALLS: &str = "/dashboard";

/// The REST API of the server at `url`: the URL with `/api/v1` added unless
/// it is there; `None` when it is not an http or https URL.
pub fn api_base(url: &str) -> Option<String> {
    let url = url.trim().trim_end_matches('/');
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return None;
    }
    Some(match url.ends_with("/api/v1") {
        true => url.to_string(),
        false => format!("{url}/api/v1"),
    })
}

/// At the top of a server function: when the dashboard fronts a remote
/// worker, sends the call (the server function's own struct, built from its
/// arguments) there and returns the worker's answer.
#[cfg(feature = "ssr")]
macro_rules! forward_to_worker {
    ($call:expr) => {
        if let Some(worker) = $crate::remote::ssr::remote_worker() {
            return $crate::remote::ssr::forward(worker, $call).await;
        }
    };
}

#[cfg(feature = "ssr")]
pub(crate) use forward_to_worker;

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::sync::Arc;

    use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use server_fn::ServerFn;
    use worker::accounts::User;

    use super::{DASHBOARD_CALLS, USER_TOKEN_HEADER};
    use crate::auth::ssr::{not_signed_in, session, session_error};
    use crate::error::AppError;

    /// Where, in a remote dashboard's session, the user's token is kept.
    pub const TOKEN_KEY: &str = "worker_token";

    /// The worker a remote dashboard stands in front of.
    #[derive(Clone)]
    pub struct RemoteWorker {
        /// The worker's API, ending in `/api/v1`.
        api: Arc<str>,
        server_key: Arc<str>,
        client: reqwest::Client,
    }

    /// The caller of a server function that a remote dashboard sent on: put
    /// in the function's context by the worker's API once the server key and
    /// the user's token are checked.
    #[derive(Debug, Clone)]
    pub struct Delegated {
        pub user: User,
        /// The SHA-256 of the user's token, so signing out can revoke it.
        pub token_hash: String,
    }

    /// The worker this dashboard fronts, if it is a remote dashboard. A call
    /// a remote dashboard sent here runs here, never sent on again.
    pub fn remote_worker() -> Option<RemoteWorker> {
        match delegated() {
            Some(_) => None,
            None => leptos::prelude::use_context::<RemoteWorker>(),
        }
    }

    pub fn delegated() -> Option<Delegated> {
        leptos::prelude::use_context::<Delegated>()
    }

    /// A server function call, sent on with the session's token.
    pub async fn forward<F>(worker: RemoteWorker, call: F) -> Result<F::Output, AppError>
    where
        F: ServerFn + Serialize,
        F::Output: DeserializeOwned,
    {
        let token = session_token().await?.ok_or_else(not_signed_in)?;
        worker.send(&token, call).await
    }

    /// The token of the session's user, when someone is signed in.
    pub async fn session_token() -> Result<Option<String>, AppError> {
        session()
            .await?
            .get::<String>(TOKEN_KEY)
            .await
            .map_err(session_error)
    }

    impl RemoteWorker {
        /// `url` is the worker's base URL (`/api/v1` is added unless it is
        /// there); `server_key` its `API_KEY`.
        pub fn new(url: &str, server_key: &str) -> Result<RemoteWorker, String> {
            reqwest::Url::parse(url)
                .map_err(|error| format!("WORKER_URL: `{url}` is not a URL: {error}"))?;
            let api = super::api_base(url)
                .ok_or_else(|| format!("WORKER_URL: `{url}` is not an http or https URL"))?;
            if server_key.is_empty() {
                return Err("API_KEY: the worker's server key is needed with WORKER_URL".into());
            }
            let client = http_client()?;
            Ok(RemoteWorker {
                api: api.into(),
                server_key: server_key.into(),
                client,
            })
        }

        pub fn api_url(&self) -> &str {
            &self.api
        }

        /// Signs a user in on the worker; answers their token.
        pub async fn login(&self, name: &str, password: &str) -> Result<String, AppError> {
            #[derive(serde::Deserialize)]
            struct Token {
                token: String,
            }
            let response = self
                .client
                .post(format!("{}/login", self.api))
                .json(&serde_json::json!({ "name": name, "password": password }))
                .send()
                .await
                .map_err(|error| unreachable(&self.api, error))?;
            let status = response.status();
            if status.is_success() {
                let token: Token = response.json().await.map_err(|error| {
                    tracing::error!(error = %error, "the worker's login answer was not understood");
                    AppError::Internal
                })?;
                return Ok(token.token);
            }
            let bytes = response.bytes().await.unwrap_or_default();
            Err(api_error(status, &bytes))
        }

        /// Checks that the worker takes the server's key; `Err` names what
        /// is wrong. An unreachable worker is not an error here: it may
        /// start later.
        pub async fn check_key(&self) -> Result<(), String> {
            let response = self
                .client
                .get(format!("{}/workers", self.api))
                .header(AUTHORIZATION, format!("Api-Key {}", self.server_key))
                .send()
                .await;
            let response = match response {
                Ok(response) => response,
                Err(error) => {
                    tracing::warn!(error = %error, worker = %self.api,
                        "the worker does not answer yet; the dashboard will keep trying");
                    return Ok(());
                }
            };
            let status = response.status();
            if status.is_success() {
                return Ok(());
            }
            let bytes = response.bytes().await.unwrap_or_default();
            Err(format!(
                "API_KEY: the worker at {} refused it: {}",
                self.api,
                api_error(status, &bytes)
            ))
        }

        /// Calls a server function on the worker as the user whose token
        /// this is.
        pub async fn send<F>(&self, token: &str, call: F) -> Result<F::Output, AppError>
        where
            F: ServerFn + Serialize,
            F::Output: DeserializeOwned,
        {
            let body = serde_qs::to_string(&call).map_err(|error| {
                tracing::error!(error = %error, path = F::PATH, "could not encode a call for the worker");
                AppError::Internal
            })?;
            let request = self
                .call(F::PATH, token)
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body);
            self.answer(F::PATH, request).await
        }

        /// A call of the server function at `path`, authenticated as the
        /// user whose token this is; the caller adds the body.
        pub fn call(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
            self.client
                .post(format!("{}{DASHBOARD_CALLS}{path}", self.api))
                .header(AUTHORIZATION, format!("Api-Key {}", self.server_key))
                .header(USER_TOKEN_HEADER, token)
        }

        /// Sends a call and reads its answer as the server function's
        /// output, or its error.
        pub async fn answer<T: DeserializeOwned>(
            &self,
            path: &str,
            request: reqwest::RequestBuilder,
        ) -> Result<T, AppError> {
            let response = request
                .send()
                .await
                .map_err(|error| unreachable(&self.api, error))?;
            let status = response.status();
            let bytes = response
                .bytes()
                .await
                .map_err(|error| unreachable(&self.api, error))?;
            if status.is_success() {
                return serde_json::from_slice(&bytes).map_err(|error| {
                    tracing::error!(error = %error, path, "the worker's answer was not understood");
                    AppError::Internal
                });
            }
            // A server function's error comes back as the function's error;
            // the worker's API refuses a key or a token in its own JSON.
            match serde_json::from_slice::<AppError>(&bytes) {
                Ok(error) => Err(error),
                Err(_) => Err(api_error(status, &bytes)),
            }
        }
    }

    /// One of the REST API's JSON errors as the dashboard's error, its
    /// message kept.
    fn api_error(status: reqwest::StatusCode, body: &[u8]) -> AppError {
        let body: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let message = body["error"]["message"]
            .as_str()
            .map_or_else(|| format!("the worker answered {status}"), str::to_string);
        match status.as_u16() {
            400 | 413 | 422 => AppError::Invalid(message),
            401 => AppError::Unauthorized(message),
            403 => AppError::Forbidden(message),
            404 => AppError::NotFound(message),
            409 => AppError::Conflict(message),
            429 => AppError::TooManyRequests(message),
            _ => {
                tracing::error!(%status, message, "the worker failed a call");
                AppError::Internal
            }
        }
    }

    /// A client for a server's API; one that never answers must not hold
    /// a caller forever.
    pub fn http_client() -> Result<reqwest::Client, String> {
        reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|error| format!("could not set up an HTTP client: {error}"))
    }

    fn unreachable(api: &str, error: reqwest::Error) -> AppError {
        tracing::error!(error = %error, worker = api, "the worker could not be reached");
        AppError::Transport(format!("the worker at {api} could not be reached"))
    }
}
