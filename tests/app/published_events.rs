//! The event publishing endpoint: events of modules keyhook does not implement are delivered
//! like any other; plan gating, idempotency keys, roles and bad input, on both backends.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::clients_tags::{body_of, local, verifies, Script};
use crate::helpers::TestApp;
use crate::receiver::Receiver;

const WAIT: Duration = Duration::from_secs(5);

async fn publish(s: &Script, body: Value, key: Option<&str>) -> (StatusCode, Option<String>, Value) {
    let mut request =
        s.owner.http.post(format!("{}{}", s.owner.address, s.url("events"))).header("X-Api-Key", &s.key).json(&body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.expect("POST");
    let status = response.status();
    let replayed = response.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let text = response.text().await.expect("body");
    (status, replayed, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn published_events_are_delivered_once_per_key(app: TestApp) {
    let s = Script::new(&app).await;
    let receiver = Receiver::start().await;

    // FREE lacks expenses: refused, naming the plan that has them.
    let expense = json!({"id": "6a1b2c3d4e5f60718293a4b5", "amount": 4200, "currency": "USD", "note": "Taxi"});
    let (status, _, refused) = publish(&s, json!({"event": "EXPENSE_CREATED", "payload": expense}), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert!(refused["message"].as_str().unwrap_or("").contains("needs PRO"), "{refused}");

    s.upgrade().await;
    let hook = s.subscribe(&receiver, "EXPENSE_CREATED", None).await;
    let secret = hook["signingSecret"].as_str().expect("secret").to_owned();
    let (status, replayed, first) =
        publish(&s, json!({"event": "EXPENSE_CREATED", "payload": expense}), Some("expense-42")).await;
    assert_eq!((status, replayed), (StatusCode::ACCEPTED, None), "{first}");
    assert_eq!(first["event"], "EXPENSE_CREATED");
    let hits = receiver.wait_for(1, WAIT).await;
    assert_eq!(hits[0].header("clockify-webhook-event-type"), "EXPENSE_CREATED");
    assert!(verifies(&secret, &hits[0]));
    assert_eq!(body_of(&hits[0]), expense, "the payload as published");

    // The same key again: the first answer, and nothing new is sent.
    let (status, replayed, again) =
        publish(&s, json!({"event": "EXPENSE_CREATED", "payload": {"other": true}}), Some("expense-42")).await;
    assert_eq!((status, replayed.as_deref()), (StatusCode::ACCEPTED, Some("true")));
    assert_eq!(again, first);
    let (_, _, other) = publish(&s, json!({"event": "EXPENSE_CREATED", "payload": expense}), Some("expense-43")).await;
    assert_ne!(other["id"], first["id"]);
    assert_eq!(receiver.wait_for(3, Duration::from_millis(700)).await.len(), 2, "one delivery per key");

    // The same new key sent eight times at once: one publication; the others replay it or, if
    // they ran at the same moment, answer 400 "retry" (never a 500).
    let url = format!("{}{}", s.owner.address, s.url("events"));
    let sends: Vec<_> = (0..8)
        .map(|_| {
            let request = s.owner.http.post(&url).header("X-Api-Key", &s.key).header("Idempotency-Key", "burst-1");
            let body = json!({"event": "EXPENSE_CREATED", "payload": {"id": "burst"}});
            tokio::spawn(async move {
                let answer = request.json(&body).send().await.expect("POST");
                (answer.status(), answer.text().await.unwrap_or_default())
            })
        })
        .collect();
    for send in sends {
        let (status, answer) = send.await.expect("request");
        assert!(status == StatusCode::ACCEPTED || status == StatusCode::BAD_REQUEST, "{status}: {answer}");
    }
    let hits = receiver.wait_for(4, Duration::from_millis(700)).await;
    assert_eq!(hits.iter().filter(|h| body_of(h)["id"] == "burst").count(), 1, "published once");

    // After 24 hours a key is new again.
    app.db()
        .write(|conn| -> Result<usize, keyhook::services::ServiceError> {
            use diesel::prelude::*;
            use keyhook::db::schema::idempotency_keys;
            let day_ago = keyhook::clock::now_ms() - 25 * 3_600_000;
            Ok(diesel::update(idempotency_keys::table.filter(idempotency_keys::idempotency_key.eq("expense-42")))
                .set(idempotency_keys::created_at.eq(day_ago))
                .execute(conn)?)
        })
        .await
        .expect("age the key");
    let (status, replayed, later) =
        publish(&s, json!({"event": "EXPENSE_CREATED", "payload": expense}), Some("expense-42")).await;
    assert_eq!((status, replayed), (StatusCode::ACCEPTED, None));
    assert_ne!(later["id"], first["id"], "published anew");

    // A Regular member's key may not publish.
    let member = app.add_member(&s.owner, &s.ws, "rita@example.com", "REGULAR").await;
    let key = member.generate_key("rita", "never").await.secret;
    let (status, _) =
        member.api("POST", &s.url("events"), &key, Some(json!({"event": "NEW_TAG", "payload": {}}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn bad_publications_are_refused(app: TestApp) {
    let s = Script::new(&app).await;
    let big = "x".repeat(256 * 1024);
    for (body, field) in [
        (json!({"event": "EXPENSE_EXPLODED", "payload": {}}), "event"),
        (json!({"payload": {}}), "event"),
        (json!({"event": "NEW_TAG"}), "payload"),
        (json!({"event": "NEW_TAG", "payload": [1, 2]}), "payload"),
        (json!({"event": "NEW_TAG", "payload": "text"}), "payload"),
        (json!({"event": "NEW_TAG", "payload": {"blob": big}}), "payload"),
        (json!({"event": 7, "payload": {}}), "event"),
    ] {
        let (status, _, answer) = publish(&s, body.clone(), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert!(answer["message"].as_str().unwrap_or("").starts_with(field), "{answer}");
    }
    // Past the API's 1 MiB body limit: still a JSON error.
    let huge = json!({"event": "NEW_TAG", "payload": {"blob": "x".repeat(1100 * 1024)}});
    let (status, _, answer) = publish(&s, huge, None).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(answer["message"].as_str().unwrap_or("").contains("larger than"), "{answer}");
    let long = "k".repeat(256);
    let (status, _, _) = publish(&s, json!({"event": "NEW_TAG", "payload": {}}), Some(&long)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, answer) = s
        .owner
        .api(
            "POST",
            "/api/v1/workspaces/0123456789abcdef01234567/events",
            &s.key,
            Some(json!({"event": "NEW_TAG", "payload": {}})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
}

const METRICS_TOKEN: &str = "a-metrics-token-for-group-commit";

fn grouped(settings: &mut keyhook::config::Settings) {
    local(settings);
    // Eighty publications at once are more than a key may make in a second.
    settings.api_rate_limit = 0;
    settings.metrics_token = Some(METRICS_TOKEN.parse().expect("token"));
}

/// Publications that arrive together share a transaction (`db::group_commit`), and one that
/// fails inside it fails alone. Sixty good ones, twenty refused by the service (a payload that
/// is not an object, an event the plan lacks: refused before they write, answered in the
/// batch) and eight whose keys come twice (the second one's key insert fails a statement: its
/// batch is rolled back and each runs again alone) sent at once: each good one is answered 202
/// and delivered once, each refused one gets its own error, each key publishes once, and some
/// transaction held several. A Regular member's eight in the same burst are refused: access is
/// checked once a batch per caller, never borrowed from the Owner's request beside it.
async fn a_bad_publication_sharing_a_commit_fails_alone(app: TestApp) {
    let s = Script::new(&app).await;
    let receiver = Receiver::start().await;
    s.subscribe(&receiver, "NEW_TAG", None).await;
    let member = app.add_member(&s.owner, &s.ws, "rita@example.com", "REGULAR").await;
    let member_key = member.generate_key("rita", "never").await.secret;
    let url = format!("{}{}", s.owner.address, s.url("events"));
    let mut members = Vec::new();
    let sends: Vec<_> = (0..88)
        .map(|i| {
            // The member's, between the Owner's.
            if i % 11 == 5 {
                let body = json!({"event": "NEW_TAG", "payload": {"member": i}});
                let request = member.http.post(&url).header("X-Api-Key", &member_key).json(&body);
                members.push(tokio::spawn(async move { request.send().await.expect("POST").status() }));
            }
            let body = match i % 4 {
                _ if i >= 80 => json!({"event": "NEW_TAG", "payload": {"key": i % 4}}),
                3 if i % 8 == 3 => json!({"event": "NEW_TAG", "payload": [i]}),
                3 => json!({"event": "EXPENSE_CREATED", "payload": {"n": i}}),
                _ => json!({"event": "NEW_TAG", "payload": {"n": i}}),
            };
            let mut request = s.owner.http.post(&url).header("X-Api-Key", &s.key).json(&body);
            if i >= 80 {
                request = request.header("Idempotency-Key", format!("pair-{}", i % 4));
            }
            tokio::spawn(async move {
                let answer = request.send().await.expect("POST");
                (i, answer.status(), answer.json::<Value>().await.unwrap_or_default())
            })
        })
        .collect();
    for send in sends {
        let (i, status, answer) = send.await.expect("request");
        match i % 4 {
            // The second of a pair replays the first or, run at the same moment, says "retry".
            _ if i >= 80 => {
                assert!(status == StatusCode::ACCEPTED || status == StatusCode::BAD_REQUEST, "{i}: {answer}")
            }
            3 if i % 8 == 3 => {
                assert_eq!(status, StatusCode::BAD_REQUEST, "{i}: {answer}");
                assert!(answer["message"].as_str().unwrap_or("").starts_with("payload"), "{i}: {answer}");
            }
            3 => {
                assert_eq!(status, StatusCode::FORBIDDEN, "{i}: {answer}");
                assert!(answer["message"].as_str().unwrap_or("").contains("needs PRO"), "{i}: {answer}");
            }
            _ => assert_eq!(status, StatusCode::ACCEPTED, "{i}: {answer}"),
        }
    }
    for send in members {
        assert_eq!(send.await.expect("request"), StatusCode::FORBIDDEN, "a Regular member may not publish");
    }
    let hits = receiver.wait_for(64, WAIT).await;
    assert!(hits.iter().all(|h| body_of(h)["member"].is_null()), "nothing of the member's was published");
    let mut delivered: Vec<i64> = hits.iter().filter_map(|h| body_of(h)["n"].as_i64()).collect();
    delivered.sort_unstable();
    let expected: Vec<i64> = (0..80).filter(|i| i % 4 != 3).collect();
    assert_eq!(delivered, expected, "each good publication delivered once");
    let mut keyed: Vec<i64> = hits.iter().filter_map(|h| body_of(h)["key"].as_i64()).collect();
    keyed.sort_unstable();
    assert_eq!(keyed, [0, 1, 2, 3], "each key published once");
    assert_eq!(receiver.wait_for(65, Duration::from_millis(300)).await.len(), 64, "nothing more");
    if let Some(metrics) = crate::scrape::Metrics::scrape(&s.owner.address, METRICS_TOKEN).await {
        let (writes, commits, splits) = (
            metrics.sum("keyhook_db_group_commit_writes_sum"),
            metrics.sum("keyhook_db_group_commit_writes_count"),
            metrics.sum("keyhook_db_group_commit_splits_total"),
        );
        eprintln!("{writes} publications in {commits} commits; {splits} batches split");
        // Each request (the member's eight too) is counted in the transaction that answered
        // it; a key's second copy that failed alone is in none.
        assert!((92.0..=96.0).contains(&writes), "every publication answered in a commit: {:?}", metrics.labels());
        assert!(commits < writes, "a transaction held several publications: {:?}", metrics.labels());
    }
}

crate::on_both_backends!(with local:
    published_events_are_delivered_once_per_key,
    bad_publications_are_refused,
);

crate::on_both_backends!(with grouped: a_bad_publication_sharing_a_commit_fails_alone);
