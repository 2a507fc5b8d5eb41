//! Webhooks end to end: real events, a real receiver on 127.0.0.1, signatures checked with the
//! `standardwebhooks` crate, retries on a millisecond schedule, disabling, resend, plan rules
//! and bad input, on both backends.

use std::time::Duration;

use keyhook::config::Settings;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{Client, TestApp};
use crate::receiver::{Hit, Receiver};

const WAIT: Duration = Duration::from_secs(5);

const METRICS_TOKEN: &str = "a-metrics-token-for-tests";

fn local_and_fast(settings: &mut Settings) {
    settings.metrics_token = Some(METRICS_TOKEN.parse().expect("token"));
    settings.allow_private_networks = "127.0.0.0/8,::1/128".into();
    settings.retry_schedule = "20ms,20ms,20ms".parse().expect("schedule");
    settings.auto_disable_after = "1h".parse().expect("duration");
    settings.sender_per_webhook = 4;
}

/// [`local_and_fast`] with the test driving the sender's steps (`TestApp::sender`): its clock
/// moves to each retry when the test says, so the schedule can be minutes long.
fn driven(settings: &mut Settings) {
    local_and_fast(settings);
    settings.sender_driven = true;
    settings.retry_schedule = "1m,1m,1m".parse().expect("schedule");
}

/// Failing for 150 s disables: at the fourth attempt of the [`driven`] schedule.
fn failing_fast(settings: &mut Settings) {
    driven(settings);
    settings.auto_disable_after = "150s".parse().expect("duration");
}

struct Setup {
    owner: Client,
    key: String,
    ws: String,
}

async fn setup(app: &TestApp) -> Setup {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let key = owner.generate_key("hooks", "never").await.secret;
    Setup { owner, key, ws }
}

