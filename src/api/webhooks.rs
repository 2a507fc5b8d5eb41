//! Webhooks under `/api/v1/workspaces/{workspaceId}/webhooks`, for Owners and Admins: list,
//! create, get, replace, delete, enable/disable, rotate the secret, logs (GET and Clockify's
//! POST), test, resend and recover. Every rule lives in `services::webhooks`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiCaller;
use super::error::ApiError;
use super::support::{self, json_body, write_as, Body};
use crate::db::attempts::{Attempt, LogQuery, Outcome};
use crate::db::webhooks::Webhook;
use crate::domain::{EventType, Health, TriggerSourceType, WebhookName};
use crate::dto::{iso, CircuitDto, ErrorDto, FailureDto, LogDto, WebhookDto, WebhookListDto};
use crate::services::webhooks::{self as service, Shown, WebhookInput, WebhookSecrets};
use crate::services::workspaces::WorkspaceAccess;
use crate::services::ServiceResult;
use crate::state::AppState;

/// What a webhook service answers: the webhook, alone or with its secrets.
trait HasWebhook {
    fn webhook(&self) -> &Webhook;
}

impl HasWebhook for Webhook {
    fn webhook(&self) -> &Webhook {
        self
    }
}

/// A webhook enabled with how many missed deliveries it replayed.
impl HasWebhook for (Webhook, usize) {
    fn webhook(&self) -> &Webhook {
        &self.0
    }
}

impl HasWebhook for WebhookSecrets {
    fn webhook(&self) -> &Webhook {
        &self.webhook
    }
}

impl HasWebhook for Shown {
    fn webhook(&self) -> &Webhook {
        match self {
            Shown::WithSecrets(s) => &s.webhook,
            Shown::Plain(w) => w,
        }
    }
}

/// [`write_as`] for services that answer a webhook, with its creator's public id.
async fn with_creator<T, F>(
    state: &AppState,
    caller: &ApiCaller,
    workspace: String,
    f: F,
) -> Result<(T, Option<String>), ApiError>
where
    T: HasWebhook + Send + 'static,
    F: FnOnce(&mut crate::db::DbConnection, &WorkspaceAccess) -> ServiceResult<T> + Send + 'static,
{
    write_as(state, caller, workspace, move |conn, access| {
        let answer = f(conn, access)?;
        let creator = service::creator(conn, answer.webhook())?;
        Ok((answer, creator))
    })
    .await
}

pub(super) fn dto(
    webhook: &Webhook,
    workspace: &str,
    owner: Option<String>,
    secrets: Option<(&str, &str)>,
) -> WebhookDto {
    WebhookDto {
        id: webhook.public_id.clone(),
        name: webhook.name.clone(),
        url: webhook.url.clone(),
        user_id: owner,
        workspace_id: workspace.to_owned(),
        webhook_event: webhook.event_type.clone(),
        trigger_source_type: webhook.trigger_source_type.clone(),
        trigger_source: serde_json::from_str(&webhook.trigger_source).unwrap_or_default(),
        enabled: webhook.enabled,
        plan_enabled: webhook.plan_enabled,
        delivery_enabled: webhook.enabled && webhook.plan_enabled,
        webhook_type: webhook.kind.clone(),
        disabled_reason: webhook.disabled_reason.clone(),
        disabled_at: webhook.disabled_at.map(iso),
        health: Health::of_stored(&webhook.health).as_str(),
        health_since: iso(webhook.health_since.unwrap_or(webhook.created_at)),
        auth_token: secrets.map(|(_, token)| token.to_owned()),
        signing_secret: secrets.map(|(secret, _)| secret.to_owned()),
        circuit: None,
        replayed: None,
    }
}

pub(super) fn with_secrets(s: &WebhookSecrets, workspace: &str, owner: Option<String>) -> WebhookDto {
    dto(&s.webhook, workspace, owner, Some((s.secret.expose(), &s.auth_token)))
}

/// The body of create and replace.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookBody {
    /// 2 to 30 characters.
    name: Option<String>,
    /// Absolute https URL, at most 2,048 characters.
    url: Option<String>,
    /// One of the event types.
    webhook_event: Option<String>,
    /// `WORKSPACE_ID` (default) or `USER_ID` (with `triggerSource` ids).
    trigger_source_type: Option<String>,
    trigger_source: Option<Vec<String>>,
}

