//! The signed-in user, the page frame around every signed-in page, flash messages and the
//! CSRF token, all kept in the encrypted session cookie.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::{web, FromRequest, HttpRequest};
use serde::{Deserialize, Serialize};

use crate::db::users::User;
use crate::db::workspaces::Workspace;
use crate::domain::{random_token, DisplayPrefs, Role};
use crate::error::AppError;
use crate::services::now_ms;
use crate::services::workspaces::WorkspaceAccess;
use crate::services::{preferences, workspaces};
use crate::state::AppState;

const USER_ID: &str = "uid";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";
const SIGNED_IN_AT: &str = "at";

/// How long a sign-in lasts. Cookie sessions live in the browser, so this bound, written into
/// the encrypted cookie at sign-in, is what ends a copied cookie's life.
pub const SESSION_MAX_AGE_MS: i64 = 14 * 24 * 60 * 60 * 1000;

/// A one-time message shown on the next page; `secret` is something shown only this once
/// (an invitation link), with a Copy button.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub message: String,
    pub secret: Option<String>,
}

pub fn set_flash(session: &Session, message: impl Into<String>, secret: Option<String>) {
    let flash = Flash { message: message.into(), secret };
    if let Err(e) = session.insert(FLASH, flash) {
        tracing::warn!(error = %e, "cannot store a flash message");
    }
}

/// The flash message, removed so it shows once. Looked at first: removing an absent key
/// would still mark the session changed and re-send the cookie on every page.
fn take_flash(session: &Session) -> Option<Flash> {
    if !session.contains_key(FLASH) {
        return None;
    }
    session.remove_as::<Flash>(FLASH).and_then(Result::ok)
}

/// The session's CSRF token, created on first use.
pub fn csrf_token(session: &Session) -> String {
    if let Ok(Some(token)) = session.get::<String>(CSRF) {
        return token;
    }
    let token = random_token();
    if let Err(e) = session.insert(CSRF, &token) {
        tracing::warn!(error = %e, "cannot store the CSRF token");
    }
    token
}

/// The token the session expects, without creating one.
pub fn expected_csrf_token(session: &Session) -> Option<String> {
    session.get::<String>(CSRF).ok().flatten()
}

/// Signs the user in on a fresh session: a new cookie, a new CSRF token, nothing carried over.
pub fn sign_in(session: &Session, user_id: i64) -> Result<(), AppError> {
    // `clear`, not `purge`: a purged session ignores everything inserted after it.
    session.clear();
    session.renew();
    session
        .insert(USER_ID, user_id)
        .and_then(|()| session.insert(SIGNED_IN_AT, now_ms()))
        .and_then(|()| session.insert(CSRF, random_token()))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot write the session: {e}")))
}

pub fn sign_out(session: &Session) {
    session.purge();
}

/// A workspace in the top bar's dropdown.
#[derive(Debug, Clone)]
pub struct WorkspaceChoice {
    pub id: String,
    pub name: String,
    pub role: Role,
}

/// What the layout around every signed-in page needs.
#[derive(Debug, Clone)]
pub struct Frame {
    pub csrf: String,
    pub user_name: String,
    pub user_email: String,
    pub workspaces: Vec<WorkspaceChoice>,
    pub active: Option<WorkspaceChoice>,
    pub flash: Option<Flash>,
    /// The current path, so that switching workspace can come back to the same screen.
    pub path: String,
}

impl Frame {
    pub fn active_id(&self) -> &str {
        self.active.as_ref().map_or("", |w| w.id.as_str())
    }

    pub fn active_name(&self) -> &str {
        self.active.as_ref().map_or("this workspace", |w| w.name.as_str())
    }

    /// Whether the user runs the active workspace (Owner or Admin).
    pub fn administers_active(&self) -> bool {
        self.active.as_ref().is_some_and(|w| w.role.administers())
    }
}

/// A signed-in request: the user and the frame. Extracting it from a request without a
/// session sends the browser to `/login` (or `/setup` on a fresh install).
pub struct Page {
    pub user: User,
    pub frame: Frame,
    pub session: Session,
    /// The user's workspaces with their role in each, loaded once for the top bar.
    memberships: Vec<(Workspace, Role)>,
}

impl Page {
    pub fn prefs(&self) -> DisplayPrefs {
        preferences::of(&self.user)
    }

    /// The user's access to the workspace in the URL; 404 if it is not one of theirs.
    pub fn access(&self, workspace: &str) -> Result<WorkspaceAccess, AppError> {
        Ok(WorkspaceAccess::among(self.user.id, &self.memberships, workspace)?)
    }

    /// Like [`Page::admin_access`], but other members get 404: the Webhooks screens are "not
    /// visible to other user roles" (the help article), so they do not learn they exist.
    pub fn hidden_admin_access(&self, workspace: &str) -> Result<WorkspaceAccess, AppError> {
        let access = self.access(workspace)?;
        if !access.role.administers() {
            return Err(AppError::NotFound);
        }
        Ok(access)
    }

    /// Like [`Page::access`], and the user must be its Owner or an Admin (403 otherwise).
    pub fn admin_access(&self, workspace: &str) -> Result<WorkspaceAccess, AppError> {
        let access = self.access(workspace)?;
        access.require_admin()?;
        Ok(access)
    }
}

impl FromRequest for Page {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let session = req.get_session();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let path = req.path().to_owned();
        Box::pin(async move {
            let state = state.ok_or_else(|| anyhow::anyhow!("AppState is not registered"))?;
            let user_id = session.get::<i64>(USER_ID).ok().flatten();
            let signed_in_at = session.get::<i64>(SIGNED_IN_AT).ok().flatten().unwrap_or(0);
            let Some(user_id) = user_id.filter(|_| now_ms() - signed_in_at < SESSION_MAX_AGE_MS) else {
                sign_out(&session);
                return Err(AppError::SignIn { setup_needed: state.needs_setup().await? });
            };
            let loaded = state
                .db
                .read(move |conn| -> Result<_, crate::services::ServiceError> {
                    let Some(user) = User::find(conn, user_id)? else {
                        return Ok(None);
                    };
                    Ok(Some((workspaces::list_for(conn, user_id)?, user)))
                })
                .await?;
            let Some((memberships, user)) = loaded else {
                // The account is gone (or the database was replaced): start over.
                sign_out(&session);
                return Err(AppError::SignIn { setup_needed: state.needs_setup().await? });
            };
            // The remembered workspace, or the first one if it is gone (the user was removed).
            let active_index =
                memberships.iter().position(|(w, _)| Some(w.id) == user.active_workspace_id).unwrap_or(0);
            let workspaces: Vec<WorkspaceChoice> = memberships
                .iter()
                .map(|(w, role)| WorkspaceChoice { id: w.public_id.clone(), name: w.name.clone(), role: *role })
                .collect();
            let active = workspaces.get(active_index).cloned();
            let flash = take_flash(&session);
            let frame = Frame {
                csrf: csrf_token(&session),
                user_name: user.name.clone(),
                user_email: user.email.clone(),
                workspaces,
                active,
                flash,
                path,
            };
            Ok(Page { user, frame, session, memberships })
        })
    }
}
