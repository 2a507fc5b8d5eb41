//! Which query failed: every connection reports its queries to [`watch`], which keeps the SQL
//! of the last one that failed on this thread (without its bound values, which may hold
//! secrets or people's data), so the error that reaches the log can name it instead of saying
//! only "database query failed".

use std::cell::RefCell;

use diesel::connection::{Instrumentation, InstrumentationEvent};

/// The longest SQL text kept for a message.
const MAX_CHARS: usize = 300;

thread_local! {
    static LAST_FAILED: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The instrumentation each pooled connection gets.
pub fn watch() -> impl Instrumentation {
    |event: InstrumentationEvent<'_>| match event {
        // A new query on this thread: an older failure is no longer the one being reported.
        InstrumentationEvent::StartQuery { .. } => LAST_FAILED.with(|last| *last.borrow_mut() = None),
        InstrumentationEvent::FinishQuery { query, error: Some(_), .. } => {
            let text = query.to_string();
            let sql = text.split(" -- binds:").next().unwrap_or_default().trim();
            let mut kept: String = sql.chars().take(MAX_CHARS).collect();
            if kept.len() < sql.len() {
                kept.push('…');
            }
            LAST_FAILED.with(|last| *last.borrow_mut() = Some(kept));
        }
        _ => {}
    }
}

/// The SQL of the query that failed last on this thread, taken (so it is reported once).
pub fn take() -> Option<String> {
    LAST_FAILED.with(|last| last.borrow_mut().take())
}

#[cfg(test)]
mod tests {
    use diesel::connection::Connection;
    use diesel::sql_types::Text;
    use diesel::{RunQueryDsl, SqliteConnection};

    #[test]
    fn a_failed_query_is_named_without_its_values() {
        let mut conn = SqliteConnection::establish(":memory:").expect("SQLite");
        conn.set_instrumentation(super::watch());
        let failed = diesel::sql_query("SELECT * FROM missing_table WHERE token = ?")
            .bind::<Text, _>("a-secret-value")
            .execute(&mut conn);
        assert!(failed.is_err());
        let sql = super::take().expect("the failed query is kept");
        assert!(sql.contains("FROM missing_table"), "{sql}");
        assert!(!sql.contains("a-secret-value"), "no bound value: {sql}");
        assert_eq!(super::take(), None, "reported once");
        diesel::sql_query("SELECT 1").execute(&mut conn).expect("works");
        assert_eq!(super::take(), None, "a query that works leaves nothing");
    }
}
