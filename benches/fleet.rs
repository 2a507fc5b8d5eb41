//! `cargo bench --bench fleet`: 1,000 webhooks, ten in each of 100 ENTERPRISE workspaces, all
//! on NEW_CLIENT: 100 endpoints hang (accept and never answer), 50 answer 500, 850 are healthy
//! (a local receiver). 100 clients a second are created through the API, spread over the
//! workspaces (about 1,000 deliveries a second), for 60 s (`KEYHOOK_BENCH_FLEET_SECS`). Prints
//! the healthy deliveries' lag from the API call that made them (p50, p99, max), healthy
//! deliveries per second, the server's peak RSS and CPU; then the same run with all 1,000
//! healthy. On SQLite, and on PostgreSQL with `KEYHOOK_BENCH_DATABASE_URL`. Asserts nothing
//! about speed; every loop is bounded in count and time.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, HttpRequest, HttpResponse};
use common::seed::Bench;
use common::{cpu_time, ms, percentile, rss_kib};
use keyhook::domain::EventType;

const WORKSPACES: usize = 100;
const HOOKS_PER_WORKSPACE: usize = 10;
const EVENTS_PER_SECOND: u64 = 100;

/// The receiver: `/ok/...` answers 200 at once and notes when each client's delivery came,
/// `/fail/...` answers 500.
#[derive(Clone, Default)]
struct Sink {
    healthy: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
    /// Arrival instants by client name.
    arrivals: Arc<Mutex<HashMap<String, Vec<Instant>>>>,
}

async fn receive(req: HttpRequest, body: web::Bytes, sink: web::Data<Sink>) -> HttpResponse {
    if req.path().starts_with("/fail/") {
        sink.failed.fetch_add(1, Ordering::Relaxed);
        return HttpResponse::InternalServerError().finish();
    }
    let at = Instant::now();
    sink.healthy.fetch_add(1, Ordering::Relaxed);
    if let Ok(payload) = serde_json::from_slice::<serde_json::Value>(&body) {
        if let Some(name) = payload["name"].as_str() {
            sink.arrivals.lock().expect("arrivals").entry(name.to_owned()).or_default().push(at);
        }
    }
    HttpResponse::Ok().finish()
}

/// An endpoint that accepts connections and never answers: the sockets are held until the
/// sender gives up on them.
fn start_hang(runtime: &tokio::runtime::Runtime) -> String {
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind the hanging endpoint");
    let port = listener.local_addr().expect("address").port();
    runtime.spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    format!("http://127.0.0.1:{port}")
}

fn seconds() -> u64 {
    std::env::var("KEYHOOK_BENCH_FLEET_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(60).clamp(5, 300)
}

/// What one run measured.
struct Figures {
    lag_p50: Duration,
    lag_p99: Duration,
    lag_max: Duration,
    arrived: usize,
    expected: usize,
    healthy_per_second: f64,
    peak_rss_kib: u64,
    cpu_share: f64,
    /// Healthy lag p99 of the calls made in each 5 s of the run: where a stall happened.
    windows: Vec<Duration>,
}

/// The lag p99 of the calls made in each [`WINDOW`] of the run, `lags` by call time.
fn by_window(mut lags: Vec<(Duration, Duration)>) -> Vec<Duration> {
    lags.sort();
    let mut windows: Vec<Vec<Duration>> = Vec::new();
    for (at, lag) in lags {
        let w = (at.as_secs_f64() / WINDOW.as_secs_f64()) as usize;
        windows.resize_with(windows.len().max(w + 1), Vec::new);
        windows[w].push(lag);
    }
    windows
        .into_iter()
        .map(|mut w| {
            w.sort();
            if w.is_empty() {
                Duration::ZERO
            } else {
                percentile(&w, 0.99)
            }
        })
        .collect()
}

const WINDOW: Duration = Duration::from_secs(5);

async fn run(url: String, sink: &Sink, sink_url: &str, hang_url: &str, failing: bool) -> anyhow::Result<Figures> {
    let bench = Bench::new(url).await?;
    let mut workspaces = Vec::new();
    let mut healthy_per_workspace = Vec::new();
    for w in 0..WORKSPACES {
        let (id, public_id) = bench.workspace(&format!("Fleet {w:03}"))?;
        let mut healthy = 0;
        for h in 0..HOOKS_PER_WORKSPACE {
            let i = w * HOOKS_PER_WORKSPACE + h;
            // One in ten hangs, one in twenty answers 500: 100 and 50 of 1,000.
            let url = match (failing, i % 10, i % 20) {
                (true, 0, _) => format!("{hang_url}/hang/{i}"),
                (true, _, 5) => format!("{sink_url}/fail/{i}"),
                _ => {
                    healthy += 1;
                    format!("{sink_url}/ok/{w}/{i}")
                }
            };
            bench.webhook_in(id, &format!("Hook {i}"), &url, EventType::NewClient)?;
        }
        workspaces.push(public_id);
        healthy_per_workspace.push(healthy);
    }
    let server = bench.serve_with(&[("KEYHOOK_SEND_TIMEOUT", "15s")]);
    let pid = server.child.id();
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    let (cpu_before, started) = (cpu_time(pid), Instant::now());
    let mut calls: Vec<(String, Instant, usize)> = Vec::new();
    let mut tasks = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / EVENTS_PER_SECOND));
    let total = seconds() * EVENTS_PER_SECOND;
    let mut peak = 0;
    for n in 0..total {
        tick.tick().await;
        let w = usize::try_from(n).unwrap_or(0) % WORKSPACES;
        let name = format!("client-{n}");
        let url = format!("{}/api/v1/workspaces/{}/clients", server.address, workspaces[w]);
        calls.push((name.clone(), Instant::now(), healthy_per_workspace[w]));
        let (client, key) = (client.clone(), bench.key.clone());
        tasks.push(tokio::spawn(async move {
            client.post(&url).header("X-Api-Key", key).json(&serde_json::json!({"name": name})).send().await
        }));
        if n % EVENTS_PER_SECOND == 0 {
            peak = peak.max(rss_kib(pid));
        }
    }
    let mut refused = 0;
    for task in tasks {
        match task.await? {
            Ok(answer) if answer.status().is_success() => {}
            _ => refused += 1,
        }
    }
    anyhow::ensure!(refused == 0, "{refused} API calls failed");
    let expected: usize = calls.iter().map(|c| c.2).sum();
    let waited = Instant::now();
    while sink_arrivals(sink, &calls) < expected && waited.elapsed() < Duration::from_secs(20) {
        peak = peak.max(rss_kib(pid));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed();
    let cpu_share = (cpu_time(pid) - cpu_before).as_secs_f64() / elapsed.as_secs_f64();
    peak = peak.max(rss_kib(pid));
    let arrivals = sink.arrivals.lock().expect("arrivals").clone();
    let timed: Vec<(Duration, Duration)> = calls
        .iter()
        .flat_map(|(name, at, _)| {
            arrivals
                .get(name)
                .into_iter()
                .flatten()
                .map(move |arrived| (at.saturating_duration_since(started), arrived.saturating_duration_since(*at)))
        })
        .collect();
    let mut lags: Vec<Duration> = timed.iter().map(|(_, lag)| *lag).collect();
    lags.sort();
    anyhow::ensure!(!lags.is_empty(), "no healthy delivery arrived");
    Ok(Figures {
        lag_p50: percentile(&lags, 0.5),
        lag_p99: percentile(&lags, 0.99),
        lag_max: *lags.last().unwrap_or(&Duration::ZERO),
        arrived: lags.len(),
        expected,
        healthy_per_second: lags.len() as f64 / elapsed.as_secs_f64(),
        peak_rss_kib: peak,
        cpu_share,
        windows: by_window(timed),
    })
}

