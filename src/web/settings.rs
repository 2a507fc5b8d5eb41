//! `/workspaces/{ws}/settings`: tab General (name; plan, Owner only).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::forms::FieldErrors;
use super::session::{set_flash, Frame, Page};
use super::{render, see_other};
use crate::domain::{Name, Plan, Role};
use crate::error::AppError;
use crate::services::workspaces::{self, WorkspaceAccess};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "settings/general.html")]
struct GeneralTab {
    frame: Frame,
    ws: String,
    name: String,
    plan: Plan,
    is_owner: bool,
    errors: FieldErrors,
}

impl GeneralTab {
    fn new(frame: Frame, access: &WorkspaceAccess, name: String, errors: FieldErrors) -> Self {
        Self {
            frame,
            ws: access.workspace.public_id.clone(),
            name,
            plan: access.plan(),
            is_owner: access.role == Role::Owner,
            errors,
        }
    }

    fn plans(&self) -> [Plan; 5] {
        Plan::ALL
    }
}

pub async fn general(page: Page, ws: web::Path<String>) -> Result<HttpResponse, AppError> {
    let access = page.admin_access(&ws)?;
    let name = access.workspace.name.clone();
    render(StatusCode::OK, &GeneralTab::new(page.frame, &access, name, FieldErrors::default()))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RenameForm {
    workspace_name: String,
}

pub async fn rename(
    page: Page,
    state: web::Data<AppState>,
    ws: web::Path<String>,
    form: web::Form<RenameForm>,
) -> Result<HttpResponse, AppError> {
    let access = page.admin_access(&ws)?;
    let mut errors = FieldErrors::default();
    let Some(name) = errors.check("workspace_name", Name::parse(&form.workspace_name)) else {
        let tab = GeneralTab::new(page.frame, &access, form.workspace_name.clone(), errors);
        return render(StatusCode::UNPROCESSABLE_ENTITY, &tab);
    };
    let target = access.clone();
    state.db.write(move |conn| workspaces::rename(conn, &target, &name)).await?;
    set_flash(&page.session, "Workspace name saved.", None);
    Ok(see_other(&format!("/workspaces/{}/settings", access.workspace.public_id)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PlanForm {
    plan: String,
}

pub async fn set_plan(
    page: Page,
    state: web::Data<AppState>,
    ws: web::Path<String>,
    form: web::Form<PlanForm>,
) -> Result<HttpResponse, AppError> {
    let access = page.admin_access(&ws)?;
    let mut errors = FieldErrors::default();
    let Some(plan) = errors.check("plan", Plan::parse(&form.plan)) else {
        let name = access.workspace.name.clone();
        return render(StatusCode::UNPROCESSABLE_ENTITY, &GeneralTab::new(page.frame, &access, name, errors));
    };
    let target = access.clone();
    state.db.write(move |conn| workspaces::set_plan(conn, &target, plan)).await?;
    set_flash(&page.session, format!("Plan changed to {}.", plan.label()), None);
    Ok(see_other(&format!("/workspaces/{}/settings", access.workspace.public_id)))
}
