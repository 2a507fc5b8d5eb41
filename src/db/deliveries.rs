//! The `deliveries` table: one row per event and webhook, with its retry state and lease.

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::schema::{deliveries, webhooks};
use super::DbConnection;
use crate::domain::DeliveryState;

/// The only state the sender sends from.
const PENDING: &str = DeliveryState::Pending.as_str();

/// `deliveries.state = 'PENDING'` said as a literal, not a bound parameter: with SQLite's
/// planner stability guarantee on (`.cargo/config.toml`) and PostgreSQL's generic plans
/// (`db::SessionSettings`), a partial index on pending deliveries serves only a query that
/// states its condition itself. A fixed text, so the
/// statements using it stay prepared.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
pub struct IsPending;

impl Expression for IsPending {
    type SqlType = diesel::sql_types::Bool;
}

impl<QS> AppearsOnTable<QS> for IsPending {}

impl<QS> SelectableExpression<QS> for IsPending {}

impl<G> diesel::expression::ValidGrouping<G> for IsPending {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl<DB: diesel::backend::Backend> diesel::query_builder::QueryFragment<DB> for IsPending {
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("deliveries.state = 'PENDING'");
        Ok(())
    }
}

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = deliveries)]
pub struct Delivery {
    pub id: i64,
    pub message_id: String,
    pub event_id: i64,
    pub webhook_id: i64,
    pub trigger: String,
    pub state: String,
    pub attempts: i32,
    pub retries: bool,
    pub next_attempt_at: Option<i64>,
    pub lease_until: Option<i64>,
    pub created_at: i64,
    /// The latest attempt's status: the HTTP code or the error class (`None` before the first).
    pub last_status: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = deliveries)]
pub struct NewDelivery<'a> {
    pub message_id: &'a str,
    pub event_id: i64,
    pub webhook_id: i64,
    pub trigger: &'a str,
    pub state: &'a str,
    pub retries: bool,
    pub next_attempt_at: Option<i64>,
    /// Set when the delivery is handed to this process's sender as it commits (no claim needed).
    pub lease_until: Option<i64>,
    pub created_at: i64,
}

/// What an attempt leaves behind on its delivery.
#[derive(AsChangeset, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = deliveries, treat_none_as_null = true)]
pub struct AfterAttempt<'a> {
    pub state: &'a str,
    pub attempts: i32,
    pub next_attempt_at: Option<i64>,
    pub lease_until: Option<i64>,
    pub last_status: Option<String>,
}

const CLAIM_COLUMNS: &str =
    "id, message_id, event_id, webhook_id, trigger, state, attempts, retries, next_attempt_at, lease_until, created_at, last_status";

/// Runs `f` on PostgreSQL with only plans that walk indexes: index scans joined by nested
/// loops, no sequential scan, sort, incremental sort, hash or merge join, for its own
/// transaction (`SET LOCAL`; inside a caller's transaction a savepoint, and the settings then
/// last until the caller's ends). For the statements over [`due_of_hook`], which read a few rows
/// of a large table: whatever the statistics say, the planner otherwise finds plans that read a
/// webhook's whole backlog to return its first rows (an incremental sort over the
/// `deliveries_by_webhook` index: 54 ms for a claim of 500 of 45,000 pending, against 1.4 ms in
/// the due index's order), or join the claimed ids to the table by hashing every row of it
/// (40,003 entries of the primary key read to lease 100).
fn on_indexes_only<T>(
    pg: &mut diesel::PgConnection,
    f: impl FnOnce(&mut diesel::PgConnection) -> QueryResult<T>,
) -> QueryResult<T> {
    use diesel::connection::SimpleConnection;
    pg.transaction(|pg| {
        pg.batch_execute(
            "SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off; SET LOCAL enable_incremental_sort = off; \
             SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off",
        )?;
        f(pg)
    })
}

