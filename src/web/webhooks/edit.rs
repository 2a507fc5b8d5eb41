//! `/workspaces/{ws}/webhooks/{id}/edit`: Name, Endpoint, Event and the Enabled switch; the
//! signing secret hidden until Reveal, with Copy and Reset; the attempts below.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::attempts::{load, AttemptsQuery, AttemptsView};
use super::form_page::{confirm_page, Form};
use super::view::{event_options, state_label, EventOption};
use super::{form_errors, from_htmx, grace_ms, hook_url, WebhookForm, SECRET_GRACES};
use crate::db::webhooks::Webhook;
use crate::error::AppError;
use crate::services::webhooks as service;
use crate::services::workspaces::WorkspaceAccess;
use crate::state::AppState;
use crate::web::forms::FieldErrors;
use crate::web::session::{set_flash, Frame, Page};
use crate::web::{render, see_other};

#[derive(Template)]
#[template(path = "webhooks/edit.html")]
struct EditPage<'a> {
    frame: Frame,
    ws: String,
    hook: Webhook,
    state: String,
    name: &'a str,
    url: &'a str,
    event: &'a str,
    enabled: bool,
    events: Vec<EventOption>,
    graces: [(&'static str, &'static str, i64); 3],
    revealed: Option<String>,
    errors: FieldErrors,
    attempts: AttemptsView,
}

/// The Edit page: `form` is what was posted (or the webhook's values), `revealed` the secret
/// when the user asked to see it.
async fn show(
    page: Page,
    state: &AppState,
    access: &WorkspaceAccess,
    id: String,
    (form, errors): (Option<&WebhookForm>, FieldErrors),
    revealed: Option<String>,
    query: AttemptsQuery,
) -> Result<HttpResponse, AppError> {
    let details = load(state, access, id, &query).await?;
    let ws = access.workspace.public_id.clone();
    let attempts = AttemptsView::new(&ws, &page.frame.csrf, &query, &details, &page.prefs());
    let hook = details.webhook;
    if hook.is_addon() {
        return Err(AppError::Forbidden("Add-on webhooks are managed by their add-on.".into()));
    }
    let (name, url, event, enabled) = match form {
        Some(f) => (f.name.clone(), f.url.clone(), f.event.clone(), f.enabled.is_some()),
        None => (hook.name.clone(), hook.url.clone(), hook.event_type.clone(), hook.enabled),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = EditPage {
        frame: page.frame,
        state: state_label(&hook),
        events: event_options(access.plan()),
        graces: SECRET_GRACES,
        name: &name,
        url: &url,
        event: &event,
        enabled,
        revealed,
        errors,
        attempts,
        ws,
        hook,
    };
    render(status, &page)
}

pub async fn edit_form(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<AttemptsQuery>,
) -> Result<HttpResponse, AppError> {
    let (ws, id) = path.into_inner();
    let access = page.hidden_admin_access(&ws)?;
    let query = query.into_inner().on_edit_page();
    show(page, &state, &access, id, (None, FieldErrors::default()), None, query).await
}

pub async fn save(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<WebhookForm>,
) -> Result<HttpResponse, AppError> {
    let (ws, id) = path.into_inner();
    let access = page.hidden_admin_access(&ws)?;
    let input = match form.parse(&state).await {
        Ok(input) => input,
        Err(errors) => {
            return show(page, &state, &access, id, (Some(&form), errors), None, AttemptsQuery::first_page("edit"))
                .await
        }
    };
    let (target, hook, enabled) = (access.clone(), id.clone(), form.enabled.is_some());
    match state.db.write(move |conn| service::save(conn, &target, &hook, &input, enabled)).await {
        Ok(saved) => {
            // The Enabled switch may have moved: its health follows at once.
            state.health_check.notify_one();
            set_flash(&page.session, format!("Webhook “{}” saved.", saved.name), None);
            Ok(see_other(&hook_url(&ws, &id)))
        }
        Err(e) => {
            let errors = form_errors(e)?;
            show(page, &state, &access, id, (Some(&form), errors), None, AttemptsQuery::first_page("edit")).await
        }
    }
}

#[derive(Template)]
#[template(path = "webhooks/secret.html")]
struct SecretFragment {
    ws: String,
    hook: Webhook,
    csrf: String,
    secret: Option<String>,
}

/// Reveal: the signing secret, in place for htmx, else on the Edit page. A POST, so the
/// secret never sits in a URL, a history entry or a prefetch.
pub async fn reveal(
    req: HttpRequest,
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (ws, id) = path.into_inner();
    let access = page.hidden_admin_access(&ws)?;
    let (target, hook, secrets) = (access.clone(), id.clone(), state.secrets.clone());
    let opened = state.db.read(move |conn| service::reveal(conn, &target, &secrets, &hook)).await?;
    let secret = opened.secret.expose().to_owned();
    if from_htmx(&req) {
        let csrf = page.frame.csrf.clone();
        return render(StatusCode::OK, &SecretFragment { ws, hook: opened.webhook, csrf, secret: Some(secret) });
    }
    show(page, &state, &access, id, (None, FieldErrors::default()), Some(secret), AttemptsQuery::first_page("edit"))
        .await
}

/// The Reset confirmation on a page of its own (without JavaScript).
pub async fn reset_form(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    confirm_page(page, &state, path.into_inner(), Form::Reset).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResetForm {
    grace: String,
}

/// Reset: a new signing secret, shown once with Copy; the old one signs too for the grace chosen.
pub async fn reset_secret(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, AppError> {
    let (ws, id) = path.into_inner();
    let access = page.hidden_admin_access(&ws)?;
    let (label, grace) = grace_ms(&form.grace)
        .ok_or_else(|| AppError::BadRequest("Choose how long the old secret keeps signing.".into()))?;
    let (target, hook, secrets) = (access.clone(), id.clone(), state.secrets.clone());
    let rotated = state.db.write(move |conn| service::rotate(conn, &target, &secrets, &hook, grace)).await?;
    let old = if grace == 0 {
        "The old secret no longer signs.".to_owned()
    } else {
        format!("The old secret keeps signing {}.", label.to_lowercase())
    };
    let message = format!("New signing secret for “{}”. {old} Copy it to your receiver now.", rotated.webhook.name);
    set_flash(&page.session, message, Some(rotated.secret.expose().to_owned()));
    Ok(see_other(&format!("{}/edit", hook_url(&ws, &id))))
}
