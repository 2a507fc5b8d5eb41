//! Every state-changing form and htmx request needs the session's CSRF token.

use reqwest::StatusCode;

use crate::helpers::TestApp;

async fn forged_or_missing_tokens_are_refused_and_change_nothing(app: TestApp) {
    let owner = app.setup_owner().await;
    let workspace = owner.active_workspace().await;
    let rename = format!("/workspaces/{workspace}/settings/name");

    let missing = owner.post_raw(&rename, &[("workspace_name", "Renamed")]).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert!(missing.body.contains("Request refused"));

    let forged = owner.post_raw(&rename, &[("csrf_token", "forged-token"), ("workspace_name", "Renamed")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // Another session's valid token is no good here either.
    let other = app.client();
    let foreign = other.csrf("/login").await;
    let stolen = owner.post_raw(&rename, &[("csrf_token", &foreign), ("workspace_name", "Renamed")]).await;
    assert_eq!(stolen.status, StatusCode::FORBIDDEN);

    let settings = owner.get(&format!("/workspaces/{workspace}/settings")).await;
    assert_eq!(settings.attr("#workspace_name", "value").as_deref(), Some("Acme"), "nothing changed");

    // A login form without a token is refused too.
    let login = app.client().post_raw("/login", &[("email", "x@example.com"), ("password", "whatever-123")]).await;
    assert_eq!(login.status, StatusCode::FORBIDDEN);
}

async fn the_htmx_header_carries_the_token(app: TestApp) {
    let owner = app.setup_owner().await;
    let workspace = owner.active_workspace().await;
    let settings = owner.get(&format!("/workspaces/{workspace}/settings")).await;
    let hx_headers = settings.attr(".shell", "hx-headers").expect("hx-headers on the page wrapper");
    let token = settings.attr("input[name=csrf_token]", "value").expect("token");
    assert!(hx_headers.contains(&token), "{hx_headers}");

    let response = owner
        .http
        .post(format!("{}/workspaces/{workspace}/settings/name", owner.address))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &token)
        .form(&[("workspace_name", "Renamed by htmx")])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let after = owner.get(&format!("/workspaces/{workspace}/settings")).await;
    assert_eq!(after.attr("#workspace_name", "value").as_deref(), Some("Renamed by htmx"));
}

crate::on_both_backends!(forged_or_missing_tokens_are_refused_and_change_nothing, the_htmx_header_carries_the_token);
