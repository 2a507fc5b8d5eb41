//! The `clients` table.

use diesel::prelude::*;

use super::listing::{lower, Listing};
use super::schema::clients;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = clients)]
pub struct Client {
    pub id: i64,
    pub public_id: String,
    pub workspace_id: i64,
    pub name: String,
    pub email: Option<String>,
    pub address: Option<String>,
    pub note: Option<String>,
    pub archived: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = clients)]
pub struct NewClient<'a> {
    pub public_id: &'a str,
    pub workspace_id: i64,
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub address: Option<&'a str>,
    pub note: Option<&'a str>,
    pub archived: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Every editable field, written whole (the service merges what the request left out).
#[derive(AsChangeset)]
#[diesel(table_name = clients, treat_none_as_null = true)]
pub struct ClientChange<'a> {
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub address: Option<&'a str>,
    pub note: Option<&'a str>,
    pub archived: bool,
    pub updated_at: i64,
}

impl Client {
    pub fn insert(conn: &mut DbConnection, new: &NewClient) -> QueryResult<Client> {
        diesel::insert_into(clients::table).values(new).returning(clients::all_columns).get_result(conn)
    }

    /// A client of the workspace; another workspace's is not found.
    pub fn find_in(conn: &mut DbConnection, workspace_id: i64, public_id: &str) -> QueryResult<Option<Client>> {
        clients::table
            .filter(clients::workspace_id.eq(workspace_id))
            .filter(clients::public_id.eq(public_id))
            .select(Client::as_select())
            .first(conn)
            .optional()
    }

    pub fn named(conn: &mut DbConnection, workspace_id: i64, name: &str) -> QueryResult<Option<Client>> {
        clients::table
            .filter(clients::workspace_id.eq(workspace_id))
            .filter(clients::name.eq(name))
            .select(Client::as_select())
            .first(conn)
            .optional()
    }

    /// One page (plus one row) of the workspace's clients by name, case-insensitively.
    pub fn list(conn: &mut DbConnection, workspace_id: i64, listing: &Listing) -> QueryResult<Vec<Client>> {
        let mut query = clients::table.filter(clients::workspace_id.eq(workspace_id)).into_boxed();
        if let Some(pattern) = listing.name_pattern() {
            query = query.filter(lower(clients::name).like(pattern).escape('\\'));
        }
        if let Some(archived) = listing.archived {
            query = query.filter(clients::archived.eq(archived));
        }
        query
            .order((lower(clients::name).asc(), clients::name.asc(), clients::id.asc()))
            .offset(listing.offset())
            .limit(listing.limit_plus_one())
            .select(Client::as_select())
            .load(conn)
    }

    pub fn change(conn: &mut DbConnection, id: i64, change: &ClientChange) -> QueryResult<Client> {
        diesel::update(clients::table.find(id)).set(change).returning(clients::all_columns).get_result(conn)
    }

    pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
        diesel::delete(clients::table.find(id)).execute(conn).map(drop)
    }
}
