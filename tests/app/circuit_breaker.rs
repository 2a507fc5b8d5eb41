//! A webhook whose endpoint fails five times in a row opens its circuit: its other deliveries
//! wait in the database, unattempted, until a probe (a second later) succeeds; then they go out
//! in their due order.

use std::time::Duration;

use keyhook::config::Settings;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::receiver::Receiver;

const METRICS_TOKEN: &str = "a-metrics-token-for-tests";

fn one_at_a_time(settings: &mut Settings) {
    settings.metrics_token = Some(METRICS_TOKEN.parse().expect("token"));
    settings.allow_private_networks = "127.0.0.0/8".into();
    settings.retry_schedule = "1h".parse().expect("schedule");
    settings.auto_disable_after = "1h".parse().expect("duration");
    settings.sender_per_webhook = 1;
}

async fn five_failures_open_the_circuit_and_a_probe_closes_it(app: TestApp) {
    let _alone = crate::helpers::timing_sensitive().await;
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let key = owner.generate_key("breaker", "never").await.secret;
    let receiver = Receiver::start().await;
    receiver.answer(&[500; 5]);
    let hooks = format!("/api/v1/workspaces/{ws}/webhooks");
    let body = json!({"name": "Flaky", "url": receiver.url, "webhookEvent": "NEW_TAG"});
    let (status, hook) = owner.api("POST", &hooks, &key, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let tags = format!("/api/v1/workspaces/{ws}/tags");
    for i in 0..20 {
        let (status, answer) = owner.api("POST", &tags, &key, Some(json!({"name": format!("Tag {i:02}")}))).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    // While open (a second from the fifth failure to the probe), /metrics shows the circuit.
    receiver.wait_for(5, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    if let Some(metrics) = crate::scrape::Metrics::scrape(&owner.address, METRICS_TOKEN).await {
        assert_eq!(metrics.value("keyhook_open_circuits", &[]), Some(1.0), "{:?}", metrics.labels());
    }
    let id = hook["id"].as_str().expect("an id");
    let (_, shown) = owner.api("GET", &format!("{hooks}/{id}"), &key, None).await;
    assert_eq!(shown["circuit"]["state"], "OPEN", "{shown}");
    assert!(shown["circuit"]["openSince"].is_string() && shown["circuit"]["nextProbeAt"].is_string(), "{shown}");
    assert!(shown["circuit"]["recentLatencyMs"].is_u64(), "the endpoint's recent latency is shown: {shown}");
    assert_eq!(shown["circuit"]["concurrency"], 1, "the configured bound of one holds: {shown}");
    let details = owner.get(&format!("/workspaces/{ws}/webhooks/{id}")).await;
    let notice = details.text("#circuit").unwrap_or_default();
    assert!(notice.contains("one request at a time") && notice.contains("none is lost"), "{notice}");
    assert!(details.text("#webhook-latency").is_some_and(|l| l.ends_with(" ms")), "the Details page shows the latency");
    let hits = receiver.wait_for(20, Duration::from_secs(8)).await;
    let names: Vec<String> = hits
        .iter()
        .map(|h| serde_json::from_str::<Value>(&h.body).expect("JSON")["name"].as_str().unwrap_or("").to_owned())
        .collect();
    let expected: Vec<String> = (0..20).map(|i| format!("Tag {i:02}")).collect();
    assert_eq!(names, expected, "each tag once, in order: the five failures, then the rest after the probe");
    let open_for = hits[5].at.duration_since(hits[4].at);
    assert!(open_for >= Duration::from_millis(900), "nothing was sent while the circuit was open: {open_for:?}");

    let (_, shown) = owner.api("GET", &format!("{hooks}/{id}"), &key, None).await;
    assert_eq!(shown["circuit"]["state"], "CLOSED", "{shown}");
    assert!(owner.get(&format!("/workspaces/{ws}/webhooks/{id}")).await.text("#circuit").is_none());

    // Only what was sent was attempted: five failures (retried in an hour) and fifteen successes.
    let (status, logs) = owner.api("GET", &format!("{hooks}/{id}/logs?page-size=200"), &key, None).await;
    assert_eq!(status, StatusCode::OK, "{logs}");
    let logs = logs.as_array().expect("attempts");
    let failed = logs.iter().filter(|a| a["succeeded"] == false).count();
    assert_eq!((logs.len(), failed), (20, 5), "{logs:?}");
    if let Some(metrics) = crate::scrape::Metrics::scrape(&owner.address, METRICS_TOKEN).await {
        assert_eq!(metrics.value("keyhook_open_circuits", &[]), Some(0.0));
        assert_eq!(metrics.value("keyhook_circuit_probes_total", &[("outcome", "succeeded")]), Some(1.0));
    }
}

crate::on_both_backends!(with one_at_a_time: five_failures_open_the_circuit_and_a_probe_closes_it);
