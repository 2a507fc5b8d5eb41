//! `GET /api/v1/workspaces` and `GET /api/v1/workspaces/{workspaceId}/users`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::ApiCaller;
use super::error::ApiError;
use crate::dto::{ErrorDto, UserDto, WorkspaceDto};
use crate::services::directory;
use crate::state::AppState;

/// The caller's workspaces, each with its plan and members' memberships.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces",
    tag = "workspaces",
    responses(
        (status = 200, description = "The caller's workspaces", body = [WorkspaceDto]),
        (status = 401, description = "No key, a malformed, unknown or expired key", body = ErrorDto),
    ),
    security(("ApiKeyAuth" = []))
)]
pub async fn list(state: web::Data<AppState>, caller: web::ReqData<ApiCaller>) -> Result<HttpResponse, ApiError> {
    let user_id = caller.own_user()?;
    let list = state.db.read(move |conn| directory::workspaces(conn, user_id)).await?;
    Ok(HttpResponse::Ok().json(list))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// 1-based page number (default 1).
    #[serde(default = "first_page")]
    page: u32,
    /// Users per page, 1 to 5000 (default 50).
    #[serde(rename = "page-size", default = "default_page_size")]
    #[param(rename = "page-size")]
    page_size: u32,
}

fn first_page() -> u32 {
    1
}

fn default_page_size() -> u32 {
    50
}

/// The workspace's members. Answers 404 for a workspace the caller is not in.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{workspaceId}/users",
    tag = "workspaces",
    params(("workspaceId" = String, Path, description = "The workspace's id (24 hex)"), Page),
    responses(
        (status = 200, description = "One page of members; header Last-Page says if it is the last", body = [UserDto]),
        (status = 400, description = "A page number or size out of range", body = ErrorDto),
        (status = 401, description = "No key, a malformed, unknown or expired key", body = ErrorDto),
        (status = 404, description = "Not one of the caller's workspaces", body = ErrorDto),
    ),
    security(("ApiKeyAuth" = []))
)]
pub async fn users(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    workspace: web::Path<String>,
    page: web::Query<Page>,
) -> Result<HttpResponse, ApiError> {
    if page.page == 0 || !(1..=5000).contains(&page.page_size) {
        return Err(ApiError::bad_request("page must be at least 1 and page-size between 1 and 5000"));
    }
    let (caller, workspace, number, size) = (caller.clone(), workspace.into_inner(), page.page, page.page_size);
    let (users, last) = state
        .db
        .read(move |conn| {
            let access = caller.access(conn, &workspace)?;
            directory::workspace_users(conn, &access, number, size)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(("Last-Page", last.to_string())).json(users))
}
