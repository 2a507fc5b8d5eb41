//! The `attempts` table: one row per try to send a delivery, newest first by webhook.

use diesel::prelude::*;

use super::schema::{attempts, deliveries, events};
use super::DbConnection;
use crate::domain::FailureReason;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = attempts)]
pub struct Attempt {
    pub id: i64,
    pub public_id: String,
    pub delivery_id: i64,
    pub webhook_id: i64,
    pub trigger: String,
    pub attempted_at: i64,
    pub duration_ms: i64,
    pub succeeded: bool,
    pub status_code: Option<i32>,
    pub error_class: Option<String>,
    pub error_detail: Option<String>,
    pub request_headers: String,
    pub request_body: String,
    pub response_headers: Option<String>,
    pub response_body: Option<String>,
    pub response_body_base64: bool,
    /// The failure's named reason (`domain::FailureReason`'s code); `None` on success.
    pub reason: Option<String>,
    /// Where it was sent (`None` for attempts recorded before URLs were).
    pub url: Option<String>,
}

/// An attempt without what was sent and answered: what a list of deliveries shows of each
/// (their bodies are read when one delivery is opened).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = attempts)]
pub struct AttemptSummary {
    pub public_id: String,
    pub delivery_id: i64,
    pub trigger: String,
    pub attempted_at: i64,
    pub duration_ms: i64,
    pub succeeded: bool,
    pub status_code: Option<i32>,
    pub error_class: Option<String>,
    pub error_detail: Option<String>,
    pub reason: Option<String>,
}

impl AttemptSummary {
    pub fn failure(&self) -> Option<FailureReason> {
        failure_of(self.succeeded, self.reason.as_deref(), self.status_code, self.error_detail.as_deref())
    }
}

/// Why an attempt failed, named; `None` when it succeeded. Attempts recorded before reasons
/// were stored are named from their status or error.
fn failure_of(
    succeeded: bool,
    reason: Option<&str>,
    status_code: Option<i32>,
    error_detail: Option<&str>,
) -> Option<FailureReason> {
    if succeeded {
        return None;
    }
    reason.and_then(FailureReason::parse).or_else(|| match status_code.and_then(|c| u16::try_from(c).ok()) {
        Some(status) => Some(FailureReason::of_status(status)),
        None => Some(FailureReason::Other { detail: error_detail.unwrap_or_default().to_owned() }),
    })
}

#[derive(Debug, Insertable)]
#[diesel(table_name = attempts)]
pub struct NewAttempt {
    pub public_id: String,
    pub delivery_id: i64,
    pub webhook_id: i64,
    pub trigger: String,
    pub attempted_at: i64,
    pub duration_ms: i64,
    pub succeeded: bool,
    pub status_code: Option<i32>,
    pub error_class: Option<String>,
    pub error_detail: Option<String>,
    pub request_headers: String,
    pub request_body: String,
    pub response_headers: Option<String>,
    pub response_body: Option<String>,
    pub response_body_base64: bool,
    pub reason: Option<String>,
    /// Where it was sent (`None` for attempts recorded before URLs were).
    pub url: Option<String>,
}

/// Which attempts a log page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    All,
    Succeeded,
    Failed,
}

/// One page of a webhook's attempts, newest first, after the keyset cursor `before`
/// (`(attempted_at, id)` of the last row of the previous page).
pub struct LogQuery {
    pub webhook_id: i64,
    pub outcome: Outcome,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub before: Option<(i64, i64)>,
    /// The page before the one starting at this cursor (the pages' "Previous"); still newest first.
    pub after: Option<(i64, i64)>,
    /// Rows to skip (only for Clockify's page-numbered POST; the pages use `before`).
    pub offset: i64,
    /// Newest first (the default); Clockify's POST may ask for oldest first.
    pub newest_first: bool,
    pub limit: i64,
}

/// A log row: the attempt, its delivery's `webhook-id` and the event it carried.
pub struct LogRow {
    pub attempt: Attempt,
    pub message_id: String,
    pub event_type: String,
}

impl Attempt {
    /// Why it failed, named; `None` when it succeeded.
    pub fn failure(&self) -> Option<FailureReason> {
        failure_of(self.succeeded, self.reason.as_deref(), self.status_code, self.error_detail.as_deref())
    }

    /// Inserts the attempts: in statements of up to 500 rows on PostgreSQL; on SQLite
    /// (in-process, no round trips) one per row.
    pub fn insert_all(conn: &mut DbConnection, new: &[NewAttempt]) -> QueryResult<()> {
        match conn {
            DbConnection::Postgresql(pg) => {
                for chunk in new.chunks(500) {
                    diesel::insert_into(attempts::table).values(chunk).execute(pg)?;
                }
            }
            DbConnection::Sqlite(lite) => {
                for row in new {
                    diesel::insert_into(attempts::table).values(row).execute(lite)?;
                }
            }
        }
        Ok(())
    }

