//! Time entries under `/api/v1/workspaces/{workspaceId}`: Clockify's `/time-entries` (create
//! for the key's user, get, update, delete, the running ones) and `/user/{userId}/time-entries`
//! (a member's entries, and stopping their timer). Every rule lives in `services::time_entries`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiCaller;
use super::error::ApiError;
use super::support::{
    instant, json_body, nullable, page, read_as, write_as, Body, PageSizes, ENTRIES, RUNNING_ENTRIES,
};
use crate::domain::{long_text, TEXT_CHARS};
use crate::dto::{ErrorDto, TimeEntryDto};
use crate::services::time_entries::{self as service, EntryFilter, EntryInput};
use crate::state::AppState;

/// The body of create and update. On create, no `end` starts a timer; on update, fields left
/// out keep their values and `projectId`/`taskId` `null` clear them.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntryBody {
    /// UTC ISO-8601; now when absent on create.
    start: Option<String>,
    /// UTC ISO-8601, not before `start`.
    end: Option<String>,
    /// At most 3,000 characters.
    description: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    project_id: Option<Option<String>>,
    /// A task of the entry's project.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    task_id: Option<Option<String>>,
    tag_ids: Option<Vec<String>>,
    billable: Option<bool>,
}

impl EntryBody {
    fn parse(self) -> Result<EntryInput, ApiError> {
        Ok(EntryInput {
            start: self.start.as_deref().map(|t| instant("start", t)).transpose()?,
            end: self.end.as_deref().map(|t| instant("end", t)).transpose()?,
            description: self
                .description
                .as_deref()
                .map(|d| long_text(d, TEXT_CHARS))
                .transpose()
                .map_err(|e| ApiError::bad_request(format!("description: {e}")))?,
            project: self.project_id,
            task: self.task_id,
            tags: self.tag_ids,
            billable: self.billable,
        })
    }
}

/// `PATCH …/user/{userId}/time-entries`: stop the running timer at `end`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StopBody {
    /// UTC ISO-8601, not before the timer's start.
    end: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntriesQuery {
    /// Entries starting at or after this UTC ISO-8601 instant.
    start: Option<String>,
    /// Entries starting at or before this UTC ISO-8601 instant.
    end: Option<String>,
    /// `true`: only the running entry.
    #[serde(rename = "in-progress")]
    #[param(rename = "in-progress")]
    in_progress: Option<bool>,
    page: Option<i64>,
    /// 1 to 1000 (default 50; 10 for the running entries).
    #[serde(rename = "page-size")]
    #[param(rename = "page-size")]
    page_size: Option<i64>,
}

impl EntriesQuery {
    fn filter(&self, sizes: PageSizes) -> Result<EntryFilter, ApiError> {
        let (page, page_size) = super::support::paging(self.page, self.page_size, sizes)?;
        Ok(EntryFilter {
            started_from: self.start.as_deref().map(|t| instant("start", t)).transpose()?,
            started_until: self.end.as_deref().map(|t| instant("end", t)).transpose()?,
            running_only: self.in_progress.unwrap_or(false),
            page,
            page_size,
        })
    }
}

/// Adds an entry for the key's user: with `end`, a finished entry; without, a running timer
/// (the user's running timer, if any, stops at the new one's start).
#[utoipa::path(post, operation_id = "createTimeEntry", path = "/api/v1/workspaces/{workspaceId}/time-entries", tag = "time entries",
    params(("workspaceId" = String, Path)), request_body = EntryBody,
    responses((status = 201, body = TimeEntryDto), (status = 400, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    workspace: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let input = json_body::<EntryBody>(&body.0)?.parse()?;
    let entry =
        write_as(&state, &caller, workspace.into_inner(), move |conn, access| service::create(conn, access, &input))
            .await?;
    Ok(HttpResponse::Created().json(entry))
}

/// One entry: the caller's own, or any for Owners and Admins.
#[utoipa::path(get, operation_id = "getTimeEntry", path = "/api/v1/workspaces/{workspaceId}/time-entries/{id}", tag = "time entries",
    params(("workspaceId" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = TimeEntryDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn get(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (ws, id) = path.into_inner();
    let entry = read_as(&state, &caller, ws, move |conn, access| service::get(conn, access, &id)).await?;
    Ok(HttpResponse::Ok().json(entry))
}

/// Changes an entry; fields left out keep their values.
#[utoipa::path(put, operation_id = "updateTimeEntry", path = "/api/v1/workspaces/{workspaceId}/time-entries/{id}", tag = "time entries",
    params(("workspaceId" = String, Path), ("id" = String, Path)), request_body = EntryBody,
    responses((status = 200, body = TimeEntryDto), (status = 400, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let input = json_body::<EntryBody>(&body.0)?.parse()?;
    let (ws, id) = path.into_inner();
    let entry = write_as(&state, &caller, ws, move |conn, access| service::update(conn, access, &id, &input)).await?;
    Ok(HttpResponse::Ok().json(entry))
}

/// Deletes an entry: 204, as Clockify.
#[utoipa::path(delete, operation_id = "deleteTimeEntry", path = "/api/v1/workspaces/{workspaceId}/time-entries/{id}", tag = "time entries",
    params(("workspaceId" = String, Path), ("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (ws, id) = path.into_inner();
    write_as(&state, &caller, ws, move |conn, access| service::delete(conn, access, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The running timers: everyone's for Owners and Admins, the caller's for others (pages of 10).
#[utoipa::path(get, operation_id = "listInProgressTimeEntries", path = "/api/v1/workspaces/{workspaceId}/time-entries/status/in-progress", tag = "time entries",
    params(("workspaceId" = String, Path), EntriesQuery),
    responses((status = 200, body = [TimeEntryDto]), (status = 400, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn in_progress(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    workspace: web::Path<String>,
    query: web::Query<EntriesQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = query.filter(RUNNING_ENTRIES)?;
    let (entries, last) = read_as(&state, &caller, workspace.into_inner(), move |conn, access| {
        service::in_progress(conn, access, &filter)
    })
    .await?;
    Ok(page(&entries, last))
}

/// A member's entries, newest first: the caller's own, or anyone's for Owners and Admins.
#[utoipa::path(get, operation_id = "listUserTimeEntries", path = "/api/v1/workspaces/{workspaceId}/user/{userId}/time-entries", tag = "time entries",
    params(("workspaceId" = String, Path), ("userId" = String, Path), EntriesQuery),
    responses((status = 200, body = [TimeEntryDto]), (status = 400, body = ErrorDto), (status = 403, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn of_user(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
    query: web::Query<EntriesQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = query.filter(ENTRIES)?;
    let (ws, user) = path.into_inner();
    let (entries, last) =
        read_as(&state, &caller, ws, move |conn, access| service::of_user(conn, access, &user, &filter)).await?;
    Ok(page(&entries, last))
}

/// Stops the member's running timer at `end`; 404 when none runs (as Clockify).
#[utoipa::path(patch, operation_id = "stopUserTimer", path = "/api/v1/workspaces/{workspaceId}/user/{userId}/time-entries", tag = "time entries",
    params(("workspaceId" = String, Path), ("userId" = String, Path)), request_body = StopBody,
    responses((status = 200, body = TimeEntryDto), (status = 400, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn stop(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let end = json_body::<StopBody>(&body.0)?.end.ok_or_else(|| ApiError::bad_request("end: must not be null"))?;
    let end = instant("end", &end)?;
    let (ws, user) = path.into_inner();
    let entry = write_as(&state, &caller, ws, move |conn, access| service::stop(conn, access, &user, end)).await?;
    Ok(HttpResponse::Ok().json(entry))
}
