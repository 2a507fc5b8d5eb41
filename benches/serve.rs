//! `cargo bench --bench serve`: start-up time, page throughput and latency under 32
//! concurrent clients, and resident memory, measured against the release binary on
//! loopback with SQLite. Prints figures; asserts nothing about speed.
//!
//! Load is bounded in count (`REQUESTS_PER_CLIENT`) and time (`LOAD_LIMIT`).

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const STARTS: usize = 10;
const CLIENTS: usize = 32;
const REQUESTS_PER_CLIENT: usize = 400;
const LOAD_LIMIT: Duration = Duration::from_secs(30);

struct Server {
    child: Child,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// Starts `keyhook serve` on `dir`'s database; answers the server and the time from spawn
/// to its first answered request.
fn start(dir: &Path) -> (Server, Duration) {
    let port = free_port();
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_keyhook"))
        .env("KEYHOOK_DATABASE_URL", format!("sqlite://{}", dir.join("bench.db").display()))
        .env("KEYHOOK_BIND", format!("127.0.0.1:{port}"))
        .env("KEYHOOK_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("keyhook starts");
    let address = format!("127.0.0.1:{port}");
    let server = Server { child, address: format!("http://{address}") };
    let deadline = started + Duration::from_secs(10);
    loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(&address) {
            use std::io::{Read, Write};
            let request = format!("GET /login HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
            let mut first = [0u8; 12];
            if stream.write_all(request.as_bytes()).is_ok() && stream.read_exact(&mut first).is_ok() {
                return (server, started.elapsed());
            }
        }
        assert!(Instant::now() < deadline, "the server did not answer within 10 s");
        std::thread::sleep(Duration::from_micros(500));
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// A signed-in client and the active workspace's id, after first-run setup.
async fn sign_in(server: &Server) -> (reqwest::Client, String) {
    let client = reqwest::Client::builder().cookie_store(true).build().expect("client");
    let page = client.get(format!("{}/setup", server.address)).send().await.expect("setup").text().await.expect("body");
    let token = csrf(&page);
    let answer = client
        .post(format!("{}/setup", server.address))
        .form(&[
            ("csrf_token", token.as_str()),
            ("name", "Bench Owner"),
            ("email", "bench@example.com"),
            ("password", "bench-password-1"),
            ("workspace_name", "Bench"),
        ])
        .send()
        .await
        .expect("setup");
    let page = answer.text().await.expect("body");
    let marker = "href=\"/workspaces/";
    let at = page.find(marker).expect("a workspace link") + marker.len();
    (client, page[at..at + 24].to_owned())
}

fn csrf(page: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let at = page.find(marker).expect("a CSRF token") + marker.len();
    page[at..].split('"').next().expect("token").to_owned()
}

struct Load {
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    peak_rss_kib: u64,
}

/// `CLIENTS` clients, each sending `REQUESTS_PER_CLIENT` GETs of `path` one after another.
async fn load(server: &Server, path: &str, signed_in: Option<&reqwest::Client>) -> Load {
    let url = format!("{}{path}", server.address);
    let pid = server.child.id();
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(rss_kib(pid)));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                peak.fetch_max(rss_kib(pid), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        // Signed-in clients share the session cookie; each still has its own connection pool.
        let client = match signed_in {
            Some(c) => c.clone(),
            None => reqwest::Client::builder().cookie_store(true).build().expect("client"),
        };
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(REQUESTS_PER_CLIENT);
            for _ in 0..REQUESTS_PER_CLIENT {
                if started.elapsed() > LOAD_LIMIT {
                    break;
                }
                let sent = Instant::now();
                let response = client.get(&url).send().await.expect("GET");
                assert!(response.status().is_success(), "{}", response.status());
                response.bytes().await.expect("body");
                latencies.push(sent.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("client task"));
    }
    let elapsed = started.elapsed();
    sampler.abort();
    latencies.sort();
    Load {
        requests: latencies.len(),
        elapsed,
        latencies,
        peak_rss_kib: peak.load(std::sync::atomic::Ordering::Relaxed),
    }
}

fn report(name: &str, load: &Load) {
    println!(
        "{name:<34} {:>6} req in {:>6.2} s = {:>8.0} req/s   p50 {:>9}   p99 {:>9}   peak RSS {:>5.1} MiB",
        load.requests,
        load.elapsed.as_secs_f64(),
        load.requests as f64 / load.elapsed.as_secs_f64(),
        ms(percentile(&load.latencies, 0.50)),
        ms(percentile(&load.latencies, 0.99)),
        load.peak_rss_kib as f64 / 1024.0,
    );
}

fn main() {
    // `cargo test --benches` runs bench targets with `--bench` absent; do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!(
        "keyhook serve benchmark: release binary, SQLite, loopback, {} cores",
        std::thread::available_parallelism().map_or(0, usize::from)
    );

    let mut fresh = Vec::new();
    let mut warm = Vec::new();
    for _ in 0..STARTS {
        let dir = tempfile::tempdir().expect("dir");
        let (server, took) = start(dir.path());
        fresh.push(took);
        drop(server);
        let (server, took) = start(dir.path());
        warm.push(took);
        drop(server);
    }
    println!("start to first answer, fresh database (migrations run): median {} (n={STARTS})", ms(median(fresh)));
    println!("start to first answer, existing database (migrated):     median {} (n={STARTS})", ms(median(warm)));

    let dir = tempfile::tempdir().expect("dir");
    let (server, _) = start(dir.path());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let (owner, workspace) = sign_in(&server).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        println!("idle RSS after setup: {:.1} MiB", rss_kib(server.child.id()) as f64 / 1024.0);
        // Warm-up: connections, caches, the SQLite page cache.
        load(&server, "/login", None).await;
        let login = load(&server, "/login", None).await;
        report("GET /login (anonymous)", &login);
        let settings = load(&server, &format!("/workspaces/{workspace}/settings"), Some(&owner)).await;
        report("GET /workspaces/{ws}/settings", &settings);
        tokio::time::sleep(Duration::from_secs(1)).await;
        println!("RSS after load: {:.1} MiB", rss_kib(server.child.id()) as f64 / 1024.0);
    });
}
