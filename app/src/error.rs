//! The error every server function returns: a message fit for the page.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The request broke a rule; the message names the field.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    /// Not signed in, or the session ended.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but without the right.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts in a short time; try again later.
    #[error("{0}")]
    TooManyRequests(String),
    /// Our own failure; the details are in the server's log, not here.
    #[error("the server could not complete the request; its log has the details")]
    Internal,
    /// The call did not reach the server function, or its answer did not
    /// come back.
    #[error("{0}")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use worker::StoreError;
    use worker::access::Denied;
    use worker::accounts::{AccountError, SignInError};
    use worker::queue::EngineError;

    use super::AppError;

    impl From<StoreError> for AppError {
        fn from(error: StoreError) -> Self {
            match error {
                StoreError::NotFound(what) => AppError::NotFound(format!("{what} not found")),
                StoreError::Conflict(message) => AppError::Conflict(message),
                other => {
                    tracing::error!(error = %other, "storage failed");
                    AppError::Internal
                }
            }
        }
    }

    impl From<SignInError> for AppError {
        fn from(error: SignInError) -> Self {
            match error {
                SignInError::Store(store) => store.into(),
                many @ SignInError::TooManyAttempts => AppError::TooManyRequests(many.to_string()),
                refused @ SignInError::Refused => AppError::Unauthorized(refused.to_string()),
            }
        }
    }

    impl From<Denied> for AppError {
        fn from(denied: Denied) -> Self {
            match denied {
                hidden @ Denied::Hidden(_) => AppError::NotFound(hidden.to_string()),
                forbidden @ Denied::Forbidden { .. } => AppError::Forbidden(forbidden.to_string()),
            }
        }
    }

    impl From<AccountError> for AppError {
        fn from(error: AccountError) -> Self {
            match error {
                AccountError::Store(store) => store.into(),
                invalid @ AccountError::Invalid { .. } => AppError::Invalid(invalid.to_string()),
                AccountError::Hash(problem) => {
                    tracing::error!(error = %problem, "password hashing failed");
                    AppError::Internal
                }
            }
        }
    }

    impl From<EngineError> for AppError {
        fn from(error: EngineError) -> Self {
            match error {
                EngineError::Store(store) => store.into(),
                EngineError::Runtime(runtime) => AppError::Invalid(runtime.to_string()),
                other => AppError::Invalid(other.to_string()),
            }
        }
    }
}

/// The engine, from the server function's context.
impl AppError {
    /// The HTTP status that goes with the error.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Invalid(_) => 422,
            AppError::NotFound(_) => 404,
            AppError::Unauthorized(_) => 401,
            AppError::Forbidden(_) => 403,
            AppError::Conflict(_) => 409,
            AppError::TooManyRequests(_) => 429,
            AppError::Internal => 500,
            AppError::Transport(_) => 400,
        }
    }
}

#[cfg(feature = "ssr")]
#[track_caller]
pub fn engine() -> Result<worker::Engine, AppError> {
    let at = std::panic::Location::caller();
    leptos::prelude::use_context::<worker::Engine>().ok_or_else(|| {
        tracing::error!(%at, "the engine is missing from the server function context");
        AppError::Internal
    })
}
