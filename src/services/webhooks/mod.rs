//! Webhooks: the rules for creating, editing, rotating, enabling and deleting them, plan
//! gating and limits, and queuing test sends, resends and recoveries. Used alike by the REST
//! API and the pages; Owners and Admins only. Every change writes an audit row.

use crate::crypto::SecretBox;
use crate::db::deliveries::Delivery;
use crate::db::memberships::Membership;
use crate::db::webhooks::{NewWebhook, SecretRotation, Webhook, WebhookEdit, WebhookState};
use crate::db::DbConnection;
use crate::domain::{
    new_auth_token, new_public_id, DisabledReason, EndpointUrl, EventType, Plan, SigningSecret, TriggerSourceType,
    WebhookName,
};

mod allowance;
mod deliveries;
mod reads;
mod sends;

pub use allowance::{
    addon_refusal, Allowance, FREE_ADDONS, FREE_PER_WORKSPACE, PAID_ADDONS, PAID_PER_USER, PAID_PER_WORKSPACE,
    WEBHOOK_CEILING,
};
pub use deliveries::*;
pub use reads::*;
pub use sends::*;

use super::workspaces::WorkspaceAccess;
use super::{ServiceError, ServiceResult};
use crate::clock::now_ms;
use crate::outbound::network_policy::{NetworkPolicy, Refused};

/// Parses an endpoint URL and vets its host name by resolving it: a name that resolves into a
/// private or reserved network is refused. A name that does not resolve is accepted (DNS may be
/// down); its attempts will fail with `dns`, and the sender vets every address again anyway.
pub async fn endpoint(text: &str, network: &NetworkPolicy) -> Result<EndpointUrl, String> {
    let url = EndpointUrl::parse(text, network)?;
    if let Some(host) = url.host_name() {
        if let Err(e) = network.vet(host, url.port()).await {
            if e.downcast_ref::<Refused>().is_some() {
                return Err(format!("{host} resolves to a private or reserved address."));
            }
        }
    }
    Ok(url)
}

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

/// Creates a webhook. `form_token` is the one-time token of the page's form: a form posted
/// twice is refused instead of creating a second webhook.
pub fn create(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    secrets: &SecretBox,
    input: &WebhookInput,
    form_token: Option<&str>,
) -> ServiceResult<WebhookSecrets> {
    access.require_person()?;
    access.require_admin()?;
    if let Some(token) = form_token {
        if let Some(earlier) = Webhook::created_by_form(conn, access.workspace.id, token)? {
            return Err(ServiceError::invalid(
                "form",
                format!("This form was already sent: the webhook “{}” was created then.", earlier.name),
            ));
        }
    }
    let allowance = Allowance::of(conn, access)?;
    if let Some(message) = allowance.refusal() {
        return Err(ServiceError::forbidden(message));
    }
    let plan = allowance.plan;
    check_trigger(conn, access, input)?;
    let secret = SigningSecret::generate();
    let auth_token = new_auth_token();
    let now = now_ms();
    let allowed = input.event.allowed_on(plan);
    let inserted = Webhook::insert(
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
            kind: crate::db::webhooks::USER_CREATED,
            created_at: now,
            updated_at: now,
            create_token: form_token,
            addon_id: None,
        },
    );
    let webhook = match inserted {
        // The same form, posted twice at once: the other post created the webhook.
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
            if form_token.is_some() =>
        {
            return Err(ServiceError::invalid("form", "This form was already sent: the webhook was created then."));
        }
        other => other?,
    };
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
    let allowed = input.event.allowed_on(access.plan());
    if allowed != webhook.plan_enabled {
        set_plan_enabled(conn, &webhook, allowed, now)?;
    }
    let webhook = Webhook::find(conn, webhook.id)?.ok_or(ServiceError::NotFound)?;
    audit(conn, access, &webhook, "Edited webhook")?;
    Ok(webhook)
}

/// The Edit page's Save: the definition, and the Enabled switch when it moved.
pub fn save(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    public_id: &str,
    input: &WebhookInput,
    enabled: bool,
) -> ServiceResult<Webhook> {
    let webhook = update(conn, access, public_id, input)?;
    if webhook.enabled == enabled {
        return Ok(webhook);
    }
    set_enabled(conn, access, public_id, enabled)
}

pub fn delete(conn: &mut DbConnection, access: &WorkspaceAccess, public_id: &str) -> ServiceResult<Webhook> {
    let webhook = editable(conn, access, public_id)?;
    Webhook::delete(conn, webhook.id, now_ms())?;
    audit(conn, access, &webhook, "Deleted webhook")?;
    Ok(webhook)
}

/// The longest a rotated-out signing secret may keep signing.
pub const MAX_SIGNING_GRACE_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// A grace period as asked for (`0`, `24h`, `7d`...), at most [`MAX_SIGNING_GRACE_MS`].
pub fn signing_grace_ms(text: &str) -> Result<i64, String> {
    if text.trim() == "0" {
        return Ok(0);
    }
    let grace = text.parse::<crate::config::HumanDuration>()?;
    match i64::try_from(grace.0.as_millis()) {
        Ok(ms) if ms <= MAX_SIGNING_GRACE_MS => Ok(ms),
        _ => Err("use at most 30d".into()),
    }
}

