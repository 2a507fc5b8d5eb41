//! Two instances on one PostgreSQL share one slow endpoint's backlog: each instance's sender
//! keeps its own breaker and pace, so the endpoint gets at most the per-webhook bound per
//! instance at once, and one instance's poll claims at most its claim cap of the webhook's due
//! deliveries, so the other instance sends part of the backlog too.

use std::time::Duration;

use keyhook::config::Settings;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::spawn_postgres_app;
use crate::receiver::Receiver;
use crate::scrape::Metrics;

const METRICS_TOKEN: &str = "a-metrics-token-for-tests";
const QUEUED: usize = 60;
const PER_WEBHOOK: usize = 4;

fn shared(settings: &mut Settings) {
    settings.metrics_token = Some(METRICS_TOKEN.parse().expect("token"));
    settings.allow_private_networks = "127.0.0.0/8".into();
    settings.api_rate_limit = 0;
    settings.sender_per_webhook = PER_WEBHOOK;
}

#[tokio::test]
async fn two_instances_share_a_slow_endpoints_backlog_within_their_bounds() {
    let Some(first) = spawn_postgres_app(shared).await else { return };
    let owner = first.setup_owner().await;
    let ws = owner.active_workspace().await;
    let key = owner.generate_key("shared", "never").await.secret;
    let receiver = Receiver::start().await;
    receiver.delay(Duration::from_millis(150));
    let hooks = format!("/api/v1/workspaces/{ws}/webhooks");
    let body = json!({"name": "Slow", "url": receiver.url, "webhookEvent": "NEW_CLIENT"});
    let (status, hook) = owner.api("POST", &hooks, &key, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let test = format!("{hooks}/{}/test", hook["id"].as_str().expect("an id"));
    let second = first.second_instance_with(shared).await;
    // Tests are queued in the database for either instance's poll to claim.
    for _ in 0..QUEUED {
        let (status, answer) = owner.api("POST", &test, &key, None).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    }
    let hits = receiver.wait_for(QUEUED, Duration::from_secs(30)).await;
    assert_eq!(hits.len(), QUEUED, "every test arrived");
    let most = receiver.most_in_flight();
    assert!(most <= 2 * PER_WEBHOOK, "{most} requests at once; the bound is {PER_WEBHOOK} per instance");
    // The last answers are still on their way when their requests have arrived.
    let mut counted = (0.0, 0.0);
    for _ in 0..50 {
        let (Some(a), Some(b)) = (
            Metrics::scrape(&first.address, METRICS_TOKEN).await,
            Metrics::scrape(&second.address, METRICS_TOKEN).await,
        ) else {
            return;
        };
        counted = (a.sum("keyhook_delivery_attempts_total"), b.sum("keyhook_delivery_attempts_total"));
        if counted.0 + counted.1 >= QUEUED as f64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (by_first, by_second) = counted;
    eprintln!("attempts by the first instance {by_first}, by the second {by_second}; at most {most} at once");
    assert_eq!(by_first + by_second, QUEUED as f64, "each test was sent once");
    assert!(by_first > 0.0 && by_second > 0.0, "both instances sent part of the backlog: {by_first} and {by_second}");
}
