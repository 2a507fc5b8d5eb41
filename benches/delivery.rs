//! `cargo bench --bench delivery`: the webhook sender against a fast local receiver, on SQLite
//! and (with `KEYHOOK_BENCH_DATABASE_URL`, a PostgreSQL role with CREATEDB) PostgreSQL:
//! the receiver's own ceiling, sustained deliveries/s to 1 and to 50 webhooks from a backlog,
//! memory while draining a 100,000-delivery backlog, event-to-arrival latency at 100 events/s,
//! and listing the newest 50 attempts of a webhook with 1,000,000 attempts stored.
//! Prints figures; asserts nothing about speed. Every loop is bounded in count and time.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::Engine;
use common::{generate_key, median, ms, percentile, rss_kib, sign_in, start_with, Server};
use diesel::prelude::*;
use keyhook::crypto::SecretBox;
use keyhook::db::schema::{users, workspaces};
use keyhook::db::webhooks::{NewWebhook, Webhook};
use keyhook::db::{DatabaseUrl, Db};
use keyhook::domain::{new_public_id, EventType, SigningSecret};
use keyhook::services::{events, ServiceError};

const DRAIN_LIMIT: Duration = Duration::from_secs(120);

/// A receiver that answers 200 at once, counting requests and noting when each message came.
#[derive(Clone, Default)]
struct Sink {
    count: Arc<AtomicU64>,
    arrivals: Arc<Mutex<HashMap<String, Instant>>>,
}

async fn receive(req: HttpRequest, sink: web::Data<Sink>) -> HttpResponse {
    sink.count.fetch_add(1, Ordering::Relaxed);
    if req.path() == "/latency" {
        if let Some(id) = req.headers().get("webhook-id").and_then(|v| v.to_str().ok()) {
            sink.arrivals.lock().expect("arrivals").insert(id.to_owned(), Instant::now());
        }
    }
    HttpResponse::Ok().finish()
}

