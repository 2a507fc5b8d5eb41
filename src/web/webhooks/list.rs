//! `/workspaces/{ws}/webhooks`: the list (by event, then name; add-on webhooks apart), the
//! Create dialog and the Delete confirmation.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::view::{event_options, EventOption, WebhookRow};
use super::{form_errors, hooks_url, WebhookForm, SECRET_GRACES};
use crate::domain::{random_token, Plan};
use crate::error::AppError;
use crate::services::webhooks::{self as service, Allowance};
use crate::services::workspaces::WorkspaceAccess;
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

/// Which form a page of its own shows (without JavaScript).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    Create,
    Delete,
    Reset,
}

#[derive(Template)]
#[template(path = "webhooks/form_page.html")]
pub(super) struct FormPage<'a> {
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

fn plan_of(access: &WorkspaceAccess) -> Plan {
    Plan::parse(&access.workspace.plan).unwrap_or(Plan::Free)
}

pub async fn list(page: Page, state: web::Data<AppState>, ws: web::Path<String>) -> Result<HttpResponse, AppError> {
    let access = page.hidden_admin_access(&ws)?;
    let target = access.clone();
    let overview = state.db.read(move |conn| service::overview(conn, &target)).await?;
    let prefs = page.prefs();
    let (mut user_rows, mut addon_rows) = (Vec::new(), Vec::new());
    for hook in &overview.webhooks {
        let row = WebhookRow::new(hook, &prefs);
        if hook.kind == "ADDON" {
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
            events: event_options(plan_of(&access)),
            form_token: random_token(),
        },
    )
}

fn create_page<'a>(page: Page, access: &WorkspaceAccess, form: &'a WebhookForm, errors: FieldErrors) -> FormPage<'a> {
    FormPage {
        frame: page.frame,
        ws: access.workspace.public_id.clone(),
        form: Form::Create,
        form_token: &form.form_token,
        hook_id: "",
        name: &form.name,
        url: &form.url,
        event: &form.event,
        events: event_options(plan_of(access)),
        graces: SECRET_GRACES,
        errors,
    }
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
    let (ws, id) = path.into_inner();
    let access = page.hidden_admin_access(&ws)?;
    let target = access.clone();
    let hook = state.db.read(move |conn| service::find(conn, &target, &id)).await?;
    let form = WebhookForm::default();
    let confirm = FormPage {
        form: Form::Delete,
        hook_id: &hook.public_id,
        name: &hook.name,
        ..create_page(page, &access, &form, FieldErrors::default())
    };
    render(StatusCode::OK, &confirm)
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
