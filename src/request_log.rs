//! The middleware around every request: a request id (the caller's `X-Request-Id` if it is a
//! plain token, else a new one; sent back in `X-Request-Id` and carried by every log line of
//! the request), the request line (method, path without its query, status, time; at info in
//! JSON mode, else at debug; health checks, metrics and static files always at debug), the
//! request counted in `/metrics` by its route template, and `Server-Timing` when configured.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use tracing::Instrument;

use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// How requests are logged (from the settings).
#[derive(Debug, Clone, Copy)]
pub struct RequestLog {
    /// Add `Server-Timing: app;dur=MS` to every answer.
    pub server_timing: bool,
    /// Request lines at info (JSON logs, for log pipelines) rather than debug.
    pub info_lines: bool,
}

pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let (method, path) = (req.method().clone(), loggable_path(req.path()));
    let settings = req.app_data::<web::Data<RequestLog>>().map(|s| *s.get_ref());
    let metrics = req.app_data::<web::Data<AppState>>().map(|state| state.metrics.clone());
    let id = request_id(req.headers());
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = next.call(req).instrument(span.clone()).await?;
    let took = started.elapsed();
    if let Some(metrics) = metrics {
        let route = response.request().match_pattern();
        metrics.request(method.as_str(), route.as_deref(), response.status().as_u16(), took);
    }
    let (status, micros) = (response.status().as_u16(), took.as_micros() as u64);
    let quiet = ["/healthz", "/readyz", "/metrics"].contains(&path.as_str()) || path.starts_with("/static/");
    let _entered = span.enter();
    if settings.is_some_and(|s| s.info_lines) && !quiet {
        tracing::info!(%method, %path, status, micros, request_id = %id, "request");
    } else {
        tracing::debug!(%method, %path, status, micros, request_id = %id, "request");
    }
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(REQUEST_ID, value);
    }
    if settings.is_some_and(|s| s.server_timing) {
        let value = format!("app;dur={:.3}", took.as_secs_f64() * 1000.0);
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static("server-timing"), value);
        }
    }
    Ok(response)
}

/// The caller's request id when it is 1 to 64 letters, digits, `-`, `_` or `.` (what proxies
/// send), else a new random one: nothing else reaches a log line or a header.
fn request_id(headers: &HeaderMap) -> String {
    let presented = headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()).filter(|id| {
        (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    });
    presented.map_or_else(|| format!("{:016x}", rand::random::<u64>()), str::to_owned)
}

/// The path as it may be logged: an invitation link's token is a secret.
fn loggable_path(path: &str) -> String {
    match path.strip_prefix("/invitations/") {
        Some(_) => "/invitations/[token]".to_owned(),
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitation_tokens_never_reach_the_log() {
        assert_eq!(loggable_path("/invitations/c9nMYbWSA_ZLg"), "/invitations/[token]");
        assert_eq!(loggable_path("/preferences"), "/preferences");
    }

    #[test]
    fn a_plain_request_id_is_kept_and_anything_else_replaced() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(REQUEST_ID, HeaderValue::from_str(value).expect("header"));
            request_id(&headers)
        };
        assert_eq!(with("lb-7f3a.19"), "lb-7f3a.19");
        let replaced = with("evil\" injected=1");
        assert_eq!(replaced.len(), 16, "{replaced}");
        assert_eq!(with(&"a".repeat(65)).len(), 16);
        assert_eq!(request_id(&HeaderMap::new()).len(), 16);
    }
}
