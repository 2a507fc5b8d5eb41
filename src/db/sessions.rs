//! The `sessions` table: who is signed in where. A row per sign-in, found by the SHA-256 of
//! the token its cookie carries; deleting the row ends the session on every instance.

use diesel::prelude::*;

use super::schema::sessions;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: i64,
    pub public_id: String,
    pub token_hash: String,
    pub user_id: i64,
    /// The browser's `User-Agent` at sign-in, cut short.
    pub user_agent: String,
    /// The client address at sign-in.
    pub address: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub public_id: &'a str,
    pub token_hash: &'a str,
    pub user_id: i64,
    pub user_agent: &'a str,
    pub address: &'a str,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

impl SessionRow {
    pub fn insert(conn: &mut DbConnection, new: &NewSession) -> QueryResult<SessionRow> {
        diesel::insert_into(sessions::table).values(new).returning(sessions::all_columns).get_result(conn)
    }

    /// The live session whose token has this hash (one indexed query).
    pub fn find_live(conn: &mut DbConnection, token_hash: &str, now: i64) -> QueryResult<Option<SessionRow>> {
        sessions::table
            .filter(sessions::token_hash.eq(token_hash))
            .filter(sessions::expires_at.gt(now))
            .select(SessionRow::as_select())
            .first(conn)
            .optional()
    }

    /// The user's live sessions, most recently seen first.
    pub fn of_user(conn: &mut DbConnection, user_id: i64, now: i64) -> QueryResult<Vec<SessionRow>> {
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::expires_at.gt(now))
            .order((sessions::last_seen_at.desc(), sessions::id.desc()))
            .select(SessionRow::as_select())
            .load(conn)
    }

    /// Ends the session with this token hash; answers the ended row's id, if there was one.
    pub fn delete_by_hash(conn: &mut DbConnection, token_hash: &str) -> QueryResult<Option<i64>> {
        diesel::delete(sessions::table.filter(sessions::token_hash.eq(token_hash)))
            .returning(sessions::id)
            .get_result(conn)
            .optional()
    }

    /// Ends one of the user's sessions by public id; answers its id, if it was theirs.
    pub fn delete_of_user(conn: &mut DbConnection, user_id: i64, public_id: &str) -> QueryResult<Option<i64>> {
        diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id)).filter(sessions::public_id.eq(public_id)))
            .returning(sessions::id)
            .get_result(conn)
            .optional()
    }

    /// Ends every session of the user but `except` (the caller's own, when they keep it).
    pub fn delete_all_of_user(conn: &mut DbConnection, user_id: i64, except: Option<i64>) -> QueryResult<usize> {
        diesel::delete(
            sessions::table.filter(sessions::user_id.eq(user_id)).filter(sessions::id.ne(except.unwrap_or(-1))),
        )
        .execute(conn)
    }

    pub fn touch(conn: &mut DbConnection, id: i64, at: i64) -> QueryResult<()> {
        diesel::update(sessions::table.find(id)).set(sessions::last_seen_at.eq(at)).execute(conn).map(drop)
    }

    /// Deletes the user's sessions past their expiry.
    pub fn delete_expired_of_user(conn: &mut DbConnection, user_id: i64, now: i64) -> QueryResult<usize> {
        diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id)).filter(sessions::expires_at.le(now)))
            .execute(conn)
    }
}
