//! The `api_key_revocations` table: a member's key that an Admin revoked for one workspace.
//! The key keeps working in its user's other workspaces.

use diesel::prelude::*;

use super::schema::api_key_revocations;
use super::DbConnection;

#[derive(Insertable)]
#[diesel(table_name = api_key_revocations)]
pub struct NewRevocation {
    pub api_key_id: i64,
    pub workspace_id: i64,
    pub revoked_by: Option<i64>,
    pub revoked_at: i64,
}

pub struct Revocation;

impl Revocation {
    /// Records the revocation; answers false if the key was already revoked there.
    pub fn insert(conn: &mut DbConnection, new: &NewRevocation) -> QueryResult<bool> {
        if Self::workspaces_of(conn, new.api_key_id)?.contains(&new.workspace_id) {
            return Ok(false);
        }
        diesel::insert_into(api_key_revocations::table).values(new).execute(conn).map(|n| n > 0)
    }

    /// The workspaces the key was revoked for.
    pub fn workspaces_of(conn: &mut DbConnection, api_key_id: i64) -> QueryResult<Vec<i64>> {
        api_key_revocations::table
            .filter(api_key_revocations::api_key_id.eq(api_key_id))
            .select(api_key_revocations::workspace_id)
            .load(conn)
    }

    /// Which of these keys were revoked for the workspace.
    pub fn among(conn: &mut DbConnection, workspace_id: i64, key_ids: &[i64]) -> QueryResult<Vec<i64>> {
        api_key_revocations::table
            .filter(api_key_revocations::workspace_id.eq(workspace_id))
            .filter(api_key_revocations::api_key_id.eq_any(key_ids))
            .select(api_key_revocations::api_key_id)
            .load(conn)
    }
}
