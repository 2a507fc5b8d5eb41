//! `cargo bench --bench harness`: keyhook on the shared load harness (`../shared/bench-harness`,
//! a loopback sink and a load driver), the figures its README gives for Svix beside keyhook's.
//!
//! Builds the harness into `target/bench-harness`, then on SQLite and (with
//! `KEYHOOK_BENCH_DATABASE_URL`, a PostgreSQL role with CREATEDB, on this machine) PostgreSQL:
//! a fresh database, one webhook on `BILLABLE_RATE_UPDATED` pointing at the sink, a warm-up of
//! 500 messages, then each N (`KEYHOOK_HARNESS_N`, default `5000,20000`) run
//! `KEYHOOK_HARNESS_RUNS` times (default 3) by the driver: 32 clients publishing through
//! `POST /api/v1/workspaces/{ws}/events`, the driver waiting until the sink has every message.
//! Prints each run and the medians with their spread; CPU is the server's process and
//! PostgreSQL's whole tree (the postmaster and its backends), as the driver measures it.
//! Prints figures; asserts nothing about speed. Every run is bounded by the driver's timeout.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::seed::Bench;
use keyhook::domain::EventType;
use serde_json::Value;

const CLIENTS: usize = 32;
const WARM_UP: usize = 500;
/// The driver gives up waiting for the sink after this long.
const RUN_TIMEOUT_S: u64 = 300;

/// The harness README's figures for Svix 1.100.0 (this machine kind, 32 clients, N=5,000).
const SVIX: Figures = Figures {
    rate: 911.0,
    e2e_p50: 41.9,
    e2e_p99: 82.1,
    api_p50: 34.0,
    api_p99: 68.3,
    cpu_server: 0.85,
    cpu_postgres: 1.13,
    duplicates: 0.0,
};

/// One run's figures, or the medians of several.
#[derive(Debug, Clone, Copy, Default)]
struct Figures {
    /// Messages delivered per second, from the first request to the last delivery.
    rate: f64,
    e2e_p50: f64,
    e2e_p99: f64,
    api_p50: f64,
    api_p99: f64,
    /// CPU seconds per 1,000 messages.
    cpu_server: f64,
    cpu_postgres: f64,
    duplicates: f64,
}

impl Figures {
    fn of(run: &Value, n: usize) -> anyhow::Result<Self> {
        let number = |pointer: &str| {
            run.pointer(pointer)
                .and_then(Value::as_f64)
                .ok_or_else(|| anyhow::anyhow!("the driver's {pointer} is missing"))
        };
        if run.pointer("/delivery/timed_out").and_then(Value::as_bool) != Some(false) {
            anyhow::bail!("the sink did not get every message within {RUN_TIMEOUT_S} s: {}", run["delivery"]);
        }
        let per_thousand = 1000.0 / n as f64;
        let cpu = |i: usize| run.pointer(&format!("/resources/processes/{i}/cpu_seconds")).and_then(Value::as_f64);
        Ok(Self {
            rate: number("/delivery/throughput_from_ingest_start_per_s")?,
            e2e_p50: number("/delivery/e2e_latency_ms/p50")?,
            e2e_p99: number("/delivery/e2e_latency_ms/p99")?,
            api_p50: number("/ingest/request_latency_ms/p50")?,
            api_p99: number("/ingest/request_latency_ms/p99")?,
            cpu_server: cpu(0).unwrap_or(f64::NAN) * per_thousand,
            // The processes are the server, PostgreSQL's tree when measured, then the driver.
            cpu_postgres: if run.pointer("/resources/processes").and_then(Value::as_array).map_or(0, Vec::len) > 2 {
                cpu(1).unwrap_or(f64::NAN) * per_thousand
            } else {
                0.0
            },
            duplicates: number("/delivery/duplicate_2xx_deliveries")?,
        })
    }