impl Setup {
    async fn create(&self, name: &str, url: &str, event: &str) -> Value {
        let (status, body) = self
            .owner
            .api("POST", &self.hooks(), &self.key, Some(json!({"name": name, "url": url, "webhookEvent": event})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    fn hooks(&self) -> String {
        format!("/api/v1/workspaces/{}/webhooks", self.ws)
    }

    async fn logs(&self, hook: &str) -> Vec<Value> {
        let (status, body) = self.owner.api("GET", &format!("{}/{hook}/logs", self.hooks()), &self.key, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body.as_array().cloned().unwrap_or_default()
    }

    async fn logs_until(&self, hook: &str, n: usize) -> Vec<Value> {
        for _ in 0..100 {
            let logs = self.logs(hook).await;
            if logs.len() >= n {
                return logs;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.logs(hook).await
    }

    async fn webhook(&self, hook: &str) -> Value {
        self.owner.api("GET", &format!("{}/{hook}", self.hooks()), &self.key, None).await.1
    }
}

fn verifies(secret: &str, hit: &Hit) -> bool {
    standardwebhooks::Webhook::new(secret).expect("secret").verify(hit.body.as_bytes(), &hit.headers).is_ok()
}

async fn deliveries_are_signed_and_rotation_keeps_the_old_secret_for_its_grace(app: TestApp) {
    let s = setup(&app).await;
    let receiver = Receiver::start().await;
    let hook = s.create("Invites", &receiver.url, "USERS_INVITED_TO_WORKSPACE").await;
    let (id, secret, token) = (
        hook["id"].as_str().unwrap_or(""),
        hook["signingSecret"].as_str().unwrap_or(""),
        hook["authToken"].as_str().unwrap_or(""),
    );
    assert!(secret.starts_with("whsec_"));
    assert_eq!(hook["deliveryEnabled"], true);

    // A real change in the workspace: an invitation.
    s.owner.invite(&s.ws, "new.person@example.com", "REGULAR").await;
    let hits = receiver.wait_for(1, WAIT).await;
    assert_eq!(hits.len(), 1, "one delivery");
    let hit = &hits[0];
    assert!(verifies(secret, hit), "Standard Webhooks signature verifies");
    assert_eq!(hit.header("clockify-webhook-event-type"), "USERS_INVITED_TO_WORKSPACE");
    assert_eq!(hit.header("clockify-signature"), token);
    assert_eq!(hit.header("content-type"), "application/json");
    assert!(hit.header("user-agent").starts_with("keyhook/"));
    assert!(hit.header("webhook-id").starts_with("msg_"));
    let payload: Value = serde_json::from_str(&hit.body).expect("JSON payload");
    assert_eq!(payload[0]["email"], "new.person@example.com");

    let logs = s.logs_until(id, 1).await;
    assert_eq!(logs[0]["trigger"], "EVENT");
    assert_eq!(logs[0]["statusCode"], 200);
    assert_eq!(logs[0]["requestHeaders"]["clockify-signature"], "[redacted]", "no secret in the logs");
    assert_eq!(logs[0]["messageId"], hit.header("webhook-id"));

    // Rotate with a grace period: both secrets sign.
    let (status, rotated) = s.owner.api("PATCH", &format!("{}/{id}/token?grace=1h", s.hooks()), &s.key, None).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_secret = rotated["signingSecret"].as_str().unwrap_or("").to_owned();
    assert_ne!(new_secret, secret);
    let (status, _) = s.owner.api("POST", &format!("{}/{id}/test", s.hooks()), &s.key, None).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let hits = receiver.wait_for(2, WAIT).await;
    assert!(verifies(secret, &hits[1]) && verifies(&new_secret, &hits[1]), "both secrets verify during the grace");
    assert_eq!(hits[1].header("webhook-signature").split(' ').count(), 2);
    assert_eq!(hits[1].header("clockify-signature"), rotated["authToken"].as_str().unwrap_or(""));

    // Rotate without grace: only the newest secret signs.
    let (_, again) = s.owner.api("PATCH", &format!("{}/{id}/token?grace=0", s.hooks()), &s.key, None).await;
    let newest = again["signingSecret"].as_str().unwrap_or("").to_owned();
    s.owner.api("POST", &format!("{}/{id}/test", s.hooks()), &s.key, None).await;
    let hits = receiver.wait_for(3, WAIT).await;
    assert!(verifies(&newest, &hits[2]));
    assert!(!verifies(&new_secret, &hits[2]) && !verifies(secret, &hits[2]));
    let logs = s.logs_until(id, 3).await;
    assert_eq!(logs[0]["trigger"], "TEST", "newest first");
}

async fn failures_are_retried_on_the_schedule_then_succeed(app: TestApp) {
    let s = setup(&app).await;
    let receiver = Receiver::start().await;
    receiver.answer(&[500, 503]);
    let hook = s.create("Flaky", &receiver.url, "USERS_INVITED_TO_WORKSPACE").await;
    let id = hook["id"].as_str().unwrap_or("");
    s.owner.invite(&s.ws, "retry@example.com", "REGULAR").await;
    let sender = app.sender();
    sender.settle().await.expect("the first attempt");
    assert_eq!(receiver.hits().len(), 1, "the first attempt, and no retry before its due time");
    for retry in 1..=2 {
        assert_eq!(sender.advance().await.expect("a retry"), Some(1), "retry {retry} was due");
    }
    assert_eq!(sender.advance().await.expect("idle"), None, "nothing is scheduled after the success");
    let hits = receiver.hits();
    assert_eq!(hits.len(), 3, "two failures, then success");
    let ids: Vec<&str> = hits.iter().map(|h| h.header("webhook-id")).collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "the same webhook-id on every retry");
    let logs = s.logs(id).await;
    let triggers: Vec<&str> = logs.iter().rev().map(|l| l["trigger"].as_str().unwrap_or("")).collect();
    assert_eq!(triggers, ["EVENT", "RETRY", "RETRY"]);
    let statuses: Vec<i64> = logs.iter().rev().map(|l| l["statusCode"].as_i64().unwrap_or(0)).collect();
    assert_eq!(statuses, [500, 503, 200]);
    assert_eq!(logs[2]["errorClass"], "http");
    let (status, failed) = s.owner.api("GET", &format!("{}/{id}/logs?status=FAILED", s.hooks()), &s.key, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(failed.as_array().map(Vec::len), Some(2));
    // Clockify's POST form, oldest first on request.
    let (status, oldest) = s
        .owner
        .api(
            "POST",
            &format!("{}/{id}/logs?page=1&page-size=2", s.hooks()),
            &s.key,
            Some(json!({"sortByNewest": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let triggers: Vec<&str> = oldest.as_array().expect("array").iter().filter_map(|l| l["trigger"].as_str()).collect();
    assert_eq!(triggers, ["EVENT", "RETRY"]);

    // Resend the successful attempt: same id again, marked RESEND, tried once.
    let success = logs[0]["id"].as_str().unwrap_or("").to_owned();
    let (status, _) = s.owner.api("POST", &format!("{}/{id}/logs/{success}/resend", s.hooks()), &s.key, None).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(sender.settle().await.expect("the resend"), 1);
    let hits = receiver.hits();
    assert_eq!(hits.len(), 4, "the resend, once");
    assert_eq!(hits[3].header("webhook-id"), ids[0]);
    let logs = s.logs(id).await;
    assert_eq!(logs[0]["trigger"], "RESEND");

    // The instance's metrics count what happened.
    let Some(metrics) = crate::scrape::Metrics::scrape(&s.owner.address, METRICS_TOKEN).await else { return };
    let attempts = |labels: &[(&str, &str)]| metrics.value("keyhook_delivery_attempts_total", labels);
    assert_eq!(attempts(&[("outcome", "failed"), ("error_class", "http")]), Some(2.0), "{:?}", metrics.labels());
    assert_eq!(attempts(&[("outcome", "succeeded"), ("error_class", "none")]), Some(2.0));
    assert_eq!(metrics.value("keyhook_attempt_duration_seconds_count", &[]), Some(4.0));
    assert_eq!(metrics.value("keyhook_queue_depth", &[]), Some(0.0));
    assert_eq!(metrics.value("keyhook_webhooks", &[("state", "enabled")]), Some(1.0));
    assert_eq!(metrics.value("keyhook_sender_in_flight", &[]), Some(0.0));
    let route = "/api/v1/workspaces/{workspaceId}/webhooks/{webhookId}/logs";
    let logs = [("method", "GET"), ("route", route), ("status", "2xx")];
    assert!(metrics.value("keyhook_http_requests_total", &logs).is_some_and(|n| n >= 1.0), "{:?}", metrics.labels());
    assert!(metrics.value("keyhook_http_request_duration_seconds_count", &logs).is_some_and(|n| n >= 1.0));
    assert!(metrics.value("keyhook_db_pool_connections", &[("state", "idle")]).is_some());
    assert!(metrics.value("keyhook_db_pool_wait_seconds_count", &[]).is_some_and(|n| n > 0.0));
    assert_eq!(metrics.value("keyhook_handoff_jobs", &[]), Some(0.0));
    assert!(metrics.value("process_resident_memory_bytes", &[]).is_some_and(|b| b > 1e6));
    assert!(metrics.value("process_cpu_seconds_total", &[]).is_some_and(|s| s > 0.0));
    assert!(metrics.value("process_open_fds", &[]).is_some_and(|n| n > 3.0));
}

async fn a_webhook_that_keeps_failing_is_disabled_and_410_disables_at_once(app: TestApp) {
    let s = setup(&app).await;
    let broken = Receiver::start().await;
    broken.answer(&[500; 20]);
    let gone = Receiver::start().await;
    gone.answer(&[410]);
    let failing = s.create("Broken", &broken.url, "USERS_INVITED_TO_WORKSPACE").await;
    let leaving = s.create("Gone", &gone.url, "USERS_INVITED_TO_WORKSPACE").await;
    s.owner.invite(&s.ws, "a@example.com", "REGULAR").await;
    // The first attempts, then every retry the schedule has (three, a minute apart).
    let sender = app.sender();
    sender.settle().await.expect("the first attempts");
    while sender.advance().await.expect("a retry").is_some() {}
    assert_eq!((broken.hits().len(), gone.hits().len()), (4, 1), "four attempts to the broken one, one to the gone");

    let hook = s.webhook(failing["id"].as_str().unwrap_or("")).await;
    assert_eq!(hook["enabled"], false, "{hook}");
    assert_eq!(hook["disabledReason"], "FAILING");
    assert!(hook["disabledAt"].as_str().is_some_and(|t| t.ends_with('Z')));
    let hook = s.webhook(leaving["id"].as_str().unwrap_or("")).await;
    assert_eq!(hook["disabledReason"], "GONE");
    assert_eq!(gone.hits().len(), 1, "410 is not retried");

    // Disabled webhooks receive nothing; enabling replays nothing by itself.
    let before = broken.hits().len();
    s.owner.invite(&s.ws, "b@example.com", "REGULAR").await;
    sender.settle().await.expect("a step");
    assert_eq!(broken.hits().len(), before);
    let id = failing["id"].as_str().unwrap_or("");
    let (status, enabled) =
        s.owner.api("PATCH", &format!("{}/{id}", s.hooks()), &s.key, Some(json!({"enabled": true}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(enabled["enabled"], true);
    assert_eq!(enabled["disabledReason"], Value::Null);
    sender.settle().await.expect("a step");
    assert_eq!(broken.hits().len(), before, "nothing replayed");

    // "Recover" resends what failed for good, on request.
    let (status, queued) = s
        .owner
        .api("POST", &format!("{}/{id}/recover", s.hooks()), &s.key, Some(json!({"since": "2000-01-01T00:00:00Z"})))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    assert!(queued["queued"].as_i64().unwrap_or(0) >= 1);
    sender.settle().await.expect("the recovered deliveries");
    assert!(broken.hits().len() > before);
}

async fn plans_gate_events_and_the_number_of_webhooks(app: TestApp) {
    let s = setup(&app).await;
    let receiver = Receiver::start().await;
    let invoice = s.create("Invoices", &receiver.url, "NEW_INVOICE").await;
    assert_eq!(invoice["planEnabled"], false);
    assert_eq!(invoice["disabledReason"], "PLAN");
    s.create("Two", &receiver.url, "NEW_CLIENT").await;
    s.create("Three", &receiver.url, "NEW_PROJECT").await;
    let (status, refused) = s
        .owner
        .api("POST", &s.hooks(), &s.key, Some(json!({"name": "Four", "url": receiver.url, "webhookEvent": "NEW_TAG"})))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(refused["message"].as_str().unwrap_or("").contains("FREE plan allows 3"), "{refused}");

    // Upgrading re-evaluates the workspace's webhooks at once.
    let settings = format!("/workspaces/{}/settings", s.ws);
    s.owner.post_form(&settings, &format!("{settings}/plan"), &[("plan", "STANDARD")]).await;
    let id = invoice["id"].as_str().unwrap_or("");
    let hook = s.webhook(id).await;
    assert_eq!(hook["planEnabled"], true, "{hook}");
    assert_eq!(hook["deliveryEnabled"], true);
    s.create("Four", &receiver.url, "NEW_TAG").await;
    s.create("Five", &receiver.url, "NEW_TASK").await;
    // Downgrading to FREE keeps the 3 oldest that the plan allows.
    s.owner.post_form(&settings, &format!("{settings}/plan"), &[("plan", "FREE")]).await;
    let (_, list) = s.owner.api("GET", &s.hooks(), &s.key, None).await;
    assert_eq!(list["workspaceWebhookCount"], 5);
    let enabled: Vec<&str> = list["webhooks"]
        .as_array()
        .expect("array")
        .iter()
        .filter(|h| h["planEnabled"] == true)
        .filter_map(|h| h["name"].as_str())
        .collect();
    assert_eq!(enabled.len(), 3, "NEW_INVOICE lost its feature; 'Five' is past the limit: {enabled:?}");
    assert!(!enabled.contains(&"Invoices") && !enabled.contains(&"Five"));

    // Every webhook change is in the workspace's audit log, without secrets.
    let audit = s.owner.get(&format!("/workspaces/{}/settings/accounts", s.ws)).await;
    let created = audit.body.matches("Created webhook").count();
    assert_eq!(created, 5, "one audit row per webhook created");
    assert!(!audit.body.contains("whsec_"));
}

async fn bad_webhook_input_is_refused_with_a_clear_error(app: TestApp) {
    let s = setup(&app).await;
    let long = format!("https://example.com/{}", "a".repeat(2040));
    // Cases that get as far as the endpoint's name lookup use 127.0.0.1: no DNS traffic.
    let cases = [
        (json!({"name": "ok", "url": "/relative", "webhookEvent": "NEW_TAG"}), "url"),
        (json!({"name": "ok", "url": "ftp://example.com/x", "webhookEvent": "NEW_TAG"}), "url"),
        (json!({"name": "ok", "url": "javascript:alert(1)", "webhookEvent": "NEW_TAG"}), "url"),
        (json!({"name": "ok", "url": "https://user:pw@example.com/", "webhookEvent": "NEW_TAG"}), "url"),
        (json!({"name": "ok", "url": long, "webhookEvent": "NEW_TAG"}), "url"),
        (json!({"name": "ok", "url": "https://10.1.2.3/", "webhookEvent": "NEW_TAG"}), "url"),
        (json!({"name": "ok", "url": "https://169.254.169.254/", "webhookEvent": "NEW_TAG"}), "url"),
        (json!({"name": "x", "url": "https://example.com/", "webhookEvent": "NEW_TAG"}), "name"),
        (json!({"name": "n".repeat(31), "url": "https://example.com/", "webhookEvent": "NEW_TAG"}), "name"),
        (json!({"name": "ok", "url": "http://127.0.0.1:9/", "webhookEvent": "NEW_THING"}), "webhookEvent"),
        (json!({"name": 5, "url": "https://example.com/", "webhookEvent": "NEW_TAG"}), "name"),
        (json!({"url": "https://example.com/", "webhookEvent": "NEW_TAG"}), "name"),
        (
            json!({"name": "ok", "url": "http://127.0.0.1:9/", "webhookEvent": "NEW_TAG", "triggerSourceType": "USER_ID", "triggerSource": ["0123456789abcdef01234567"]}),
            "triggerSource",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = s.owner.api("POST", &s.hooks(), &s.key, Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(answer["message"].as_str().unwrap_or("").starts_with(field), "{body}: {answer}");
    }
    // The test servers run with KEYHOOK_ONLY_ALLOWED_NETWORKS: a public address is refused too.
    let public = json!({"name": "ok", "url": "https://93.184.216.34/", "webhookEvent": "NEW_TAG"});
    let (status, answer) = s.owner.api("POST", &s.hooks(), &s.key, Some(public)).await;
    assert_eq!(
        (status, answer["message"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("url: 93.184.216.34 is outside the networks this server sends to; keyhook does not send there.")
        )
    );
    let malformed = s
        .owner
        .http
        .post(format!("{}{}", s.owner.address, s.hooks()))
        .header("X-Api-Key", &s.key)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("POST");
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let (_, list) = s.owner.api("GET", &s.hooks(), &s.key, None).await;
    assert_eq!(list["workspaceWebhookCount"], 0, "nothing stored");

    // A Regular member's key: 403; another workspace: 404.
    let member = app.add_member(&s.owner, &s.ws, "reg@example.com", "REGULAR").await;
    let member_key = member.generate_key("mine", "never").await.secret;
    let (status, _) = member.api("GET", &s.hooks(), &member_key, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let theirs = member.create_workspace("Theirs").await;
    let (status, _) = s.owner.api("GET", &format!("/api/v1/workspaces/{theirs}/webhooks"), &s.key, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn a_slow_endpoint_does_not_delay_a_healthy_one(app: TestApp) {
    let s = setup(&app).await;
    let slow = Receiver::start().await;
    slow.delay(Duration::from_secs(3));
    let healthy = Receiver::start().await;
    let slow_hook = s.create("Slow", &slow.url, "NEW_CLIENT").await;
    let healthy_hook = s.create("Healthy", &healthy.url, "NEW_TAG").await;
    let test = |hook: &Value| format!("{}/{}/test", s.hooks(), hook["id"].as_str().unwrap_or(""));
    // More sends to the slow endpoint than its per-webhook bound (4): they wait their turn.
    for _ in 0..10 {
        s.owner.api("POST", &test(&slow_hook), &s.key, None).await;
    }
    slow.wait_for(4, WAIT).await;
    for n in 1..=5 {
        let queued = std::time::Instant::now();
        s.owner.api("POST", &test(&healthy_hook), &s.key, None).await;
        let hits = healthy.wait_for(n, WAIT).await;
        let latency = hits[n - 1].at.duration_since(queued);
        assert!(latency < Duration::from_secs(1), "healthy delivery {n} took {latency:?} behind a slow one (3 s)");
    }
    let most = slow.most_in_flight();
    assert!(most <= 4, "the slow endpoint never gets more than its bound at once: {most}");
}

async fn old_attempts_are_pruned_in_batches(app: TestApp) {
    use diesel::prelude::*;
    use keyhook::db::schema::attempts;
    let s = setup(&app).await;
    let receiver = Receiver::start().await;
    let hook = s.create("Pruned", &receiver.url, "NEW_TAG").await;
    let id = hook["id"].as_str().unwrap_or("").to_owned();
    for _ in 0..3 {
        s.owner.api("POST", &format!("{}/{id}/test", s.hooks()), &s.key, None).await;
    }
    s.logs_until(&id, 3).await;
    let (pruned, left) = app
        .db()
        .write(|conn| -> Result<_, keyhook::services::ServiceError> {
            // Two attempts are 31 days old.
            let ids: Vec<i64> = attempts::table.select(attempts::id).order(attempts::id).limit(2).load(conn)?;
            diesel::update(attempts::table.filter(attempts::id.eq_any(&ids)))
                .set(attempts::attempted_at.eq(keyhook::clock::now_ms() - 31 * 86_400_000))
                .execute(conn)?;
            let cutoff = keyhook::clock::now_ms() - 30 * 86_400_000;
            let first = keyhook::db::attempts::Attempt::prune(conn, cutoff, 1)?;
            let second = keyhook::db::attempts::Attempt::prune(conn, cutoff, 1)?;
            let third = keyhook::db::attempts::Attempt::prune(conn, cutoff, 1)?;
            let left: i64 = attempts::table.count().get_result(conn)?;
            Ok(([first, second, third], left))
        })
        .await
        .expect("prune");
    assert_eq!(pruned, [1, 1, 0], "a batch at a time, only the old ones");
    assert_eq!(left, 1);

    // A deleted webhook stays while it has attempts, and goes with its last one.
    let (status, _) = s.owner.api("DELETE", &format!("{}/{id}", s.hooks()), &s.key, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s.owner.api("GET", &format!("{}/{id}", s.hooks()), &s.key, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "deleted for everyone at once");
    let rows = |conn: &mut keyhook::db::DbConnection| -> Result<(i64, i64), keyhook::services::ServiceError> {
        use keyhook::db::schema::webhooks;
        Ok((webhooks::table.count().get_result(conn)?, attempts::table.count().get_result(conn)?))
    };
    let kept = app
        .db()
        .write(move |conn| -> Result<_, keyhook::services::ServiceError> {
            let kept = keyhook::db::webhooks::Webhook::purge(conn)?;
            Ok((kept, rows(conn)?))
        })
        .await
        .expect("purge");
    assert_eq!(kept, (0, (1, 1)), "kept for its attempt");
    let purged = app
        .db()
        .write(move |conn| -> Result<_, keyhook::services::ServiceError> {
            keyhook::db::attempts::Attempt::prune(conn, keyhook::clock::now_ms() + 1, 10)?;
            let purged = keyhook::db::webhooks::Webhook::purge(conn)?;
            Ok((purged, rows(conn)?))
        })
        .await
        .expect("purge");
    assert_eq!(purged, (1, (0, 0)), "gone with its last attempt");
}

/// Settled events go with their deliveries and attempts once older than the retention; an
/// event with a pending delivery, or with a delivery made since (a resend), stays.
async fn settled_events_are_pruned_and_pending_ones_kept(app: TestApp) {
    use diesel::prelude::*;
    use keyhook::db::schema::{attempts, deliveries, events};
    let s = setup(&app).await;
    let receiver = Receiver::start().await;
    let hook = s.create("Pruned", &receiver.url, "NEW_TAG").await;
    let id = hook["id"].as_str().unwrap_or("").to_owned();
    for name in ["Settled", "Pending", "Resent"] {
        let (status, _) = s
            .owner
            .api("POST", &format!("/api/v1/workspaces/{}/tags", s.ws), &s.key, Some(json!({"name": name})))
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    s.logs_until(&id, 3).await;
    let (removed, left) = app
        .db()
        .write(|conn| -> Result<_, anyhow::Error> {
            let long_ago = keyhook::clock::now_ms() - 40 * 86_400_000;
            let ids: Vec<i64> = events::table.select(events::id).order(events::id).load(conn)?;
            anyhow::ensure!(ids.len() == 3, "three events: {ids:?}");
            diesel::update(events::table).set(events::created_at.eq(long_ago)).execute(conn)?;
            diesel::update(attempts::table).set(attempts::attempted_at.eq(long_ago)).execute(conn)?;
            diesel::update(deliveries::table).set(deliveries::created_at.eq(long_ago)).execute(conn)?;
            // The second still waits to be sent; the third was resent today.
            diesel::update(deliveries::table.filter(deliveries::event_id.eq(ids[1])))
                .set((deliveries::state.eq("PENDING"), deliveries::next_attempt_at.eq(i64::MAX / 2)))
                .execute(conn)?;
            diesel::update(deliveries::table.filter(deliveries::event_id.eq(ids[2])))
                .set(deliveries::created_at.eq(keyhook::clock::now_ms()))
                .execute(conn)?;
            let cutoff = keyhook::clock::now_ms() - 30 * 86_400_000;
            let removed = keyhook::db::events::Event::prune_settled(conn, cutoff, 10)?;
            let left: Vec<i64> = events::table.select(events::id).order(events::id).load(conn)?;
            let orphans: i64 = deliveries::table.filter(deliveries::event_id.eq(ids[0])).count().get_result(conn)?;
            anyhow::ensure!(orphans == 0, "the settled event's delivery went with it");
            Ok((removed, left.len()))
        })
        .await
        .expect("prune");
    assert_eq!((removed, left), (1, 2), "only the settled event went");
}

crate::on_both_backends!(with local_and_fast:
    old_attempts_are_pruned_in_batches,
    settled_events_are_pruned_and_pending_ones_kept,
    a_slow_endpoint_does_not_delay_a_healthy_one,
    deliveries_are_signed_and_rotation_keeps_the_old_secret_for_its_grace,
    plans_gate_events_and_the_number_of_webhooks,
    bad_webhook_input_is_refused_with_a_clear_error,
);

crate::on_both_backends!(with driven: failures_are_retried_on_the_schedule_then_succeed);

crate::on_both_backends!(with failing_fast: a_webhook_that_keeps_failing_is_disabled_and_410_disables_at_once);
