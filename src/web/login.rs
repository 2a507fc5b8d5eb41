//! `/login` and `/logout`, with throttling per account and per client address.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::{csrf_token, sign_in, sign_out};
use super::{render, see_other};
use crate::error::AppError;
use crate::services::accounts;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    csrf: String,
    email: &'a str,
    error: Option<String>,
}

pub async fn show(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, AppError> {
    if state.needs_setup().await? {
        return Ok(see_other("/setup"));
    }
    render(StatusCode::OK, &LoginPage { csrf: csrf_token(&session), email: "", error: None })
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
    let address = req.peer_addr().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
    let refuse = |status, error: String| {
        render(status, &LoginPage { csrf: csrf_token(&session), email: &form.email, error: Some(error) })
    };
    if let Some(wait) = state.throttle.locked_for(&form.email, address, Instant::now()) {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        let unit = if minutes == 1 { "minute" } else { "minutes" };
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            format!("Too many failed attempts. Login is locked; try again in {minutes} {unit}."),
        );
    }
    let email = form.email.clone();
    let user = state.db.read(move |conn| accounts::find_for_login(conn, &email)).await?;
    let password = form.password.clone();
    let (user, matches) = web::block(move || {
        let matches = accounts::password_matches(user.as_ref(), &password);
        (user, matches)
    })
    .await
    .map_err(anyhow::Error::from)?;
    match user.filter(|_| matches) {
        Some(user) => {
            state.throttle.record_success(&form.email);
            sign_in(&session, user.id)?;
            Ok(see_other("/"))
        }
        None => {
            state.throttle.record_failure(&form.email, address, Instant::now());
            refuse(StatusCode::UNPROCESSABLE_ENTITY, "Email or password is incorrect.".into())
        }
    }
}

pub async fn logout(session: Session) -> HttpResponse {
    sign_out(&session);
    see_other("/login")
}