    fn line(&self) -> String {
        format!(
            "{:>6.0} msg/s  e2e p50/p99 {:>5.1}/{:>5.1} ms  API p50/p99 {:>5.1}/{:>5.1} ms  CPU-s/1,000 {:.2} + {:.2} = {:.2}  duplicates {}",
            self.rate,
            self.e2e_p50,
            self.e2e_p99,
            self.api_p50,
            self.api_p99,
            self.cpu_server,
            self.cpu_postgres,
            self.cpu_server + self.cpu_postgres,
            self.duplicates
        )
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn spread(values: &[f64]) -> (f64, f64) {
    values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(*v), hi.max(*v)))
}

/// The medians of several runs' figures, and the spread of their rates.
fn medians(runs: &[Figures]) -> (Figures, (f64, f64)) {
    let of = |f: fn(&Figures) -> f64| median(runs.iter().map(f).collect());
    let rates: Vec<f64> = runs.iter().map(|r| r.rate).collect();
    (
        Figures {
            rate: of(|r| r.rate),
            e2e_p50: of(|r| r.e2e_p50),
            e2e_p99: of(|r| r.e2e_p99),
            api_p50: of(|r| r.api_p50),
            api_p99: of(|r| r.api_p99),
            cpu_server: of(|r| r.cpu_server),
            cpu_postgres: of(|r| r.cpu_postgres),
            duplicates: of(|r| r.duplicates),
        },
        spread(&rates),
    )
}

/// The harness's two binaries, built into this project's `target/` (`shared/` may be read-only).
struct Harness {
    sink: PathBuf,
    driver: PathBuf,
}

impl Harness {
    fn build() -> anyhow::Result<Self> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let manifest = root.join("../shared/bench-harness/Cargo.toml");
        anyhow::ensure!(manifest.exists(), "no harness at {}", manifest.display());
        let target = root.join("target/bench-harness");
        let built = Command::new(env!("CARGO"))
            .args(["build", "--release", "--locked", "--quiet", "--manifest-path"])
            .arg(&manifest)
            .arg("--target-dir")
            .arg(&target)
            .status()?;
        anyhow::ensure!(built.success(), "the harness did not build");
        Ok(Self { sink: target.join("release/sink"), driver: target.join("release/driver") })
    }
}

