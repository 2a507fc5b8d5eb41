//! The help article's Webhooks steps in a real browser, on SQLite and on PostgreSQL: create,
//! test, see a failure, resend, reset the secret (the receiver's signature check follows it),
//! edit, delete; a second workspace's list; the plan's limits; a Regular member sees nothing.

use std::time::Duration;

use fantoccini::{key::Key, Client, Locator};

use super::driver::Browser;
use super::helpers::{self, spawn_app_with, spawn_postgres_app, Backend, TestApp};
use super::receiver::{Hit, Receiver};
use super::{click, eventually, fill, on_page, text};

const WAIT: Duration = Duration::from_secs(5);
/// An endpoint that needs no name lookup; the webhooks pointed at it fire no events here.
const LOCAL: &str = "http://127.0.0.1:9/hook";

fn local(settings: &mut keyhook::config::Settings) {
    settings.allow_private_networks = "127.0.0.0/8,::1/128".into();
    settings.retry_schedule = "20ms".parse().expect("schedule");
}

#[tokio::test]
async fn webhooks_walk_on_sqlite() {
    walk("webhooks-sqlite", spawn_app_with(Backend::Sqlite, local).await).await;
}

#[tokio::test]
async fn webhooks_walk_on_postgres() {
    if let Some(app) = spawn_postgres_app(local).await {
        walk("webhooks-postgres", app).await;
    }
}

fn verifies(secret: &str, hit: &Hit) -> bool {
    standardwebhooks::Webhook::new(secret).expect("secret").verify(hit.body.as_bytes(), &hit.headers).is_ok()
}

/// Whether the newest delivery's latest status and trigger are these.
fn first_delivery_is(status: &str, trigger: &str) -> String {
    format!(
        "const row = document.querySelector('tbody.delivery'); return !!row && row.querySelector('.status').textContent.trim() === {status:?} && row.querySelector('.trigger').textContent.trim() === {trigger:?};"
    )
}

/// Waits until the opened delivery's payload and attempts have arrived (htmx reads them as it opens).
async fn opened(c: &Client) {
    eventually(c, "the opened delivery", "return !!document.querySelector('tbody.delivery details[open] li.attempt');")
        .await;
}

/// A script: whether every listed delivery's status is `status`.
fn only_deliveries_with(status: &str) -> String {
    format!(
        "[...document.querySelectorAll('tbody.delivery .status')].every(s => s.textContent.trim() === {status:?}) && document.querySelectorAll('tbody.delivery').length > 0"
    )
}

/// A text of the payload to search for: its first string value of a few characters.
fn searchable(body: &str) -> String {
    let payload: serde_json::Value = serde_json::from_str(body).expect("a JSON payload");
    payload
        .as_object()
        .and_then(|o| o.values().filter_map(serde_json::Value::as_str).find(|v| v.len() >= 6))
        .expect("a string in the payload")
        .to_owned()
}

/// Marks the webhook disabled by failures, as the health check leaves one.
async fn disable_by_failures(app: &TestApp, id: &str) {
    use diesel::prelude::*;
    use keyhook::db::schema::webhooks;
    let id = id.to_owned();
    let now = keyhook::clock::now_ms();
    app.db()
        .write(move |conn| {
            diesel::update(webhooks::table.filter(webhooks::public_id.eq(id)))
                .set((
                    webhooks::enabled.eq(false),
                    webhooks::disabled_reason.eq("FAILING"),
                    webhooks::disabled_at.eq(now),
                    webhooks::health.eq("DISABLED"),
                    webhooks::health_since.eq(now),
                ))
                .execute(conn)
                .map_err(anyhow::Error::from)
        })
        .await
        .expect("disabled by failures");
}

/// Waits until `open` (a script expression) is false and focus is on `button`.
async fn closed_with_focus_on(c: &Client, what: &str, open: &str, button: &str) {
    let script = format!("return !{open} && document.activeElement === document.querySelector('{button}');");
    eventually(c, &format!("{what}, focus on {button}"), &script).await;
}

/// One key press where the focus is.
async fn press(c: &Client, key: Key) {
    let focused = c.active_element().await.expect("a focused element");
    focused.send_keys(&key).await.expect("a key press");
}

async fn row_id(c: &Client, name: &str) -> String {
    let script = format!(
        "return [...document.querySelectorAll('tr[id^=webhook-]')].find(r => r.querySelector('.webhook-name').textContent.trim() === {name:?})?.id.slice(8) ?? null;"
    );
    c.execute(&script, vec![]).await.expect("script").as_str().unwrap_or_else(|| panic!("no row for {name}")).to_owned()
}