/// A new signing secret and auth token; the old secret keeps signing for `grace_ms`. An
/// add-on's webhook is rotated by its add-on's token only (its secrets are the add-on's).
pub fn rotate(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    secrets: &SecretBox,
    public_id: &str,
    grace_ms: i64,
) -> ServiceResult<WebhookSecrets> {
    let webhook = find(conn, access, public_id)?;
    if webhook.is_addon() && access.addon.is_none() {
        return Err(reads::addon_secret());
    }
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

/// Turns a webhook on or off by hand (Owners and Admins any, an add-on's token its own).
/// Enabling clears the failure clock; the deliveries it missed while disabled by failures are
/// cancelled (see [`enable_replaying`] to send them).
pub fn set_enabled(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    public_id: &str,
    enabled: bool,
) -> ServiceResult<Webhook> {
    Ok(enable_replaying(conn, access, public_id, enabled, false)?.0)
}

/// [`set_enabled`]; enabling with `replay` sends the missed deliveries too, in the order they
/// were made. Answers the webhook and how many missed deliveries were replayed.
pub fn enable_replaying(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    public_id: &str,
    enabled: bool,
    replay: bool,
) -> ServiceResult<(Webhook, usize)> {
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
    let replayed = if enabled && webhook.plan_enabled {
        let settled = Delivery::settle_missed(conn, webhook.id, replay, now)?;
        if replay && settled > 0 {
            crate::db::outbox::mark_enqueued();
        }
        if replay {
            settled
        } else {
            0
        }
    } else {
        0
    };
    let webhook = Webhook::find(conn, webhook.id)?.ok_or(ServiceError::NotFound)?;
    let action = match (enabled, replayed) {
        (false, _) => "Disabled webhook".to_owned(),
        (true, 0) => "Enabled webhook".to_owned(),
        (true, n) => format!("Enabled webhook and replayed {n} missed deliveries"),
    };
    audit(conn, access, &webhook, &action)?;
    Ok((webhook, replayed))
}

/// How many deliveries the webhook missed while disabled by failures (offered on enabling).
pub fn missed(conn: &mut DbConnection, webhook: &Webhook) -> ServiceResult<i64> {
    Ok(Delivery::count_missed(conn, webhook.id)?)
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
        // Add-ons' webhooks come with their add-on: only the plan's features gate them.
        let within_limit = hook.is_addon() || plan != Plan::Free || kept < FREE_PER_WORKSPACE;
        let allowed = feature && within_limit;
        if allowed && !hook.is_addon() {
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

fn editable(conn: &mut DbConnection, access: &WorkspaceAccess, public_id: &str) -> ServiceResult<Webhook> {
    access.require_person()?;
    let webhook = find(conn, access, public_id)?;
    if webhook.is_addon() {
        return Err(ServiceError::forbidden("Add-on webhooks are managed by their add-on."));
    }
    if webhook.is_system() {
        return Err(ServiceError::forbidden(
            "The system endpoint is set and removed in Workspace settings > System endpoint.",
        ));
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
            let members = Membership::members_of(conn, access.workspace.id)?;
            require_ids(input, |id| Ok(members.iter().any(|(_, u)| u.public_id == id)), "member")?;
        }
        TriggerSourceType::Tag => {
            let ws = access.workspace.id;
            require_ids(input, |id| Ok(crate::db::tags::Tag::find_in(conn, ws, id)?.is_some()), "tag")?;
        }
        TriggerSourceType::Project => {
            let ws = access.workspace.id;
            require_ids(input, |id| Ok(crate::db::projects::Project::find_in(conn, ws, id)?.is_some()), "project")?;
        }
        TriggerSourceType::Task => {
            let ws = access.workspace.id;
            require_ids(input, |id| Ok(crate::db::tasks::Task::exists_in_workspace(conn, ws, id)?), "task")?;
        }
        other => {
            return Err(ServiceError::invalid(
                "triggerSourceType",
                format!(
                    "{} needs entities keyhook does not store yet; use WORKSPACE_ID, USER_ID, PROJECT_ID, TAG_ID or TASK_ID.",
                    other.as_str()
                ),
            ))
        }
    }
    Ok(())
}

/// The trigger ids are at least one, and each names a `kind` of this workspace.
fn require_ids(
    input: &WebhookInput,
    mut exists: impl FnMut(&str) -> ServiceResult<bool>,
    kind: &str,
) -> ServiceResult<()> {
    if input.trigger_ids.is_empty() {
        return Err(ServiceError::invalid("triggerSource", format!("Name at least one {kind} id.")));
    }
    for id in &input.trigger_ids {
        if !exists(id)? {
            return Err(ServiceError::invalid("triggerSource", format!("{id} is not a {kind} of this workspace.")));
        }
    }
    Ok(())
}

fn audit(conn: &mut DbConnection, access: &WorkspaceAccess, webhook: &Webhook, action: &str) -> ServiceResult<()> {
    let target = format!("{} ({} → {})", webhook.name, webhook.event_type, webhook.url);
    super::audit::in_workspace(conn, access, None, action, &target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_grace_is_bounded() {
        assert_eq!(signing_grace_ms("0"), Ok(0));
        assert_eq!(signing_grace_ms("24h"), Ok(86_400_000));
        assert_eq!(signing_grace_ms("30d"), Ok(MAX_SIGNING_GRACE_MS));
        assert!(signing_grace_ms("31d").is_err());
        assert!(signing_grace_ms("18446744073709551615d").is_err());
        assert!(signing_grace_ms("-1h").is_err());
    }
}
