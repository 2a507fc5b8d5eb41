//! The audit log: who changed which key, webhook or add-on, and when. One place writes its
//! rows, naming the real actor (a person, or the add-on whose token was used), so no change
//! can be recorded as someone else's.

use crate::db::audit_log::{AuditEntry, NewAuditEntry};
use crate::db::DbConnection;

use super::workspaces::WorkspaceAccess;
use super::ServiceResult;
use crate::clock::now_ms;

/// Records `action` on `target` in the caller's workspace; `subject` is the user whose thing
/// it was (a key's owner), if any.
pub fn in_workspace(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    subject: Option<i64>,
    action: &str,
    target: &str,
) -> ServiceResult<()> {
    AuditEntry::insert(
        conn,
        &NewAuditEntry {
            workspace_id: Some(access.workspace.id),
            actor_user_id: access.addon.is_none().then_some(access.user_id),
            actor_addon_id: access.addon,
            subject_user_id: subject,
            action,
            target,
            created_at: now_ms(),
        },
    )?;
    Ok(())
}

/// Records what a user did to their own key, outside any workspace (shown in each workspace
/// the user belongs to, as their Admins see their keys).
pub fn personal(conn: &mut DbConnection, user_id: i64, action: &str, target: &str) -> ServiceResult<()> {
    AuditEntry::insert(
        conn,
        &NewAuditEntry {
            workspace_id: None,
            actor_user_id: Some(user_id),
            actor_addon_id: None,
            subject_user_id: Some(user_id),
            action,
            target,
            created_at: now_ms(),
        },
    )?;
    Ok(())
}
