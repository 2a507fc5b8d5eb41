//! `/workspaces/{ws}/settings/system-endpoint`: the URL that receives events about keyhook
//! itself (a webhook's health changing, a delivery that failed for good), its signing secret
//! (shown once when set, then on Reveal), and a link to its deliveries.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::forms::FieldErrors;
use super::session::{set_flash, Frame, Page};
use super::{render, see_other};
use crate::db::webhooks::Webhook;
use crate::domain::SystemEvent;
use crate::error::AppError;
use crate::services::workspaces::WorkspaceAccess;
use crate::services::{system_endpoint, webhooks as hooks};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "settings/system_endpoint.html")]
struct SystemTab {
    frame: Frame,
    ws: String,
    endpoint: Option<Webhook>,
    url: String,
    errors: FieldErrors,
    /// After Reveal: the signing secret.
    secret: Option<String>,
}

impl SystemTab {
    fn events(&self) -> Vec<(&'static str, &'static str)> {
        SystemEvent::ALL.iter().map(|e| (e.as_str(), e.description())).collect()
    }
}

fn tab_url(ws: &str) -> String {
    format!("/workspaces/{ws}/settings/system-endpoint")
}

async fn show(
    page: Page,
    state: &AppState,
    access: &WorkspaceAccess,
    form_url: Option<String>,
    errors: FieldErrors,
    secret: Option<String>,
) -> Result<HttpResponse, AppError> {
    let target = access.clone();
    let endpoint = state.db.read(move |conn| system_endpoint::get(conn, &target)).await?;
    let url = form_url.unwrap_or_else(|| endpoint.as_ref().map(|e| e.url.clone()).unwrap_or_default());
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let ws = access.workspace.public_id.clone();
    render(status, &SystemTab { frame: page.frame, ws, endpoint, url, errors, secret })
}

pub async fn tab(page: Page, state: web::Data<AppState>, ws: web::Path<String>) -> Result<HttpResponse, AppError> {
    let access = page.admin_access(&ws)?;
    show(page, &state, &access, None, FieldErrors::default(), None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EndpointForm {
    url: String,
}

pub async fn save(
    page: Page,
    state: web::Data<AppState>,
    ws: web::Path<String>,
    form: web::Form<EndpointForm>,
) -> Result<HttpResponse, AppError> {
    let access = page.admin_access(&ws)?;
    let mut errors = FieldErrors::default();
    let Some(url) = errors.check("url", hooks::endpoint(&form.url, &state.network).await) else {
        return show(page, &state, &access, Some(form.url.clone()), errors, None).await;
    };
    let (target, secrets) = (access.clone(), state.secrets.clone());
    let (_, secret) = state.db.write(move |conn| system_endpoint::set(conn, &target, &secrets, &url)).await?;
    match secret {
        Some(secret) => set_flash(
            &page.session,
            "System endpoint set. Copy its signing secret now: it verifies every event (Reveal shows it again).",
            Some(secret.expose().to_owned()),
        ),
        None => set_flash(&page.session, "System endpoint saved.", None),
    }
    Ok(see_other(&tab_url(&access.workspace.public_id)))
}

pub async fn reveal(page: Page, state: web::Data<AppState>, ws: web::Path<String>) -> Result<HttpResponse, AppError> {
    let access = page.admin_access(&ws)?;
    let (target, secrets) = (access.clone(), state.secrets.clone());
    let secret = state
        .db
        .read(move |conn| {
            let Some(endpoint) = system_endpoint::get(conn, &target)? else { return Ok(None) };
            hooks::reveal(conn, &target, &secrets, &endpoint.public_id).map(|s| Some(s.secret.expose().to_owned()))
        })
        .await?;
    show(page, &state, &access, None, FieldErrors::default(), secret).await
}

pub async fn remove(page: Page, state: web::Data<AppState>, ws: web::Path<String>) -> Result<HttpResponse, AppError> {
    let access = page.admin_access(&ws)?;
    let target = access.clone();
    let removed = state.db.write(move |conn| system_endpoint::remove(conn, &target)).await?;
    set_flash(&page.session, if removed { "System endpoint removed." } else { "No system endpoint was set." }, None);
    Ok(see_other(&tab_url(&access.workspace.public_id)))
}
