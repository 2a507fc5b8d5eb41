//! The `projects` table.

use diesel::prelude::*;

use super::clients::Client;
use super::listing::{lower, Listing};
use super::schema::{clients, projects};
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = projects)]
pub struct Project {
    pub id: i64,
    pub public_id: String,
    pub workspace_id: i64,
    pub client_id: Option<i64>,
    pub name: String,
    pub note: String,
    pub color: String,
    pub billable: bool,
    pub is_public: bool,
    pub archived: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = projects)]
pub struct NewProject<'a> {
    pub public_id: &'a str,
    pub workspace_id: i64,
    pub client_id: Option<i64>,
    pub name: &'a str,
    pub note: &'a str,
    pub color: &'a str,
    pub billable: bool,
    pub is_public: bool,
    pub archived: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Every editable field, written whole (the service merges what the request left out).
#[derive(AsChangeset)]
#[diesel(table_name = projects, treat_none_as_null = true)]
pub struct ProjectChange<'a> {
    pub client_id: Option<i64>,
    pub name: &'a str,
    pub note: &'a str,
    pub color: &'a str,
    pub billable: bool,
    pub is_public: bool,
    pub archived: bool,
    pub updated_at: i64,
}

/// A project with its client, as the API shows it.
pub type WithClient = (Project, Option<Client>);

impl Project {
    pub fn insert(conn: &mut DbConnection, new: &NewProject) -> QueryResult<Project> {
        diesel::insert_into(projects::table).values(new).returning(projects::all_columns).get_result(conn)
    }

    /// A project of the workspace, with its client; another workspace's is not found.
    pub fn find_in(conn: &mut DbConnection, workspace_id: i64, public_id: &str) -> QueryResult<Option<WithClient>> {
        projects::table
            .left_join(clients::table)
            .filter(projects::workspace_id.eq(workspace_id))
            .filter(projects::public_id.eq(public_id))
            .select((Project::as_select(), Option::<Client>::as_select()))
            .first(conn)
            .optional()
    }

    /// A project of the workspace by its row id, with its client.
    pub fn with_client(conn: &mut DbConnection, workspace_id: i64, id: i64) -> QueryResult<Option<WithClient>> {
        projects::table
            .left_join(clients::table)
            .filter(projects::workspace_id.eq(workspace_id))
            .filter(projects::id.eq(id))
            .select((Project::as_select(), Option::<Client>::as_select()))
            .first(conn)
            .optional()
    }

    pub fn named(conn: &mut DbConnection, workspace_id: i64, name: &str) -> QueryResult<Option<Project>> {
        projects::table
            .filter(projects::workspace_id.eq(workspace_id))
            .filter(projects::name.eq(name))
            .select(Project::as_select())
            .first(conn)
            .optional()
    }

    /// One page (plus one row) of the workspace's projects by name, case-insensitively.
    pub fn list(conn: &mut DbConnection, workspace_id: i64, listing: &Listing) -> QueryResult<Vec<WithClient>> {
        let mut query =
            projects::table.left_join(clients::table).filter(projects::workspace_id.eq(workspace_id)).into_boxed();
        if let Some(pattern) = listing.name_pattern() {
            query = query.filter(lower(projects::name).like(pattern).escape('\\'));
        }
        if let Some(archived) = listing.archived {
            query = query.filter(projects::archived.eq(archived));
        }
        query
            .order((lower(projects::name).asc(), projects::name.asc(), projects::id.asc()))
            .offset(listing.offset())
            .limit(listing.limit_plus_one())
            .select((Project::as_select(), Option::<Client>::as_select()))
            .load(conn)
    }

    pub fn change(conn: &mut DbConnection, id: i64, change: &ProjectChange) -> QueryResult<()> {
        diesel::update(projects::table.find(id)).set(change).execute(conn).map(drop)
    }

    pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
        diesel::delete(projects::table.find(id)).execute(conn).map(drop)
    }
}
