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

/// On PostgreSQL a claim reads the rows it takes, and the due probe one row a webhook: not the
/// webhook's backlog, nor the rows due before them on other webhooks, whatever the planner's
/// statistics say. Left to itself the planner chose plans that walked the global due index past
/// every other webhook's rows, or sorted a webhook's whole backlog to return its first rows
/// (46-54 ms a claim in the delivery bench, a 100,000-delivery drain at 444/s).
#[tokio::test]
async fn a_claim_reads_the_rows_it_takes_not_the_backlog() {
    use diesel::RunQueryDsl;
    use keyhook::db::deliveries::Delivery;
    let Some(app) = crate::helpers::spawn_postgres_app(|settings| {
        settings.sender_driven = true;
        fast(settings);
    })
    .await
    else {
        return;
    };
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let key = owner.generate_key("plans", "never").await.secret;
    let hooks = format!("/api/v1/workspaces/{ws}/webhooks");
    for (name, event) in [("Taken", "NEW_CLIENT"), ("Earlier", "NEW_TAG")] {
        let body = json!({"name": name, "url": "http://127.0.0.1:9/hook", "webhookEvent": event});
        assert_eq!(owner.api("POST", &hooks, &key, Some(body)).await.0, StatusCode::CREATED);
    }
    let (status, _) =
        owner.api("POST", &format!("/api/v1/workspaces/{ws}/clients"), &key, Some(json!({"name": "First"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let now = keyhook::clock::now_ms();
    // The other webhook's 30,000 are all due before the taken one's 10,000.
    let backlog = |event: &str, count: i64, from: i64| {
        format!(
            "INSERT INTO deliveries (message_id, event_id, webhook_id, \"trigger\", state, attempts, retries, \
               next_attempt_at, lease_until, created_at) \
             SELECT 'msg_{event}_' || n, e.id, w.id, 'EVENT', 'PENDING', 0, TRUE, {from} + n, NULL, {from} \
             FROM webhooks w, (SELECT MIN(id) AS id FROM events) e, generate_series(1, {count}) AS n \
             WHERE w.event_type = '{event}';"
        )
    };
    let setup = format!("{}{}", backlog("NEW_TAG", 30_000, now - 120_000), backlog("NEW_CLIENT", 10_000, now - 60_000));
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let db = app.db();
    db.write(move |conn| -> anyhow::Result<()> {
        let keyhook::db::DbConnection::Postgresql(pg) = conn else { unreachable!("a PostgreSQL app") };
        Ok(diesel::connection::SimpleConnection::batch_execute(pg, &setup)?)
    })
    .await
    .expect("queue the backlogs");
    db.write(|conn| -> anyhow::Result<()> {
        let keyhook::db::DbConnection::Postgresql(pg) = conn else { unreachable!("a PostgreSQL app") };
        Ok(diesel::connection::SimpleConnection::batch_execute(pg, "ANALYZE deliveries")?)
    })
    .await
    .expect("analyze");
    let (taken, due, claim_reads, probe_reads) = db
        .write(move |conn| -> anyhow::Result<_> {
            let keyhook::db::DbConnection::Postgresql(pg) = conn else { unreachable!("a PostgreSQL app") };
            let hook: i64 = diesel::sql_query("SELECT id AS n FROM webhooks WHERE event_type = 'NEW_CLIENT'")
                .get_result::<Count>(pg)?
                .n;
            // Rows this transaction has read from the table so far: by sequential scans, and
            // the entries its index scans read (counted on each index).
            let read = |pg: &mut diesel::PgConnection| -> anyhow::Result<i64> {
                Ok(diesel::sql_query(
                    "SELECT pg_stat_get_xact_tuples_returned('deliveries'::regclass) \
                       + (SELECT SUM(pg_stat_get_xact_tuples_returned(indexrelid))::bigint FROM pg_index \
                          WHERE indrelid = 'deliveries'::regclass) AS n",
                )
                .get_result::<Count>(pg)?
                .n)
            };
            let before = read(pg)?;
            let due = Delivery::due_webhooks(conn, now, 64, &[])?;
            let keyhook::db::DbConnection::Postgresql(pg) = conn else { unreachable!() };
            let probed = read(pg)?;
            let taken = Delivery::claim_due_each(conn, &[(hook, 100)], now, now + 60_000, 100)?;
            let keyhook::db::DbConnection::Postgresql(pg) = conn else { unreachable!() };
            let claimed = read(pg)?;
            Ok((taken, due, claimed - probed, probed - before))
        })
        .await
        .expect("claim");
    eprintln!("the probe read {probe_reads} rows, the claim {claim_reads}");
    assert_eq!(due.len(), 2, "both webhooks have due deliveries");
    assert_eq!(taken.len(), 100);
    assert!(taken.iter().all(|d| d.message_id.starts_with("msg_NEW_CLIENT_")), "only the taken webhook's");
    let mut order: Vec<i64> = taken.iter().filter_map(|d| d.next_attempt_at).collect();
    order.sort_unstable();
    let earliest: Vec<i64> = (1..=100).map(|n| now - 60_000 + n).collect();
    assert_eq!(order, earliest, "its 100 earliest due");
    assert!(probe_reads < 100, "the probe read {probe_reads} rows for two webhooks");
    assert!(claim_reads < 1_000, "a claim of 100 read {claim_reads} rows");
}
