//! `/workspaces/{ws}/webhooks`: the list (by event, then name; add-on webhooks apart), the
//! Create dialog and the Delete confirmation.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::form_page::{confirm_page, create_page, Form};
use super::view::{event_options, EventOption, WebhookRow};
use super::{form_errors, hooks_url, WebhookForm};
use crate::domain::random_token;
use crate::error::AppError;
use crate::services::webhooks::{self as service, Allowance};
use crate::state::AppState;
use crate::web::forms::FieldErrors;
use crate::web::session::{set_flash, Frame, Page, WorkspaceChoice};
use crate::web::{render, see_other};

#[derive(Template)]
#[template(path = "webhooks/list.html")]
struct ListPage {
    frame: Frame,
    ws: String,
    allowance: Allowance,
    user_rows: Vec<WebhookRow>,
    addon_rows: Vec<WebhookRow>,
    events: Vec<EventOption>,
    /// The Create form's one-time token: posting it twice creates one webhook.
    form_token: String,
}

impl ListPage {
    /// The workspaces whose webhooks the user may manage: the dropdown's choices.
    fn admin_workspaces(&self) -> Vec<&WorkspaceChoice> {
        self.frame.workspaces.iter().filter(|w| w.role.administers()).collect()
    }
}

pub async fn list(page: Page, state: web::Data<AppState>, ws: web::Path<String>) -> Result<HttpResponse, AppError> {
    let access = page.hidden_admin_access(&ws)?;
    let target = access.clone();
    let overview = state.db.read(move |conn| service::overview(conn, &target)).await?;
    let prefs = page.prefs();
    let (mut user_rows, mut addon_rows) = (Vec::new(), Vec::new());
    for hook in &overview.webhooks {
        let row = WebhookRow::new(hook, &prefs);
        if hook.is_addon() {
            addon_rows.push(row);
        } else {
            user_rows.push(row);
        }
    }
    render(
        StatusCode::OK,
        &ListPage {
            frame: page.frame,
            ws: access.workspace.public_id.clone(),
            allowance: overview.allowance,
            user_rows,
            addon_rows,
            events: event_options(access.plan()),
            form_token: random_token(),
        },
    )
}

/// The Create form on a page of its own (without JavaScript).
pub async fn new_form(page: Page, ws: web::Path<String>) -> Result<HttpResponse, AppError> {
    let access = page.hidden_admin_access(&ws)?;
    let form = WebhookForm { form_token: random_token(), ..WebhookForm::default() };
    render(StatusCode::OK, &create_page(page, &access, &form, FieldErrors::default()))
}

pub async fn create(
    page: Page,
    state: web::Data<AppState>,
    ws: web::Path<String>,
    form: web::Form<WebhookForm>,
) -> Result<HttpResponse, AppError> {
    let access = page.hidden_admin_access(&ws)?;
    let input = match form.parse(&state).await {
        Ok(input) => input,
        Err(errors) => return render(StatusCode::UNPROCESSABLE_ENTITY, &create_page(page, &access, &form, errors)),
    };
    let token = Some(form.form_token.trim().to_owned()).filter(|t| !t.is_empty());
    let (secrets, target) = (state.secrets.clone(), access.clone());
    let created = state.db.write(move |conn| service::create(conn, &target, &secrets, &input, token.as_deref())).await;
    match created {
        Ok(created) => {
            let hook = &created.webhook;
            let message = if hook.plan_enabled {
                format!("Webhook “{}” created.", hook.name)
            } else {
                format!("Webhook “{}” created, disabled: {}.", hook.name, super::view::state_label(hook))
            };
            set_flash(&page.session, message, None);
            Ok(see_other(&hooks_url(&access.workspace.public_id)))
        }
        Err(e) => {
            let errors = form_errors(e)?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &create_page(page, &access, &form, errors))
        }
    }
}

/// The Delete confirmation on a page of its own (without JavaScript).
pub async fn delete_form(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    confirm_page(page, &state, path.into_inner(), Form::Delete).await
}

pub async fn delete(
    page: Page,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (ws, id) = path.into_inner();
    let access = page.hidden_admin_access(&ws)?;
    let target = access.clone();
    let deleted = state.db.write(move |conn| service::delete(conn, &target, &id)).await?;
    set_flash(&page.session, format!("Webhook “{}” deleted.", deleted.name), None);
    Ok(see_other(&hooks_url(&access.workspace.public_id)))
}
