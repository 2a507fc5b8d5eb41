//! The deliveries list (`GET …/webhooks/{id}/deliveries`): each delivery's state, attempts and
//! named failure reason; filters by state, event, status and time; the payload search, which
//! stops where its scan budget ends and says so; and every bad input refused with a message.
//! The sender is driven by the test, so each state is the one a step left.

use diesel::prelude::*;
use keyhook::config::Settings;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{Client, TestApp};
use crate::receiver::Receiver;
use crate::tls::{not_after, test_ca, TlsServer, EXPIRED, VALID};
use keyhook::outbound::trust::ExtraRoots;

fn driven(settings: &mut Settings) {
    settings.allow_private_networks = "127.0.0.0/8".into();
    settings.retry_schedule = "1h,1h".parse().expect("schedule");
    settings.auto_disable_after = "5d".parse().expect("duration");
    settings.send_timeout = "300ms".parse().expect("duration");
    // One send at a time per webhook: the first event's delivery is the one that meets the 500.
    settings.sender_per_webhook = 1;
    settings.sender_driven = true;
}

/// [`driven`], trusting the tests' certificate authority besides the system's.
fn trusting_the_test_ca(settings: &mut Settings) {
    driven(settings);
    settings.extra_ca_file = Some(ExtraRoots::load(&test_ca().file()).expect("the test CA"));
}

struct Setup {
    owner: Client,
    key: String,
    ws: String,
}

async fn setup(app: &TestApp) -> Setup {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let key = owner.generate_key("deliveries", "never").await.secret;
    owner.post_form("/preferences", &format!("/workspaces/{ws}/settings/plan"), &[("plan", "PRO")]).await;
    Setup { owner, key, ws }
}

impl Setup {
    async fn hook(&self, name: &str, url: &str) -> String {
        let body = json!({"name": name, "url": url, "webhookEvent": "NEW_TAG"});
        let (status, hook) =
            self.owner.api("POST", &format!("/api/v1/workspaces/{}/webhooks", self.ws), &self.key, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{hook}");
        hook["id"].as_str().expect("an id").to_owned()
    }

    async fn tag(&self, name: &str) -> String {
        let body = json!({"name": name});
        let (status, tag) =
            self.owner.api("POST", &format!("/api/v1/workspaces/{}/tags", self.ws), &self.key, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{tag}");
        tag["id"].as_str().expect("an id").to_owned()
    }

    async fn deliveries(&self, hook: &str, query: &str) -> (StatusCode, Value) {
        let path = format!("/api/v1/workspaces/{}/webhooks/{hook}/deliveries{query}", self.ws);
        self.owner.api("GET", &path, &self.key, None).await
    }

    async fn listed(&self, hook: &str, query: &str) -> Vec<Value> {
        let (status, body) = self.deliveries(hook, query).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        body["deliveries"].as_array().cloned().unwrap_or_default()
    }
}

/// A port nothing listens on: bound, then let go.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// A server that accepts each connection and closes it without answering.
async fn hanging_up() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            drop(socket);
        }
    });
    port
}

