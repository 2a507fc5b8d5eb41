//! What the benchmarks share: starting the release binary, signing in, a bounded load
//! generator, percentiles and resident memory.

#![allow(dead_code)]

pub mod receiver;
pub mod seed;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const CLIENTS: usize = 32;
pub const REQUESTS_PER_CLIENT: usize = 400;
pub const LOAD_LIMIT: Duration = Duration::from_secs(30);

pub struct Server {
    pub child: Child,
    pub address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// Starts `keyhook serve` on `dir`'s database; answers the server and the time from spawn
/// to its first answered request.
pub fn start(dir: &Path) -> (Server, Duration) {
    start_with(&format!("sqlite://{}", dir.join("bench.db").display()), dir, &[])
}

/// Starts `keyhook serve` on any database, with extra settings in the environment.
pub fn start_with(database_url: &str, dir: &Path, env: &[(&str, &str)]) -> (Server, Duration) {
    let port = free_port();
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_keyhook"))
        .env("KEYHOOK_DATABASE_URL", database_url)
        .env("KEYHOOK_KEY_FILE", dir.join("bench.keys"))
        .envs(env.iter().copied())
        .env("KEYHOOK_BIND", format!("127.0.0.1:{port}"))
        .env("KEYHOOK_LOG", "warn")
        .stdout(Stdio::null())
        // KEYHOOK_BENCH_SERVER_LOG=1 shows the server's log (warnings and errors) while measuring.
        .stderr(if std::env::var_os("KEYHOOK_BENCH_SERVER_LOG").is_some() { Stdio::inherit() } else { Stdio::null() })
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

pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// CPU time the process has used (user and system), from /proc.
pub fn cpu_time(pid: u32) -> Duration {
    let ticks = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok().and_then(|stat| {
        // Fields after the command name (which may hold spaces) end with ')'.
        let fields: Vec<u64> =
            stat.rsplit_once(')')?.1.split_whitespace().skip(11).take(2).filter_map(|f| f.parse().ok()).collect();
        Some(fields.iter().sum::<u64>())
    });
    // The kernel's USER_HZ is 100 on Linux.
    Duration::from_millis(ticks.unwrap_or(0) * 10)
}

pub fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// A signed-in client and the active workspace's id, after first-run setup.
pub async fn sign_in(server: &Server) -> (reqwest::Client, String) {
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

/// A client signed in as the Owner that [`sign_in`] set up.
pub async fn log_in(server: &Server) -> reqwest::Client {
    let client = reqwest::Client::builder().cookie_store(true).build().expect("client");
    let page = client.get(format!("{}/login", server.address)).send().await.expect("login").text().await.expect("body");
    let answer = client
        .post(format!("{}/login", server.address))
        .form(&[("csrf_token", csrf(&page).as_str()), ("email", "bench@example.com"), ("password", "bench-password-1")])
        .send()
        .await
        .expect("log in");
    assert!(answer.status().is_success(), "signed in: {}", answer.status());
    client
}

pub fn csrf(page: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let at = page.find(marker).expect("a CSRF token") + marker.len();
    page[at..].split('"').next().expect("token").to_owned()
}

pub struct Load {
    pub requests: usize,
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
    /// The server's own time per request, from `Server-Timing` when it sends one.
    pub server: Vec<Duration>,
    pub peak_rss_kib: u64,
}

/// The `app;dur=` of a `Server-Timing` header.
fn server_time(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get("server-timing")?.to_str().ok()?;
    let ms: f64 = value.split("dur=").nth(1)?.split([';', ',']).next()?.trim().parse().ok()?;
    Some(Duration::from_secs_f64(ms / 1000.0))
}

/// `CLIENTS` clients, each sending `REQUESTS_PER_CLIENT` GETs of `path` one after another.
pub async fn load(server: &Server, path: &str, signed_in: Option<&reqwest::Client>) -> Load {
    load_with(server, path, CLIENTS, signed_in, None).await
}

/// `clients` clients, each sending `REQUESTS_PER_CLIENT` GETs of `path` one after another,
/// with the API key when one is given.
pub async fn load_with(
    server: &Server,
    path: &str,
    clients: usize,
    signed_in: Option<&reqwest::Client>,
    api_key: Option<&str>,
) -> Load {
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
    for _ in 0..clients {
        // Clones of a signed-in client share its cookie and pool (a connection per request in flight).
        let client = match signed_in {
            Some(c) => c.clone(),
            None => reqwest::Client::builder().cookie_store(true).build().expect("client"),
        };
        let url = url.clone();
        let api_key = api_key.map(str::to_owned);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(REQUESTS_PER_CLIENT);
            let mut server = Vec::with_capacity(REQUESTS_PER_CLIENT);
            for _ in 0..REQUESTS_PER_CLIENT {
                if started.elapsed() > LOAD_LIMIT {
                    break;
                }
                let sent = Instant::now();
                let mut request = client.get(&url);
                if let Some(key) = &api_key {
                    request = request.header("X-Api-Key", key);
                }
                let response = request.send().await.expect("GET");
                assert!(response.status().is_success(), "{}", response.status());
                server.extend(server_time(&response));
                response.bytes().await.expect("body");
                latencies.push(sent.elapsed());
            }
            (latencies, server)
        }));
    }
    let (mut latencies, mut server) = (Vec::new(), Vec::new());
    for task in tasks {
        let (client_side, server_side) = task.await.expect("client task");
        latencies.extend(client_side);
        server.extend(server_side);
    }
    let elapsed = started.elapsed();
    sampler.abort();
    latencies.sort();
    server.sort();
    Load {
        requests: latencies.len(),
        elapsed,
        latencies,
        server,
        peak_rss_kib: peak.load(std::sync::atomic::Ordering::Relaxed),
    }
}

