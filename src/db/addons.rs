//! The `addons` table: add-on installations. Found by public id within a workspace, or by the
//! SHA-256 of their installation token when one calls the API.

use diesel::prelude::*;

use super::schema::{addons, memberships};
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = addons)]
pub struct Addon {
    pub id: i64,
    pub public_id: String,
    pub workspace_id: i64,
    pub addon_key: String,
    pub name: String,
    pub base_url: String,
    /// The manifest as installed (normalised JSON).
    pub manifest: String,
    pub token_hash: String,
    pub secret_sealed: String,
    pub installed_by: Option<i64>,
    pub installed_at: i64,
    pub uninstalled_at: Option<i64>,
}

#[derive(Insertable)]
#[diesel(table_name = addons)]
pub struct NewAddon<'a> {
    pub public_id: &'a str,
    pub workspace_id: i64,
    pub addon_key: &'a str,
    pub name: &'a str,
    pub base_url: &'a str,
    pub manifest: &'a str,
    pub token_hash: &'a str,
    pub secret_sealed: &'a str,
    pub installed_by: Option<i64>,
    pub installed_at: i64,
}

/// An installation token's add-on, with the user it acts as (the workspace's Owner).
#[derive(Debug, Clone)]
pub struct AddonCredential {
    pub addon_id: i64,
    pub workspace_id: i64,
    pub acts_as: i64,
}

impl Addon {
    /// The add-ons with these ids, installed or not (for naming the actors of audit rows).
    pub fn find_many(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<Addon>> {
        addons::table.filter(addons::id.eq_any(ids)).select(Addon::as_select()).load(conn)
    }

    pub fn insert(conn: &mut DbConnection, new: &NewAddon) -> QueryResult<Addon> {
        diesel::insert_into(addons::table).values(new).returning(addons::all_columns).get_result(conn)
    }

    /// The workspace's installed add-ons, by name.
    pub fn installed_in(conn: &mut DbConnection, workspace_id: i64) -> QueryResult<Vec<Addon>> {
        addons::table
            .filter(addons::workspace_id.eq(workspace_id))
            .filter(addons::uninstalled_at.is_null())
            .order((addons::name.asc(), addons::id.asc()))
            .select(Addon::as_select())
            .load(conn)
    }

    /// An installed add-on of the workspace; another workspace's, or an uninstalled one, is not found.
    pub fn find_in(conn: &mut DbConnection, workspace_id: i64, public_id: &str) -> QueryResult<Option<Addon>> {
        addons::table
            .filter(addons::workspace_id.eq(workspace_id))
            .filter(addons::public_id.eq(public_id))
            .filter(addons::uninstalled_at.is_null())
            .select(Addon::as_select())
            .first(conn)
            .optional()
    }

    /// How many add-ons the workspace has installed.
    pub fn count_installed(conn: &mut DbConnection, workspace_id: i64) -> QueryResult<i64> {
        addons::table
            .filter(addons::workspace_id.eq(workspace_id))
            .filter(addons::uninstalled_at.is_null())
            .count()
            .get_result(conn)
    }

    /// The installed add-on of the workspace with this key.
    pub fn find_key_in(conn: &mut DbConnection, workspace_id: i64, key: &str) -> QueryResult<Option<Addon>> {
        addons::table
            .filter(addons::workspace_id.eq(workspace_id))
            .filter(addons::addon_key.eq(key))
            .filter(addons::uninstalled_at.is_null())
            .select(Addon::as_select())
            .first(conn)
            .optional()
    }

    /// The installed add-on whose token hashes to `token_hash`, and its workspace's Owner.
    pub fn credential(conn: &mut DbConnection, token_hash: &str) -> QueryResult<Option<AddonCredential>> {
        addons::table
            .inner_join(memberships::table.on(memberships::workspace_id.eq(addons::workspace_id)))
            .filter(addons::token_hash.eq(token_hash))
            .filter(addons::uninstalled_at.is_null())
            .filter(memberships::role.eq("OWNER"))
            .select((addons::id, addons::workspace_id, memberships::user_id))
            .first::<(i64, i64, i64)>(conn)
            .optional()
            .map(|row| row.map(|(addon_id, workspace_id, acts_as)| AddonCredential { addon_id, workspace_id, acts_as }))
    }

    /// Marks the add-on uninstalled: its token stops working at once.
    pub fn mark_uninstalled(conn: &mut DbConnection, id: i64, now: i64) -> QueryResult<()> {
        diesel::update(addons::table.find(id)).set(addons::uninstalled_at.eq(now)).execute(conn).map(drop)
    }
}
