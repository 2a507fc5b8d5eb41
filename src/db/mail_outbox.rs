//! The `mail_outbox` table: mails to send, claimed like deliveries (a lease; `SKIP LOCKED` on
//! PostgreSQL, so two instances never send the same mail), retried until sent.

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::schema::mail_outbox;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = mail_outbox)]
pub struct Mail {
    pub id: i64,
    pub dedup_key: String,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
    pub next_attempt_at: Option<i64>,
    pub attempts: i32,
    pub lease_until: Option<i64>,
    pub sent_at: Option<i64>,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = mail_outbox)]
pub struct NewMail {
    pub dedup_key: String,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
    pub next_attempt_at: Option<i64>,
}

impl Mail {
    /// Queues mails; one whose `dedup_key` is queued already is left out. Answers how many
    /// were queued.
    pub fn enqueue(conn: &mut DbConnection, mails: &[NewMail]) -> QueryResult<usize> {
        let mut queued = 0;
        for mail in mails {
            let insert = diesel::insert_into(mail_outbox::table).values(mail).on_conflict_do_nothing();
            queued += match conn {
                DbConnection::Postgresql(pg) => insert.execute(pg)?,
                DbConnection::Sqlite(lite) => insert.execute(lite)?,
            };
        }
        Ok(queued)
    }

    /// Leases up to `limit` due mails until `lease_until`.
    pub fn claim_due(conn: &mut DbConnection, now: i64, lease_until: i64, limit: i64) -> QueryResult<Vec<Mail>> {
        let lock = match conn {
            DbConnection::Postgresql(_) => "FOR UPDATE SKIP LOCKED",
            DbConnection::Sqlite(_) => "",
        };
        // Placeholders appear in numeric order: SQLite numbers `$N` by first appearance.
        diesel::sql_query(format!(
            "UPDATE mail_outbox SET lease_until = $1 WHERE id IN ( \
               SELECT id FROM mail_outbox WHERE next_attempt_at <= $2 \
               AND (lease_until IS NULL OR lease_until < $2) ORDER BY next_attempt_at, id LIMIT $3 {lock}) \
             RETURNING id, dedup_key, to_address, subject, body, created_at, next_attempt_at, attempts, \
               lease_until, sent_at, last_error"
        ))
        .bind::<BigInt, _>(lease_until)
        .bind::<BigInt, _>(now)
        .bind::<BigInt, _>(limit)
        .load(conn)
    }

    pub fn sent(conn: &mut DbConnection, id: i64, at: i64) -> QueryResult<()> {
        diesel::update(mail_outbox::table.find(id))
            .set((
                mail_outbox::sent_at.eq(at),
                mail_outbox::next_attempt_at.eq(None::<i64>),
                mail_outbox::lease_until.eq(None::<i64>),
                mail_outbox::attempts.eq(mail_outbox::attempts + 1),
                mail_outbox::last_error.eq(None::<String>),
            ))
            .execute(conn)
            .map(drop)
    }

    /// A failed try: due again at `next` (or never, `None`: given up on).
    pub fn failed(conn: &mut DbConnection, id: i64, next: Option<i64>, error: &str) -> QueryResult<()> {
        diesel::update(mail_outbox::table.find(id))
            .set((
                mail_outbox::next_attempt_at.eq(next),
                mail_outbox::lease_until.eq(None::<i64>),
                mail_outbox::attempts.eq(mail_outbox::attempts + 1),
                mail_outbox::last_error.eq(error),
            ))
            .execute(conn)
            .map(drop)
    }

    /// When the earliest unsent mail falls due.
    pub fn next_due(conn: &mut DbConnection) -> QueryResult<Option<i64>> {
        mail_outbox::table.select(diesel::dsl::min(mail_outbox::next_attempt_at)).first(conn)
    }

    /// Drops sent and given-up mails older than `before`.
    pub fn prune(conn: &mut DbConnection, before: i64) -> QueryResult<usize> {
        diesel::delete(
            mail_outbox::table
                .filter(mail_outbox::next_attempt_at.is_null())
                .filter(mail_outbox::created_at.lt(before)),
        )
        .execute(conn)
    }
}
