//! A backlog drains completely and promptly once its endpoint is up: 3,000 deliveries queued
//! in the database for one webhook (as an outage leaves them, none handed to the sender) all
//! arrive, each once, in their due order (give or take what the sender holds at once).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use keyhook::config::Settings;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;
use crate::receiver::Receiver;

const QUEUED: usize = 5_000;

fn fast(settings: &mut Settings) {
    settings.allow_private_networks = "127.0.0.0/8".into();
}

async fn a_queued_backlog_drains_completely_in_due_order(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let key = owner.generate_key("backlog", "never").await.secret;
    let receiver = Receiver::start().await;
    let hooks = format!("/api/v1/workspaces/{ws}/webhooks");
    let body = json!({"name": "Back", "url": receiver.url, "webhookEvent": "NEW_CLIENT"});
    assert_eq!(owner.api("POST", &hooks, &key, Some(body)).await.0, StatusCode::CREATED);
    let (status, _) =
        owner.api("POST", &format!("/api/v1/workspaces/{ws}/clients"), &key, Some(json!({"name": "First"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    receiver.wait_for(1, Duration::from_secs(5)).await;
    let due = keyhook::clock::now_ms() - 60_000;
    let sql = format!(
        "INSERT INTO deliveries (message_id, event_id, webhook_id, \"trigger\", state, attempts, retries, \
           next_attempt_at, lease_until, created_at) \
         SELECT 'msg_backlog_' || LPAD(n::text, 5, '0'), e.id, w.id, 'EVENT', 'PENDING', 0, TRUE, {due} + n, NULL, {due} \
         FROM webhooks w, (SELECT MIN(id) AS id FROM events) e, generate_series(1, {QUEUED}) AS n",
    );
    let started = Instant::now();
    app.db()
        .write(move |conn| -> Result<(), anyhow::Error> {
            match conn {
                keyhook::db::DbConnection::Postgresql(pg) => pg.batch_execute(&sql)?,
                keyhook::db::DbConnection::Sqlite(lite) => lite.batch_execute(
                    &sql.replace("LPAD(n::text, 5, '0')", "substr('0000' || n, -5, 5)").replace("TRUE", "1").replace(
                        &format!("generate_series(1, {QUEUED}) AS n"),
                        &format!(
                            "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {QUEUED}) \
                                 SELECT n FROM s)"
                        ),
                    ),
                )?,
            }
            Ok(())
        })
        .await
        .expect("queue the backlog");
    let hits = receiver.wait_for(QUEUED + 1, Duration::from_secs(60)).await;
    let took = started.elapsed();
    let ids: Vec<String> = hits[1..]
        .iter()
        .map(|h| h.header("webhook-id").to_owned())
        .filter(|id| id.starts_with("msg_backlog_"))
        .collect();
    eprintln!("{} of {QUEUED} queued deliveries arrived in {took:?}", ids.len());
    assert_eq!(ids.len(), QUEUED, "every queued delivery arrived");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), QUEUED, "each once");
    // Sends start in due order; with eight in flight on several connections, arrivals may swap
    // within what the sender holds for the webhook (at most 64).
    let mut sorted = ids.clone();
    sorted.sort();
    let position: std::collections::HashMap<&String, usize> =
        sorted.iter().enumerate().map(|(i, id)| (id, i)).collect();
    let displaced = ids.iter().enumerate().filter(|(i, id)| position[id].abs_diff(*i) > 64).count();
    assert_eq!(displaced, 0, "in their due order, give or take what the sender holds at once");
}

crate::on_both_backends!(with fast: a_queued_backlog_drains_completely_in_due_order);
