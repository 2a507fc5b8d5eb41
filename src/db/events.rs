//! The `events` table: the outbox that later delivery reads from.

use diesel::prelude::*;

use super::schema::{deliveries, events};
use super::DbConnection;
use crate::domain::DeliveryState;

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
    /// Deletes up to `batch` events made before `before` whose deliveries are all settled
    /// (delivered, failed for good or cancelled) and were all made before it too; their
    /// deliveries and attempts go with them (the foreign keys cascade). Answers how many went.
    /// The caller puts `before` far enough back that no attempt younger than the attempts'
    /// retention can belong to such a delivery.
    pub fn prune_settled(conn: &mut DbConnection, before: i64, batch: i64) -> QueryResult<usize> {
        let unsettled = deliveries::table
            .filter(deliveries::event_id.eq(events::id))
            .filter(deliveries::state.eq(DeliveryState::Pending.as_str()).or(deliveries::created_at.ge(before)))
            .select(deliveries::id);
        let ids: Vec<i64> = events::table
            .filter(events::created_at.lt(before))
            .filter(diesel::dsl::not(diesel::dsl::exists(unsettled)))
            .order(events::created_at)
            .select(events::id)
            .limit(batch)
            .load(conn)?;
        diesel::delete(events::table.filter(events::id.eq_any(ids))).execute(conn)
    }

    pub fn insert(conn: &mut DbConnection, new: &NewEvent) -> QueryResult<Event> {
        diesel::insert_into(events::table).values(new).returning(events::all_columns).get_result(conn)
    }

    /// Inserts the rows and answers their ids, in order: one statement on PostgreSQL (a batch
    /// of publications, see `services::events::emit_all`), answering the ids only (the
    /// payloads back too were a copy of every payload over the connection); on SQLite
    /// (in-process, no round trips) one per row.
    pub fn insert_all(conn: &mut DbConnection, new: &[NewEvent]) -> QueryResult<Vec<i64>> {
        match conn {
            DbConnection::Postgresql(pg) => super::in_chunks(new, 5_000, |chunk| {
                diesel::insert_into(events::table).values(chunk).returning(events::id).get_results(pg)
            }),
            DbConnection::Sqlite(lite) => new
                .iter()
                .map(|row| diesel::insert_into(events::table).values(row).returning(events::id).get_result(lite))
                .collect(),
        }
    }

    /// The events with these ids (those of a batch of claimed deliveries, read at once).
    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Event>> {
        events::table.find(id).select(Event::as_select()).first(conn).optional()
    }

    pub fn find_many(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<Event>> {
        events::table.filter(events::id.eq_any(ids)).select(Event::as_select()).load(conn)
    }
}