    pub fn find_of_webhook(conn: &mut DbConnection, webhook_id: i64, public_id: &str) -> QueryResult<Option<Attempt>> {
        attempts::table
            .filter(attempts::webhook_id.eq(webhook_id))
            .filter(attempts::public_id.eq(public_id))
            .select(Attempt::as_select())
            .first(conn)
            .optional()
    }

    /// One page, each attempt with its delivery's message id and event. The page is read from
    /// the attempts index alone (keyset), then its 50 or so deliveries by primary key: no join
    /// for the planner to get wrong on a large table.
    pub fn page(conn: &mut DbConnection, q: &LogQuery) -> QueryResult<Vec<LogRow>> {
        let mut query = attempts::table.filter(attempts::webhook_id.eq(q.webhook_id)).into_boxed();
        match q.outcome {
            Outcome::All => {}
            Outcome::Succeeded => query = query.filter(attempts::succeeded.eq(true)),
            Outcome::Failed => query = query.filter(attempts::succeeded.eq(false)),
        }
        if let Some(from) = q.from {
            query = query.filter(attempts::attempted_at.ge(from));
        }
        if let Some(to) = q.to {
            query = query.filter(attempts::attempted_at.le(to));
        }
        // `(attempted_at, id) < (at, id)`, spelled with a plain bound first so that both
        // planners read a range of the index instead of filtering the whole webhook's attempts.
        if let Some((at, id)) = q.before {
            query = query
                .filter(attempts::attempted_at.le(at))
                .filter(attempts::attempted_at.lt(at).or(attempts::id.lt(id)));
        }
        if let Some((at, id)) = q.after {
            query = query
                .filter(attempts::attempted_at.ge(at))
                .filter(attempts::attempted_at.gt(at).or(attempts::id.gt(id)));
        }
        // "Previous" reads upwards from its cursor, then turns the page newest first again.
        let ascending = !q.newest_first || q.after.is_some();
        query = if ascending {
            query.order((attempts::attempted_at.asc(), attempts::id.asc()))
        } else {
            query.order((attempts::attempted_at.desc(), attempts::id.desc()))
        };
        let mut page: Vec<Attempt> = query.offset(q.offset).limit(q.limit).select(Attempt::as_select()).load(conn)?;
        if q.newest_first && q.after.is_some() {
            page.reverse();
        }
        let ids: Vec<i64> = page.iter().map(|a| a.delivery_id).collect();
        let about: std::collections::HashMap<i64, (String, String)> = deliveries::table
            .inner_join(events::table)
            .filter(deliveries::id.eq_any(&ids))
            .select((deliveries::id, deliveries::message_id, events::event_type))
            .load::<(i64, String, String)>(conn)?
            .into_iter()
            .map(|(id, message, event)| (id, (message, event)))
            .collect();
        Ok(page
            .into_iter()
            .map(|attempt| {
                let (message_id, event_type) = about.get(&attempt.delivery_id).cloned().unwrap_or_default();
                LogRow { attempt, message_id, event_type }
            })
            .collect())
    }

    /// The webhook's latest failed attempt (tests aside), read backwards from its newest.
    pub fn latest_failure(conn: &mut DbConnection, webhook_id: i64) -> QueryResult<Option<Attempt>> {
        attempts::table
            .filter(attempts::webhook_id.eq(webhook_id))
            .filter(attempts::succeeded.eq(false))
            .filter(attempts::trigger.ne("TEST"))
            .order((attempts::attempted_at.desc(), attempts::id.desc()))
            .select(Attempt::as_select())
            .first(conn)
            .optional()
    }

    /// The attempts of these deliveries, oldest first, without their bodies (a page of the
    /// deliveries list).
    pub fn summaries_of(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<AttemptSummary>> {
        attempts::table
            .filter(attempts::delivery_id.eq_any(ids))
            .order((attempts::attempted_at.asc(), attempts::id.asc()))
            .select(AttemptSummary::as_select())
            .load(conn)
    }

    /// A delivery's attempts, oldest first, in full (one delivery opened).
    pub fn of_delivery(conn: &mut DbConnection, delivery_id: i64) -> QueryResult<Vec<Attempt>> {
        attempts::table
            .filter(attempts::delivery_id.eq(delivery_id))
            .order((attempts::attempted_at.asc(), attempts::id.asc()))
            .select(Attempt::as_select())
            .load(conn)
    }

    /// Deletes up to `batch` attempts older than `before`; answers how many went.
    pub fn prune(conn: &mut DbConnection, before: i64, batch: i64) -> QueryResult<usize> {
        let old = attempts::table.filter(attempts::attempted_at.lt(before)).select(attempts::id).limit(batch);
        let ids: Vec<i64> = old.load(conn)?;
        diesel::delete(attempts::table.filter(attempts::id.eq_any(ids))).execute(conn)
    }
}
