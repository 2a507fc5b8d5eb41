//! `cargo bench --bench queue_memory`: the server's memory while deliveries pile up for an
//! endpoint that accepts connections and never answers. 2,000 events of 250 KB are published
//! to one webhook; the sender's in-memory hand-off is bounded by count and by bytes (64 MiB),
//! and what does not fit waits in the database. Prints resident memory before, at its peak
//! while publishing, and once the publishing is done; asserts nothing about speed.
//!
//! Bounded in count (`EVENTS`) and time (`LIMIT`); all traffic is on 127.0.0.1.

mod common;

use std::time::{Duration, Instant};

use common::{csrf, generate_key, rss_kib, sign_in, start_with};
use serde_json::json;

const EVENTS: usize = 2_000;
const PAYLOAD_BYTES: usize = 250 * 1000;
const PUBLISHERS: usize = 8;
const LIMIT: Duration = Duration::from_secs(240);

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    keyhook::tls::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(run());
}

/// Accepts connections and holds them open without reading or answering.
async fn hanging_endpoint() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (port, task)
}

async fn run() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let env = [
        ("KEYHOOK_ALLOW_PRIVATE_NETWORKS", "127.0.0.0/8"),
        ("KEYHOOK_ONLY_ALLOWED_NETWORKS", "true"),
        ("KEYHOOK_SEND_TIMEOUT", "120s"),
        ("KEYHOOK_API_RATE_LIMIT", "0"),
    ];
    let (server, _) = start_with(&url, dir.path(), &env);
    let (owner, ws) = sign_in(&server).await;
    let page = owner.get(format!("{}/preferences", server.address)).send().await.expect("page");
    let token = csrf(&page.text().await.expect("body"));
    owner
        .post(format!("{}/workspaces/{ws}/settings/plan", server.address))
        .form(&[("csrf_token", token.as_str()), ("plan", "PRO")])
        .send()
        .await
        .expect("upgrade");
    let key = generate_key(&server, &owner, "bench").await;
    let (port, _endpoint) = hanging_endpoint().await;
    let api = format!("{}/api/v1/workspaces/{ws}", server.address);
    let http = reqwest::Client::new();
    let hook =
        json!({"name": "hangs", "url": format!("http://127.0.0.1:{port}/hook"), "webhookEvent": "EXPENSE_CREATED"});
    let created =
        http.post(format!("{api}/webhooks")).header("X-Api-Key", &key).json(&hook).send().await.expect("hook");
    assert!(created.status().is_success(), "webhook: {}", created.status());

    let pid = server.child.id();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(pid);
    println!("keyhook queue memory: {EVENTS} events of {} KB to one hanging endpoint, SQLite", PAYLOAD_BYTES / 1000);
    println!("RSS before publishing: {:.1} MiB", before as f64 / 1024.0);

    let started = Instant::now();
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(before));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                peak.fetch_max(rss_kib(pid), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let filler = "x".repeat(PAYLOAD_BYTES);
    let mut tasks = Vec::new();
    for publisher in 0..PUBLISHERS {
        let (http, url, key, filler) = (http.clone(), format!("{api}/events"), key.clone(), filler.clone());
        tasks.push(tokio::spawn(async move {
            let mut published = 0;
            for i in (publisher..EVENTS).step_by(PUBLISHERS) {
                if started.elapsed() > LIMIT {
                    break;
                }
                let body = json!({"event": "EXPENSE_CREATED", "payload": {"id": i, "note": filler}});
                let answer = http.post(&url).header("X-Api-Key", &key).json(&body).send().await.expect("publish");
                published += usize::from(answer.status().is_success());
            }
            published
        }));
    }
    let mut published = 0;
    for task in tasks {
        published += task.await.expect("publisher");
    }
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    sampler.abort();
    let after = rss_kib(pid);
    let peak = peak.load(std::sync::atomic::Ordering::Relaxed).max(after);
    println!("published {published} of {EVENTS} in {:.1} s", took.as_secs_f64());
    println!("RSS peak while publishing: {:.1} MiB", peak as f64 / 1024.0);
    println!("RSS 2 s after publishing:  {:.1} MiB", after as f64 / 1024.0);
    println!(
        "growth: {:.1} MiB (the hand-off bound is {} MiB of payloads)",
        (peak.saturating_sub(before)) as f64 / 1024.0,
        keyhook::db::outbox::MAX_WAITING_BYTES / (1024 * 1024)
    );
}
