//! Sign-in, sign-out, session cookies and throttling.

use reqwest::StatusCode;

use crate::helpers::{spawn_app_with, spawn_postgres_app, Backend, TestApp, OWNER_EMAIL, OWNER_PASSWORD};

fn session_cookie(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("keyhook_session="))
        .map(str::to_owned)
}

async fn login_and_logout(app: TestApp) {
    let owner = app.setup_owner().await;
    let logout = owner.post_form("/preferences", "/logout", &[]).await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER);
    assert_eq!(logout.location(), "/login");
    assert_eq!(owner.get("/preferences").await.location(), "/login", "signed out");

    let page = owner.get("/login").await;
    assert_eq!(page.text("button[type=submit]").as_deref(), Some("Log in"));
    let before = session_cookie(&page.headers);

    let wrong = owner.login(OWNER_EMAIL, "not-the-password").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.text("#login-error").as_deref(), Some("Email or password is incorrect."));
    assert_eq!(wrong.attr("#email", "value").as_deref(), Some(OWNER_EMAIL), "the address is kept");

    let unknown = owner.login("nobody@example.com", OWNER_PASSWORD).await;
    assert_eq!(unknown.text("#login-error"), wrong.text("#login-error"), "no hint that an account exists");

    let right = owner.login(&OWNER_EMAIL.to_uppercase(), OWNER_PASSWORD).await;
    assert_eq!(right.status, StatusCode::SEE_OTHER);
    let cookie = session_cookie(&right.headers).expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain-http default: {cookie}");
    assert_ne!(before.as_deref(), Some(cookie.as_str()), "a new session at login");
    let browsing = owner.get("/preferences").await;
    assert_eq!(browsing.status, StatusCode::OK);
    assert_eq!(session_cookie(&browsing.headers), None, "reading a page does not rewrite the session");
}

async fn logout_needs_its_token(app: TestApp) {
    let owner = app.setup_owner().await;
    let forged = owner.post_raw("/logout", &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(owner.get("/preferences").await.status, StatusCode::OK, "still signed in");
}

async fn an_account_is_locked_after_five_failures(app: TestApp) {
    let _owner = app.setup_owner().await;
    let attacker = app.client();
    for _ in 0..5 {
        assert_eq!(attacker.login(OWNER_EMAIL, "wrong-password").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let locked = attacker.login(OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "the right password is not even checked");
    let message = locked.text("#login-error").unwrap_or_default();
    assert!(message.contains("Too many failed attempts") && message.contains("5 minutes"), "{message}");
    assert_eq!(attacker.get("/preferences").await.location(), "/login");
}

async fn an_address_spraying_accounts_is_locked(app: TestApp) {
    let _owner = app.setup_owner().await;
    let sprayer = app.client();
    for i in 0..5 {
        let email = format!("guess{i}@example.com");
        assert_eq!(sprayer.login(&email, "wrong-password").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Same client address (127.0.0.1), an account that had no failures of its own.
    let locked = app.client().login(OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
}

async fn a_lockout_ends(app: TestApp) {
    let _owner = app.setup_owner().await;
    let user = app.client();
    for _ in 0..5 {
        user.login(OWNER_EMAIL, "wrong-password").await;
    }
    assert_eq!(user.login(OWNER_EMAIL, OWNER_PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(user.login(OWNER_EMAIL, OWNER_PASSWORD).await.status, StatusCode::SEE_OTHER);
}

crate::on_both_backends!(login_and_logout, logout_needs_its_token, an_account_is_locked_after_five_failures);

mod lockouts {
    use super::*;

    fn per_address(settings: &mut keyhook::config::Settings) {
        settings.login_max_failures = 100;
    }

    fn short(settings: &mut keyhook::config::Settings) {
        settings.login_lockout_secs = 1;
    }

    #[tokio::test]
    async fn address_sqlite() {
        an_address_spraying_accounts_is_locked(spawn_app_with(Backend::Sqlite, per_address).await).await
    }

    #[tokio::test]
    async fn address_postgres() {
        if let Some(app) = spawn_postgres_app(per_address).await {
            an_address_spraying_accounts_is_locked(app).await
        }
    }

    #[tokio::test]
    async fn cookies_are_secure_when_configured() {
        let app = spawn_app_with(Backend::Sqlite, |s| s.secure_cookies = true).await;
        let cookie = session_cookie(&app.client().get("/setup").await.headers).expect("a session cookie");
        assert!(cookie.contains("Secure") && cookie.contains("HttpOnly"), "{cookie}");
    }

    #[tokio::test]
    async fn expiry_sqlite() {
        a_lockout_ends(spawn_app_with(Backend::Sqlite, short).await).await
    }
}
