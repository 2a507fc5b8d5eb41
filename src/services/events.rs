//! The outbox: `emit` appends an event and one delivery per webhook that should receive it,
//! in the caller's transaction, so an event is delivered exactly when the change it describes
//! was committed. Each delivery is handed to the sender as the transaction commits (see
//! `db::outbox`), or found by its poll.

use std::sync::Arc;

use serde_json::Value;

use crate::db::deliveries::{Delivery, NewDelivery};
use crate::db::events::{Event, NewEvent};
use crate::db::outbox::{self, Job};
use crate::db::webhooks::Webhook;
use crate::db::DbConnection;
use crate::domain::{new_public_id, DeliveryState, EventType, Trigger, TriggerSourceType};

use super::{ServiceError, ServiceResult};
use crate::clock::now_ms;

/// Payloads larger than this are refused at the source.
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// Appends `event` for the workspace and queues it for every enabled, plan-enabled webhook of
/// that event whose trigger source matches (and keeps it as missed for those disabled by
/// failures, to be replayed if they are enabled again). Call it inside the transaction that
/// made the change.
pub fn emit(conn: &mut DbConnection, workspace_id: i64, event: EventType, payload: &Value) -> ServiceResult<Event> {
    let body = payload.to_string();
    if body.len() > MAX_PAYLOAD_BYTES {
        return Err(ServiceError::invalid(
            "payload",
            format!("The payload is {} bytes; the limit is 256 KiB.", body.len()),
        ));
    }
    let now = now_ms();
    let event_row = Event::insert(
        conn,
        &NewEvent {
            public_id: &new_public_id(),
            workspace_id,
            event_type: event.as_str(),
            payload: &body,
            created_at: now,
            test: false,
        },
    )?;
    let receivers: Vec<Webhook> = Webhook::receiving(conn, workspace_id, event.as_str())?
        .into_iter()
        .filter(|hook| triggers(hook, payload))
        .collect();
    if receivers.is_empty() {
        return Ok(event_row);
    }
    let ids: Vec<String> = receivers.iter().map(|_| new_message_id()).collect();
    let leases: Vec<Option<i64>> = receivers
        .iter()
        .map(|hook| if hook.misses_deliveries() { None } else { outbox::lease_for(hook.id, body.len(), now) })
        .collect();
    let rows: Vec<NewDelivery> = receivers
        .iter()
        .zip(&ids)
        .zip(&leases)
        .map(|((hook, message_id), lease)| {
            let missed = hook.misses_deliveries();
            NewDelivery {
                message_id,
                event_id: event_row.id,
                webhook_id: hook.id,
                trigger: Trigger::Event.as_str(),
                state: if missed { DeliveryState::Missed } else { DeliveryState::Pending }.as_str(),
                retries: true,
                next_attempt_at: (!missed).then_some(now),
                lease_until: *lease,
                created_at: now,
            }
        })
        .collect();
    let delivery_ids = Delivery::insert_all(conn, &rows)?;
    let (event_type, body): (Arc<str>, Arc<str>) = (event.as_str().into(), body.into());
    for (((hook, message_id), lease), id) in receivers.into_iter().zip(ids).zip(leases).zip(delivery_ids) {
        // Not handed off: `lease_for` has had the poll woken at commit if it can claim it.
        let Some(lease_until) = lease else { continue };
        let delivery = Delivery {
            id,
            message_id,
            event_id: event_row.id,
            webhook_id: hook.id,
            trigger: Trigger::Event.as_str().into(),
            state: DeliveryState::Pending.as_str().into(),
            attempts: 0,
            retries: true,
            next_attempt_at: Some(now),
            lease_until: Some(lease_until),
            created_at: now,
            last_status: None,
        };
        outbox::hand_off(Job {
            delivery,
            webhook: Arc::new(hook),
            event_type: event_type.clone(),
            payload: body.clone(),
        });
    }
    Ok(event_row)
}

/// [`emit`] with an API shape (a DTO) as the payload.
pub fn emit_dto<T: serde::Serialize>(
    conn: &mut DbConnection,
    workspace_id: i64,
    event: EventType,
    dto: &T,
) -> ServiceResult<Event> {
    let payload = serde_json::to_value(dto).map_err(anyhow::Error::from)?;
    emit(conn, workspace_id, event, &payload)
}

/// Queues one delivery of an existing event (a test or a resend), tried once.
pub fn enqueue_once(
    conn: &mut DbConnection,
    event_id: i64,
    webhook_id: i64,
    message_id: &str,
    trigger: Trigger,
) -> ServiceResult<()> {
    let now = now_ms();
    Delivery::insert_all(
        conn,
        &[NewDelivery {
            message_id,
            event_id,
            webhook_id,
            trigger: trigger.as_str(),
            state: DeliveryState::Pending.as_str(),
            retries: false,
            next_attempt_at: Some(now),
            lease_until: None,
            created_at: now,
        }],
    )?;
    outbox::mark_enqueued();
    Ok(())
}

/// Records a sample event for a test send: never offered to other webhooks.
pub fn test_event(
    conn: &mut DbConnection,
    workspace_id: i64,
    event_type: &str,
    payload: &Value,
) -> ServiceResult<Event> {
    Ok(Event::insert(
        conn,
        &NewEvent {
            public_id: &new_public_id(),
            workspace_id,
            event_type,
            payload: &payload.to_string(),
            created_at: now_ms(),
            test: true,
        },
    )?)
}

pub use crate::domain::new_message_id;

/// Whether the webhook's trigger source lets this payload through.
fn triggers(hook: &Webhook, payload: &Value) -> bool {
    let Ok(kind) = TriggerSourceType::parse(&hook.trigger_source_type) else { return false };
    if kind == TriggerSourceType::Workspace {
        return true;
    }
    let ids: Vec<String> = serde_json::from_str(&hook.trigger_source).unwrap_or_default();
    kind.payload_fields().iter().filter_map(|field| payload.get(*field)).any(|value| match value {
        Value::String(id) => ids.contains(id),
        Value::Array(list) => list.iter().filter_map(Value::as_str).any(|id| ids.iter().any(|i| i == id)),
        _ => false,
    })
}
