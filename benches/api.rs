//! `cargo bench --bench api`: the REST API's key verification and `GET /api/v1/user` under 64
//! concurrent clients, against the release binary on loopback, on SQLite and (when
//! `KEYHOOK_BENCH_DATABASE_URL` names a PostgreSQL server with CREATEDB rights) PostgreSQL.
//! Prints figures; asserts nothing about speed. Every loop is bounded in count and time.

mod common;

use std::time::{Duration, Instant};

use common::{generate_key, load_with, report, rss_kib, sign_in, start_with, wrong_keys, Server};
use keyhook::db::api_keys::ApiKey;
use keyhook::domain::ApiKeySecret;
use keyhook::services::api_keys::{verdict, KeyGrant, Verdict};
use keyhook::verified_cache::KeyCache;

const API_CLIENTS: usize = 64;
const WRONG_KEYS: usize = 10_000;

/// The in-process cost of verifying a cached key: shape and checksum, SHA-256, cache lookup,
/// verdict. Median of 21 batches of 20,000.
fn verification_cost() -> Duration {
    let secret = ApiKeySecret::generate();
    let row = ApiKey {
        id: 1,
        public_id: "0".repeat(24),
        user_id: 1,
        name: "bench".into(),
        hint: secret.hint(),
        secret_hash: secret.hash(),
        previous_secret_hash: None,
        previous_valid_until: None,
        created_at: 0,
        last_used_at: None,
        expires_at: None,
    };
    let cache = KeyCache::new(Duration::from_secs(3600));
    cache.put(secret.hash(), KeyGrant { key: row, revoked_in: Vec::new() }, Instant::now(), cache.epoch());
    let presented = secret.expose().to_owned();
    let mut batches = Vec::new();
    for _ in 0..21 {
        let started = Instant::now();
        for _ in 0..20_000 {
            let parsed = ApiKeySecret::parse(std::hint::black_box(&presented)).expect("valid");
            let hash = parsed.hash();
            let row = cache.get(&hash, Instant::now());
            let outcome = verdict(row.as_ref().map(|g| &g.key), &hash, 0);
            assert!(matches!(outcome, Verdict::Valid { .. }));
        }
        batches.push(started.elapsed() / 20_000);
    }
    common::median(batches)
}

async fn measure(label: &str, server: &Server) {
    let (owner, _) = sign_in(server).await;
    let key = generate_key(server, &owner, "bench").await;
    // Warm-up: connections, the key cache, the database's caches.
    load_with(server, "/api/v1/user", API_CLIENTS, None, Some(&key)).await;
    let run = load_with(server, "/api/v1/user", API_CLIENTS, None, Some(&key)).await;
    report(&format!("{label}: GET /api/v1/user x{API_CLIENTS}"), &run);

    let pid = server.child.id();
    let before = rss_kib(pid);
    let started = Instant::now();
    let refused = wrong_keys(server, WRONG_KEYS).await;
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(pid);
    let healthy = reqwest::Client::new()
        .get(format!("{}/api/v1/user", server.address))
        .header("X-Api-Key", &key)
        .send()
        .await
        .map(|r| r.status().is_success())
        .unwrap_or(false);
    println!(
        "{label}: {WRONG_KEYS} wrong keys: {refused} refused with 401 in {:.2} s; RSS {:.1} -> {:.1} MiB; valid key still served: {healthy}",
        took.as_secs_f64(),
        before as f64 / 1024.0,
        after as f64 / 1024.0
    );
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    keyhook::tls::install_crypto_provider();
    println!(
        "keyhook API benchmark: release binary, loopback, {} cores",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    println!(
        "key verification, cached (parse + checksum + SHA-256 + lookup): median {:.2} µs",
        verification_cost().as_secs_f64() * 1e6
    );

    // The limiter stays on (its bucket is checked on every request) with a rate the load cannot reach.
    let env = [("KEYHOOK_API_RATE_LIMIT", "100000000"), ("KEYHOOK_LOG", "warn")];
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("dir");
    let (server, _) = start_with(&format!("sqlite://{}", dir.path().join("bench.db").display()), dir.path(), &env);
    runtime.block_on(measure("SQLite", &server));
    drop(server);

    match std::env::var("KEYHOOK_BENCH_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            let url = common::fresh_postgres(&admin);
            let dir = tempfile::tempdir().expect("dir");
            let (server, _) = start_with(&url, dir.path(), &env);
            runtime.block_on(measure("PostgreSQL", &server));
        }
        _ => println!("PostgreSQL: not measured (set KEYHOOK_BENCH_DATABASE_URL to a server with CREATEDB rights)"),
    }
}
