//! The Profile page: one's name, e-mail and password (the current one required), the list of
//! one's sessions with Sign out, and the operator's `keyhook user reset-password`.

use std::io::Write;
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::helpers::{Client, TestApp, OWNER_EMAIL, OWNER_PASSWORD};

const NEW_PASSWORD: &str = "a-brand-new-password";

async fn second_browser(app: &TestApp, email: &str, password: &str) -> Client {
    let client = app.client();
    let answer = client.login(email, password).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    client
}

fn session_rows(page: &crate::helpers::Answer) -> Vec<String> {
    page.html()
        .select(&scraper::Selector::parse("table.sessions tbody tr").expect("selector"))
        .map(|r| r.text().collect::<Vec<_>>().join(" "))
        .collect()
}

async fn a_password_change_needs_the_current_one_and_ends_other_sessions(app: TestApp) {
    let owner = app.setup_owner().await;
    let laptop = second_browser(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let page = owner.get("/profile").await;
    assert_eq!(page.status, StatusCode::OK);
    let rows = session_rows(&page);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows.iter().filter(|r| r.contains("This browser")).count(), 1);
    assert!(rows.iter().all(|r| r.contains("127.0.0.1")), "the address is listed: {rows:?}");

    let wrong = owner
        .post_form(
            "/profile",
            "/profile/password",
            &[("current_password", "not-my-password"), ("new_password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.field_error("current_password").as_deref(), Some("This is not your current password."));
    let short = owner
        .post_form("/profile", "/profile/password", &[("current_password", OWNER_PASSWORD), ("new_password", "short")])
        .await;
    assert!(short.field_error("new_password").unwrap_or_default().contains("at least 10"));
    assert_eq!(laptop.get("/preferences").await.status, StatusCode::OK, "nothing changed yet");

    let changed = owner
        .post_form(
            "/profile",
            "/profile/password",
            &[("current_password", OWNER_PASSWORD), ("new_password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let toast = owner.get("/profile").await.text("#toast").unwrap_or_default();
    assert!(toast.contains("other session was signed out"), "{toast}");
    assert_eq!(laptop.get("/preferences").await.location(), "/login", "the other session ended");
    assert_eq!(owner.get("/preferences").await.status, StatusCode::OK, "this one stays");
    assert_eq!(app.client().login(OWNER_EMAIL, OWNER_PASSWORD).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.client().login(OWNER_EMAIL, NEW_PASSWORD).await.status, StatusCode::SEE_OTHER);
}

async fn the_current_password_is_throttled_like_a_login(app: TestApp) {
    let owner = app.setup_owner().await;
    let mut statuses = Vec::new();
    for i in 0..6 {
        let guess = format!("guess-number-{i}");
        let answer = owner
            .post_form("/profile", "/profile/password", &[("current_password", &guess), ("new_password", NEW_PASSWORD)])
            .await;
        statuses.push(answer.status);
    }
    assert_eq!(statuses[..5], [StatusCode::UNPROCESSABLE_ENTITY; 5]);
    assert_eq!(statuses[5], StatusCode::TOO_MANY_REQUESTS);
    let locked = app.client().login(OWNER_EMAIL, OWNER_PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "the same throttle as /login");
}

async fn name_and_email_change_and_the_email_needs_the_password(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    app.add_member(&owner, &ws, "taken@example.com", "REGULAR").await;
    let renamed = owner.post_form("/profile", "/profile", &[("name", "Olivia O."), ("email", OWNER_EMAIL)]).await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER, "a name alone needs no password: {}", renamed.body);
    assert!(owner.get("/profile").await.body.contains("Olivia O."));

    let unchecked =
        owner.post_form("/profile", "/profile", &[("name", "Olivia"), ("email", "olivia@example.com")]).await;
    assert_eq!(unchecked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unchecked.field_error("current_password").is_some());
    let fields = [("name", "Olivia"), ("email", "taken@example.com"), ("current_password", OWNER_PASSWORD)];
    let taken = owner.post_form("/profile", "/profile", &fields).await;
    assert_eq!(taken.field_error("email").as_deref(), Some("An account with this email already exists."));
    let bad = owner.post_form("/profile", "/profile", &[("name", " "), ("email", "nope")]).await;
    assert!(bad.field_error("name").is_some() && bad.field_error("email").is_some());

    let fields = [("name", "Olivia"), ("email", "olivia@example.com"), ("current_password", OWNER_PASSWORD)];
    assert_eq!(owner.post_form("/profile", "/profile", &fields).await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.client().login("olivia@example.com", OWNER_PASSWORD).await.status, StatusCode::SEE_OTHER);
}

async fn sessions_are_signed_out_one_by_one_or_all_others(app: TestApp) {
    let owner = app.setup_owner().await;
    let laptop = second_browser(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let phone = second_browser(&app, OWNER_EMAIL, OWNER_PASSWORD).await;
    let page = phone.get("/profile").await;
    let laptop_row = page
        .html()
        .select(&scraper::Selector::parse("table.sessions tbody tr").expect("selector"))
        .find(|r| !r.text().collect::<String>().contains("This browser"))
        .and_then(|r| r.value().attr("id").map(str::to_owned))
        .expect("another session");
    let id = laptop_row.trim_start_matches("session-");
    let ended = phone.post_form("/profile", &format!("/profile/sessions/{id}/end"), &[]).await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER);
    let out =
        [laptop.get("/preferences").await.location().to_owned(), owner.get("/preferences").await.location().to_owned()];
    assert_eq!(out.iter().filter(|l| *l == "/login").count(), 1, "exactly the chosen one ended: {out:?}");
    let foreign = phone.post_form("/profile", "/profile/sessions/0123456789abcdef01234567/end", &[]).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);

    let all = phone.post_form("/profile", "/profile/sessions/end-others", &[]).await;
    assert_eq!(all.status, StatusCode::SEE_OTHER);
    assert_eq!(owner.get("/preferences").await.location(), "/login");
    assert_eq!(laptop.get("/preferences").await.location(), "/login");
    assert_eq!(phone.get("/preferences").await.status, StatusCode::OK);
    assert_eq!(session_rows(&phone.get("/profile").await).len(), 1);
}

/// The operator's way back for a locked-out Owner: a new password from standard input, and
/// every session of the account ended (within the verified-session cache's second).
async fn an_operator_resets_a_password(app: TestApp) {
    let owner = app.setup_owner().await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_keyhook"))
        .args(["user", "reset-password", "--email", OWNER_EMAIL])
        .env("KEYHOOK_DATABASE_URL", &app.database_url)
        .env("KEYHOOK_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("keyhook runs");
    child.stdin.take().expect("stdin").write_all(format!("{NEW_PASSWORD}\n").as_bytes()).expect("password");
    let output = child.wait_with_output().expect("it ends");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
    assert!(String::from_utf8_lossy(&output.stdout).contains("1 session(s) ended"));
    let ended = Instant::now();
    while owner.get("/preferences").await.status == StatusCode::OK {
        assert!(ended.elapsed() < Duration::from_secs(2), "the session outlived the reset");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.client().login(OWNER_EMAIL, NEW_PASSWORD).await.status, StatusCode::SEE_OTHER);
    let unknown = std::process::Command::new(env!("CARGO_BIN_EXE_keyhook"))
        .args(["user", "reset-password", "--email", "nobody@example.com"])
        .env("KEYHOOK_DATABASE_URL", &app.database_url)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("keyhook runs");
    assert!(!unknown.status.success(), "an empty password or an unknown address is refused");
}

crate::on_both_backends!(
    a_password_change_needs_the_current_one_and_ends_other_sessions,
    the_current_password_is_throttled_like_a_login,
    name_and_email_change_and_the_email_needs_the_password,
    sessions_are_signed_out_one_by_one_or_all_others,
    an_operator_resets_a_password,
);
