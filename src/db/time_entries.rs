//! The `time_entries` table. An entry without an end is a running timer.

use diesel::prelude::*;

use super::schema::time_entries;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = time_entries)]
pub struct TimeEntry {
    pub id: i64,
    pub public_id: String,
    pub workspace_id: i64,
    pub user_id: i64,
    pub project_id: Option<i64>,
    pub task_id: Option<i64>,
    pub description: String,
    pub tag_ids: String,
    pub billable: bool,
    pub start_at: i64,
    pub end_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = time_entries)]
pub struct NewTimeEntry<'a> {
    pub public_id: &'a str,
    pub workspace_id: i64,
    pub user_id: i64,
    pub project_id: Option<i64>,
    pub task_id: Option<i64>,
    pub description: &'a str,
    pub tag_ids: &'a str,
    pub billable: bool,
    pub start_at: i64,
    pub end_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Every editable field, written whole (the service merges what the request left out).
#[derive(AsChangeset)]
#[diesel(table_name = time_entries, treat_none_as_null = true)]
pub struct TimeEntryChange<'a> {
    pub project_id: Option<i64>,
    pub task_id: Option<i64>,
    pub description: &'a str,
    pub tag_ids: &'a str,
    pub billable: bool,
    pub start_at: i64,
    pub end_at: Option<i64>,
    pub updated_at: i64,
}

/// Which of a user's entries a page shows, newest first.
pub struct EntryQuery {
    pub user_id: Option<i64>,
    pub started_from: Option<i64>,
    pub started_until: Option<i64>,
    pub running_only: bool,
    pub offset: i64,
    pub limit: i64,
}

impl TimeEntry {
    pub fn insert(conn: &mut DbConnection, new: &NewTimeEntry) -> QueryResult<TimeEntry> {
        diesel::insert_into(time_entries::table).values(new).returning(time_entries::all_columns).get_result(conn)
    }

    pub fn find_in(conn: &mut DbConnection, workspace_id: i64, public_id: &str) -> QueryResult<Option<TimeEntry>> {
        time_entries::table
            .filter(time_entries::workspace_id.eq(workspace_id))
            .filter(time_entries::public_id.eq(public_id))
            .select(TimeEntry::as_select())
            .first(conn)
            .optional()
    }

    /// The user's running timer in the workspace, if any.
    pub fn running(conn: &mut DbConnection, workspace_id: i64, user_id: i64) -> QueryResult<Option<TimeEntry>> {
        time_entries::table
            .filter(time_entries::workspace_id.eq(workspace_id))
            .filter(time_entries::user_id.eq(user_id))
            .filter(time_entries::end_at.is_null())
            .select(TimeEntry::as_select())
            .first(conn)
            .optional()
    }

    /// One page of the workspace's entries (of one user, or everyone's), newest first.
    pub fn page(conn: &mut DbConnection, workspace_id: i64, q: &EntryQuery) -> QueryResult<Vec<TimeEntry>> {
        let mut query = time_entries::table.filter(time_entries::workspace_id.eq(workspace_id)).into_boxed();
        if let Some(user) = q.user_id {
            query = query.filter(time_entries::user_id.eq(user));
        }
        if let Some(from) = q.started_from {
            query = query.filter(time_entries::start_at.ge(from));
        }
        if let Some(until) = q.started_until {
            query = query.filter(time_entries::start_at.le(until));
        }
        if q.running_only {
            query = query.filter(time_entries::end_at.is_null());
        }
        query
            .order((time_entries::start_at.desc(), time_entries::id.desc()))
            .offset(q.offset)
            .limit(q.limit)
            .select(TimeEntry::as_select())
            .load(conn)
    }

    pub fn change(conn: &mut DbConnection, id: i64, change: &TimeEntryChange) -> QueryResult<TimeEntry> {
        diesel::update(time_entries::table.find(id)).set(change).returning(time_entries::all_columns).get_result(conn)
    }

    pub fn stop(conn: &mut DbConnection, id: i64, end_at: i64, now: i64) -> QueryResult<TimeEntry> {
        diesel::update(time_entries::table.find(id))
            .set((time_entries::end_at.eq(end_at), time_entries::updated_at.eq(now)))
            .returning(time_entries::all_columns)
            .get_result(conn)
    }

    pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
        diesel::delete(time_entries::table.find(id)).execute(conn).map(drop)
    }
}
