//! Clients under `/api/v1/workspaces/{workspaceId}/clients`: list and get for every member,
//! create, update and delete for Owners and Admins. Every rule lives in `services::clients`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::ApiCaller;
use super::error::ApiError;
use super::support::{json_body, page, read_as, write_as, Body, ListQuery};
use crate::domain::{long_text, Email, EntityName, TEXT_CHARS};
use crate::dto::{ClientDto, ErrorDto};
use crate::services::clients::{self as service, ClientInput};
use crate::state::AppState;

/// The body of create and update; absent or `null` fields keep what is stored.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ClientBody {
    /// 1 to 100 characters, unique in the workspace. Required on create.
    name: Option<String>,
    email: Option<String>,
    /// At most 3,000 characters.
    address: Option<String>,
    /// At most 3,000 characters.
    note: Option<String>,
    archived: Option<bool>,
}

impl ClientBody {
    fn parse(self) -> Result<ClientInput, ApiError> {
        let field = |name: &str, e: String| ApiError::bad_request(format!("{name}: {e}"));
        Ok(ClientInput {
            name: self.name.as_deref().map(EntityName::client_or_tag).transpose().map_err(|e| field("name", e))?,
            email: self.email.as_deref().map(Email::parse).transpose().map_err(|e| field("email", e))?,
            address: self
                .address
                .as_deref()
                .map(|a| long_text(a, TEXT_CHARS))
                .transpose()
                .map_err(|e| field("address", e))?,
            note: self.note.as_deref().map(|n| long_text(n, TEXT_CHARS)).transpose().map_err(|e| field("note", e))?,
            archived: self.archived,
        })
    }
}

fn dto(client: &crate::db::clients::Client, workspace: &str) -> ClientDto {
    ClientDto::new(client, workspace)
}

/// The workspace's clients by name, in pages (header `Last-Page`).
#[utoipa::path(get, operation_id = "listClients", path = "/api/v1/workspaces/{workspaceId}/clients", tag = "clients",
    params(("workspaceId" = String, Path), ListQuery),
    responses((status = 200, body = [ClientDto]), (status = 400, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    workspace: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (ws, listing) = (workspace.into_inner(), query.listing()?);
    let (clients, last) =
        read_as(&state, &caller, ws.clone(), move |conn, access| service::list(conn, access, &listing)).await?;
    Ok(page(&clients.iter().map(|c| dto(c, &ws)).collect::<Vec<_>>(), last))
}

/// Creates a client (Owners and Admins).
#[utoipa::path(post, operation_id = "createClient", path = "/api/v1/workspaces/{workspaceId}/clients", tag = "clients",
    params(("workspaceId" = String, Path)), request_body = ClientBody,
    responses((status = 201, body = ClientDto), (status = 400, body = ErrorDto), (status = 403, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    workspace: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let input = json_body::<ClientBody>(&body.0)?.parse()?;
    let ws = workspace.into_inner();
    let client =
        write_as(&state, &caller, ws.clone(), move |conn, access| service::create(conn, access, &input)).await?;
    Ok(HttpResponse::Created().json(dto(&client, &ws)))
}

/// One client.
#[utoipa::path(get, operation_id = "getClient", path = "/api/v1/workspaces/{workspaceId}/clients/{id}", tag = "clients",
    params(("workspaceId" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = ClientDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn get(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (ws, id) = path.into_inner();
    let client = read_as(&state, &caller, ws.clone(), move |conn, access| service::find(conn, access, &id)).await?;
    Ok(HttpResponse::Ok().json(dto(&client, &ws)))
}

/// Changes a client; fields left out (or `null`) keep their values.
#[utoipa::path(put, operation_id = "updateClient", path = "/api/v1/workspaces/{workspaceId}/clients/{id}", tag = "clients",
    params(("workspaceId" = String, Path), ("id" = String, Path)), request_body = ClientBody,
    responses((status = 200, body = ClientDto), (status = 400, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let input = json_body::<ClientBody>(&body.0)?.parse()?;
    let (ws, id) = path.into_inner();
    let client =
        write_as(&state, &caller, ws.clone(), move |conn, access| service::update(conn, access, &id, &input)).await?;
    Ok(HttpResponse::Ok().json(dto(&client, &ws)))
}

/// Deletes a client; answers it.
#[utoipa::path(delete, operation_id = "deleteClient", path = "/api/v1/workspaces/{workspaceId}/clients/{id}", tag = "clients",
    params(("workspaceId" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = ClientDto), (status = 403, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (ws, id) = path.into_inner();
    let client = write_as(&state, &caller, ws.clone(), move |conn, access| service::delete(conn, access, &id)).await?;
    Ok(HttpResponse::Ok().json(dto(&client, &ws)))
}
