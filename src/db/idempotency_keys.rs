//! The `idempotency_keys` table: first answers of the event publishing endpoint, by key.

use diesel::prelude::*;

use super::schema::idempotency_keys;
use super::DbConnection;

impl IdempotencyKey {
    /// How long an idempotency key answers with its first answer (then it is pruned).
    pub const WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

    /// The answer stored for `key` in the workspace since `since`, if any.
    pub fn answer(conn: &mut DbConnection, workspace_id: i64, key: &str, since: i64) -> QueryResult<Option<String>> {
        idempotency_keys::table
            .filter(idempotency_keys::workspace_id.eq(workspace_id))
            .filter(idempotency_keys::idempotency_key.eq(key))
            .filter(idempotency_keys::created_at.ge(since))
            .select(idempotency_keys::response)
            .first(conn)
            .optional()
    }

    /// Stores the first answer for `key`, replacing one from before `expired_before` (only such
    /// a one: a fresh row of a concurrent request must make this insert fail, not be replaced).
    pub fn remember(
        conn: &mut DbConnection,
        workspace_id: i64,
        key: &str,
        response: &str,
        now: i64,
        expired_before: i64,
    ) -> QueryResult<()> {
        diesel::delete(
            idempotency_keys::table
                .filter(idempotency_keys::workspace_id.eq(workspace_id))
                .filter(idempotency_keys::idempotency_key.eq(key))
                .filter(idempotency_keys::created_at.lt(expired_before)),
        )
        .execute(conn)?;
        diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::workspace_id.eq(workspace_id),
                idempotency_keys::idempotency_key.eq(key),
                idempotency_keys::response.eq(response),
                idempotency_keys::created_at.eq(now),
            ))
            .execute(conn)
            .map(drop)
    }

    /// Forgets keys older than `before` (the retention job).
    pub fn prune(conn: &mut DbConnection, before: i64) -> QueryResult<usize> {
        diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(before))).execute(conn)
    }
}

/// Queries of the `idempotency_keys` table (its rows are read as single columns).
pub struct IdempotencyKey;