async fn every_failure_is_named_with_a_hint(app: TestApp) {
    let s = setup(&app).await;
    let ok = Receiver::start().await;
    let slow = Receiver::start().await;
    slow.delay(std::time::Duration::from_secs(2));
    let (moved, gone, broken) = (Receiver::start().await, Receiver::start().await, Receiver::start().await);
    moved.answer(&[301]);
    gone.answer(&[410]);
    broken.answer(&[500]);
    let refused_port = closed_port();
    let ca = test_ca();
    let self_signed = TlsServer::start(&ca.self_signed("self-signed")).await;
    let expired_cert = ca.issue("expired", "IP:127.0.0.1", EXPIRED);
    let expired = TlsServer::start(&expired_cert).await;
    let misnamed = TlsServer::start(&ca.issue("misnamed", "DNS:other.example", VALID)).await;
    let cases = [
        (
            "Refused",
            format!("http://127.0.0.1:{refused_port}/hook"),
            "refused",
            format!("nothing accepted the connection at 127.0.0.1:{refused_port} (connection refused)"),
        ),
        (
            "Hangs up",
            format!("http://127.0.0.1:{}/hook", hanging_up().await),
            "closed",
            "the connection closed before an answer came".into(),
        ),
        ("Slow", slow.url.clone(), "timeout", "no answer within 300 ms".into()),
        ("Moved", moved.url.clone(), "redirect", "answered 301: redirects are not followed".into()),
        ("Gone", gone.url.clone(), "gone", "answered 410: the webhook was disabled".into()),
        ("Broken", broken.url.clone(), "status", "answered 500".into()),
        ("Internal", ok.url.clone(), "blocked", "refused: resolves to 10.0.0.4, a private address".into()),
        (
            "Self-signed",
            format!("https://127.0.0.1:{}/hook", self_signed.port),
            "cert-untrusted",
            "TLS: the certificate is not signed by a trusted authority".into(),
        ),
        (
            "Expired",
            format!("https://127.0.0.1:{}/hook", expired.port),
            "cert-expired",
            format!("TLS: the certificate expired on {}", not_after(&expired_cert.cert)),
        ),
        (
            "Misnamed",
            format!("https://127.0.0.1:{}/hook", misnamed.port),
            "cert-name",
            "TLS: the certificate is for other.example".into(),
        ),
    ];
    let mut hooks = Vec::new();
    for (name, url, _, _) in &cases {
        hooks.push(s.hook(name, url).await);
    }
    // An address the guard refuses at sending (a webhook's URL as an older policy allowed it):
    // the attempt is refused before any connection.
    let internal = hooks[6].clone();
    app.db()
        .write(move |conn| {
            use keyhook::db::schema::webhooks;
            diesel::update(webhooks::table.filter(webhooks::public_id.eq(internal)))
                .set(webhooks::url.eq("http://10.0.0.4:9/hook"))
                .execute(conn)
                .map_err(anyhow::Error::from)
        })
        .await
        .expect("set the URL");
    s.tag("Reasons").await;
    app.sender().settle().await.expect("the sender settles");
    for ((name, _, code, message), hook) in cases.iter().zip(&hooks) {
        let listed = s.listed(hook, "").await;
        assert_eq!(listed.len(), 1, "{name}: {listed:?}");
        let error = &listed[0]["lastError"];
        assert_eq!(
            (error["code"].as_str(), error["message"].as_str()),
            (Some(*code), Some(message.as_str())),
            "{name}: {error}"
        );
        assert!(error["hint"].as_str().is_some_and(|h| h.len() > 20), "{name}: a hint: {error}");
        let (_, logs) =
            s.owner.api("GET", &format!("/api/v1/workspaces/{}/webhooks/{hook}/logs", s.ws), &s.key, None).await;
        assert_eq!(logs[0]["reason"]["message"].as_str(), Some(message.as_str()), "{name}: the log names it too");
        // Every failure is retried later (on the schedule) but 410, which ends the delivery.
        let expected = if *code == "gone" { "FAILED" } else { "RETRYING" };
        assert_eq!(listed[0]["state"], expected, "{name}: {}", listed[0]);
        assert_eq!(listed[0]["nextAttemptAt"].is_string(), expected == "RETRYING", "{name}: {}", listed[0]);
    }
    assert!(ok.hits().is_empty(), "nothing was sent to the refused address's real receiver");
}

