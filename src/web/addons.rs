//! `/workspaces/{ws}/settings/addons`: the installed add-ons with their webhooks, Install from a
//! manifest, and Uninstall (Owner and Admin only). The installation token is shown once, in
//! the flash after installing.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::forms::FieldErrors;
use super::session::{set_flash, Frame, Page};
use super::webhooks::view::WebhookRow;
use super::{render, see_other};
use crate::db::addons::Addon;
use crate::db::webhooks::Webhook;
use crate::domain::DisplayPrefs;
use crate::error::AppError;
use crate::services::addons::{self as service, InstallError};
use crate::services::workspaces::WorkspaceAccess;
use crate::state::AppState;

/// What a manifest looks like, shown as the field's placeholder.
const EXAMPLE: &str = r#"{"key": "time-bot", "name": "Time bot", "baseUrl": "https://bot.example.com",
 "webhooks": [{"event": "NEW_TIME_ENTRY", "path": "/hooks/entry"}]}"#;

struct AddonRow {
    id: String,
    name: String,
    key: String,
    base_url: String,
    installed_at: String,
    webhooks: Vec<WebhookRow>,
}

impl AddonRow {
    fn new(addon: &Addon, webhooks: &[Webhook], prefs: &DisplayPrefs) -> Self {
        Self {
            id: addon.public_id.clone(),
            name: addon.name.clone(),
            key: addon.addon_key.clone(),
            base_url: addon.base_url.clone(),
            installed_at: prefs.format_instant(addon.installed_at),
            webhooks: webhooks.iter().map(|w| WebhookRow::new(w, prefs)).collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "settings/addons.html")]
struct AddonsTab {
    frame: Frame,
    ws: String,
    addons: Vec<AddonRow>,
    manifest: String,
    example: &'static str,
    errors: FieldErrors,
}

async fn tab(
    page: Page,
    state: &AppState,
    access: WorkspaceAccess,
    manifest: String,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let ws = access.workspace.public_id.clone();
    let installed = state.db.read(move |conn| service::list(conn, &access)).await?;
    let prefs = page.prefs();
    let addons = installed.iter().map(|(addon, hooks)| AddonRow::new(addon, hooks, &prefs)).collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render(status, &AddonsTab { frame: page.frame, ws, addons, manifest, example: EXAMPLE, errors })
}

pub async fn list(page: Page, state: web::Data<AppState>, ws: web::Path<String>) -> Result<HttpResponse, AppError> {
    let access = page.admin_access(&ws)?;
    tab(page, &state, access, String::new(), FieldErrors::default()).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InstallForm {
    manifest: String,
}

pub async fn install(
    page: Page,
    state: web::Data<AppState>,
    ws: web::Path<String>,
    form: web::Form<InstallForm>,
) -> Result<HttpResponse, AppError> {
    let access = page.admin_access(&ws)?;
    let api_url = crate::api::api_url(&state);
    match service::install(&state.reach(), access.clone(), form.manifest.clone(), &api_url).await {
        Ok(installed) => {
            let message = format!(
                "Add-on “{}” installed with {} webhook(s). Its installation token (X-Addon-Token) was sent to the \
                 add-on; copy it now if you need it: it will not be shown again.",
                installed.addon.name,
                installed.webhooks.len()
            );
            set_flash(&page.session, message, Some(installed.token.expose().to_owned()));
            Ok(see_other(&format!("/workspaces/{ws}/settings/addons")))
        }
        Err(InstallError::Refused(why)) => {
            let mut errors = FieldErrors::default();
            errors.add("manifest", why.to_string());
            tab(page, &state, access, form.manifest.clone(), errors).await
        }
        Err(InstallError::Failed(e)) => Err(e.into()),
    }
}

pub async fn uninstall(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (ws, id) = path.into_inner();
    let access = page.admin_access(&ws)?;
    let addon = service::uninstall(&state.reach(), access, id).await?;
    let message =
        format!("Add-on “{}” uninstalled: its webhooks are deleted and its token no longer works.", addon.name);
    set_flash(&page.session, message, None);
    Ok(see_other(&format!("/workspaces/{ws}/settings/addons")))
}
