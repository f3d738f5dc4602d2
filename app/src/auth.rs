//! Signing in: who is using the dashboard.
//!
//! A *session* is a cookie naming a row of the session store; once someone
//! signs in it holds their user id and when they signed in. A session is
//! valid while its user exists, is not disabled, and has not ended their
//! sessions since (a password change or "sign out everywhere" does that).
//! Every server function starts by asking [`ssr::caller`] who is calling.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::components::ErrorNotice;
use crate::error::AppError;

/// The signed-in user, as the pages see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInUser {
    pub name: String,
    pub admin: bool,
    pub groups: Vec<String>,
}

/// Who is signed in; `None` when nobody is.
#[server]
pub async fn me() -> Result<Option<SignedInUser>, AppError> {
    if let Some(worker) = crate::remote::ssr::remote_worker() {
        return ssr::remote_user(&worker).await;
    }
    let user = ssr::signed_in_user().await?;
    Ok(user.map(|u| SignedInUser {
        name: u.name,
        admin: u.admin,
        groups: u.groups,
    }))
}

/// Signs in and answers where to go next: `next` when it is a page of this
/// site, else the start page.
#[server]
pub async fn sign_in(name: String, password: String, next: String) -> Result<String, AppError> {
    ssr::sign_in(name.trim(), &password).await?;
    let safe = next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\");
    Ok(if safe { next } else { "/".to_string() })
}

#[server]
pub async fn sign_out() -> Result<(), AppError> {
    if let Some(delegated) = crate::remote::ssr::delegated() {
        // A remote dashboard's session ends: its token goes.
        let engine = crate::error::engine()?;
        return Ok(engine
            .store()
            .revoke_api_key_by_hash(&delegated.token_hash, engine.now())
            .await?);
    }
    let remote = crate::remote::ssr::remote_worker();
    let session = ssr::session().await?;
    if let Some(worker) = remote {
        ssr::end_remote_session(&worker, &session, SignOut {}).await;
    }
    session.flush().await.map_err(ssr::session_error)
}

/// Ends every session of the signed-in user, this one included.
#[server]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    if let Some(worker) = crate::remote::ssr::remote_worker() {
        let session = ssr::session().await?;
        ssr::end_remote_session(&worker, &session, SignOutEverywhere {}).await;
        return session.flush().await.map_err(ssr::session_error);
    }
    let engine = crate::error::engine()?;
    let delegated = crate::remote::ssr::delegated();
    if let Some(delegated) = delegated {
        // Ending the sessions ends the user's login tokens; this one goes
        // even if it was issued in the same millisecond.
        let now = engine.now();
        engine.store().end_sessions(delegated.user.id, now).await?;
        return Ok(engine
            .store()
            .revoke_api_key_by_hash(&delegated.token_hash, now)
            .await?);
    }
    let session = ssr::session().await?;
    let user = ssr::user_of_session(&session, engine.store())
        .await?
        .ok_or_else(ssr::not_signed_in)?;
    engine.store().end_sessions(user.id, engine.now()).await?;
    session.flush().await.map_err(ssr::session_error)
}

