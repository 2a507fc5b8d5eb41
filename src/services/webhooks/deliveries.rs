//! A webhook's deliveries as its Details page and `GET …/deliveries` list them: filtered,
//! searched, newest first, each with its attempts.

use std::collections::HashMap;

use crate::clock::now_ms;
use crate::db::attempts::{Attempt, AttemptSummary};
use crate::db::deliveries::Delivery;
use crate::db::delivery_log::{self, DeliveryPage, DeliveryQuery};
use crate::db::events::Event;
use crate::db::webhooks::Webhook;
use crate::db::DbConnection;
use crate::domain::{DeliveryState, DeliveryStatus, PayloadSearch, StatusMatch};
use crate::services::workspaces::WorkspaceAccess;
use crate::services::{ServiceError, ServiceResult};

use super::find;

/// Which deliveries to list, parsed.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub state: Option<DeliveryStatus>,
    /// An event type (validated by the caller against the names it knows).
    pub event: Option<String>,
    pub status: Option<StatusMatch>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub search: Option<PayloadSearch>,
    /// `(created_at, id)` of the last row of the previous page.
    pub before: Option<(i64, i64)>,
    pub limit: i64,
}

/// A page of deliveries with the attempts of each (oldest first, without their bodies).
pub struct Deliveries {
    pub webhook: Webhook,
    pub page: DeliveryPage,
    pub attempts: HashMap<i64, Vec<AttemptSummary>>,
    /// Whether the webhook's circuit is open on this instance (its pending deliveries wait).
    pub circuit_open: bool,
    /// A delivery of this webhook is due within seconds (a test or resend just queued).
    pub sending_soon: bool,
}

impl Deliveries {
    pub fn status_of(&self, delivery: &Delivery) -> DeliveryStatus {
        DeliveryStatus::of(&delivery.state, delivery.attempts, self.circuit_open)
    }
}

/// How far ahead a queued delivery keeps the list refreshing itself.
const SOON_MS: i64 = 5_000;

/// `open_circuits`: the webhooks whose circuits are open on this instance.
pub fn deliveries(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    public_id: &str,
    filter: &DeliveryFilter,
    open_circuits: &[i64],
) -> ServiceResult<Deliveries> {
    let webhook = find(conn, access, public_id)?;
    let circuit_open = open_circuits.contains(&webhook.id);
    // Asked before the page is read: a send recorded in between then shows in the page or
    // keeps it polling.
    let sending_soon = Delivery::due_before(conn, webhook.id, now_ms() + SOON_MS)?;
    let (states, attempted) = match filter.state {
        None => (DeliveryState::ALL.to_vec(), None),
        // Waiting is every pending delivery while the circuit is open, and none while closed;
        // Queued and Retrying the other way round.
        Some(DeliveryStatus::Waiting) if !circuit_open => (Vec::new(), None),
        Some(DeliveryStatus::Queued | DeliveryStatus::Retrying) if circuit_open => (Vec::new(), None),
        Some(DeliveryStatus::Queued) => (vec![DeliveryState::Pending], Some(false)),
        Some(DeliveryStatus::Retrying) => (vec![DeliveryState::Pending], Some(true)),
        Some(status) => (vec![status.stored()], None),
    };
    let query = DeliveryQuery {
        webhook_id: webhook.id,
        states,
        attempted,
        event: filter.event.clone(),
        status: filter.status.clone(),
        search: filter.search.as_ref().map(PayloadSearch::like_pattern),
        from: filter.from,
        to: filter.to,
        before: filter.before,
        limit: filter.limit,
    };
    let page = delivery_log::page(conn, &query)?;
    let ids: Vec<i64> = page.rows.iter().map(|r| r.delivery.id).collect();
    let mut attempts: HashMap<i64, Vec<AttemptSummary>> = HashMap::new();
    for attempt in Attempt::summaries_of(conn, &ids)? {
        attempts.entry(attempt.delivery_id).or_default().push(attempt);
    }
    Ok(Deliveries { webhook, page, attempts, circuit_open, sending_soon })
}

/// One delivery opened: what was sent, and each attempt in full.
pub struct OpenedDelivery {
    pub webhook: Webhook,
    pub delivery: Delivery,
    pub event_type: String,
    pub payload: String,
    pub attempts: Vec<Attempt>,
    pub circuit_open: bool,
}

impl OpenedDelivery {
    pub fn status(&self) -> DeliveryStatus {
        DeliveryStatus::of(&self.delivery.state, self.delivery.attempts, self.circuit_open)
    }
}

/// A delivery of the webhook, by its id; another webhook's is not found.
pub fn delivery(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    public_id: &str,
    delivery_id: i64,
    open_circuits: &[i64],
) -> ServiceResult<OpenedDelivery> {
    let webhook = find(conn, access, public_id)?;
    let delivery =
        Delivery::find(conn, delivery_id)?.filter(|d| d.webhook_id == webhook.id).ok_or(ServiceError::NotFound)?;
    let event = Event::find(conn, delivery.event_id)?.ok_or(ServiceError::NotFound)?;
    let attempts = Attempt::of_delivery(conn, delivery.id)?;
    let circuit_open = open_circuits.contains(&webhook.id);
    Ok(OpenedDelivery {
        webhook,
        delivery,
        event_type: event.event_type,
        payload: event.payload,
        attempts,
        circuit_open,
    })
}
