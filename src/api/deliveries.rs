//! `GET /api/v1/workspaces/{workspaceId}/webhooks/{webhookId}/deliveries`: a webhook's
//! deliveries, newest first, filtered by state, event, status and time, searched in the payload.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::ApiCaller;
use super::error::ApiError;
use super::support::{self, read_as};
use crate::db::attempts::AttemptSummary;
use crate::domain::{DeliveryStatus, EventType, PayloadSearch, StatusMatch, SystemEvent};
use crate::dto::{iso, DeliveryAttemptDto, DeliveryDto, DeliveryListDto, ErrorDto, FailureDto};
use crate::services::webhooks::{self as service, DeliveryFilter};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// `QUEUED`, `RETRYING`, `WAITING`, `DELIVERED`, `FAILED`, `CANCELLED` or `MISSED`.
    state: Option<String>,
    /// An event type, like `NEW_TIME_ENTRY` (or, for a system endpoint, `webhook.failing`).
    event: Option<String>,
    /// The latest attempt's HTTP code (`500`), class (`5xx`) or error class (`timeout`,
    /// `connect`, `dns`, `tls`, `ssrf`).
    status: Option<String>,
    /// UTC ISO-8601: made at or after.
    from: Option<String>,
    /// UTC ISO-8601: made at or before.
    to: Option<String>,
    /// A text in the payload (an entity id, an e-mail address), at most 200 characters.
    q: Option<String>,
    /// The `nextCursor` of the previous page.
    before: Option<String>,
    #[serde(rename = "page-size")]
    #[param(rename = "page-size")]
    page_size: Option<i64>,
}

/// A keyset cursor: `created_at.id` of a row.
pub fn cursor(text: &str) -> Option<(i64, i64)> {
    let (at, id) = text.split_once('.')?;
    Some((at.parse().ok()?, id.parse().ok()?))
}

fn bad(field: &str) -> impl Fn(String) -> ApiError + '_ {
    move |message| ApiError::bad_request(format!("{field}: {message}"))
}

impl DeliveriesQuery {
    fn filter(&self) -> Result<DeliveryFilter, ApiError> {
        let instant = |field, text: &Option<String>| text.as_deref().map(|t| support::instant(field, t)).transpose();
        // A range that ends before it starts is empty, not an error.
        let (from, to) = (instant("from", &self.from)?, instant("to", &self.to)?);
        Ok(DeliveryFilter {
            state: self.state.as_deref().map(DeliveryStatus::parse).transpose().map_err(bad("state"))?,
            event: self.event.as_deref().map(event_name).transpose().map_err(bad("event"))?,
            status: self.status.as_deref().map(StatusMatch::parse).transpose().map_err(bad("status"))?,
            from,
            to,
            search: PayloadSearch::parse(self.q.as_deref().unwrap_or("")).map_err(bad("q"))?,
            before: match self.before.as_deref() {
                None => None,
                Some(text) => Some(
                    cursor(text)
                        .ok_or_else(|| ApiError::bad_request("before: use the nextCursor of the previous page"))?,
                ),
            },
            limit: support::paging(None, self.page_size, support::LOGS)?.1,
        })
    }
}

/// A workspace event's or a system event's name.
fn event_name(text: &str) -> Result<String, String> {
    match SystemEvent::parse(text.trim()) {
        Some(system) => Ok(system.as_str().to_owned()),
        None => EventType::parse(text).map(|e| e.as_str().to_owned()),
    }
}

fn attempt_dto(attempt: &AttemptSummary) -> DeliveryAttemptDto {
    DeliveryAttemptDto {
        id: attempt.public_id.clone(),
        trigger: attempt.trigger.clone(),
        attempted_at: iso(attempt.attempted_at),
        succeeded: attempt.succeeded,
        status_code: attempt.status_code,
        error_class: attempt.error_class.clone(),
        duration_ms: attempt.duration_ms,
        reason: attempt.failure().as_ref().map(FailureDto::new),
    }
}

/// A webhook's deliveries, newest first, each with its attempts in order. With a filter, a page
/// may stop where its search did (`searchedTo`) before it is full: follow `nextCursor`.
#[utoipa::path(get, operation_id = "listWebhookDeliveries", path = "/api/v1/workspaces/{workspaceId}/webhooks/{webhookId}/deliveries", tag = "webhooks",
    params(("workspaceId" = String, Path), ("webhookId" = String, Path), DeliveriesQuery),
    responses((status = 200, body = DeliveryListDto), (status = 400, body = ErrorDto), (status = 404, body = ErrorDto)),
    security(("ApiKeyAuth" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    caller: web::ReqData<ApiCaller>,
    path: web::Path<(String, String)>,
    query: web::Query<DeliveriesQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = query.filter()?;
    let (ws, id) = path.into_inner();
    let open = state.circuits.blocked(crate::clock::now_ms());
    let hook = id.clone();
    let found =
        read_as(&state, &caller, ws, move |conn, access| service::deliveries(conn, access, &id, &filter, &open))
            .await?;
    let deliveries = found
        .page
        .rows
        .iter()
        .map(|row| {
            let d = &row.delivery;
            let attempts = found.attempts.get(&d.id).map(Vec::as_slice).unwrap_or_default();
            DeliveryDto {
                message_id: d.message_id.clone(),
                webhook_id: hook.clone(),
                event: row.event_type.clone(),
                trigger: d.trigger.clone(),
                state: found.status_of(d).as_str(),
                attempt_count: d.attempts,
                next_attempt_at: d.next_attempt_at.filter(|_| d.state == "PENDING").map(iso),
                last_status: d.last_status.clone(),
                last_error: attempts.last().and_then(AttemptSummary::failure).as_ref().map(FailureDto::new),
                created_at: iso(d.created_at),
                attempts: attempts.iter().map(attempt_dto).collect(),
            }
        })
        .collect();
    let next_cursor = found.page.next.map(|(at, id)| format!("{at}.{id}"));
    let mut response = HttpResponse::Ok();
    if let Some(cursor) = &next_cursor {
        response.insert_header(("Next-Cursor", cursor.clone()));
    }
    Ok(response.json(DeliveryListDto { deliveries, next_cursor, searched_to: found.page.searched_to.map(iso) }))
}
