//! `/workspaces/{ws}/settings/accounts`: every member's API keys, with Revoke, and the audit
//! of key changes (Owner and Admin only).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::api_keys::KeyTimes;
use super::session::{set_flash, Frame, Page};
use super::{render, see_other};
use crate::error::AppError;
use crate::services::api_keys::{self, AuditRow, MemberKey};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "settings/accounts.html")]
struct AccountsTab {
    frame: Frame,
    ws: String,
    keys: Vec<MemberKey>,
    audit: Vec<AuditRow>,
    times: KeyTimes,
}

pub async fn list(page: Page, state: web::Data<AppState>, ws: web::Path<String>) -> Result<HttpResponse, AppError> {
    let access = page.admin_access(&ws)?;
    let ws = access.workspace.public_id.clone();
    let (keys, audit) = state.db.read(move |conn| api_keys::accounts(conn, &access)).await?;
    render(StatusCode::OK, &AccountsTab { times: KeyTimes(page.prefs()), frame: page.frame, ws, keys, audit })
}

pub async fn revoke(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (ws, key) = path.into_inner();
    let access = page.admin_access(&ws)?;
    let revoked = state.db.write(move |conn| api_keys::revoke(conn, &access, &key)).await?;
    state.api.forget_key(revoked.id);
    set_flash(
        &page.session,
        format!("API key “{}” revoked for this workspace. It no longer works here.", revoked.name),
        None,
    );
    Ok(see_other(&format!("/workspaces/{ws}/settings/accounts")))
}
