//! Webhooks: the rules for creating, editing, rotating, enabling and deleting them, plan
//! gating and limits, and queuing test sends, resends and recoveries. Used alike by the REST
//! API and the pages; Owners and Admins only. Every change writes an audit row.

use crate::crypto::SecretBox;
use crate::db::attempts::{Attempt, LogQuery};
use crate::db::audit_log::{AuditEntry, NewAuditEntry};
use crate::db::deliveries::Delivery;
use crate::db::events::Event;
use crate::db::memberships::Membership;
use crate::db::schema::deliveries;
use crate::db::webhooks::{NewWebhook, SecretRotation, Webhook, WebhookEdit, WebhookState};
use crate::db::DbConnection;
use crate::domain::{
    is_public_id, new_auth_token, new_public_id, sample_payload, DisabledReason, EndpointUrl, EventType, Plan,
    SigningSecret, TriggerSourceType, WebhookName,
};

use super::events;
use super::workspaces::WorkspaceAccess;
use super::{now_ms, ServiceError, ServiceResult};

/// Webhooks a FREE workspace may have.
pub const FREE_PER_WORKSPACE: i64 = 3;
/// Webhooks a paid workspace may have, in all and per user.
pub const PAID_PER_WORKSPACE: i64 = 100;
pub const PAID_PER_USER: i64 = 10;

/// A webhook's definition, parsed (the endpoint already vetted by the caller).
#[derive(Debug, Clone)]
pub struct WebhookInput {
    pub name: WebhookName,
    pub url: EndpointUrl,
    pub event: EventType,
    pub trigger: TriggerSourceType,
    pub trigger_ids: Vec<String>,
}

/// A webhook with the secrets the caller may see (create, get and rotate answers).
pub struct WebhookSecrets {
    pub webhook: Webhook,
    pub secret: SigningSecret,
    pub auth_token: String,
}

fn plan_of(access: &WorkspaceAccess) -> Plan {
    Plan::parse(&access.workspace.plan).unwrap_or(Plan::Free)
}

pub fn list(conn: &mut DbConnection, access: &WorkspaceAccess) -> ServiceResult<Vec<Webhook>> {
    access.require_admin()?;
    Ok(Webhook::of_workspace(conn, access.workspace.id)?)
}

pub fn find(conn: &mut DbConnection, access: &WorkspaceAccess, public_id: &str) -> ServiceResult<Webhook> {
    access.require_admin()?;
    if !is_public_id(public_id) {
        return Err(ServiceError::NotFound);
    }
    Webhook::find_in(conn, access.workspace.id, public_id)?.ok_or(ServiceError::NotFound)
}

/// The webhook with its current secret and token opened.
pub fn reveal(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    secrets: &SecretBox,
    public_id: &str,
) -> ServiceResult<WebhookSecrets> {
    let webhook = find(conn, access, public_id)?;
    let secret = SigningSecret::parse(&secrets.open(&webhook.secret_sealed)?).map_err(anyhow::Error::msg)?;
    let auth_token = secrets.open(&webhook.auth_token_sealed)?;
    Ok(WebhookSecrets { webhook, secret, auth_token })
}

