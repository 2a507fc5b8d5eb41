//! The `api_keys` table. Rows hold the SHA-256 of a key, never the key.

use diesel::prelude::*;

use super::schema::{api_keys, memberships, users};
use super::users::User;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    pub id: i64,
    pub public_id: String,
    pub user_id: i64,
    pub name: String,
    pub hint: String,
    pub secret_hash: String,
    pub previous_secret_hash: Option<String>,
    pub previous_valid_until: Option<i64>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
}

#[derive(Insertable)]
#[diesel(table_name = api_keys)]
pub struct NewApiKey<'a> {
    pub public_id: &'a str,
    pub user_id: i64,
    pub name: &'a str,
    pub hint: &'a str,
    pub secret_hash: &'a str,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

/// A new secret for an existing key, with the old one's grace period (if any).
#[derive(AsChangeset)]
#[diesel(table_name = api_keys, treat_none_as_null = true)]
pub struct Rotation<'a> {
    pub hint: &'a str,
    pub secret_hash: &'a str,
    pub previous_secret_hash: Option<&'a str>,
    pub previous_valid_until: Option<i64>,
}

impl ApiKey {
    pub fn insert(conn: &mut DbConnection, new: &NewApiKey) -> QueryResult<ApiKey> {
        diesel::insert_into(api_keys::table).values(new).returning(api_keys::all_columns).get_result(conn)
    }

    /// The user's keys, newest first.
    pub fn of_user(conn: &mut DbConnection, user_id: i64) -> QueryResult<Vec<ApiKey>> {
        api_keys::table
            .filter(api_keys::user_id.eq(user_id))
            .order((api_keys::created_at.desc(), api_keys::id.desc()))
            .select(ApiKey::as_select())
            .load(conn)
    }

    /// One of the user's keys by public id; another user's key is not found.
    pub fn find_of_user(conn: &mut DbConnection, user_id: i64, public_id: &str) -> QueryResult<Option<ApiKey>> {
        api_keys::table
            .filter(api_keys::user_id.eq(user_id))
            .filter(api_keys::public_id.eq(public_id))
            .select(ApiKey::as_select())
            .first(conn)
            .optional()
    }

    /// The key whose current or previous secret has this hash.
    pub fn find_by_hash(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<ApiKey>> {
        api_keys::table
            .filter(api_keys::secret_hash.eq(hash).or(api_keys::previous_secret_hash.eq(hash)))
            .select(ApiKey::as_select())
            .first(conn)
            .optional()
    }

    /// Whether the user has another key with this name.
    pub fn name_taken(conn: &mut DbConnection, user_id: i64, name: &str, except: Option<i64>) -> QueryResult<bool> {
        let same_name = api_keys::table
            .filter(api_keys::user_id.eq(user_id))
            .filter(api_keys::name.eq(name))
            .filter(api_keys::id.ne(except.unwrap_or(-1)))
            .select(api_keys::id);
        diesel::select(diesel::dsl::exists(same_name)).get_result(conn)
    }

    /// Every key of every member of the workspace, with its owner, newest first.
    pub fn of_workspace(conn: &mut DbConnection, workspace_id: i64) -> QueryResult<Vec<(ApiKey, User)>> {
        api_keys::table
            .inner_join(users::table.inner_join(memberships::table))
            .filter(memberships::workspace_id.eq(workspace_id))
            .order((api_keys::created_at.desc(), api_keys::id.desc()))
            .select((ApiKey::as_select(), User::as_select()))
            .load(conn)
    }

    pub fn rename(conn: &mut DbConnection, id: i64, name: &str) -> QueryResult<()> {
        diesel::update(api_keys::table.find(id)).set(api_keys::name.eq(name)).execute(conn).map(drop)
    }

    pub fn rotate(conn: &mut DbConnection, id: i64, rotation: &Rotation) -> QueryResult<()> {
        diesel::update(api_keys::table.find(id)).set(rotation).execute(conn).map(drop)
    }

    pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
        diesel::delete(api_keys::table.find(id)).execute(conn).map(drop)
    }

    pub fn set_last_used(conn: &mut DbConnection, id: i64, at: i64) -> QueryResult<()> {
        diesel::update(api_keys::table.find(id)).set(api_keys::last_used_at.eq(at)).execute(conn).map(drop)
    }
}
