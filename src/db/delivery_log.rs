//! The deliveries list: one webhook's deliveries, newest first, filtered and searched, in
//! keyset pages that cost the same on the millionth delivery as on the first.
//!
//! Each stored state is read apart from the `(webhook_id, state, created_at, id)` index (a
//! range per state, newest first), and the states' rows merged: "all states" is then five short
//! index ranges instead of a sort of the webhook's every delivery. Filters the index cannot
//! serve (event, status, the payload search, queued or retrying) are tested on at most
//! [`SCAN_BUDGET`] rows per state and request: a page ends where the scan stopped, and says so
//! (`searched_to`), so a rare match costs more requests instead of a slower one.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};

use super::schema::{deliveries, events};
use super::DbConnection;
use crate::db::deliveries::Delivery;
use crate::domain::DeliveryState;

/// Rows a request tests per state at most when a filter needs testing.
pub const SCAN_BUDGET: i64 = 2_000;

/// What to list.
#[derive(Debug, Clone)]
pub struct DeliveryQuery {
    pub webhook_id: i64,
    /// The stored states to read (every state when the filter names none).
    pub states: Vec<DeliveryState>,
    /// Of pending deliveries, only those attempted already (`Some(true)`: retrying) or not yet.
    pub attempted: Option<bool>,
    pub event: Option<String>,
    /// A `LIKE` pattern over the latest status.
    pub status: Option<String>,
    /// A lowercase `LIKE` pattern over the payload, escaped with `\`.
    pub search: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// `(created_at, id)` of the last row of the previous page.
    pub before: Option<(i64, i64)>,
    pub limit: i64,
}

/// A listed delivery and its event's type.
pub struct DeliveryRow {
    pub delivery: Delivery,
    pub event_type: String,
}

/// A page, and when a filter's scan stopped short of the end: the keyset it stopped at (the
/// next page starts there; there may be more matches beyond it).
pub struct DeliveryPage {
    pub rows: Vec<DeliveryRow>,
    pub next: Option<(i64, i64)>,
    /// The page ended where the scan stopped, not because it was full.
    pub searched_to: Option<i64>,
}

#[derive(QueryableByName)]
struct Scanned {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    created_at: i64,
    #[diesel(sql_type = Integer)]
    hit: i32,
}

impl DeliveryQuery {
    fn needs_testing(&self) -> bool {
        self.attempted.is_some() || self.event.is_some() || self.status.is_some() || self.search.is_some()
    }
}

pub fn page(conn: &mut DbConnection, q: &DeliveryQuery) -> QueryResult<DeliveryPage> {
    let scan = if q.needs_testing() { SCAN_BUDGET } else { q.limit + 1 };
    let (before_at, before_id) = q.before.unwrap_or((i64::MAX, i64::MAX));
    let mut hits: Vec<(i64, i64)> = Vec::new();
    // The newest key below which some state's scan did not look.
    let mut frontier: Option<(i64, i64)> = None;
    for state in &q.states {
        // The event row is read only when its type or payload is asked about: a status filter
        // alone tests the deliveries' own columns (the join cost 200 ms a request at the budget
        // in the pages bench). Either way `$10` and `$11` stay in the text: every bind needs its place.
        let (event_test, payload_test, join) = if q.event.is_some() || q.search.is_some() {
            (
                "($10 IS NULL OR e.event_type = $10)",
                "($11 IS NULL OR lower(e.payload) LIKE $11 ESCAPE '\\')",
                "JOIN events e ON e.id = s.event_id",
            )
        } else {
            ("$10 IS NULL", "$11 IS NULL", "")
        };
        // Placeholders appear in numeric order: SQLite numbers `$N` by first appearance.
        let scanned: Vec<Scanned> = diesel::sql_query(format!(
            "WITH s AS ( \
               SELECT id, created_at, event_id, attempts, last_status FROM deliveries \
               WHERE webhook_id = $1 AND state = $2 AND created_at >= $3 AND created_at <= $4 \
               AND (created_at < $5 OR (created_at = $5 AND id < $6)) \
               ORDER BY created_at DESC, id DESC LIMIT $7) \
             SELECT s.id, s.created_at, CASE WHEN \
               ($8 < 0 OR (s.attempts > 0) = ($8 = 1)) \
               AND ($9 IS NULL OR s.last_status LIKE $9) \
               AND {event_test} AND {payload_test} \
             THEN 1 ELSE 0 END AS hit \
             FROM s {join} ORDER BY s.created_at DESC, s.id DESC",
        ))
        .bind::<BigInt, _>(q.webhook_id)
        .bind::<Text, _>(state.as_str())
        .bind::<BigInt, _>(q.from.unwrap_or(i64::MIN))
        .bind::<BigInt, _>(q.to.unwrap_or(i64::MAX).min(before_at))
        .bind::<BigInt, _>(before_at)
        .bind::<BigInt, _>(before_id)
        .bind::<BigInt, _>(scan)
        .bind::<Integer, _>(q.attempted.map_or(-1, i32::from))
        .bind::<Nullable<Text>, _>(q.status.as_deref())
        .bind::<Nullable<Text>, _>(q.event.as_deref())
        .bind::<Nullable<Text>, _>(q.search.as_deref())
        .load(conn)?;
        if i64::try_from(scanned.len()).unwrap_or(i64::MAX) >= scan {
            if let Some(last) = scanned.last() {
                let key = (last.created_at, last.id);
                frontier = Some(frontier.map_or(key, |f| f.max(key)));
            }
        }
        hits.extend(scanned.iter().filter(|s| s.hit == 1).map(|s| (s.created_at, s.id)));
    }
    hits.sort_unstable_by(|a, b| b.cmp(a));
    // Past the frontier a state was not read to the end: those rows wait for the next page.
    if let Some(f) = frontier {
        hits.retain(|key| *key > f);
    }
    let limit = usize::try_from(q.limit).unwrap_or(usize::MAX);
    let full = hits.len() > limit;
    hits.truncate(limit);
    let (next, searched_to) = match (full || hits.len() == limit, frontier) {
        (true, _) => (hits.last().copied(), None),
        (false, Some(f)) => (Some(f), Some(f.0)),
        (false, None) => (None, None),
    };
    let ids: Vec<i64> = hits.iter().map(|(_, id)| *id).collect();
    let mut rows: Vec<DeliveryRow> = deliveries::table
        .inner_join(events::table)
        .filter(deliveries::id.eq_any(&ids))
        .select((Delivery::as_select(), events::event_type))
        .load::<(Delivery, String)>(conn)?
        .into_iter()
        .map(|(delivery, event_type)| DeliveryRow { delivery, event_type })
        .collect();
    rows.sort_unstable_by_key(|r| std::cmp::Reverse((r.delivery.created_at, r.delivery.id)));
    Ok(DeliveryPage { rows, next, searched_to })
}
