//! Memory stays bounded with dead endpoints and a deep queue: 100 webhooks whose endpoint
//! accepts connections and never answers, with 1,000 deliveries queued for each (100,000 in
//! all), do not raise a real `keyhook serve` past the README's memory bound, and each dead
//! endpoint is held to its pace (two requests at most, one once its circuit opened).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use keyhook::db::{DatabaseUrl, Db};
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::AsyncReadExt;

use crate::helpers::Client;
use crate::processes::serve_with;

const WORKSPACES: usize = 10;
const HOOKS_PER_WORKSPACE: usize = 10;
const QUEUED_PER_HOOK: usize = 1_000;
/// The README's bound on the server's resident memory with any number of deliveries queued.
const MEMORY_BOUND_MIB: u64 = 256;

/// Accepts connections and never answers; counts the connections open at once (a peer's close
/// is seen as the end of its stream).
struct Hanging {
    url: String,
    open: Arc<AtomicUsize>,
    most_open: Arc<AtomicUsize>,
}

impl Hanging {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let (open, most_open) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (o, m) = (open.clone(), most_open.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let now = o.fetch_add(1, Ordering::SeqCst) + 1;
                m.fetch_max(now, Ordering::SeqCst);
                let o = o.clone();
                tokio::spawn(async move {
                    let mut buffer = [0u8; 4096];
                    while matches!(socket.read(&mut buffer).await, Ok(n) if n > 0) {}
                    o.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Self { url, open, most_open }
    }
}

fn rss_mib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .map_or(0, |kib: u64| kib / 1024)
}

#[tokio::test]
async fn dead_endpoints_with_a_deep_queue_stay_within_the_memory_bound() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("memory.db").display());
    let process =
        serve_with(&url, dir.path(), &[("KEYHOOK_SEND_TIMEOUT", "2s"), ("KEYHOOK_SENDER_PER_WEBHOOK", "8")]).await;
    let hanging = Hanging::start().await;
    let owner = Client::of(&process.address);
    owner.complete_setup().await;
    let key = owner.generate_key("memory", "never").await.secret;
    let workspaces = owner.paid_workspaces_with_webhooks(&key, WORKSPACES, HOOKS_PER_WORKSPACE, &hanging.url).await;
    for ws in &workspaces {
        let (status, _) =
            owner.api("POST", &format!("/api/v1/workspaces/{ws}/clients"), &key, Some(json!({"name": "First"}))).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let before = rss_mib(process.child.id());
    // The rest of the queue, as an outage leaves it: 999 more deliveries per webhook, due now.
    let now = keyhook::clock::now_ms();
    let db = Db::connect(&DatabaseUrl::parse(&url).expect("url"), 1).expect("db");
    db.write(move |conn| -> Result<(), anyhow::Error> {
        let keyhook::db::DbConnection::Sqlite(lite) = conn else { anyhow::bail!("SQLite") };
        lite.batch_execute(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {more}) \
             INSERT INTO deliveries (message_id, event_id, webhook_id, \"trigger\", state, attempts, retries, \
               next_attempt_at, lease_until, created_at) \
             SELECT 'msg_queued_' || w.id || '_' || n.i, \
               (SELECT MIN(e.id) FROM events e WHERE e.workspace_id = w.workspace_id), \
               w.id, 'EVENT', 'PENDING', 0, 1, {now}, NULL, {now} FROM webhooks w CROSS JOIN n",
            more = QUEUED_PER_HOOK - 1
        ))?;
        Ok(())
    })
    .await
    .expect("queue the backlog");

    let (mut peak, started) = (0, Instant::now());
    while started.elapsed() < Duration::from_secs(15) {
        peak = peak.max(rss_mib(process.child.id()));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let most_open = hanging.most_open.load(Ordering::SeqCst);
    eprintln!(
        "100 dead endpoints, 100,000 queued: RSS {before} MiB before the backlog, peak {peak} MiB; \
         at most {most_open} connections open at once ({} now)",
        hanging.open.load(Ordering::SeqCst)
    );
    assert!(peak > 0 && peak < MEMORY_BOUND_MIB, "peak RSS {peak} MiB, the bound is {MEMORY_BOUND_MIB} MiB");
    let hooks = WORKSPACES * HOOKS_PER_WORKSPACE;
    assert!(
        (hooks..=2 * hooks).contains(&most_open),
        "each dead endpoint was tried and held to two requests at most: {most_open} open at once"
    );
}