pub fn create(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    secrets: &SecretBox,
    input: &WebhookInput,
) -> ServiceResult<WebhookSecrets> {
    access.require_admin()?;
    let plan = plan_of(access);
    let in_workspace = Webhook::count_in(conn, access.workspace.id)?;
    if plan == Plan::Free && in_workspace >= FREE_PER_WORKSPACE {
        return Err(ServiceError::forbidden(format!(
            "The FREE plan allows {FREE_PER_WORKSPACE} webhooks per workspace. Upgrade the plan or delete one first."
        )));
    }
    if in_workspace >= PAID_PER_WORKSPACE {
        return Err(ServiceError::forbidden(format!("A workspace can have at most {PAID_PER_WORKSPACE} webhooks.")));
    }
    if plan != Plan::Free && Webhook::count_by_user(conn, access.workspace.id, access.user_id)? >= PAID_PER_USER {
        return Err(ServiceError::forbidden(format!(
            "Each user can create at most {PAID_PER_USER} webhooks per workspace."
        )));
    }
    check_trigger(conn, access, input)?;
    let secret = SigningSecret::generate();
    let auth_token = new_auth_token();
    let now = now_ms();
    let allowed = input.event.allowed_on(plan);
    let webhook = Webhook::insert(
        conn,
        &NewWebhook {
            public_id: &new_public_id(),
            workspace_id: access.workspace.id,
            user_id: Some(access.user_id),
            name: input.name.as_str(),
            url: input.url.as_str(),
            event_type: input.event.as_str(),
            trigger_source_type: input.trigger.as_str(),
            trigger_source: &serde_json::to_string(&input.trigger_ids).unwrap_or_else(|_| "[]".into()),
            secret_sealed: &secrets.seal(secret.expose())?,
            auth_token_sealed: &secrets.seal(&auth_token)?,
            enabled: true,
            plan_enabled: allowed,
            disabled_reason: (!allowed).then_some(DisabledReason::Plan.as_str()),
            disabled_at: (!allowed).then_some(now),
            kind: "USER_CREATED",
            created_at: now,
            updated_at: now,
        },
    )?;
    audit(conn, access, &webhook, "Created webhook")?;
    Ok(WebhookSecrets { webhook, secret, auth_token })
}

pub fn update(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    public_id: &str,
    input: &WebhookInput,
) -> ServiceResult<Webhook> {
    let webhook = editable(conn, access, public_id)?;
    check_trigger(conn, access, input)?;
    let now = now_ms();
    let trigger_source = serde_json::to_string(&input.trigger_ids).unwrap_or_else(|_| "[]".into());
    Webhook::edit(
        conn,
        webhook.id,
        &WebhookEdit {
            name: input.name.as_str(),
            url: input.url.as_str(),
            event_type: input.event.as_str(),
            trigger_source_type: input.trigger.as_str(),
            trigger_source: &trigger_source,
            updated_at: now,
        },
    )?;
    // A new event may be one the plan lacks (or no longer lacks).
    let allowed = input.event.allowed_on(plan_of(access));
    if allowed != webhook.plan_enabled {
        set_plan_enabled(conn, &webhook, allowed, now)?;
    }
    let webhook = Webhook::find(conn, webhook.id)?.ok_or(ServiceError::NotFound)?;
    audit(conn, access, &webhook, "Edited webhook")?;
    Ok(webhook)
}

pub fn delete(conn: &mut DbConnection, access: &WorkspaceAccess, public_id: &str) -> ServiceResult<Webhook> {
    let webhook = editable(conn, access, public_id)?;
    Webhook::delete(conn, webhook.id)?;
    audit(conn, access, &webhook, "Deleted webhook")?;
    Ok(webhook)
}

/// A new signing secret and auth token; the old secret keeps signing for `grace_ms`.
pub fn rotate(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    secrets: &SecretBox,
    public_id: &str,
    grace_ms: i64,
) -> ServiceResult<WebhookSecrets> {
    let webhook = find(conn, access, public_id)?;
    let secret = SigningSecret::generate();
    let auth_token = new_auth_token();
    let now = now_ms();
    let keep_old = grace_ms > 0;
    Webhook::rotate(
        conn,
        webhook.id,
        &SecretRotation {
            secret_sealed: &secrets.seal(secret.expose())?,
            previous_secret_sealed: keep_old.then_some(webhook.secret_sealed.as_str()),
            previous_secret_until: keep_old.then_some(now + grace_ms),
            auth_token_sealed: &secrets.seal(&auth_token)?,
            updated_at: now,
        },
    )?;
    let webhook = Webhook::find(conn, webhook.id)?.ok_or(ServiceError::NotFound)?;
    audit(conn, access, &webhook, "Reset signing secret")?;
    Ok(WebhookSecrets { webhook, secret, auth_token })
}

