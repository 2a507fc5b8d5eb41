//! The Webhooks screens end to end (without JavaScript, as a plain browser posts them; the
//! htmx fragments by their header): create, list, details with attempts, test, resend,
//! recover, edit, reveal and reset the secret, delete, roles, isolation and every bad input.

use std::time::Duration;

use diesel::prelude::*;
use keyhook::config::Settings;
use keyhook::db::schema::{attempts, webhooks};
use reqwest::StatusCode;

use crate::helpers::{Answer, Client, TestApp};
use crate::receiver::Receiver;

const WAIT: Duration = Duration::from_secs(5);
/// An endpoint that needs no name lookup (tests send nothing beyond 127.0.0.1); nothing listens
/// there, and these tests fire no events to it.
const LOCAL: &str = "http://127.0.0.1:9/hook";

fn local(settings: &mut Settings) {
    settings.allow_private_networks = "127.0.0.0/8,::1/128".into();
    settings.retry_schedule = "20ms".parse().expect("schedule");
}

fn list_url(ws: &str) -> String {
    format!("/workspaces/{ws}/webhooks")
}

/// Posts the list's Create dialog with its one-time token.
/// The newest delivery of a Details page, opened (its payload and attempts).
async fn open_first(owner: &Client, page: &Answer) -> Answer {
    let link = page.attr("tbody.delivery .delivery-body a", "href").expect("a delivery to open");
    let opened = owner.get(&link).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
    opened
}

async fn create(client: &Client, ws: &str, name: &str, url: &str, event: &str) -> Answer {
    let list = client.get(&list_url(ws)).await;
    let token = list.attr("input[name=form_token]", "value").expect("the create form's token");
    let csrf = list.attr("input[name=csrf_token]", "value").expect("csrf");
    let fields =
        [("csrf_token", csrf.as_str()), ("form_token", &token), ("name", name), ("url", url), ("event", event)];
    client.post_raw(&list_url(ws), &fields).await
}

/// The public id of the webhook named `name` on the list.
async fn id_of(client: &Client, ws: &str, name: &str) -> String {
    let list = client.get(&list_url(ws)).await;
    let html = list.html();
    let rows = scraper::Selector::parse("tr[id^=webhook-]").expect("selector");
    let cell = scraper::Selector::parse(".webhook-name").expect("selector");
    html.select(&rows)
        .find(|row| row.select(&cell).next().is_some_and(|c| c.text().collect::<String>().trim() == name))
        .and_then(|row| row.value().attr("id"))
        .map(|id| id.trim_start_matches("webhook-").to_owned())
        .unwrap_or_else(|| panic!("{name} is not listed: {}", list.body))
}

