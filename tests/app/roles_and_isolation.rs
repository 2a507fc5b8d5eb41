//! Role rules and workspace isolation: a member below Admin gets 403 on settings; anything
//! outside the user's workspaces is 404.

use reqwest::StatusCode;

use crate::helpers::TestApp;

async fn a_regular_member_cannot_reach_settings(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    for role in ["REGULAR", "MANAGER"] {
        let email = format!("{}@example.com", role.to_lowercase());
        let member = app.add_member(&owner, &ws, &email, role).await;
        assert_eq!(member.active_workspace().await, ws);
        let home = member.get("/preferences").await;
        assert!(home.text("a[href$='/settings']").is_none(), "{role} sees no settings link");
        for path in [format!("/workspaces/{ws}/settings"), format!("/workspaces/{ws}/settings/members")] {
            assert_eq!(member.get(&path).await.status, StatusCode::FORBIDDEN, "{role} {path}");
        }
        let rename = member
            .post_form("/preferences", &format!("/workspaces/{ws}/settings/name"), &[("workspace_name", "Hijacked")])
            .await;
        assert_eq!(rename.status, StatusCode::FORBIDDEN);
        let invite = member
            .post_form(
                "/preferences",
                &format!("/workspaces/{ws}/members/invite"),
                &[("email", "x@example.com"), ("role", "ADMIN")],
            )
            .await;
        assert_eq!(invite.status, StatusCode::FORBIDDEN);
    }
    let settings = owner.get(&format!("/workspaces/{ws}/settings")).await;
    assert_eq!(settings.attr("#workspace_name", "value").as_deref(), Some("Acme"));
}

async fn an_admin_manages_members_but_not_the_plan(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let admin = app.add_member(&owner, &ws, "admin@example.com", "ADMIN").await;
    let settings = format!("/workspaces/{ws}/settings");
    let page = admin.get(&settings).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.attr("#plan", "name").is_none(), "no plan form for an Admin");
    let plan = admin.post_form(&settings, &format!("{settings}/plan"), &[("plan", "ENTERPRISE")]).await;
    assert_eq!(plan.status, StatusCode::FORBIDDEN);
    let renamed = admin.post_form(&settings, &format!("{settings}/name"), &[("workspace_name", "By admin")]).await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER);
    let _member = admin.invite(&ws, "new@example.com", "REGULAR").await;
}

async fn another_workspace_is_not_found(app: TestApp) {
    let owner = app.setup_owner().await;
    let acme = owner.active_workspace().await;
    // Bob joins Acme, then makes a workspace of his own that Olivia is not in.
    let bob = app.add_member(&owner, &acme, "bob@example.com", "REGULAR").await;
    let bobs = bob.create_workspace("Bob's").await;
    assert_eq!(bob.get(&format!("/workspaces/{bobs}/settings")).await.status, StatusCode::OK);

    for path in [
        format!("/workspaces/{bobs}/settings"),
        format!("/workspaces/{bobs}/settings/members"),
        "/workspaces/ffffffffffffffffffffffff/settings".to_owned(),
        "/workspaces/not-an-id/settings".to_owned(),
    ] {
        let answer = owner.get(&path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(answer.body.contains("Page not found"));
    }
    let posts = [
        (format!("/workspaces/{bobs}/settings/name"), vec![("workspace_name", "Stolen")]),
        (format!("/workspaces/{bobs}/settings/plan"), vec![("plan", "FREE")]),
        (format!("/workspaces/{bobs}/members/invite"), vec![("email", "spy@example.com"), ("role", "ADMIN")]),
    ];
    for (action, fields) in posts {
        assert_eq!(owner.post_form("/preferences", &action, &fields).await.status, StatusCode::NOT_FOUND, "{action}");
    }
    // Nor can Olivia reach Bob's workspace through a member id of hers.
    let olivia_members = owner.get(&format!("/workspaces/{acme}/settings/members")).await;
    let bob_id = olivia_members
        .attr("select[id^=role-]", "id")
        .and_then(|id| id.strip_prefix("role-").map(str::to_owned))
        .expect("Bob's row");
    let remove = owner.post_form("/preferences", &format!("/workspaces/{bobs}/members/{bob_id}/remove"), &[]).await;
    assert_eq!(remove.status, StatusCode::NOT_FOUND);
    let bobs_page = bob.get(&format!("/workspaces/{bobs}/settings")).await;
    assert_eq!(bobs_page.attr("#workspace_name", "value").as_deref(), Some("Bob's"));
}

crate::on_both_backends!(
    a_regular_member_cannot_reach_settings,
    an_admin_manages_members_but_not_the_plan,
    another_workspace_is_not_found,
);
