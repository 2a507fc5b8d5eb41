//! `cargo bench --bench entries`: time entries created through the API by 16 concurrent
//! clients on loopback while three webhooks subscribe to NEW_TIME_ENTRY, on SQLite and (with
//! `KEYHOOK_BENCH_DATABASE_URL`, a PostgreSQL role with CREATEDB) PostgreSQL: API writes/s,
//! API latency, and the delivery lag from commit to each arrival at a local receiver (bounded
//! below by the lag from the API's answer, above by the lag from the request's sending).
//! Prints figures; asserts nothing about speed. Bounded in count and time.
//! `KEYHOOK_BENCH_WEBHOOKS=0` measures the API alone; `KEYHOOK_BENCH_POSTGRES_ONLY=1` skips SQLite.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, HttpResponse};
use common::seed::Bench;
use common::{ms, percentile};

const CLIENTS: usize = 16;
const PER_CLIENT: usize = 500;
const LOAD_LIMIT: Duration = Duration::from_secs(30);
const DRAIN_LIMIT: Duration = Duration::from_secs(60);
const WEBHOOKS: usize = 3;

/// Arrival times at the receiver, by the time entry's id in the payload.
type Arrivals = Arc<Mutex<HashMap<String, Vec<Instant>>>>;

async fn receive(body: web::Bytes, arrivals: web::Data<Arrivals>) -> HttpResponse {
    let at = Instant::now();
    if let Some(id) =
        serde_json::from_slice::<serde_json::Value>(&body).ok().and_then(|v| v["id"].as_str().map(str::to_owned))
    {
        arrivals.lock().expect("arrivals").entry(id).or_default().push(at);
    }
    HttpResponse::Ok().finish()
}

async fn run(label: &str, url: String, receiver: &str, arrivals: &Arrivals) -> anyhow::Result<()> {
    let bench = Bench::new(url).await?;
    let server = bench.serve();
    let client = reqwest::Client::new();
    let api = format!("{}/api/v1/workspaces/{}", server.address, bench.workspace);
    // KEYHOOK_BENCH_WEBHOOKS=0 measures the API alone.
    let webhooks: usize = std::env::var("KEYHOOK_BENCH_WEBHOOKS").ok().and_then(|n| n.parse().ok()).unwrap_or(WEBHOOKS);
    for i in 0..webhooks {
        let body = serde_json::json!({"name": format!("entries {i}"), "url": format!("{receiver}/{i}"), "webhookEvent": "NEW_TIME_ENTRY"});
        let answer = client.post(format!("{api}/webhooks")).header("X-Api-Key", &bench.key).json(&body).send().await?;
        anyhow::ensure!(answer.status().is_success(), "webhook: {}", answer.text().await?);
    }
    arrivals.lock().expect("arrivals").clear();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (client, url, key) = (client.clone(), format!("{api}/time-entries"), bench.key.clone());
        tasks.push(tokio::spawn(async move {
            let mut done = Vec::with_capacity(PER_CLIENT);
            for i in 0..PER_CLIENT {
                if started.elapsed() > LOAD_LIMIT {
                    break;
                }
                let minute = (c * PER_CLIENT + i) as i64;
                let start = jiff::Timestamp::from_second(1_767_225_600 + minute * 60).expect("instant");
                let end = jiff::Timestamp::from_second(1_767_225_600 + minute * 60 + 45).expect("instant");
                let body =
                    serde_json::json!({"start": start.to_string(), "end": end.to_string(), "description": "bench"});
                let sent = Instant::now();
                let answer = client.post(&url).header("X-Api-Key", &key).json(&body).send().await.expect("POST");
                assert_eq!(answer.status(), reqwest::StatusCode::CREATED);
                let entry: serde_json::Value = answer.json().await.expect("JSON");
                let answered = Instant::now();
                done.push((entry["id"].as_str().unwrap_or("").to_owned(), sent, answered));
            }
            done
        }));
    }
    let mut done = Vec::new();
    for task in tasks {
        done.extend(task.await?);
    }
    let elapsed = started.elapsed();
    let expected = done.len() * webhooks;
    let drain = Instant::now();
    loop {
        let arrived: usize = arrivals.lock().expect("arrivals").values().map(Vec::len).sum();
        if arrived >= expected || drain.elapsed() > DRAIN_LIMIT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let arrivals = arrivals.lock().expect("arrivals").clone();
    let mut latencies: Vec<Duration> = done.iter().map(|(_, sent, answered)| *answered - *sent).collect();
    latencies.sort();
    // The commit happens between the request's sending and its answer: the lag from commit to
    // arrival lies between these two measures.
    let lag_from = |pick: fn(&(String, Instant, Instant)) -> Instant| {
        let mut lags: Vec<Duration> = done
            .iter()
            .flat_map(|entry| {
                let from = pick(entry);
                arrivals.get(&entry.0).into_iter().flatten().map(move |at| at.saturating_duration_since(from))
            })
            .collect();
        lags.sort();
        lags
    };
    let lags = lag_from(|(_, _, answered)| *answered);
    let upper = lag_from(|(_, sent, _)| *sent);
    println!(
        "{label}: {} entries in {:.2} s = {:.0} writes/s; API p50 {} p99 {}; {} of {} deliveries arrived; lag answer→arrival p50 {} p99 {} (request sent→arrival p99 {})",
        done.len(),
        elapsed.as_secs_f64(),
        done.len() as f64 / elapsed.as_secs_f64(),
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        lags.len(),
        expected,
        if lags.is_empty() { "-".into() } else { ms(percentile(&lags, 0.5)) },
        if lags.is_empty() { "-".into() } else { ms(percentile(&lags, 0.99)) },
        if upper.is_empty() { "-".into() } else { ms(percentile(&upper, 0.99)) },
    );
    Ok(())
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    keyhook::tls::install_crypto_provider();
    println!(
        "keyhook time entries benchmark: release binary, loopback, {CLIENTS} clients, {WEBHOOKS} webhooks on NEW_TIME_ENTRY, {} cores",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let arrivals: Arrivals = Arc::default();
    let receiver = common::receiver::start(arrivals.clone(), 1, receive);
    let dir = tempfile::tempdir().expect("dir");
    let sqlite = format!("sqlite://{}", Path::new(dir.path()).join("entries.db").display());
    // KEYHOOK_BENCH_POSTGRES_ONLY=1 skips SQLite (to profile PostgreSQL alone).
    if std::env::var("KEYHOOK_BENCH_POSTGRES_ONLY").is_err() {
        if let Err(e) = runtime.block_on(run("SQLite", sqlite, &receiver, &arrivals)) {
            println!("SQLite: failed: {e:#}");
        }
    }
    match std::env::var("KEYHOOK_BENCH_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            if let Err(e) = runtime.block_on(run("PostgreSQL", common::fresh_postgres(&admin), &receiver, &arrivals)) {
                println!("PostgreSQL: failed: {e:#}");
            }
        }
        _ => println!("PostgreSQL: not measured (set KEYHOOK_BENCH_DATABASE_URL to a server with CREATEDB rights)"),
    }
}