/// Changes the signed-in user's password; their other sessions end.
#[server]
pub async fn change_password(current: String, new: String) -> Result<(), AppError> {
    crate::remote::forward_to_worker!(ChangePassword { current, new });
    ssr::change_password(&current, &new).await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Serialize};
    use tower_sessions::Session;
    use worker::access::Caller;
    pub use worker::accounts::SignInLimiter;
    use worker::accounts::{User, check_credentials, hash_password, verify_password};

    use crate::error::{AppError, engine};
    use crate::remote::ssr::{RemoteWorker, TOKEN_KEY, remote_worker};

    /// Where the session keeps who signed in.
    const SESSION_KEY: &str = "signed_in";

    #[derive(Debug, Clone, Serialize, Deserialize)]
    struct SignedIn {
        user_id: i64,
        /// Unix milliseconds.
        at: i64,
    }

    pub(crate) fn session_error(error: tower_sessions::session::Error) -> AppError {
        tracing::error!(error = %error, "the session store failed");
        AppError::Internal
    }

    pub(crate) async fn session() -> Result<Session, AppError> {
        leptos_axum::extract::<Session>().await.map_err(|error| {
            tracing::error!(error = %error, "no session layer in front of the server functions");
            AppError::Internal
        })
    }

    /// The user a session belongs to, if it is still valid.
    pub async fn user_of_session(
        session: &Session,
        store: &worker::Store,
    ) -> Result<Option<User>, AppError> {
        let Some(signed_in) = session
            .get::<SignedIn>(SESSION_KEY)
            .await
            .map_err(session_error)?
        else {
            return Ok(None);
        };
        let user = match store.get_user(signed_in.user_id).await {
            Ok(user) => user,
            Err(worker::StoreError::NotFound(_)) => return Ok(None),
            Err(other) => return Err(other.into()),
        };
        let began = DateTime::<Utc>::from_timestamp_millis(signed_in.at).unwrap_or_default();
        if user.disabled || began < user.sessions_valid_from {
            return Ok(None);
        }
        Ok(Some(user))
    }

    // During server-side rendering the context is there only until a server
    // function's first `.await`: each reads the engine and the session first.

    pub async fn signed_in_user() -> Result<Option<User>, AppError> {
        if let Some(delegated) = crate::remote::ssr::delegated() {
            return Ok(Some(delegated.user));
        }
        let engine = engine()?;
        user_of_session(&session().await?, engine.store()).await
    }

    pub(crate) fn not_signed_in() -> AppError {
        AppError::Unauthorized("sign in first".into())
    }

    /// The signed-in user, or `Unauthorized`.
    pub async fn require_user() -> Result<User, AppError> {
        signed_in_user().await?.ok_or_else(not_signed_in)
    }

    /// The signed-in user, who must be an admin.
    pub async fn require_admin() -> Result<User, AppError> {
        let user = require_user().await?;
        if !user.admin {
            return Err(AppError::Forbidden("only admins may do this".into()));
        }
        Ok(user)
    }

    /// Who is calling and the rules their rights come from, with the engine:
    /// what every server function loads before it reads or changes anything.
    pub struct Access {
        pub rights: worker::access::Access,
        pub engine: worker::Engine,
    }

    impl Access {
        /// The signed-in caller's access; `Unauthorized` when nobody is
        /// signed in.
        pub async fn load() -> Result<Access, AppError> {
            let engine = engine()?;
            let user = require_user().await?;
            let rules = engine.store().rule_book().await?;
            let caller = Caller::User {
                name: user.name,
                groups: user.groups,
                admin: user.admin,
            };
            Ok(Access {
                rights: worker::access::Access { caller, rules },
                engine,
            })
        }
    }

    pub(super) async fn sign_in(name: &str, password: &str) -> Result<(), AppError> {
        if let Some(worker) = remote_worker() {
            let session = session().await?;
            let token = worker.login(name, password).await?;
            session.cycle_id().await.map_err(session_error)?;
            session
                .insert(TOKEN_KEY, token)
                .await
                .map_err(session_error)?;
            tracing::info!(
                user.name = name,
                worker = worker.api_url(),
                "signed in on the worker"
            );
            return Ok(());
        }
        let engine = engine()?;
        let limiter = leptos::prelude::use_context::<SignInLimiter>().unwrap_or_default();
        let session = session().await?;
        let user = check_credentials(engine.store(), &limiter, name, password).await?;

        // A new session id on sign-in, so an id planted before cannot ride it.
        session.cycle_id().await.map_err(session_error)?;
        remember(&session, user.id, engine.now()).await?;
        tracing::info!(user.name = name, "signed in");
        Ok(())
    }

    /// Changes the caller's password. A remote dashboard's caller is signed
    /// out everywhere by it, there too; a session here carries on.
    pub(super) async fn change_password(current: &str, new: &str) -> Result<(), AppError> {
        let engine = engine()?;
        let delegated = crate::remote::ssr::delegated();
        let (user, session) = match delegated {
            Some(delegated) => (delegated.user, None),
            None => {
                let session = session().await?;
                let user = user_of_session(&session, engine.store())
                    .await?
                    .ok_or_else(not_signed_in)?;
                (user, Some(session))
            }
        };
        let stored = engine
            .store()
            .find_user(&user.name)
            .await?
            .ok_or_else(not_signed_in)?;
        if !verify_password(current, &stored.password_hash) {
            return Err(AppError::Invalid("current password: it is wrong".into()));
        }
        let hash = hash_password(new).map_err(|e| AppError::Invalid(format!("new {e}")))?;
        let now = engine.now();
        engine.store().set_password(user.id, &hash, now).await?;
        // Other sessions end; this one carries on.
        match session {
            Some(session) => remember(&session, user.id, now).await,
            None => Ok(()),
        }
    }

    /// Who the session's token belongs to, asked of the remote worker;
    /// `None` when nobody is signed in or the token no longer works.
    pub(super) async fn remote_user(
        worker: &RemoteWorker,
    ) -> Result<Option<super::SignedInUser>, AppError> {
        user_of_remote_session(&session().await?, worker).await
    }

    /// The user a session of a remote dashboard belongs to, if its token
    /// still works on the worker.
    pub async fn user_of_remote_session(
        session: &Session,
        worker: &RemoteWorker,
    ) -> Result<Option<super::SignedInUser>, AppError> {
        let token = session
            .get::<String>(TOKEN_KEY)
            .await
            .map_err(session_error)?;
        let Some(token) = token else {
            return Ok(None);
        };
        match worker.send(&token, super::Me {}).await {
            Err(AppError::Unauthorized(_)) => Ok(None),
            other => other,
        }
    }

    /// Tells the remote worker a session ends (`call` is `SignOut` or
    /// `SignOutEverywhere`); the session here ends whatever it answers.
    pub(super) async fn end_remote_session<F>(worker: &RemoteWorker, session: &Session, call: F)
    where
        F: server_fn::ServerFn<Output = ()> + Serialize,
    {
        let token = session.get::<String>(TOKEN_KEY).await.ok().flatten();
        if let Some(token) = token
            && let Err(error) = worker.send(&token, call).await
        {
            tracing::warn!(error = %error, "the worker did not end the session; its token expires on its own");
        }
    }

    async fn remember(session: &Session, user_id: i64, now: DateTime<Utc>) -> Result<(), AppError> {
        let signed_in = SignedIn {
            user_id,
            at: now.timestamp_millis(),
        };
        session
            .insert(SESSION_KEY, signed_in)
            .await
            .map_err(session_error)
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next")).unwrap_or_else(|| "/".into());
    let action = ServerAction::<SignIn>::new();
    Effect::new(move |_| {
        if let Some(Ok(to)) = action.value().get() {
            // A full load, so every page and the top bar see the new session.
            let _ = window().location().set_href(&to);
        }
    });
    view! {
        <Title text="Sign in" />
        <section class="page narrow">
            <h1>"Sign in"</h1>
            <ActionForm action attr:class="form" attr:id="sign-in">
                <input type="hidden" name="next" prop:value=next />
                <label>"User name" <input type="text" name="name" autocomplete="username" required /></label>
                <label>"Password" <input type="password" name="password" autocomplete="current-password" required /></label>
                <button type="submit" id="sign-in-button" disabled=move || action.pending().get()>"Sign in"</button>
                {move || action.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error /> })}
            </ActionForm>
        </section>
    }
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let me = Resource::new(|| (), |_| me());
    let change = ServerAction::<ChangePassword>::new();
    let out = ServerAction::<SignOut>::new();
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    Effect::new(move |_| {
        if out.version().get() + everywhere.version().get() > 0 {
            let _ = window().location().set_href("/sign-in");
        }
    });
    view! {
        <Title text="Profile" />
        <section class="page narrow">
            <h1>"Profile"</h1>
            <Suspense fallback=|| ()>
                {move || me.get().and_then(Result::ok).flatten().map(|me| view! {
                    <dl class="facts">
                        <dt>"User"</dt><dd id="profile-name">{me.name}</dd>
                        <dt>"Role"</dt><dd>{if me.admin { "admin" } else { "user" }}</dd>
                        <dt>"Groups"</dt><dd>{if me.groups.is_empty() { "—".to_string() } else { me.groups.join(", ") }}</dd>
                    </dl>
                })}
            </Suspense>
            <h2>"Change password"</h2>
            <ActionForm action=change attr:class="form" attr:id="change-password">
                <label>"Current password" <input type="password" name="current" autocomplete="current-password" required /></label>
                <label>"New password (at least 8 characters)" <input type="password" name="new" autocomplete="new-password" required /></label>
                <button type="submit" id="change-password-button">"Change password"</button>
                {move || change.value().get().map(|result| match result {
                    Ok(()) => view! { <p class="notice notice-ok" id="password-changed">"Password changed; your other sessions have ended."</p> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                })}
            </ActionForm>
            <h2>"Sessions"</h2>
            <div class="actions">
                <ActionForm action=out>
                    <button type="submit" class="secondary" id="sign-out">"Sign out"</button>
                </ActionForm>
                <ActionForm action=everywhere>
                    <button type="submit" class="secondary" id="sign-out-everywhere">"Sign out everywhere"</button>
                </ActionForm>
            </div>
        </section>
    }
}