async fn deliveries_are_filtered_and_searched(app: TestApp) {
    let s = setup(&app).await;
    let receiver = Receiver::start().await;
    receiver.answer(&[500]);
    let hook = s.hook("Tags", &receiver.url).await;
    let alpha = s.tag("Tag-Alpha").await;
    s.tag("Tag-Beta").await;
    s.tag("Tag-Gamma").await;
    app.sender().settle().await.expect("the sender settles");

    let all = s.listed(&hook, "").await;
    let states: Vec<&str> = all.iter().filter_map(|d| d["state"].as_str()).collect();
    assert_eq!(states, ["DELIVERED", "DELIVERED", "RETRYING"], "newest first; the first tag's delivery failed");
    assert!(all[2]["attempts"][0]["reason"]["message"] == "answered 500", "{}", all[2]);
    assert_eq!(all[0]["attemptCount"], 1);
    assert!(all[0]["lastError"].is_null() && all[0]["nextAttemptAt"].is_null(), "{}", all[0]);

    let retrying = s.listed(&hook, "?state=retrying").await;
    assert_eq!(retrying.len(), 1);
    assert_eq!((retrying[0]["attemptCount"].as_i64(), retrying[0]["lastStatus"].as_str()), (Some(1), Some("500")));
    for (query, expected) in [
        ("?status=5xx", 1),
        ("?status=200", 2),
        ("?status=timeout", 0),
        ("?state=DELIVERED&status=2xx", 2),
        ("?event=NEW_TAG", 3),
        ("?event=NEW_PROJECT", 0),
        ("?q=tag-beta", 1),
        ("?q=TAG-GAMMA", 1),
        ("?q=%25", 0),
        ("?q=_", 0),
        ("?state=QUEUED", 0),
        ("?state=WAITING", 0),
        ("?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z", 3),
        ("?to=2000-01-01T00:00:00Z", 0),
        ("?from=2100-01-01T00:00:00Z&to=2000-01-01T00:00:00Z", 0),
    ] {
        assert_eq!(s.listed(&hook, query).await.len(), expected, "{query}");
    }
    let found = s.listed(&hook, &format!("?q={alpha}")).await;
    assert_eq!(found.len(), 1, "an entity id finds its delivery");
    assert_eq!(found[0]["state"], "RETRYING");

    // Pages: two, then the last one.
    let (_, first) = s.deliveries(&hook, "?page-size=2").await;
    assert_eq!(first["deliveries"].as_array().map(Vec::len), Some(2));
    let cursor = first["nextCursor"].as_str().expect("a next page").to_owned();
    let (_, second) = s.deliveries(&hook, &format!("?page-size=2&before={cursor}")).await;
    assert_eq!(second["deliveries"].as_array().map(Vec::len), Some(1));
    assert_eq!(second["deliveries"][0]["state"], "RETRYING");

    // The retry, due in an hour, succeeds: delivered after two attempts, the second a retry.
    app.sender().advance().await.expect("the retry");
    let delivered = s.listed(&hook, &format!("?q={alpha}")).await;
    assert_eq!((delivered[0]["state"].as_str(), delivered[0]["attemptCount"].as_i64()), (Some("DELIVERED"), Some(2)));
    let triggers: Vec<&str> =
        delivered[0]["attempts"].as_array().expect("attempts").iter().filter_map(|a| a["trigger"].as_str()).collect();
    assert_eq!(triggers, ["EVENT", "RETRY"]);
    assert!(delivered[0]["lastError"].is_null(), "no error once delivered");

    // Bad input: a 400 that names the parameter.
    let long = "a".repeat(201);
    for (query, field) in [
        ("?state=DONE", "state"),
        ("?event=NOT_AN_EVENT", "event"),
        ("?status=teapot", "status"),
        ("?status=600", "status"),
        ("?from=yesterday", "from"),
        (&format!("?q={long}") as &str, "q"),
        ("?before=not-a-cursor", "before"),
        ("?page-size=0", "page-size"),
    ] {
        let (status, body) = s.deliveries(&hook, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.contains(field), "{query}: {message}");
    }
}

