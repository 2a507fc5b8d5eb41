//! Credentials reach what they were issued for and nothing more: an add-on's token its own
//! add-on's webhooks and the time-tracking API of its workspace; a workspace's Admin that
//! workspace's use of a member's key, never the key's use elsewhere.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::addons::{as_addon, manifest};
use crate::clients_tags::{local, Script};
use crate::helpers::{Client, TestApp, OWNER_EMAIL};
use crate::receiver::Receiver;

fn str_of(value: &Value) -> String {
    value.as_str().unwrap_or_else(|| panic!("not a string: {value}")).to_owned()
}

/// The rows of a workspace's audit log, as text.
async fn audit_rows(client: &Client, ws: &str) -> Vec<String> {
    client
        .get(&format!("/workspaces/{ws}/settings/accounts"))
        .await
        .html()
        .select(&scraper::Selector::parse("table.audit tbody tr").expect("selector"))
        .map(|r| r.text().collect::<Vec<_>>().join(" "))
        .collect()
}

const REFUSED: &str = "An add-on token reaches only";

async fn an_addon_token_reaches_only_its_own_addon(app: TestApp) {
    let s = Script::new(&app).await;
    let addon_side = Receiver::start().await;
    let (status, first) = s.call("POST", "addons", Some(manifest(&addon_side, "first", &[("NEW_TAG", "/t")]))).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, second) =
        s.call("POST", "addons", Some(manifest(&addon_side, "second", &[("NEW_CLIENT", "/c")]))).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let token = str_of(&first["authToken"]);
    let own_hook = str_of(&first["webhooks"][0]["id"]);
    let others_hook = str_of(&second["webhooks"][0]["id"]);
    let users_hook = str_of(&s.subscribe(&addon_side, "NEW_PROJECT", None).await["id"]);
    let second_id = str_of(&second["id"]);
    let audit_before = audit_rows(&s.owner, &s.ws).await;
    let call = |method: &'static str, rest: String, body: Option<Value>| {
        let (owner, token, url) = (&s.owner, token.clone(), s.url(&rest));
        async move { as_addon(owner, &token, method, &url, body).await }
    };

    // Installing (and so getting another token) and uninstalling are a person's to do.
    let (status, answer) = call("POST", "addons".into(), Some(manifest(&addon_side, "third", &[]))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert!(str_of(&answer["message"]).starts_with(REFUSED), "{answer}");
    let (status, answer) = call("DELETE", format!("addons/{second_id}"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    let (_, installed) = s.call("GET", "addons", None).await;
    assert_eq!(installed.as_array().map(Vec::len), Some(2), "nothing installed or uninstalled: {installed}");
    let (status, _) = call("GET", format!("addons/{second_id}"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another add-on is not its to read");
    let (status, _) = call("GET", format!("addons/{second_id}/webhooks"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Only its own webhooks exist for it; it cannot create, change, test or resend any.
    let (status, listed) = call("GET", "webhooks".into(), None).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<String> = listed["webhooks"].as_array().expect("list").iter().map(|w| str_of(&w["id"])).collect();
    assert_eq!(ids, std::slice::from_ref(&own_hook), "{listed}");
    for hook in [&users_hook, &others_hook] {
        let (status, answer) = call("GET", format!("webhooks/{hook}"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
        assert!(answer.get("signingSecret").is_none());
        let (status, _) = call("PATCH", format!("webhooks/{hook}/token"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "not rotated");
        let (status, _) = call("PATCH", format!("webhooks/{hook}"), Some(json!({"enabled": false}))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "not disabled");
        let (status, _) = call("GET", format!("webhooks/{hook}/logs"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let body = json!({"name": "exfiltrate", "url": addon_side.url, "webhookEvent": "NEW_CLIENT"});
    let (status, answer) = call("POST", "webhooks".into(), Some(body)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    let (status, _) = call("POST", format!("webhooks/{own_hook}/test"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, users_view) = s.call("GET", &format!("webhooks/{users_hook}"), None).await;
    assert_eq!(users_view["enabled"], true, "the user's webhook is untouched");
    assert_eq!(audit_rows(&s.owner, &s.ws).await, audit_before, "nothing refused reached the audit log");

    // Its own: read with its secrets, rotated, and the audit names the add-on.
    let (status, own) = call("GET", format!("webhooks/{own_hook}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(own["signingSecret"].as_str().is_some_and(|s| s.starts_with("whsec_")), "its own secret: {own}");
    let (status, rotated) = call("PATCH", format!("webhooks/{own_hook}/token"), None).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let rows = audit_rows(&s.owner, &s.ws).await;
    assert!(rows[0].contains("Reset signing secret") && rows[0].contains("Add-on Time bot"), "{rows:?}");
    assert!(!rows[0].contains("Olivia Owner"), "not recorded as the Owner: {}", rows[0]);
    // The time-tracking API is its to call.
    let (status, _) = call("POST", "tags".into(), Some(json!({"name": "from the bot"}))).await;
    assert_eq!(status, StatusCode::CREATED);

    // The workspace's people see and may disable an add-on's webhook, but not read or reset
    // its secrets, through the API or the pages.
    let (status, seen) = s.call("GET", &format!("webhooks/{own_hook}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(seen.get("signingSecret").is_none() && seen.get("authToken").is_none(), "{seen}");
    let (status, answer) = s.call("PATCH", &format!("webhooks/{own_hook}/token"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    let secret = str_of(&rotated["signingSecret"]);
    let edit = format!("/workspaces/{}/webhooks/{own_hook}/edit", s.ws);
    let reveal = format!("/workspaces/{}/webhooks/{own_hook}/secret/reveal", s.ws);
    let token_field = s.owner.csrf(&format!("/workspaces/{}/webhooks", s.ws)).await;
    let htmx = s
        .owner
        .http
        .post(format!("{}{reveal}", s.owner.address))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &token_field)
        .send()
        .await
        .expect("POST");
    assert_eq!(htmx.status(), StatusCode::FORBIDDEN);
    assert!(!htmx.text().await.expect("body").contains(&secret), "no secret handed to htmx");
    let page = s.owner.get(&edit).await;
    assert!(!page.body.contains(&secret));
    let (status, disabled) = s.call("PATCH", &format!("webhooks/{own_hook}"), Some(json!({"enabled": false}))).await;
    assert_eq!((status, disabled["enabled"].as_bool()), (StatusCode::OK, Some(false)), "{disabled}");
}

/// The Admin of another workspace that a user joined revokes the user's key: refused there,
/// still working in the user's own workspace, and nothing written in its audit log.
async fn a_foreign_admins_revoke_holds_only_in_their_workspace(app: TestApp) {
    let owner = app.setup_owner().await;
    let acme = owner.active_workspace().await;
    let mallory = app.add_member(&owner, &acme, "mallory@example.com", "REGULAR").await;
    let lair = mallory.create_workspace("Lair").await;
    let link = mallory.invite(&lair, OWNER_EMAIL, "REGULAR").await;
    assert_eq!(owner.post_form(&link, &link, &[]).await.status, StatusCode::SEE_OTHER, "the Owner joins Lair");
    let key = owner.generate_key("deploy", "never").await;
    let acme_audit = audit_rows(&owner, &acme).await;

    let accounts = format!("/workspaces/{lair}/settings/accounts");
    let listed = mallory.get(&accounts).await;
    assert!(listed.body.contains(&format!("key-{}", key.id)), "Lair's Admin sees the member's key");
    let revoke = format!("/workspaces/{lair}/api-keys/{}/revoke", key.id);
    // Sent twice at once (a double click, or two Admins): one revocation, no error.
    let token = mallory.csrf(&accounts).await;
    let fields = [("csrf_token", token.as_str())];
    let (first, second) = tokio::join!(mallory.post_raw(&revoke, &fields), mallory.post_raw(&revoke, &fields));
    assert_eq!((first.status, second.status), (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER), "{}", second.body);

    let refused = owner.api_get(&format!("/api/v1/workspaces/{lair}/clients"), &key.secret).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let message = str_of(&Client::json(&refused)["message"]);
    assert!(message.contains("An Admin of this workspace revoked this API key"), "{message}");
    let works = owner.api_get(&format!("/api/v1/workspaces/{acme}/clients"), &key.secret).await;
    assert_eq!(works.status, StatusCode::OK, "still works in Acme: {}", works.body);
    assert_eq!(owner.api_get("/api/v1/user", &key.secret).await.status, StatusCode::OK);
    assert_eq!(audit_rows(&owner, &acme).await, acme_audit, "Acme's audit log shows nothing of Lair's revoke");
    let lair_audit = audit_rows(&mallory, &lair).await;
    assert!(lair_audit[0].contains("Revoked for this workspace"), "{lair_audit:?}");
    let revokes = lair_audit.iter().filter(|r| r.contains("Revoked for this workspace")).count();
    assert_eq!(revokes, 1, "one revocation recorded: {lair_audit:?}");
}

crate::on_both_backends!(with local: an_addon_token_reaches_only_its_own_addon, a_foreign_admins_revoke_holds_only_in_their_workspace);
