//! `/password/forgot` and `/password/reset/{token}`: a forgotten password, set again through a
//! one-time link by mail (only when this server sends mail; otherwise both answer 404). The
//! ask answers the same page whether or not the address has an account.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::login::client_address;
use super::session::csrf_token;
use super::{render, see_other};
use crate::clock::now_ms;
use crate::domain::{Email, Password};
use crate::error::AppError;
use crate::services::{password_resets, passwords};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "password_forgot.html")]
struct ForgotPage<'a> {
    csrf: String,
    email: &'a str,
    error: Option<String>,
    /// The ask was taken (the same words whether or not the address has an account).
    asked: bool,
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetPage {
    csrf: String,
    token: String,
    /// The link is unused and unexpired.
    valid: bool,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ForgotForm {
    email: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResetForm {
    password: String,
}

fn mail_on(state: &AppState) -> Result<(), AppError> {
    state.mail.as_ref().map(drop).ok_or(AppError::NotFound)
}

pub async fn forgot_form(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, AppError> {
    mail_on(&state)?;
    render(StatusCode::OK, &ForgotPage { csrf: csrf_token(&session), email: "", error: None, asked: false })
}

pub async fn forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    mail_on(&state)?;
    let page = |status, error: Option<String>, asked| {
        render(status, &ForgotPage { csrf: csrf_token(&session), email: &form.email, error, asked })
    };
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(message) => return page(StatusCode::UNPROCESSABLE_ENTITY, Some(message), false),
    };
    if !state.reset_throttle.admit(client_address(&req)) {
        let message = "Too many asks from your network: try again in an hour.".to_owned();
        return page(StatusCode::TOO_MANY_REQUESTS, Some(message), false);
    }
    let base = state.public_url.as_str().to_owned();
    let queued = state.db.write(move |conn| password_resets::request(conn, &email, &base, now_ms())).await?;
    if let (true, Some(mail)) = (queued, &state.mail) {
        mail.notify_one();
    }
    page(StatusCode::OK, None, true)
}

pub async fn reset_form(
    state: web::Data<AppState>,
    session: Session,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    mail_on(&state)?;
    let token = token.into_inner();
    let link = token.clone();
    let valid = state.db.read(move |conn| password_resets::open(conn, &link, now_ms())).await?.is_some();
    let status = if valid { StatusCode::OK } else { StatusCode::GONE };
    render(status, &ResetPage { csrf: csrf_token(&session), token, valid, error: None })
}

pub async fn reset(
    state: web::Data<AppState>,
    session: Session,
    token: web::Path<String>,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, AppError> {
    mail_on(&state)?;
    let token = token.into_inner();
    let password = match Password::parse(&form.password) {
        Ok(password) => password,
        Err(message) => {
            let page = ResetPage { csrf: csrf_token(&session), token, valid: true, error: Some(message) };
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let hash = web::block(move || passwords::hash(&password)).await.map_err(anyhow::Error::from)??;
    let link = token.clone();
    let done = state.db.write(move |conn| password_resets::complete(conn, &link, &hash, now_ms())).await?;
    let Some(user_id) = done else {
        return render(StatusCode::GONE, &ResetPage { csrf: csrf_token(&session), token, valid: false, error: None });
    };
    state.sessions.forget(|s| s.user_id == user_id);
    Ok(see_other("/login?reset=done"))
}
