//! The outbox: `emit` appends an event in the caller's transaction, so an event exists exactly
//! when the change it describes was committed. Delivery reads these rows later.

use diesel::QueryResult;
use serde_json::Value;

use crate::db::events::{Event, NewEvent};
use crate::db::DbConnection;
use crate::domain::{new_public_id, EventType};

use super::now_ms;

/// Appends `event` for the workspace. Call it inside the transaction that made the change.
pub fn emit(conn: &mut DbConnection, workspace_id: i64, event: EventType, payload: &Value) -> QueryResult<Event> {
    let payload = payload.to_string();
    Event::insert(
        conn,
        &NewEvent {
            public_id: &new_public_id(),
            workspace_id,
            event_type: event.as_str(),
            payload: &payload,
            created_at: now_ms(),
            test: false,
        },
    )
}
