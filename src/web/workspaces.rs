//! Creating a workspace and switching the active one (the top bar's dropdown).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::forms::FieldErrors;
use super::redirects::local_path;
use super::session::{set_flash, Frame, Page};
use super::{render, see_other};
use crate::domain::{is_public_id, Name};
use crate::error::AppError;
use crate::services::workspaces;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewWorkspaceForm {
    workspace_name: String,
}

#[derive(Template)]
#[template(path = "workspaces/new.html")]
struct NewWorkspacePage<'a> {
    frame: Frame,
    form: &'a NewWorkspaceForm,
    errors: FieldErrors,
}

pub async fn new_form(page: Page) -> Result<HttpResponse, AppError> {
    let form = NewWorkspaceForm::default();
    render(StatusCode::OK, &NewWorkspacePage { frame: page.frame, form: &form, errors: FieldErrors::default() })
}

pub async fn create(
    page: Page,
    state: web::Data<AppState>,
    form: web::Form<NewWorkspaceForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let Some(name) = errors.check("workspace_name", Name::parse(&form.workspace_name)) else {
        return render(StatusCode::UNPROCESSABLE_ENTITY, &NewWorkspacePage { frame: page.frame, form: &form, errors });
    };
    let owner = page.user.clone();
    let workspace = state.db.write(move |conn| workspaces::create(conn, &owner, &name)).await?;
    set_flash(&page.session, format!("Workspace “{}” created.", workspace.name), None);
    Ok(see_other(&format!("/workspaces/{}/settings", workspace.public_id)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SwitchForm {
    workspace: String,
    next: String,
}

pub async fn switch(
    page: Page,
    state: web::Data<AppState>,
    form: web::Form<SwitchForm>,
) -> Result<HttpResponse, AppError> {
    let (user_id, target) = (page.user.id, form.workspace.clone());
    let workspace = state.db.write(move |conn| workspaces::switch(conn, user_id, &target)).await?;
    Ok(see_other(&same_screen(&form.next, &workspace.public_id)))
}

/// Where to land after switching: the same screen in the new workspace when the user was on
/// a workspace's screen (cut before any entity id, which belongs to the old workspace), else
/// where they were. Only plain local paths are followed (see [`local_path`]).
fn same_screen(next: &str, current: &str) -> String {
    let Some(next) = local_path(next) else {
        return "/preferences".into();
    };
    match next.strip_prefix("/workspaces/").and_then(|rest| rest.split_once('/')) {
        Some((_, rest)) => {
            let path = rest.split('?').next().unwrap_or_default();
            let screen: Vec<&str> =
                path.split('/').take_while(|segment| !segment.is_empty() && !is_public_id(segment)).collect();
            if screen.is_empty() {
                format!("/workspaces/{current}/settings")
            } else {
                format!("/workspaces/{current}/{}", screen.join("/"))
            }
        }
        None => next.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::same_screen;

    #[test]
    fn switching_keeps_the_screen_and_stays_local() {
        assert_eq!(same_screen("/workspaces/aaa/settings/members", "bbb"), "/workspaces/bbb/settings/members");
        assert_eq!(same_screen("/preferences", "bbb"), "/preferences");
        assert_eq!(same_screen("https://evil.example/", "bbb"), "/preferences");
        assert_eq!(same_screen("//evil.example/", "bbb"), "/preferences");
        assert_eq!(same_screen("/\t/evil.example/", "bbb"), "/preferences");
        assert_eq!(same_screen("/\r\n", "bbb"), "/preferences");
        assert_eq!(same_screen("/workspaces/new", "bbb"), "/workspaces/new");
        // An entity of the old workspace is not in the new one: its screen's list instead.
        let hook = "0123456789abcdef01234567";
        assert_eq!(same_screen(&format!("/workspaces/aaa/webhooks/{hook}/edit"), "bbb"), "/workspaces/bbb/webhooks");
        assert_eq!(same_screen("/workspaces/aaa/webhooks?status=failed", "bbb"), "/workspaces/bbb/webhooks");
    }
}
