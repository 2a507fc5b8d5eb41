//! Member changes append their events to the outbox in the same transaction.

use diesel::prelude::*;
use keyhook::db::schema::{events, workspaces};

use crate::helpers::TestApp;

async fn member_changes_write_events(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let _member = app.add_member(&owner, &ws, "eve@example.com", "REGULAR").await;
    let members = format!("/workspaces/{ws}/settings/members");
    let page = owner.get(&members).await;
    let eve = page.attr("select[id^=role-]", "id").expect("Eve's row").trim_start_matches("role-").to_owned();
    owner.post_form(&members, &format!("/workspaces/{ws}/members/{eve}/role"), &[("role", "MANAGER")]).await;
    owner.post_form(&members, &format!("/workspaces/{ws}/members/{eve}/remove"), &[]).await;
    // A refused change writes nothing.
    owner
        .post_form(&members, &format!("/workspaces/{ws}/members/invite"), &[("email", "bad"), ("role", "ADMIN")])
        .await;

    let ws_id = ws.clone();
    let rows: Vec<(String, String)> = app
        .db()
        .read(move |conn| {
            events::table
                .inner_join(workspaces::table)
                .filter(workspaces::public_id.eq(&ws_id))
                .order(events::id.asc())
                .select((events::event_type, events::payload))
                .load(conn)
                .map_err(anyhow::Error::from)
        })
        .await
        .expect("events");
    let types: Vec<&str> = rows.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        types,
        ["USERS_INVITED_TO_WORKSPACE", "USER_JOINED_WORKSPACE", "USER_UPDATED", "USER_DELETED_FROM_WORKSPACE"]
    );
    let joined: serde_json::Value = serde_json::from_str(&rows[1].1).expect("JSON payload");
    assert_eq!(joined["email"], "eve@example.com");
    assert_eq!(joined["memberships"][0]["targetId"], ws.as_str());
    let updated: serde_json::Value = serde_json::from_str(&rows[2].1).expect("JSON payload");
    assert_eq!(updated["memberships"][0]["role"], "MANAGER");
}

async fn payloads_over_256_kib_are_refused_at_the_source(app: TestApp) {
    let owner = app.setup_owner().await;
    let ws = owner.active_workspace().await;
    let db = app.db();
    let public = ws.clone();
    let outcome = db
        .write(move |conn| {
            let id: i64 =
                workspaces::table.filter(workspaces::public_id.eq(&public)).select(workspaces::id).first(conn)?;
            let big = serde_json::json!({ "note": "x".repeat(256 * 1024) });
            let refused = keyhook::services::events::emit(conn, id, keyhook::domain::EventType::NewTag, &big);
            let small = serde_json::json!({ "note": "fine" });
            let kept = keyhook::services::events::emit(conn, id, keyhook::domain::EventType::NewTag, &small);
            Ok::<_, keyhook::services::ServiceError>((refused.err().map(|e| e.to_string()), kept.is_ok()))
        })
        .await
        .expect("transaction");
    assert!(outcome.0.is_some_and(|m| m.contains("256 KiB")), "the big payload is refused with a clear message");
    assert!(outcome.1, "a normal payload is accepted");
}

crate::on_both_backends!(member_changes_write_events, payloads_over_256_kib_are_refused_at_the_source);
