//! Input an attacker crafts: redirects that browsers would read as another site, header
//! injection, numbers past what a row or an instant can hold; and the headers every answer
//! carries, refusals included.

use reqwest::StatusCode;
use serde_json::json;

use crate::clients_tags::{local, Script};
use crate::helpers::TestApp;

async fn only_plain_local_redirects_are_followed(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    for next in [
        "/\t/evil.example/",
        "/\\evil.example/",
        "//evil.example/",
        "https://evil.example/",
        "/\r\nX-Evil: 1",
        "/\0",
        "/\n/evil.example",
    ] {
        let switched =
            owner.post_form("/preferences", "/workspaces/switch", &[("workspace", &ws), ("next", next)]).await;
        assert_eq!(switched.status, StatusCode::SEE_OTHER, "{next:?}: {}", switched.body);
        assert_eq!(switched.location(), "/preferences", "{next:?} goes home");
        assert!(switched.headers.get("x-evil").is_none());
    }
    let signed_out = app.client();
    let login = signed_out.get("/login?next=%2F%09%2Fevil.example%2F").await;
    assert_eq!(login.attr("input[name=next]", "value"), None, "a hostile next is not carried");
    let fields = [
        ("email", crate::helpers::OWNER_EMAIL),
        ("password", crate::helpers::OWNER_PASSWORD),
        ("next", "/\t/evil.example/"),
    ];
    let signed_in = signed_out.post_form("/login", "/login", &fields).await;
    assert_eq!(signed_in.location(), "/");
}

