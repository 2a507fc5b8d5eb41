//! Add-ons under `/api/v1/workspaces/{workspaceId}/addons`, for Owners and Admins: install from
//! a manifest (the body), list, get, uninstall, and Clockify's `GET …/addons/{id}/webhooks`.
//! Every rule lives in `services::addons`.

use actix_web::{web, HttpResponse};

use super::auth::ApiCaller;
use super::error::ApiError;
use super::support::{read_as, Body};
use super::webhooks::{dto as webhook_dto, with_secrets};
use crate::db::addons::Addon;
use crate::db::webhooks::Webhook;
use crate::dto::{iso, AddonDto, ErrorDto, WebhookListDto};
use crate::services::addons::{self as service, InstallError, Installed};
use crate::state::AppState;

fn dto(addon: &Addon, webhooks: &[Webhook], workspace: &str) -> AddonDto {
    AddonDto {
        id: addon.public_id.clone(),
        key: addon.addon_key.clone(),
        name: addon.name.clone(),
        base_url: addon.base_url.clone(),
        workspace_id: workspace.to_owned(),
        installed_at: iso(addon.installed_at),
        webhooks: webhooks.iter().map(|w| webhook_dto(w, workspace, None, None)).collect(),
        auth_token: None,
    }
}

fn installed_dto(installed: &Installed, workspace: &str) -> AddonDto {
    AddonDto {
        webhooks: installed.webhooks.iter().map(|w| with_secrets(w, workspace, None)).collect(),
        auth_token: Some(installed.token.expose().to_owned()),
        ..dto(&installed.addon, &[], workspace)
    }
}

/// Installs an add-on from its manifest (the body): one ADDON webhook per declared event, an
/// installation token (answered once, as `authToken`), and the `INSTALLED` lifecycle request.
#[utoipa::path(post, operation_id = "installAddon", path = "/api/v1/workspaces/{workspaceId}/addons", tag = "addons",
    params(("workspaceId" = String, Path)),
    request_body(content = String, description = "The manifest: {key, name, baseUrl, webhooks: [{event, path}], lifecycle?: [{type, path}]}", content_type = "application/json"),
    responses((status = 201, body = AddonDto), (status = 400, body = ErrorDto), (status = 403, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn install(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    workspace: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let text = String::from_utf8(body.0.to_vec()).map_err(|_| ApiError::bad_request("The body is not UTF-8 JSON."))?;
    let ws = workspace.into_inner();
    let access = read_as(&state, &caller, ws.clone(), |_, access| Ok(access.clone())).await?;
    let installed =
        service::install(&state.reach(), access, text, &super::api_url(&state)).await.map_err(|e| match e {
            InstallError::Refused(why) => ApiError::bad_request(why.to_string()),
            InstallError::Failed(e) => e.into(),
        })?;
    Ok(HttpResponse::Created().json(installed_dto(&installed, &ws)))
}

/// The workspace's installed add-ons, by name, with their webhooks.
#[utoipa::path(get, operation_id = "listAddons", path = "/api/v1/workspaces/{workspaceId}/addons", tag = "addons",
    params(("workspaceId" = String, Path)),
    responses((status = 200, body = [AddonDto]), (status = 403, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    workspace: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ws = workspace.into_inner();
    let addons = read_as(&state, &caller, ws.clone(), service::list).await?;
    Ok(HttpResponse::Ok().json(addons.iter().map(|(a, hooks)| dto(a, hooks, &ws)).collect::<Vec<_>>()))
}

/// One installed add-on.
#[utoipa::path(get, operation_id = "getAddon", path = "/api/v1/workspaces/{workspaceId}/addons/{addonId}", tag = "addons",
    params(("workspaceId" = String, Path), ("addonId" = String, Path)),
    responses((status = 200, body = AddonDto), (status = 403, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn get(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (ws, id) = path.into_inner();
    let (addon, hooks) =
        read_as(&state, &caller, ws.clone(), move |conn, access| service::find(conn, access, &id)).await?;
    Ok(HttpResponse::Ok().json(dto(&addon, &hooks, &ws)))
}

/// An add-on's webhooks, as Clockify answers them.
#[utoipa::path(get, operation_id = "listAddonWebhooks", path = "/api/v1/workspaces/{workspaceId}/addons/{addonId}/webhooks", tag = "addons",
    params(("workspaceId" = String, Path), ("addonId" = String, Path)),
    responses((status = 200, body = WebhookListDto), (status = 403, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn webhooks(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (ws, id) = path.into_inner();
    let (_, hooks) = read_as(&state, &caller, ws.clone(), move |conn, access| service::find(conn, access, &id)).await?;
    let webhooks: Vec<_> = hooks.iter().map(|w| webhook_dto(w, &ws, None, None)).collect();
    Ok(HttpResponse::Ok().json(WebhookListDto { workspace_webhook_count: webhooks.len(), webhooks }))
}

/// Uninstalls an add-on: its token stops working and its webhooks are deleted (their attempts
/// stay readable until retention takes them). Answers 204.
#[utoipa::path(delete, operation_id = "uninstallAddon", path = "/api/v1/workspaces/{workspaceId}/addons/{addonId}", tag = "addons",
    params(("workspaceId" = String, Path), ("addonId" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn uninstall(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (ws, id) = path.into_inner();
    let access = read_as(&state, &caller, ws, |_, access| Ok(access.clone())).await?;
    service::uninstall(&state.reach(), access, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
