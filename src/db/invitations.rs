//! The `invitations` table: pending invitations, found by the SHA-256 of their link's token.

use diesel::prelude::*;

use super::schema::invitations;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = invitations)]
pub struct Invitation {
    pub id: i64,
    pub workspace_id: i64,
    pub email: String,
    pub role: String,
    pub token_hash: String,
    pub invited_by: i64,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = invitations)]
pub struct NewInvitation<'a> {
    pub workspace_id: i64,
    pub email: &'a str,
    pub role: &'a str,
    pub token_hash: &'a str,
    pub invited_by: i64,
    pub created_at: i64,
    pub expires_at: i64,
}

impl Invitation {
    /// Inserts the invitation, replacing an earlier one for the same address and workspace
    /// (inviting again is how a lost link is replaced).
    pub fn replace(conn: &mut DbConnection, new: &NewInvitation) -> QueryResult<Invitation> {
        diesel::delete(
            invitations::table
                .filter(invitations::workspace_id.eq(new.workspace_id))
                .filter(invitations::email.eq(new.email)),
        )
        .execute(conn)?;
        diesel::insert_into(invitations::table).values(new).returning(invitations::all_columns).get_result(conn)
    }

    pub fn find_by_token_hash(conn: &mut DbConnection, token_hash: &str) -> QueryResult<Option<Invitation>> {
        invitations::table
            .filter(invitations::token_hash.eq(token_hash))
            .select(Invitation::as_select())
            .first(conn)
            .optional()
    }

    pub fn pending_for(conn: &mut DbConnection, workspace_id: i64) -> QueryResult<Vec<Invitation>> {
        invitations::table
            .filter(invitations::workspace_id.eq(workspace_id))
            .order(invitations::created_at.desc())
            .select(Invitation::as_select())
            .load(conn)
    }

    /// Deletes the invitation if it belongs to the workspace; answers whether it did.
    pub fn delete_in(conn: &mut DbConnection, workspace_id: i64, id: i64) -> QueryResult<bool> {
        diesel::delete(
            invitations::table.filter(invitations::workspace_id.eq(workspace_id)).filter(invitations::id.eq(id)),
        )
        .execute(conn)
        .map(|n| n > 0)
    }
}
