//! Sends a user asks for: a test of the event's sample payload, a resend of one attempt, and
//! the recovery of every failed delivery since a time.

use crate::db::attempts::Attempt;
use crate::db::deliveries::Delivery;
use crate::db::schema::deliveries;
use crate::db::DbConnection;
use crate::domain::{sample_payload, DeliveryState, EventType, SystemEvent, Trigger};
use crate::services::workspaces::WorkspaceAccess;
use crate::services::{events, ServiceError, ServiceResult};

use super::{audit, find};

/// Queues the event's sample payload to this webhook alone, marked TEST.
pub fn test(conn: &mut DbConnection, access: &WorkspaceAccess, public_id: &str) -> ServiceResult<String> {
    access.require_person()?;
    let webhook = find(conn, access, public_id)?;
    let ws = &access.workspace.public_id;
    let (event_type, sample) = if webhook.is_system() {
        // A system endpoint's test is a sample of its first kind of event.
        let event = SystemEvent::WebhookDegraded;
        (event.as_str(), event.sample(ws))
    } else {
        let event = EventType::parse(&webhook.event_type).map_err(anyhow::Error::msg)?;
        (event.as_str(), sample_payload(event, ws))
    };
    let event_row = events::test_event(conn, access.workspace.id, event_type, &sample)?;
    let message_id = events::new_message_id();
    events::enqueue_once(conn, event_row.id, webhook.id, &message_id, Trigger::Test)?;
    Ok(message_id)
}

/// Sends an attempt's payload again with the same `webhook-id`, once, marked RESEND.
pub fn resend(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    public_id: &str,
    attempt_id: &str,
) -> ServiceResult<()> {
    access.require_person()?;
    let webhook = find(conn, access, public_id)?;
    if webhook.is_addon() {
        return Err(ServiceError::forbidden("Add-on webhooks cannot be resent."));
    }
    let attempt = Attempt::find_of_webhook(conn, webhook.id, attempt_id)?.ok_or(ServiceError::NotFound)?;
    let delivery = Delivery::find(conn, attempt.delivery_id)?.ok_or(ServiceError::NotFound)?;
    events::enqueue_once(conn, delivery.event_id, webhook.id, &delivery.message_id, Trigger::Resend)?;
    audit(conn, access, &webhook, "Resent a delivery")?;
    Ok(())
}

/// Resends every delivery of the webhook that was never delivered (failed for good, or dropped
/// while the webhook was disabled) since `since` (Unix ms).
pub fn recover(conn: &mut DbConnection, access: &WorkspaceAccess, public_id: &str, since: i64) -> ServiceResult<usize> {
    use diesel::prelude::*;
    access.require_person()?;
    let webhook = find(conn, access, public_id)?;
    if webhook.is_addon() {
        return Err(ServiceError::forbidden("Add-on webhooks cannot be resent."));
    }
    let failed: Vec<(i64, String)> = deliveries::table
        .filter(deliveries::webhook_id.eq(webhook.id))
        // Failed for good, or dropped while the webhook was disabled: never delivered either way.
        .filter(deliveries::state.eq_any(DeliveryState::RECOVERABLE.map(DeliveryState::as_str)))
        .filter(deliveries::created_at.ge(since))
        .select((deliveries::event_id, deliveries::message_id))
        .load(conn)?;
    for (event_id, message_id) in &failed {
        events::enqueue_once(conn, *event_id, webhook.id, message_id, Trigger::Resend)?;
    }
    audit(conn, access, &webhook, &format!("Recovered {} failed deliveries", failed.len()))?;
    Ok(failed.len())
}