/// The sink, stopped when dropped.
struct Sink {
    child: Child,
    address: String,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sink {
    fn start(harness: &Harness) -> anyhow::Result<Self> {
        let address = format!("127.0.0.1:{}", common::free_port());
        let child = Command::new(&harness.sink).args(["--listen", &address]).stdout(Stdio::null()).spawn()?;
        for _ in 0..200 {
            if std::net::TcpStream::connect(&address).is_ok() {
                return Ok(Self { child, address });
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        anyhow::bail!("the sink did not listen on {address}")
    }
}

/// The PostgreSQL postmaster serving `url`: the parent of a backend, when it runs here.
fn postmaster_of(url: &str) -> Option<u32> {
    use diesel::{Connection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct Backend {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    let mut conn = diesel::PgConnection::establish(url).ok()?;
    let backend: Backend = diesel::sql_query("SELECT pg_backend_pid() AS pid").get_result(&mut conn).ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", backend.pid)).ok()?;
    // After the command's name in parentheses: the state, then the parent's pid.
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}

/// One driver run of `n` messages; answers its JSON.
fn drive(harness: &Harness, sink: &Sink, url: &str, key: &str, pids: &[u32], n: usize) -> anyhow::Result<Value> {
    let out = tempfile::NamedTempFile::new()?;
    let mut driver = Command::new(&harness.driver);
    driver
        .args(["run", "--url", url, "-H"])
        .arg(format!("X-Api-Key: {key}"))
        .args(["-H", "Content-Type: application/json", "--body"])
        .arg(r#"{"event":"BILLABLE_RATE_UPDATED","payload":{"seq":{{seq}},"sent_ns":{{sent_ns}}}}"#)
        .args(["-n", &n.to_string(), "-c", &CLIENTS.to_string(), "--sink"])
        .arg(format!("http://{}", sink.address))
        .args(["--timeout-s", &RUN_TIMEOUT_S.to_string(), "--out"])
        .arg(out.path())
        .stdout(Stdio::null());
    for pid in pids {
        driver.args(["--pid", &pid.to_string()]);
    }
    anyhow::ensure!(driver.status()?.success(), "the driver failed");
    Ok(serde_json::from_str(&std::fs::read_to_string(out.path())?)?)
}

async fn run(label: &str, url: String, harness: &Harness, sizes: &[usize], runs: usize) -> anyhow::Result<()> {
    let bench = Bench::new(url.clone()).await?;
    let sink = Sink::start(harness)?;
    bench.webhook("Harness sink", &format!("http://{}/hook", sink.address), EventType::BillableRateUpdated)?;
    let server = bench.serve();
    let events = format!("{}/api/v1/workspaces/{}/events", server.address, bench.workspace);
    let mut pids = vec![server.child.id()];
    if url.starts_with("postgres") {
        pids.extend(postmaster_of(&url));
    }
    drive(harness, &sink, &events, &bench.key, &pids, WARM_UP)?;
    for &n in sizes {
        let mut figures = Vec::new();
        for i in 1..=runs {
            let figure = Figures::of(&drive(harness, &sink, &events, &bench.key, &pids, n)?, n)?;
            println!("{label}: N={n} run {i}: {}", figure.line());
            figures.push(figure);
        }
        let (median, (lo, hi)) = medians(&figures);
        println!("{label}: N={n} median of {runs}: {} (rates {lo:.0}-{hi:.0}/s)", median.line());
        if n == 5_000 && label == "PostgreSQL" {
            println!(
                "{label}: N=5000 against Svix 1.100.0 (its README): {:.1}x the messages/s, {:.2}x the e2e p99, {:.2}x the CPU per message",
                median.rate / SVIX.rate,
                median.e2e_p99 / SVIX.e2e_p99,
                (median.cpu_server + median.cpu_postgres) / (SVIX.cpu_server + SVIX.cpu_postgres)
            );
        }
    }
    Ok(())
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    keyhook::tls::install_crypto_provider();
    let harness = match Harness::build() {
        Ok(harness) => harness,
        Err(e) => {
            println!("harness: not measured: {e:#}");
            return;
        }
    };
    let sizes: Vec<usize> = std::env::var("KEYHOOK_HARNESS_N")
        .unwrap_or_else(|_| "5000,20000".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let runs = std::env::var("KEYHOOK_HARNESS_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(3usize).max(1);
    println!(
        "keyhook on the bench harness: release binary, loopback, {CLIENTS} clients, one webhook, {} cores",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    println!("Svix 1.100.0 (the harness README, N=5000, PostgreSQL): {}", SVIX.line());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("dir");
    let sqlite = format!("sqlite://{}", dir.path().join("harness.db").display());
    if std::env::var_os("KEYHOOK_BENCH_POSTGRES_ONLY").is_none() {
        if let Err(e) = runtime.block_on(run("SQLite", sqlite, &harness, &sizes, runs)) {
            println!("SQLite: failed: {e:#}");
        }
    }
    match std::env::var("KEYHOOK_BENCH_DATABASE_URL")
        .ok()
        .filter(|_| std::env::var_os("KEYHOOK_BENCH_SQLITE_ONLY").is_none())
    {
        Some(admin) if !admin.is_empty() => {
            if let Err(e) = runtime.block_on(run("PostgreSQL", common::fresh_postgres(&admin), &harness, &sizes, runs))
            {
                println!("PostgreSQL: failed: {e:#}");
            }
        }
        _ => println!("PostgreSQL: not measured (set KEYHOOK_BENCH_DATABASE_URL to a server with CREATEDB rights)"),
    }
}
