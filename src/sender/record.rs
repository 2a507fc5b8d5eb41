//! Recording attempts and what follows from them, many in one transaction: the attempt rows,
//! each delivery's next state, and each webhook's health (410 disables it at once; a run of
//! failures as long as the auto-disable period disables it with that reason; a success resets
//! the clock) and its latest outcomes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use crate::db::attempts::{Attempt, NewAttempt};
use crate::db::deliveries::{AfterAttempt, Delivery};
use crate::db::system_events;
use crate::db::webhook_stats::{self, bucket_of, Counts};
use crate::db::webhooks::{Webhook, WebhookState};
use crate::db::DbConnection;
use crate::domain::{
    attempt_status, new_public_id, DeliveryState, DisabledReason, FailureReason, SystemEvent, Trigger,
};

use super::schedule::retry_delay;
use crate::outbound::http::Outcome;

/// The attempt's trigger as the logs show it.
pub fn trigger_of(delivery: &Delivery) -> &'static str {
    Trigger::of_delivery(&delivery.trigger).of_attempt(delivery.attempts).as_str()
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub schedule: Vec<Duration>,
    pub auto_disable_after: Duration,
    /// Told when a batch may have moved a webhook's health (a failure, a disable, a first
    /// success after failures): the health check looks at once instead of at its next round.
    pub health_check: Arc<tokio::sync::Notify>,
}

/// One attempt, made, to be recorded.
#[derive(Debug)]
pub struct Attempted {
    pub delivery: Delivery,
    pub webhook_id: i64,
    /// The URL it went to.
    pub url: String,
    pub event_type: Arc<str>,
    pub body: Arc<str>,
    pub outcome: Outcome,
    pub attempted_at: i64,
}

impl Attempted {
    fn row(&self) -> NewAttempt {
        let outcome = &self.outcome;
        NewAttempt {
            public_id: new_public_id(),
            delivery_id: self.delivery.id,
            webhook_id: self.webhook_id,
            trigger: trigger_of(&self.delivery).to_owned(),
            attempted_at: self.attempted_at,
            duration_ms: i64::try_from(outcome.duration.as_millis()).unwrap_or(i64::MAX),
            succeeded: outcome.succeeded(),
            status_code: outcome.status.map(i32::from),
            error_class: outcome.error_class.map(str::to_owned),
            error_detail: outcome.error_detail.clone(),
            request_headers: serde_json::to_string(&outcome.request_headers).unwrap_or_default(),
            request_body: self.body.to_string(),
            response_headers: outcome.response_headers.as_ref().and_then(|h| serde_json::to_string(h).ok()),
            response_body: outcome.response_body.clone(),
            response_body_base64: outcome.response_body_base64,
            reason: outcome.reason.as_ref().map(FailureReason::code),
            url: Some(self.url.clone()),
        }
    }

    /// The delivery's state after this attempt: done, failed for good, or due again later.
    fn after(&self, policy: &Policy) -> AfterAttempt<'static> {
        let (delivery, outcome) = (&self.delivery, &self.outcome);
        let succeeded = outcome.succeeded();
        let gone = outcome.status == Some(410);
        let next = if succeeded || gone || !delivery.retries {
            None
        } else {
            let retry = usize::try_from(delivery.attempts).unwrap_or(usize::MAX);
            retry_delay(&policy.schedule, retry, outcome.retry_after)
                // The wait counts from the failure's answer, not from when the attempt began.
                .map(|wait| {
                    let answered = self.attempted_at + i64::try_from(outcome.duration.as_millis()).unwrap_or(0);
                    answered.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX))
                })
        };
        let state = match (succeeded, next) {
            (true, _) => DeliveryState::Succeeded,
            (false, Some(_)) => DeliveryState::Pending,
            (false, None) => DeliveryState::Failed,
        }
        .as_str();
        AfterAttempt {
            state,
            attempts: delivery.attempts + 1,
            next_attempt_at: next,
            lease_until: None,
            last_status: Some(attempt_status(outcome.status.map(i32::from), outcome.error_class)),
        }
    }
}

/// What recording a batch found: whether a retry was scheduled (the poll should look again),
/// and whether a webhook's health may have moved.
#[derive(Debug, Default, Clone, Copy)]
pub struct Recorded {
    pub retries: bool,
    pub health_moved: bool,
}

