//! Publishing the events of modules keyhook does not implement (invoices, expenses, approvals,
//! time off, scheduling...): the product that embeds keyhook fires them through the API, and
//! they are delivered like any other. Owners and Admins only; the plan gates each event; an
//! `Idempotency-Key` makes a retried request publish once.
//!
//! Publications come in batches (`api::publications`, a group commit): each is checked on its
//! own, then the events of those that pass are appended together ([`events::emit_all`]).

use serde_json::{json, Value};

use crate::db::idempotency_keys::IdempotencyKey;
use crate::db::DbConnection;
use crate::domain::EventType;
use crate::dto::iso;

use super::events::{self, Emission};
use super::workspaces::WorkspaceAccess;
use super::{ServiceError, ServiceResult};
use crate::clock::now_ms;

/// One publication asked for.
pub struct Request {
    pub event: EventType,
    pub payload: Value,
    pub idempotency_key: Option<String>,
}

/// The answer to a publish, and whether it is the replay of an earlier one.
pub struct Publication {
    pub answer: Value,
    pub replayed: bool,
}

/// What checking a request found: an earlier answer to give again, or an event to append.
enum Checked<'a> {
    Replay(Publication),
    Fresh(Emission<'a>),
}

/// Publishes each request as its caller (`access`), in the open transaction, and answers each
/// in order. A refused request (role, plan, payload) is answered so and writes nothing; the
/// events of the others are appended together. An `Err` is a statement that failed: roll back.
pub fn publish_all(
    conn: &mut DbConnection,
    requests: &[(&WorkspaceAccess, &Request)],
) -> ServiceResult<Vec<ServiceResult<Publication>>> {
    let now = now_ms();
    let window_start = now - IdempotencyKey::WINDOW_MS;
    // Each request's replay or refusal, or `None`: its event is one of `fresh`, in order.
    let (mut outcomes, mut fresh) = (Vec::with_capacity(requests.len()), Vec::new());
    for (access, request) in requests {
        outcomes.push(match check(conn, access, request, window_start)? {
            Ok(Checked::Fresh(emission)) => {
                fresh.push(emission);
                Ok(None)
            }
            Ok(Checked::Replay(publication)) => Ok(Some(publication)),
            Err(refused) => Err(refused),
        });
    }
    let mut appended = events::emit_all(conn, &fresh)?.into_iter();
    let mut answers = Vec::with_capacity(requests.len());
    for ((access, request), outcome) in requests.iter().zip(outcomes) {
        answers.push(match outcome {
            Err(refused) => Err(refused),
            Ok(Some(replay)) => Ok(replay),
            Ok(None) => {
                let row = appended.next().ok_or_else(|| anyhow::anyhow!("an event was not inserted"))?;
                let answer = json!({
                    "id": row.public_id,
                    "event": request.event.as_str(),
                    "workspaceId": access.workspace.public_id,
                    "createdAt": iso(row.created_at),
                });
                if let Some(key) = &request.idempotency_key {
                    remember(conn, access, key, &answer, now, window_start)?;
                }
                Ok(Publication { answer, replayed: false })
            }
        });
    }
    Ok(answers)
}

/// Checks one request (reads only). The outer `Err` is a failed statement; the inner, a refusal.
fn check<'a>(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    request: &'a Request,
    window_start: i64,
) -> ServiceResult<ServiceResult<Checked<'a>>> {
    if let Err(refused) = access.require_admin() {
        return Ok(Err(refused));
    }
    if let Some(key) = &request.idempotency_key {
        if let Some(first) = IdempotencyKey::answer(conn, access.workspace.id, key, window_start)? {
            let answer = serde_json::from_str(&first).map_err(anyhow::Error::from)?;
            return Ok(Ok(Checked::Replay(Publication { answer, replayed: true })));
        }
    }
    let (plan, event) = (access.plan(), request.event);
    if !event.allowed_on(plan) {
        return Ok(Err(ServiceError::forbidden(format!(
            "The {} plan does not include {}: it needs {} or higher.",
            plan.as_str(),
            event.as_str(),
            event.required_plan().as_str()
        ))));
    }
    if !request.payload.is_object() {
        return Ok(Err(ServiceError::invalid("payload", "must be a JSON object")));
    }
    Ok(Emission::new(access.workspace.id, event, &request.payload).map(Checked::Fresh))
}

/// Keeps the answer under its key for the idempotency window.
fn remember(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    key: &str,
    answer: &Value,
    now: i64,
    window_start: i64,
) -> ServiceResult<()> {
    IdempotencyKey::remember(conn, access.workspace.id, key, &answer.to_string(), now, window_start).map_err(
        |e| match e {
            // The same key in a request running at this moment (or earlier in this batch): this
            // transaction is rolled back, and run alone the request answers this or its replay.
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                ServiceError::invalid("Idempotency-Key", "a request with this key is in progress; retry it")
            }
            other => other.into(),
        },
    )
}
