//! `/workspaces/{ws}/settings/members`: invite, change roles, remove, transfer ownership.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::forms::FieldErrors;
use super::session::{set_flash, Frame, Page};
use super::{render, see_other};
use crate::db::invitations::Invitation;
use crate::domain::{DisplayPrefs, Email, Role};
use crate::error::AppError;
use crate::services::members::{self, Member};
use crate::services::workspaces::WorkspaceAccess;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InviteForm {
    email: String,
    role: String,
}

#[derive(Template)]
#[template(path = "settings/members.html")]
struct MembersTab<'a> {
    frame: Frame,
    ws: String,
    is_owner: bool,
    me: i64,
    members: Vec<Member>,
    invitations: Vec<Invitation>,
    invite: &'a InviteForm,
    errors: FieldErrors,
    prefs: DisplayPrefs,
}

impl MembersTab<'_> {
    fn assignable(&self) -> [Role; 3] {
        Role::ASSIGNABLE
    }

    fn expires(&self, invitation: &Invitation) -> String {
        self.prefs.format_instant(invitation.expires_at)
    }

    fn role_label(&self, role: &str) -> &'static str {
        Role::parse(role).map_or("Unknown", Role::label)
    }
}

async fn show(
    page: Page,
    state: &AppState,
    access: WorkspaceAccess,
    invite: &InviteForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let listed = access.clone();
    let (members, invitations) = state.db.read(move |conn| members::list(conn, &listed)).await?;
    let tab = MembersTab {
        prefs: page.prefs(),
        frame: page.frame,
        ws: access.workspace.public_id.clone(),
        is_owner: access.role == Role::Owner,
        me: access.user_id,
        members,
        invitations,
        invite,
        errors,
    };
    render(status, &tab)
}

/// The absolute link to send the invitee, on the public URL (never a request's `Host`, which
/// an attacker's request could set to their own site).
fn invitation_link(state: &AppState, token: &str) -> String {
    format!("{}/invitations/{token}", state.public_url.as_str())
}

fn back(access: &WorkspaceAccess) -> HttpResponse {
    see_other(&format!("/workspaces/{}/settings/members", access.workspace.public_id))
}

pub async fn list(page: Page, state: web::Data<AppState>, ws: web::Path<String>) -> Result<HttpResponse, AppError> {
    let access = page.admin_access(&ws)?;
    show(page, &state, access, &InviteForm::default(), FieldErrors::default()).await
}

pub async fn invite(
    page: Page,
    state: web::Data<AppState>,
    ws: web::Path<String>,
    form: web::Form<InviteForm>,
) -> Result<HttpResponse, AppError> {
    let access = page.admin_access(&ws)?;
    let mut errors = FieldErrors::default();
    let email = errors.check("email", Email::parse(&form.email));
    let role = errors.check("role", Role::parse_assignable(&form.role));
    let (Some(email), Some(role)) = (email, role) else {
        return show(page, &state, access, &form, errors).await;
    };
    let target = access.clone();
    let invited = email.clone();
    let mail_base = state.mail.as_ref().map(|_| state.public_url.as_str().to_owned());
    match state.db.write(move |conn| members::invite(conn, &target, &invited, role, mail_base.as_deref())).await {
        Ok(token) => {
            let message = match &state.mail {
                Some(mail) => {
                    mail.notify_one();
                    format!(
                        "Invitation created for {email} and mailed to them. The link is also here, shown only once."
                    )
                }
                None => format!("Invitation created for {email}. Copy the link now: it is shown only once."),
            };
            set_flash(&page.session, message, Some(invitation_link(&state, &token)));
            Ok(back(&access))
        }
        Err(e) => show(page, &state, access, &form, FieldErrors::absorb(e)?).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoleForm {
    role: String,
}

pub async fn change_role(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let (ws, member) = path.into_inner();
    let access = page.admin_access(&ws)?;
    let role = Role::parse_assignable(&form.role).map_err(AppError::BadRequest)?;
    let target = access.clone();
    state.db.write(move |conn| members::change_role(conn, &target, &member, role)).await?;
    set_flash(&page.session, format!("Role changed to {}.", role.label()), None);
    Ok(back(&access))
}

pub async fn remove(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (ws, member) = path.into_inner();
    let access = page.admin_access(&ws)?;
    let (target, removed) = (access.clone(), member.clone());
    let current = page.signed_in.session_id;
    let signed_out = state.db.write(move |conn| members::remove(conn, &target, &removed, Some(current))).await?;
    state.sessions.forget(|s| s.user_id == signed_out && s.session_id != current);
    set_flash(&page.session, "Member removed.", None);
    if member == page.user.public_id {
        return Ok(see_other("/preferences"));
    }
    Ok(back(&access))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ActiveForm {
    active: String,
}

/// Deactivate (keeps the member and their data, without access) or Activate again.
pub async fn set_active(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<ActiveForm>,
) -> Result<HttpResponse, AppError> {
    let (ws, member) = path.into_inner();
    let access = page.admin_access(&ws)?;
    let active = match form.active.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::BadRequest("Choose Activate or Deactivate.".into())),
    };
    let target = access.clone();
    state.db.write(move |conn| members::set_active(conn, &target, &member, active)).await?;
    let message = if active { "Member activated." } else { "Member deactivated: they no longer have access." };
    set_flash(&page.session, message, None);
    Ok(back(&access))
}

pub async fn transfer(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (ws, member) = path.into_inner();
    let access = page.admin_access(&ws)?;
    let target = access.clone();
    state.db.write(move |conn| members::transfer_ownership(conn, &target, &member)).await?;
    set_flash(&page.session, "Ownership transferred. You are now an Admin of this workspace.", None);
    Ok(back(&access))
}

pub async fn revoke_invitation(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (ws, invitation) = path.into_inner();
    let access = page.admin_access(&ws)?;
    let target = access.clone();
    state.db.write(move |conn| members::revoke_invitation(conn, &target, invitation)).await?;
    set_flash(&page.session, "Invitation withdrawn.", None);
    Ok(back(&access))
}