fn start_sink(sink: Sink) -> String {
    let server =
        HttpServer::new(move || App::new().app_data(web::Data::new(sink.clone())).default_service(web::to(receive)))
            .workers(2)
            .bind(("127.0.0.1", 0))
            .expect("bind the sink");
    let port = server.addrs()[0].port();
    let running = server.run();
    std::thread::spawn(move || actix_web::rt::System::new().block_on(running));
    format!("http://127.0.0.1:{port}")
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

struct Bench {
    url: String,
    dir: tempfile::TempDir,
    env: Vec<(&'static str, String)>,
    db: Db,
    secrets: SecretBox,
    workspace_id: i64,
    user_id: i64,
}

impl Bench {
    fn serve(&self) -> Server {
        let env: Vec<(&str, &str)> = self.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        start_with(&self.url, self.dir.path(), &env).0
    }

    /// A webhook inserted directly (the API would rightly refuse 50 for one user).
    fn webhook(&self, url: &str, event: EventType) -> anyhow::Result<Webhook> {
        let secret = self.secrets.seal(SigningSecret::generate().expose())?;
        let token = self.secrets.seal("bench-token")?;
        let now = keyhook::services::now_ms();
        let (ws, user) = (self.workspace_id, self.user_id);
        let (url, event) = (url.to_owned(), event.as_str());
        Ok(self.db.write_blocking(move |conn| -> Result<_, ServiceError> {
            Ok(Webhook::insert(
                conn,
                &NewWebhook {
                    public_id: &new_public_id(),
                    workspace_id: ws,
                    user_id: Some(user),
                    name: "bench",
                    url: &url,
                    event_type: event,
                    trigger_source_type: "WORKSPACE_ID",
                    trigger_source: "[]",
                    secret_sealed: &secret,
                    auth_token_sealed: &token,
                    enabled: true,
                    plan_enabled: true,
                    disabled_reason: None,
                    disabled_at: None,
                    kind: "USER_CREATED",
                    created_at: now,
                    updated_at: now,
                    create_token: None,
                },
            )?)
        })?)
    }

    /// Appends `n` events (and their deliveries) through the outbox, 500 to a transaction.
    fn backlog(&self, event: EventType, n: usize) -> anyhow::Result<()> {
        let payload = keyhook::domain::sample_payload(event, "0123456789abcdef01234567");
        let ws = self.workspace_id;
        for chunk in 0..n.div_ceil(500) {
            let count = (n - chunk * 500).min(500);
            let payload = payload.clone();
            self.db.write_blocking(move |conn| -> Result<(), ServiceError> {
                for _ in 0..count {
                    events::emit(conn, ws, event, &payload)?;
                }
                Ok(())
            })?;
        }
        Ok(())
    }
}

async fn drain(sink: &Sink, server: &Server, expected: u64) -> (f64, u64) {
    let start_count = sink.count.load(Ordering::Relaxed);
    let started = Instant::now();
    let mut peak = 0;
    while sink.count.load(Ordering::Relaxed) - start_count < expected && started.elapsed() < DRAIN_LIMIT {
        peak = peak.max(rss_kib(server.child.id()));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let done = sink.count.load(Ordering::Relaxed) - start_count;
    (done as f64 / started.elapsed().as_secs_f64(), peak)
}

async fn run(label: &str, url: String, sink: &Sink, sink_url: &str) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let engine = base64::engine::general_purpose::STANDARD;
    let encryption = [7u8; 32];
    let env = vec![
        ("KEYHOOK_SESSION_KEY", engine.encode([9u8; 64])),
        ("KEYHOOK_ENCRYPTION_KEY", engine.encode(encryption)),
        ("KEYHOOK_ALLOW_PRIVATE_NETWORKS", "127.0.0.0/8".to_owned()),
        ("KEYHOOK_API_RATE_LIMIT", "0".to_owned()),
        ("KEYHOOK_LOG", "warn".to_owned()),
    ];
    let db = Db::connect(&DatabaseUrl::parse(&url)?, 4)?;
    let mut bench = Bench { url, dir, env, db, secrets: SecretBox::new(&encryption)?, workspace_id: 0, user_id: 0 };

    // Set up through the server, then look the ids up.
    let server = bench.serve();
    let (owner, workspace) = sign_in(&server).await;
    let key = generate_key(&server, &owner, "bench").await;
    drop(server);
    let lookup = workspace.clone();
    let (ws_id, user_id) = bench
        .db
        .read(move |conn| -> Result<_, ServiceError> {
            let ws: i64 =
                workspaces::table.filter(workspaces::public_id.eq(&lookup)).select(workspaces::id).first(conn)?;
            let user: i64 = users::table.select(users::id).first(conn)?;
            Ok((ws, user))
        })
        .await?;
    bench.workspace_id = ws_id;
    bench.user_id = user_id;
    // A paid plan, so the API accepts the latency webhook beside the 51 inserted ones.
    bench
        .db
        .write(move |conn| -> Result<(), ServiceError> {
            keyhook::db::workspaces::Workspace::set_plan(conn, ws_id, "ENTERPRISE")?;
            Ok(())
        })
        .await?;
    let workspace_public = workspace;

    // 1 webhook, 20,000 deliveries.
    let single = bench.webhook(&format!("{sink_url}/one"), EventType::NewTag)?;
    bench.backlog(EventType::NewTag, 20_000)?;
    let server = bench.serve();
    let (rate, _) = drain(sink, &server, 20_000).await;
    println!("{label}: 20,000 deliveries to 1 webhook: {rate:.0}/s");
    drop(server);

    // 50 webhooks, 400 events each = 20,000 deliveries.
    for i in 0..50 {
        bench.webhook(&format!("{sink_url}/many/{i}"), EventType::NewClient)?;
    }
    bench.backlog(EventType::NewClient, 400)?;
    let server = bench.serve();
    let (rate, _) = drain(sink, &server, 20_000).await;
    println!("{label}: 20,000 deliveries to 50 webhooks: {rate:.0}/s");
    drop(server);

    // A 100,000-delivery backlog: memory while it drains.
    bench.backlog(EventType::NewClient, 2_000)?;
    let server = bench.serve();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (rate, peak) = drain(sink, &server, 100_000).await;
    println!("{label}: 100,000-delivery backlog drained at {rate:.0}/s, peak RSS {:.1} MiB", peak as f64 / 1024.0);

    // Event-to-arrival latency at 100 events/s (test sends through the API: a transaction each).
    let latency_hook = bench.webhook(&format!("{sink_url}/latency"), EventType::NewTag)?;
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

    // 1,000,000 attempts of one webhook: the newest 50, through the API.
    let hook_id = single.id;
    bench.db.write(move |conn| -> Result<(), ServiceError> {
        let delivery: i64 = keyhook::db::schema::deliveries::table
            .filter(keyhook::db::schema::deliveries::webhook_id.eq(hook_id))
            .select(keyhook::db::schema::deliveries::id)
            .first(conn)?;
        let sql = format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) \
             INSERT INTO attempts (public_id, delivery_id, webhook_id, trigger, attempted_at, duration_ms, succeeded, \
               status_code, request_headers, request_body, response_body_base64) \
             SELECT 'bench' || i, {delivery}, {hook_id}, 'EVENT', 1600000000000 + i * 1000, 3, TRUE, 200, '{{}}', '{{}}', FALSE FROM n"
        );
        diesel::sql_query(sql).execute(conn)?;
        // As autovacuum would soon after such growth; measures the query, not stale statistics.
        if matches!(conn, keyhook::db::DbConnection::Postgresql(_)) {
            diesel::sql_query("ANALYZE attempts").execute(conn)?;
        }
        Ok(())
    })
    .await?;
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
    let sink_url = start_sink(sink.clone());
    println!(
        "keyhook delivery benchmark: release binary, loopback, {} cores",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    let ceiling = runtime.block_on(sink_ceiling(&sink_url));
    println!("receiver ceiling (64 clients posting, no keyhook): {ceiling:.0} requests/s");
    let dir = tempfile::tempdir().expect("dir");
    let sqlite = format!("sqlite://{}", Path::new(dir.path()).join("delivery.db").display());
    if let Err(e) = runtime.block_on(run("SQLite", sqlite, &sink, &sink_url)) {
        println!("SQLite: failed: {e:#}");
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
