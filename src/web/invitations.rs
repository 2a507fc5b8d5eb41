//! `/invitations/{token}`: joining a workspace. Someone new sets a name and password; someone
//! with an account signs in first (`/login?next=` brings them back) and then joins with one
//! click. The page never checks an existing account's password itself (so the throttled
//! `/login` is the only place one can be guessed), and it looks the same whether or not the
//! invited address has an account.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::forms::FieldErrors;
use super::session::{client_info, csrf_token, set_flash, sign_in, Page};
use super::{render, see_other};
use crate::domain::{Email, Name, Password};
use crate::error::AppError;
use crate::services::accounts::NewAccount;
use crate::services::login_throttle::locked_message;
use crate::services::members::{self, Joiner, OpenInvitation};
use crate::services::passwords;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AcceptForm {
    name: String,
    password: String,
}

/// Who opened the link.
enum Visitor {
    /// Not signed in: may create the invited account, or sign in first.
    Stranger,
    /// Signed in as the invited address: may join.
    Invitee,
    /// Signed in as someone else, with this address.
    Other(String),
}

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage<'a> {
    csrf: String,
    token: &'a str,
    workspace_name: String,
    email: String,
    /// The invitee signed in: one button joins.
    signed_in_as_invitee: bool,
    /// Signed in as another account (its address).
    signed_in_as: Option<String>,
    name: &'a str,
    errors: FieldErrors,
}

impl InvitationPage<'_> {
    /// Where "Log in" goes: back here once signed in.
    fn login_link(&self) -> String {
        format!("/login?next=/invitations/{}", self.token)
    }
}

async fn open(state: &AppState, token: &str) -> Result<OpenInvitation, AppError> {
    let token = token.to_owned();
    Ok(state.db.read(move |conn| members::open_invitation(conn, &token)).await?)
}

fn visitor(page: Option<&Page>, open: &OpenInvitation) -> Visitor {
    match page {
        None => Visitor::Stranger,
        Some(page) if page.user.email == open.invitation.email => Visitor::Invitee,
        Some(page) => Visitor::Other(page.user.email.clone()),
    }
}

fn page<'a>(
    session: &Session,
    token: &'a str,
    open: &OpenInvitation,
    visitor: &Visitor,
    name: &'a str,
    errors: FieldErrors,
) -> InvitationPage<'a> {
    InvitationPage {
        csrf: csrf_token(session),
        token,
        workspace_name: open.workspace.name.clone(),
        email: open.invitation.email.clone(),
        signed_in_as_invitee: matches!(visitor, Visitor::Invitee),
        signed_in_as: match visitor {
            Visitor::Other(email) => Some(email.clone()),
            _ => None,
        },
        name,
        errors,
    }
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    signed_in: Option<Page>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let open = open(&state, &token).await?;
    let visitor = visitor(signed_in.as_ref(), &open);
    render(StatusCode::OK, &page(&session, &token, &open, &visitor, "", FieldErrors::default()))
}

pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    signed_in: Option<Page>,
    token: web::Path<String>,
    form: web::Form<AcceptForm>,
) -> Result<HttpResponse, AppError> {
    let open = open(&state, &token).await?;
    let visitor = visitor(signed_in.as_ref(), &open);
    let refuse = |status, errors| render(status, &page(&session, &token, &open, &visitor, &form.name, errors));
    let joiner = match (&visitor, signed_in.as_ref()) {
        (Visitor::Invitee, Some(page)) => Joiner::Existing(page.user.clone()),
        (Visitor::Other(_), _) => {
            let mut errors = FieldErrors::default();
            errors.add("invitation", "This invitation is for another address. Log out, then open the link again.");
            return refuse(StatusCode::FORBIDDEN, errors);
        }
        _ => match new_account(&req, &state, &open, &form).await? {
            Ok(account) => Joiner::NewAccount(account),
            Err((status, errors)) => return refuse(status, errors),
        },
    };
    let accepted = token.clone();
    match state.db.write(move |conn| members::accept(conn, &accepted, joiner)).await {
        Ok((user, workspace)) => {
            if signed_in.is_none() {
                sign_in(&state, &session, client_info(&req), user.id).await?;
            }
            set_flash(&session, format!("Welcome to {}.", workspace.name), None);
            Ok(see_other("/preferences"))
        }
        Err(e) => refuse(StatusCode::UNPROCESSABLE_ENTITY, FieldErrors::absorb(e)?),
    }
}

/// The account a stranger asks for. If the address already has one, the answer says to sign
/// in; that answer goes through the login throttle (per address and per account, as a failed
/// login), so the form cannot be used to test many addresses for accounts.
async fn new_account(
    req: &HttpRequest,
    state: &AppState,
    open: &OpenInvitation,
    form: &AcceptForm,
) -> Result<Result<NewAccount, (StatusCode, FieldErrors)>, AppError> {
    let mut errors = FieldErrors::default();
    let name = errors.check("name", Name::parse(&form.name));
    let password = errors.check("password", Password::parse(&form.password));
    let (Some(name), Some(password)) = (name, password) else {
        return Ok(Err((StatusCode::UNPROCESSABLE_ENTITY, errors)));
    };
    let address = super::login::client_address(req);
    let admitted = match state.throttle.admit(&open.invitation.email, address, std::time::Instant::now()) {
        Ok(admitted) => admitted,
        Err(wait) => {
            errors.add("password", locked_message(wait));
            return Ok(Err((StatusCode::TOO_MANY_REQUESTS, errors)));
        }
    };
    if open.existing_user.is_some() {
        errors.add("invitation", "Log in to accept this invitation: this address already has an account.");
        return Ok(Err((StatusCode::UNPROCESSABLE_ENTITY, errors)));
    }
    admitted.succeeded();
    let email = Email::parse(&open.invitation.email).map_err(|e| anyhow::anyhow!("stored invitation email: {e}"))?;
    let password_hash = web::block(move || passwords::hash(&password)).await.map_err(anyhow::Error::from)??;
    Ok(Ok(NewAccount { name, email, password_hash }))
}
