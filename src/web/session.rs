//! The signed-in user, the page frame around every signed-in page, flash messages and the
//! CSRF token. The encrypted session cookie carries the CSRF token, the flash message and
//! the token of a session held on the server (`services::sessions`): ending that session ends
//! the cookie's use on every instance, however many copies of it exist.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use actix_session::{Session, SessionExt};
use actix_web::{web, FromRequest, HttpRequest};
use serde::{Deserialize, Serialize};

use crate::clock::now_ms;
use crate::db::users::User;
use crate::db::workspaces::Workspace;
use crate::domain::{random_token, DisplayPrefs, Role};
use crate::error::AppError;
use crate::services::last_used::LastUsed;
use crate::services::sessions::{self, ClientInfo, SignedIn};
use crate::services::workspaces::WorkspaceAccess;
use crate::services::{preferences, workspaces, ServiceError};
use crate::state::AppState;
use crate::verified_cache::VerifiedCache;

const SESSION_TOKEN: &str = "sid";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";

/// This instance's memory of sessions: verified ones (for a second, as API keys are), and when
/// each was last written as seen.
#[derive(Debug)]
pub struct Sessions {
    cache: VerifiedCache<SignedIn>,
    seen: LastUsed,
}

impl Sessions {
    /// How long a verified session is trusted without a query: the delay before an ending on
    /// another instance holds here.
    pub const CACHE_TTL: Duration = Duration::from_secs(1);

    pub fn new() -> Self {
        Self { cache: VerifiedCache::new(Self::CACHE_TTL), seen: LastUsed::default() }
    }

    /// Sessions ended here: refused on this instance at once.
    pub fn forget(&self, ended: impl Fn(&SignedIn) -> bool) {
        self.cache.forget(ended);
    }
}

impl Default for Sessions {
    fn default() -> Self {
        Self::new()
    }
}

/// The browser and address a request comes from, kept with a new session.
pub fn client_info(req: &HttpRequest) -> ClientInfo {
    let user_agent = req.headers().get(actix_web::http::header::USER_AGENT).and_then(|v| v.to_str().ok());
    ClientInfo {
        user_agent: user_agent.unwrap_or("").to_owned(),
        address: req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default(),
    }
}

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

/// Signs the user in on a fresh session: a new server-side session (any earlier one of this
/// browser ended), a new cookie, a new CSRF token, nothing carried over.
pub async fn sign_in(state: &AppState, session: &Session, client: ClientInfo, user_id: i64) -> Result<(), AppError> {
    end_current(state, session).await?;
    let (token, signed_in) = state.db.write(move |conn| sessions::start(conn, user_id, &client)).await?;
    let cache = &state.sessions.cache;
    cache.put(sessions::token_hash(&token), signed_in, Instant::now(), cache.epoch());
    // `clear`, not `purge`: a purged session ignores everything inserted after it.
    session.clear();
    session.renew();
    session
        .insert(SESSION_TOKEN, token)
        .and_then(|()| session.insert(CSRF, random_token()))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot write the session: {e}")))
}

/// Ends this browser's session on the server (every copy of its cookie stops working) and
/// clears the cookie.
pub async fn sign_out(state: &AppState, session: &Session) -> Result<(), AppError> {
    end_current(state, session).await?;
    session.purge();
    Ok(())
}

async fn end_current(state: &AppState, session: &Session) -> Result<(), AppError> {
    let Some(token) = session.get::<String>(SESSION_TOKEN).ok().flatten() else { return Ok(()) };
    let hash = sessions::token_hash(&token);
    if let Some(ended) = state.db.write(move |conn| sessions::end(conn, &hash)).await? {
        state.sessions.forget(|s| s.session_id == ended);
    }
    Ok(())
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
    /// The server-side session this request belongs to.
    pub signed_in: SignedIn,
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
            let Some(token) = session.get::<String>(SESSION_TOKEN).ok().flatten() else {
                return Err(AppError::SignIn { setup_needed: state.needs_setup().await? });
            };
            let hash = sessions::token_hash(&token);
            let now = Instant::now();
            let cache = &state.sessions.cache;
            let (cached, epoch) = (cache.get(&hash, now), cache.epoch());
            let lookup = hash.clone();
            let loaded = state
                .db
                .read(move |conn| -> Result<_, ServiceError> {
                    let signed_in = match cached {
                        Some(s) if s.expires_at > now_ms() => s,
                        Some(_) => return Ok(None),
                        None => match sessions::verify(conn, &lookup)? {
                            Some(s) => s,
                            None => return Ok(None),
                        },
                    };
                    let Some(user) = User::find(conn, signed_in.user_id)? else {
                        return Ok(None);
                    };
                    Ok(Some((signed_in, workspaces::list_for(conn, user.id)?, user)))
                })
                .await?;
            let Some((signed_in, memberships, user)) = loaded else {
                // Ended (logout, elsewhere), expired, or the account is gone: start over. Only
                // the token goes, so a public page answered on this request keeps its CSRF token.
                session.remove(SESSION_TOKEN);
                return Err(AppError::SignIn { setup_needed: state.needs_setup().await? });
            };
            if cached.is_none() {
                cache.put(hash, signed_in, now, epoch);
            }
            record_seen(&state, signed_in.session_id);
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
            Ok(Page { user, signed_in, frame, session, memberships })
        })
    }
}

/// Writes "last seen" when due (at most once a minute per session), off the request's path.
fn record_seen(state: &web::Data<AppState>, session_id: i64) {
    let now = now_ms();
    if !state.sessions.seen.due(session_id, now) {
        return;
    }
    AppState::write_later(state, "a session's last use", move |conn| sessions::record_seen(conn, session_id, now));
}
