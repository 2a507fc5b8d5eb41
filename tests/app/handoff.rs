//! Deliveries handed to the sender as they commit, when their webhook is slow: those that wait
//! in memory too long for a send's time to be left on their lease are left to the poll, which
//! claims them once the lease has run out. Every event arrives, and none twice.

use std::collections::HashMap;
use std::time::Duration;

use keyhook::config::Settings;
use reqwest::StatusCode;
use serde_json::json;

use crate::clients_tags::Script;
use crate::helpers::TestApp;
use crate::receiver::Receiver;

fn slow_sender(settings: &mut Settings) {
    settings.allow_private_networks = "127.0.0.0/8".into();
    // Leases of 2 × 1 s + 5 s; a handed-off delivery may wait 1 s in memory before its send.
    settings.send_timeout = "1s".parse().expect("timeout");
    settings.sender_per_webhook = 1;
}

async fn a_slow_webhook_gets_every_event_once(app: TestApp) {
    let s = Script::new(&app).await;
    let receiver = Receiver::start().await;
    receiver.delay(Duration::from_millis(150));
    s.subscribe(&receiver, "NEW_TAG", None).await;
    // 30 events at once: one at a time, 150 ms each, the last ones wait about 4 s.
    for i in 0..30 {
        let (status, tag) = s.call("POST", "tags", Some(json!({"name": format!("tag {i}")}))).await;
        assert_eq!(status, StatusCode::CREATED, "{tag}");
    }
    let hits = receiver.wait_for(30, Duration::from_secs(30)).await;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for hit in &hits {
        *seen.entry(hit.header("webhook-id").to_owned()).or_default() += 1;
    }
    assert_eq!(seen.len(), 30, "every event arrived");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.hits().len(), 30, "and none twice");
}

crate::on_both_backends!(with slow_sender: a_slow_webhook_gets_every_event_once);
