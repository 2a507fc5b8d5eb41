//! The webhook forms on pages of their own, for browsers without JavaScript: Create, and the
//! Delete and Reset confirmations (with JavaScript they open in dialogs on their screens).

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

use super::view::{event_options, EventOption};
use super::{WebhookForm, SECRET_GRACES};
use crate::error::AppError;
use crate::services::webhooks as service;
use crate::services::workspaces::WorkspaceAccess;
use crate::state::AppState;
use crate::web::forms::FieldErrors;
use crate::web::render;
use crate::web::session::{Frame, Page};

/// Which form a page of its own shows (without JavaScript).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Create,
    Delete,
    Reset,
}

#[derive(Template)]
#[template(path = "webhooks/form_page.html")]
pub struct FormPage<'a> {
    pub frame: Frame,
    pub ws: String,
    pub form: Form,
    pub form_token: &'a str,
    pub hook_id: &'a str,
    pub name: &'a str,
    pub url: &'a str,
    pub event: &'a str,
    pub events: Vec<EventOption>,
    pub graces: [(&'static str, &'static str, i64); 3],
    pub errors: FieldErrors,
}

impl FormPage<'_> {
    fn title(&self) -> &'static str {
        match self.form {
            Form::Create => "Create webhook",
            Form::Delete => "Delete webhook",
            Form::Reset => "Reset signing secret",
        }
    }
}

/// The Create form, with what was typed and its errors.
pub(super) fn create_page<'a>(
    page: Page,
    access: &WorkspaceAccess,
    form: &'a WebhookForm,
    errors: FieldErrors,
) -> FormPage<'a> {
    FormPage {
        frame: page.frame,
        ws: access.workspace.public_id.clone(),
        form: Form::Create,
        form_token: &form.form_token,
        hook_id: "",
        name: &form.name,
        url: &form.url,
        event: &form.event,
        events: event_options(access.plan()),
        graces: SECRET_GRACES,
        errors,
    }
}

/// A confirmation (Delete, Reset) of the webhook `id`.
pub(super) async fn confirm_page(
    page: Page,
    state: &AppState,
    (ws, id): (String, String),
    form: Form,
) -> Result<HttpResponse, AppError> {
    let access = page.hidden_admin_access(&ws)?;
    let target = access.clone();
    let hook = state.db.read(move |conn| service::find(conn, &target, &id)).await?;
    let blank = WebhookForm::default();
    let confirm = FormPage {
        form,
        hook_id: &hook.public_id,
        name: &hook.name,
        ..create_page(page, &access, &blank, FieldErrors::default())
    };
    render(StatusCode::OK, &confirm)
}
