//! The outbox: `emit` appends an event and one delivery per webhook that should receive it,
//! in the caller's transaction, so an event is delivered exactly when the change it describes
//! was committed. Each delivery is handed to the sender as the transaction commits (see
//! `db::outbox`), or found by its poll.

use std::collections::hash_map::{Entry, HashMap};
use std::sync::Arc;

use diesel::QueryResult;
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

/// One event to append, its payload checked and serialised.
pub struct Emission<'a> {
    workspace_id: i64,
    event: EventType,
    payload: &'a Value,
    body: String,
}

impl<'a> Emission<'a> {
    /// Refuses a payload over [`MAX_PAYLOAD_BYTES`].
    pub fn new(workspace_id: i64, event: EventType, payload: &'a Value) -> ServiceResult<Self> {
        let body = payload.to_string();
        if body.len() > MAX_PAYLOAD_BYTES {
            return Err(ServiceError::invalid(
                "payload",
                format!("The payload is {} bytes; the limit is 256 KiB.", body.len()),
            ));
        }
        Ok(Self { workspace_id, event, payload, body })
    }
}

/// Appends `event` for the workspace and queues it for every enabled, plan-enabled webhook of
/// that event whose trigger source matches (and keeps it as missed for those disabled by
/// failures, to be replayed if they are enabled again). Call it inside the transaction that
/// made the change.
pub fn emit(conn: &mut DbConnection, workspace_id: i64, event: EventType, payload: &Value) -> ServiceResult<Appended> {
    let emission = Emission::new(workspace_id, event, payload)?;
    let mut events = emit_all(conn, std::slice::from_ref(&emission))?;
    events.pop().ok_or_else(|| anyhow::anyhow!("the event was not inserted").into())
}

/// An event as appended.
#[derive(Debug, Clone)]
pub struct Appended {
    pub id: i64,
    pub public_id: String,
    pub created_at: i64,
}

/// A delivery to insert: of which emission, to which webhook.
struct Planned {
    emission: usize,
    hook: Arc<Webhook>,
    message_id: String,
    /// Until when it is leased to this process's sender (handed off at commit), if it is.
    lease: Option<i64>,
}

/// [`emit`] for many events at once (a batch of publications): one insert for all the events
/// and one for all their deliveries on PostgreSQL, each workspace's receiving webhooks read
/// once per event type. Answers the events in order. Per publication, those statements'
/// round trips and parsing were most of PostgreSQL's work.
pub fn emit_all(conn: &mut DbConnection, emissions: &[Emission]) -> QueryResult<Vec<Appended>> {
    let now = now_ms();
    let public_ids: Vec<String> = emissions.iter().map(|_| new_public_id()).collect();
    let rows: Vec<NewEvent> = emissions
        .iter()
        .zip(&public_ids)
        .map(|(emission, public_id)| NewEvent {
            public_id,
            workspace_id: emission.workspace_id,
            event_type: emission.event.as_str(),
            payload: &emission.body,
            created_at: now,
            test: false,
        })
        .collect();
    let events: Vec<Appended> = Event::insert_all(conn, &rows)?
        .into_iter()
        .zip(public_ids)
        .map(|(id, public_id)| Appended { id, public_id, created_at: now })
        .collect();
    let mut receivers: HashMap<(i64, EventType), Vec<Arc<Webhook>>> = HashMap::new();
    let mut planned = Vec::new();
    for (i, emission) in emissions.iter().enumerate() {
        let hooks = match receivers.entry((emission.workspace_id, emission.event)) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(new) => new.insert(
                Webhook::receiving(conn, emission.workspace_id, emission.event.as_str())?
                    .into_iter()
                    .map(Arc::new)
                    .collect(),
            ),
        };
        for hook in hooks.iter().filter(|hook| triggers(hook, emission.payload)) {
            // Not leased: `lease_for` has had the poll woken at commit if it can claim it.
            let lease =
                if hook.misses_deliveries() { None } else { outbox::lease_for(hook.id, emission.body.len(), now) };
            planned.push(Planned { emission: i, hook: hook.clone(), message_id: new_message_id(), lease });
        }
    }
    if planned.is_empty() {
        return Ok(events);
    }
    let rows: Vec<NewDelivery> = planned
        .iter()
        .map(|delivery| {
            let missed = delivery.hook.misses_deliveries();
            NewDelivery {
                message_id: &delivery.message_id,
                event_id: events[delivery.emission].id,
                webhook_id: delivery.hook.id,
                trigger: Trigger::Event.as_str(),
                state: if missed { DeliveryState::Missed } else { DeliveryState::Pending }.as_str(),
                retries: true,
                next_attempt_at: (!missed).then_some(now),
                lease_until: delivery.lease,
                created_at: now,
            }
        })
        .collect();
    let delivery_ids = Delivery::insert_all(conn, &rows)?;
    let payloads: Vec<(Arc<str>, Arc<str>)> =
        emissions.iter().map(|emission| (emission.event.as_str().into(), emission.body.as_str().into())).collect();
    for (delivery, id) in planned.into_iter().zip(delivery_ids) {
        let Some(lease_until) = delivery.lease else { continue };
        let (event_type, payload) = &payloads[delivery.emission];
        outbox::hand_off(Job {
            delivery: Delivery {
                id,
                message_id: delivery.message_id,
                event_id: events[delivery.emission].id,
                webhook_id: delivery.hook.id,
                trigger: Trigger::Event.as_str().into(),
                state: DeliveryState::Pending.as_str().into(),
                attempts: 0,
                retries: true,
                next_attempt_at: Some(now),
                lease_until: Some(lease_until),
                created_at: now,
                last_status: None,
            },
            webhook: delivery.hook,
            event_type: event_type.clone(),
            payload: payload.clone(),
        });
    }
    Ok(events)
}

/// [`emit`] with an API shape (a DTO) as the payload.
pub fn emit_dto<T: serde::Serialize>(
    conn: &mut DbConnection,
    workspace_id: i64,
    event: EventType,
    dto: &T,
) -> ServiceResult<Appended> {
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
