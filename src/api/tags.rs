//! Tags under `/api/v1/workspaces/{workspaceId}/tags`: list and get for every member,
//! create, update and delete for Owners and Admins. Every rule lives in `services::tags`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::ApiCaller;
use super::error::ApiError;
use super::support::{json_body, page, read_as, write_as, Body, ListQuery};
use crate::domain::EntityName;
use crate::dto::{ErrorDto, TagDto};
use crate::services::tags::{self as service, TagInput};
use crate::state::AppState;

/// The body of create and update; absent or `null` fields keep what is stored.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TagBody {
    /// 1 to 100 characters, unique in the workspace. Required on create.
    name: Option<String>,
    archived: Option<bool>,
}

impl TagBody {
    fn parse(self) -> Result<TagInput, ApiError> {
        let name = self.name.as_deref().map(EntityName::client_or_tag).transpose();
        Ok(TagInput { name: name.map_err(|e| ApiError::bad_request(format!("name: {e}")))?, archived: self.archived })
    }
}

fn dto(tag: &crate::db::tags::Tag, workspace: &str) -> TagDto {
    TagDto::new(tag, workspace)
}

/// The workspace's tags by name, in pages (header `Last-Page`).
#[utoipa::path(get, operation_id = "listTags", path = "/api/v1/workspaces/{workspaceId}/tags", tag = "tags",
    params(("workspaceId" = String, Path), ListQuery),
    responses((status = 200, body = [TagDto]), (status = 400, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    workspace: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (ws, listing) = (workspace.into_inner(), query.listing()?);
    let (tags, last) =
        read_as(&state, &caller, ws.clone(), move |conn, access| service::list(conn, access, &listing)).await?;
    Ok(page(&tags.iter().map(|c| dto(c, &ws)).collect::<Vec<_>>(), last))
}

/// Creates a tag (Owners and Admins).
#[utoipa::path(post, operation_id = "createTag", path = "/api/v1/workspaces/{workspaceId}/tags", tag = "tags",
    params(("workspaceId" = String, Path)), request_body = TagBody,
    responses((status = 201, body = TagDto), (status = 400, body = ErrorDto), (status = 403, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    workspace: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let input = json_body::<TagBody>(&body.0)?.parse()?;
    let ws = workspace.into_inner();
    let tag = write_as(&state, &caller, ws.clone(), move |conn, access| service::create(conn, access, &input)).await?;
    Ok(HttpResponse::Created().json(dto(&tag, &ws)))
}

/// One tag.
#[utoipa::path(get, operation_id = "getTag", path = "/api/v1/workspaces/{workspaceId}/tags/{id}", tag = "tags",
    params(("workspaceId" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = TagDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn get(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (ws, id) = path.into_inner();
    let tag = read_as(&state, &caller, ws.clone(), move |conn, access| service::find(conn, access, &id)).await?;
    Ok(HttpResponse::Ok().json(dto(&tag, &ws)))
}

/// Changes a tag; fields left out (or `null`) keep their values.
#[utoipa::path(put, operation_id = "updateTag", path = "/api/v1/workspaces/{workspaceId}/tags/{id}", tag = "tags",
    params(("workspaceId" = String, Path), ("id" = String, Path)), request_body = TagBody,
    responses((status = 200, body = TagDto), (status = 400, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let input = json_body::<TagBody>(&body.0)?.parse()?;
    let (ws, id) = path.into_inner();
    let tag =
        write_as(&state, &caller, ws.clone(), move |conn, access| service::update(conn, access, &id, &input)).await?;
    Ok(HttpResponse::Ok().json(dto(&tag, &ws)))
}

/// Deletes a tag; answers it.
#[utoipa::path(delete, operation_id = "deleteTag", path = "/api/v1/workspaces/{workspaceId}/tags/{id}", tag = "tags",
    params(("workspaceId" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = TagDto), (status = 403, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (ws, id) = path.into_inner();
    let tag = write_as(&state, &caller, ws.clone(), move |conn, access| service::delete(conn, access, &id)).await?;
    Ok(HttpResponse::Ok().json(dto(&tag, &ws)))
}
