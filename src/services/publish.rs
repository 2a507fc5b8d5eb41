//! Publishing the events of modules keyhook does not implement (invoices, expenses, approvals,
//! time off, scheduling...): the product that embeds keyhook fires them through the API, and
//! they are delivered like any other. Owners and Admins only; the plan gates each event; an
//! `Idempotency-Key` makes a retried request publish once.

use serde_json::{json, Value};

use crate::db::idempotency_keys::IdempotencyKey;
use crate::db::DbConnection;
use crate::domain::EventType;
use crate::dto::iso;

use super::workspaces::WorkspaceAccess;
use super::{events, ServiceError, ServiceResult};
use crate::clock::now_ms;

/// The answer to a publish, and whether it is the replay of an earlier one.
pub struct Publication {
    pub answer: Value,
    pub replayed: bool,
}

pub fn publish(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    event: EventType,
    payload: &Value,
    idempotency_key: Option<&str>,
) -> ServiceResult<Publication> {
    access.require_admin()?;
    let now = now_ms();
    let window_start = now - IdempotencyKey::WINDOW_MS;
    if let Some(key) = idempotency_key {
        if let Some(first) = IdempotencyKey::answer(conn, access.workspace.id, key, window_start)? {
            let answer = serde_json::from_str(&first).map_err(anyhow::Error::from)?;
            return Ok(Publication { answer, replayed: true });
        }
    }
    let plan = access.plan();
    if !event.allowed_on(plan) {
        return Err(ServiceError::forbidden(format!(
            "The {} plan does not include {}: it needs {} or higher.",
            plan.as_str(),
            event.as_str(),
            event.required_plan().as_str()
        )));
    }
    if !payload.is_object() {
        return Err(ServiceError::invalid("payload", "must be a JSON object"));
    }
    let row = events::emit(conn, access.workspace.id, event, payload)?;
    let answer = json!({
        "id": row.public_id,
        "event": event.as_str(),
        "workspaceId": access.workspace.public_id,
        "createdAt": iso(row.created_at),
    });
    if let Some(key) = idempotency_key {
        IdempotencyKey::remember(conn, access.workspace.id, key, &answer.to_string(), now, window_start).map_err(
            |e| match e {
                // The same key in a request running at this moment: this one is rolled back.
                diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                    ServiceError::invalid("Idempotency-Key", "a request with this key is in progress; retry it")
                }
                other => other.into(),
            },
        )?;
    }
    Ok(Publication { answer, replayed: false })
}
