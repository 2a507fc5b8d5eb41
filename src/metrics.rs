//! `GET /metrics` in the Prometheus text format: attempts by outcome and their latency
//! (counted by this instance's sender since it started), and the queue as the database sees
//! it (depth, and the age of the oldest due delivery), shared by every instance.
//!
//! Off unless `KEYHOOK_METRICS_TOKEN` is set; then only `Authorization: Bearer <token>` reads
//! it (compared in constant time), so the figures are never open to the world.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use subtle::ConstantTimeEq;

use crate::db::deliveries::Delivery;
use crate::error::AppError;
use crate::services::{now_ms, ServiceError};
use crate::state::AppState;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Debug, Default)]
pub struct Metrics {
    succeeded: AtomicU64,
    failed: AtomicU64,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Metrics {
    /// Counts one attempt.
    pub fn attempt(&self, succeeded: bool, took: Duration) {
        let outcome = if succeeded { &self.succeeded } else { &self.failed };
        outcome.fetch_add(1, Ordering::Relaxed);
        let seconds = took.as_secs_f64();
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(u64::try_from(took.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// The text exposition, with the queue figures read from the database.
    pub fn render(&self, queue_depth: i64, oldest_due_age: f64) -> String {
        let mut out = String::new();
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let _ = writeln!(out, "# HELP keyhook_delivery_attempts_total Webhook delivery attempts by outcome.");
        let _ = writeln!(out, "# TYPE keyhook_delivery_attempts_total counter");
        let _ = writeln!(out, "keyhook_delivery_attempts_total{{outcome=\"succeeded\"}} {}", get(&self.succeeded));
        let _ = writeln!(out, "keyhook_delivery_attempts_total{{outcome=\"failed\"}} {}", get(&self.failed));
        let _ =
            writeln!(out, "# HELP keyhook_attempt_duration_seconds Time from sending a webhook request to its answer.");
        let _ = writeln!(out, "# TYPE keyhook_attempt_duration_seconds histogram");
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS) {
            let _ = writeln!(out, "keyhook_attempt_duration_seconds_bucket{{le=\"{bound}\"}} {}", get(bucket));
        }
        let _ = writeln!(out, "keyhook_attempt_duration_seconds_bucket{{le=\"+Inf\"}} {}", get(&self.count));
        let _ = writeln!(out, "keyhook_attempt_duration_seconds_sum {}", get(&self.sum_micros) as f64 / 1e6);
        let _ = writeln!(out, "keyhook_attempt_duration_seconds_count {}", get(&self.count));
        let _ = writeln!(out, "# HELP keyhook_queue_depth Deliveries waiting to be sent (all instances).");
        let _ = writeln!(out, "# TYPE keyhook_queue_depth gauge");
        let _ = writeln!(out, "keyhook_queue_depth {queue_depth}");
        let _ = writeln!(
            out,
            "# HELP keyhook_oldest_due_delivery_age_seconds How long the oldest due delivery has waited."
        );
        let _ = writeln!(out, "# TYPE keyhook_oldest_due_delivery_age_seconds gauge");
        let _ = writeln!(out, "keyhook_oldest_due_delivery_age_seconds {oldest_due_age}");
        out
    }
}

pub async fn endpoint(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let Some(token) = &state.metrics_token else {
        return Err(AppError::NotFound);
    };
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !bool::from(presented.trim().as_bytes().ct_eq(token.expose().as_bytes())) {
        return Ok(HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"keyhook metrics\""))
            .content_type("text/plain; charset=utf-8")
            .body("Send the metrics token: Authorization: Bearer <KEYHOOK_METRICS_TOKEN>\n"));
    }
    let now = now_ms();
    let (depth, oldest) =
        state.db.read(move |conn| -> Result<_, ServiceError> { Ok(Delivery::backlog(conn, now)?) }).await?;
    let age = oldest.map_or(0.0, |due| (now - due).max(0) as f64 / 1000.0);
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(state.metrics.render(depth, age)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_buckets_attempts() {
        let metrics = Metrics::default();
        metrics.attempt(true, Duration::from_millis(3));
        metrics.attempt(false, Duration::from_millis(300));
        let text = metrics.render(7, 1.5);
        assert!(text.contains("keyhook_delivery_attempts_total{outcome=\"succeeded\"} 1"));
        assert!(text.contains("keyhook_delivery_attempts_total{outcome=\"failed\"} 1"));
        assert!(text.contains("keyhook_attempt_duration_seconds_bucket{le=\"0.005\"} 1"));
        assert!(text.contains("keyhook_attempt_duration_seconds_bucket{le=\"0.5\"} 2"));
        assert!(text.contains("keyhook_attempt_duration_seconds_count 2"));
        assert!(text.contains("keyhook_queue_depth 7"));
        assert!(text.contains("keyhook_oldest_due_delivery_age_seconds 1.5"));
    }
}