impl WebhookBody {
    /// Parses every field, vetting the endpoint's host name (see [`service::endpoint`]).
    async fn parse(self, state: &AppState) -> Result<WebhookInput, ApiError> {
        let field = |name: &str, value: Option<String>| {
            value.ok_or_else(|| ApiError::bad_request(format!("{name}: must not be null")))
        };
        let name =
            WebhookName::parse(&field("name", self.name)?).map_err(|e| ApiError::bad_request(format!("name: {e}")))?;
        let url = service::endpoint(&field("url", self.url)?, &state.network)
            .await
            .map_err(|e| ApiError::bad_request(format!("url: {e}")))?;
        let event = EventType::parse(&field("webhookEvent", self.webhook_event)?)
            .map_err(|e| ApiError::bad_request(format!("webhookEvent: {e}")))?;
        let trigger = TriggerSourceType::parse(self.trigger_source_type.as_deref().unwrap_or("WORKSPACE_ID"))
            .map_err(|e| ApiError::bad_request(format!("triggerSourceType: {e}")))?;
        Ok(WebhookInput { name, url, event, trigger, trigger_ids: self.trigger_source.unwrap_or_default() })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `USER_CREATED` or `ADDON`; both when absent.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    kind: Option<String>,
}

/// The workspace's webhooks, by event then name.
#[utoipa::path(get, operation_id = "listWebhooks", path = "/api/v1/workspaces/{workspaceId}/webhooks", tag = "webhooks",
    params(("workspaceId" = String, Path), ListQuery),
    responses((status = 200, body = WebhookListDto), (status = 403, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    workspace: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let ws = workspace.into_inner();
    if let Some(kind) = query.kind.as_deref().filter(|k| !["USER_CREATED", "ADDON"].contains(k)) {
        return Err(ApiError::bad_request(format!("type: {kind:?} is not USER_CREATED or ADDON")));
    }
    let kind = query.kind.clone();
    let (hooks, owners) = write_as(&state, &caller, ws.clone(), move |conn, access| {
        let hooks = service::list(conn, access)?;
        let owners = crate::db::memberships::Membership::members_of(conn, access.workspace.id)?;
        Ok((hooks, owners))
    })
    .await?;
    let count = hooks.len();
    let owner_of = |h: &Webhook| {
        h.user_id.and_then(|id| owners.iter().find(|(_, u)| u.id == id)).map(|(_, u)| u.public_id.clone())
    };
    let webhooks = hooks
        .iter()
        .filter(|h| kind.as_deref().is_none_or(|k| h.kind == k))
        .map(|h| dto(h, &ws, owner_of(h), None))
        .collect();
    Ok(HttpResponse::Ok().json(WebhookListDto { webhooks, workspace_webhook_count: count }))
}

/// Creates a webhook; the answer carries its signing secret and token.
#[utoipa::path(post, operation_id = "createWebhook", path = "/api/v1/workspaces/{workspaceId}/webhooks", tag = "webhooks",
    params(("workspaceId" = String, Path)), request_body = WebhookBody,
    responses((status = 201, body = WebhookDto), (status = 400, body = ErrorDto), (status = 403, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    workspace: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let input = json_body::<WebhookBody>(&body.0)?.parse(&state).await?;
    let ws = workspace.into_inner();
    let secrets = state.secrets.clone();
    let (created, creator) = with_creator(&state, &caller, ws.clone(), move |conn, access| {
        service::create(conn, access, &secrets, &input, None)
    })
    .await?;
    Ok(HttpResponse::Created().json(with_secrets(&created, &ws, creator)))
}

/// One webhook, with its signing secret and token (an add-on's webhook shows them only to
/// its add-on's token).
#[utoipa::path(get, operation_id = "getWebhook", path = "/api/v1/workspaces/{workspaceId}/webhooks/{webhookId}", tag = "webhooks",
    params(("workspaceId" = String, Path), ("webhookId" = String, Path)),
    responses((status = 200, body = WebhookDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn get(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (ws, id) = path.into_inner();
    let secrets = state.secrets.clone();
    let (found, creator) =
        with_creator(&state, &caller, ws.clone(), move |conn, access| service::show(conn, access, &secrets, &id))
            .await?;
    let (webhook_id, mut answer) = match &found {
        Shown::WithSecrets(opened) => (opened.webhook.id, with_secrets(opened, &ws, creator)),
        Shown::Plain(webhook) => (webhook.id, dto(webhook, &ws, creator, None)),
    };
    answer.circuit = Some(CircuitDto::of(state.circuits.endpoint(webhook_id), state.circuits.per_webhook()));
    Ok(HttpResponse::Ok().json(answer))
}

/// Replaces a webhook's name, URL, event and trigger source.
#[utoipa::path(put, operation_id = "replaceWebhook", path = "/api/v1/workspaces/{workspaceId}/webhooks/{webhookId}", tag = "webhooks",
    params(("workspaceId" = String, Path), ("webhookId" = String, Path)), request_body = WebhookBody,
    responses((status = 200, body = WebhookDto), (status = 400, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn replace(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let input = json_body::<WebhookBody>(&body.0)?.parse(&state).await?;
    let (ws, id) = path.into_inner();
    let (updated, creator) =
        with_creator(&state, &caller, ws.clone(), move |conn, access| service::update(conn, access, &id, &input))
            .await?;
    Ok(HttpResponse::Ok().json(dto(&updated, &ws, creator, None)))
}

/// Deletes a webhook and cancels its pending deliveries (its attempts stay until retention); answers it.
#[utoipa::path(delete, operation_id = "deleteWebhook", path = "/api/v1/workspaces/{workspaceId}/webhooks/{webhookId}", tag = "webhooks",
    params(("workspaceId" = String, Path), ("webhookId" = String, Path)),
    responses((status = 200, body = WebhookDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (ws, id) = path.into_inner();
    let (deleted, creator) =
        with_creator(&state, &caller, ws.clone(), move |conn, access| service::delete(conn, access, &id)).await?;
    Ok(HttpResponse::Ok().json(dto(&deleted, &ws, creator, None)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnabledBody {
    enabled: Option<bool>,
    /// With `enabled: true`: also send the deliveries it missed while disabled by failures or
    /// 410 (default: they are cancelled). The answer's `replayed` counts them. Ignored when
    /// disabling.
    replay_missed: Option<bool>,
}

/// Enables or disables a webhook.
#[utoipa::path(patch, operation_id = "setWebhookEnabled", path = "/api/v1/workspaces/{workspaceId}/webhooks/{webhookId}", tag = "webhooks",
    params(("workspaceId" = String, Path), ("webhookId" = String, Path)), request_body = EnabledBody,
    responses((status = 200, body = WebhookDto), (status = 400, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn set_enabled(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let body = json_body::<EnabledBody>(&body.0)?;
    let enabled = body.enabled.ok_or_else(|| ApiError::bad_request("enabled: must not be null"))?;
    // Disabling replays nothing, whatever `replayMissed` says.
    let replay = enabled && body.replay_missed.unwrap_or(false);
    let (ws, id) = path.into_inner();
    let ((changed, replayed), creator) = with_creator(&state, &caller, ws.clone(), move |conn, access| {
        service::enable_replaying(conn, access, &id, enabled, replay)
    })
    .await?;
    state.health_check.notify_one();
    let mut answer = dto(&changed, &ws, creator, None);
    answer.replayed = replay.then_some(replayed);
    Ok(HttpResponse::Ok().json(answer))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GraceQuery {
    /// How long the old secret keeps signing: `0`, or a duration like `24h`, at most `30d`
    /// (default: the setting, 24 h).
    grace: Option<String>,
}

/// A new signing secret and token; the old secret keeps signing during the grace period.
#[utoipa::path(patch, operation_id = "rotateWebhookToken", path = "/api/v1/workspaces/{workspaceId}/webhooks/{webhookId}/token", tag = "webhooks",
    params(("workspaceId" = String, Path), ("webhookId" = String, Path), GraceQuery),
    responses((status = 200, body = WebhookDto), (status = 400, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn rotate(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
    query: web::Query<GraceQuery>,
) -> Result<HttpResponse, ApiError> {
    let grace_ms = match query.grace.as_deref() {
        None => state.signing_grace_ms,
        Some(text) => service::signing_grace_ms(text).map_err(|e| ApiError::bad_request(format!("grace: {e}")))?,
    };
    let (ws, id) = path.into_inner();
    let secrets = state.secrets.clone();
    let (rotated, creator) = with_creator(&state, &caller, ws.clone(), move |conn, access| {
        service::rotate(conn, access, &secrets, &id, grace_ms)
    })
    .await?;
    Ok(HttpResponse::Ok().json(with_secrets(&rotated, &ws, creator)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogsQuery {
    /// `ALL` (default), `SUCCEEDED` or `FAILED`.
    status: Option<String>,
    /// UTC ISO-8601 lower bound.
    from: Option<String>,
    /// UTC ISO-8601 upper bound.
    to: Option<String>,
    /// The `Next-Cursor` header of the previous page.
    before: Option<String>,
    #[serde(rename = "page-size")]
    #[param(rename = "page-size")]
    page_size: Option<i64>,
}

/// Clockify's POST body for logs.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogsBody {
    from: Option<String>,
    to: Option<String>,
    status: Option<String>,
    sort_by_newest: Option<bool>,
}

fn instant(field: &str, text: Option<&str>) -> Result<Option<i64>, ApiError> {
    text.map(|t| support::instant(field, t)).transpose()
}

fn outcome(text: Option<&str>) -> Result<Outcome, ApiError> {
    match text.unwrap_or("ALL") {
        "ALL" => Ok(Outcome::All),
        "SUCCEEDED" => Ok(Outcome::Succeeded),
        "FAILED" => Ok(Outcome::Failed),
        other => Err(ApiError::bad_request(format!("status: {other:?} is not ALL, SUCCEEDED or FAILED"))),
    }
}

fn log_dto(attempt: &Attempt, message_id: &str, webhook: &str) -> LogDto {
    LogDto {
        id: attempt.public_id.clone(),
        webhook_id: webhook.to_owned(),
        message_id: message_id.to_owned(),
        trigger: attempt.trigger.clone(),
        succeeded: attempt.succeeded,
        status_code: attempt.status_code,
        error_class: attempt.error_class.clone(),
        duration_ms: attempt.duration_ms,
        request_body: attempt.request_body.clone(),
        request_headers: serde_json::from_str(&attempt.request_headers).unwrap_or_default(),
        response_body: attempt.response_body.clone(),
        response_body_base64: attempt.response_body_base64,
        responded_at: iso(attempt.attempted_at),
        reason: attempt.failure().as_ref().map(FailureDto::new),
    }
}

async fn logs_page(
    state: &AppState,
    caller: &ApiCaller,
    (ws, id): (String, String),
    query: LogQuery,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit;
    let hook = id.clone();
    let rows = write_as(state, caller, ws, move |conn, access| service::logs(conn, access, &id, query)).await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| format!("{}.{}", r.attempt.attempted_at, r.attempt.id)))
        .flatten();
    let body: Vec<LogDto> = rows.iter().map(|r| log_dto(&r.attempt, &r.message_id, &hook)).collect();
    let mut response = HttpResponse::Ok();
    if let Some(cursor) = next {
        response.insert_header(("Next-Cursor", cursor));
    }
    Ok(response.json(body))
}

/// A webhook's attempts, newest first, in keyset pages (follow the `Next-Cursor` header).
#[utoipa::path(get, operation_id = "listWebhookLogs", path = "/api/v1/workspaces/{workspaceId}/webhooks/{webhookId}/logs", tag = "webhooks",
    params(("workspaceId" = String, Path), ("webhookId" = String, Path), LogsQuery),
    responses((status = 200, body = [LogDto]), (status = 400, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn logs_get(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
    query: web::Query<LogsQuery>,
) -> Result<HttpResponse, ApiError> {
    let before = match query.before.as_deref() {
        None => None,
        Some(cursor) => {
            let parsed = cursor.split_once('.').and_then(|(at, id)| Some((at.parse().ok()?, id.parse().ok()?)));
            Some(
                parsed
                    .ok_or_else(|| ApiError::bad_request("before: use the Next-Cursor header of the previous page"))?,
            )
        }
    };
    let query = LogQuery {
        webhook_id: 0,
        outcome: outcome(query.status.as_deref())?,
        from: instant("from", query.from.as_deref())?,
        to: instant("to", query.to.as_deref())?,
        before,
        after: None,
        offset: 0,
        newest_first: true,
        limit: support::paging(None, query.page_size, support::LOGS)?.1,
    };
    logs_page(&state, &caller, path.into_inner(), query).await
}

/// Clockify's form of the logs: filters in the body, `page` and `page-size` in the query.
#[utoipa::path(post, operation_id = "searchWebhookLogs", path = "/api/v1/workspaces/{workspaceId}/webhooks/{webhookId}/logs", tag = "webhooks",
    params(("workspaceId" = String, Path), ("webhookId" = String, Path), support::PageQuery), request_body = LogsBody,
    responses((status = 200, body = [LogDto]), (status = 400, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn logs_post(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
    query: web::Query<support::PageQuery>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let filters: LogsBody = if body.0.is_empty() { LogsBody::default() } else { json_body(&body.0)? };
    let (page, size) = support::paging(query.page, query.page_size, support::LOGS)?;
    let query = LogQuery {
        webhook_id: 0,
        outcome: outcome(filters.status.as_deref())?,
        from: instant("from", filters.from.as_deref())?,
        to: instant("to", filters.to.as_deref())?,
        before: None,
        after: None,
        offset: (page - 1) * size,
        newest_first: filters.sort_by_newest.unwrap_or(true),
        limit: size,
    };
    logs_page(&state, &caller, path.into_inner(), query).await
}

/// Sends the event's sample payload to this webhook now, marked TEST.
#[utoipa::path(post, operation_id = "testWebhook", path = "/api/v1/workspaces/{workspaceId}/webhooks/{webhookId}/test", tag = "webhooks",
    params(("workspaceId" = String, Path), ("webhookId" = String, Path)),
    responses((status = 202, description = "Queued; the attempt appears in the logs")),
    security(("ApiKeyAuth" = [])))]
pub async fn test(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (ws, id) = path.into_inner();
    let message_id = write_as(&state, &caller, ws, move |conn, access| service::test(conn, access, &id)).await?;
    Ok(HttpResponse::build(StatusCode::ACCEPTED).json(json!({ "messageId": message_id })))
}

/// Sends an attempt's payload again, same `webhook-id`, marked RESEND (not for add-on webhooks).
#[utoipa::path(post, operation_id = "resendWebhookLog", path = "/api/v1/workspaces/{workspaceId}/webhooks/{webhookId}/logs/{logId}/resend", tag = "webhooks",
    params(("workspaceId" = String, Path), ("webhookId" = String, Path), ("logId" = String, Path)),
    responses((status = 202, description = "Queued"), (status = 403, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn resend(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (ws, id, log) = path.into_inner();
    write_as(&state, &caller, ws, move |conn, access| service::resend(conn, access, &id, &log)).await?;
    Ok(HttpResponse::build(StatusCode::ACCEPTED).json(json!({ "queued": 1 })))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RecoverBody {
    /// UTC ISO-8601: resend every delivery that failed for good since then.
    since: Option<String>,
}

/// Resends every failed delivery since a time.
#[utoipa::path(post, operation_id = "recoverWebhookDeliveries", path = "/api/v1/workspaces/{workspaceId}/webhooks/{webhookId}/recover", tag = "webhooks",
    params(("workspaceId" = String, Path), ("webhookId" = String, Path)), request_body = RecoverBody,
    responses((status = 202, description = "Queued"), (status = 400, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn recover(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let since = json_body::<RecoverBody>(&body.0)?.since;
    let since = instant("since", since.as_deref())?.ok_or_else(|| ApiError::bad_request("since: must not be null"))?;
    let (ws, id) = path.into_inner();
    let queued = write_as(&state, &caller, ws, move |conn, access| service::recover(conn, access, &id, since)).await?;
    Ok(HttpResponse::build(StatusCode::ACCEPTED).json(json!({ "queued": queued })))
}
