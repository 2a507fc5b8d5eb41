//! Add-ons: installing one from its manifest (one ADDON webhook per declared event, an
//! installation token, the `INSTALLED` lifecycle request), listing, and uninstalling. Owners
//! and Admins only; pages and the API call the same functions.

mod lifecycle;

use std::collections::HashMap;

pub use lifecycle::{install, uninstall, InstallError, Reach};

use crate::crypto::SecretBox;
use crate::db::addons::{Addon, NewAddon};
use crate::db::webhooks::{self as hooks, NewWebhook, Webhook};
use crate::db::DbConnection;
use crate::domain::{new_auth_token, new_public_id, AddonToken, DisabledReason, Manifest, SigningSecret, WebhookName};

use super::webhooks::WebhookSecrets;
use super::workspaces::WorkspaceAccess;
use super::{ServiceError, ServiceResult};
use crate::clock::now_ms;

/// An add-on just installed, with everything shown or sent only this once.
pub struct Installed {
    pub addon: Addon,
    pub token: AddonToken,
    /// Signs the lifecycle requests (the add-on gets it in `INSTALLED`).
    pub secret: SigningSecret,
    pub webhooks: Vec<WebhookSecrets>,
}

/// The workspace's add-ons, each with its webhooks.
/// An add-on's token sees only its own add-on.
pub fn list(conn: &mut DbConnection, access: &WorkspaceAccess) -> ServiceResult<Vec<(Addon, Vec<Webhook>)>> {
    access.require_admin()?;
    let mut addons = Addon::installed_in(conn, access.workspace.id)?;
    if let Some(own) = access.addon {
        addons.retain(|a| a.id == own);
    }
    // All their webhooks in one query, then shared out.
    let ids: Vec<i64> = addons.iter().map(|a| a.id).collect();
    let mut by_addon: HashMap<i64, Vec<Webhook>> = HashMap::new();
    for webhook in Webhook::of_addons(conn, &ids)? {
        if let Some(addon) = webhook.addon_id {
            by_addon.entry(addon).or_default().push(webhook);
        }
    }
    Ok(addons
        .into_iter()
        .map(|addon| {
            let webhooks = by_addon.remove(&addon.id).unwrap_or_default();
            (addon, webhooks)
        })
        .collect())
}

/// One installed add-on of the workspace, with its webhooks.
pub fn find(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    public_id: &str,
) -> ServiceResult<(Addon, Vec<Webhook>)> {
    access.require_admin()?;
    let addon = Addon::find_in(conn, access.workspace.id, public_id)?.ok_or(ServiceError::NotFound)?;
    if access.addon.is_some_and(|own| own != addon.id) {
        return Err(ServiceError::forbidden("An add-on token reaches only its own add-on."));
    }
    let webhooks = Webhook::of_addons(conn, &[addon.id])?;
    Ok((addon, webhooks))
}

/// Records the installation and its webhooks, in one transaction (the lifecycle request
/// comes after the commit, so the add-on can call the API with its token at once).
pub(crate) fn record(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    secrets: &SecretBox,
    manifest: &Manifest,
    text: &str,
) -> ServiceResult<Installed> {
    access.require_person()?;
    access.require_admin()?;
    if let Some(refusal) = super::webhooks::addon_refusal(conn, access, manifest.webhooks.len())? {
        return Err(ServiceError::invalid("manifest", refusal));
    }
    if Addon::find_key_in(conn, access.workspace.id, &manifest.key)?.is_some() {
        return Err(already_installed(manifest));
    }
    let now = now_ms();
    let (token, secret) = (AddonToken::generate(), SigningSecret::generate());
    let inserted = Addon::insert(
        conn,
        &NewAddon {
            public_id: &new_public_id(),
            workspace_id: access.workspace.id,
            addon_key: &manifest.key,
            name: &manifest.name,
            base_url: manifest.base_url.as_str(),
            manifest: text.trim(),
            token_hash: &token.hash(),
            secret_sealed: &secrets.seal(secret.expose())?,
            installed_by: Some(access.user_id),
            installed_at: now,
        },
    );
    let addon = match inserted {
        // The same add-on installed twice at once: the one-live-per-key index keeps one.
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            return Err(already_installed(manifest))
        }
        other => other?,
    };
    let plan = access.plan();
    // Webhook names are 2–30 characters; an add-on's carry its name.
    let short: String = manifest.name.chars().take(30).collect();
    let name = WebhookName::parse(&short).map_err(anyhow::Error::msg)?;
    let mut webhooks = Vec::with_capacity(manifest.webhooks.len());
    for declared in &manifest.webhooks {
        let (secret, auth_token) = (SigningSecret::generate(), new_auth_token());
        let allowed = declared.event.allowed_on(plan);
        let webhook = Webhook::insert(
            conn,
            &NewWebhook {
                public_id: &new_public_id(),
                workspace_id: access.workspace.id,
                user_id: None,
                name: name.as_str(),
                url: declared.url.as_str(),
                event_type: declared.event.as_str(),
                trigger_source_type: "WORKSPACE_ID",
                trigger_source: "[]",
                secret_sealed: &secrets.seal(secret.expose())?,
                auth_token_sealed: &secrets.seal(&auth_token)?,
                enabled: true,
                plan_enabled: allowed,
                disabled_reason: (!allowed).then_some(DisabledReason::Plan.as_str()),
                disabled_at: (!allowed).then_some(now),
                kind: hooks::ADDON,
                created_at: now,
                updated_at: now,
                create_token: None,
                addon_id: Some(addon.id),
            },
        )?;
        webhooks.push(WebhookSecrets { webhook, secret, auth_token });
    }
    audit(conn, access, &addon, "Installed add-on")?;
    Ok(Installed { addon, token, secret, webhooks })
}

fn already_installed(manifest: &Manifest) -> ServiceError {
    ServiceError::invalid(
        "key",
        format!("The add-on “{}” ({}) is already installed in this workspace.", manifest.name, manifest.key),
    )
}

/// Uninstalls: the token stops working and the webhooks are deleted (their queued deliveries
/// cancelled, their attempts kept for the audit), in one transaction.
pub(crate) fn remove(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    public_id: &str,
    action: &str,
) -> ServiceResult<Addon> {
    access.require_person()?;
    access.require_admin()?;
    let addon = Addon::find_in(conn, access.workspace.id, public_id)?.ok_or(ServiceError::NotFound)?;
    let now = now_ms();
    Addon::mark_uninstalled(conn, addon.id, now)?;
    for webhook in Webhook::of_addons(conn, &[addon.id])? {
        Webhook::delete(conn, webhook.id, now)?;
    }
    audit(conn, access, &addon, action)?;
    Ok(addon)
}

fn audit(conn: &mut DbConnection, access: &WorkspaceAccess, addon: &Addon, action: &str) -> ServiceResult<()> {
    let target = format!("{} ({} → {})", addon.name, addon.addon_key, addon.base_url);
    super::audit::in_workspace(conn, access, None, action, &target)
}
