//! Browser tests: headless Chromium driven over WebDriver, against the real server.
//!
//! Without Chromium and ChromeDriver on the machine these tests say loudly that they were
//! skipped; with `KEYHOOK_REQUIRE_BROWSER=1` (as CI sets it) they fail instead. Screenshots of
//! each page go to `target/screenshots/`, and each page is scanned with axe-core (`axe.rs`).

mod axe;
mod driver;
mod focus;
#[allow(dead_code)]
#[path = "../app/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "../app/receiver.rs"]
mod receiver;
mod webhooks;

use std::time::Duration;

use fantoccini::{Client, Locator};

use driver::Browser;
use helpers::{spawn_app, Backend};

async fn text(client: &Client, css: &str) -> String {
    client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).text().await.expect("text")
}

async fn fill(client: &Client, css: &str, value: &str) {
    let field = client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    field.clear().await.expect("clear");
    field.send_keys(value).await.expect("type");
}

async fn click(client: &Client, css: &str) {
    client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.expect("click");
}

/// Waits (at most five seconds) until `check` holds for the page.
async fn eventually(client: &Client, what: &str, script: &str) {
    for _ in 0..50 {
        if client.execute(script, vec![]).await.ok().and_then(|v| v.as_bool()) == Some(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let url = client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
    panic!("timed out waiting for {what} on {url}");
}

async fn on_page(client: &Client, path: &str) {
    let script = format!("return location.pathname === {path:?} && document.readyState === 'complete';");
    eventually(client, path, &script).await;
}

#[tokio::test]
async fn setup_second_workspace_switch_and_preferences() {
    let Some(browser) = Browser::start("desktop", 1280, 900).await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await;
    let c = &browser.client;

    // First run: every page leads to setup.
    c.goto(&format!("{}/preferences", app.address)).await.expect("goto");
    on_page(c, "/setup").await;
    browser.screenshot("setup").await;
    fill(c, "#name", "Olivia Owner").await;
    fill(c, "#email", "owner@example.com").await;
    fill(c, "#password", "short").await;
    fill(c, "#workspace_name", "Acme").await;
    click(c, "button[type=submit]").await;
    eventually(c, "the password error", "return !!document.querySelector('#password-error');").await;
    assert!(text(c, "#password-error").await.contains("at least 10"));
    browser.screenshot("setup-error").await;
    fill(c, "#password", "owner-password-1").await;
    click(c, "button[type=submit]").await;
    on_page(c, "/preferences").await;
    assert_eq!(text(c, ".user-name").await, "Olivia Owner");
    browser.screenshot("preferences").await;

    // A second workspace becomes the active one.
    c.goto(&format!("{}/workspaces/new", app.address)).await.expect("goto");
    browser.screenshot("workspace-new").await;
    fill(c, "#workspace_name", "Beta Labs").await;
    click(c, "form[action='/workspaces/new'] button[type=submit]").await;
    eventually(c, "the settings page", "return location.pathname.endsWith('/settings');").await;
    eventually(
        c,
        "Beta Labs active",
        "return document.querySelector('#workspace-select option:checked').textContent === 'Beta Labs';",
    )
    .await;
    browser.screenshot("workspace-settings").await;
    click(c, "nav.tabs a:nth-child(2)").await;
    eventually(c, "the members tab", "return location.pathname.endsWith('/settings/members');").await;
    browser.screenshot("workspace-members").await;

    // Switch with the dropdown: no button press, the change submits (app.js), same screen.
    let beta = c.current_url().await.expect("url").path().to_owned();
    let select = c.find(Locator::Css("#workspace-select")).await.expect("dropdown");
    select.select_by_label("Acme").await.expect("choose Acme");
    // The dropdown shows the choice at once; wait for the page it leads to.
    let switched = format!("return location.pathname !== {beta:?} && location.pathname.endsWith('/settings/members');");
    eventually(c, "the members tab of Acme", &switched).await;
    eventually(
        c,
        "Acme active after the switch",
        "return document.readyState === 'complete' && document.querySelector('#workspace-select option:checked').textContent === 'Acme';",
    )
    .await;
    let acme = c.current_url().await.expect("url").path().to_owned();
    assert_ne!(acme, beta, "the same screen of the other workspace");

    // Preferences: the preview changes as the choices change, before saving.
    c.goto(&format!("{}/preferences", app.address)).await.expect("goto");
    on_page(c, "/preferences").await;
    let before = text(c, "#preview").await;
    assert!(before.ends_with("AM") || before.ends_with("PM"), "{before}");
    c.find(Locator::Css("#date_format")).await.expect("date").select_by_value("YYYY-MM-DD").await.expect("pick");
    c.find(Locator::Css("#time_format")).await.expect("time").select_by_value("HOUR24").await.expect("pick");
    eventually(
        c,
        "a 24-hour ISO preview",
        r"return /^Now: \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(document.querySelector('#preview').textContent.trim());",
    )
    .await;
    browser.screenshot("preferences-preview").await;
    c.find(Locator::Css("#time_zone")).await.expect("zone").select_by_value("Asia/Tokyo").await.expect("pick");
    click(c, "form[action='/preferences'] button[type=submit]").await;
    eventually(
        c,
        "the saved message",
        "return (document.querySelector('.flash') || {}).textContent?.includes('Preferences saved.');",
    )
    .await;
    let zone =
        c.find(Locator::Css("#time_zone option:checked")).await.expect("zone").attr("value").await.expect("attr");
    assert_eq!(zone.as_deref(), Some("Asia/Tokyo"));
    browser.screenshot("preferences-saved").await;

    // The event catalog, as "What does this event send?" opens it.
    c.goto(&format!("{}/event-types#NEW_TIME_ENTRY", app.address)).await.expect("goto");
    on_page(c, "/event-types").await;
    browser.screenshot("event-types").await;

    // Log out through the user menu.
    click(c, ".user-menu summary").await;
    click(c, ".user-menu button[type=submit]").await;
    on_page(c, "/login").await;
    browser.screenshot("login").await;

    // Signing in again on the page htmx swapped in: fresh token, and the app's own layout.
    fill(c, "#email", "owner@example.com").await;
    fill(c, "#password", "owner-password-1").await;
    click(c, "button[type=submit]").await;
    on_page(c, "/preferences").await;
    eventually(
        c,
        "a full-width top bar",
        "return Math.abs(document.querySelector('.topbar').getBoundingClientRect().width - window.innerWidth) < 2;",
    )
    .await;
    c.goto(&format!("{}/no-such-page", app.address)).await.expect("goto");
    browser.screenshot("not-found").await;
    browser.close().await;
}

#[tokio::test]
async fn pages_fit_a_360_pixel_screen() {
    every_page("mobile", 360, 780).await;
}

/// The same pages at the desktop width: each is scanned (axe, focus) at both.
#[tokio::test]
async fn pages_at_1280_pixels() {
    every_page("wide", 1280, 900).await;
}

/// Every signed-in page with its parts filled in, at one window size: none overflows it, and
/// each passes the page checks of [`Browser::screenshot`].
async fn every_page(label: &'static str, width: u32, height: u32) {
    let Some(browser) = Browser::start(label, width, height).await else {
        return;
    };
    let app = helpers::spawn_app_with(Backend::Sqlite, |s| s.allow_private_networks = "127.0.0.0/8".into()).await;
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let _member = app.add_member(&owner, &ws, "member@example.com", "REGULAR").await;
    owner.generate_key("A key with a rather long name for a small screen", "30").await;
    // A webhook with one attempt, so its screens show every part.
    let receiver = receiver::Receiver::start().await;
    let list = format!("/workspaces/{ws}/webhooks");
    let fields = [("name", "Time entries to the ledger"), ("url", receiver.url.as_str()), ("event", "NEW_TIME_ENTRY")];
    owner.post_form(&list, &list, &fields).await;
    let hook = owner.get(&list).await.attr("tr[id^=webhook-]", "id").expect("a webhook")[8..].to_owned();
    owner.post_form(&format!("{list}/{hook}"), &format!("{list}/{hook}/test"), &[]).await;
    receiver.wait_for(1, Duration::from_secs(5)).await;
    // An installed add-on, for the Add-ons tab.
    let addons = format!("/workspaces/{ws}/settings/addons");
    let manifest = format!(
        r#"{{"key": "ledger-sync", "name": "Ledger synchronisation for accountants", "baseUrl": "{}",
            "webhooks": [{{"event": "NEW_TIME_ENTRY", "path": "/hooks/time-entries/new"}}]}}"#,
        receiver.base()
    );
    let installed = owner.post_form(&addons, &format!("/workspaces/{ws}/addons"), &[("manifest", &manifest)]).await;
    assert_eq!(installed.status, reqwest::StatusCode::SEE_OTHER, "{}", installed.body);
    let invitation = owner.invite(&ws, "new.member@example.com", "REGULAR").await;
    let c = &browser.client;
    c.goto(&format!("{}/login", app.address)).await.expect("goto");
    browser.screenshot("login").await;
    fill(c, "#email", helpers::OWNER_EMAIL).await;
    fill(c, "#password", helpers::OWNER_PASSWORD).await;
    click(c, "button[type=submit]").await;
    on_page(c, "/preferences").await;
    for (name, path) in [
        ("preferences", "/preferences".to_owned()),
        ("profile", "/profile".to_owned()),
        ("event-types", "/event-types".to_owned()),
        ("workspace-settings", format!("/workspaces/{ws}/settings")),
        ("workspace-members", format!("/workspaces/{ws}/settings/members")),
        ("workspace-accounts", format!("/workspaces/{ws}/settings/accounts")),
        ("workspace-addons", addons.clone()),
        ("preferences-advanced", "/preferences/advanced".to_owned()),
        ("api-keys", "/api-keys".to_owned()),
        ("webhooks", list.clone()),
        ("webhook-new", format!("{list}/new")),
        ("webhook-details", format!("{list}/{hook}")),
        ("webhook-edit", format!("{list}/{hook}/edit")),
        ("workspace-new", "/workspaces/new".to_owned()),
        ("invitation", invitation.clone()),
    ] {
        c.goto(&format!("{}{path}", app.address)).await.expect("goto");
        on_page(c, &path).await;
        let overflow = c
            .execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![])
            .await
            .expect("script")
            .as_i64()
            .unwrap_or(i64::MAX);
        assert!(overflow <= 0, "{path} overflows a {width} px screen by {overflow} px");
        browser.screenshot(name).await;
    }
    browser.close().await;
}

