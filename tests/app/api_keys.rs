//! The Manage API keys page and the Accounts tab, end to end with the REST API.

use std::time::Duration;

use diesel::prelude::*;
use keyhook::db::schema::api_keys;
use reqwest::StatusCode;

use crate::helpers::{Client, TestApp, OWNER_EMAIL};

async fn a_generated_key_is_shown_once_and_calls_the_api(app: TestApp) {
    let owner = app.setup_owner().await;
    let advanced = owner.get("/preferences/advanced").await;
    assert_eq!(advanced.text("#api-keys-heading").as_deref(), Some("API keys"));
    assert_eq!(advanced.attr("a[href='/api-keys']", "class").as_deref(), Some("btn"));
    assert!(advanced.body.contains(">Manage API keys</a>"));

    let empty = owner.get("/api-keys").await;
    assert_eq!(empty.text("a[data-dialog=generate-dialog]").as_deref(), Some("Generate new"));
    assert!(empty.body.contains("You have no API keys yet"));

    let key = owner.generate_key("CI <pipeline> \"main\"", "never").await;
    assert_eq!(key.secret.len(), 52);
    assert!(key.secret.starts_with("kh_"));
    let page = owner.get("/api-keys").await;
    assert!(page.text("#flash-secret").is_none(), "the key is shown only once");
    let row = format!("#key-{}", key.id);
    assert_eq!(page.text(&format!("{row} .key-name")).as_deref(), Some("CI <pipeline> \"main\""));
    assert!(page.body.contains("CI &#60;pipeline&#62; &#34;main&#34;"), "escaped");
    assert_eq!(page.text(&format!("{row} .key-hint")), Some(format!("kh_…{}", &key.secret[48..])));
    assert_eq!(page.text(&format!("{row} .key-last-used")).as_deref(), Some("Never"));
    assert!(!page.body.contains(&key.secret), "only the hint stays on the page");

    let me = owner.api_get("/api/v1/user", &key.secret).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert!(me.headers["content-type"].to_str().unwrap_or("").starts_with("application/json"));
    let me = Client::json(&me);
    assert_eq!(me["email"], OWNER_EMAIL);
    assert_eq!(me["name"], "Olivia Owner");
    assert_eq!(me["settings"]["dateFormat"], "MM/DD/YYYY");
    assert_eq!(me["settings"]["timeFormat"], "HOUR12");
    assert_eq!(me["settings"]["timeZone"], "UTC");
    let workspace = owner.active_workspace().await;
    assert_eq!(me["activeWorkspace"], workspace.as_str());
    assert_eq!(me["memberships"][0]["targetId"], workspace.as_str());
    assert_eq!(me["memberships"][0]["role"], "OWNER");
    assert!(keyhook::domain::is_public_id(me["id"].as_str().unwrap_or("")));

    // The first use is recorded at once (later ones at most once a minute).
    let mut shown = String::from("Never");
    for _ in 0..40 {
        shown = owner.get("/api-keys").await.text(&format!("{row} .key-last-used")).unwrap_or_default();
        if shown != "Never" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_ne!(shown, "Never", "last used is shown after a call");

    // Only a hash and a hint are stored.
    let stored: Vec<(String, String, String)> = app
        .db()
        .read(|conn| {
            api_keys::table
                .select((api_keys::name, api_keys::hint, api_keys::secret_hash))
                .load(conn)
                .map_err(anyhow::Error::from)
        })
        .await
        .expect("rows");
    assert_eq!(stored.len(), 1);
    assert!(stored
        .iter()
        .all(|(n, h, s)| !n.contains(&key.secret) && !h.contains(&key.secret[3..48]) && s.len() == 64));
}

async fn bad_key_names_are_refused_next_to_the_field(app: TestApp) {
    let owner = app.setup_owner().await;
    owner.generate_key("deploy", "90").await;
    let long = "k".repeat(101);
    for (name, message) in [
        ("", "Enter a name."),
        ("   ", "Enter a name."),
        (long.as_str(), "at most 100"),
        (" deploy ", "already have a key"),
    ] {
        let answer = owner.post_form("/api-keys", "/api-keys", &[("name", name), ("expires", "never")]).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        let shown = answer.field_error("name").unwrap_or_default();
        assert!(shown.contains(message), "{name:?}: {shown}");
        assert_eq!(answer.text("h1").as_deref(), Some("Generate API key"));
    }
    let bad_expiry = owner.post_form("/api-keys", "/api-keys", &[("name", "x"), ("expires", "7")]).await;
    assert_eq!(bad_expiry.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_expiry.field_error("expires").is_some());
    let page = owner.get("/api-keys").await;
    assert_eq!(page.html().select(&scraper::Selector::parse("tr[id^=key-]").expect("s")).count(), 1, "nothing stored");
}

async fn rename_regenerate_and_delete(app: TestApp) {
    let owner = app.setup_owner().await;
    let first = owner.generate_key("first", "never").await;
    let second = owner.generate_key("second", "30").await;
    let rename = format!("/api-keys/{}/rename", first.id);
    let form = owner.get(&rename).await;
    assert_eq!(form.attr("#name", "value").as_deref(), Some("first"));
    let taken = owner.post_form(&rename, &rename, &[("name", "second")]).await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.field_error("name").unwrap_or_default().contains("already have a key"));
    let renamed = owner.post_form(&rename, &rename, &[("name", "renamed")]).await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER);
    let page = owner.get("/api-keys").await;
    assert_eq!(page.text(&format!("#key-{} .key-name", first.id)).as_deref(), Some("renamed"));

    // Regenerate without grace: the old secret stops at once.
    let regenerate = format!("/api-keys/{}/regenerate", first.id);
    let answer = owner.post_form(&regenerate, &regenerate, &[("grace", "none")]).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let new_secret = owner.get("/api-keys").await.text("#flash-secret").expect("the new secret, once");
    assert_ne!(new_secret, first.secret);
    let old = owner.api_get("/api/v1/user", &first.secret).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    assert_eq!(Client::json(&old)["code"], 4003);
    assert_eq!(owner.api_get("/api/v1/user", &new_secret).await.status, StatusCode::OK);
    let page = owner.get("/api-keys").await;
    assert_eq!(page.text(&format!("#key-{} .key-name", first.id)).as_deref(), Some("renamed"), "same name");
    assert_eq!(page.text(&format!("#key-{} .key-hint", first.id)), Some(format!("kh_…{}", &new_secret[48..])));

    // Regenerate with a grace period: both secrets work.
    let regenerate = format!("/api-keys/{}/regenerate", second.id);
    owner.post_form(&regenerate, &regenerate, &[("grace", "1h")]).await;
    let newest = owner.get("/api-keys").await.text("#flash-secret").expect("shown once");
    assert_eq!(owner.api_get("/api/v1/user", &second.secret).await.status, StatusCode::OK, "old key in grace");
    assert_eq!(owner.api_get("/api/v1/user", &newest).await.status, StatusCode::OK);

    // Delete: the key fails at once and is gone.
    let delete = format!("/api-keys/{}/delete", second.id);
    let confirm = owner.get(&delete).await;
    assert!(confirm.body.contains("stop working at once"));
    assert_eq!(owner.post_form(&delete, &delete, &[]).await.status, StatusCode::SEE_OTHER);
    for secret in [&newest, &second.secret] {
        assert_eq!(owner.api_get("/api/v1/user", secret).await.status, StatusCode::UNAUTHORIZED);
    }
    assert!(!owner.get("/api-keys").await.body.contains(&format!("key-{}", second.id)));
}

