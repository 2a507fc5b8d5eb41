//! `cargo bench --bench pages`: the Webhooks screens under 16 concurrent signed-in clients on
//! loopback, on SQLite and (with `KEYHOOK_BENCH_DATABASE_URL`, a PostgreSQL role with CREATEDB)
//! PostgreSQL: the list of 100 webhooks (each with its bar of 20 latest attempts), and the
//! Details and Edit pages of a webhook with 1,000,000 deliveries of an attempt each (Details:
//! the newest deliveries, a page deep in the middle, the Failed state, the 5xx status, a payload
//! search for one delivery; Edit: its newest attempts and the Failed ones), and the deliveries
//! API, plain and searched. Each page's time in the server comes from its
//! `Server-Timing` header; the time at the client adds loopback and waiting for a core (the
//! client shares the 2 cores with the server and the database).
//! Prints figures; asserts nothing about speed. Load is bounded in count and time.
//! For profiling: `KEYHOOK_BENCH_ONLY=list` measures only the pages whose name contains it,
//! `KEYHOOK_BENCH_SQLITE_ONLY=1` skips PostgreSQL.

mod common;

use std::path::Path;

use common::seed::Bench;
use common::{load_with, log_in, report};
use keyhook::domain::EventType;

const CLIENTS: usize = 16;
const WEBHOOKS: usize = 100;
const BIG: u64 = 1_000_000;

async fn run(label: &str, url: String) -> anyhow::Result<()> {
    let bench = Bench::new(url).await?;
    let events = EventType::sorted();
    let mut hooks = Vec::new();
    for i in 0..WEBHOOKS {
        let event = events[i % events.len()];
        hooks.push(bench.webhook(&format!("Webhook {i:03}"), &format!("http://127.0.0.1:9/hook/{i}"), event)?);
    }
    let now = keyhook::clock::now_ms();
    for hook in &hooks[1..] {
        bench.attempts(hook, 25, now - 3_600_000).await?;
    }
    let seeding = std::time::Instant::now();
    let big = &hooks[0];
    let first_at = now - i64::try_from(BIG)? * 1000 - 60_000;
    bench.deliveries(big, BIG, first_at).await?;
    println!(
        "{label}: stored 1,000,000 deliveries (an event and an attempt each) in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    let server = bench.serve_with(&[("KEYHOOK_SERVER_TIMING", "true")]);
    let owner = log_in(&server).await;
    let ws = &bench.workspace;
    let list = format!("/workspaces/{ws}/webhooks");
    let details = format!("{list}/{}", big.public_id);
    let middle = first_at + i64::try_from(BIG / 2)? * 1000;
    let api = format!("/api/v1/workspaces/{ws}/webhooks/{}/deliveries", big.public_id);
    let pages = [
        ("baseline: workspace settings", format!("/workspaces/{ws}/settings")),
        ("list, 100 webhooks", list.clone()),
        ("details, newest 25 of 1,000,000 deliveries", details.clone()),
        ("details, 25 from the middle", format!("{details}?before={middle}.{}", i64::MAX)),
        ("details, state Failed (an index range)", format!("{details}?state=FAILED")),
        ("details, status 5xx (a tested filter)", format!("{details}?status=5xx")),
        ("details, a payload search for one delivery (its budget)", format!("{details}?q=user500000%40example.com")),
        ("edit, with its newest 50 attempts", format!("{details}/edit")),
        ("edit, Failed attempts", format!("{details}/edit?status=failed")),
    ];
    let calls = [
        ("API deliveries, newest 50", api.clone()),
        ("API deliveries, q=one address", format!("{api}?q=user999990%40example.com")),
    ];
    // Warm-up: connections, caches, the database's pages.
    load_with(&server, &list, CLIENTS, Some(&owner), None).await;
    load_with(&server, &details, CLIENTS, Some(&owner), None).await;
    // KEYHOOK_BENCH_ONLY=list measures only the pages whose name contains it (for profiling).
    let only = std::env::var("KEYHOOK_BENCH_ONLY").unwrap_or_default();
    for (name, path) in pages.into_iter().filter(|(name, _)| name.contains(only.as_str())) {
        let size = owner.get(format!("{}{path}", server.address)).send().await?.bytes().await?.len();
        let measured = load_with(&server, &path, CLIENTS, Some(&owner), None).await;
        report(&format!("{label}: {name} ({} KiB)", size / 1024), &measured);
    }
    for (name, path) in calls.into_iter().filter(|(name, _)| name.contains(only.as_str())) {
        let measured = load_with(&server, &path, CLIENTS, None, Some(&bench.key)).await;
        report(&format!("{label}: {name}"), &measured);
    }
    Ok(())
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    keyhook::tls::install_crypto_provider();
    println!(
        "keyhook pages benchmark: release binary, loopback, {CLIENTS} clients, {} cores",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("dir");
    let sqlite = format!("sqlite://{}", Path::new(dir.path()).join("pages.db").display());
    if let Err(e) = runtime.block_on(run("SQLite", sqlite)) {
        println!("SQLite: failed: {e:#}");
    }
    match std::env::var("KEYHOOK_BENCH_DATABASE_URL")
        .ok()
        .filter(|_| std::env::var_os("KEYHOOK_BENCH_SQLITE_ONLY").is_none())
    {
        Some(admin) if !admin.is_empty() => {
            if let Err(e) = runtime.block_on(run("PostgreSQL", common::fresh_postgres(&admin))) {
                println!("PostgreSQL: failed: {e:#}");
            }
        }
        _ => println!("PostgreSQL: not measured (set KEYHOOK_BENCH_DATABASE_URL to a server with CREATEDB rights)"),
    }
}
