//! A fresh install leads every page to /setup; setup creates the Owner once.

use reqwest::StatusCode;

use crate::helpers::{TestApp, OWNER_EMAIL};

async fn every_page_leads_to_setup_until_an_owner_exists(app: TestApp) {
    let visitor = app.client();
    for path in ["/", "/preferences", "/login", "/workspaces/new"] {
        let answer = visitor.get(path).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(answer.location(), "/setup", "{path}");
    }
    let setup = visitor.get("/setup").await;
    assert_eq!(setup.status, StatusCode::OK);
    for label in ["Name", "Email", "Password", "Workspace name"] {
        assert!(setup.body.contains(&format!(">{label}</label>")), "label {label}");
    }
    assert_eq!(setup.text("button[type=submit]").as_deref(), Some("Create account"));

    let owner = app.setup_owner().await;
    let home = owner.get("/preferences").await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(home.text(".user-name").as_deref(), Some("Olivia Owner"));
    assert_eq!(home.text("#workspace-select option[selected]").as_deref(), Some("Acme"));

    // Once set up, the pages lead to /login instead.
    assert_eq!(app.client().get("/preferences").await.location(), "/login");
    assert_eq!(app.client().get("/setup").await.location(), "/login");
}

async fn a_second_setup_is_refused(app: TestApp) {
    let _owner = app.setup_owner().await;
    let intruder = app.client();
    let token = intruder.csrf("/login").await;
    let answer = intruder
        .post_raw(
            "/setup",
            &[
                ("csrf_token", &token),
                ("name", "Mallory"),
                ("email", "mallory@example.com"),
                ("password", "mallory-password"),
                ("workspace_name", "Takeover"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.body.contains("already set up"));
    assert_eq!(
        intruder.login("mallory@example.com", "mallory-password").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

/// The field that should show an error, the four fields sent, and words of the message.
type Case<'a> = (&'a str, [(&'a str, &'a str); 4], &'a str);

async fn bad_setup_input_is_shown_next_to_each_field_and_nothing_is_stored(app: TestApp) {
    let visitor = app.client();
    let long_name = "n".repeat(101);
    let long_email = format!("{}@example.com", "e".repeat(243));
    let cases: [Case; 7] = [
        (
            "name",
            [("name", ""), ("email", OWNER_EMAIL), ("password", "long-enough-1"), ("workspace_name", "W")],
            "Enter a name.",
        ),
        (
            "name",
            [("name", "   "), ("email", OWNER_EMAIL), ("password", "long-enough-1"), ("workspace_name", "W")],
            "Enter a name.",
        ),
        (
            "name",
            [("name", &long_name), ("email", OWNER_EMAIL), ("password", "long-enough-1"), ("workspace_name", "W")],
            "at most 100",
        ),
        (
            "email",
            [("name", "A"), ("email", "not-an-email"), ("password", "long-enough-1"), ("workspace_name", "W")],
            "valid email",
        ),
        (
            "email",
            [("name", "A"), ("email", &long_email), ("password", "long-enough-1"), ("workspace_name", "W")],
            "at most 254",
        ),
        (
            "password",
            [("name", "A"), ("email", OWNER_EMAIL), ("password", "short"), ("workspace_name", "W")],
            "at least 10",
        ),
        (
            "workspace_name",
            [("name", "A"), ("email", OWNER_EMAIL), ("password", "long-enough-1"), ("workspace_name", " ")],
            "Enter a name.",
        ),
    ];
    for (field, fields, message) in cases {
        let answer = visitor.post_form("/setup", "/setup", &fields).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {}", answer.body);
        let shown = answer.field_error(field).unwrap_or_default();
        assert!(shown.contains(message), "{field}: {shown:?}");
        assert_eq!(answer.attr(&format!("#{field}"), "aria-invalid").as_deref(), Some("true"));
    }
    // Nothing was stored: setup is still open.
    assert_eq!(visitor.get("/setup").await.status, StatusCode::OK);

    // Markup in text fields is kept as text and shown escaped.
    let answer = visitor
        .post_form(
            "/setup",
            "/setup",
            &[("name", "<script>alert('x')</script>\""), ("email", "bad"), ("password", "x"), ("workspace_name", "W")],
        )
        .await;
    assert!(!answer.body.contains("<script>alert"), "markup echoed unescaped");
    assert_eq!(answer.attr("#name", "value").as_deref(), Some("<script>alert('x')</script>\""));
}

crate::on_both_backends!(
    every_page_leads_to_setup_until_an_owner_exists,
    a_second_setup_is_refused,
    bad_setup_input_is_shown_next_to_each_field_and_nothing_is_stored,
);
