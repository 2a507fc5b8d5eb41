//! The `users` table: accounts and their display preferences.

use diesel::prelude::*;

use super::memberships::Membership;
use super::schema::{memberships, users, workspaces};
use super::workspaces::Workspace;
use super::DbConnection;

/// A membership with the workspace it is of.
pub type MembershipOf = (Membership, Workspace);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub public_id: String,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub time_zone: String,
    pub date_format: String,
    pub time_format: String,
    pub active_workspace_id: Option<i64>,
    pub created_at: i64,
    /// Whether health alerts about the user's workspaces' webhooks are mailed to them.
    pub alert_mails: bool,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub public_id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub time_zone: &'a str,
    pub active_workspace_id: Option<i64>,
    pub created_at: i64,
}

#[derive(AsChangeset)]
#[diesel(table_name = users)]
pub struct PreferencesChange<'a> {
    pub time_zone: &'a str,
    pub date_format: &'a str,
    pub time_format: &'a str,
}

impl User {
    pub fn insert(conn: &mut DbConnection, new: &NewUser) -> QueryResult<User> {
        diesel::insert_into(users::table).values(new).returning(users::all_columns).get_result(conn)
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<User>> {
        users::table.find(id).select(User::as_select()).first(conn).optional()
    }

    /// `email` must already be normalised (see `domain::Email`).
    pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<User>> {
        users::table.filter(users::email.eq(email)).select(User::as_select()).first(conn).optional()
    }

    /// The user with every membership and its workspace, in one query (the REST API's `/user`).
    pub fn with_memberships(conn: &mut DbConnection, id: i64) -> QueryResult<Option<(User, Vec<MembershipOf>)>> {
        let rows: Vec<(User, Option<Membership>, Option<Workspace>)> = users::table
            .left_join(memberships::table.inner_join(workspaces::table))
            .filter(users::id.eq(id))
            .order((workspaces::name.asc(), workspaces::id.asc()))
            .select((User::as_select(), Option::<Membership>::as_select(), Option::<Workspace>::as_select()))
            .load(conn)?;
        let Some((user, _, _)) = rows.first() else { return Ok(None) };
        let user = user.clone();
        Ok(Some((user, rows.into_iter().filter_map(|(_, m, w)| m.zip(w)).collect())))
    }

    /// The users with these ids (for naming the people in lists).
    pub fn find_many(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<User>> {
        users::table.filter(users::id.eq_any(ids)).select(User::as_select()).load(conn)
    }

    pub fn any_exists(conn: &mut DbConnection) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(users::table.select(users::id))).get_result(conn)
    }

    pub fn set_active_workspace(conn: &mut DbConnection, user_id: i64, workspace_id: i64) -> QueryResult<()> {
        diesel::update(users::table.find(user_id))
            .set(users::active_workspace_id.eq(workspace_id))
            .execute(conn)
            .map(drop)
    }

    pub fn set_identity(conn: &mut DbConnection, user_id: i64, name: &str, email: &str) -> QueryResult<()> {
        diesel::update(users::table.find(user_id))
            .set((users::name.eq(name), users::email.eq(email)))
            .execute(conn)
            .map(drop)
    }

    pub fn set_password_hash(conn: &mut DbConnection, user_id: i64, hash: &str) -> QueryResult<()> {
        diesel::update(users::table.find(user_id)).set(users::password_hash.eq(hash)).execute(conn).map(drop)
    }

    pub fn update_preferences(conn: &mut DbConnection, user_id: i64, change: &PreferencesChange) -> QueryResult<()> {
        diesel::update(users::table.find(user_id)).set(change).execute(conn).map(drop)
    }
}
