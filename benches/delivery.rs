//! `cargo bench --bench delivery`: the webhook sender against a fast local receiver, on SQLite
//! and (with `KEYHOOK_BENCH_DATABASE_URL`, a PostgreSQL role with CREATEDB) PostgreSQL:
//! the receiver's own ceiling, sustained deliveries/s to 1 and to 50 webhooks from a backlog,
//! memory while draining a 100,000-delivery backlog, event-to-arrival latency at 100 events/s,
//! live traffic through the API to one webhook and fanned out to 50, an outage's drain (100,000 queued while
//! its endpoint answered 503), and listing the newest 50 attempts of a webhook with 1,000,000
//! attempts stored.
//! Prints figures; asserts nothing about speed. Every loop is bounded in count and time.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, HttpRequest, HttpResponse};
use common::seed::Bench;
use common::{median, ms, percentile, rss_kib, Server};
use keyhook::domain::EventType;
use keyhook::services::{events, ServiceError};

const DRAIN_LIMIT: Duration = Duration::from_secs(120);

/// A receiver that answers 200 at once, counting requests and noting when each message came;
/// `/outage` answers 503 while `down` is set.
#[derive(Clone, Default)]
struct Sink {
    count: Arc<AtomicU64>,
    arrivals: Arc<Mutex<HashMap<String, Instant>>>,
    down: Arc<AtomicBool>,
    /// Deliveries answered 200 at `/outage` and at `/live`.
    outage: Arc<AtomicU64>,
    live: Arc<AtomicU64>,
}

async fn receive(req: HttpRequest, sink: web::Data<Sink>) -> HttpResponse {
    match req.path() {
        "/outage" if sink.down.load(Ordering::Relaxed) => return HttpResponse::ServiceUnavailable().finish(),
        "/outage" => sink.outage.fetch_add(1, Ordering::Relaxed),
        live if live.starts_with("/live") => sink.live.fetch_add(1, Ordering::Relaxed),
        _ => 0,
    };
    sink.count.fetch_add(1, Ordering::Relaxed);
    if req.path() == "/latency" {
        if let Some(id) = req.headers().get("webhook-id").and_then(|v| v.to_str().ok()) {
            sink.arrivals.lock().expect("arrivals").insert(id.to_owned(), Instant::now());
        }
    }
    HttpResponse::Ok().finish()
}

