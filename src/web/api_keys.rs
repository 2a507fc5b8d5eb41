//! `/api-keys`: the user's API keys. Generate (shown once), rename, regenerate (with an
//! optional grace period for the old secret) and delete. With JavaScript each form opens in a
//! `<dialog>` on the list; without it, each has a page of its own. Both post the same forms.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::forms::FieldErrors;
use super::session::{set_flash, Frame, Page};
use super::{render, see_other};
use crate::db::api_keys::ApiKey;
use crate::domain::{DisplayPrefs, GracePeriod, KeyExpiry, Name};
use crate::error::AppError;
use crate::services::api_keys;
use crate::state::AppState;

/// Formats a key's instants for the user; "Never" where there is none.
pub struct KeyTimes(pub DisplayPrefs);

impl KeyTimes {
    pub fn at(&self, instant: &i64) -> String {
        self.0.format_instant(*instant)
    }

    pub fn or_never(&self, instant: &Option<i64>) -> String {
        instant.map_or_else(|| "Never".to_owned(), |at| self.0.format_instant(at))
    }
}

/// Which form a page or dialog shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Generate,
    Rename,
    Regenerate,
    Delete,
}

#[derive(Template)]
#[template(path = "api_keys/list.html")]
struct ListPage {
    frame: Frame,
    keys: Vec<ApiKey>,
    times: KeyTimes,
}

#[derive(Template)]
#[template(path = "api_keys/form_page.html")]
struct FormPage<'a> {
    frame: Frame,
    form: Form,
    key: Option<ApiKey>,
    name: &'a str,
    errors: FieldErrors,
}

impl ListPage {
    fn expiries(&self) -> [KeyExpiry; 4] {
        KeyExpiry::ALL
    }

    fn graces(&self) -> [GracePeriod; 4] {
        GracePeriod::ALL
    }
}

impl FormPage<'_> {
    fn expiries(&self) -> [KeyExpiry; 4] {
        KeyExpiry::ALL
    }

    fn graces(&self) -> [GracePeriod; 4] {
        GracePeriod::ALL
    }

    fn title(&self) -> &'static str {
        match self.form {
            Form::Generate => "Generate API key",
            Form::Rename => "Rename API key",
            Form::Regenerate => "Regenerate API key",
            Form::Delete => "Delete API key",
        }
    }
}

pub async fn list(page: Page, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let user_id = page.user.id;
    let keys = state.db.read(move |conn| api_keys::list_mine(conn, user_id)).await?;
    render(StatusCode::OK, &ListPage { times: KeyTimes(page.prefs()), frame: page.frame, keys })
}

async fn form_page(page: Page, state: &AppState, form: Form, key: Option<String>) -> Result<HttpResponse, AppError> {
    let key = match key {
        Some(id) => {
            let user_id = page.user.id;
            Some(state.db.read(move |conn| api_keys::find_mine(conn, user_id, &id)).await?)
        }
        None => None,
    };
    let name = key.as_ref().map(|k| k.name.clone()).unwrap_or_default();
    render(StatusCode::OK, &FormPage { frame: page.frame, form, key, name: &name, errors: FieldErrors::default() })
}

fn invalid(
    page: Page,
    form: Form,
    key: Option<ApiKey>,
    name: &str,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    render(StatusCode::UNPROCESSABLE_ENTITY, &FormPage { frame: page.frame, form, key, name, errors })
}

pub async fn new_form(page: Page, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    form_page(page, &state, Form::Generate, None).await
}

pub async fn rename_form(
    page: Page,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    form_page(page, &state, Form::Rename, Some(key.into_inner())).await
}

pub async fn regenerate_form(
    page: Page,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    form_page(page, &state, Form::Regenerate, Some(key.into_inner())).await
}

pub async fn delete_form(
    page: Page,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    form_page(page, &state, Form::Delete, Some(key.into_inner())).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct GenerateForm {
    name: String,
    expires: String,
}

pub async fn generate(
    page: Page,
    state: web::Data<AppState>,
    form: web::Form<GenerateForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let name = errors.check("name", Name::parse(&form.name));
    let expiry = errors.check("expires", KeyExpiry::parse(&form.expires));
    let (Some(name), Some(expiry)) = (name, expiry) else {
        return invalid(page, Form::Generate, None, &form.name, errors);
    };
    let user_id = page.user.id;
    match state.db.write(move |conn| api_keys::generate(conn, user_id, &name, expiry)).await {
        Ok(issued) => {
            let message = format!("Your new API key “{}”. Copy it now: it will not be shown again.", issued.key.name);
            set_flash(&page.session, message, Some(issued.secret.expose().to_owned()));
            Ok(see_other("/api-keys"))
        }
        Err(e) => invalid(page, Form::Generate, None, &form.name, FieldErrors::absorb(e)?),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RenameForm {
    name: String,
}

pub async fn rename(
    page: Page,
    state: web::Data<AppState>,
    key: web::Path<String>,
    form: web::Form<RenameForm>,
) -> Result<HttpResponse, AppError> {
    let (user_id, id) = (page.user.id, key.into_inner());
    let mut errors = FieldErrors::default();
    let Some(name) = errors.check("name", Name::parse(&form.name)) else {
        let lookup = id.clone();
        let key = state.db.read(move |conn| api_keys::find_mine(conn, user_id, &lookup)).await?;
        return invalid(page, Form::Rename, Some(key), &form.name, errors);
    };
    let target = id.clone();
    match state.db.write(move |conn| api_keys::rename(conn, user_id, &target, &name)).await {
        Ok(key) => {
            set_flash(&page.session, format!("API key renamed to “{}”.", key.name), None);
            Ok(see_other("/api-keys"))
        }
        Err(e) => {
            let errors = FieldErrors::absorb(e)?;
            let key = state.db.read(move |conn| api_keys::find_mine(conn, user_id, &id)).await?;
            invalid(page, Form::Rename, Some(key), &form.name, errors)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegenerateForm {
    grace: String,
}

pub async fn regenerate(
    page: Page,
    state: web::Data<AppState>,
    key: web::Path<String>,
    form: web::Form<RegenerateForm>,
) -> Result<HttpResponse, AppError> {
    let grace = GracePeriod::parse(&form.grace).map_err(AppError::BadRequest)?;
    let (user_id, id) = (page.user.id, key.into_inner());
    let issued = state.db.write(move |conn| api_keys::regenerate(conn, user_id, &id, grace)).await?;
    state.api.forget_key(issued.key.id);
    let old = match grace {
        GracePeriod::None => "The old key has stopped working.".to_owned(),
        other => format!("The old key keeps working for {}.", other.label()),
    };
    let message =
        format!("New secret for “{}”. {old} Copy the new key now: it will not be shown again.", issued.key.name);
    set_flash(&page.session, message, Some(issued.secret.expose().to_owned()));
    Ok(see_other("/api-keys"))
}

pub async fn delete(page: Page, state: web::Data<AppState>, key: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (user_id, id) = (page.user.id, key.into_inner());
    let deleted = state.db.write(move |conn| api_keys::delete(conn, user_id, &id)).await?;
    state.api.forget_key(deleted.id);
    set_flash(&page.session, format!("API key “{}” deleted. It no longer works.", deleted.name), None);
    Ok(see_other("/api-keys"))
}
