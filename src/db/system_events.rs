//! Queuing an event about keyhook itself (`domain::SystemEvent`) for a workspace's system
//! endpoint: the event row and its one delivery, in the caller's transaction, found by the
//! sender's poll. Nothing is queued for a workspace without one, and never about the system
//! endpoint itself (its failures would feed themselves).

use diesel::prelude::*;

use super::deliveries::{Delivery, NewDelivery};
use super::events::{Event, NewEvent};
use super::schema::webhooks;
use super::webhooks::{Webhook, SYSTEM};
use super::DbConnection;
use crate::domain::{new_message_id, new_public_id, DeliveryState, SystemEvent, Trigger};

/// The workspace's system endpoint, if it has one.
pub fn endpoint_of(conn: &mut DbConnection, workspace_id: i64) -> QueryResult<Option<Webhook>> {
    webhooks::table
        .filter(webhooks::deleted_at.is_null())
        .filter(webhooks::workspace_id.eq(workspace_id))
        .filter(webhooks::kind.eq(SYSTEM))
        .select(Webhook::as_select())
        .first(conn)
        .optional()
}

/// Queues `event` with `payload` for the workspace's system endpoint, unless `about` is that
/// endpoint, it has none, or it is disabled. Answers whether one was queued.
pub fn queue(
    conn: &mut DbConnection,
    workspace_id: i64,
    about: i64,
    event: SystemEvent,
    payload: &serde_json::Value,
    now: i64,
) -> QueryResult<bool> {
    let Some(endpoint) = endpoint_of(conn, workspace_id)? else { return Ok(false) };
    if endpoint.id == about || !endpoint.enabled {
        return Ok(false);
    }
    let row = Event::insert(
        conn,
        &NewEvent {
            public_id: &new_public_id(),
            workspace_id,
            event_type: event.as_str(),
            payload: &payload.to_string(),
            created_at: now,
            test: false,
        },
    )?;
    let message_id = new_message_id();
    Delivery::insert_all(
        conn,
        &[NewDelivery {
            message_id: &message_id,
            event_id: row.id,
            webhook_id: endpoint.id,
            trigger: Trigger::Event.as_str(),
            state: DeliveryState::Pending.as_str(),
            retries: true,
            next_attempt_at: Some(now),
            lease_until: None,
            created_at: now,
        }],
    )?;
    super::outbox::mark_enqueued();
    Ok(true)
}