/// Turns a webhook on or off by hand. Enabling clears the failure clock and replays nothing.
pub fn set_enabled(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    public_id: &str,
    enabled: bool,
) -> ServiceResult<Webhook> {
    let webhook = find(conn, access, public_id)?;
    let now = now_ms();
    let reason = if !webhook.plan_enabled {
        Some(DisabledReason::Plan.as_str())
    } else if enabled {
        None
    } else {
        Some(DisabledReason::User.as_str())
    };
    Webhook::set_state(
        conn,
        webhook.id,
        &WebhookState {
            enabled,
            plan_enabled: webhook.plan_enabled,
            disabled_reason: reason,
            disabled_at: reason.map(|_| now),
            failing_since: None,
        },
    )?;
    let webhook = Webhook::find(conn, webhook.id)?.ok_or(ServiceError::NotFound)?;
    audit(conn, access, &webhook, if enabled { "Enabled webhook" } else { "Disabled webhook" })?;
    Ok(webhook)
}

/// Re-evaluates every webhook of the workspace for `plan`, in the caller's transaction: events
/// the plan lacks are disabled with the reason PLAN; on FREE only the 3 oldest stay on.
pub fn apply_plan(conn: &mut DbConnection, workspace_id: i64, plan: Plan) -> ServiceResult<()> {
    let mut hooks = Webhook::of_workspace(conn, workspace_id)?;
    hooks.sort_by_key(|h| (h.created_at, h.id));
    let now = now_ms();
    let mut kept = 0;
    for hook in hooks {
        let feature = EventType::parse(&hook.event_type).is_ok_and(|e| e.allowed_on(plan));
        let within_limit = plan != Plan::Free || kept < FREE_PER_WORKSPACE;
        let allowed = feature && within_limit;
        if allowed {
            kept += 1;
        }
        if allowed != hook.plan_enabled {
            set_plan_enabled(conn, &hook, allowed, now)?;
        }
    }
    Ok(())
}

fn set_plan_enabled(conn: &mut DbConnection, hook: &Webhook, allowed: bool, now: i64) -> ServiceResult<()> {
    let reason = if !allowed {
        Some(DisabledReason::Plan.as_str())
    } else if hook.enabled {
        None
    } else {
        hook.disabled_reason
            .as_deref()
            .filter(|r| *r != DisabledReason::Plan.as_str())
            .or(Some(DisabledReason::User.as_str()))
    };
    Webhook::set_state(
        conn,
        hook.id,
        &WebhookState {
            enabled: hook.enabled,
            plan_enabled: allowed,
            disabled_reason: reason,
            disabled_at: reason.map(|_| hook.disabled_at.unwrap_or(now)),
            failing_since: hook.failing_since,
        },
    )?;
    Ok(())
}

/// Queues the event's sample payload to this webhook alone, marked TEST.
pub fn test(conn: &mut DbConnection, access: &WorkspaceAccess, public_id: &str) -> ServiceResult<String> {
    let webhook = find(conn, access, public_id)?;
    let event = EventType::parse(&webhook.event_type).map_err(anyhow::Error::msg)?;
    let sample = sample_payload(event, &access.workspace.public_id);
    let event_row = events::test_event(conn, access.workspace.id, event, &sample)?;
    let message_id = events::new_message_id();
    events::enqueue_once(conn, event_row.id, webhook.id, &message_id, "TEST")?;
    Ok(message_id)
}

/// Sends an attempt's payload again with the same `webhook-id`, once, marked RESEND.
pub fn resend(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    public_id: &str,
    attempt_id: &str,
) -> ServiceResult<()> {
    let webhook = find(conn, access, public_id)?;
    if webhook.kind == "ADDON" {
        return Err(ServiceError::forbidden("Add-on webhooks cannot be resent."));
    }
    let attempt = Attempt::find_of_webhook(conn, webhook.id, attempt_id)?.ok_or(ServiceError::NotFound)?;
    let delivery = Delivery::find(conn, attempt.delivery_id)?.ok_or(ServiceError::NotFound)?;
    events::enqueue_once(conn, delivery.event_id, webhook.id, &delivery.message_id, "RESEND")?;
    audit(conn, access, &webhook, "Resent a delivery")?;
    Ok(())
}

