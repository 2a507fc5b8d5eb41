//! Deactivating and activating a member: the member keeps their place and data but loses
//! access, and each change fires its webhook event, on both backends.

use std::time::Duration;

use reqwest::StatusCode;

use crate::clients_tags::{body_of, local, Script};
use crate::helpers::TestApp;
use crate::receiver::Receiver;

const WAIT: Duration = Duration::from_secs(5);

async fn deactivation_removes_access_and_fires_events(app: TestApp) {
    let s = Script::new(&app).await;
    let receiver = Receiver::start().await;
    s.subscribe(&receiver, "USER_DEACTIVATED_ON_WORKSPACE", None).await;
    s.subscribe(&receiver, "USER_ACTIVATED_ON_WORKSPACE", None).await;
    let member = app.add_member(&s.owner, &s.ws, "rita@example.com", "REGULAR").await;
    let key = member.generate_key("rita", "never").await.secret;
    let (_, rita) = member.api("GET", "/api/v1/user", &key, None).await;
    let rita_id = rita["id"].as_str().expect("id").to_owned();
    assert_eq!(member.api("GET", &s.url("tags"), &key, None).await.0, StatusCode::OK);

    let members = format!("/workspaces/{}/settings/members", s.ws);
    let active = format!("/workspaces/{}/members/{rita_id}/active", s.ws);
    let answer = s.owner.post_form(&members, &active, &[("active", "false")]).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let page = s.owner.get(&members).await;
    assert!(page.body.contains("Inactive"), "still listed, marked inactive");
    assert_eq!(member.api("GET", &s.url("tags"), &key, None).await.0, StatusCode::NOT_FOUND, "no access");
    let (_, theirs) = member.api("GET", "/api/v1/workspaces", &key, None).await;
    assert!(!theirs.to_string().contains(&s.ws), "the workspace is gone from their list");
    let hits = receiver.wait_for(1, WAIT).await;
    assert_eq!(hits[0].header("clockify-webhook-event-type"), "USER_DEACTIVATED_ON_WORKSPACE");
    let payload = body_of(&hits[0]);
    assert_eq!(payload["id"], rita_id.as_str());
    assert_eq!(payload["memberships"][0]["membershipStatus"], "INACTIVE");

    s.owner.post_form(&members, &active, &[("active", "true")]).await;
    assert_eq!(member.api("GET", &s.url("tags"), &key, None).await.0, StatusCode::OK, "access again");
    let hits = receiver.wait_for(2, WAIT).await;
    assert_eq!(hits[1].header("clockify-webhook-event-type"), "USER_ACTIVATED_ON_WORKSPACE");
    assert_eq!(body_of(&hits[1])["memberships"][0]["membershipStatus"], "ACTIVE");

    // Not the Owner, not oneself; a bad value is refused.
    let (_, me) = s.owner.api("GET", "/api/v1/user", &s.key, None).await;
    let owner_active = format!("/workspaces/{}/members/{}/active", s.ws, me["id"].as_str().unwrap_or(""));
    assert_eq!(s.owner.post_form(&members, &owner_active, &[("active", "false")]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.owner.post_form(&members, &active, &[("active", "maybe")]).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(receiver.wait_for(3, Duration::from_millis(500)).await.len(), 2, "refusals fire nothing");
}

crate::on_both_backends!(with local: deactivation_removes_access_and_fires_events);
