//! The frame around every answer: security headers, error pages, static files, the CLI.

use std::io::Write;
use std::process::{Command, Stdio};

use reqwest::StatusCode;

use crate::helpers::{spawn_app_with, Backend, TestApp};

async fn every_answer_carries_the_security_headers(app: TestApp) {
    let visitor = app.client();
    for path in ["/setup", "/nothing-here", "/static/app.css"] {
        let answer = visitor.get(path).await;
        let csp = answer.headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(answer.headers.get("x-frame-options").map(|v| v.as_bytes()), Some(&b"DENY"[..]), "{path}");
        assert!(answer.headers.contains_key("referrer-policy"), "{path}");
    }
    let page = visitor.get("/setup").await;
    assert!(!page.body.contains("<script>"), "no inline script");
    assert!(!page.body.contains("style="), "no inline style");
}

async fn unknown_paths_answer_404_pages_and_api_json(app: TestApp) {
    let visitor = app.client();
    let page = visitor.get("/no/such/page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert_eq!(page.text("h1").as_deref(), Some("Page not found"));
    let api = visitor.get("/api/v1/nothing").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert!(api
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .starts_with("application/json"));
    let json: serde_json::Value = serde_json::from_str(&api.body).expect("JSON");
    assert_eq!(json["code"], 3000);
    assert!(json["message"].as_str().unwrap_or("").contains("v1/nothing"));
    assert_eq!(visitor.get("/static/htmx-2.0.11.min.js").await.status, StatusCode::OK);
    assert_eq!(visitor.get("/static/../Cargo.toml").await.status, StatusCode::NOT_FOUND);
}

async fn a_malformed_form_is_a_clear_400(app: TestApp) {
    let owner = app.setup_owner().await;
    let token = owner.csrf("/preferences").await;
    let response = owner
        .http
        .post(format!("{}/preferences", owner.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("X-CSRF-Token", token)
        .body("time_zone=%ZZ&&=")
        .send()
        .await
        .expect("POST");
    assert!(response.status().is_client_error(), "{}", response.status());
}

crate::on_both_backends!(
    every_answer_carries_the_security_headers,
    unknown_paths_answer_404_pages_and_api_json,
    a_malformed_form_is_a_clear_400,
);

/// `keyhook user create` reads the password from stdin; the account then signs in.
#[tokio::test]
async fn the_cli_creates_a_user_who_can_sign_in() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());
    let keys = dir.path().join("cli.keys");
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_keyhook"))
            .args(args)
            .env("KEYHOOK_DATABASE_URL", &url)
            .env("KEYHOOK_KEY_FILE", &keys)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("keyhook runs");
        child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write");
        child.wait_with_output().expect("finishes")
    };
    assert!(run(&["migrate"], "").status.success());
    let short = run(&["user", "create", "--email", "cli@example.com", "--name", "Cli"], "short\n");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10"));
    let made = run(
        &["user", "create", "--email", "cli@example.com", "--name", "Cli", "--workspace", "Scripted"],
        "cli-password-1\n",
    );
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    assert!(String::from_utf8_lossy(&made.stdout).contains("created workspace Scripted"));
    let twice = run(&["user", "create", "--email", "CLI@example.com", "--name", "Cli"], "cli-password-1\n");
    assert!(!twice.status.success(), "one account per address");

    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.database_url = url.clone();
        s.key_file = Some(keys.clone());
    })
    .await;
    let user = app.client();
    assert_eq!(user.login("cli@example.com", "cli-password-1").await.status, StatusCode::SEE_OTHER);
    let page = user.get("/preferences").await;
    assert_eq!(page.text("#workspace-select option[selected]").as_deref(), Some("Scripted"));

    let help = Command::new(env!("CARGO_BIN_EXE_keyhook")).arg("--help").output().expect("help");
    let help = String::from_utf8_lossy(&help.stdout);
    for setting in [
        "KEYHOOK_DATABASE_URL",
        "KEYHOOK_BIND",
        "KEYHOOK_SESSION_KEY",
        "KEYHOOK_ENCRYPTION_KEY",
        "KEYHOOK_KEY_FILE",
        "KEYHOOK_SECURE_COOKIES",
        "KEYHOOK_LOG_FORMAT",
    ] {
        assert!(help.contains(setting), "--help lists {setting}");
    }
}
