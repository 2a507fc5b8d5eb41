//! The `memberships` table: who belongs to which workspace, with which role.

use diesel::prelude::*;

use super::schema::{memberships, users, workspaces};
use super::users::User;
use super::workspaces::Workspace;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = memberships)]
pub struct Membership {
    pub id: i64,
    pub workspace_id: i64,
    pub user_id: i64,
    pub role: String,
    pub status: String,
    pub created_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = memberships)]
pub struct NewMembership<'a> {
    pub workspace_id: i64,
    pub user_id: i64,
    pub role: &'a str,
    pub status: &'a str,
    pub created_at: i64,
}

/// The status of a deactivated member: kept in the workspace's member list, but without access.
pub const INACTIVE: &str = "INACTIVE";

impl Membership {
    pub fn set_status(conn: &mut DbConnection, id: i64, status: &str) -> QueryResult<()> {
        diesel::update(memberships::table.find(id)).set(memberships::status.eq(status)).execute(conn).map(drop)
    }

    pub fn is_active(&self) -> bool {
        self.status != INACTIVE
    }

    pub fn insert(conn: &mut DbConnection, new: &NewMembership) -> QueryResult<Membership> {
        diesel::insert_into(memberships::table).values(new).returning(memberships::all_columns).get_result(conn)
    }

    /// The user's membership of the workspace, if any.
    pub fn find(conn: &mut DbConnection, workspace_id: i64, user_id: i64) -> QueryResult<Option<Membership>> {
        memberships::table
            .filter(memberships::workspace_id.eq(workspace_id))
            .filter(memberships::user_id.eq(user_id))
            .select(Membership::as_select())
            .first(conn)
            .optional()
    }

    /// The workspace with this public id and the user's membership of it, in one query.
    pub fn of_user_in(
        conn: &mut DbConnection,
        public_id: &str,
        user_id: i64,
    ) -> QueryResult<Option<(Membership, Workspace)>> {
        memberships::table
            .inner_join(workspaces::table)
            .filter(workspaces::public_id.eq(public_id))
            .filter(memberships::user_id.eq(user_id))
            .select((Membership::as_select(), Workspace::as_select()))
            .first(conn)
            .optional()
    }

    /// Every workspace the user belongs to and is active in, by name.
    pub fn workspaces_of(conn: &mut DbConnection, user_id: i64) -> QueryResult<Vec<(Membership, Workspace)>> {
        memberships::table
            .inner_join(workspaces::table)
            .filter(memberships::user_id.eq(user_id))
            .filter(memberships::status.ne(INACTIVE))
            .order((workspaces::name.asc(), workspaces::id.asc()))
            .select((Membership::as_select(), Workspace::as_select()))
            .load(conn)
    }

    /// Every member of the workspace, by name.
    pub fn members_of(conn: &mut DbConnection, workspace_id: i64) -> QueryResult<Vec<(Membership, User)>> {
        memberships::table
            .inner_join(users::table)
            .filter(memberships::workspace_id.eq(workspace_id))
            .order((users::name.asc(), users::id.asc()))
            .select((Membership::as_select(), User::as_select()))
            .load(conn)
    }

    /// The members of several workspaces at once, by name.
    pub fn members_of_many(conn: &mut DbConnection, workspace_ids: &[i64]) -> QueryResult<Vec<(Membership, User)>> {
        memberships::table
            .inner_join(users::table)
            .filter(memberships::workspace_id.eq_any(workspace_ids))
            .order((users::name.asc(), users::id.asc()))
            .select((Membership::as_select(), User::as_select()))
            .load(conn)
    }

    pub fn set_role(conn: &mut DbConnection, id: i64, role: &str) -> QueryResult<()> {
        diesel::update(memberships::table.find(id)).set(memberships::role.eq(role)).execute(conn).map(drop)
    }

    pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
        diesel::delete(memberships::table.find(id)).execute(conn).map(drop)
    }
}
