//! Invitations, roles, removal and ownership on the Members tab.

use reqwest::StatusCode;

use keyhook::db::users::User;
use scraper::Selector;

use crate::helpers::{Answer, TestApp, OWNER_EMAIL};

/// The public id of the member whose row shows `email`, from their role selector.
fn member_id(page: &Answer, email: &str) -> String {
    let html = page.html();
    let rows = Selector::parse("tbody tr").expect("selector");
    let role = Selector::parse("select[id^=role-]").expect("selector");
    html.select(&rows)
        .filter(|row| row.text().any(|t| t.contains(email)))
        .find_map(|row| row.select(&role).next()?.value().attr("id")?.strip_prefix("role-").map(str::to_owned))
        .unwrap_or_else(|| panic!("no row with a role selector for {email}"))
}

/// A user's public id, read from the database (the Owner's row has no role selector).
async fn user_id(app: &TestApp, email: &'static str) -> String {
    app.db()
        .read(move |conn| User::find_by_email(conn, email).map_err(anyhow::Error::from))
        .await
        .expect("query")
        .expect("the user exists")
        .public_id
}

async fn an_invitation_is_shown_once_and_joins_the_workspace(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let members = format!("/workspaces/{ws}/settings/members");
    let link = owner.invite(&ws, "Nina@Example.com", "ADMIN").await;
    let again = owner.get(&members).await;
    assert!(again.text("#flash-secret").is_none(), "the link is shown only once");
    assert!(again.body.contains("nina@example.com"), "listed as pending");

    let invitee = app.client();
    let page = invitee.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Join Acme"));
    let short = invitee.post_form(&link, &link, &[("name", "Nina"), ("password", "short")]).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.field_error("password").unwrap_or_default().contains("at least 10"));
    let blank = invitee.post_form(&link, &link, &[("name", " "), ("password", "nina-password-1")]).await;
    assert_eq!(blank.field_error("name").as_deref(), Some("Enter a name."));

    let joined = invitee.post_form(&link, &link, &[("name", "Nina"), ("password", "nina-password-1")]).await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER);
    assert_eq!(invitee.active_workspace().await, ws);
    assert_eq!(invitee.get(&format!("/workspaces/{ws}/settings")).await.status, StatusCode::OK, "joined as Admin");

    assert_eq!(app.client().get(&link).await.status, StatusCode::NOT_FOUND, "a link works once");
    assert_eq!(app.client().get("/invitations/made-up-token").await.status, StatusCode::NOT_FOUND);
    let page = owner.get(&members).await;
    assert!(page.body.contains("Nina"));
    assert!(!page.body.contains("Pending invitations"));
}

async fn bad_invitations_are_refused_next_to_the_field(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let members = format!("/workspaces/{ws}/settings/members");
    let invite = format!("/workspaces/{ws}/members/invite");
    let long = format!("{}@example.com", "x".repeat(250));
    for (email, role, field) in [
        ("not-an-email", "REGULAR", "email"),
        (long.as_str(), "REGULAR", "email"),
        ("ok@example.com", "OWNER", "role"),
        ("ok@example.com", "KING", "role"),
        (OWNER_EMAIL, "ADMIN", "email"),
    ] {
        let answer = owner.post_form(&members, &invite, &[("email", email), ("role", role)]).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{email} {role}");
        assert!(answer.field_error(field).is_some(), "{email} {role}: {}", answer.body);
    }
    assert!(!owner.get(&members).await.body.contains("Pending invitations"), "nothing stored");
}

async fn roles_change_and_the_owner_is_protected(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let members = format!("/workspaces/{ws}/settings/members");
    let admin = app.add_member(&owner, &ws, "admin@example.com", "ADMIN").await;
    let _reg = app.add_member(&owner, &ws, "reg@example.com", "REGULAR").await;
    let page = owner.get(&members).await;
    let reg_id = member_id(&page, "reg@example.com");

    let promoted =
        owner.post_form(&members, &format!("/workspaces/{ws}/members/{reg_id}/role"), &[("role", "MANAGER")]).await;
    assert_eq!(promoted.status, StatusCode::SEE_OTHER);
    let page = owner.get(&members).await;
    assert_eq!(page.attr(&format!("#role-{reg_id} option[selected]"), "value").as_deref(), Some("MANAGER"));
    let to_owner =
        owner.post_form(&members, &format!("/workspaces/{ws}/members/{reg_id}/role"), &[("role", "OWNER")]).await;
    assert_eq!(to_owner.status, StatusCode::BAD_REQUEST);

    // An Admin cannot remove or demote the Owner.
    let olivia_id = user_id(&app, OWNER_EMAIL).await;
    let remove_owner = admin.post_form(&members, &format!("/workspaces/{ws}/members/{olivia_id}/remove"), &[]).await;
    assert_eq!(remove_owner.status, StatusCode::FORBIDDEN);
    let demote_owner =
        admin.post_form(&members, &format!("/workspaces/{ws}/members/{olivia_id}/role"), &[("role", "REGULAR")]).await;
    assert_eq!(demote_owner.status, StatusCode::FORBIDDEN);
    // Only the Owner may transfer ownership.
    let grab = admin.post_form(&members, &format!("/workspaces/{ws}/members/{reg_id}/transfer"), &[]).await;
    assert_eq!(grab.status, StatusCode::FORBIDDEN);

    // Removing a member takes their access at once.
    let removed = owner.post_form(&members, &format!("/workspaces/{ws}/members/{reg_id}/remove"), &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert!(!owner.get(&members).await.body.contains("reg@example.com"));

    // An Admin who leaves stays signed in in the browser that left (their others end).
    let admin_id = member_id(&owner.get(&members).await, "admin@example.com");
    admin.create_workspace("Admin's own").await;
    let left = admin.post_form("/preferences", &format!("/workspaces/{ws}/members/{admin_id}/remove"), &[]).await;
    assert_eq!(left.location(), "/preferences");
    assert_eq!(admin.get("/preferences").await.status, StatusCode::OK, "the browser that left stays signed in");
    assert_eq!(admin.get(&members).await.status, StatusCode::NOT_FOUND, "and out of the workspace");
}

async fn ownership_moves_by_transfer(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let members = format!("/workspaces/{ws}/settings/members");
    let heir = app.add_member(&owner, &ws, "heir@example.com", "REGULAR").await;
    let heir_id = member_id(&owner.get(&members).await, "heir@example.com");
    let moved = owner.post_form(&members, &format!("/workspaces/{ws}/members/{heir_id}/transfer"), &[]).await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER);
    let settings = format!("/workspaces/{ws}/settings");
    assert!(heir.get(&settings).await.attr("#plan", "name").is_some(), "the heir now owns the plan");
    let former = owner.get(&settings).await;
    assert_eq!(former.status, StatusCode::OK, "the former Owner is an Admin");
    assert!(former.attr("#plan", "name").is_none());
}

crate::on_both_backends!(
    an_invitation_is_shown_once_and_joins_the_workspace,
    bad_invitations_are_refused_next_to_the_field,
    roles_change_and_the_owner_is_protected,
    ownership_moves_by_transfer,
);
