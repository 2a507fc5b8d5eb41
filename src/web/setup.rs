//! `/setup`: the first-run page that creates the Owner and the first workspace.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::forms::FieldErrors;
use super::session::{client_info, csrf_token, sign_in};
use super::{render, see_other};
use crate::domain::{Email, Name, Password};
use crate::error::AppError;
use crate::services::accounts::{self, NewAccount};
use crate::services::passwords;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SetupForm {
    name: String,
    email: String,
    password: String,
    workspace_name: String,
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage<'a> {
    csrf: String,
    form: &'a SetupForm,
    errors: FieldErrors,
}

pub async fn show(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, AppError> {
    if !state.needs_setup().await? {
        return Ok(see_other("/login"));
    }
    let form = SetupForm::default();
    render(StatusCode::OK, &SetupPage { csrf: csrf_token(&session), form: &form, errors: FieldErrors::default() })
}

pub async fn submit(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<SetupForm>,
) -> Result<HttpResponse, AppError> {
    if !state.needs_setup().await? {
        return Err(AppError::Forbidden("keyhook is already set up. Log in instead.".into()));
    }
    let mut errors = FieldErrors::default();
    let name = errors.check("name", Name::parse(&form.name));
    let email = errors.check("email", Email::parse(&form.email));
    let password = errors.check("password", Password::parse(&form.password));
    let workspace = errors.check("workspace_name", Name::parse(&form.workspace_name));
    let (Some(name), Some(email), Some(password), Some(workspace)) = (name, email, password, workspace) else {
        return invalid(&session, &form, errors);
    };
    let password_hash = web::block(move || passwords::hash(&password)).await.map_err(anyhow::Error::from)??;
    let account = NewAccount { name, email, password_hash };
    match state.db.write(move |conn| accounts::setup(conn, &account, &workspace)).await {
        Ok((user, _)) => {
            state.mark_set_up();
            sign_in(&state, &session, client_info(&req), user.id).await?;
            Ok(see_other("/preferences"))
        }
        Err(e) => invalid(&session, &form, FieldErrors::absorb(e)?),
    }
}

fn invalid(session: &Session, form: &SetupForm, errors: FieldErrors) -> Result<HttpResponse, AppError> {
    render(StatusCode::UNPROCESSABLE_ENTITY, &SetupPage { csrf: csrf_token(session), form, errors })
}
