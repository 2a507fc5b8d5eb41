//! `cargo bench --bench serve`: start-up time, page throughput and latency under 32
//! concurrent clients, and resident memory, measured against the release binary on
//! loopback with SQLite. Prints figures; asserts nothing about speed.
//!
//! Load is bounded in count (`REQUESTS_PER_CLIENT`) and time (`LOAD_LIMIT`).

mod common;

use std::time::Duration;

use common::{load, median, ms, report, rss_kib, sign_in, start};

const STARTS: usize = 10;

fn main() {
    // `cargo test --benches` runs bench targets with `--bench` absent; do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    keyhook::tls::install_crypto_provider();
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
