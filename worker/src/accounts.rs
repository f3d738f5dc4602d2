//! Accounts: users, groups and API keys, and the secrets that prove who is
//! calling.
//!
//! A *user* signs in with a name and a password (kept as an Argon2id hash)
//! or calls the API with one of their *API keys* (random, shown once, kept as
//! a SHA-256). *Groups* collect users so rules can name many at once. The
//! first admin comes from `ADMIN_ACCOUNT`, or is made with a random password
//! on a first start with no users at all ([`ensure_admin`]).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::store::{Store, StoreError};

/// A stored user. The password hash stays in the store: this type is what
/// the rest of the product may see, and never leaves the server with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub admin: bool,
    pub disabled: bool,
    pub groups: Vec<String>,
    /// Sessions begun before this instant are void.
    pub sessions_valid_from: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub members: Vec<String>,
}

/// An API key as listed: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    /// Whether the key may still be used at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| now < at)
    }
}

/// Why an account operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    #[error("the password could not be hashed: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &'static str, problem: impl Into<String>) -> AccountError {
    AccountError::Invalid {
        field,
        problem: problem.into(),
    }
}

/// The shortest password accepted.
pub const MIN_PASSWORD_LENGTH: usize = 8;

/// Checks a user name: what rules and the sign-in form will name.
pub fn check_name(name: &str) -> Result<(), AccountError> {
    if name.is_empty() || name.len() > 64 {
        return Err(invalid("name", "must be 1 to 64 characters"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err(invalid("name", "may hold only letters, digits and . _ - @"));
    }
    Ok(())
}

/// Hashes a password with Argon2id and a fresh salt.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    if password.chars().count() < MIN_PASSWORD_LENGTH {
        return Err(invalid(
            "password",
            format!("must be at least {MIN_PASSWORD_LENGTH} characters"),
        ));
    }
    let salt_bytes: [u8; 16] = rand::rng().random();
    let salt =
        SaltString::encode_b64(&salt_bytes).map_err(|e| AccountError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// Whether `password` matches a stored hash. A malformed hash matches
/// nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A new random secret of `length` letters and digits: API keys, generated
/// passwords.
pub fn random_secret(length: usize) -> String {
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(length)
        .map(char::from)
        .collect()
}

/// The stored form of an API key.
pub fn hash_key(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How long generated API keys are: about 238 bits.
pub const KEY_LENGTH: usize = 40;

/// Reads `ADMIN_ACCOUNT`: `user:password`, split at the first `:` so the
/// password may hold more.
pub fn parse_admin_account(text: &str) -> Result<(String, String), AccountError> {
    let (name, password) = text
        .split_once(':')
        .ok_or_else(|| invalid("ADMIN_ACCOUNT", "must be user:password"))?;
    check_name(name).map_err(|_| {
        invalid(
            "ADMIN_ACCOUNT",
            format!("`{name}` is not a valid user name"),
        )
    })?;
    Ok((name.to_string(), password.to_string()))
}

/// What [`ensure_admin`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminSetUp {
    /// `ADMIN_ACCOUNT` created this admin.
    Created(String),
    /// `ADMIN_ACCOUNT` named an existing user: now an admin with that password.
    Updated(String),
    /// There were no users: `admin` was made with this generated password,
    /// to be shown once.
    Generated { name: String, password: String },
    /// Nothing to do: users exist and no `ADMIN_ACCOUNT` was given, or it
    /// names an enabled admin who already has that password.
    Unchanged,
}

/// Makes sure someone can sign in as an admin: the account in
/// `ADMIN_ACCOUNT` (created, or updated to admin with that password), else,
/// when there are no users at all, `admin` with a random password.
pub async fn ensure_admin(
    store: &Store,
    admin_account: Option<&str>,
    now: DateTime<Utc>,
) -> Result<AdminSetUp, AccountError> {
    if let Some(text) = admin_account.filter(|t| !t.is_empty()) {
        let (name, password) = parse_admin_account(text)?;
        let hash = hash_password(&password).map_err(|_| {
            invalid(
                "ADMIN_ACCOUNT",
                format!("the password must be at least {MIN_PASSWORD_LENGTH} characters"),
            )
        })?;
        return Ok(match store.find_user(&name).await? {
            Some(existing)
                if existing.user.admin
                    && !existing.user.disabled
                    && verify_password(&password, &existing.password_hash) =>
            {
                // Setting the same password again would end their sessions
                // at every restart.
                AdminSetUp::Unchanged
            }
            Some(existing) => {
                let id = existing.user.id;
                store.set_password(id, &hash, now).await?;
                store.set_admin(id, true, now).await?;
                store.set_disabled(id, false, now).await?;
                AdminSetUp::Updated(name)
            }
            None => {
                store.create_user(&name, &hash, true, now).await?;
                AdminSetUp::Created(name)
            }
        });
    }
    if store.count_users().await? > 0 {
        return Ok(AdminSetUp::Unchanged);
    }
    let password = random_secret(20);
    store
        .create_user("admin", &hash_password(&password)?, true, now)
        .await?;
    Ok(AdminSetUp::Generated {
        name: "admin".to_string(),
        password,
    })
}

/// Creates a user after checking the name and the password.
pub async fn create_user(
    store: &Store,
    name: &str,
    password: &str,
    admin: bool,
    now: DateTime<Utc>,
) -> Result<i64, AccountError> {
    check_name(name)?;
    let hash = hash_password(password)?;
    Ok(store.create_user(name, &hash, admin, now).await?)
}

/// A new API key: the key itself exists only here, to be shown once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedKey {
    pub id: i64,
    pub key: String,
}

/// How many leading characters of a key are kept in the clear, so a listed
/// key can be recognised.
pub const KEY_PREFIX_LENGTH: usize = 8;

/// The name of the keys `POST /api/v1/login` issues. They stand for a
/// sign-in, so they end with the user's sessions (a password change, "sign
/// out everywhere"), which other keys outlive.
pub const LOGIN_TOKEN: &str = "login token";

/// Makes an API key for a user; it stops working at `expires_at`, if given.
pub async fn issue_api_key(
    store: &Store,
    user_id: i64,
    name: &str,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<IssuedKey, AccountError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(invalid("name", "must be 1 to 100 characters"));
    }
    if expires_at.is_some_and(|at| at <= now) {
        return Err(invalid("expires", "must be in the future"));
    }
    let key = random_secret(KEY_LENGTH);
    let id = store
        .insert_api_key(
            user_id,
            name,
            &key[..KEY_PREFIX_LENGTH],
            &hash_key(&key),
            expires_at,
            now,
        )
        .await?;
    Ok(IssuedKey { id, key })
}