/// Resends every delivery of the webhook that was never delivered (failed for good, or dropped
/// while the webhook was disabled) since `since` (Unix ms).
pub fn recover(conn: &mut DbConnection, access: &WorkspaceAccess, public_id: &str, since: i64) -> ServiceResult<usize> {
    use diesel::prelude::*;
    let webhook = find(conn, access, public_id)?;
    if webhook.kind == "ADDON" {
        return Err(ServiceError::forbidden("Add-on webhooks cannot be resent."));
    }
    let failed: Vec<(i64, String)> = deliveries::table
        .filter(deliveries::webhook_id.eq(webhook.id))
        // Failed for good, or dropped while the webhook was disabled: never delivered either way.
        .filter(deliveries::state.eq_any(["FAILED", "CANCELLED"]))
        .filter(deliveries::created_at.ge(since))
        .select((deliveries::event_id, deliveries::message_id))
        .load(conn)?;
    for (event_id, message_id) in &failed {
        events::enqueue_once(conn, *event_id, webhook.id, message_id, "RESEND")?;
    }
    audit(conn, access, &webhook, &format!("Recovered {} failed deliveries", failed.len()))?;
    Ok(failed.len())
}

/// One page of the webhook's attempts.
pub fn logs(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    public_id: &str,
    query: LogQuery,
) -> ServiceResult<Vec<(Attempt, String)>> {
    let webhook = find(conn, access, public_id)?;
    Ok(Attempt::page(conn, &LogQuery { webhook_id: webhook.id, ..query })?)
}

/// The public id of the user who created the webhook, if they still exist.
pub fn creator(conn: &mut DbConnection, webhook: &Webhook) -> ServiceResult<Option<String>> {
    let Some(user_id) = webhook.user_id else { return Ok(None) };
    Ok(crate::db::users::User::find(conn, user_id)?.map(|u| u.public_id))
}

fn editable(conn: &mut DbConnection, access: &WorkspaceAccess, public_id: &str) -> ServiceResult<Webhook> {
    let webhook = find(conn, access, public_id)?;
    if webhook.kind == "ADDON" {
        return Err(ServiceError::forbidden("Add-on webhooks are managed by their add-on."));
    }
    Ok(webhook)
}

/// Trigger ids must fit the source type and exist in this workspace.
fn check_trigger(conn: &mut DbConnection, access: &WorkspaceAccess, input: &WebhookInput) -> ServiceResult<()> {
    match input.trigger {
        TriggerSourceType::Workspace => {
            if !input.trigger_ids.is_empty() && input.trigger_ids != [access.workspace.public_id.clone()] {
                return Err(ServiceError::invalid(
                    "triggerSource",
                    "WORKSPACE_ID takes no ids (or only this workspace's id).",
                ));
            }
        }
        TriggerSourceType::User => {
            if input.trigger_ids.is_empty() {
                return Err(ServiceError::invalid("triggerSource", "Name at least one user id."));
            }
            let members = Membership::members_of(conn, access.workspace.id)?;
            for id in &input.trigger_ids {
                if !members.iter().any(|(_, u)| &u.public_id == id) {
                    return Err(ServiceError::invalid(
                        "triggerSource",
                        format!("{id} is not a member of this workspace."),
                    ));
                }
            }
        }
        other => {
            return Err(ServiceError::invalid(
                "triggerSourceType",
                format!("{} needs entities keyhook does not store yet; use WORKSPACE_ID or USER_ID.", other.as_str()),
            ))
        }
    }
    Ok(())
}

fn audit(conn: &mut DbConnection, access: &WorkspaceAccess, webhook: &Webhook, action: &str) -> ServiceResult<()> {
    AuditEntry::insert(
        conn,
        &NewAuditEntry {
            workspace_id: Some(access.workspace.id),
            actor_user_id: Some(access.user_id),
            subject_user_id: None,
            action,
            target: &format!("{} ({} → {})", webhook.name, webhook.event_type, webhook.url),
            created_at: now_ms(),
        },
    )?;
    Ok(())
}

/// Reads the event row (used by the sender and the logs).
pub fn event(conn: &mut DbConnection, event_id: i64) -> ServiceResult<Option<Event>> {
    use crate::db::schema::events;
    use diesel::prelude::*;
    Ok(events::table.find(event_id).select(Event::as_select()).first(conn).optional()?)
}