/// The sink's own ceiling: 64 clients posting as fast as they can, 20,000 requests.
async fn sink_ceiling(url: &str) -> f64 {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (client, url) = (client.clone(), format!("{url}/ceiling"));
        tasks.push(tokio::spawn(async move {
            for _ in 0..(20_000 / 64) {
                client.post(&url).body("{}").send().await.expect("POST");
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    (20_000 / 64 * 64) as f64 / started.elapsed().as_secs_f64()
}

/// Appends `n` events (and their deliveries) through the outbox, 500 to a transaction.
fn backlog(bench: &Bench, event: EventType, n: usize) -> anyhow::Result<()> {
    let payload = keyhook::domain::sample_payload(event, "0123456789abcdef01234567");
    let ws = bench.workspace_id;
    for chunk in 0..n.div_ceil(500) {
        let count = (n - chunk * 500).min(500);
        let payload = payload.clone();
        bench.db.write_blocking(move |conn| -> Result<(), ServiceError> {
            for _ in 0..count {
                events::emit(conn, ws, event, &payload)?;
            }
            Ok(())
        })?;
    }
    Ok(())
}
/// An attempt's status code and error class.
type Outcome = (Option<i32>, Option<String>);

/// The failed attempts stored so far, by status or error class (a drain that stops short says why).
async fn failures(bench: &Bench) -> String {
    use diesel::prelude::*;
    use keyhook::db::schema::attempts;
    let failed = bench
        .db
        .read(|conn| -> Result<Vec<Outcome>, ServiceError> {
            Ok(attempts::table
                .filter(attempts::succeeded.eq(false))
                .select((attempts::status_code, attempts::error_class))
                .load(conn)?)
        })
        .await
        .unwrap_or_default();
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for (status, class) in failed {
        *counts.entry(keyhook::domain::attempt_status(status, class.as_deref())).or_default() += 1;
    }
    format!("{counts:?}")
}

/// Starts the server on the bench's database and waits (at most [`DRAIN_LIMIT`]) until the sink
/// has `expected` more requests: answers the rate from the server's start, the peak RSS and the
/// running server. The count starts before the server does: its sender sends from its first
/// moment, before it answers a request (counting from then missed the first few deliveries, and
/// every drain waited out its limit for them).
async fn drain(sink: &Sink, bench: &Bench, expected: u64) -> (f64, u64, Server) {
    let start_count = sink.count.load(Ordering::Relaxed);
    let started = Instant::now();
    let server = bench.serve();
    let mut peak = 0;
    while sink.count.load(Ordering::Relaxed) - start_count < expected && started.elapsed() < DRAIN_LIMIT {
        peak = peak.max(rss_kib(server.child.id()));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let done = sink.count.load(Ordering::Relaxed) - start_count;
    if done < expected {
        println!("  (stopped waiting after {DRAIN_LIMIT:?}: {done} of {expected} arrived)");
    }
    (done as f64 / started.elapsed().as_secs_f64(), peak, server)
}

/// Waits (at most [`DRAIN_LIMIT`]) until `counter` reaches `target`; answers when it did.
async fn reached(counter: &AtomicU64, target: u64) -> Option<Instant> {
    let started = Instant::now();
    while counter.load(Ordering::Relaxed) < target {
        if started.elapsed() > DRAIN_LIMIT {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Some(Instant::now())
}

const LIVE: u64 = 20_000;
/// The fan-out's deliveries: 800 events to 50 webhooks.
const FAN_OUT: u64 = 40_000;

/// Live traffic: `hooks` webhooks of `event`, and 32 clients publishing `deliveries / hooks`
/// events through the API (each request answered after its commit, which group commit shares);
/// answers deliveries/s from the first request to the last arrival.
async fn live_rate(
    bench: &Bench,
    server: &Server,
    sink: &Sink,
    sink_url: &str,
    (event, hooks, deliveries): (EventType, u64, u64),
) -> anyhow::Result<f64> {
    for i in 0..hooks {
        bench.webhook("live", &format!("{sink_url}/live/{}/{i}", event.as_str()), event)?;
    }
    // The sink outlives a database's run: count this run's deliveries only.
    sink.live.store(0, Ordering::Relaxed);
    let url = Arc::new(format!("{}/api/v1/workspaces/{}/events", server.address, bench.workspace));
    let client = reqwest::Client::new();
    let per_client = deliveries / hooks / 32;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (client, url, key) = (client.clone(), url.clone(), bench.key.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0..per_client {
                let body = serde_json::json!({"event": event.as_str(), "payload": {"n": n}});
                let answer = client.post(url.as_str()).header("X-Api-Key", &key).json(&body).send().await?;
                anyhow::ensure!(answer.status().is_success(), "publishing answered {}", answer.status());
            }
            Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let expected = per_client * 32 * hooks;
    let done = reached(&sink.live, expected).await.ok_or_else(|| {
        anyhow::anyhow!("live deliveries stopped short: {} of {expected}", sink.live.load(Ordering::Relaxed))
    })?;
    Ok(expected as f64 / done.duration_since(started).as_secs_f64())
}

const OUTAGE: u64 = 100_000;

/// What an outage's end looks like: the wait for the circuit's probe, then the drain's rate.
struct Recovery {
    first_after: Duration,
    drain_rate: f64,
    ninety_nine_after: Duration,
}

/// One webhook's endpoint answers 503 while [`OUTAGE`] deliveries queue for it (its circuit
/// opens and they wait in the database), then comes back. The few attempted while it was down
/// wait for their retry, so the drain is timed to 99 % of the backlog.
async fn outage(bench: &Bench, sink: &Sink, sink_url: &str) -> anyhow::Result<Recovery> {
    bench.webhook("outage", &format!("{sink_url}/outage"), EventType::NewProject)?;
    sink.down.store(true, Ordering::Relaxed);
    sink.outage.store(0, Ordering::Relaxed);
    backlog(bench, EventType::NewProject, OUTAGE as usize)?;
    // Long enough for a probe or two to fail too.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let up = Instant::now();
    sink.down.store(false, Ordering::Relaxed);
    let first = reached(&sink.outage, 1).await.ok_or_else(|| anyhow::anyhow!("no probe after the outage"))?;
    let target = OUTAGE * 99 / 100;
    let last = reached(&sink.outage, target)
        .await
        .ok_or_else(|| anyhow::anyhow!("{} of {target} drained", sink.outage.load(Ordering::Relaxed)))?;
    Ok(Recovery {
        first_after: first - up,
        drain_rate: (target - 1) as f64 / (last - first).as_secs_f64(),
        ninety_nine_after: last - up,
    })
}

async fn run(label: &str, url: String, sink: &Sink, sink_url: &str) -> anyhow::Result<()> {
    let bench = Bench::new(url).await?;
    let (key, workspace_public) = (bench.key.clone(), bench.workspace.clone());

    // 1 webhook, 20,000 deliveries.
    let single = bench.webhook("bench", &format!("{sink_url}/one"), EventType::NewTag)?;
    backlog(&bench, EventType::NewTag, 20_000)?;
    let (rate, _, server) = drain(sink, &bench, 20_000).await;
    println!("{label}: 20,000 deliveries to 1 webhook: {rate:.0}/s (failed attempts: {})", failures(&bench).await);
    drop(server);

    // 50 webhooks, 400 events each = 20,000 deliveries.
    for i in 0..50 {
        bench.webhook("bench", &format!("{sink_url}/many/{i}"), EventType::NewClient)?;
    }
    backlog(&bench, EventType::NewClient, 400)?;
    let (rate, _, server) = drain(sink, &bench, 20_000).await;
    println!("{label}: 20,000 deliveries to 50 webhooks: {rate:.0}/s");
    drop(server);

    // A 100,000-delivery backlog: memory while it drains.
    backlog(&bench, EventType::NewClient, 2_000)?;
    let (rate, peak, server) = drain(sink, &bench, 100_000).await;
    println!("{label}: 100,000-delivery backlog drained at {rate:.0}/s, peak RSS {:.1} MiB", peak as f64 / 1024.0);

    // Event-to-arrival latency at 100 events/s (test sends through the API: a transaction each).
    let latency_hook = bench.webhook("bench", &format!("{sink_url}/latency"), EventType::NewTag)?;
    let test =
        format!("{}/api/v1/workspaces/{workspace_public}/webhooks/{}/test", server.address, latency_hook.public_id);
    let client = reqwest::Client::new();
    let mut sent = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    for _ in 0..500 {
        tick.tick().await;
        let at = Instant::now();
        let answer: serde_json::Value = client.post(&test).header("X-Api-Key", &key).send().await?.json().await?;
        sent.push((answer["messageId"].as_str().unwrap_or("").to_owned(), at));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let arrivals = sink.arrivals.lock().expect("arrivals").clone();
    let mut latencies: Vec<Duration> =
        sent.iter().filter_map(|(id, at)| arrivals.get(id).map(|arrived| arrived.duration_since(*at))).collect();
    latencies.sort();
    if latencies.is_empty() {
        println!("{label}: latency: no arrivals recorded");
    } else {
        println!(
            "{label}: event-to-arrival at 100 events/s: {} of 500 arrived, p50 {}, p99 {}",
            latencies.len(),
            ms(percentile(&latencies, 0.5)),
            ms(percentile(&latencies, 0.99))
        );
    }

    // Live traffic against an outage's drain, one webhook each.
    match live_rate(&bench, &server, sink, sink_url, (EventType::BillableRateUpdated, 1, LIVE)).await {
        Ok(rate) => println!("{label}: live, 32 clients publishing to 1 webhook: {rate:.0} deliveries/s"),
        Err(e) => println!("{label}: live: failed: {e:#}"),
    }
    match live_rate(&bench, &server, sink, sink_url, (EventType::NewTask, 50, FAN_OUT)).await {
        Ok(rate) => println!("{label}: live fan-out, 32 clients publishing to 50 webhooks: {rate:.0} deliveries/s"),
        Err(e) => println!("{label}: live fan-out: failed: {e:#}"),
    }
    match outage(&bench, sink, sink_url).await {
        Ok(r) => println!(
            "{label}: outage of 1 webhook with 100,000 queued: first delivery {} after it came back, \
             then {:.0}/s (99 % delivered {:.1} s after it came back)",
            ms(r.first_after),
            r.drain_rate,
            r.ninety_nine_after.as_secs_f64()
        ),
        Err(e) => println!("{label}: outage: failed: {e:#}"),
    }

    // 1,000,000 attempts of one webhook: the newest 50, through the API.
    bench.attempts(&single, 1_000_000, 1_600_000_000_000).await?;
    let logs = format!(
        "{}/api/v1/workspaces/{workspace_public}/webhooks/{}/logs?page-size=50",
        server.address, single.public_id
    );
    let mut times = Vec::new();
    for _ in 0..21 {
        let at = Instant::now();
        let page: serde_json::Value = client.get(&logs).header("X-Api-Key", &key).send().await?.json().await?;
        times.push(at.elapsed());
        anyhow::ensure!(page.as_array().map(Vec::len) == Some(50), "a full page");
    }
    println!("{label}: newest 50 attempts of 1,000,000 (GET /logs, over HTTP): median {}", ms(median(times)));
    drop(server);
    drop(bench);
    Ok(())
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    keyhook::tls::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let sink = Sink::default();
    let sink_url = common::receiver::start(sink.clone(), 2, receive);
    println!(
        "keyhook delivery benchmark: release binary, loopback, {} cores",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    let ceiling = runtime.block_on(sink_ceiling(&sink_url));
    println!("receiver ceiling (64 clients posting, no keyhook): {ceiling:.0} requests/s");
    let dir = tempfile::tempdir().expect("dir");
    let sqlite = format!("sqlite://{}", Path::new(dir.path()).join("delivery.db").display());
    // KEYHOOK_BENCH_POSTGRES_ONLY=1 skips SQLite.
    if std::env::var_os("KEYHOOK_BENCH_POSTGRES_ONLY").is_none() {
        if let Err(e) = runtime.block_on(run("SQLite", sqlite, &sink, &sink_url)) {
            println!("SQLite: failed: {e:#}");
        }
    }
    match std::env::var("KEYHOOK_BENCH_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            if let Err(e) = runtime.block_on(run("PostgreSQL", common::fresh_postgres(&admin), &sink, &sink_url)) {
                println!("PostgreSQL: failed: {e:#}");
            }
        }
        _ => println!("PostgreSQL: not measured (set KEYHOOK_BENCH_DATABASE_URL to a server with CREATEDB rights)"),
    }
}
