//! The network side of add-ons: vetting the add-on's host before anything is stored, and the
//! lifecycle requests (`INSTALLED` with the tokens, `DELETED` if the manifest asks for it),
//! signed like deliveries with the installation's own secret and sent through the same
//! SSRF-guarded client.

use serde_json::{json, Value};

use super::{record, remove, Installed};
use crate::clock::now_ms;
use crate::crypto::SecretBox;
use crate::db::addons::Addon;
use crate::db::Db;
use crate::domain::{Manifest, ManifestError, SigningSecret};
use crate::outbound::http::{self, Outcome, Outgoing};
use crate::outbound::network_policy::NetworkPolicy;
use crate::services::events::new_message_id;
use crate::services::workspaces::WorkspaceAccess;
use crate::services::{webhooks, ServiceError, ServiceResult};

/// What installing needs besides the caller: the database, the sealing key, and the way out.
pub struct Reach<'a> {
    pub db: &'a Db,
    pub secrets: &'a SecretBox,
    pub network: &'a NetworkPolicy,
    pub client: &'a reqwest::Client,
    pub timeout: std::time::Duration,
}

/// Why an installation did not happen: a refusal to show next to the manifest (naming the
/// manifest field at fault), or anything else.
#[derive(Debug)]
pub enum InstallError {
    Refused(ManifestError),
    Failed(ServiceError),
}

impl From<ServiceError> for InstallError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid { field, message } => Self::Refused(ManifestError { field: field.into(), message }),
            other => Self::Failed(other),
        }
    }
}

fn refused(field: &str, message: impl Into<String>) -> InstallError {
    InstallError::Refused(ManifestError { field: field.into(), message: message.into() })
}

/// Installs the add-on the manifest `text` describes into the caller's workspace, and tells the
/// add-on. If the add-on does not answer its `INSTALLED` request with a 2xx, the installation
/// is undone and the refusal says what the add-on answered. `api_url` is where the add-on
/// calls keyhook's API (`…/api`).
pub async fn install(
    reach: &Reach<'_>,
    access: WorkspaceAccess,
    text: String,
    api_url: &str,
) -> Result<Installed, InstallError> {
    access.require_person()?;
    access.require_admin()?;
    let manifest = Manifest::parse(&text, reach.network).map_err(InstallError::Refused)?;
    webhooks::endpoint(manifest.base_url.as_str(), reach.network).await.map_err(|m| refused("baseUrl", m))?;
    let (target, secrets, checked) = (access.clone(), reach.secrets.clone(), manifest.clone());
    let installed = reach.db.write(move |conn| record(conn, &target, &secrets, &checked, &text)).await?;
    let body = installed_body(&installed, &manifest, &access, api_url);
    let url = manifest.installed_url.as_str();
    let outcome = send(reach, url, "INSTALLED", &body, &installed.secret).await;
    if outcome.succeeded() {
        return Ok(installed);
    }
    let id = installed.addon.public_id.clone();
    reach.db.write(move |conn| remove(conn, &access, &id, "Add-on refused its installation")).await?;
    Err(refused(
        "baseUrl",
        format!(
            "The add-on did not accept the installation: POST {url} {}. Nothing was installed.",
            describe(&outcome)
        ),
    ))
}

/// Uninstalls the add-on (at once, whatever the add-on answers), then sends it `DELETED` if
/// its manifest asked for that.
pub async fn uninstall(reach: &Reach<'_>, access: WorkspaceAccess, public_id: String) -> ServiceResult<Addon> {
    let workspace = access.workspace.public_id.clone();
    let addon = reach.db.write(move |conn| remove(conn, &access, &public_id, "Uninstalled add-on")).await?;
    let deleted_url = Manifest::parse(&addon.manifest, reach.network).ok().and_then(|m| m.deleted_url);
    if let Some(url) = deleted_url {
        let secret = SigningSecret::parse(&reach.secrets.open(&addon.secret_sealed)?).map_err(anyhow::Error::msg)?;
        let body = json!({"addonId": addon.public_id, "addonKey": addon.addon_key, "workspaceId": workspace});
        let outcome = send(reach, url.as_str(), "DELETED", &body, &secret).await;
        if !outcome.succeeded() {
            tracing::warn!(addon = %addon.public_id, outcome = %describe(&outcome), "an add-on did not take its DELETED request");
        }
    }
    Ok(addon)
}

/// What the add-on is told on installation: its ids, its API token and where to use it, and
/// each webhook with its tokens (so it can check `Clockify-Signature` and the signature).
fn installed_body(installed: &Installed, manifest: &Manifest, access: &WorkspaceAccess, api_url: &str) -> Value {
    let webhooks: Vec<Value> = installed
        .webhooks
        .iter()
        .zip(&manifest.webhooks)
        .map(|(made, declared)| {
            json!({
                "webhookId": made.webhook.public_id,
                "event": made.webhook.event_type,
                "path": declared.path,
                "url": made.webhook.url,
                "authToken": made.auth_token,
                "signingSecret": made.secret.expose(),
                "enabled": made.webhook.enabled && made.webhook.plan_enabled,
            })
        })
        .collect();
    json!({
        "addonId": installed.addon.public_id,
        "addonKey": installed.addon.addon_key,
        "workspaceId": access.workspace.public_id,
        "authToken": installed.token.expose(),
        "apiUrl": api_url,
        "signingSecret": installed.secret.expose(),
        "webhooks": webhooks,
    })
}

async fn send(reach: &Reach<'_>, url: &str, kind: &str, body: &Value, secret: &SigningSecret) -> Outcome {
    let body = body.to_string();
    let message_id = new_message_id();
    let secrets = [secret.clone()];
    let out = Outgoing {
        url,
        message_id: &message_id,
        event_type: kind,
        body: &body,
        secrets: &secrets,
        auth_token: None,
        timestamp: now_ms() / 1000,
        timeout: reach.timeout,
    };
    http::send(reach.client, reach.network, &out).await
}

/// "answered 500", or what kept the request from being answered.
fn describe(outcome: &Outcome) -> String {
    if let Some(reason) = &outcome.reason {
        return reason.to_string();
    }
    match (outcome.status, &outcome.error_detail) {
        (Some(status), _) => format!("answered {status}"),
        (None, Some(detail)) => format!("failed ({}: {detail})", outcome.error_class.unwrap_or("error")),
        (None, None) => "failed".to_owned(),
    }
}
