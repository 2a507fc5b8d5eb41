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
pub mod addons;
pub mod alerts;
pub mod api_keys;
pub mod audit;
pub mod clients;
pub mod directory;
pub mod events;
pub mod health;
pub mod last_used;
pub mod login_throttle;
pub mod mail;
pub mod members;
pub mod password_resets;
pub mod passwords;
pub mod preferences;
pub mod projects;
pub mod publish;
pub mod sessions;
pub mod system_endpoint;
pub mod tags;
pub mod tasks;
pub mod time_entries;
pub mod webhooks;
pub mod workspaces;

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
    /// Names the query that failed (its SQL, without values) when the connection saw it fail.
    fn from(e: diesel::result::Error) -> Self {
        let context = match crate::db::failed_query::take() {
            Some(sql) => format!("database query failed: {sql}"),
            None => "database query failed".to_owned(),
        };
        Self::Internal(anyhow::Error::new(e).context(context))
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// A unique name index refusing a write (a concurrent create with the same name) as the
/// user's mistake it is; any other database error as it is.
pub fn unique_name(error: diesel::result::Error, kind: &str) -> ServiceError {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => name_taken(kind),
        other => other.into(),
    }
}

/// Names are unique in their scope: `holder` is the entity that has the name now (if any), and
/// `except` the one being renamed. Said next to the name rather than failed on the index.
pub fn ensure_name_free(holder: Option<i64>, except: Option<i64>, kind: &str) -> ServiceResult<()> {
    match holder {
        Some(id) if Some(id) != except => Err(name_taken(kind)),
        _ => Ok(()),
    }
}

/// Clockify's answer to a duplicate name; `kind` is "Client", "Tag"...
pub fn name_taken(kind: &str) -> ServiceError {
    ServiceError::invalid("name", format!("{kind} with this name already exists"))
}
