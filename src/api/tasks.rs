//! Tasks under `/api/v1/workspaces/{workspaceId}/projects/{projectId}/tasks`: list and get for
//! every member, create, update and delete (DONE ones only) for Owners and Admins. Every rule
//! lives in `services::tasks`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::ApiCaller;
use super::error::ApiError;
use super::support::{json_body, page, read_as, write_as, Body, ListQuery};
use crate::db::tasks::Task;
use crate::domain::{EntityName, IsoDuration, TaskStatus};
use crate::dto::{ErrorDto, TaskDto};
use crate::services::tasks::{self as service, TaskInput};
use crate::state::AppState;

/// The body of create and update; absent or `null` fields keep what is stored.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskBody {
    /// 1 to 1,000 characters, unique in the project. Required on create.
    name: Option<String>,
    /// `ACTIVE` or `DONE`.
    status: Option<String>,
    /// ISO-8601, e.g. `PT1H30M`.
    estimate: Option<String>,
    billable: Option<bool>,
    /// Members of the workspace.
    assignee_ids: Option<Vec<String>>,
}

impl TaskBody {
    fn parse(self) -> Result<TaskInput, ApiError> {
        let field = |name: &str, e: String| ApiError::bad_request(format!("{name}: {e}"));
        Ok(TaskInput {
            name: self.name.as_deref().map(EntityName::task).transpose().map_err(|e| field("name", e))?,
            status: self.status.as_deref().map(TaskStatus::parse).transpose().map_err(|e| field("status", e))?,
            estimate: self.estimate.as_deref().map(IsoDuration::parse).transpose().map_err(|e| field("estimate", e))?,
            billable: self.billable,
            assignee_ids: self.assignee_ids,
        })
    }
}

fn dto(task: &Task, project: &str, workspace: &str) -> TaskDto {
    TaskDto::new(task, project, workspace)
}

/// The project's tasks by name, in pages (`archived=true` for DONE ones; header `Last-Page`).
#[utoipa::path(get, operation_id = "listTasks", path = "/api/v1/workspaces/{workspaceId}/projects/{projectId}/tasks", tag = "tasks",
    params(("workspaceId" = String, Path), ("projectId" = String, Path), ListQuery),
    responses((status = 200, body = [TaskDto]), (status = 400, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let ((ws, project), listing) = (path.into_inner(), query.listing()?);
    let of = project.clone();
    let (tasks, last) =
        read_as(&state, &caller, ws.clone(), move |conn, access| service::list(conn, access, &of, &listing)).await?;
    Ok(page(&tasks.iter().map(|t| dto(t, &project, &ws)).collect::<Vec<_>>(), last))
}

/// Creates a task in the project (Owners and Admins).
#[utoipa::path(post, operation_id = "createTask", path = "/api/v1/workspaces/{workspaceId}/projects/{projectId}/tasks", tag = "tasks",
    params(("workspaceId" = String, Path), ("projectId" = String, Path)), request_body = TaskBody,
    responses((status = 201, body = TaskDto), (status = 400, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let input = json_body::<TaskBody>(&body.0)?.parse()?;
    let (ws, project) = path.into_inner();
    let of = project.clone();
    let task =
        write_as(&state, &caller, ws.clone(), move |conn, access| service::create(conn, access, &of, &input)).await?;
    Ok(HttpResponse::Created().json(dto(&task, &project, &ws)))
}

/// One task.
#[utoipa::path(get, operation_id = "getTask", path = "/api/v1/workspaces/{workspaceId}/projects/{projectId}/tasks/{taskId}", tag = "tasks",
    params(("workspaceId" = String, Path), ("projectId" = String, Path), ("taskId" = String, Path)),
    responses((status = 200, body = TaskDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn get(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (ws, project, id) = path.into_inner();
    let of = project.clone();
    let task = read_as(&state, &caller, ws.clone(), move |conn, access| service::find(conn, access, &of, &id)).await?;
    Ok(HttpResponse::Ok().json(dto(&task, &project, &ws)))
}

/// Changes a task (finish it with `{"status": "DONE"}`); fields left out keep their values.
#[utoipa::path(put, operation_id = "updateTask", path = "/api/v1/workspaces/{workspaceId}/projects/{projectId}/tasks/{taskId}", tag = "tasks",
    params(("workspaceId" = String, Path), ("projectId" = String, Path), ("taskId" = String, Path)),
    request_body = TaskBody,
    responses((status = 200, body = TaskDto), (status = 400, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String, String)>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let input = json_body::<TaskBody>(&body.0)?.parse()?;
    let (ws, project, id) = path.into_inner();
    let of = project.clone();
    let task =
        write_as(&state, &caller, ws.clone(), move |conn, access| service::update(conn, access, &of, &id, &input))
            .await?;
    Ok(HttpResponse::Ok().json(dto(&task, &project, &ws)))
}

/// Deletes a DONE task; an active one is refused (400).
#[utoipa::path(delete, operation_id = "deleteTask", path = "/api/v1/workspaces/{workspaceId}/projects/{projectId}/tasks/{taskId}", tag = "tasks",
    params(("workspaceId" = String, Path), ("projectId" = String, Path), ("taskId" = String, Path)),
    responses((status = 200, body = TaskDto), (status = 400, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (ws, project, id) = path.into_inner();
    let of = project.clone();
    let task =
        write_as(&state, &caller, ws.clone(), move |conn, access| service::delete(conn, access, &of, &id)).await?;
    Ok(HttpResponse::Ok().json(dto(&task, &project, &ws)))
}
