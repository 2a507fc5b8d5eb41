//! The `audit_log` table: who changed which key or webhook, and when. No secrets.

use diesel::prelude::*;

use super::schema::{audit_log, memberships};
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: i64,
    pub workspace_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub subject_user_id: Option<i64>,
    pub action: String,
    pub target: String,
    pub created_at: i64,
    pub actor_addon_id: Option<i64>,
}

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAuditEntry<'a> {
    pub workspace_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub actor_addon_id: Option<i64>,
    pub subject_user_id: Option<i64>,
    pub action: &'a str,
    pub target: &'a str,
    pub created_at: i64,
}

impl AuditEntry {
    pub fn insert(conn: &mut DbConnection, new: &NewAuditEntry) -> QueryResult<()> {
        diesel::insert_into(audit_log::table).values(new).execute(conn).map(drop)
    }

    /// What a workspace's Accounts tab shows: entries recorded in the workspace, and what its
    /// current members did to their own keys (recorded in no workspace); newest first. What
    /// happened in another workspace stays there.
    pub fn for_workspace(conn: &mut DbConnection, workspace_id: i64, limit: i64) -> QueryResult<Vec<AuditEntry>> {
        let members = memberships::table
            .filter(memberships::workspace_id.eq(workspace_id))
            .select(memberships::user_id.nullable());
        audit_log::table
            .filter(
                audit_log::workspace_id
                    .eq(workspace_id)
                    .or(audit_log::workspace_id.is_null().and(audit_log::subject_user_id.eq_any(members))),
            )
            .order((audit_log::created_at.desc(), audit_log::id.desc()))
            .limit(limit)
            .select(AuditEntry::as_select())
            .load(conn)
    }
}
