//! A workspace's system endpoint (Workspace settings > System endpoint): one URL per workspace
//! that receives events about keyhook itself (`domain::SystemEvent`), signed and retried like
//! every delivery. It is a webhook of kind SYSTEM, so its deliveries and attempts show on its
//! own Details page; it is not in the Webhooks list and does not count against the plan.

use crate::clock::now_ms;
use crate::crypto::SecretBox;
use crate::db::system_events::endpoint_of;
use crate::db::webhooks::{NewWebhook, Webhook, WebhookEdit, SYSTEM};
use crate::db::DbConnection;
use crate::domain::{new_auth_token, new_public_id, EndpointUrl, SigningSecret, TriggerSourceType};
use crate::services::workspaces::WorkspaceAccess;
use crate::services::{ServiceError, ServiceResult};

/// Its `event_type`: it receives every system event, never a workspace event.
pub const EVENT: &str = "SYSTEM";
const NAME: &str = "System endpoint";

/// The workspace's system endpoint, if set (Owners and Admins).
pub fn get(conn: &mut DbConnection, access: &WorkspaceAccess) -> ServiceResult<Option<Webhook>> {
    access.require_admin()?;
    Ok(endpoint_of(conn, access.workspace.id)?)
}

/// Sets (or moves) the system endpoint; answers it, with its signing secret when it was made now
/// (shown once; Reveal shows it again).
pub fn set(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    secrets: &SecretBox,
    url: &EndpointUrl,
) -> ServiceResult<(Webhook, Option<SigningSecret>)> {
    access.require_person()?;
    access.require_admin()?;
    let now = now_ms();
    if let Some(existing) = endpoint_of(conn, access.workspace.id)? {
        let edit = WebhookEdit {
            name: NAME,
            url: url.as_str(),
            event_type: EVENT,
            trigger_source_type: TriggerSourceType::Workspace.as_str(),
            trigger_source: "[]",
            updated_at: now,
        };
        Webhook::edit(conn, existing.id, &edit)?;
        super::audit::in_workspace(conn, access, None, "Moved the system endpoint", url.as_str())?;
        return Ok((Webhook::find(conn, existing.id)?.ok_or(ServiceError::NotFound)?, None));
    }
    let secret = SigningSecret::generate();
    let webhook = Webhook::insert(
        conn,
        &NewWebhook {
            public_id: &new_public_id(),
            workspace_id: access.workspace.id,
            user_id: Some(access.user_id),
            name: NAME,
            url: url.as_str(),
            event_type: EVENT,
            trigger_source_type: TriggerSourceType::Workspace.as_str(),
            trigger_source: "[]",
            secret_sealed: &secrets.seal(secret.expose())?,
            auth_token_sealed: &secrets.seal(&new_auth_token())?,
            enabled: true,
            plan_enabled: true,
            disabled_reason: None,
            disabled_at: None,
            kind: SYSTEM,
            created_at: now,
            updated_at: now,
            create_token: None,
            addon_id: None,
        },
    )?;
    super::audit::in_workspace(conn, access, None, "Set the system endpoint", url.as_str())?;
    Ok((webhook, Some(secret)))
}

/// Removes the system endpoint (its queued events are dropped, its attempts kept for the audit).
pub fn remove(conn: &mut DbConnection, access: &WorkspaceAccess) -> ServiceResult<bool> {
    access.require_person()?;
    access.require_admin()?;
    let Some(existing) = endpoint_of(conn, access.workspace.id)? else { return Ok(false) };
    Webhook::delete(conn, existing.id, now_ms())?;
    super::audit::in_workspace(conn, access, None, "Removed the system endpoint", &existing.url)?;
    Ok(true)
}