/// A search tests at most its budget of rows per request: a match older than that is found
/// on a later page, and the page before it says how far it looked.
async fn a_search_past_its_budget_continues_on_the_next_page(app: TestApp) {
    let s = setup(&app).await;
    let receiver = Receiver::start().await;
    let hook = s.hook("Busy", &receiver.url).await;
    let rows = keyhook::db::delivery_log::SCAN_BUDGET + 100;
    let target = hook.clone();
    let (hook_id, ws): (i64, i64) = app
        .db()
        .read(move |conn| -> anyhow::Result<_> {
            use keyhook::db::schema::webhooks;
            Ok(webhooks::table
                .filter(webhooks::public_id.eq(&target))
                .select((webhooks::id, webhooks::workspace_id))
                .first(conn)?)
        })
        .await
        .expect("the webhook");
    // In transactions of 300 rows: one long write could outlast SQLite's busy wait of a
    // writer beside it on a loaded machine. Each begins with its first write: one that read
    // first could not become a writer once the server had written ("database is locked",
    // which SQLite does not wait out).
    for start in (0..rows).step_by(300) {
        app.db()
            .write(move |conn| -> anyhow::Result<()> {
                use keyhook::db::schema::{deliveries, events};
                for i in start..(start + 300).min(rows) {
                    // The oldest carries the needle; the rest are alike.
                    let payload = if i == 0 {
                        json!({"email": "needle@example.com"})
                    } else {
                        json!({"email": "hay@example.com"})
                    };
                    let event: i64 = diesel::insert_into(events::table)
                        .values((
                            events::public_id.eq(format!("{i:024x}")),
                            events::workspace_id.eq(ws),
                            events::event_type.eq("NEW_TAG"),
                            events::payload.eq(payload.to_string()),
                            events::created_at.eq(1_000_000 + i),
                            events::test.eq(false),
                        ))
                        .returning(events::id)
                        .get_result(conn)?;
                    diesel::insert_into(deliveries::table)
                        .values((
                            deliveries::message_id.eq(format!("msg_{i}")),
                            deliveries::event_id.eq(event),
                            deliveries::webhook_id.eq(hook_id),
                            deliveries::trigger.eq("EVENT"),
                            deliveries::state.eq("SUCCEEDED"),
                            deliveries::attempts.eq(1),
                            deliveries::retries.eq(true),
                            deliveries::created_at.eq(1_000_000 + i),
                            deliveries::last_status.eq("200"),
                        ))
                        .execute(conn)?;
                }
                Ok(())
            })
            .await
            .expect("a long history");
    }
    let (status, first) = s.deliveries(&hook, "?q=needle@example.com").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["deliveries"].as_array().map(Vec::len), Some(0), "not within the first page's budget");
    assert!(first["searchedTo"].is_string(), "the page says how far it looked: {first}");
    // Each next page goes on from where the last stopped, until the match and then the end.
    let mut cursor = first["nextCursor"].as_str().expect("the search goes on").to_owned();
    let mut found = Vec::new();
    for _ in 0..rows {
        let (_, page) = s.deliveries(&hook, &format!("?q=needle@example.com&before={cursor}")).await;
        found.extend(page["deliveries"].as_array().cloned().unwrap_or_default());
        match page["nextCursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["messageId"], "msg_0");
    // Unfiltered, the newest come at once.
    assert_eq!(s.listed(&hook, "?page-size=10").await.len(), 10);
}

/// The Details page: a failed delivery's reason and hint next to its attempt, Copy as curl
/// that a shell runs to send the same request again, and filter mistakes next to their fields.
async fn the_page_names_reasons_and_copies_the_request_as_curl(app: TestApp) {
    let s = setup(&app).await;
    let receiver = Receiver::start().await;
    receiver.answer(&[503]);
    let hook = s.hook("Curl", &receiver.url).await;
    s.tag("O'Brien $HOME").await;
    app.sender().settle().await.expect("the sender settles");
    let details = format!("/workspaces/{}/webhooks/{hook}", s.ws);
    let page = s.owner.get(&details).await;
    assert_eq!(page.text("tbody.delivery .state").as_deref(), Some("Retrying"));
    let detail = page.text("tbody.delivery .state-detail").unwrap_or_default();
    assert!(detail.starts_with("attempt 2 of 3 in 1 h "), "{detail}");
    // The list reads no bodies: a delivery opens to its payload and attempts, through a link
    // without JavaScript and as a fragment for htmx.
    assert!(page
        .html()
        .select(&scraper::Selector::parse("pre.payload, li.attempt").expect("selector"))
        .next()
        .is_none());
    let link = page.attr("tbody.delivery .delivery-body a", "href").expect("a link to the delivery");
    assert_eq!(page.attr("tbody.delivery details", "hx-get").as_deref(), Some(link.as_str()));
    let fragment = s.owner.get_htmx(&link).await;
    assert_eq!(fragment.status, StatusCode::OK);
    assert!(
        !fragment.body.contains("<html") && fragment.body.contains("hx-post"),
        "a fragment whose Resend refreshes the list"
    );
    let opened = s.owner.get(&link).await;
    assert_eq!(opened.status, StatusCode::OK);
    assert!(opened.text("h1").is_some_and(|h| h.contains("NEW_TAG")), "{}", opened.body);
    assert!(opened.text("pre.payload").is_some_and(|p| p.contains("O'Brien $HOME")), "the payload");
    assert_eq!(opened.text("li.attempt .reason-text").as_deref(), Some("answered 503"));
    assert!(opened.attr("li.attempt form", "action").is_some_and(|a| a.ends_with("/resend")));
    assert!(opened.attr("li.attempt form", "hx-post").is_none(), "on its own page Resend is a plain form");
    // Another webhook's page does not open it, nor does a number that is no delivery.
    let other = s.hook("Other", &receiver.url).await;
    let delivery = link.rsplit('/').next().expect("an id");
    let elsewhere = format!("/workspaces/{}/webhooks/{other}/deliveries/{delivery}", s.ws);
    assert_eq!(s.owner.get(&elsewhere).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.owner.get(&format!("{details}/deliveries/x1")).await.status, StatusCode::NOT_FOUND);
    let curl = opened.text("li.attempt pre.curl").expect("a curl command");
    assert!(
        curl.contains("$CLOCKIFY_SIGNATURE") && !curl.contains("[redacted]"),
        "a placeholder for the token: {curl}"
    );

    // The command, run by a shell, sends what keyhook sent.
    let ran = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{curl} --silent --output /dev/null"))
        .env("CLOCKIFY_SIGNATURE", "the-token")
        .status()
        .await
        .expect("sh runs curl");
    assert!(ran.success());
    let hits = receiver.hits();
    assert_eq!(hits.len(), 2, "keyhook's attempt and curl's");
    assert_eq!(hits[1].body, hits[0].body, "the same payload, byte for byte");
    for header in
        ["webhook-id", "webhook-timestamp", "webhook-signature", "clockify-webhook-event-type", "content-type"]
    {
        assert_eq!(hits[1].header(header), hits[0].header(header), "{header}");
    }
    assert_eq!(hits[1].header("clockify-signature"), "the-token");

    // Mistakes in the filter are shown next to their fields, and the list still shows.
    let long = "a".repeat(201);
    let bad = s.owner.get(&format!("{details}?state=DONE&status=teapot&from=soon&q={long}")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["filter-state", "filter-status", "filter-from", "filter-q"] {
        assert!(bad.text(&format!("#{field}-error")).is_some_and(|m| !m.is_empty()), "{field}: {}", bad.body);
        assert_eq!(bad.attr(&format!("#{field}"), "aria-invalid").as_deref(), Some("true"), "{field}");
    }
    assert_eq!(bad.html().select(&scraper::Selector::parse("tbody.delivery").expect("selector")).count(), 1);
    let searched = s.owner.get(&format!("{details}?q=o%27brien")).await;
    assert_eq!(searched.attr("#filter-q", "value").as_deref(), Some("o'brien"), "the search stays in its field");
    assert_eq!(searched.html().select(&scraper::Selector::parse("tbody.delivery").expect("selector")).count(), 1);
    let none = s.owner.get(&format!("{details}?q=nobody")).await;
    assert!(none.text(".empty").is_some_and(|t| t.starts_with("No deliveries match")), "{}", none.body);
}

crate::on_both_backends!(with trusting_the_test_ca:
    every_failure_is_named_with_a_hint,
);

crate::on_both_backends!(with driven:
    the_page_names_reasons_and_copies_the_request_as_curl,
    deliveries_are_filtered_and_searched,
    a_search_past_its_budget_continues_on_the_next_page,
);
