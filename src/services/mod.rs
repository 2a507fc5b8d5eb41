//! The rules of the product, one function per action, each in one transaction. Pages, the
//! REST API and the CLI all call these, so a rule lives in exactly one place.
//!
//! # Error policy
//! A service answers [`ServiceError`]: `Invalid` for a user's mistake (with the field it
//! belongs next to), `NotFound` for anything outside the caller's reach (a foreign id looks
//! exactly like a missing one), `Forbidden` when the caller can see a thing but their role may
//! not do this to it, `RateLimited` when they must wait, and `Internal` for everything else:
//! logged with its cause chain, answered opaquely.

pub mod accounts;
pub mod api_keys;
pub mod directory;
pub mod events;
pub mod login_throttle;
pub mod members;
pub mod passwords;
pub mod preferences;
pub mod webhooks;
pub mod workspaces;

use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    #[error("{message}")]
    RateLimited { message: String, retry_after_secs: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ServiceError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid { field, message: message.into() }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }
}

impl From<diesel::result::Error> for ServiceError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Internal(anyhow::Error::new(e).context("database query failed"))
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// Now, as Unix milliseconds: the one clock the services read.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)).unwrap_or(0)
}