fn sink_arrivals(sink: &Sink, calls: &[(String, Instant, usize)]) -> usize {
    let arrivals = sink.arrivals.lock().expect("arrivals");
    calls.iter().map(|(name, _, _)| arrivals.get(name).map_or(0, Vec::len)).sum()
}

fn print(label: &str, figures: &Figures) {
    println!(
        "{label}: healthy lag p50 {} p99 {} max {}; {}/{} healthy arrived, {:.0}/s; peak RSS {:.1} MiB; CPU {:.0} %",
        ms(figures.lag_p50),
        ms(figures.lag_p99),
        ms(figures.lag_max),
        figures.arrived,
        figures.expected,
        figures.healthy_per_second,
        figures.peak_rss_kib as f64 / 1024.0,
        figures.cpu_share * 100.0
    );
    let windows: Vec<String> = figures.windows.iter().map(|w| format!("{:.0}", w.as_secs_f64() * 1000.0)).collect();
    println!("  lag p99 (ms) of each {} s: {}", WINDOW.as_secs(), windows.join(" "));
}

async fn both(label: &str, url: impl Fn() -> String, hang_url: &str) {
    let mut results = Vec::new();
    for failing in [true, false] {
        // A fresh sink per run: client names repeat between runs.
        let sink = Sink::default();
        let sink_url = common::receiver::start(sink.clone(), 2, receive);
        let what = if failing { "100 hanging, 50 failing, 850 healthy" } else { "1,000 healthy" };
        match run(url(), &sink, &sink_url, hang_url, failing).await {
            Ok(figures) => {
                print(&format!("{label}, {what}"), &figures);
                results.push(figures.lag_p99);
            }
            Err(e) => println!("{label}, {what}: failed: {e:#}"),
        }
    }
    if let [with_failing, all_healthy] = results[..] {
        println!(
            "{label}: healthy lag p99 with failing endpoints / all healthy: {:.2}x",
            with_failing.as_secs_f64() / all_healthy.as_secs_f64().max(1e-6)
        );
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    keyhook::tls::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let hang_url = start_hang(&runtime);
    println!(
        "keyhook fleet benchmark: release binary, loopback, {} cores, {} s at {EVENTS_PER_SECOND} events/s per run",
        std::thread::available_parallelism().map_or(0, usize::from),
        seconds()
    );
    let dir = tempfile::tempdir().expect("dir");
    let runs = std::sync::atomic::AtomicUsize::new(0);
    let sqlite = || {
        let n = runs.fetch_add(1, Ordering::SeqCst);
        format!("sqlite://{}", Path::new(dir.path()).join(format!("fleet-{n}.db")).display())
    };
    // KEYHOOK_BENCH_POSTGRES_ONLY=1 skips SQLite.
    if std::env::var_os("KEYHOOK_BENCH_POSTGRES_ONLY").is_none() {
        runtime.block_on(both("SQLite", sqlite, &hang_url));
    }
    match std::env::var("KEYHOOK_BENCH_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            runtime.block_on(both("PostgreSQL", || common::fresh_postgres(&admin), &hang_url));
        }
        _ => println!("PostgreSQL: not measured (set KEYHOOK_BENCH_DATABASE_URL to a server with CREATEDB rights)"),
    }
}
