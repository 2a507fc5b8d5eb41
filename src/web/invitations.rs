//! `/invitations/{token}`: the invitee sets a name and password (or, with an account, enters
//! its password) and joins the workspace.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::forms::FieldErrors;
use super::session::{csrf_token, set_flash, sign_in};
use super::{render, see_other};
use crate::domain::{Email, Name, Password};
use crate::error::AppError;
use crate::services::accounts::{self, NewAccount};
use crate::services::members::{self, Joiner, OpenInvitation};
use crate::services::passwords;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AcceptForm {
    name: String,
    password: String,
}

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage<'a> {
    csrf: String,
    token: &'a str,
    workspace_name: String,
    email: String,
    has_account: bool,
    name: &'a str,
    errors: FieldErrors,
}

async fn open(state: &AppState, token: &str) -> Result<OpenInvitation, AppError> {
    let token = token.to_owned();
    Ok(state.db.read(move |conn| members::open_invitation(conn, &token)).await?)
}

fn page<'a>(
    session: &Session,
    token: &'a str,
    open: &OpenInvitation,
    name: &'a str,
    errors: FieldErrors,
) -> InvitationPage<'a> {
    InvitationPage {
        csrf: csrf_token(session),
        token,
        workspace_name: open.workspace.name.clone(),
        email: open.invitation.email.clone(),
        has_account: open.existing_user.is_some(),
        name,
        errors,
    }
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let open = open(&state, &token).await?;
    render(StatusCode::OK, &page(&session, &token, &open, "", FieldErrors::default()))
}

pub async fn accept(
    state: web::Data<AppState>,
    session: Session,
    token: web::Path<String>,
    form: web::Form<AcceptForm>,
) -> Result<HttpResponse, AppError> {
    let open = open(&state, &token).await?;
    let mut errors = FieldErrors::default();
    let joiner = match open.existing_user.clone() {
        Some(user) => {
            let password = form.password.clone();
            let (user, matches) = web::block(move || {
                let matches = accounts::password_matches(Some(&user), &password);
                (user, matches)
            })
            .await
            .map_err(anyhow::Error::from)?;
            if !matches {
                errors.add("password", "This is not the password of that account.");
            }
            Joiner::Existing(user)
        }
        None => {
            let name = errors.check("name", Name::parse(&form.name));
            let password = errors.check("password", Password::parse(&form.password));
            let email =
                Email::parse(&open.invitation.email).map_err(|e| anyhow::anyhow!("stored invitation email: {e}"))?;
            match (name, password) {
                (Some(name), Some(password)) => {
                    let password_hash =
                        web::block(move || passwords::hash(&password)).await.map_err(anyhow::Error::from)??;
                    Joiner::NewAccount(NewAccount { name, email, password_hash })
                }
                _ => {
                    return render(StatusCode::UNPROCESSABLE_ENTITY, &page(&session, &token, &open, &form.name, errors))
                }
            }
        }
    };
    if !errors.is_empty() {
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page(&session, &token, &open, &form.name, errors));
    }
    let accepted = token.clone();
    match state.db.write(move |conn| members::accept(conn, &accepted, joiner)).await {
        Ok((user, workspace)) => {
            sign_in(&session, user.id)?;
            set_flash(&session, format!("Welcome to {}.", workspace.name), None);
            Ok(see_other("/preferences"))
        }
        Err(e) => {
            let errors = FieldErrors::absorb(e)?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page(&session, &token, &open, &form.name, errors))
        }
    }
}
