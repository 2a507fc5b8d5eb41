//! Health alerts by mail, through a real SMTP server (aiosmtpd) on 127.0.0.1: one mail per
//! change to each Owner and Admin who wants them (not Regular members, not who opted out), with
//! the webhook, the reason and a link; none again on later checks or from a second instance;
//! and with the SMTP server down, the mails wait and go out when it is back, while deliveries
//! carry on.

use std::time::Duration;

use keyhook::config::Settings;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Client, TestApp};
use crate::receiver::Receiver;
use crate::smtp::SmtpServer;

const WAIT: Duration = Duration::from_secs(10);

fn ladder_with_mail(smtp: &str) -> impl FnOnce(&mut Settings) + '_ {
    move |settings: &mut Settings| {
        settings.allow_private_networks = "127.0.0.0/8".into();
        settings.retry_schedule = "1h,1h,1h,1h".parse().expect("schedule");
        settings.failing_after = "1500ms".parse().expect("duration");
        settings.auto_disable_after = "3s".parse().expect("duration");
        settings.degraded_alert_after = "300ms".parse().expect("duration");
        settings.sender_per_webhook = 1;
        settings.sender_driven = true;
        settings.smtp_url = Some(smtp.parse().expect("infallible"));
        settings.mail_from = Some("keyhook <alerts@keyhook.test>".into());
    }
}

struct Team {
    owner: Client,
    key: String,
    ws: String,
    hooks: String,
    id: String,
}

