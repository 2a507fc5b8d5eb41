//! Plan limits hold under simultaneous requests, and add-ons are bounded too.

use reqwest::StatusCode;
use serde_json::json;

use crate::addons::manifest;
use crate::clients_tags::{local, Script};
use crate::helpers::TestApp;
use crate::receiver::Receiver;

/// Eight creates at once with room for one more webhook on FREE: exactly one fits.
async fn simultaneous_creates_cannot_pass_the_plan(app: TestApp) {
    let s = Script::new(&app).await;
    let receiver = Receiver::start().await;
    for event in ["NEW_CLIENT", "NEW_TAG"] {
        s.subscribe(&receiver, event, None).await;
    }
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..8 {
        let (client, url, key) = (app.client(), s.url("webhooks"), s.key.clone());
        let body = json!({"name": format!("racer {i}"), "url": receiver.url, "webhookEvent": "NEW_PROJECT"});
        tasks.spawn(async move { client.api("POST", &url, &key, Some(body)).await });
    }
    let mut statuses = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let (status, answer) = done.expect("task");
        if status == StatusCode::FORBIDDEN {
            assert!(answer["message"].as_str().is_some_and(|m| m.contains("FREE plan allows 3")), "{answer}");
        }
        statuses.push(status);
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::FORBIDDEN).count(), 7, "{statuses:?}");
    let (_, listed) = s.call("GET", "webhooks", None).await;
    assert_eq!(listed["workspaceWebhookCount"], 3, "{listed}");
}

/// A FREE workspace installs five add-ons; the sixth is refused, naming the limit.
async fn a_workspace_installs_a_bounded_number_of_addons(app: TestApp) {
    let s = Script::new(&app).await;
    let addon_side = Receiver::start().await;
    for i in 0..5 {
        let (status, answer) = s.call("POST", "addons", Some(manifest(&addon_side, &format!("bot-{i}"), &[]))).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    let (status, answer) = s.call("POST", "addons", Some(manifest(&addon_side, "bot-5", &[]))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(answer["message"].as_str().is_some_and(|m| m.contains("allows 5 add-ons")), "{answer}");
    let (_, installed) = s.call("GET", "addons", None).await;
    assert_eq!(installed.as_array().map(Vec::len), Some(5));
}

crate::on_both_backends!(with local:
    simultaneous_creates_cannot_pass_the_plan,
    a_workspace_installs_a_bounded_number_of_addons,
);