async fn create_in_dialog(c: &Client, name: &str, url: &str, event: &str) {
    click(c, "a[data-dialog=create-dialog]").await;
    eventually(c, "the Create webhook dialog", "return document.querySelector('#create-dialog').open;").await;
    fill(c, "#create-name", name).await;
    fill(c, "#create-url", url).await;
    c.find(Locator::Css("#create-event")).await.expect("event").select_by_value(event).await.expect("pick");
}

async fn submit_create(c: &Client) {
    click(c, "#create-dialog button.btn-primary").await;
}

async fn walk(label: &'static str, app: TestApp) {
    let Some(browser) = Browser::start(label, 1280, 900).await else { return };
    let c = &browser.client;
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let list = format!("/workspaces/{ws}/webhooks");
    let _regular = app.add_member(&owner, &ws, "rita@example.com", "REGULAR").await;
    let receiver = Receiver::start().await;

    c.goto(&format!("{}/login", app.address)).await.expect("goto");
    fill(c, "#email", helpers::OWNER_EMAIL).await;
    fill(c, "#password", helpers::OWNER_PASSWORD).await;
    click(c, "button[type=submit]").await;
    on_page(c, "/preferences").await;

    // Preferences > Advanced > Manage webhooks.
    click(c, "nav.tabs a[href='/preferences/advanced']").await;
    on_page(c, "/preferences/advanced").await;
    assert_eq!(text(c, "#webhooks-heading").await, "Webhooks");
    browser.screenshot("preferences-advanced").await;
    click(c, &format!("a[href='{list}']")).await;
    on_page(c, &list).await;
    browser.screenshot("list-empty").await;

    // Create new: Name, Endpoint, Event, Create.
    create_in_dialog(c, "Projects feed", &receiver.url, "NEW_PROJECT").await;
    browser.screenshot("create-dialog").await;
    submit_create(c).await;
    eventually(c, "the new row", "return !!document.querySelector('tr[id^=webhook-]');").await;
    let id = row_id(c, "Projects feed").await;
    assert_eq!(text(c, &format!("#webhook-{id} .state")).await, "Enabled");
    assert!(text(c, "#toast").await.contains("created"));
    browser.screenshot("list").await;

    // Details from the three-dots menu; Test shows its delivery in place, without a reload.
    let details = format!("{list}/{id}");
    // The three-dots menu by keyboard: Enter opens it, Escape closes it and keeps focus on it.
    let summary = format!("#webhook-{id} details.dots summary");
    let menu_open = format!("document.querySelector('#webhook-{id} details.dots').open");
    let button = c.find(Locator::Css(&summary)).await.expect("the menu button");
    button.send_keys(&Key::Enter).await.expect("Enter");
    eventually(c, "the menu open by Enter", &format!("return {menu_open};")).await;
    press(c, Key::Escape).await;
    closed_with_focus_on(c, "the menu closed by Escape", &menu_open, &summary).await;
    click(c, &summary).await;
    browser.screenshot("row-menu").await;
    click(c, &format!("#webhook-{id} .menu a[href='{details}']")).await;
    on_page(c, &details).await;
    c.execute("window.keyhookNoReload = true;", vec![]).await.expect("mark the page");
    click(c, "form[action$='/test'] button").await;
    eventually(c, "the test delivery with 200", &first_delivery_is("200", "test")).await;
    // Said aloud too: the list is replaced, so a live region that stays in the page tells it.
    eventually(
        c,
        "the delivery announced",
        "return document.querySelector('#announcer[role=status]').textContent.startsWith('Latest delivery: Delivered, 200');",
    )
    .await;
    let still: bool = c
        .execute("return window.keyhookNoReload === true;", vec![])
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    assert!(still, "the delivery appeared without reloading the page");
    assert!(text(c, "#toast").await.contains("Test sent"));
    click(c, "tbody.delivery details summary").await;
    opened(c).await;
    let hits = receiver.wait_for(1, WAIT).await;
    let payload = text(c, "tbody.delivery pre.payload").await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&payload).expect("the payload is JSON"),
        serde_json::from_str::<serde_json::Value>(&hits[0].body).expect("JSON")
    );
    browser.screenshot("details-test").await;

    // The receiver fails: a failed delivery, its reason named; Resend sends it again, and it succeeds.
    receiver.answer(&[500]);
    click(c, "form[action$='/test'] button").await;
    eventually(c, "the failed delivery", &first_delivery_is("500", "test")).await;
    click(c, "tbody.delivery details summary").await;
    opened(c).await;
    assert_eq!(text(c, "tbody.delivery li.attempt .reason-text").await, "answered 500");
    assert!(text(c, "tbody.delivery li.attempt pre.curl").await.starts_with("curl -X POST"));
    browser.screenshot("details-failed").await;
    click(c, "tbody.delivery li.attempt form[action$='/resend'] button").await;
    eventually(c, "the resend with 200", &first_delivery_is("200", "resend")).await;
    let hits = receiver.wait_for(3, WAIT).await;
    assert_eq!(hits[2].header("webhook-id"), hits[1].header("webhook-id"), "a resend keeps its webhook-id");
    browser.screenshot("details-resend").await;

    // Filters and the payload search: a plain GET form, its answer a page of matches.
    fill(c, "#filter-status", "5xx").await;
    click(c, "form.delivery-filters button[type=submit]").await;
    eventually(
        c,
        "the 5xx filter",
        &format!("return location.search.includes('status=5xx') && {};", only_deliveries_with("500")),
    )
    .await;
    browser.screenshot("details-filter-5xx").await;
    click(c, "form.delivery-filters a").await;
    eventually(
        c,
        "the filters cleared",
        "return location.search === '' && !document.querySelector('#filter-status').value;",
    )
    .await;
    let needle = searchable(&hits[0].body);
    fill(c, "#filter-q", &needle).await;
    click(c, "form.delivery-filters button[type=submit]").await;
    eventually(
        c,
        "the search",
        "return location.search.includes('q=') && document.querySelectorAll('tbody.delivery').length > 0;",
    )
    .await;
    browser.screenshot("details-search").await;
    c.find(Locator::Css("#filter-q")).await.expect("search").clear().await.expect("clear");
    fill(c, "#filter-q", "no-payload-says-this").await;
    click(c, "form.delivery-filters button[type=submit]").await;
    eventually(
        c,
        "no match",
        "return document.querySelector('#deliveries .empty')?.textContent.startsWith('No deliveries match');",
    )
    .await;

    // Disabled by failures, it misses what happens meanwhile; the banner says so and offers
    // to send the missed deliveries with Enable.
    disable_by_failures(&app, &id).await;
    let key = owner.generate_key("browser", "never").await.secret;
    let project = serde_json::json!({"name": "While off"});
    let (made, _) = owner.api("POST", &format!("/api/v1/workspaces/{ws}/projects"), &key, Some(project)).await;
    assert_eq!(made, reqwest::StatusCode::CREATED);
    c.goto(&format!("{}{details}", app.address)).await.expect("goto");
    on_page(c, &details).await;
    assert_eq!(text(c, "#health .health").await, "Disabled");
    assert_eq!(text(c, "#enable-replay").await, "Enable and send the missed delivery");
    browser.screenshot("details-disabled-by-failures").await;
    click(c, "#enable-replay").await;
    eventually(
        c,
        "enabled with replay",
        "return document.querySelector('#toast')?.textContent.includes('missed delivery is being sent');",
    )
    .await;
    let hits = receiver.wait_for(4, WAIT).await;
    assert!(hits[3].body.contains("While off"), "the missed delivery was sent: {}", hits[3].body);
    browser.screenshot("details-enabled-with-replay").await;

    // Edit: reveal the secret, then reset it; the receiver's check passes with the new one only.
    click(c, &format!(".page-head a[href='{details}/edit']")).await;
    on_page(c, &format!("{details}/edit")).await;
    browser.screenshot("edit").await;
    click(c, "#secret form button").await;
    eventually(c, "the revealed secret", "return !!document.querySelector('#signing-secret');").await;
    let old_secret = text(c, "#signing-secret").await;
    assert!(verifies(&old_secret, &hits[0]), "the revealed secret signed the earlier deliveries");
    browser.screenshot("edit-revealed").await;
    click(c, "a[data-dialog=reset-dialog]").await;
    eventually(c, "the Reset dialog", "return document.querySelector('#reset-dialog').open;").await;
    c.find(Locator::Css("#reset-grace")).await.expect("grace").select_by_value("none").await.expect("pick");
    browser.screenshot("reset-dialog").await;
    click(c, "#reset-dialog button.btn-danger").await;
    eventually(c, "the new secret", "return !!document.querySelector('dialog.reveal[open] #flash-secret');").await;
    let new_secret = text(c, "#flash-secret").await;
    assert_ne!(new_secret, old_secret);
    browser.screenshot("reset-secret").await;
    click(c, "dialog.reveal button[type=submit]").await;
    c.goto(&format!("{}{details}", app.address)).await.expect("goto");
    on_page(c, &details).await;
    click(c, "form[action$='/test'] button").await;
    let hits = receiver.wait_for(5, WAIT).await;
    assert_eq!(hits.len(), 5);
    assert!(verifies(&new_secret, &hits[4]), "the receiver's check passes with the new secret");
    assert!(!verifies(&old_secret, &hits[4]), "the old secret no longer signs");

    // Edit the event.
    c.goto(&format!("{}{details}/edit", app.address)).await.expect("goto");
    on_page(c, &format!("{details}/edit")).await;
    c.find(Locator::Css("#event")).await.expect("event").select_by_value("NEW_CLIENT").await.expect("pick");
    click(c, "form[action$='/edit'] button.btn-primary").await;
    on_page(c, &details).await;
    eventually(c, "the new event", "return document.querySelector('.summary code')?.textContent === 'NEW_CLIENT';")
        .await;
    browser.screenshot("details-edited").await;

    // Delete from the three-dots menu.
    c.goto(&format!("{}{list}", app.address)).await.expect("goto");
    on_page(c, &list).await;
    click(c, &format!("#webhook-{id} details.dots summary")).await;
    click(c, &format!("#webhook-{id} a[data-dialog=delete-dialog]")).await;
    eventually(c, "the Delete dialog", "return document.querySelector('#delete-dialog').open;").await;
    assert_eq!(text(c, "#delete-dialog [data-fill=name]").await, "Projects feed", "the dialog names the row");
    // Focus stays in the dialog (it never reaches the page behind), and Escape gives it back
    // to the menu button that opened it.
    for _ in 0..6 {
        press(c, Key::Tab).await;
        let inside: bool = c
            .execute(
                "const a = document.activeElement; return a === document.body || !!a.closest('#delete-dialog');",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        assert!(inside, "Tab left the open dialog");
    }
    press(c, Key::Escape).await;
    closed_with_focus_on(c, "the dialog closed by Escape", "document.querySelector('#delete-dialog').open", &summary)
        .await;
    click(c, &summary).await;
    click(c, &format!("#webhook-{id} a[data-dialog=delete-dialog]")).await;
    eventually(c, "the Delete dialog again", "return document.querySelector('#delete-dialog').open;").await;
    browser.screenshot("delete-dialog").await;
    click(c, "#delete-dialog button.btn-danger").await;
    eventually(c, "the row gone", &format!("return !document.querySelector('#webhook-{id}');")).await;
    browser.screenshot("list-after-delete").await;

    // A second workspace in the dropdown shows its own webhooks only.
    let keep = owner.post_form(&list, &list, &[("name", "Keep me"), ("url", LOCAL), ("event", "NEW_TAG")]).await;
    assert_eq!(keep.status, reqwest::StatusCode::SEE_OTHER, "{}", keep.body);
    let second = owner.create_workspace("Beta").await;
    c.goto(&format!("{}{list}", app.address)).await.expect("goto");
    on_page(c, &list).await;
    c.find(Locator::Css("#webhooks-workspace")).await.expect("dropdown").select_by_label("Beta").await.expect("pick");
    let beta_list = format!("/workspaces/{second}/webhooks");
    on_page(c, &beta_list).await;
    let rows = c.execute("return document.querySelectorAll('tr[id^=webhook-]').length;", vec![]).await.expect("js");
    assert_eq!(rows.as_i64(), Some(0), "Beta has none of Acme's webhooks");
    // Opened again by address before the focus check: a page opened by a dropdown's choice stays
    // in pointer mode in Chromium 156 (a Tab press, even through the actions API, does not make
    // its first link match :focus-visible), which says nothing of how the page draws focus.
    c.goto(&format!("{}{beta_list}", app.address)).await.expect("goto");
    on_page(c, &beta_list).await;
    browser.screenshot("second-workspace").await;

    // FREE: an event that needs PRO is created disabled with its reason; the fourth is refused.
    create_in_dialog(c, "Expenses", LOCAL, "EXPENSE_CREATED").await;
    submit_create(c).await;
    eventually(c, "the Expenses row", "return !!document.querySelector('tr[id^=webhook-]');").await;
    let expenses = row_id(c, "Expenses").await;
    let state = text(c, &format!("#webhook-{expenses} .state")).await;
    assert!(state.starts_with("Disabled by plan") && state.contains("PRO"), "{state}");
    browser.screenshot("plan-disabled").await;
    for name in ["Second", "Third"] {
        owner.post_form(&beta_list, &beta_list, &[("name", name), ("url", LOCAL), ("event", "NEW_TAG")]).await;
    }
    c.goto(&format!("{}{beta_list}", app.address)).await.expect("goto");
    on_page(c, &beta_list).await;
    assert!(text(c, "#allowance").await.contains("3 of 3 webhooks on the FREE plan"));
    create_in_dialog(c, "Fourth", LOCAL, "NEW_TAG").await;
    submit_create(c).await;
    eventually(c, "the limit", "return !!document.querySelector('#form-error');").await;
    let refusal = text(c, "#form-error").await;
    assert!(refusal.contains("FREE plan allows 3") && refusal.contains("BASIC"), "{refusal}");
    browser.screenshot("plan-limit").await;

    // Workspace settings > Add-ons: a bad manifest is explained next to the field; a good one
    // installs (its token shown once), its webhook joins the list apart, and Uninstall removes it.
    let addons = format!("/workspaces/{second}/settings/addons");
    c.goto(&format!("{}/workspaces/{second}/settings", app.address)).await.expect("goto");
    click(c, &format!("nav.tabs a[href='{addons}']")).await;
    on_page(c, &addons).await;
    let manifest = |base: &str| {
        format!(
            r#"{{"key": "ledger", "name": "Ledger sync", "baseUrl": "{base}",
                "webhooks": [{{"event": "NEW_TIME_ENTRY", "path": "/hooks/entry"}}]}}"#
        )
    };
    fill(c, "#manifest", &manifest("/relative")).await;
    click(c, "form[action$='/addons'] button[type=submit]").await;
    eventually(c, "the manifest's error", "return !!document.querySelector('#manifest-error');").await;
    assert!(text(c, "#manifest-error").await.starts_with("baseUrl: "));
    browser.screenshot("addon-error").await;
    c.find(Locator::Css("#manifest")).await.expect("manifest").clear().await.expect("clear");
    fill(c, "#manifest", &manifest(receiver.base())).await;
    click(c, "form[action$='/addons'] button[type=submit]").await;
    eventually(c, "the token", "return !!document.querySelector('#flash-secret');").await;
    assert!(text(c, "#flash-secret").await.starts_with("kha_"));
    assert!(text(c, "article.addon h3").await.starts_with("Ledger sync"));
    browser.screenshot("addon-installed").await;
    c.goto(&format!("{}{beta_list}", app.address)).await.expect("goto");
    on_page(c, &beta_list).await;
    assert_eq!(text(c, "#addon-hooks").await, "Add-on webhooks");
    browser.screenshot("addon-webhooks").await;
    c.goto(&format!("{}{addons}", app.address)).await.expect("goto");
    on_page(c, &addons).await;
    click(c, "article.addon details.confirm summary").await;
    click(c, "article.addon details.confirm button[type=submit]").await;
    eventually(c, "no add-on", "return !document.querySelector('article.addon');").await;
    assert!(text(c, "#toast").await.contains("uninstalled"));
    browser.screenshot("addon-uninstalled").await;

    // A Regular member: no Webhooks section, and the URL answers 404.
    click(c, ".user-menu summary").await;
    click(c, ".user-menu button[type=submit]").await;
    on_page(c, "/login").await;
    fill(c, "#email", "rita@example.com").await;
    fill(c, "#password", "member-password-1").await;
    click(c, "button[type=submit]").await;
    on_page(c, "/preferences").await;
    c.goto(&format!("{}/preferences/advanced", app.address)).await.expect("goto");
    on_page(c, "/preferences/advanced").await;
    let section = c.execute("return !!document.querySelector('#webhooks-heading');", vec![]).await.expect("js");
    assert_eq!(section.as_bool(), Some(false), "no Webhooks section for a Regular member");
    browser.screenshot("regular-advanced").await;
    c.goto(&format!("{}{list}", app.address)).await.expect("goto");
    assert!(text(c, "h1").await.contains("Page not found"));
    browser.screenshot("regular-404").await;
    browser.close().await;
}