/// An Owner, two Admins (one of whom turned alerts off), a Regular member, and a webhook on
/// NEW_TAG whose endpoint answers `statuses` first.
async fn team(app: &TestApp, receiver: &Receiver) -> Team {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let key = owner.generate_key("alerts", "never").await.secret;
    app.add_member(&owner, &ws, "admin@example.com", "ADMIN").await;
    let quiet = app.add_member(&owner, &ws, "quiet.admin@example.com", "ADMIN").await;
    let off = quiet.post_form("/preferences", "/preferences/alerts", &[]).await;
    assert_eq!(off.status, StatusCode::SEE_OTHER, "{}", off.body);
    app.add_member(&owner, &ws, "regular@example.com", "REGULAR").await;
    let hooks = format!("/api/v1/workspaces/{ws}/webhooks");
    let body = json!({"name": "Billing", "url": receiver.url, "webhookEvent": "NEW_TAG"});
    let (status, hook) = owner.api("POST", &hooks, &key, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let id = hook["id"].as_str().expect("an id").to_owned();
    Team { owner, key, ws, hooks, id }
}

impl Team {
    async fn tag(&self, name: &str) {
        let path = format!("/api/v1/workspaces/{}/tags", self.ws);
        let (status, body) = self.owner.api("POST", &path, &self.key, Some(json!({"name": name}))).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
}

/// The health alerts received (the team's invitations are mailed too).
fn alerts(smtp: &SmtpServer) -> Vec<crate::smtp::Received> {
    smtp.received().into_iter().filter(|m| m.subject.starts_with("Webhook “")).collect()
}

/// Waits (at most `within`) for `n` health alerts.
async fn alerts_after(smtp: &SmtpServer, n: usize, within: Duration) -> Vec<crate::smtp::Received> {
    let started = std::time::Instant::now();
    loop {
        let mails = alerts(smtp);
        if mails.len() >= n || started.elapsed() > within {
            return mails;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn subjects(mails: &[crate::smtp::Received]) -> Vec<(String, String)> {
    let mut seen: Vec<(String, String)> = mails.iter().map(|m| (m.subject.clone(), m.to.clone())).collect();
    seen.sort();
    seen
}

async fn each_health_change_is_mailed_once_to_the_owners_and_admins(app: TestApp, smtp: SmtpServer) {
    let receiver = Receiver::start().await;
    receiver.answer(&[500; 6]);
    let t = team(&app, &receiver).await;
    for i in 0..5 {
        t.tag(&format!("Tag {i}")).await;
    }
    app.sender().settle().await.expect("the sender settles");
    app.health().run_once().await.expect("a check");
    assert!(alerts(&smtp).is_empty(), "Degraded is mailed only once it lasts");
    tokio::time::sleep(Duration::from_millis(400)).await;
    app.health().run_once().await.expect("a check");
    let mails = alerts_after(&smtp, 2, WAIT).await;
    let expected = |subject: &str| {
        let mut list = vec![
            (subject.to_owned(), "admin@example.com".to_owned()),
            (subject.to_owned(), crate::helpers::OWNER_EMAIL.to_owned()),
        ];
        list.sort();
        list
    };
    assert_eq!(subjects(&mails), expected("Webhook “Billing” is degraded"), "the Owner and the Admin who wants them");
    let body = &mails[0].body;
    assert!(body.contains("Last error: answered 500"), "{body}");
    assert!(body.contains(&format!("/workspaces/{}/webhooks/{}", t.ws, t.id)), "a link: {body}");
    assert!(body.contains(receiver.url.as_str()), "the endpoint: {body}");
    // Later checks (and a second instance's) mail nothing more about the same change.
    app.health().run_once().await.expect("a check");
    if app.database_url.starts_with("postgres") {
        let second = app.second_instance_with(ladder_with_mail(&smtp.url())).await;
        second.health().run_once().await.expect("the other instance's check");
    }

    tokio::time::sleep(Duration::from_millis(1200)).await;
    app.health().run_once().await.expect("a check");
    let mails = alerts_after(&smtp, 4, WAIT).await;
    assert_eq!(subjects(&mails[2..]), expected("Webhook “Billing” is failing"));

    tokio::time::sleep(Duration::from_millis(1500)).await;
    t.tag("The probe").await;
    app.sender().advance().await.expect("the probe");
    app.health().run_once().await.expect("a check");
    let mails = alerts_after(&smtp, 6, WAIT).await;
    assert_eq!(subjects(&mails[4..]), expected("Webhook “Billing” was disabled"));

    t.tag("While off").await;
    let (status, _) = t
        .owner
        .api("PATCH", &format!("{}/{}", t.hooks, t.id), &t.key, Some(json!({"enabled": true, "replayMissed": true})))
        .await;
    assert_eq!(status, StatusCode::OK);
    app.sender().advance().await.expect("the probe");
    app.sender().settle().await.expect("the rest");
    app.health().run_once().await.expect("a check");
    let mails = alerts_after(&smtp, 8, WAIT).await;
    assert_eq!(subjects(&mails[6..]), expected("Webhook “Billing” has recovered"));
    app.health().run_once().await.expect("a check");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(alerts(&smtp).len(), 8, "one mail per change and recipient, no more");
}

async fn with_the_smtp_server_down_mails_wait_and_deliveries_go_on(app: TestApp, port: u16) {
    let receiver = Receiver::start().await;
    receiver.answer(&[500; 5]);
    let t = team(&app, &receiver).await;
    for i in 0..5 {
        t.tag(&format!("Tag {i}")).await;
    }
    app.sender().settle().await.expect("the sender settles");
    app.health().run_once().await.expect("a check");
    tokio::time::sleep(Duration::from_millis(400)).await;
    app.health().run_once().await.expect("a check queues the Degraded mails");
    // The mail server is down: the mails wait in the outbox, and deliveries carry on.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    t.tag("Meanwhile").await;
    app.sender().advance().await.expect("the probe");
    let names: Vec<String> = receiver.hits().iter().map(|h| h.body.clone()).collect();
    assert!(names.iter().any(|b| b.contains("Meanwhile")), "a delivery went out while mail was down");
    let smtp = SmtpServer::start_on(port).await;
    // The first retry waits 5 s.
    let mails = alerts_after(&smtp, 2, Duration::from_secs(15)).await;
    let got: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(got, ["Webhook “Billing” is degraded"; 2], "nothing lost");
}

mod mails {
    use super::*;

    #[tokio::test]
    async fn sqlite() {
        let smtp = SmtpServer::start().await;
        let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, ladder_with_mail(&smtp.url())).await;
        each_health_change_is_mailed_once_to_the_owners_and_admins(app, smtp).await;
    }

    #[tokio::test]
    async fn postgres() {
        let smtp = SmtpServer::start().await;
        if let Some(app) = crate::helpers::spawn_postgres_app(ladder_with_mail(&smtp.url())).await {
            each_health_change_is_mailed_once_to_the_owners_and_admins(app, smtp).await;
        }
    }

    #[tokio::test]
    async fn smtp_down_sqlite() {
        let port = SmtpServer::free_port();
        let url = format!("smtp://127.0.0.1:{port}");
        let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, ladder_with_mail(&url)).await;
        with_the_smtp_server_down_mails_wait_and_deliveries_go_on(app, port).await;
    }

    #[tokio::test]
    async fn smtp_down_postgres() {
        let port = SmtpServer::free_port();
        let url = format!("smtp://127.0.0.1:{port}");
        if let Some(app) = crate::helpers::spawn_postgres_app(ladder_with_mail(&url)).await {
            with_the_smtp_server_down_mails_wait_and_deliveries_go_on(app, port).await;
        }
    }
}
