//! `/login` and `/logout`, with throttling per account and per client address.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::redirects::local_path;
use super::session::{client_info, csrf_token, sign_in, sign_out};
use super::{render, see_other};
use crate::error::AppError;
use crate::services::accounts;
use crate::services::login_throttle::locked_message;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    /// Where to go once signed in (an invitation to accept, say); only local paths.
    next: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginQuery {
    next: String,
    /// `done` after a new password was set through a mailed link.
    reset: String,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    csrf: String,
    email: &'a str,
    next: &'a str,
    error: Option<String>,
    /// Mail is on: the page offers "Forgot your password?".
    can_reset: bool,
    /// A new password was just set.
    reset_done: bool,
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, AppError> {
    if state.needs_setup().await? {
        return Ok(see_other("/setup"));
    }
    let next = local_path(&query.next).unwrap_or("");
    let (can_reset, reset_done) = (state.mail.is_some(), query.reset == "done");
    let page = LoginPage { csrf: csrf_token(&session), email: "", next, error: None, can_reset, reset_done };
    render(StatusCode::OK, &page)
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    if state.needs_setup().await? {
        return Ok(see_other("/setup"));
    }
    let next = local_path(&form.next).unwrap_or("");
    let refuse = |status, error: String| {
        let can_reset = state.mail.is_some();
        let page = LoginPage {
            csrf: csrf_token(&session),
            email: &form.email,
            next,
            error: Some(error),
            can_reset,
            reset_done: false,
        };
        render(status, &page)
    };
    let user = match check_password(&req, &state, &form.email, &form.password).await? {
        Ok(user) => user,
        Err(refusal) => return refuse(refusal.status(), refusal.message()),
    };
    sign_in(&state, &session, client_info(&req), user.id).await?;
    Ok(see_other(if next.is_empty() { "/" } else { next }))
}

/// Why a password was not accepted.
pub enum Refusal {
    /// The account or the address is locked for this long.
    Locked(std::time::Duration),
    Wrong,
}

impl Refusal {
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::Locked(_) => StatusCode::TOO_MANY_REQUESTS,
            Refusal::Wrong => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    /// The same words whether or not the address has an account.
    pub fn message(&self) -> String {
        match self {
            Refusal::Locked(wait) => locked_message(*wait),
            Refusal::Wrong => "Email or password is incorrect.".into(),
        }
    }
}

/// The one password check of every form that asks for one (login, the Profile page): through
/// the throttle first, then argon2 on a blocking thread, spending the same time whether or not
/// the address has an account.
pub async fn check_password(
    req: &HttpRequest,
    state: &AppState,
    email: &str,
    password: &str,
) -> Result<Result<crate::db::users::User, Refusal>, AppError> {
    let admitted = match state.throttle.admit(email, client_address(req), Instant::now()) {
        Ok(admitted) => admitted,
        Err(wait) => return Ok(Err(Refusal::Locked(wait))),
    };
    let lookup = email.to_owned();
    let user = state.db.read(move |conn| accounts::find_for_login(conn, &lookup)).await?;
    let password = password.to_owned();
    let (user, matches) = web::block(move || {
        let matches = accounts::password_matches(user.as_ref(), &password);
        (user, matches)
    })
    .await
    .map_err(anyhow::Error::from)?;
    match user.filter(|_| matches) {
        Some(user) => {
            admitted.succeeded();
            Ok(Ok(user))
        }
        None => Ok(Err(Refusal::Wrong)),
    }
}

/// The address the throttle counts a password attempt against.
pub fn client_address(req: &HttpRequest) -> IpAddr {
    req.peer_addr().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip())
}

pub async fn logout(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, AppError> {
    sign_out(&state, &session).await?;
    Ok(see_other("/login"))
}