/// Records the attempts in the order given. Attempts of a webhook that no longer exists
/// (purged since) are dropped with it.
pub fn record_all(conn: &mut DbConnection, items: &[Attempted], policy: &Policy) -> anyhow::Result<Recorded> {
    let mut ids: Vec<i64> = items.iter().map(|i| i.webhook_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut hooks: HashMap<i64, (Webhook, bool)> =
        Webhook::find_many(conn, &ids)?.into_iter().map(|w| (w.id, (w, false))).collect();
    let mut rows = Vec::with_capacity(items.len());
    let mut afters: Vec<(AfterAttempt, Vec<i64>)> = Vec::new();
    // Per webhook: its outcomes in order (`S`/`F`), and the latest status and time.
    let mut notes: BTreeMap<i64, (String, String, i64)> = BTreeMap::new();
    let mut recorded = Recorded::default();
    let mut counts: BTreeMap<(i64, i64), Counts> = BTreeMap::new();
    let mut exhausted: Vec<&Attempted> = Vec::new();
    for item in items {
        let Some((hook, changed)) = hooks.get_mut(&item.webhook_id) else { continue };
        rows.push(item.row());
        let after = item.after(policy);
        // Failed for good after its retries: the system endpoint hears of it below.
        if item.delivery.retries && after.state == DeliveryState::Failed.as_str() {
            exhausted.push(item);
        }
        recorded.retries |= after.next_attempt_at.is_some();
        match afters.iter_mut().find(|(a, _)| *a == after) {
            Some((_, ids)) => ids.push(item.delivery.id),
            None => afters.push((after, vec![item.delivery.id])),
        }
        let succeeded = item.outcome.succeeded();
        let status = attempt_status(item.outcome.status.map(i32::from), item.outcome.error_class);
        let note = notes.entry(hook.id).or_default();
        note.0.push(if succeeded { 'S' } else { 'F' });
        (note.1, note.2) = (status, item.attempted_at);
        // Tests do not move a webhook's health either way.
        if Trigger::of_delivery(&item.delivery.trigger) != Trigger::Test {
            *changed |= judge(hook, item, policy);
            recorded.health_moved |= !succeeded;
            let bucket = bucket_of(item.attempted_at);
            let count = counts.entry((hook.id, bucket)).or_insert(Counts {
                webhook_id: hook.id,
                bucket,
                attempts: 0,
                failures: 0,
            });
            count.attempts += 1;
            count.failures += i64::from(!succeeded);
        }
    }
    recorded.health_moved |= hooks.values().any(|(_, changed)| *changed);
    for item in exhausted {
        if let Some((hook, _)) = hooks.get(&item.webhook_id) {
            announce_failed(conn, hook, item)?;
        }
    }
    Attempt::insert_all(conn, &rows)?;
    webhook_stats::add(conn, &counts.into_values().collect::<Vec<_>>())?;
    for (after, ids) in &afters {
        Delivery::record_many(conn, ids, after)?;
    }
    for (id, (outcomes, status, at)) in &notes {
        Webhook::note_attempts(conn, *id, outcomes, status, *at)?;
    }
    for (hook, _) in hooks.values().filter(|(_, changed)| *changed) {
        Webhook::set_state(
            conn,
            hook.id,
            &WebhookState {
                enabled: hook.enabled,
                plan_enabled: hook.plan_enabled,
                disabled_reason: hook.disabled_reason.as_deref(),
                disabled_at: hook.disabled_at,
                failing_since: hook.failing_since,
            },
        )?;
    }
    Ok(recorded)
}

/// Tells the workspace's system endpoint that a delivery failed for good (`delivery.failed`).
fn announce_failed(conn: &mut DbConnection, hook: &Webhook, item: &Attempted) -> anyhow::Result<()> {
    use diesel::prelude::*;
    let workspace: String = crate::db::schema::workspaces::table
        .find(hook.workspace_id)
        .select(crate::db::schema::workspaces::public_id)
        .first(conn)?;
    let at =
        jiff::Timestamp::from_millisecond(item.attempted_at).map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())?;
    let data = serde_json::json!({
        "workspaceId": workspace,
        "webhookId": hook.public_id,
        "webhookName": hook.name,
        "messageId": item.delivery.message_id,
        "event": &*item.event_type,
        "attempts": item.delivery.attempts + 1,
        "lastError": item.outcome.reason.as_ref().map(FailureReason::to_json),
    });
    let payload = SystemEvent::DeliveryFailed.payload(&at, data);
    system_events::queue(conn, hook.workspace_id, hook.id, SystemEvent::DeliveryFailed, &payload, item.attempted_at)?;
    Ok(())
}

/// Moves the webhook's health by one attempt; answers whether it changed.
fn judge(hook: &mut Webhook, item: &Attempted, policy: &Policy) -> bool {
    let now = item.attempted_at;
    let failing_since = if item.outcome.succeeded() { None } else { Some(hook.failing_since.unwrap_or(now)) };
    let auto_disable = i64::try_from(policy.auto_disable_after.as_millis()).unwrap_or(i64::MAX);
    let disable = if item.outcome.status == Some(410) {
        Some(DisabledReason::Gone)
    } else if failing_since.is_some_and(|since| now - since >= auto_disable) {
        Some(DisabledReason::Failing)
    } else {
        None
    };
    if failing_since == hook.failing_since && disable.is_none() {
        return false;
    }
    hook.failing_since = failing_since;
    if let Some(reason) = disable {
        hook.enabled = false;
        hook.disabled_reason = Some(reason.as_str().to_owned());
        hook.disabled_at = Some(now);
        tracing::warn!(webhook = %hook.public_id, reason = reason.as_str(), "webhook disabled");
    }
    true
}
