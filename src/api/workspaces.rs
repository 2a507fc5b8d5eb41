//! `GET /api/v1/workspaces` and `GET /api/v1/workspaces/{workspaceId}/users`.

use actix_web::{web, HttpResponse};

use super::auth::ApiCaller;
use super::error::ApiError;
use super::support::PageQuery;
use crate::dto::{ErrorDto, UserDto, WorkspaceDto};
use crate::services::directory;
use crate::state::AppState;

/// The caller's workspaces, each with its plan and members' memberships.
#[utoipa::path(
    get, operation_id = "listWorkspaces",
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

/// The workspace's members. Answers 404 for a workspace the caller is not in.
#[utoipa::path(
    get, operation_id = "listWorkspaceUsers",
    path = "/api/v1/workspaces/{workspaceId}/users",
    tag = "workspaces",
    params(("workspaceId" = String, Path, description = "The workspace's id (24 hex)"), PageQuery),
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
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (number, size) = super::support::paging(page.page, page.page_size, super::support::LISTS)?;
    let (caller, workspace) = (caller.clone(), workspace.into_inner());
    let (users, last) = state
        .db
        .read(move |conn| {
            let access = caller.access(conn, &workspace)?;
            directory::workspace_users(conn, &access, number, size)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(("Last-Page", last.to_string())).json(users))
}
