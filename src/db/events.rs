//! The `events` table: the outbox that later delivery reads from.

use diesel::prelude::*;

use super::schema::events;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct Event {
    pub id: i64,
    pub public_id: String,
    pub workspace_id: i64,
    pub event_type: String,
    pub payload: String,
    pub created_at: i64,
    pub test: bool,
}

#[derive(Insertable)]
#[diesel(table_name = events)]
pub struct NewEvent<'a> {
    pub public_id: &'a str,
    pub workspace_id: i64,
    pub event_type: &'a str,
    pub payload: &'a str,
    pub created_at: i64,
    pub test: bool,
}

impl Event {
    pub fn insert(conn: &mut DbConnection, new: &NewEvent) -> QueryResult<Event> {
        diesel::insert_into(events::table).values(new).returning(events::all_columns).get_result(conn)
    }

    /// The events with these ids (those of a batch of claimed deliveries, read at once).
    pub fn find_many(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<Event>> {
        events::table.filter(events::id.eq_any(ids)).select(Event::as_select()).load(conn)
    }
}
