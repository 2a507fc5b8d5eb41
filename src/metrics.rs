//! `GET /metrics`: the Prometheus exposition (OpenMetrics text), written by `prometheus-client`.
//! What an operator looks at first: HTTP requests by route template, method and status class
//! with their latency; API requests refused by the rate limit; the database pool (connections
//! in use and idle, the wait for one); the sender (requests in flight, the in-memory hand-off's
//! jobs and bytes, attempts by outcome and error class, their latency); the queue as the
//! database sees it (depth, age of the oldest due delivery) and webhooks by state, shared by
//! every instance; and the process (CPU, memory, open files).
//!
//! Off unless `KEYHOOK_METRICS_TOKEN` is set; then only `Authorization: Bearer <token>` reads
//! it (compared in constant time), so the figures are never open to the world.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};
use subtle::ConstantTimeEq;

use crate::clock::now_ms;
use crate::db::outbox::Inbox;
use crate::db::Db;
use crate::error::AppError;
use crate::services::ServiceError;
use crate::state::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: String,
    /// The route's template (`/api/v1/workspaces/{workspaceId}/clients`), never the path
    /// itself: ids would make a series per entity.
    route: String,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AttemptLabels {
    outcome: &'static str,
    /// `none` on success; else `http`, `dns`, `connect`, `timeout`, `tls` or `ssrf`.
    error_class: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HealthLabels {
    health: &'static str,
}

/// Latency buckets in seconds: 1 ms to about 16 s.
fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

pub struct Metrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: Family<HttpLabels, Histogram, fn() -> Histogram>,
    rate_limited: Counter,
    attempts: Family<AttemptLabels, Counter>,
    attempt_duration: Histogram,
    in_flight: Gauge,
    queue_depth: Gauge,
    oldest_due: Gauge<f64, AtomicU64>,
    webhooks: Family<StateLabels, Gauge>,
    health: Family<HealthLabels, Gauge>,
    open_circuits: Gauge,
    probes: Family<OutcomeLabels, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// Every metric of this instance, registered once; `db` and its hand-off inbox are read at
    /// each scrape.
    pub fn new(db: &Db) -> Self {
        let mut registry = Registry::default();
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register("keyhook_http_requests", "HTTP requests answered", http_requests.clone());
        let http_duration = Family::<HttpLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency);
        registry.register_with_unit(
            "keyhook_http_request_duration",
            "Time from receiving an HTTP request to its answer",
            Unit::Seconds,
            http_duration.clone(),
        );
        let rate_limited = Counter::default();
        registry.register(
            "keyhook_api_rate_limited",
            "API requests refused by the per-credential rate limit",
            rate_limited.clone(),
        );
        let attempts = Family::<AttemptLabels, Counter>::default();
        registry.register(
            "keyhook_delivery_attempts",
            "Webhook delivery attempts by outcome and error class",
            attempts.clone(),
        );
        let attempt_duration = latency();
        registry.register_with_unit(
            "keyhook_attempt_duration",
            "Time from sending a webhook request to its answer",
            Unit::Seconds,
            attempt_duration.clone(),
        );
        let in_flight = Gauge::default();
        registry.register("keyhook_sender_in_flight", "Webhook requests in flight now", in_flight.clone());
        let queue_depth = Gauge::default();
        registry.register("keyhook_queue_depth", "Deliveries waiting to be sent (all instances)", queue_depth.clone());
        let oldest_due = Gauge::<f64, AtomicU64>::default();
        registry.register_with_unit(
            "keyhook_oldest_due_delivery_age",
            "How long the oldest due delivery has waited",
            Unit::Seconds,
            oldest_due.clone(),
        );
        let webhooks = Family::<StateLabels, Gauge>::default();
        registry.register("keyhook_webhooks", "Webhooks by state (all instances)", webhooks.clone());
        let health = Family::<HealthLabels, Gauge>::default();
        registry.register(
            "keyhook_webhook_health",
            "Webhooks by health: healthy, degraded, failing, disabled (all instances)",
            health.clone(),
        );
        registry.register_with_unit(
            "keyhook_db_pool_wait",
            "Time a request waited for a database connection",
            Unit::Seconds,
            db.pool_wait(),
        );
        let (group_sizes, group_splits) = db.group_commits();
        registry.register(
            "keyhook_db_group_commit_writes",
            "Grouped writes (API event publications) per committed transaction",
            group_sizes,
        );
        registry.register(
            "keyhook_db_group_commit_splits",
            "Grouped transactions rolled back because one write failed, each write then run alone",
            group_splits,
        );
        let open_circuits = Gauge::default();
        registry.register(
            "keyhook_open_circuits",
            "Webhooks whose circuit breaker is open on this instance",
            open_circuits.clone(),
        );
        let probes = Family::<OutcomeLabels, Counter>::default();
        registry.register("keyhook_circuit_probes", "Probes of open circuits by outcome", probes.clone());
        registry.register_collector(Box::new(Scraped { db: db.clone(), inbox: db.inbox() }));
        Self {
            registry,
            http_requests,
            http_duration,
            rate_limited,
            attempts,
            attempt_duration,
            in_flight,
            queue_depth,
            oldest_due,
            webhooks,
            health,
            open_circuits,
            probes,
        }
    }

    /// A webhook's circuit opened (`true`) or closed (`false`) on this instance.
    pub fn circuit(&self, opened: bool) {
        if opened {
            self.open_circuits.inc();
        } else {
            self.open_circuits.dec();
        }
    }

    /// An open circuit's probe ended.
    pub fn probe(&self, succeeded: bool) {
        let outcome = if succeeded { "succeeded" } else { "failed" };
        self.probes.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// Counts one HTTP request: `route` is its matched template (`None`: no route matched).
    pub fn request(&self, method: &str, route: Option<&str>, status: u16, took: Duration) {
        let method = match method {
            "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method.to_owned(),
            _ => "other".to_owned(),
        };
        let status = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        let labels = HttpLabels { method, route: route.unwrap_or("unmatched").to_owned(), status };
        self.http_requests.get_or_create(&labels).inc();
        self.http_duration.get_or_create(&labels).observe(took.as_secs_f64());
    }

    /// An API request refused by the rate limit.
    pub fn rate_limited(&self) {
        self.rate_limited.inc();
    }

    /// A webhook request is starting; the guard counts it out when dropped.
    pub fn sending(&self) -> InFlight {
        self.in_flight.inc();
        InFlight(self.in_flight.clone())
    }

    /// Counts one attempt; `error_class` is `None` on success.
    pub fn attempt(&self, error_class: Option<&'static str>, took: Duration) {
        let outcome = if error_class.is_none() { "succeeded" } else { "failed" };
        self.attempts.get_or_create(&AttemptLabels { outcome, error_class: error_class.unwrap_or("none") }).inc();
        self.attempt_duration.observe(took.as_secs_f64());
    }

    /// The text exposition, with what the database says set first.
    pub fn render(&self, shared: &Shared) -> Result<String, std::fmt::Error> {
        self.queue_depth.set(shared.queue_depth);
        self.oldest_due.set(shared.oldest_due_age);
        for (health, count) in &shared.health {
            self.health.get_or_create(&HealthLabels { health }).set(*count);
        }
        for (state, count) in &shared.webhooks {
            self.webhooks.get_or_create(&StateLabels { state }).set(*count);
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// A webhook request in flight, counted out when dropped.
pub struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// What every instance shares, read from the database at a scrape.
#[derive(Debug, Default)]
pub struct Shared {
    pub queue_depth: i64,
    pub oldest_due_age: f64,
    pub webhooks: Vec<(&'static str, i64)>,
    /// Live webhooks by health, every state named (zero included).
    pub health: Vec<(&'static str, i64)>,
}

/// Figures read at each scrape without the database: the pool, the hand-off, the process.
struct Scraped {
    db: Db,
    inbox: Arc<Inbox>,
}

impl std::fmt::Debug for Scraped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scraped")
    }
}

impl Collector for Scraped {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let (in_use, idle) = self.db.pool_connections();
        let mut family = encoder.encode_descriptor(
            "keyhook_db_pool_connections",
            "Database connections of this process by state",
            None,
            ConstGauge::new(0i64).metric_type(),
        )?;
        ConstGauge::new(i64::from(in_use)).encode(family.encode_family(&StateLabels { state: "in_use" })?)?;
        ConstGauge::new(i64::from(idle)).encode(family.encode_family(&StateLabels { state: "idle" })?)?;
        let (jobs, bytes) = self.inbox.waiting();
        let handed = "Deliveries handed to the sender in memory, waiting or in flight";
        gauge(&mut encoder, "keyhook_handoff_jobs", handed, None, jobs as u64)?;
        gauge(&mut encoder, "keyhook_handoff", "Payload bytes of those deliveries", Some(Unit::Bytes), bytes as u64)?;
        process(&mut encoder)
    }
}

/// One unlabelled gauge read at this scrape.
fn gauge(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    unit: Option<Unit>,
    value: u64,
) -> Result<(), std::fmt::Error> {
    let gauge = ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX));
    gauge.encode(encoder.encode_descriptor(name, help, unit.as_ref(), gauge.metric_type())?)
}