/// PostgreSQL's condition for the due, unleased deliveries of the webhook `hook` (an SQL
/// expression) in `table`, in the order they are claimed. Said so that only the per-webhook
/// due index (`webhook_id, next_attempt_at, id`, on pending rows) can serve it: with
/// `webhook_id = hook` the planner drops the webhook from the order (it is constant) and may
/// walk the global due index instead, filtering out every other webhook's rows and every leased
/// one on the way (46 ms a probe, a 100,000-delivery drain at 444/s instead of 3,500). A range on
/// the webhook with a row comparison bounds the index scan to this webhook's due rows, and the
/// order by webhook first is one the global index cannot give without sorting them all (which
/// [`on_indexes_only`] rules out).
fn due_of_hook(table: &str, hook: &str, now: &str) -> String {
    format!(
        "{table}.webhook_id >= {hook} AND ({table}.webhook_id, {table}.next_attempt_at) <= ({hook}, {now}) \
         AND {table}.state = 'PENDING' AND ({table}.lease_until IS NULL OR {table}.lease_until < {now}) \
         ORDER BY {table}.webhook_id, {table}.next_attempt_at, {table}.id"
    )
}

impl Delivery {
    /// Inserts the rows and answers their ids, in order: one statement per 5,000 rows on
    /// PostgreSQL (nine parameters a row, and a statement takes at most 65,535); on SQLite
    /// (in-process, no round trips) one per row.
    pub fn insert_all(conn: &mut DbConnection, new: &[NewDelivery]) -> QueryResult<Vec<i64>> {
        match conn {
            DbConnection::Postgresql(pg) => super::in_chunks(new, 5_000, |chunk| {
                diesel::insert_into(deliveries::table).values(chunk).returning(deliveries::id).get_results(pg)
            }),
            DbConnection::Sqlite(lite) => new
                .iter()
                .map(|row| {
                    diesel::insert_into(deliveries::table).values(row).returning(deliveries::id).get_result(lite)
                })
                .collect(),
        }
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Delivery>> {
        deliveries::table.find(id).select(Delivery::as_select()).first(conn).optional()
    }

    /// Webhooks that have due, unleased deliveries (at most `limit` of them). One index probe
    /// per webhook, so a large backlog does not make each look slower.
    ///
    /// PostgreSQL's planner, left to itself, picks plans that read every due row instead: a
    /// semi-join over the due index (17.8 ms a poll in the fleet bench's failing run, 40 % of
    /// a core), or a sequential scan per webhook when most rows are PENDING at its last ANALYZE
    /// (which then reads every row delivered since: 615 deliveries/s draining 50 webhooks'
    /// backlog instead of 3,000). So the probe is a `LATERAL ... LIMIT 1` over
    /// [`due_of_hook`], [`on_indexes_only`]. The excluded webhooks are a hashed `NOT IN`, not
    /// `<> ALL` (150 open circuits made that 150 comparisons for each of 1,000 webhooks: 4 ms).
    pub fn due_webhooks(conn: &mut DbConnection, now: i64, limit: i64, except: &[i64]) -> QueryResult<Vec<i64>> {
        #[derive(QueryableByName)]
        struct Due {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        if let DbConnection::Postgresql(pg) = conn {
            return on_indexes_only(pg, |pg| {
                let due: Vec<Due> = diesel::sql_query(format!(
                    "SELECT w.id FROM webhooks w CROSS JOIN LATERAL ( \
                       SELECT 1 FROM deliveries d WHERE {} LIMIT 1) due \
                     WHERE w.id NOT IN (SELECT unnest($2::bigint[])) LIMIT $3",
                    due_of_hook("d", "w.id", "$1")
                ))
                .bind::<BigInt, _>(now)
                .bind::<diesel::sql_types::Array<BigInt>, _>(except)
                .bind::<BigInt, _>(limit)
                .load(pg)?;
                Ok(due.into_iter().map(|d| d.id).collect())
            });
        }
        let due = deliveries::table
            .filter(deliveries::webhook_id.eq(webhooks::id))
            .filter(IsPending)
            .filter(deliveries::next_attempt_at.le(now))
            .filter(deliveries::lease_until.is_null().or(deliveries::lease_until.lt(now)))
            .select(deliveries::id);
        webhooks::table
            .filter(diesel::dsl::exists(due))
            .filter(webhooks::id.ne_all(except))
            .select(webhooks::id)
            .limit(limit)
            .load(conn)
    }

    /// Leases up to `limit` due deliveries of one webhook until `lease_until`, on SQLite: a
    /// conditional update is enough there (one process, one writer).
    fn claim_due_sqlite(
        lite: &mut diesel::SqliteConnection,
        webhook_id: i64,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> QueryResult<Vec<Delivery>> {
        // Placeholders appear in numeric order: SQLite numbers `$N` by first appearance.
        diesel::sql_query(format!(
            "UPDATE deliveries SET lease_until = $1 WHERE id IN ( \
               SELECT id FROM deliveries WHERE webhook_id = $2 AND state = 'PENDING' AND next_attempt_at <= $3 \
               AND (lease_until IS NULL OR lease_until < $3) ORDER BY next_attempt_at, id LIMIT $4) \
             RETURNING {CLAIM_COLUMNS}"
        ))
        .bind::<BigInt, _>(lease_until)
        .bind::<BigInt, _>(webhook_id)
        .bind::<BigInt, _>(now)
        .bind::<BigInt, _>(limit)
        .load(lite)
    }

    /// Leases due deliveries of several webhooks until `lease_until`, each with its own limit, at
    /// most `room` in all: on PostgreSQL in one statement with `FOR UPDATE SKIP LOCKED` (several
    /// instances never claim the same row) (a claim per webhook cost a round trip each, and at a
    /// few hundred webhooks with due retries the claims fell behind their due times); on SQLite
    /// one per webhook.
    pub fn claim_due_each(
        conn: &mut DbConnection,
        takes: &[(i64, i64)],
        now: i64,
        lease_until: i64,
        room: i64,
    ) -> QueryResult<Vec<Delivery>> {
        match conn {
            DbConnection::Postgresql(pg) => {
                let (ids, limits): (Vec<i64>, Vec<i64>) = takes.iter().copied().unzip();
                let sql = format!(
                    "UPDATE deliveries SET lease_until = $1 WHERE id IN ( \
                       SELECT due.id FROM unnest($2::bigint[], $3::bigint[]) AS hook(id, take) \
                       CROSS JOIN LATERAL ( \
                         SELECT id FROM deliveries WHERE {} LIMIT hook.take FOR UPDATE SKIP LOCKED) AS due \
                       LIMIT $5) \
                     RETURNING {CLAIM_COLUMNS}",
                    due_of_hook("deliveries", "hook.id", "$4")
                );
                let query = diesel::sql_query(sql)
                    .bind::<BigInt, _>(lease_until)
                    .bind::<diesel::sql_types::Array<BigInt>, _>(ids)
                    .bind::<diesel::sql_types::Array<BigInt>, _>(limits)
                    .bind::<BigInt, _>(now)
                    .bind::<BigInt, _>(room);
                on_indexes_only(pg, |pg| query.load(pg))
            }
            DbConnection::Sqlite(lite) => {
                let mut claimed = Vec::new();
                for &(webhook_id, take) in takes {
                    let left = room - i64::try_from(claimed.len()).unwrap_or(i64::MAX);
                    if left <= 0 {
                        break;
                    }
                    claimed.extend(Self::claim_due_sqlite(lite, webhook_id, now, lease_until, take.min(left))?);
                }
                Ok(claimed)
            }
        }
    }

    /// Gives claimed deliveries back (a sender shutting down): claimable again at once.
    pub fn release(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<usize> {
        diesel::update(deliveries::table.filter(deliveries::id.eq_any(ids)).filter(deliveries::state.eq(PENDING)))
            .set(deliveries::lease_until.eq(None::<i64>))
            .execute(conn)
    }

    pub fn record(conn: &mut DbConnection, id: i64, after: &AfterAttempt) -> QueryResult<()> {
        diesel::update(deliveries::table.find(id)).set(after).execute(conn).map(drop)
    }

    /// [`Delivery::record`] for many deliveries that end the same way (most often: succeeded
    /// at the first attempt), in one statement.
    pub fn record_many(conn: &mut DbConnection, ids: &[i64], after: &AfterAttempt) -> QueryResult<()> {
        diesel::update(deliveries::table.filter(deliveries::id.eq_any(ids))).set(after).execute(conn).map(drop)
    }

    /// When the earliest pending delivery due after `now` falls due, except those of the
    /// webhooks in `except` (open circuits: their deliveries wait for a probe, and each new one
    /// woke the poll, 20 times a second with 150 failing endpoints): one seek in the due index,
    /// whatever the backlog. Deliveries due already are the poll's to claim, or wait for a send
    /// of their webhook to end, or for their circuit's probe; none is a time to wake at.
    pub fn next_due_after(conn: &mut DbConnection, now: i64, except: &[i64]) -> QueryResult<Option<i64>> {
        deliveries::table
            .filter(IsPending)
            .filter(deliveries::next_attempt_at.gt(now))
            .filter(deliveries::webhook_id.ne_all(except))
            .select(diesel::dsl::min(deliveries::next_attempt_at))
            .first(conn)
    }

    /// Whether one of the webhook's deliveries is to be sent before `until` (a test or resend
    /// just queued): the attempts list keeps refreshing itself while so.
    pub fn due_before(conn: &mut DbConnection, webhook_id: i64, until: i64) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            deliveries::table
                .filter(deliveries::webhook_id.eq(webhook_id))
                .filter(IsPending)
                .filter(deliveries::next_attempt_at.le(until)),
        ))
        .get_result(conn)
    }

    /// How many of the webhook's deliveries it missed while disabled by failures.
    pub fn count_missed(conn: &mut DbConnection, webhook_id: i64) -> QueryResult<i64> {
        deliveries::table
            .filter(deliveries::webhook_id.eq(webhook_id))
            .filter(deliveries::state.eq(DeliveryState::Missed.as_str()))
            .count()
            .get_result(conn)
    }

    /// Settles the webhook's missed deliveries as it is enabled again: due now (`replay`), in
    /// the order they were made, or cancelled. Answers how many.
    pub fn settle_missed(conn: &mut DbConnection, webhook_id: i64, replay: bool, now: i64) -> QueryResult<usize> {
        let missed = deliveries::table
            .filter(deliveries::webhook_id.eq(webhook_id))
            .filter(deliveries::state.eq(DeliveryState::Missed.as_str()));
        if replay {
            diesel::update(missed)
                .set((
                    deliveries::state.eq(PENDING),
                    deliveries::next_attempt_at.eq(now),
                    deliveries::lease_until.eq(None::<i64>),
                ))
                .execute(conn)
        } else {
            diesel::update(missed).set(deliveries::state.eq(DeliveryState::Cancelled.as_str())).execute(conn)
        }
    }

    /// How many deliveries wait, and when the oldest due one was due.
    pub fn backlog(conn: &mut DbConnection, now: i64) -> QueryResult<(i64, Option<i64>)> {
        let depth = deliveries::table.filter(IsPending).count().get_result(conn)?;
        let oldest = deliveries::table
            .filter(IsPending)
            .filter(deliveries::next_attempt_at.le(now))
            .select(diesel::dsl::min(deliveries::next_attempt_at))
            .first::<Option<i64>>(conn)?;
        Ok((depth, oldest))
    }
}