/// Reloads the details page until `check` holds (the sender works in the background).
async fn details_until(client: &Client, url: &str, check: impl Fn(&Answer) -> bool) -> Answer {
    let started = std::time::Instant::now();
    loop {
        let page = client.get(url).await;
        if check(&page) || started.elapsed() > WAIT {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The page lists `n` deliveries and none is being sent: the list refreshes itself while a
/// delivery is due within seconds, so one listed but not yet recorded keeps it refreshing.
fn settled(page: &Answer, n: usize) -> bool {
    count(page, "tbody.delivery") == n && page.attr("#deliveries", "hx-trigger").is_none()
}

fn count(page: &Answer, selector: &str) -> usize {
    page.html().select(&scraper::Selector::parse(selector).expect("selector")).count()
}

async fn the_whole_walk_from_create_to_delete(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let receiver = Receiver::start().await;

    let advanced = owner.get("/preferences/advanced").await;
    assert_eq!(advanced.text("#webhooks-heading").as_deref(), Some("Webhooks"));
    assert_eq!(advanced.attr(&format!("a[href='{}']", list_url(&ws)), "class").as_deref(), Some("btn"));
    assert!(advanced.body.contains(">Manage webhooks</a>"));

    let empty = owner.get(&list_url(&ws)).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.text("a[data-dialog=create-dialog]").as_deref(), Some("Create new"));
    assert!(empty.text("#allowance").unwrap_or_default().starts_with("0 of 3 webhooks on the FREE plan"));
    let options: Vec<String> = empty
        .html()
        .select(&scraper::Selector::parse("#create-event option").expect("selector"))
        .filter_map(|o| o.value().attr("value").filter(|v| !v.is_empty()).map(str::to_owned))
        .collect();
    assert_eq!(options.len(), keyhook::domain::EventType::ALL.len(), "every event is offered");
    assert!(options.windows(2).all(|w| w[0] < w[1]), "alphabetically");
    assert!(empty.body.contains("Expense created (needs PRO)"), "events the plan lacks name the plan");

    let created = create(&owner, &ws, "Projects <feed>", &receiver.url, "NEW_PROJECT").await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    assert_eq!(created.location(), list_url(&ws));
    let list = owner.get(&list_url(&ws)).await;
    assert_eq!(list.text("#toast").as_deref(), Some("Webhook “Projects <feed>” created."));
    let id = id_of(&owner, &ws, "Projects <feed>").await;
    let row = format!("#webhook-{id}");
    assert!(list.body.contains("Projects &#60;feed&#62;"), "escaped");
    assert_eq!(list.text(&format!("{row} td[data-label=Event]")).as_deref(), Some("NEW_PROJECT"));
    assert_eq!(list.text(&format!("{row} .endpoint")).as_deref(), Some(receiver.url.as_str()));
    assert_eq!(list.text(&format!("{row} .state")).as_deref(), Some("Enabled"));
    assert_eq!(list.text(&format!("{row} .last-status")).as_deref(), Some("None yet"));
    assert!(list.text("#allowance").unwrap_or_default().starts_with("1 of 3 webhooks"));

    // Test from Details: the attempt appears with status 200, marked test, with its payload.
    let details_url = format!("{}/{id}", list_url(&ws));
    let details = owner.get(&details_url).await;
    assert_eq!(details.text("h1").as_deref(), Some("Projects <feed>"));
    assert_eq!(details.text("#webhook-state").as_deref(), Some("Enabled"));
    assert!(details.body.contains("No deliveries yet"));
    let tested = owner.post_form(&details_url, &format!("{details_url}/test"), &[]).await;
    assert_eq!((tested.status, tested.location()), (StatusCode::SEE_OTHER, details_url.as_str()));
    let hits = receiver.wait_for(1, WAIT).await;
    assert_eq!(hits.len(), 1);
    let page = details_until(&owner, &details_url, |p| settled(p, 1)).await;
    assert_eq!(page.text("tbody.delivery .status").as_deref(), Some("200"));
    assert_eq!(page.text("tbody.delivery .trigger").as_deref(), Some("test"));
    assert_eq!(page.text("tbody.delivery td[data-label=Event]").as_deref(), Some("NEW_PROJECT"));
    let opened = open_first(&owner, &page).await;
    let payload = opened.text("pre.payload").expect("the payload");
    let sent: serde_json::Value = serde_json::from_str(&hits[0].body).expect("json");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&payload).expect("pretty JSON"), sent);
    assert!(payload.contains("\n  "), "pretty-printed");
    let headers = opened.text("li.attempt pre.headers").expect("headers");
    assert!(headers.contains("webhook-signature: v1,"), "{headers}");
    assert!(headers.contains("clockify-signature: [redacted]"), "the static token is redacted: {headers}");
    let list = owner.get(&list_url(&ws)).await;
    assert_eq!(list.text(&format!("{row} .last-status")).as_deref(), Some("200"));
    assert_eq!(list.text(&format!("{row} svg.outcomes title")).as_deref(), Some("Latest attempt: succeeded"));
    assert_eq!(list.attr(&format!("{row} svg.outcomes path.ok"), "d").as_deref(), Some("M0 0h4v14h-4z"));

    // With htmx, Test answers the deliveries list (refreshing itself until the attempt shows) and a toast.
    receiver.answer(&[500]);
    let csrf = owner.csrf(&details_url).await;
    let fragment = owner
        .http
        .post(format!("{}{details_url}/test", owner.address))
        .header("HX-Request", "true")
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(fragment.status(), StatusCode::OK);
    let fragment = fragment.text().await.expect("body");
    assert!(fragment.starts_with("<section id=\"deliveries\""), "{fragment}");
    assert!(
        fragment.contains("<div id=\"toast\" hx-swap-oob=\"innerHTML\">") && fragment.contains("Test sent"),
        "a toast: {fragment}"
    );
    receiver.wait_for(2, WAIT).await;
    // A page read while the attempt was being recorded shows it and refreshes once more (by
    // design: see `webhooks::reads::details`); the next one stops.
    let page = details_until(&owner, &details_url, |p| settled(p, 2)).await;
    assert_eq!(page.text("tbody.delivery .status").as_deref(), Some("500"), "newest first");
    assert!(page.attr("#deliveries", "hx-trigger").is_none(), "the list stops refreshing once sent");

    // Filters: the failed test failed for good (tests are tried once).
    let failed = owner.get(&format!("{details_url}?state=FAILED")).await;
    assert_eq!(count(&failed, "tbody.delivery"), 1);
    assert_eq!(failed.text("#filter-state option[selected]").as_deref(), Some("Failed"));
    let failed_delivery = open_first(&owner, &failed).await;
    assert_eq!(failed_delivery.text("li.attempt .reason-text").as_deref(), Some("answered 500"), "the reason, named");
    assert!(failed_delivery.text("li.attempt .hint").is_some_and(|h| h.contains("its own logs")), "with a hint");
    let succeeded = owner.get(&format!("{details_url}?state=DELIVERED&status=2xx")).await;
    assert_eq!(count(&succeeded, "tbody.delivery"), 1);
    assert_eq!(succeeded.text("tbody.delivery .status").as_deref(), Some("200"));

    // Resend the failed attempt: it succeeds now, with the same webhook-id.
    let failed_attempt =
        failed_delivery.attr("li.attempt", "id").expect("an attempt").trim_start_matches("attempt-").to_owned();
    let resent = owner.post_form(&details_url, &format!("{details_url}/attempts/{failed_attempt}/resend"), &[]).await;
    assert_eq!(resent.status, StatusCode::SEE_OTHER, "{}", resent.body);
    let hits = receiver.wait_for(3, WAIT).await;
    assert_eq!(hits[2].headers.get("webhook-id"), hits[1].headers.get("webhook-id"));
    let page = details_until(&owner, &details_url, |p| settled(p, 3)).await;
    assert_eq!(page.text("tbody.delivery .trigger").as_deref(), Some("resend"));
    assert_eq!(page.text("tbody.delivery .status").as_deref(), Some("200"));

    // Recover failed: the delivery that failed for good is sent again (the resend was a new one).
    let recovered =
        owner.post_form(&details_url, &format!("{details_url}/recover"), &[("since", "2020-01-01T00:00")]).await;
    assert_eq!(recovered.status, StatusCode::SEE_OTHER, "{}", recovered.body);
    assert_eq!(owner.get(&details_url).await.text("#toast").as_deref(), Some("1 failed delivery is being sent again."));
    let hits = receiver.wait_for(4, WAIT).await;
    assert_eq!(hits[3].headers.get("webhook-id"), hits[1].headers.get("webhook-id"));
    let page = details_until(&owner, &details_url, |p| settled(p, 4)).await;
    assert_eq!(page.text("tbody.delivery .trigger").as_deref(), Some("resend"));

    // Edit: change the event; the details show it.
    let edit_url = format!("{details_url}/edit");
    let edit = owner.get(&edit_url).await;
    assert_eq!(edit.attr("#name", "value").as_deref(), Some("Projects <feed>"));
    assert!(edit.attr("#enabled", "checked").is_some());
    assert!(edit.text("#signing-secret").is_none(), "the secret is hidden until Reveal");
    assert_eq!(count(&edit, "tbody.attempt"), 4, "the edit page lists the attempts too");
    let fields = [("name", "Clients feed"), ("url", receiver.url.as_str()), ("event", "NEW_CLIENT"), ("enabled", "on")];
    let saved = owner.post_form(&edit_url, &edit_url, &fields).await;
    assert_eq!((saved.status, saved.location()), (StatusCode::SEE_OTHER, details_url.as_str()), "{}", saved.body);
    let page = owner.get(&details_url).await;
    assert_eq!(page.text("#toast").as_deref(), Some("Webhook “Clients feed” saved."));
    assert_eq!(page.text(".summary code").as_deref(), Some("NEW_CLIENT"));

    // Turning the switch off disables it by a user; Enable on Details turns it back on.
    let fields = [("name", "Clients feed"), ("url", receiver.url.as_str()), ("event", "NEW_CLIENT")];
    owner.post_form(&edit_url, &edit_url, &fields).await;
    let page = owner.get(&details_url).await;
    assert_eq!(page.text("#webhook-state").as_deref(), Some("Disabled by a user"));
    assert!(page.text(".notice").unwrap_or_default().contains("since"));
    let enabled = owner.post_form(&details_url, &format!("{details_url}/enable"), &[]).await;
    assert_eq!(enabled.status, StatusCode::SEE_OTHER);
    assert_eq!(owner.get(&details_url).await.text("#webhook-state").as_deref(), Some("Enabled"));

    // Reveal shows the secret that signs; Reset with no grace replaces it.
    let revealed = owner.post_form(&edit_url, &format!("{details_url}/secret/reveal"), &[]).await;
    let secret = revealed.text("#signing-secret").expect("revealed");
    assert!(secret.starts_with("whsec_"), "{secret}");
    let reset = owner.post_form(&edit_url, &format!("{details_url}/secret/reset"), &[("grace", "none")]).await;
    assert_eq!((reset.status, reset.location()), (StatusCode::SEE_OTHER, edit_url.as_str()));
    let shown = owner.get(&edit_url).await;
    let new_secret = shown.text("#flash-secret").expect("the new secret, once");
    assert_ne!(new_secret, secret);
    assert!(shown.text("#reveal-message").unwrap_or_default().contains("The old secret no longer signs."));
    let again = owner.post_form(&edit_url, &format!("{details_url}/secret/reveal"), &[]).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.text("#signing-secret"), Some(new_secret));

    // Delete: gone from the list and the API, its attempts kept for the audit.
    let confirm = owner.get(&format!("{details_url}/delete")).await;
    assert!(confirm.text("form p").unwrap_or_default().contains("Delete “Clients feed”?"));
    let deleted = owner.post_form(&list_url(&ws), &format!("{details_url}/delete"), &[]).await;
    assert_eq!((deleted.status, deleted.location()), (StatusCode::SEE_OTHER, list_url(&ws).as_str()));
    let list = owner.get(&list_url(&ws)).await;
    assert_eq!(list.text("#toast").as_deref(), Some("Webhook “Clients feed” deleted."));
    assert_eq!(count(&list, "tr[id^=webhook-]"), 0);
    assert_eq!(owner.get(&details_url).await.status, StatusCode::NOT_FOUND);
    let kept: i64 = app
        .db()
        .read(move |conn| {
            attempts::table
                .filter(
                    attempts::webhook_id
                        .eq_any(webhooks::table.filter(webhooks::public_id.eq(&id)).select(webhooks::id)),
                )
                .count()
                .get_result(conn)
                .map_err(anyhow::Error::from)
        })
        .await
        .expect("count");
    assert_eq!(kept, 4, "attempts stay after the webhook is deleted");
}

