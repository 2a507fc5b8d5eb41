//! The `workspaces` table.

use diesel::prelude::*;

use super::schema::workspaces;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = workspaces)]
pub struct Workspace {
    pub id: i64,
    pub public_id: String,
    pub name: String,
    pub plan: String,
    pub created_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = workspaces)]
pub struct NewWorkspace<'a> {
    pub public_id: &'a str,
    pub name: &'a str,
    pub plan: &'a str,
    pub created_at: i64,
}

impl Workspace {
    pub fn insert(conn: &mut DbConnection, new: &NewWorkspace) -> QueryResult<Workspace> {
        diesel::insert_into(workspaces::table).values(new).returning(workspaces::all_columns).get_result(conn)
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Workspace>> {
        workspaces::table.find(id).select(Workspace::as_select()).first(conn).optional()
    }

    pub fn find_by_public_id(conn: &mut DbConnection, public_id: &str) -> QueryResult<Option<Workspace>> {
        workspaces::table
            .filter(workspaces::public_id.eq(public_id))
            .select(Workspace::as_select())
            .first(conn)
            .optional()
    }

    /// Holds the workspace's row until the transaction ends (PostgreSQL; SQLite writers are one
    /// at a time already), so a count taken after it and the insert it allows are one step:
    /// two simultaneous creates at a plan's limit cannot both fit.
    pub fn lock(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
        if let DbConnection::Postgresql(pg) = conn {
            workspaces::table.find(id).select(workspaces::id).for_update().first::<i64>(pg)?;
        }
        Ok(())
    }

    pub fn rename(conn: &mut DbConnection, id: i64, name: &str) -> QueryResult<()> {
        diesel::update(workspaces::table.find(id)).set(workspaces::name.eq(name)).execute(conn).map(drop)
    }

    pub fn set_plan(conn: &mut DbConnection, id: i64, plan: &str) -> QueryResult<()> {
        diesel::update(workspaces::table.find(id)).set(workspaces::plan.eq(plan)).execute(conn).map(drop)
    }
}
