//! A workspace's system endpoint: set in Workspace settings (its secret shown once), it receives
//! `webhook.degraded` when a webhook's health drops and `delivery.failed` when a delivery
//! exhausts its retries, each signed with Standard Webhooks and verified here with the
//! `standardwebhooks` crate; never events about itself; listed apart from the webhooks.

use diesel::prelude::*;
use keyhook::config::Settings;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::receiver::{Hit, Receiver};

fn fast_retries(settings: &mut Settings) {
    settings.allow_private_networks = "127.0.0.0/8".into();
    settings.retry_schedule = "1ms".parse().expect("schedule");
    settings.auto_disable_after = "5d".parse().expect("duration");
    settings.sender_per_webhook = 1;
    settings.sender_driven = true;
}

fn verified(secret: &str, hit: &Hit) -> Value {
    standardwebhooks::Webhook::new(secret).expect("secret").verify(hit.body.as_bytes(), &hit.headers).expect("signed");
    serde_json::from_str(&hit.body).expect("JSON")
}

async fn the_system_endpoint_hears_of_health_changes_and_failed_deliveries(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let key = owner.generate_key("system", "never").await.secret;
    let system = Receiver::start().await;
    let tab = format!("/workspaces/{ws}/settings/system-endpoint");

    // Bad input is refused next to the field; a good URL is set and its secret shown once.
    let bad = owner.post_form(&tab, &tab, &[("url", "ftp://nowhere")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text("#url-error").is_some(), "{}", bad.body);
    let set = owner.post_form(&tab, &tab, &[("url", system.url.as_str())]).await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    let page = owner.get(&tab).await;
    let secret = page.text("#flash-secret").expect("the secret, once");
    assert!(secret.starts_with("whsec_"));
    let deliveries = page.attr("#system-deliveries", "href").expect("its deliveries");

    let receiver = Receiver::start().await;
    receiver.answer(&[500; 50]);
    let hooks = format!("/api/v1/workspaces/{ws}/webhooks");
    let body = json!({"name": "Orders", "url": receiver.url, "webhookEvent": "NEW_TAG"});
    let (status, hook) = owner.api("POST", &hooks, &key, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let id = hook["id"].as_str().expect("an id").to_owned();
    let (_, listed) = owner.api("GET", &hooks, &key, None).await;
    assert_eq!(
        listed["webhooks"].as_array().map(Vec::len),
        Some(1),
        "the system endpoint is not a webhook of the list: {listed}"
    );

    for i in 0..5 {
        let (status, _) = owner
            .api("POST", &format!("/api/v1/workspaces/{ws}/tags"), &key, Some(json!({"name": format!("T{i}")})))
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    app.sender().settle().await.expect("the sender settles");
    app.health().run_once().await.expect("a health check");
    // The circuit's probe (a retry) fails for good: the schedule had one retry.
    app.sender().advance().await.expect("the probe");
    app.sender().settle().await.expect("the system events go out");
    let events: Vec<Value> = system.hits().iter().map(|hit| verified(&secret, hit)).collect();
    let degraded: Vec<&Value> = events.iter().filter(|e| e["type"] == "webhook.degraded").collect();
    assert_eq!(degraded.len(), 1, "{events:?}");
    assert_eq!(degraded[0]["data"]["webhookId"], id.as_str());
    assert_eq!(
        (degraded[0]["data"]["health"].as_str(), degraded[0]["data"]["previousHealth"].as_str()),
        (Some("DEGRADED"), Some("HEALTHY"))
    );
    assert_eq!(degraded[0]["data"]["lastError"]["message"], "answered 500");
    let failed: Vec<&Value> = events.iter().filter(|e| e["type"] == "delivery.failed").collect();
    assert!(!failed.is_empty(), "a delivery that exhausted its retries is told: {events:?}");
    assert_eq!(failed[0]["data"]["event"], "NEW_TAG");
    assert_eq!(failed[0]["data"]["attempts"], 2);
    assert_eq!(system.hits()[0].header("clockify-webhook-event-type"), events[0]["type"].as_str().unwrap_or_default());

    // Its own deliveries are on its Details page; its events are filterable by type.
    let details = owner.get(&deliveries).await;
    assert_eq!(details.status, StatusCode::OK);
    let system_id = deliveries.rsplit('/').next().unwrap_or_default().to_owned();
    let (status, only) =
        owner.api("GET", &format!("{hooks}/{system_id}/deliveries?event=webhook.degraded"), &key, None).await;
    assert_eq!(status, StatusCode::OK, "{only}");
    assert_eq!(only["deliveries"].as_array().map(Vec::len), Some(1), "{only}");
    // It cannot be edited as a webhook, and never hears about itself.
    let (status, _) = owner.api("DELETE", &format!("{hooks}/{system_id}"), &key, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let about_itself = app
        .db()
        .write(move |conn| -> anyhow::Result<bool> {
            use keyhook::db::schema::webhooks;
            let (endpoint, workspace): (i64, i64) = webhooks::table
                .filter(webhooks::public_id.eq(&system_id))
                .select((webhooks::id, webhooks::workspace_id))
                .first(conn)?;
            let event = keyhook::domain::SystemEvent::WebhookDegraded;
            Ok(keyhook::db::system_events::queue(conn, workspace, endpoint, event, &json!({}), 0)?)
        })
        .await
        .expect("a query");
    assert!(!about_itself, "nothing is queued about the system endpoint itself");

    // The OpenAPI document describes what it receives.
    let doc: Value =
        reqwest::get(format!("{}/api/openapi.json", owner.address)).await.expect("GET").json().await.expect("JSON");
    for name in ["webhook.degraded", "webhook.failing", "webhook.disabled", "webhook.recovered", "delivery.failed"] {
        assert!(doc["webhooks"][name]["post"]["requestBody"].is_object(), "{name} is in the webhooks section");
    }

    // Removed, it hears nothing more.
    let removed = owner.post_form(&tab, &format!("{tab}/remove"), &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert!(owner.get(&tab).await.attr("#system-deliveries", "href").is_none());
}

crate::on_both_backends!(with fast_retries: the_system_endpoint_hears_of_health_changes_and_failed_deliveries);