async fn bad_input_is_refused_next_to_the_field(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let long = "n".repeat(31);
    let cases: [(&str, &str, &str, &str, &str); 9] = [
        ("x", LOCAL, "NEW_PROJECT", "name", "Use 2 to 30 characters."),
        (&long, LOCAL, "NEW_PROJECT", "name", "Use 2 to 30 characters."),
        ("Plain", "http://example.com/h", "NEW_PROJECT", "url", "https"),
        ("Broken", "https://exa mple.com/", "NEW_PROJECT", "url", ""),
        ("Relative", "/hooks/in", "NEW_PROJECT", "url", ""),
        ("Creds", "https://user:pw@example.com/h", "NEW_PROJECT", "url", "credentials"),
        ("Private", "https://10.1.2.3/h", "NEW_PROJECT", "url", ""),
        ("No event", LOCAL, "", "event", "Choose the event"),
        ("Unknown", LOCAL, "NEW_THING", "event", "Unknown event"),
    ];
    for (name, url, event, field, message) in cases {
        let answer = create(&owner, &ws, name, url, event).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{name} {url} {event}");
        let shown = answer.field_error(field).unwrap_or_else(|| panic!("no {field} error for {name}: {}", answer.body));
        assert!(shown.contains(message), "{field}: {shown}");
        assert_eq!(answer.attr("#name", "value").as_deref(), Some(name), "the form keeps what was typed");
    }
    let blank = create(&owner, &ws, "", "", "").await;
    for field in ["name", "url", "event"] {
        assert!(blank.field_error(field).is_some(), "every field's error at once: {field}");
    }
    assert_eq!(owner.get(&list_url(&ws)).await.text("#allowance").as_deref().map(|t| &t[..6]), Some("0 of 3"));

    // The same form posted twice creates one webhook.
    let list = owner.get(&list_url(&ws)).await;
    let token = list.attr("input[name=form_token]", "value").expect("token");
    let csrf = list.attr("input[name=csrf_token]", "value").expect("csrf");
    let fields =
        [("csrf_token", csrf.as_str()), ("form_token", &token), ("name", "Once"), ("url", LOCAL), ("event", "NEW_TAG")];
    assert_eq!(owner.post_raw(&list_url(&ws), &fields).await.status, StatusCode::SEE_OTHER);
    let twice = owner.post_raw(&list_url(&ws), &fields).await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(twice.field_error("form").unwrap_or_default().contains("already sent"), "{}", twice.body);
    assert_eq!(count(&owner.get(&list_url(&ws)).await, "tr[id^=webhook-]"), 1);

    // An event the plan lacks is created disabled, saying why.
    let pro = create(&owner, &ws, "Expenses", LOCAL, "EXPENSE_CREATED").await;
    assert_eq!(pro.status, StatusCode::SEE_OTHER);
    let list = owner.get(&list_url(&ws)).await;
    assert!(list.text("#toast").unwrap_or_default().contains("disabled"), "{:?}", list.text("#toast"));
    let id = id_of(&owner, &ws, "Expenses").await;
    let state = list.text(&format!("#webhook-{id} .state")).unwrap_or_default();
    assert!(state.starts_with("Disabled by plan") && state.contains("PRO"), "{state}");

    // FREE allows three: the fourth is refused, naming the limit and the plan that raises it.
    create(&owner, &ws, "Third", LOCAL, "NEW_TAG").await;
    let fourth = create(&owner, &ws, "Fourth", LOCAL, "NEW_TAG").await;
    assert_eq!(fourth.status, StatusCode::UNPROCESSABLE_ENTITY);
    let refusal = fourth.field_error("form").unwrap_or_default();
    assert!(refusal.contains("FREE plan allows 3") && refusal.contains("BASIC"), "{refusal}");
    assert_eq!(count(&owner.get(&list_url(&ws)).await, "tr[id^=webhook-]"), 3);

    // Edit keeps its own errors next to the fields, and nothing changes.
    let edit_url = format!("{}/{id}/edit", list_url(&ws));
    let bad = owner.post_form(&edit_url, &edit_url, &[("name", "E"), ("url", "ftp://x"), ("event", "NEW_TAG")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.field_error("name").is_some() && bad.field_error("url").is_some());
    assert_eq!(owner.get(&edit_url).await.attr("#name", "value").as_deref(), Some("Expenses"));

    // Recover needs a time.
    let details_url = format!("{}/{id}", list_url(&ws));
    let recover = owner.post_form(&details_url, &format!("{details_url}/recover"), &[("since", "soon")]).await;
    assert_eq!(recover.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(recover.field_error("since").unwrap_or_default().contains("date and time"));
    let recover =
        owner.post_form(&details_url, &format!("{details_url}/recover"), &[("since", "2020-01-01T00:00")]).await;
    assert_eq!(recover.status, StatusCode::SEE_OTHER);
    assert!(owner.get(&details_url).await.text("#toast").unwrap_or_default().contains("No failed deliveries"));

    // Without a CSRF token nothing is created.
    let forged = owner.post_raw(&list_url(&ws), &[("name", "Forged"), ("url", LOCAL)]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

/// A host name that resolves (here from /etc/hosts, no DNS traffic) into a blocked network is
/// refused, and the message says why.
async fn names_resolving_into_blocked_networks_are_refused(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let resolved = create(&owner, &ws, "Localhost", "https://localhost/h", "NEW_PROJECT").await;
    assert_eq!(resolved.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = resolved.field_error("url").unwrap_or_default();
    assert!(message.contains("localhost resolves to a private or reserved address"), "{message}");
}

async fn other_roles_and_workspaces_see_nothing(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    create(&owner, &ws, "Acme hook", LOCAL, "NEW_PROJECT").await;
    let id = id_of(&owner, &ws, "Acme hook").await;

    let regular = app.add_member(&owner, &ws, "rita@example.com", "REGULAR").await;
    let advanced = regular.get("/preferences/advanced").await;
    assert!(advanced.text("#webhooks-heading").is_none(), "no Webhooks section for a Regular member");
    assert!(!advanced.body.contains("Manage webhooks"));
    let pages = ["", "/edit", "/deliveries", "/deliveries/1"].map(|page| format!("{}/{id}{page}", list_url(&ws)));
    for path in std::iter::once(list_url(&ws)).chain(pages) {
        assert_eq!(regular.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    let csrf = regular.csrf("/preferences").await;
    let fields = [("csrf_token", csrf.as_str()), ("name", "Sneaky"), ("url", LOCAL), ("event", "NEW_TAG")];
    assert_eq!(regular.post_raw(&list_url(&ws), &fields).await.status, StatusCode::NOT_FOUND);
    let delete = format!("{}/{id}/delete", list_url(&ws));
    assert_eq!(regular.post_raw(&delete, &[("csrf_token", csrf.as_str())]).await.status, StatusCode::NOT_FOUND);

    // An Admin manages them.
    let admin = app.add_member(&owner, &ws, "adam@example.com", "ADMIN").await;
    assert_eq!(admin.get(&list_url(&ws)).await.status, StatusCode::OK);

    // A second workspace lists its own webhooks only, and the dropdown offers both.
    let second = owner.create_workspace("Beta").await;
    let list = owner.get(&list_url(&second)).await;
    assert_eq!(count(&list, "tr[id^=webhook-]"), 0);
    assert_eq!(count(&list, "#webhooks-workspace option"), 2);
    assert_eq!(owner.get(&format!("{}/{id}", list_url(&second))).await.status, StatusCode::NOT_FOUND);
    let switched = owner
        .post_form(&list_url(&second), "/workspaces/switch", &[("workspace", &ws), ("next", &list_url(&second))])
        .await;
    assert_eq!(switched.location(), list_url(&ws), "choosing a workspace opens its list");
}

async fn recorded_attempts(app: &TestApp) -> i64 {
    app.db().read(|conn| attempts::table.count().get_result(conn).map_err(anyhow::Error::from)).await.expect("count")
}

async fn attempts_come_in_pages_of_fifty(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let receiver = Receiver::start().await;
    create(&owner, &ws, "Busy", &receiver.url, "NEW_TAG").await;
    let id = id_of(&owner, &ws, "Busy").await;
    let details_url = format!("{}/{id}", list_url(&ws));
    let csrf = owner.csrf(&details_url).await;
    for _ in 0..55 {
        owner.post_raw(&format!("{details_url}/test"), &[("csrf_token", csrf.as_str())]).await;
    }
    assert_eq!(receiver.wait_for(55, WAIT).await.len(), 55);
    // Each attempt is recorded just after its answer arrives.
    let started = std::time::Instant::now();
    while recorded_attempts(&app).await < 55 && started.elapsed() < WAIT {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Details: deliveries in pages of 25, Older and back to the Newest.
    let first = owner.get(&details_url).await;
    assert_eq!(count(&first, "tbody.delivery"), 25);
    assert_eq!(first.text(".pager a").as_deref(), Some("Older"), "nothing newer on the first page");
    let older = owner.get(&first.attr(".pager a", "href").expect("older")).await;
    assert_eq!(count(&older, "tbody.delivery"), 25);
    let last = owner.get(&older.attr(".pager a:last-child", "href").expect("older")).await;
    assert_eq!(count(&last, "tbody.delivery"), 5);
    assert_eq!(last.text(".pager a").as_deref(), Some("Newest"));
    let newest = owner.get(&last.attr(".pager a", "href").expect("newest")).await;
    assert_eq!(newest.attr("tbody.delivery", "id"), first.attr("tbody.delivery", "id"), "back to the newest");
    // Edit: attempts in pages of 50.
    let first = owner.get(&format!("{details_url}/edit")).await;
    assert_eq!(count(&first, "tbody.attempt"), 50);
    assert_eq!(first.text(".pager a").as_deref(), Some("Next"), "no Previous on the first page");
    let next = first.attr(".pager a", "href").expect("next");
    let second = owner.get(&next).await;
    assert_eq!(count(&second, "tbody.attempt"), 5);
    assert_eq!(second.text(".pager a").as_deref(), Some("Previous"));
    let back = owner.get(&second.attr(".pager a", "href").expect("previous")).await;
    assert_eq!(count(&back, "tbody.attempt"), 50);
    assert_eq!(back.attr("tbody.attempt", "id"), first.attr("tbody.attempt", "id"), "back to the newest");
    assert_eq!(back.text(".pager a").as_deref(), Some("Next"));

    // The list's bar shows the latest 20.
    let list = owner.get(&list_url(&ws)).await;
    let bar = format!("#webhook-{id} svg.outcomes");
    assert_eq!(list.text(&format!("{bar} title")).as_deref(), Some("Latest 20 attempts: 0 failed"));
    assert_eq!(list.attr(&format!("{bar} path.ok"), "d").map(|d| d.matches('M').count()), Some(20));
}

/// Attempt times follow the user's own date format, time format and zone.
async fn attempt_times_follow_the_users_preferences(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let receiver = Receiver::start().await;
    create(&owner, &ws, "Timed", &receiver.url, "NEW_TAG").await;
    let id = id_of(&owner, &ws, "Timed").await;
    let details_url = format!("{}/{id}", list_url(&ws));
    owner.post_form(&details_url, &format!("{details_url}/test"), &[]).await;
    let page = details_until(&owner, &details_url, |p| settled(p, 1)).await;
    let default = page.text(".delivery-time").expect("a time");
    assert!(default.ends_with(" AM") || default.ends_with(" PM"), "12-hour MM/DD/YYYY by default: {default}");
    let prefs = [("time_zone", "Asia/Kolkata"), ("date_format", "YYYY-MM-DD"), ("time_format", "HOUR24")];
    owner.post_form("/preferences", "/preferences", &prefs).await;
    let shown = owner.get(&details_url).await.text(".delivery-time").expect("a time");
    let parsed = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", &shown).expect("YYYY-MM-DD 24-hour");
    let utc = jiff::civil::DateTime::strptime("%m/%d/%Y %I:%M:%S %p", &default).expect("the default format");
    let offset = parsed.to_zoned(jiff::tz::TimeZone::UTC).expect("zoned").timestamp()
        - utc.to_zoned(jiff::tz::TimeZone::UTC).expect("zoned").timestamp();
    assert_eq!(offset.get_seconds(), 5 * 3600 + 1800, "Kolkata is UTC+5:30: {default} then {shown}");
}

/// Add-on webhooks are listed apart, read-only: Details only, no Resend, no Edit.
async fn addon_webhooks_are_read_only(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let receiver = Receiver::start().await;
    create(&owner, &ws, "Marketplace", &receiver.url, "NEW_TAG").await;
    let id = id_of(&owner, &ws, "Marketplace").await;
    let details_url = format!("{}/{id}", list_url(&ws));
    owner.post_form(&details_url, &format!("{details_url}/test"), &[]).await;
    details_until(&owner, &details_url, |p| settled(p, 1)).await;
    let hook = id.clone();
    app.db()
        .write(move |conn| {
            diesel::update(webhooks::table.filter(webhooks::public_id.eq(&hook)))
                .set(webhooks::kind.eq("ADDON"))
                .execute(conn)
                .map_err(anyhow::Error::from)
        })
        .await
        .expect("an add-on webhook");
    let list = owner.get(&list_url(&ws)).await;
    assert_eq!(list.text("#addon-hooks").as_deref(), Some("Add-on webhooks"));
    assert_eq!(count(&list, "table.webhooks tr[id^=webhook-] details.dots"), 0, "no Edit or Delete menu");
    assert_eq!(list.text(&format!("#webhook-{id} .actions a")).as_deref(), Some("Details"));
    let details = owner.get(&details_url).await;
    assert_eq!(count(&details, "tbody.delivery"), 1);
    let opened = open_first(&owner, &details).await;
    assert_eq!(count(&opened, "li.attempt"), 1, "its attempts are visible");
    assert_eq!(count(&opened, "form[action$='/resend']"), 0, "no Resend button");
    assert_eq!(count(&details, &format!("a[href='{details_url}/edit']")), 0, "no Edit button");
    assert_eq!(owner.get(&format!("{details_url}/edit")).await.status, StatusCode::FORBIDDEN);
    let attempt = opened.attr("li.attempt", "id").expect("attempt").trim_start_matches("attempt-").to_owned();
    let resend = owner.post_form(&details_url, &format!("{details_url}/attempts/{attempt}/resend"), &[]).await;
    assert_eq!(resend.status, StatusCode::FORBIDDEN);
    let delete = owner.post_form(&details_url, &format!("{details_url}/delete"), &[]).await;
    assert_eq!(delete.status, StatusCode::FORBIDDEN);
}

/// Deleting a webhook drops its queued deliveries: a retry due later is never sent.
async fn deleting_drops_queued_deliveries(app: TestApp) {
    use keyhook::db::schema::deliveries;
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let receiver = Receiver::start().await;
    receiver.answer(&[500]);
    create(&owner, &ws, "Invites", &receiver.url, "USERS_INVITED_TO_WORKSPACE").await;
    let id = id_of(&owner, &ws, "Invites").await;
    owner.invite(&ws, "new@example.com", "REGULAR").await;
    receiver.wait_for(1, WAIT).await;
    let details_url = format!("{}/{id}", list_url(&ws));
    details_until(&owner, &details_url, |p| settled(p, 1)).await;
    let db = app.db();
    let states = || {
        db.read(|conn| deliveries::table.select(deliveries::state).load::<String>(conn).map_err(anyhow::Error::from))
    };
    assert_eq!(states().await.expect("states"), ["PENDING"], "a retry waits an hour");
    let deleted = owner.post_form(&list_url(&ws), &format!("{details_url}/delete"), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(states().await.expect("states"), ["CANCELLED"]);
}

fn local_with_slow_retries(settings: &mut Settings) {
    local(settings);
    settings.retry_schedule = "1h".parse().expect("schedule");
}

crate::on_both_backends!(with local_with_slow_retries: deleting_drops_queued_deliveries);

crate::on_both_backends!(
    with local:
    attempt_times_follow_the_users_preferences,
    addon_webhooks_are_read_only,
    the_whole_walk_from_create_to_delete,
    bad_input_is_refused_next_to_the_field,
    other_roles_and_workspaces_see_nothing,
    attempts_come_in_pages_of_fifty,
);

crate::on_both_backends!(names_resolving_into_blocked_networks_are_refused);

/// "What does this event send?" on the Create webhook form leads to the catalog page, where
/// each event shows its plan, a sample and the payload's schema.
async fn the_create_form_links_to_what_each_event_sends(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let form = owner.get(&format!("/workspaces/{ws}/webhooks/new")).await;
    let link = form.attr("a[data-event-link]", "href").expect("the link next to the event");
    assert!(link.starts_with("/event-types"), "{link}");
    let page = owner.get("/event-types").await;
    assert_eq!(page.status, StatusCode::OK);
    let entry = page.text("#NEW_TIME_ENTRY").expect("a section per event");
    assert!(entry.contains("Needs the FREE plan") && entry.contains("\"timeInterval\""), "{entry}");
    assert!(page.text("#EXPENSE_CREATED").unwrap_or_default().contains("POST /events"));
    let sections = page.html().select(&scraper::Selector::parse("section.event-type").expect("selector")).count();
    assert_eq!(sections, 51);
    assert_eq!(app.client().get("/event-types").await.location(), "/login", "for signed-in users");
}

crate::on_both_backends!(the_create_form_links_to_what_each_event_sends);
