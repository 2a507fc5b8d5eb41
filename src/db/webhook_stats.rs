//! The `webhook_stats` table: each webhook's attempts and failures by 5-minute bucket, added to
//! by the recorder with each batch; the health ladder reads the last hour's and day's shares
//! from it without counting attempts.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::upsert::excluded;

use super::schema::webhook_stats;
use super::DbConnection;

/// The width of a bucket.
pub const BUCKET_MS: i64 = 5 * 60_000;

/// The bucket an instant falls in.
pub fn bucket_of(at: i64) -> i64 {
    at.div_euclid(BUCKET_MS) * BUCKET_MS
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Insertable)]
#[diesel(table_name = webhook_stats)]
pub struct Counts {
    pub webhook_id: i64,
    pub bucket: i64,
    pub attempts: i64,
    pub failures: i64,
}

/// Adds the counts to their buckets: one statement on PostgreSQL; on SQLite (in-process, no
/// round trips) one per row.
pub fn add(conn: &mut DbConnection, counts: &[Counts]) -> QueryResult<()> {
    macro_rules! upsert {
        ($rows:expr, $conn:expr) => {
            diesel::insert_into(webhook_stats::table)
                .values($rows)
                .on_conflict((webhook_stats::webhook_id, webhook_stats::bucket))
                .do_update()
                .set((
                    webhook_stats::attempts.eq(webhook_stats::attempts + excluded(webhook_stats::attempts)),
                    webhook_stats::failures.eq(webhook_stats::failures + excluded(webhook_stats::failures)),
                ))
                .execute($conn)
        };
    }
    match conn {
        _ if counts.is_empty() => {}
        DbConnection::Postgresql(pg) => {
            upsert!(counts, pg)?;
        }
        DbConnection::Sqlite(lite) => {
            for row in counts {
                upsert!(row, lite)?;
            }
        }
    }
    Ok(())
}

/// Each webhook's attempts and failures since `from` (the buckets starting at or after it).
pub fn since(conn: &mut DbConnection, from: i64, webhook_ids: Option<&[i64]>) -> QueryResult<HashMap<i64, (i64, i64)>> {
    let mut query = webhook_stats::table.filter(webhook_stats::bucket.ge(bucket_of(from))).into_boxed();
    if let Some(ids) = webhook_ids {
        query = query.filter(webhook_stats::webhook_id.eq_any(ids));
    }
    let rows: Vec<(i64, i64, i64)> =
        query.select((webhook_stats::webhook_id, webhook_stats::attempts, webhook_stats::failures)).load(conn)?;
    let mut sums: HashMap<i64, (i64, i64)> = HashMap::new();
    for (id, attempts, failures) in rows {
        let sum = sums.entry(id).or_default();
        *sum = (sum.0 + attempts, sum.1 + failures);
    }
    Ok(sums)
}

/// Drops buckets older than `before`.
pub fn prune(conn: &mut DbConnection, before: i64) -> QueryResult<usize> {
    diesel::delete(webhook_stats::table.filter(webhook_stats::bucket.lt(before))).execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_fall_in_their_five_minutes() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(BUCKET_MS - 1), 0);
        assert_eq!(bucket_of(BUCKET_MS), BUCKET_MS);
        assert_eq!(bucket_of(-1), -BUCKET_MS);
    }
}
