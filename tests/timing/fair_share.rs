//! Dead endpoints never slow healthy ones: nine webhooks whose endpoint accepts and never
//! answers (within the send timeout) and one healthy webhook, all on NEW_CLIENT; 40 clients
//! created at 20 per second. Nine hanging webhooks at eight requests each would fill the 64
//! sending slots; a request waiting on its peer gives its slot up, and each webhook's pace lets
//! a dead endpoint hold two requests at most, so every healthy delivery arrives within a second
//! of its commit, and the dead ones end as timeouts with their circuits open.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use keyhook::config::Settings;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;
use crate::receiver::Receiver;

fn hanging_endpoints(settings: &mut Settings) {
    settings.allow_private_networks = "127.0.0.0/8".into();
    settings.send_timeout = "4s".parse().expect("duration");
    settings.retry_schedule = "1h".parse().expect("schedule");
}

async fn healthy_deliveries_do_not_wait_for_hanging_ones(app: TestApp) {
    let _alone = crate::timing_sensitive().await;
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    owner.post_form("/preferences", &format!("/workspaces/{ws}/settings/plan"), &[("plan", "PRO")]).await;
    let key = owner.generate_key("load", "never").await.secret;
    let (healthy, hanging) = (Receiver::start().await, Receiver::start().await);
    hanging.delay(Duration::from_secs(30));
    let hooks = format!("/api/v1/workspaces/{ws}/webhooks");
    let mut dead = Vec::new();
    for i in 0..9 {
        let url = format!("{}/dead-{i}", hanging.url);
        let body = json!({"name": format!("Dead {i}"), "url": url, "webhookEvent": "NEW_CLIENT"});
        let (status, answer) = owner.api("POST", &hooks, &key, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        dead.push(answer["id"].as_str().expect("an id").to_owned());
    }
    let body = json!({"name": "Healthy", "url": healthy.url, "webhookEvent": "NEW_CLIENT"});
    assert_eq!(owner.api("POST", &hooks, &key, Some(body)).await.0, StatusCode::CREATED);

    let clients = format!("/api/v1/workspaces/{ws}/clients");
    let mut committed = HashMap::new();
    let started = Instant::now();
    for i in 0..40 {
        let name = format!("Client {i:02}");
        let (status, answer) = owner.api("POST", &clients, &key, Some(json!({"name": name}))).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        committed.insert(name, Instant::now());
        let next = started + Duration::from_millis(50 * (i + 1));
        tokio::time::sleep(next.saturating_duration_since(Instant::now())).await;
    }
    let hits = healthy.wait_for(40, Duration::from_secs(10)).await;
    assert_eq!(hits.len(), 40, "every client reached the healthy endpoint");
    let mut late = Vec::new();
    for hit in &hits {
        let name = serde_json::from_str::<serde_json::Value>(&hit.body).expect("JSON")["name"]
            .as_str()
            .expect("a name")
            .to_owned();
        let lag = hit.at.saturating_duration_since(committed[&name]);
        if lag > Duration::from_secs(1) {
            late.push(format!("{name}: {} ms", lag.as_millis()));
        }
    }
    assert!(late.is_empty(), "healthy deliveries more than a second after their commit: {late:?}");
    // Each hanging endpoint held at most two requests (its starting pace) until they timed out.
    let sent = hanging.hits().len();
    assert!((9..=18).contains(&sent), "each dead endpoint was tried, two requests at most: {sent}");
    // Three timeouts (two weigh five) open each dead webhook's circuit; its attempts say timeout.
    let waited = Instant::now();
    for id in &dead {
        loop {
            let (_, shown) = owner.api("GET", &format!("{hooks}/{id}"), &key, None).await;
            if shown["circuit"]["state"] != "CLOSED" {
                break;
            }
            assert!(waited.elapsed() < Duration::from_secs(20), "the dead webhook's circuit opened: {shown}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let (_, logs) = owner.api("GET", &format!("{hooks}/{id}/logs"), &key, None).await;
        let logs = logs.as_array().cloned().unwrap_or_default();
        assert!(
            logs.len() >= 3 && logs.iter().all(|l| l["errorClass"] == "timeout"),
            "every attempt to a dead endpoint is a timeout: {logs:?}"
        );
    }
}

crate::on_both_backends!(with hanging_endpoints: healthy_deliveries_do_not_wait_for_hanging_ones);