pub fn report(name: &str, load: &Load) {
    if !load.server.is_empty() {
        println!(
            "{name}: {} req, {:.0} req/s; in the server p50 {} p99 {}; at the client p50 {} p99 {}",
            load.requests,
            load.requests as f64 / load.elapsed.as_secs_f64(),
            ms(percentile(&load.server, 0.50)),
            ms(percentile(&load.server, 0.99)),
            ms(percentile(&load.latencies, 0.50)),
            ms(percentile(&load.latencies, 0.99)),
        );
        return;
    }
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

/// Generates an API key on the Manage API keys page and reads it from the one-time reveal.
pub async fn generate_key(server: &Server, client: &reqwest::Client, name: &str) -> String {
    let page =
        client.get(format!("{}/api-keys", server.address)).send().await.expect("page").text().await.expect("body");
    let page = client
        .post(format!("{}/api-keys", server.address))
        .form(&[("csrf_token", csrf(&page).as_str()), ("name", name), ("expires", "never")])
        .send()
        .await
        .expect("generate")
        .text()
        .await
        .expect("body");
    let marker = "id=\"flash-secret\">";
    let at = page.find(marker).expect("the new key") + marker.len();
    page[at..].split('<').next().expect("key").to_owned()
}

/// Sends `count` requests with wrong keys (half malformed, half well-formed but unknown) from
/// 16 clients; answers how many were refused with 401.
pub async fn wrong_keys(server: &Server, count: usize) -> usize {
    let url = std::sync::Arc::new(format!("{}/api/v1/user", server.address));
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for task in 0..16 {
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let mut refused = 0;
            for i in (task..count).step_by(16) {
                let key = if i % 2 == 0 {
                    format!("kh_{i:049}")
                } else {
                    keyhook::domain::ApiKeySecret::generate().expose().to_owned()
                };
                let response = client.get(url.as_str()).header("X-Api-Key", key).send().await.expect("GET");
                refused += usize::from(response.status() == reqwest::StatusCode::UNAUTHORIZED);
            }
            refused
        }));
    }
    let mut refused = 0;
    for task in tasks {
        refused += task.await.expect("task");
    }
    refused
}

/// A new database on the PostgreSQL server `admin_url` points at (a role with CREATEDB).
pub fn fresh_postgres(admin_url: &str) -> String {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, RunQueryDsl};
    let mut admin = diesel::PgConnection::establish(admin_url).expect("connect to KEYHOOK_BENCH_DATABASE_URL");
    // Earlier runs' databases (benchmarks run one at a time): a 1,000,000-attempt database is big.
    #[derive(diesel::QueryableByName)]
    struct Leftover {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let leftovers: Vec<Leftover> =
        diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'kh\\_bench\\_%'")
            .load::<Leftover>(&mut admin)
            .unwrap_or_default();
    for old in leftovers {
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", old.datname));
    }
    let name = format!("kh_bench_{}", keyhook::domain::new_public_id());
    admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create the bench database");
    let (base, _) = admin_url.rsplit_once('/').expect("a database in the URL");
    let (_, query) = admin_url.split_once('?').unwrap_or((admin_url, ""));
    if query.is_empty() {
        format!("{base}/{name}")
    } else {
        format!("{base}/{name}?{query}")
    }
}
