//! CSRF protection for every state-changing request outside `/api/` (the API authenticates
//! with a header a browser never sends on its own). The token travels in the form field
//! `csrf_token` or, from htmx, in the `X-CSRF-Token` header set on `<body hx-headers>`.
//! Checking here, once, means no handler can forget it.

use actix_session::SessionExt;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::web;
use subtle::ConstantTimeEq;

use super::session::expected_csrf_token;
use crate::error::AppError;

pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "X-CSRF-Token";

/// A refusal is answered here, as a response, rather than returned as an error: an error
/// would be turned into a response only past every middleware, without the security headers.
pub async fn require_token(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || req.path().starts_with("/api/") {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let expected = expected_csrf_token(&req.get_session());
    let matches = |presented: Option<&str>| match (expected.as_deref(), presented) {
        (Some(expected), Some(presented)) => bool::from(expected.as_bytes().ct_eq(presented.as_bytes())),
        _ => false,
    };
    // Either carrier may hold the token: a form whose page was swapped in by htmx can carry a
    // fresh field while an ancestor's header is stale (after signing in as someone else).
    let mut valid = matches(req.headers().get(HEADER).and_then(|v| v.to_str().ok()));
    if !valid && is_form(&req) {
        let body = req.extract::<web::Bytes>().await?;
        let field = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .ok()
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == FIELD).map(|(_, v)| v));
        valid = matches(field.as_deref());
        // Put the body back for the handler's own form extractor.
        req.set_payload(Payload::from(body));
    }
    if !valid {
        tracing::info!(path = req.path(), "refused a request without a valid CSRF token");
        return Ok(req.error_response(AppError::Csrf).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

fn is_form(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
}