async fn api_status(app: &helpers::TestApp, key: &str) -> reqwest::StatusCode {
    reqwest::Client::new()
        .get(format!("{}/api/v1/user", app.address))
        .header("X-Api-Key", key)
        .send()
        .await
        .expect("GET")
        .status()
}

async fn row_id(c: &Client, name: &str) -> String {
    let script = format!(
        "return [...document.querySelectorAll('tr[id^=key-]')].find(r => r.querySelector('.key-name').textContent === {name:?})?.id.slice(4) ?? null;"
    );
    c.execute(&script, vec![]).await.expect("script").as_str().unwrap_or_else(|| panic!("no row for {name}")).to_owned()
}

#[tokio::test]
async fn api_keys_generate_use_rename_regenerate_delete_and_revoke() {
    let Some(browser) = Browser::start("api-keys", 1280, 900).await else { return };
    let app = spawn_app(Backend::Sqlite).await;
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let c = &browser.client;
    c.goto(&format!("{}/login", app.address)).await.expect("goto");
    fill(c, "#email", helpers::OWNER_EMAIL).await;
    fill(c, "#password", helpers::OWNER_PASSWORD).await;
    click(c, "button[type=submit]").await;
    on_page(c, "/preferences").await;

    // Preferences > Advanced > Manage API keys.
    click(c, "nav.tabs a[href='/preferences/advanced']").await;
    on_page(c, "/preferences/advanced").await;
    browser.screenshot("preferences-advanced").await;
    click(c, "a[href='/api-keys']").await;
    on_page(c, "/api-keys").await;
    browser.screenshot("empty").await;

    // Generate new: a dialog, then the key shown once.
    click(c, "a[data-dialog=generate-dialog]").await;
    eventually(c, "the Generate dialog", "return document.querySelector('#generate-dialog').open;").await;
    fill(c, "#generate-name", "Zapier").await;
    c.find(Locator::Css("#generate-expires")).await.expect("expiry").select_by_value("30").await.expect("pick");
    browser.screenshot("generate-dialog").await;
    click(c, "#generate-dialog button.btn-primary").await;
    eventually(c, "the new key", "return !!document.querySelector('dialog.reveal[open] #flash-secret');").await;
    let first = text(c, "#flash-secret").await;
    assert!(text(c, "dialog.reveal").await.contains("will not be shown again"));
    browser.screenshot("generated").await;
    assert_eq!(api_status(&app, &first).await, reqwest::StatusCode::OK, "the key works");
    click(c, "dialog.reveal button[type=submit]").await;
    eventually(c, "the reveal closed", "return !document.querySelector('dialog.reveal[open]');").await;
    let id = row_id(c, "Zapier").await;
    assert_eq!(text(c, &format!("#key-{id} .key-hint")).await, format!("kh_…{}", &first[48..]));

    // Rename through the three-dots menu.
    click(c, &format!("#key-{id} details.dots summary")).await;
    click(c, &format!("a[data-dialog=rename-{id}]")).await;
    eventually(c, "the Rename dialog", &format!("return document.querySelector('#rename-{id}').open;")).await;
    fill(c, &format!("#rename-{id}-name"), "Zapier (billing)").await;
    browser.screenshot("rename-dialog").await;
    click(c, &format!("#rename-{id} button.btn-primary")).await;
    eventually(
        c,
        "the new name",
        &format!("return document.querySelector('#key-{id} .key-name')?.textContent === 'Zapier (billing)';"),
    )
    .await;

    // Regenerate with a 24-hour grace period: the old and the new key both work.
    click(c, &format!("#key-{id} details.dots summary")).await;
    click(c, &format!("a[data-dialog=regenerate-{id}]")).await;
    eventually(c, "the Regenerate dialog", &format!("return document.querySelector('#regenerate-{id}').open;")).await;
    c.find(Locator::Css(&format!("#regenerate-{id}-grace")))
        .await
        .expect("grace")
        .select_by_value("24h")
        .await
        .expect("pick");
    browser.screenshot("regenerate-dialog").await;
    click(c, &format!("#regenerate-{id} button.btn-danger")).await;
    eventually(c, "the new secret", "return !!document.querySelector('dialog.reveal[open] #flash-secret');").await;
    let second = text(c, "#flash-secret").await;
    assert_ne!(first, second);
    assert_eq!(api_status(&app, &first).await, reqwest::StatusCode::OK, "old key in its grace period");
    assert_eq!(api_status(&app, &second).await, reqwest::StatusCode::OK);
    click(c, "dialog.reveal button[type=submit]").await;

    // Delete: confirm, then the key is gone and fails.
    click(c, &format!("#key-{id} details.dots summary")).await;
    click(c, &format!("a[data-dialog=delete-{id}]")).await;
    eventually(c, "the Delete dialog", &format!("return document.querySelector('#delete-{id}').open;")).await;
    browser.screenshot("delete-dialog").await;
    click(c, &format!("#delete-{id} button.btn-danger")).await;
    eventually(c, "the row gone", &format!("return !document.querySelector('#key-{id}');")).await;
    assert_eq!(api_status(&app, &second).await, reqwest::StatusCode::UNAUTHORIZED);
    assert_eq!(api_status(&app, &first).await, reqwest::StatusCode::UNAUTHORIZED);
    browser.screenshot("after-delete").await;

    // Revoke a member's key from the workspace's Accounts tab.
    let member = app.add_member(&owner, &ws, "mia@example.com", "REGULAR").await;
    let theirs = member.generate_key("Mia's report", "never").await;
    c.goto(&format!("{}/workspaces/{ws}/settings/accounts", app.address)).await.expect("goto");
    on_page(c, &format!("/workspaces/{ws}/settings/accounts")).await;
    browser.screenshot("accounts").await;
    click(c, &format!("#key-{} details.confirm summary", theirs.id)).await;
    click(c, &format!("#key-{} details.confirm button[type=submit]", theirs.id)).await;
    eventually(
        c,
        "the key marked revoked here",
        &format!("return !!document.querySelector('#revoked-{}');", theirs.id),
    )
    .await;
    let in_workspace = reqwest::Client::new()
        .get(format!("{}/api/v1/workspaces/{ws}/clients", app.address))
        .header("X-Api-Key", &theirs.secret)
        .send()
        .await
        .expect("GET");
    assert_eq!(in_workspace.status(), reqwest::StatusCode::FORBIDDEN, "revoked for this workspace");
    assert!(text(c, "table.audit").await.contains("Revoked for this workspace"));
    browser.screenshot("accounts-after-revoke").await;
    browser.close().await;
}
