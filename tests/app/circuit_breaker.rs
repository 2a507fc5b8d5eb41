//! A webhook whose endpoint fails five times in a row opens its circuit: its other deliveries
//! wait in the database, unattempted, until a probe (a second later) succeeds; then they go out
//! in their due order. The test drives the sender's steps, so each assertion is about what a
//! step did, not about how long a thread took.

use keyhook::config::Settings;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{Client, TestApp};
use crate::receiver::Receiver;

const METRICS_TOKEN: &str = "a-metrics-token-for-tests";

fn one_at_a_time(settings: &mut Settings) {
    settings.metrics_token = Some(METRICS_TOKEN.parse().expect("token"));
    settings.allow_private_networks = "127.0.0.0/8".into();
    settings.retry_schedule = "1h".parse().expect("schedule");
    settings.auto_disable_after = "1h".parse().expect("duration");
    settings.sender_per_webhook = 1;
    settings.sender_driven = true;
}

/// An Owner's webhook on NEW_TAG whose endpoint answers 500 five times, then 200, and `tags`
/// tags created (`Tag 00`, `Tag 01`, ...), each an event for it.
struct Flaky {
    owner: Client,
    ws: String,
    key: String,
    receiver: Receiver,
    hooks: String,
    id: String,
}

async fn flaky(app: &TestApp, tags: usize) -> Flaky {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let key = owner.generate_key("breaker", "never").await.secret;
    let receiver = Receiver::start().await;
    receiver.answer(&[500; 5]);
    let hooks = format!("/api/v1/workspaces/{ws}/webhooks");
    let body = json!({"name": "Flaky", "url": receiver.url, "webhookEvent": "NEW_TAG"});
    let (status, hook) = owner.api("POST", &hooks, &key, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let id = hook["id"].as_str().expect("an id").to_owned();
    for i in 0..tags {
        let body = json!({"name": format!("Tag {i:02}")});
        let (status, answer) = owner.api("POST", &format!("/api/v1/workspaces/{ws}/tags"), &key, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    Flaky { owner, ws, key, receiver, hooks, id }
}

async fn five_failures_open_the_circuit_and_a_probe_closes_it(app: TestApp) {
    let Flaky { owner, ws, key, receiver, hooks, id } = flaky(&app, 20).await;
    let id = id.as_str();
    // The sender takes all twenty as they were handed off: five fail, the circuit opens, and
    // the other fifteen go back to the database unattempted; a second step finds nothing to
    // claim (the probe is a second away).
    app.sender().settle().await.expect("the sender settles");
    assert_eq!(receiver.hits().len(), 5, "nothing after the fifth failure while the circuit is open");
    assert_eq!(app.sender().step().await.expect("a step"), 0, "an open circuit's deliveries are not claimed");
    if let Some(metrics) = crate::scrape::Metrics::scrape(&owner.address, METRICS_TOKEN).await {
        assert_eq!(metrics.value("keyhook_open_circuits", &[]), Some(1.0), "{:?}", metrics.labels());
    }
    let (_, shown) = owner.api("GET", &format!("{hooks}/{id}"), &key, None).await;
    assert_eq!(shown["circuit"]["state"], "OPEN", "{shown}");
    assert!(shown["circuit"]["openSince"].is_string() && shown["circuit"]["nextProbeAt"].is_string(), "{shown}");
    assert!(shown["circuit"]["recentLatencyMs"].is_u64(), "the endpoint's recent latency is shown: {shown}");
    assert_eq!(shown["circuit"]["concurrency"], 1, "the configured bound of one holds: {shown}");
    let details = owner.get(&format!("/workspaces/{ws}/webhooks/{id}")).await;
    let notice = details.text("#circuit").unwrap_or_default();
    assert!(notice.contains("one request at a time") && notice.contains("none is lost"), "{notice}");
    assert!(details.text("#webhook-latency").is_some_and(|l| l.ends_with(" ms")), "the Details page shows the latency");
    // The worker's timer would wake for the probe: it succeeds, and the backlog follows.
    let sent = app.sender().advance().await.expect("the probe's step");
    assert_eq!(sent, Some(15), "the probe and the fourteen behind it");
    let hits = receiver.hits();
    let names: Vec<String> = hits
        .iter()
        .map(|h| serde_json::from_str::<Value>(&h.body).expect("JSON")["name"].as_str().unwrap_or("").to_owned())
        .collect();
    let expected: Vec<String> = (0..20).map(|i| format!("Tag {i:02}")).collect();
    assert_eq!(names, expected, "each tag once, in order: the five failures, then the rest after the probe");

    let (_, shown) = owner.api("GET", &format!("{hooks}/{id}"), &key, None).await;
    assert_eq!(shown["circuit"]["state"], "CLOSED", "{shown}");
    assert!(owner.get(&format!("/workspaces/{ws}/webhooks/{id}")).await.text("#circuit").is_none());

    // Only what was sent was attempted: five failures (retried in an hour) and fifteen successes.
    let (status, logs) = owner.api("GET", &format!("{hooks}/{id}/logs?page-size=200"), &key, None).await;
    assert_eq!(status, StatusCode::OK, "{logs}");
    let logs = logs.as_array().expect("attempts");
    let failed = logs.iter().filter(|a| a["succeeded"] == false).count();
    assert_eq!((logs.len(), failed), (20, 5), "{logs:?}");
    // By the sender's clock, the probe went a second after the fifth failure (the first probe's wait).
    let at = |a: &Value| a["respondedAt"].as_str().and_then(|t| t.parse::<jiff::Timestamp>().ok()).expect("a time");
    let last_failure = logs.iter().filter(|a| a["succeeded"] == false).map(at).max().expect("failures");
    let probe = logs.iter().filter(|a| a["succeeded"] == true).map(at).min().expect("successes");
    assert!(probe.duration_since(last_failure).as_secs() >= 1, "the probe waited: {last_failure} then {probe}");
    if let Some(metrics) = crate::scrape::Metrics::scrape(&owner.address, METRICS_TOKEN).await {
        assert_eq!(metrics.value("keyhook_open_circuits", &[]), Some(0.0));
        assert_eq!(metrics.value("keyhook_circuit_probes_total", &[("outcome", "succeeded")]), Some(1.0));
    }
}

/// A Test (or a Resend) of a webhook whose circuit is open is not sent at once: it waits in the
/// database like the rest, and, being the only delivery due, is the probe that closes it.
async fn a_test_sent_while_the_circuit_is_open_is_its_probe(app: TestApp) {
    let Flaky { owner, key, receiver, hooks, id, .. } = flaky(&app, 5).await;
    let sender = app.sender();
    sender.settle().await.expect("the five failures");
    let (status, test) = owner.api("POST", &format!("{hooks}/{id}/test"), &key, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{test}");
    sender.settle().await.expect("a step");
    assert_eq!(receiver.hits().len(), 5, "the test waits for the probe");
    let (_, shown) = owner.api("GET", &format!("{hooks}/{id}"), &key, None).await;
    assert_eq!(shown["circuit"]["state"], "OPEN", "{shown}");

    assert_eq!(sender.advance().await.expect("the probe"), Some(1), "the probe is the test");
    let hits = receiver.hits();
    assert_eq!(hits.len(), 6);
    assert_eq!(hits[5].header("webhook-id"), test["messageId"].as_str().unwrap_or("?"), "the test went as the probe");
    let (_, shown) = owner.api("GET", &format!("{hooks}/{id}"), &key, None).await;
    assert_eq!(shown["circuit"]["state"], "CLOSED", "{shown}");
    // The five failures' retries come at their own times (an hour on, spread by the jitter), and succeed.
    let mut retried = 0;
    while let Some(sent) = sender.advance().await.expect("a retry") {
        retried += sent;
    }
    assert_eq!((retried, receiver.hits().len()), (5, 11), "each failure retried once, then nothing is left");
}

crate::on_both_backends!(with one_at_a_time:
    five_failures_open_the_circuit_and_a_probe_closes_it,
    a_test_sent_while_the_circuit_is_open_is_its_probe,
);