/// The standard process metrics (`process_*`), from /proc.
fn process(encoder: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
    let Ok(me) = procfs::process::Process::myself() else { return Ok(()) };
    if let Ok(stat) = me.stat() {
        let ticks = procfs::ticks_per_second().max(1) as f64;
        let cpu = ConstCounter::new((stat.utime + stat.stime) as f64 / ticks);
        let described = encoder.encode_descriptor(
            "process_cpu",
            "User and system CPU time spent",
            Some(&Unit::Seconds),
            cpu.metric_type(),
        )?;
        cpu.encode(described)?;
        let resident = stat.rss.saturating_mul(procfs::page_size());
        gauge(encoder, "process_resident_memory", "Resident memory size", Some(Unit::Bytes), resident)?;
        gauge(encoder, "process_virtual_memory", "Virtual memory size", Some(Unit::Bytes), stat.vsize)?;
    }
    if let Ok(fds) = me.fd_count() {
        gauge(encoder, "process_open_fds", "Open file descriptors", None, fds as u64)?;
    }
    Ok(())
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
    let shared = state
        .db
        .read(move |conn| -> Result<_, ServiceError> {
            let (depth, oldest) = crate::db::deliveries::Delivery::backlog(conn, now)?;
            let webhooks = crate::db::webhooks::Webhook::count_by_state(conn)?;
            let health = crate::db::webhooks::Webhook::count_by_health(conn)?;
            Ok(Shared {
                health,
                queue_depth: depth,
                oldest_due_age: oldest.map_or(0.0, |due| (now - due).max(0) as f64 / 1000.0),
                webhooks,
            })
        })
        .await?;
    let text = state.metrics.render(&shared).map_err(|e| anyhow::anyhow!("cannot write the metrics: {e}"))?;
    Ok(HttpResponse::Ok().content_type("application/openmetrics-text; version=1.0.0; charset=utf-8").body(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_template_method_and_status_class() {
        let dir = tempfile::tempdir().expect("dir");
        let url =
            crate::db::DatabaseUrl::parse(&format!("sqlite://{}", dir.path().join("m.db").display())).expect("url");
        let metrics = Metrics::new(&Db::connect(&url, 1).expect("db"));
        metrics.request("GET", Some("/api/v1/workspaces/{workspaceId}/clients"), 200, Duration::from_millis(3));
        metrics.request("BREW", None, 418, Duration::from_millis(1));
        metrics.attempt(Some("timeout"), Duration::from_secs(15));
        let text = metrics.render(&Shared::default()).expect("text");
        assert!(text.contains(
            "keyhook_http_requests_total{method=\"GET\",route=\"/api/v1/workspaces/{workspaceId}/clients\",status=\"2xx\"} 1"
        ), "{text}");
        assert!(text.contains("keyhook_http_requests_total{method=\"other\",route=\"unmatched\",status=\"4xx\"} 1"));
        assert!(text.contains("keyhook_delivery_attempts_total{outcome=\"failed\",error_class=\"timeout\"} 1"));
        assert!(text.contains("# UNIT keyhook_attempt_duration_seconds seconds"));
        assert!(text.trim_end().ends_with("# EOF"), "OpenMetrics ends with EOF");
    }
}
