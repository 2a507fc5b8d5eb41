//! Projects under `/api/v1/workspaces/{workspaceId}/projects`: list and get for every member,
//! create, update and delete (archived ones only) for Owners and Admins. Every rule lives in
//! `services::projects`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::ApiCaller;
use super::error::ApiError;
use super::support::{json_body, nullable, page, read_as, write_as, Body, ListQuery};
use crate::db::projects::WithClient;
use crate::domain::{long_text, Color, EntityName, PROJECT_NOTE_CHARS};
use crate::dto::{ErrorDto, ProjectDto};
use crate::services::projects::{self as service, ProjectInput};
use crate::state::AppState;

/// The body of create and update; absent (or, but for `clientId`, `null`) fields keep what is stored.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectBody {
    /// 2 to 250 characters, unique in the workspace. Required on create.
    name: Option<String>,
    /// A client of this workspace; `null` or `""` for none.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    client_id: Option<Option<String>>,
    /// `#RRGGBB`.
    color: Option<String>,
    billable: Option<bool>,
    is_public: Option<bool>,
    archived: Option<bool>,
    /// At most 16,384 characters.
    note: Option<String>,
}

impl ProjectBody {
    fn parse(self) -> Result<ProjectInput, ApiError> {
        let field = |name: &str, e: String| ApiError::bad_request(format!("{name}: {e}"));
        Ok(ProjectInput {
            name: self.name.as_deref().map(EntityName::project).transpose().map_err(|e| field("name", e))?,
            client: self.client_id,
            color: self.color.as_deref().map(Color::parse).transpose().map_err(|e| field("color", e))?,
            billable: self.billable,
            is_public: self.is_public,
            archived: self.archived,
            note: self
                .note
                .as_deref()
                .map(|n| long_text(n, PROJECT_NOTE_CHARS))
                .transpose()
                .map_err(|e| field("note", e))?,
        })
    }
}

fn dto((project, client): &WithClient, workspace: &str) -> ProjectDto {
    ProjectDto::new(project, client.as_ref(), workspace)
}

/// The workspace's projects by name, in pages (header `Last-Page`).
#[utoipa::path(get, operation_id = "listProjects", path = "/api/v1/workspaces/{workspaceId}/projects", tag = "projects",
    params(("workspaceId" = String, Path), ListQuery),
    responses((status = 200, body = [ProjectDto]), (status = 400, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    workspace: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (ws, listing) = (workspace.into_inner(), query.listing()?);
    let (projects, last) =
        read_as(&state, &caller, ws.clone(), move |conn, access| service::list(conn, access, &listing)).await?;
    Ok(page(&projects.iter().map(|p| dto(p, &ws)).collect::<Vec<_>>(), last))
}

/// Creates a project (Owners and Admins).
#[utoipa::path(post, operation_id = "createProject", path = "/api/v1/workspaces/{workspaceId}/projects", tag = "projects",
    params(("workspaceId" = String, Path)), request_body = ProjectBody,
    responses((status = 201, body = ProjectDto), (status = 400, body = ErrorDto), (status = 403, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    workspace: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let input = json_body::<ProjectBody>(&body.0)?.parse()?;
    let ws = workspace.into_inner();
    let project =
        write_as(&state, &caller, ws.clone(), move |conn, access| service::create(conn, access, &input)).await?;
    Ok(HttpResponse::Created().json(dto(&project, &ws)))
}

/// One project.
#[utoipa::path(get, operation_id = "getProject", path = "/api/v1/workspaces/{workspaceId}/projects/{projectId}", tag = "projects",
    params(("workspaceId" = String, Path), ("projectId" = String, Path)),
    responses((status = 200, body = ProjectDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn get(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (ws, id) = path.into_inner();
    let project = read_as(&state, &caller, ws.clone(), move |conn, access| service::find(conn, access, &id)).await?;
    Ok(HttpResponse::Ok().json(dto(&project, &ws)))
}

/// Changes a project (archive it with `{"archived": true}`); fields left out keep their values.
#[utoipa::path(put, operation_id = "updateProject", path = "/api/v1/workspaces/{workspaceId}/projects/{projectId}", tag = "projects",
    params(("workspaceId" = String, Path), ("projectId" = String, Path)), request_body = ProjectBody,
    responses((status = 200, body = ProjectDto), (status = 400, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let input = json_body::<ProjectBody>(&body.0)?.parse()?;
    let (ws, id) = path.into_inner();
    let project =
        write_as(&state, &caller, ws.clone(), move |conn, access| service::update(conn, access, &id, &input)).await?;
    Ok(HttpResponse::Ok().json(dto(&project, &ws)))
}

/// Deletes an archived project with its tasks; an active one is refused (400).
#[utoipa::path(delete, operation_id = "deleteProject", path = "/api/v1/workspaces/{workspaceId}/projects/{projectId}", tag = "projects",
    params(("workspaceId" = String, Path), ("projectId" = String, Path)),
    responses((status = 200, body = ProjectDto), (status = 400, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (ws, id) = path.into_inner();
    let project = write_as(&state, &caller, ws.clone(), move |conn, access| service::delete(conn, access, &id)).await?;
    Ok(HttpResponse::Ok().json(dto(&project, &ws)))
}
