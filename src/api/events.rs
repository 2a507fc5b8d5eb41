//! `POST /api/v1/workspaces/{workspaceId}/events`: publish an event of a module keyhook does not
//! implement, delivered to the workspace's webhooks like any other. Every rule lives in
//! `services::publish`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::auth::ApiCaller;
use super::error::ApiError;
use super::publications::Publish;
use super::support::{json_body, Body};
use crate::domain::EventType;
use crate::dto::ErrorDto;
use crate::services::publish;
use crate::state::AppState;

/// What to publish.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PublishBody {
    /// One of the webhook events, e.g. `EXPENSE_CREATED`.
    event: Option<String>,
    /// The event's entity as a JSON object (under 256 KiB), delivered as the webhook's body.
    #[schema(value_type = Object)]
    payload: Option<Value>,
}

/// The longest `Idempotency-Key` accepted.
pub const MAX_KEY_CHARS: usize = 255;

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("Idempotency-Key") else { return Ok(None) };
    let key = value.to_str().map(str::trim).unwrap_or_default();
    if key.is_empty() || key.chars().count() > MAX_KEY_CHARS {
        return Err(ApiError::bad_request(format!("Idempotency-Key: use 1 to {MAX_KEY_CHARS} visible characters")));
    }
    Ok(Some(key.to_owned()))
}

/// Publishes an event (Owners and Admins). With `Idempotency-Key`, the same key within 24 hours
/// answers the first answer again (header `Idempotent-Replayed: true`) and publishes nothing.
#[utoipa::path(post, operation_id = "publishEvent", path = "/api/v1/workspaces/{workspaceId}/events", tag = "events",
    params(("workspaceId" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = PublishBody,
    responses((status = 202, description = "Published: {id, event, workspaceId, createdAt}"),
        (status = 400, body = ErrorDto), (status = 403, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn publish(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    workspace: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(&req)?;
    let body = json_body::<PublishBody>(&body.0)?;
    let event = body.event.ok_or_else(|| ApiError::bad_request("event: must not be null"))?;
    let event = EventType::parse(&event).map_err(|e| ApiError::bad_request(format!("event: {e}")))?;
    let payload = body.payload.ok_or_else(|| ApiError::bad_request("payload: must not be null"))?;
    let request = publish::Request { event, payload, idempotency_key: key };
    let published = state
        .api
        .publications
        .write(Publish { caller: caller.into_inner(), workspace: workspace.into_inner(), request })
        .await?;
    let mut answer = HttpResponse::Accepted();
    if published.replayed {
        answer.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(answer.json(published.answer))
}