async fn numbers_past_any_row_or_instant_are_refused(app: TestApp) {
    let s = Script::new(&app).await;
    let receiver = crate::receiver::Receiver::start().await;
    let hook = s.subscribe(&receiver, "NEW_CLIENT", None).await;
    let id = hook["id"].as_str().expect("id").to_owned();
    let me = s.owner.api_get("/api/v1/user", &s.key).await;
    let user = crate::helpers::Client::json(&me)["id"].as_str().expect("user id").to_owned();
    for path in [
        "clients?page=9223372036854775807".to_owned(),
        "tags?page=100001".to_owned(),
        "users?page=9223372036854775807".to_owned(),
        format!("user/{user}/time-entries?page=9223372036854775807"),
    ] {
        let (status, answer) = s.call("GET", &path, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
        assert!(answer["message"].as_str().is_some_and(|m| m.starts_with("page: ")), "{path}: {answer}");
    }
    let (status, answer) = s.call("GET", "clients?page-size=9223372036854775807", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(answer["message"].as_str().is_some_and(|m| m.starts_with("page-size: ")), "{answer}");
    let (status, answer) =
        s.call("POST", &format!("webhooks/{id}/logs?page=9223372036854775807"), Some(json!({}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");

    for grace in ["18446744073709551615d", "9223372036854775807ms", "31d"] {
        let (status, answer) = s.call("PATCH", &format!("webhooks/{id}/token?grace={grace}"), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{grace}: {answer}");
        assert!(answer["message"].as_str().is_some_and(|m| m.starts_with("grace: ")), "{answer}");
    }
    let (_, unchanged) = s.call("GET", &format!("webhooks/{id}"), None).await;
    assert_eq!(unchanged["signingSecret"], hook["signingSecret"], "no rotation happened");
    let (status, _) = s.call("PATCH", &format!("webhooks/{id}/token?grace=30d"), None).await;
    assert_eq!(status, StatusCode::OK, "the bound itself is allowed");
}

/// Answers produced by middleware carry the same headers as pages; nothing is cacheable but
/// the static files.
async fn refusals_carry_the_security_headers(app: TestApp) {
    let owner = app.setup_owner().await;
    let csrf = owner.post_raw("/logout", &[]).await;
    let unauthorised = owner.api_get("/api/v1/user", "").await;
    let no_key = reqwest::get(format!("{}/api/v1/user", app.address)).await.expect("GET");
    let no_key_headers = no_key.headers().clone();
    let page = owner.get("/api-keys").await;
    assert_eq!(csrf.status, StatusCode::FORBIDDEN);
    assert_eq!(no_key.status(), StatusCode::UNAUTHORIZED);
    for (what, headers) in [
        ("CSRF 403", &csrf.headers),
        ("API 401", &unauthorised.headers),
        ("API no key", &no_key_headers),
        ("page", &page.headers),
    ] {
        for name in ["content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy"] {
            assert!(headers.get(name).is_some(), "{what} lacks {name}: {headers:?}");
        }
        assert_eq!(headers.get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"), "{what}");
    }
    let css = owner.get("/static/app.css").await;
    assert_eq!(css.headers.get("cache-control").and_then(|v| v.to_str().ok()), Some("public, max-age=3600"));
}

/// Pages that show a secret once are never stored by a cache.
async fn secrets_shown_once_are_not_stored(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let generated = owner.post_form("/api-keys", "/api-keys", &[("name", "deploy"), ("expires", "never")]).await;
    assert_eq!(generated.status, StatusCode::SEE_OTHER);
    let shown = owner.get("/api-keys").await;
    assert!(shown.text("#flash-secret").is_some_and(|k| k.starts_with("kh_")));
    assert_eq!(shown.headers.get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    let link = owner.invite(&ws, "new@example.com", "REGULAR").await;
    let invitation = app.client().get(&link).await;
    assert_eq!(invitation.headers.get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
}

crate::on_both_backends!(with local:
    only_plain_local_redirects_are_followed,
    numbers_past_any_row_or_instant_are_refused,
    refusals_carry_the_security_headers,
    secrets_shown_once_are_not_stored,
);

/// The SQLite database and its write-ahead files are readable by their owner only.
#[tokio::test]
async fn the_sqlite_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await;
    let _owner = app.setup_owner().await;
    let path = app.database_url.strip_prefix("sqlite://").expect("a SQLite URL").to_owned();
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{path}{suffix}");
        let mode = std::fs::metadata(&file).unwrap_or_else(|e| panic!("{file}: {e}")).permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{file} is {:o}", mode & 0o777);
    }
}

const METRICS_TOKEN: &str = "metrics-token-of-this-test";

/// `/metrics` is off without a token, and with one answers only to it.
#[tokio::test]
async fn metrics_answer_only_to_their_token() {
    let off = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await;
    assert_eq!(off.client().get("/metrics").await.status, StatusCode::NOT_FOUND, "off by default");
    let on = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |s| {
        s.metrics_token = Some(METRICS_TOKEN.parse().expect("token"));
    })
    .await;
    let http = reqwest::Client::new();
    let url = format!("{}/metrics", on.address);
    let plain = http.get(&url).send().await.expect("GET");
    assert_eq!(plain.status(), StatusCode::UNAUTHORIZED);
    assert!(plain.headers().get("www-authenticate").is_some());
    let wrong = http.get(&url).bearer_auth("metrics-token-of-another").send().await.expect("GET");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = http.get(&url).bearer_auth(METRICS_TOKEN).send().await.expect("GET");
    assert_eq!(right.status(), StatusCode::OK);
    assert!(right.text().await.expect("body").contains("keyhook_queue_depth"));
}

/// Links keyhook builds never take a request's `Host` or `X-Forwarded-Host`.
async fn links_ignore_a_hostile_host(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let members = format!("/workspaces/{ws}/settings/members");
    let token = owner.csrf(&members).await;
    let posted = owner
        .http
        .post(format!("{}/workspaces/{ws}/members/invite", owner.address))
        .header("host", "evil.example")
        .header("x-forwarded-host", "evil.example")
        .form(&[("csrf_token", token.as_str()), ("email", "new@example.com"), ("role", "REGULAR")])
        .send()
        .await
        .expect("POST");
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    let link = owner.get(&members).await.text("#flash-secret").expect("the link is shown");
    assert!(link.starts_with(&format!("{}/invitations/", app.address)), "{link}");
    let public = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |s| {
        s.public_url = Some("https://keyhook.example.com/".parse().expect("url"));
    })
    .await;
    let owner = public.setup_owner().await;
    let ws = owner.active_workspace().await;
    let members = format!("/workspaces/{ws}/settings/members");
    let answer = owner
        .post_form(
            &members,
            &format!("/workspaces/{ws}/members/invite"),
            &[("email", "n@example.com"), ("role", "REGULAR")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let link = owner.get(&members).await.text("#flash-secret").expect("the link is shown");
    assert!(link.starts_with("https://keyhook.example.com/invitations/"), "{link}");
}

crate::on_both_backends!(links_ignore_a_hostile_host);
