//! Reading webhooks: the list, one webhook (with its secrets opened), and its attempts.

use crate::clock::now_ms;
use crate::crypto::SecretBox;
use crate::db::attempts::{Attempt, LogQuery, LogRow};
use crate::db::deliveries::Delivery;
use crate::db::events::Event;
use crate::db::users::User;
use crate::db::webhooks::Webhook;
use crate::db::DbConnection;
use crate::domain::{is_public_id, SigningSecret};
use crate::services::workspaces::WorkspaceAccess;
use crate::services::{ServiceError, ServiceResult};

use super::{Allowance, WebhookSecrets};

/// The webhooks the caller may see: all of the workspace's for its Owner and Admins, only its
/// own add-on's for an add-on token.
pub fn list(conn: &mut DbConnection, access: &WorkspaceAccess) -> ServiceResult<Vec<Webhook>> {
    access.require_admin()?;
    let mut hooks = Webhook::of_workspace(conn, access.workspace.id)?;
    if let Some(addon) = access.addon {
        hooks.retain(|h| h.addon_id == Some(addon));
    }
    Ok(hooks)
}

/// One webhook the caller may see (see [`list`]); any other is not found.
pub fn find(conn: &mut DbConnection, access: &WorkspaceAccess, public_id: &str) -> ServiceResult<Webhook> {
    access.require_admin()?;
    if !is_public_id(public_id) {
        return Err(ServiceError::NotFound);
    }
    let webhook = Webhook::find_in(conn, access.workspace.id, public_id)?.ok_or(ServiceError::NotFound)?;
    match access.addon {
        Some(addon) if webhook.addon_id != Some(addon) => Err(ServiceError::NotFound),
        _ => Ok(webhook),
    }
}

/// The webhook with its current secret and token opened. An add-on webhook's secrets belong
/// to the add-on: its token opens them, the workspace's people cannot.
pub fn reveal(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    secrets: &SecretBox,
    public_id: &str,
) -> ServiceResult<WebhookSecrets> {
    let webhook = find(conn, access, public_id)?;
    secrets_of(webhook, access, secrets)?.map_err(|_| addon_secret())
}

/// A webhook as a read shows it: with its secrets when the caller may see them.
pub enum Shown {
    WithSecrets(WebhookSecrets),
    /// An add-on's webhook read by a person: everything but the secrets.
    Plain(Webhook),
}

/// [`reveal`] for reads that show an add-on's webhook to a person without its secrets.
pub fn show(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    secrets: &SecretBox,
    public_id: &str,
) -> ServiceResult<Shown> {
    let webhook = find(conn, access, public_id)?;
    Ok(match secrets_of(webhook, access, secrets)? {
        Ok(opened) => Shown::WithSecrets(opened),
        Err(webhook) => Shown::Plain(webhook),
    })
}

/// The secrets opened, or the webhook back if the caller may not see them.
fn secrets_of(
    webhook: Webhook,
    access: &WorkspaceAccess,
    secrets: &SecretBox,
) -> ServiceResult<Result<WebhookSecrets, Webhook>> {
    if webhook.is_addon() && access.addon.is_none() {
        return Ok(Err(webhook));
    }
    let secret = SigningSecret::parse(&secrets.open(&webhook.secret_sealed)?).map_err(anyhow::Error::msg)?;
    let auth_token = secrets.open(&webhook.auth_token_sealed)?;
    Ok(Ok(WebhookSecrets { webhook, secret, auth_token }))
}

pub(super) fn addon_secret() -> ServiceError {
    ServiceError::forbidden(
        "This webhook belongs to an add-on: its secrets are the add-on's. You can see and disable it, not read or reset its secret.",
    )
}

/// One page of the webhook's attempts.
pub fn logs(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    public_id: &str,
    query: LogQuery,
) -> ServiceResult<Vec<LogRow>> {
    let webhook = find(conn, access, public_id)?;
    Ok(Attempt::page(conn, &LogQuery { webhook_id: webhook.id, ..query })?)
}

/// The public id of the user who created the webhook, if they still exist.
pub fn creator(conn: &mut DbConnection, webhook: &Webhook) -> ServiceResult<Option<String>> {
    let Some(user_id) = webhook.user_id else { return Ok(None) };
    Ok(crate::db::users::User::find(conn, user_id)?.map(|u| u.public_id))
}

/// The name of the user who created the webhook, if they still exist.
pub fn creator_name(conn: &mut DbConnection, webhook: &Webhook) -> ServiceResult<Option<String>> {
    let Some(user_id) = webhook.user_id else { return Ok(None) };
    Ok(User::find(conn, user_id)?.map(|u| u.name))
}

/// Reads the event row (used by the sender and the logs).
pub fn event(conn: &mut DbConnection, event_id: i64) -> ServiceResult<Option<Event>> {
    use crate::db::schema::events;
    use diesel::prelude::*;
    Ok(events::table.find(event_id).select(Event::as_select()).first(conn).optional()?)
}

/// What the Webhooks page shows: every webhook (each carrying its latest outcomes), and the allowance.
pub struct Overview {
    pub webhooks: Vec<Webhook>,
    pub allowance: Allowance,
}

pub fn overview(conn: &mut DbConnection, access: &WorkspaceAccess) -> ServiceResult<Overview> {
    let webhooks = list(conn, access)?;
    let allowance = Allowance::among(access, &webhooks);
    Ok(Overview { webhooks, allowance })
}

/// What a webhook's Details and Edit pages show.
pub struct Details {
    pub webhook: Webhook,
    pub creator_name: Option<String>,
    pub attempts: Vec<LogRow>,
    /// A delivery of this webhook is due within seconds (a test or resend just queued).
    pub sending_soon: bool,
}

/// How far ahead a queued delivery keeps the attempts list refreshing itself.
const SOON_MS: i64 = 5_000;

pub fn details(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    public_id: &str,
    query: LogQuery,
) -> ServiceResult<Details> {
    let webhook = find(conn, access, public_id)?;
    // Asked before the attempts are read: a send recorded in between then shows in the page
    // or keeps it polling. Asked after, it could do neither (the page would miss the attempt
    // and stop refreshing).
    let sending_soon = Delivery::due_before(conn, webhook.id, now_ms() + SOON_MS)?;
    let attempts = Attempt::page(conn, &LogQuery { webhook_id: webhook.id, ..query })?;
    let creator_name = creator_name(conn, &webhook)?;
    Ok(Details { webhook, creator_name, attempts, sending_soon })
}
