//! The outbox: `emit` appends an event in the caller's transaction, so an event exists exactly
//! when the change it describes was committed. Delivery reads these rows later.

use diesel::QueryResult;
use serde_json::Value;

use crate::db::events::{Event, NewEvent};
use crate::db::DbConnection;
use crate::domain::new_public_id;

use super::now_ms;

/// The events this part of keyhook raises (the full catalog arrives with delivery).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    UserJoinedWorkspace,
    UsersInvitedToWorkspace,
    UserDeletedFromWorkspace,
    UserUpdated,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::UserJoinedWorkspace => "USER_JOINED_WORKSPACE",
            EventType::UsersInvitedToWorkspace => "USERS_INVITED_TO_WORKSPACE",
            EventType::UserDeletedFromWorkspace => "USER_DELETED_FROM_WORKSPACE",
            EventType::UserUpdated => "USER_UPDATED",
        }
    }
}

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
        },
    )
}