/// Sign-in attempts per user name: a few at once, then one every 12 s, so
/// guessing passwords is slow while a person who mistypes is not held up.
/// The dashboard's sign-in and the API's login share one.
#[derive(Clone)]
pub struct SignInLimiter(std::sync::Arc<governor::DefaultKeyedRateLimiter<String>>);

impl Default for SignInLimiter {
    fn default() -> Self {
        let five = std::num::NonZeroU32::new(5).unwrap_or(std::num::NonZeroU32::MIN);
        let quota = governor::Quota::per_minute(five).allow_burst(five);
        SignInLimiter(std::sync::Arc::new(governor::RateLimiter::keyed(quota)))
    }
}

/// Why a sign-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("too many sign-in attempts for this user; wait 12 seconds and try again")]
    TooManyAttempts,
    #[error("the user name or the password is wrong")]
    Refused,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The user whose name and password these are, if they may sign in: the
/// attempt counts against the name's limit, and an unknown name takes as
/// long as a wrong password.
pub async fn check_credentials(
    store: &Store,
    limiter: &SignInLimiter,
    name: &str,
    password: &str,
) -> Result<User, SignInError> {
    if limiter.0.check_key(&name.to_lowercase()).is_err() {
        tracing::warn!(user.name = name, "sign-in refused: too many attempts");
        return Err(SignInError::TooManyAttempts);
    }
    let Some(stored) = store.find_user(name).await? else {
        let _ = verify_password(password, &DUMMY_HASH);
        tracing::debug!(user.name = name, "sign-in refused: no such user");
        return Err(SignInError::Refused);
    };
    if !verify_password(password, &stored.password_hash) || stored.user.disabled {
        tracing::debug!(user.name = name, "sign-in refused");
        return Err(SignInError::Refused);
    }
    Ok(stored.user)
}

/// A hash of a random password, to spend the same time on an unknown user
/// as on a known one.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password(&random_secret(24)).unwrap_or_default());
