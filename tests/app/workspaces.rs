//! Several workspaces per user; the dropdown switches the active one and remembers it.

use reqwest::StatusCode;

use crate::helpers::{TestApp, OWNER_EMAIL, OWNER_PASSWORD};

async fn creating_and_switching_workspaces(app: TestApp) {
    let owner = app.setup_owner().await;
    let first = owner.active_workspace().await;
    let second = owner.create_workspace("Beta <Labs>").await;
    assert_ne!(first, second);
    assert_eq!(owner.active_workspace().await, second, "a new workspace becomes the active one");

    let page = owner.get("/preferences").await;
    let names: Vec<String> = page
        .html()
        .select(&scraper::Selector::parse("#workspace-select option").expect("selector"))
        .map(|o| o.text().collect())
        .collect();
    assert_eq!(names, vec!["Acme", "Beta <Labs>"]);
    assert!(page.body.contains("Beta &#60;Labs&#62;"), "escaped in the dropdown");

    // Switching from a workspace's screen lands on the same screen of the other one.
    let switched = owner
        .post_form(
            "/preferences",
            "/workspaces/switch",
            &[("workspace", &first), ("next", &format!("/workspaces/{second}/settings/members"))],
        )
        .await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    assert_eq!(switched.location(), format!("/workspaces/{first}/settings/members"));
    assert_eq!(owner.active_workspace().await, first);

    // Remembered for the user, not the session.
    let again = app.client();
    assert_eq!(again.login(OWNER_EMAIL, OWNER_PASSWORD).await.status, StatusCode::SEE_OTHER);
    assert_eq!(again.active_workspace().await, first);
}

async fn a_workspace_needs_a_valid_name(app: TestApp) {
    let owner = app.setup_owner().await;
    for (name, message) in [("", "Enter a name."), ("  ", "Enter a name."), (&"w".repeat(101)[..], "at most 100")] {
        let answer = owner.post_form("/workspaces/new", "/workspaces/new", &[("workspace_name", name)]).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(answer.field_error("workspace_name").unwrap_or_default().contains(message));
    }
    let page = owner.get("/preferences").await;
    assert_eq!(page.html().select(&scraper::Selector::parse("#workspace-select option").expect("s")).count(), 1);
}

async fn switching_to_a_foreign_or_malformed_workspace_is_not_found(app: TestApp) {
    let owner = app.setup_owner().await;
    for target in ["0123456789abcdef01234567", "not-an-id", "../../etc"] {
        let answer =
            owner.post_form("/preferences", "/workspaces/switch", &[("workspace", target), ("next", "/")]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{target}");
    }
}

async fn the_owner_renames_and_changes_the_plan(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let settings = format!("/workspaces/{ws}/settings");
    let page = owner.get(&settings).await;
    assert_eq!(page.text("nav.tabs a[aria-current=page]").as_deref(), Some("General"));

    let renamed =
        owner.post_form(&settings, &format!("{settings}/name"), &[("workspace_name", "Acme \"Quotes\"")]).await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER);
    let plan = owner.post_form(&settings, &format!("{settings}/plan"), &[("plan", "PRO")]).await;
    assert_eq!(plan.status, StatusCode::SEE_OTHER);
    let page = owner.get(&settings).await;
    assert_eq!(page.attr("#workspace_name", "value").as_deref(), Some("Acme \"Quotes\""));
    assert_eq!(page.attr("#plan option[selected]", "value").as_deref(), Some("PRO"));

    let bad = owner.post_form(&settings, &format!("{settings}/plan"), &[("plan", "GOLD")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.field_error("plan").is_some());
    let blank = owner.post_form(&settings, &format!("{settings}/name"), &[("workspace_name", " ")]).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blank.field_error("workspace_name").as_deref(), Some("Enter a name."));
}

crate::on_both_backends!(
    creating_and_switching_workspaces,
    a_workspace_needs_a_valid_name,
    switching_to_a_foreign_or_malformed_workspace_is_not_found,
    the_owner_renames_and_changes_the_plan,
);