async fn another_users_key_is_not_found(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let mine = owner.generate_key("owner's", "never").await;
    let member = app.add_member(&owner, &ws, "mia@example.com", "ADMIN").await;
    for (path, fields) in [
        (format!("/api-keys/{}/rename", mine.id), vec![("name", "stolen")]),
        (format!("/api-keys/{}/regenerate", mine.id), vec![("grace", "none")]),
        (format!("/api-keys/{}/delete", mine.id), vec![]),
    ] {
        assert_eq!(member.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(member.post_form("/api-keys", &path, &fields).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(member.get("/api-keys/not-an-id/rename").await.status, StatusCode::NOT_FOUND);
    assert_eq!(owner.api_get("/api/v1/user", &mine.secret).await.status, StatusCode::OK, "untouched");
}

async fn the_accounts_tab_lists_and_revokes_members_keys(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let accounts = format!("/workspaces/{ws}/settings/accounts");
    let regular = app.add_member(&owner, &ws, "rita@example.com", "REGULAR").await;
    let key = regular.generate_key("rita's script", "365").await;
    regular.post_form("/api-keys", &format!("/api-keys/{}/rename", key.id), &[("name", "rita's job")]).await;

    assert_eq!(regular.get(&accounts).await.status, StatusCode::FORBIDDEN, "a Regular member");
    let page = owner.get(&accounts).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("nav.tabs a[aria-current=page]").as_deref(), Some("Accounts"));
    let row = format!("#key-{}", key.id);
    assert_eq!(page.text(&format!("{row} .key-name")).as_deref(), Some("rita's job"));
    assert!(page.text(&format!("{row} td")).unwrap_or_default().contains("rita@example.com"));

    let revoke = format!("/workspaces/{ws}/api-keys/{}/revoke", key.id);
    assert_eq!(regular.post_form("/api-keys", &revoke, &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(owner.post_form(&accounts, &revoke, &[]).await.status, StatusCode::SEE_OTHER);
    let refused = regular.api_get(&format!("/api/v1/workspaces/{ws}/clients"), &key.secret).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "revoked here at once: {}", refused.body);
    assert!(refused.body.contains("revoked this API key"), "{}", refused.body);
    assert!(owner.get(&accounts).await.text(&format!("#revoked-{}", key.id)).is_some(), "shown as revoked here");
    assert!(regular.get("/api-keys").await.body.contains(&format!("key-{}", key.id)), "still its owner's key");

    let audit = owner.get(&accounts).await;
    let rows: Vec<String> = audit
        .html()
        .select(&scraper::Selector::parse("table.audit tbody tr").expect("s"))
        .map(|r| r.text().collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows[0].contains("Revoked for this workspace") && rows[0].contains("Olivia Owner"), "{}", rows[0]);
    assert!(rows[1].contains("Renamed") && rows[1].contains("rita's job"), "{}", rows[1]);
    assert!(rows[2].contains("Generated") && rows[2].contains(&format!("kh_…{}", &key.secret[48..])), "{}", rows[2]);
    assert!(!audit.body.contains(&key.secret), "no secret in the audit");

    // Another workspace's Accounts tab, and its revoke route, are not found.
    let other = regular.create_workspace("Rita's").await;
    assert_eq!(owner.get(&format!("/workspaces/{other}/settings/accounts")).await.status, StatusCode::NOT_FOUND);
    let theirs = regular.generate_key("private", "never").await;
    let revoke = format!("/workspaces/{other}/api-keys/{}/revoke", theirs.id);
    assert_eq!(owner.post_form(&accounts, &revoke, &[]).await.status, StatusCode::NOT_FOUND);
}

crate::on_both_backends!(
    a_generated_key_is_shown_once_and_calls_the_api,
    bad_key_names_are_refused_next_to_the_field,
    rename_regenerate_and_delete,
    another_users_key_is_not_found,
    the_accounts_tab_lists_and_revokes_members_keys,
);
