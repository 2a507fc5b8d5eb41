//! The health ladder on a millisecond schedule, on both databases: a webhook whose endpoint
//! fails goes Healthy → Degraded → Failing → Disabled; while disabled, its events are kept as
//! missed; enabled again with replay, they are sent and it is Healthy. Each round of the health
//! check is run by the test, so each change is one the test can name.

use keyhook::config::Settings;
use keyhook::domain::Health;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::receiver::Receiver;

const METRICS_TOKEN: &str = "a-metrics-token-for-tests";

fn quick_ladder(settings: &mut Settings) {
    settings.metrics_token = Some(METRICS_TOKEN.parse().expect("token"));
    settings.allow_private_networks = "127.0.0.0/8".into();
    settings.retry_schedule = "1h,1h,1h,1h".parse().expect("schedule");
    settings.failing_after = "1500ms".parse().expect("duration");
    settings.auto_disable_after = "3s".parse().expect("duration");
    settings.sender_per_webhook = 1;
    settings.sender_driven = true;
}

async fn a_failing_webhook_climbs_the_ladder_and_comes_back_with_what_it_missed(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let key = owner.generate_key("ladder", "never").await.secret;
    let receiver = Receiver::start().await;
    // Five failures open the circuit; the sixth, a probe, disables the webhook.
    receiver.answer(&[500; 6]);
    let hooks = format!("/api/v1/workspaces/{ws}/webhooks");
    let body = json!({"name": "Ladder", "url": receiver.url, "webhookEvent": "NEW_TAG"});
    let (status, hook) = owner.api("POST", &hooks, &key, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    assert_eq!(hook["health"], "HEALTHY");
    let id = hook["id"].as_str().expect("an id").to_owned();
    let tag = |name: String| {
        let (owner, key, ws) = (&owner, &key, &ws);
        async move {
            let (status, body) =
                owner.api("POST", &format!("/api/v1/workspaces/{ws}/tags"), key, Some(json!({"name": name}))).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
    };
    let health = || async {
        let (_, shown): (StatusCode, Value) = owner.api("GET", &format!("{hooks}/{id}"), &key, None).await;
        shown
    };
    let changes = || async {
        app.health().run_once().await.expect("a health check").into_iter().map(|t| (t.from, t.to)).collect::<Vec<_>>()
    };

    for i in 0..5 {
        tag(format!("Before {i}")).await;
    }
    app.sender().settle().await.expect("the sender settles");
    assert_eq!(receiver.hits().len(), 5);
    assert_eq!(changes().await, [(Health::Healthy, Health::Degraded)], "five failures in a row");
    let shown = health().await;
    assert_eq!(shown["health"], "DEGRADED", "{shown}");
    assert!(shown["healthSince"].is_string());
    assert_eq!(changes().await, [], "a change is made once");
    // The list's badge, and the banner on Details: since when, the last error, the day's rate, what comes next.
    let list = owner.get(&format!("/workspaces/{ws}/webhooks")).await;
    assert_eq!(list.text(&format!("#webhook-{id} .health")).as_deref(), Some("Degraded"));
    let details_url = format!("/workspaces/{ws}/webhooks/{id}");
    let details = owner.get(&details_url).await;
    assert_eq!(details.text("#health .health").as_deref(), Some("Degraded"));
    let last_error = details.text("#health-last-error").unwrap_or_default();
    assert!(last_error.starts_with("Last error: answered 500 ("), "{last_error}");
    assert_eq!(details.text("#health-rate").as_deref(), Some("Failure rate over 24 hours: 100 % (5 of 5 attempts)"));
    let next = details.text("#health-next").unwrap_or_default();
    assert!(next.contains("becomes Failing at") && next.contains("is disabled at"), "{next}");

    // No success for longer than `failing_after`.
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    assert_eq!(changes().await, [(Health::Degraded, Health::Failing)]);
    assert_eq!(health().await["health"], "FAILING");

    // Past `auto_disable_after`, a new event's delivery is the open circuit's probe; it fails
    // too, and the webhook is disabled by failures.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    tag("The probe".into()).await;
    app.sender().advance().await.expect("the probe");
    assert_eq!(receiver.hits().len(), 6, "one probe while the circuit is open");
    assert_eq!(changes().await, [(Health::Failing, Health::Disabled)]);
    let shown = health().await;
    assert_eq!(
        (shown["health"].as_str(), shown["disabledReason"].as_str()),
        (Some("DISABLED"), Some("FAILING")),
        "{shown}"
    );

    // Disabled by failures, its events are kept as missed, and none is sent.
    tag("While off 1".into()).await;
    tag("While off 2".into()).await;
    app.sender().settle().await.expect("the sender settles");
    assert_eq!(receiver.hits().len(), 6, "nothing is sent while disabled");
    let (_, listed) = owner.api("GET", &format!("{hooks}/{id}/deliveries?state=MISSED"), &key, None).await;
    let missed = listed["deliveries"].as_array().map_or(0, Vec::len);
    assert!(missed >= 2, "the two new events at least: {listed}");
    if let Some(metrics) = crate::scrape::Metrics::scrape(&owner.address, METRICS_TOKEN).await {
        assert_eq!(metrics.value("keyhook_webhook_health", &[("health", "disabled")]), Some(1.0));
        assert_eq!(metrics.value("keyhook_webhook_health", &[("health", "healthy")]), Some(0.0));
    }
    // The page offers both ways back, as plain forms (no JavaScript needed).
    let details = owner.get(&details_url).await;
    assert_eq!(details.text("#health .health").as_deref(), Some("Disabled"));
    let offer = format!("Enable and send the {missed} missed deliveries");
    assert_eq!(details.text("#enable-replay").as_deref(), Some(offer.as_str()));
    assert_eq!(details.text("#enable-only").as_deref(), Some("Enable only"));

    // Enabled again with its missed deliveries (the page's form): each is sent, and it is Healthy again.
    let enabled = owner.post_form(&details_url, &format!("{details_url}/enable"), &[("replay", "missed")]).await;
    assert_eq!(enabled.status, StatusCode::SEE_OTHER, "{}", enabled.body);
    let toast = owner.get(&details_url).await.text("#toast").unwrap_or_default();
    assert_eq!(toast, format!("Webhook “Ladder” enabled; its {missed} missed deliveries are being sent."));
    // The circuit stays open on this instance until a probe succeeds: the next step is it.
    app.sender().advance().await.expect("the probe");
    app.sender().settle().await.expect("the rest");
    let names: Vec<String> = receiver.hits()[6..]
        .iter()
        .filter_map(|h| serde_json::from_str::<Value>(&h.body).ok())
        .filter_map(|b| b["name"].as_str().map(str::to_owned))
        .collect();
    for name in ["While off 1", "While off 2"] {
        assert!(names.iter().any(|n| n == name), "{name} was replayed: {names:?}");
    }
    assert_eq!(changes().await, [(Health::Disabled, Health::Healthy)]);
    let (_, left) = owner.api("GET", &format!("{hooks}/{id}/deliveries?state=MISSED"), &key, None).await;
    assert_eq!(left["deliveries"].as_array().map(Vec::len), Some(0), "{left}");

    // Disabled by a user, it misses nothing: enabling has nothing to replay.
    owner.api("PATCH", &format!("{hooks}/{id}"), &key, Some(json!({"enabled": false}))).await;
    tag("While off by hand".into()).await;
    let (status, enabled) =
        owner.api("PATCH", &format!("{hooks}/{id}"), &key, Some(json!({"enabled": true, "replayMissed": true}))).await;
    assert_eq!((status, enabled["replayed"].as_u64()), (StatusCode::OK, Some(0)), "{enabled}");
    let (status, off) =
        owner.api("PATCH", &format!("{hooks}/{id}"), &key, Some(json!({"enabled": false, "replayMissed": true}))).await;
    assert_eq!((status, off["replayed"].is_null()), (StatusCode::OK, true), "disabling replays nothing: {off}");
}

crate::on_both_backends!(with quick_ladder: a_failing_webhook_climbs_the_ladder_and_comes_back_with_what_it_missed);
