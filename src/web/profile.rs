//! `/profile` (from the user menu): one's own name, e-mail and password, and the list of one's
//! signed-in sessions with "Sign out" for each and for all the others. Changing the e-mail or
//! the password asks for the current password, checked through the login throttle; a new
//! password signs out every other session.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::api_keys::KeyTimes;
use super::forms::FieldErrors;
use super::login::{check_password, Refusal};
use super::session::{set_flash, sign_out, Frame, Page};
use super::{render, see_other};
use crate::db::sessions::SessionRow;
use crate::domain::{Email, Name, Password};
use crate::error::AppError;
use crate::services::{accounts, passwords, sessions};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DetailsForm {
    name: String,
    email: String,
    current_password: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage<'a> {
    frame: Frame,
    name: &'a str,
    email: &'a str,
    /// Which form the errors belong to: "details" or "password".
    failed: &'a str,
    errors: FieldErrors,
    sessions: Vec<SessionRow>,
    current: i64,
    times: KeyTimes,
}

impl ProfilePage<'_> {
    /// The browser a session signed in from, short enough for a table cell.
    fn browser(&self, row: &SessionRow) -> String {
        let agent = row.user_agent.trim();
        if agent.is_empty() {
            return "Unknown browser".into();
        }
        let short: String = agent.chars().take(80).collect();
        if short.len() < agent.len() {
            format!("{short}…")
        } else {
            short
        }
    }
}

async fn show(
    page: Page,
    state: &AppState,
    status: StatusCode,
    (name, email): (&str, &str),
    failed: &str,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let user_id = page.user.id;
    let sessions = state.db.read(move |conn| sessions::list_mine(conn, user_id)).await?;
    let times = KeyTimes(page.prefs());
    let current = page.signed_in.session_id;
    render(status, &ProfilePage { frame: page.frame, name, email, failed, errors, sessions, current, times })
}

pub async fn view(page: Page, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let (name, email) = (page.user.name.clone(), page.user.email.clone());
    show(page, &state, StatusCode::OK, (&name, &email), "", FieldErrors::default()).await
}

/// The message next to the current password when the check refused it.
fn refusal_message(refusal: &Refusal) -> (StatusCode, String) {
    match refusal {
        Refusal::Wrong => (StatusCode::UNPROCESSABLE_ENTITY, "This is not your current password.".into()),
        locked => (locked.status(), locked.message()),
    }
}

pub async fn save_details(
    req: HttpRequest,
    page: Page,
    state: web::Data<AppState>,
    form: web::Form<DetailsForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let name = errors.check("name", Name::parse(&form.name));
    let email = errors.check("email", Email::parse(&form.email));
    let (Some(name), Some(email)) = (name, email) else {
        return show(page, &state, StatusCode::UNPROCESSABLE_ENTITY, (&form.name, &form.email), "details", errors)
            .await;
    };
    if email.as_str() != page.user.email {
        if let Err(refusal) = check_password(&req, &state, &page.user.email, &form.current_password).await? {
            let (status, message) = refusal_message(&refusal);
            errors.add("current_password", message);
            return show(page, &state, status, (&form.name, &form.email), "details", errors).await;
        }
    }
    let user_id = page.user.id;
    match state.db.write(move |conn| accounts::update_identity(conn, user_id, &name, &email)).await {
        Ok(_) => {
            set_flash(&page.session, "Your name and e-mail are saved.", None);
            Ok(see_other("/profile"))
        }
        Err(e) => {
            let errors = FieldErrors::absorb(e)?;
            show(page, &state, StatusCode::UNPROCESSABLE_ENTITY, (&form.name, &form.email), "details", errors).await
        }
    }
}

pub async fn change_password(
    req: HttpRequest,
    page: Page,
    state: web::Data<AppState>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let (name, email) = (page.user.name.clone(), page.user.email.clone());
    let mut errors = FieldErrors::default();
    let Some(new_password) = errors.check("new_password", Password::parse(&form.new_password)) else {
        return show(page, &state, StatusCode::UNPROCESSABLE_ENTITY, (&name, &email), "password", errors).await;
    };
    if let Err(refusal) = check_password(&req, &state, &email, &form.current_password).await? {
        let (status, message) = refusal_message(&refusal);
        errors.add("current_password", message);
        return show(page, &state, status, (&name, &email), "password", errors).await;
    }
    let hash = web::block(move || passwords::hash(&new_password)).await.map_err(anyhow::Error::from)??;
    let (user_id, keep) = (page.user.id, page.signed_in.session_id);
    let ended = state.db.write(move |conn| accounts::set_password(conn, user_id, &hash, Some(keep))).await?;
    state.sessions.forget(|s| s.user_id == user_id && s.session_id != keep);
    let others = match ended {
        0 => String::new(),
        1 => " Your other session was signed out.".into(),
        n => format!(" Your {n} other sessions were signed out."),
    };
    set_flash(&page.session, format!("Your password is changed.{others}"), None);
    Ok(see_other("/profile"))
}

pub async fn end_session(
    page: Page,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user_id = page.user.id;
    let ended = state.db.write(move |conn| sessions::end_mine(conn, user_id, &id)).await?;
    let Some(ended) = ended else { return Err(AppError::NotFound) };
    state.sessions.forget(|s| s.session_id == ended);
    if ended == page.signed_in.session_id {
        sign_out(&state, &page.session).await?;
        return Ok(see_other("/login"));
    }
    set_flash(&page.session, "That session is signed out.", None);
    Ok(see_other("/profile"))
}

pub async fn end_other_sessions(page: Page, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let (user_id, keep) = (page.user.id, page.signed_in.session_id);
    let ended = state.db.write(move |conn| sessions::end_all(conn, user_id, Some(keep))).await?;
    state.sessions.forget(|s| s.user_id == user_id && s.session_id != keep);
    let message = match ended {
        0 => "No other session was signed in.".to_owned(),
        1 => "Your other session is signed out.".to_owned(),
        n => format!("Your {n} other sessions are signed out."),
    };
    set_flash(&page.session, message, None);
    Ok(see_other("/profile"))
}
