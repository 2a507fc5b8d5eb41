//! Recording an attempt and what follows from it, in one transaction: the attempt row, the
//! delivery's next state, and the webhook's health (410 disables it at once; a run of failures
//! as long as the auto-disable period disables it with that reason; a success resets the clock).

use std::time::Duration;

use crate::db::attempts::{Attempt, NewAttempt};
use crate::db::deliveries::{AfterAttempt, Delivery};
use crate::db::webhooks::{Webhook, WebhookState};
use crate::db::DbConnection;
use crate::domain::{attempt_status, new_public_id, DisabledReason};
use crate::services::ServiceResult;

use super::http::Outcome;
use super::schedule::retry_delay;

/// The attempt's trigger as the logs show it.
pub fn trigger_of(delivery: &Delivery) -> &'static str {
    match delivery.trigger.as_str() {
        "TEST" => "TEST",
        "RESEND" => "RESEND",
        _ if delivery.attempts == 0 => "EVENT",
        _ => "RETRY",
    }
}

pub struct Policy<'a> {
    pub schedule: &'a [Duration],
    pub auto_disable_after: Duration,
}

pub fn record(
    conn: &mut DbConnection,
    delivery: &Delivery,
    webhook: &Webhook,
    body: &str,
    outcome: &Outcome,
    attempted_at: i64,
    policy: &Policy,
) -> ServiceResult<()> {
    let succeeded = outcome.succeeded();
    Attempt::insert(
        conn,
        &NewAttempt {
            public_id: new_public_id(),
            delivery_id: delivery.id,
            webhook_id: webhook.id,
            trigger: trigger_of(delivery).to_owned(),
            attempted_at,
            duration_ms: i64::try_from(outcome.duration.as_millis()).unwrap_or(i64::MAX),
            succeeded,
            status_code: outcome.status.map(i32::from),
            error_class: outcome.error_class.map(str::to_owned),
            error_detail: outcome.error_detail.clone(),
            request_headers: serde_json::to_string(&outcome.request_headers).unwrap_or_default(),
            request_body: body.to_owned(),
            response_headers: outcome.response_headers.as_ref().and_then(|h| serde_json::to_string(h).ok()),
            response_body: outcome.response_body.clone(),
            response_body_base64: outcome.response_body_base64,
        },
    )?;
    Webhook::note_attempt(
        conn,
        webhook.id,
        succeeded,
        &attempt_status(outcome.status.map(i32::from), outcome.error_class),
        attempted_at,
    )?;
    let attempts = delivery.attempts + 1;
    let gone = outcome.status == Some(410);
    let next = if succeeded || gone || !delivery.retries {
        None
    } else {
        let retry = usize::try_from(delivery.attempts).unwrap_or(usize::MAX);
        retry_delay(policy.schedule, retry, outcome.retry_after)
            // The wait counts from the failure's answer, not from when the attempt began.
            .map(|wait| {
                let answered = attempted_at + i64::try_from(outcome.duration.as_millis()).unwrap_or(0);
                answered.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX))
            })
    };
    let state = match (succeeded, next) {
        (true, _) => "SUCCEEDED",
        (false, Some(_)) => "PENDING",
        (false, None) => "FAILED",
    };
    Delivery::record(conn, delivery.id, &AfterAttempt { state, attempts, next_attempt_at: next, lease_until: None })?;

    // Tests do not move a webhook's health either way.
    if delivery.trigger == "TEST" {
        return Ok(());
    }
    let now = attempted_at;
    let failing_since = if succeeded { None } else { Some(webhook.failing_since.unwrap_or(now)) };
    let auto_disable = i64::try_from(policy.auto_disable_after.as_millis()).unwrap_or(i64::MAX);
    let disable = if gone {
        Some(DisabledReason::Gone)
    } else if failing_since.is_some_and(|since| now - since >= auto_disable) {
        Some(DisabledReason::Failing)
    } else {
        None
    };
    if failing_since == webhook.failing_since && disable.is_none() {
        return Ok(());
    }
    let enabled = webhook.enabled && disable.is_none();
    let reason = disable.map(DisabledReason::as_str).or(webhook.disabled_reason.as_deref());
    Webhook::set_state(
        conn,
        webhook.id,
        &WebhookState {
            enabled,
            plan_enabled: webhook.plan_enabled,
            disabled_reason: reason,
            disabled_at: if disable.is_some() { Some(now) } else { webhook.disabled_at },
            failing_since,
        },
    )?;
    if let Some(reason) = disable {
        tracing::warn!(webhook = %webhook.public_id, reason = reason.as_str(), "webhook disabled");
    }
    Ok(())
}
