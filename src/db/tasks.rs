//! The `tasks` table: a project's tasks.

use diesel::prelude::*;

use super::listing::{lower, Listing};
use super::schema::tasks;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tasks)]
pub struct Task {
    pub id: i64,
    pub public_id: String,
    pub project_id: i64,
    pub name: String,
    pub status: String,
    pub estimate: Option<String>,
    pub billable: bool,
    pub assignee_ids: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = tasks)]
pub struct NewTask<'a> {
    pub public_id: &'a str,
    pub project_id: i64,
    pub name: &'a str,
    pub status: &'a str,
    pub estimate: Option<&'a str>,
    pub billable: bool,
    pub assignee_ids: &'a str,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Every editable field, written whole (the service merges what the request left out).
#[derive(AsChangeset)]
#[diesel(table_name = tasks, treat_none_as_null = true)]
pub struct TaskChange<'a> {
    pub name: &'a str,
    pub status: &'a str,
    pub estimate: Option<&'a str>,
    pub billable: bool,
    pub assignee_ids: &'a str,
    pub updated_at: i64,
}

impl Task {
    pub fn insert(conn: &mut DbConnection, new: &NewTask) -> QueryResult<Task> {
        diesel::insert_into(tasks::table).values(new).returning(tasks::all_columns).get_result(conn)
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Task>> {
        tasks::table.find(id).select(Task::as_select()).first(conn).optional()
    }

    /// A task of the project; another project's is not found.
    pub fn find_in(conn: &mut DbConnection, project_id: i64, public_id: &str) -> QueryResult<Option<Task>> {
        tasks::table
            .filter(tasks::project_id.eq(project_id))
            .filter(tasks::public_id.eq(public_id))
            .select(Task::as_select())
            .first(conn)
            .optional()
    }

    /// Whether a task with this public id is in one of the workspace's projects.
    pub fn exists_in_workspace(conn: &mut DbConnection, workspace_id: i64, public_id: &str) -> QueryResult<bool> {
        use super::schema::projects;
        diesel::select(diesel::dsl::exists(
            tasks::table
                .inner_join(projects::table)
                .filter(projects::workspace_id.eq(workspace_id))
                .filter(tasks::public_id.eq(public_id)),
        ))
        .get_result(conn)
    }

    pub fn named(conn: &mut DbConnection, project_id: i64, name: &str) -> QueryResult<Option<Task>> {
        tasks::table
            .filter(tasks::project_id.eq(project_id))
            .filter(tasks::name.eq(name))
            .select(Task::as_select())
            .first(conn)
            .optional()
    }

    /// One page (plus one row) of the project's tasks by name; `archived` = `Some(true)` means DONE.
    pub fn list(conn: &mut DbConnection, project_id: i64, listing: &Listing) -> QueryResult<Vec<Task>> {
        let mut query = tasks::table.filter(tasks::project_id.eq(project_id)).into_boxed();
        if let Some(pattern) = listing.name_pattern() {
            query = query.filter(lower(tasks::name).like(pattern).escape('\\'));
        }
        if let Some(done) = listing.archived {
            query = query.filter(tasks::status.eq(if done { "DONE" } else { "ACTIVE" }));
        }
        query
            .order((lower(tasks::name).asc(), tasks::name.asc(), tasks::id.asc()))
            .offset(listing.offset())
            .limit(listing.limit_plus_one())
            .select(Task::as_select())
            .load(conn)
    }

    pub fn change(conn: &mut DbConnection, id: i64, change: &TaskChange) -> QueryResult<Task> {
        diesel::update(tasks::table.find(id)).set(change).returning(tasks::all_columns).get_result(conn)
    }

    pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
        diesel::delete(tasks::table.find(id)).execute(conn).map(drop)
    }
}
