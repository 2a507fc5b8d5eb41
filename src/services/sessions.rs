//! Signed-in sessions, held on the server: starting one at sign-in, the verdict on a
//! presented token, ending one (logout, "Sign out" on the Profile page), and ending all of a
//! user's (a password change, a reset, removal from their last workspace).
//!
//! The browser's cookie carries a random token; only its SHA-256 is stored, so a database
//! dump does not let anyone in. A session lasts [`SESSION_TTL_MS`] from sign-in.

use sha2::{Digest, Sha256};

use crate::db::sessions::{NewSession, SessionRow};
use crate::db::DbConnection;
use crate::domain::{new_public_id, random_token};

use super::ServiceResult;
use crate::clock::now_ms;

/// How long a sign-in lasts at most.
pub const SESSION_TTL_MS: i64 = 14 * 24 * 60 * 60 * 1000;

/// The longest `User-Agent` kept (it is only shown, to tell one's browsers apart).
const USER_AGENT_CHARS: usize = 200;

/// A verified session: what a request needs to act as its user. Cached per instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedIn {
    pub session_id: i64,
    pub user_id: i64,
    pub expires_at: i64,
}

/// Where a sign-in came from, as the Profile page's list shows it.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub user_agent: String,
    pub address: String,
}

/// The SHA-256 of a session token, as stored and as the cache is keyed.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Starts a session for the user; answers the token for the cookie (never stored). The
/// user's expired sessions are deleted on the way, so the table holds only live ones (and
/// those of people who stopped signing in, until they sign in again).
pub fn start(conn: &mut DbConnection, user_id: i64, client: &ClientInfo) -> ServiceResult<(String, SignedIn)> {
    let token = random_token();
    let now = now_ms();
    SessionRow::delete_expired_of_user(conn, user_id, now)?;
    let user_agent: String = client.user_agent.chars().take(USER_AGENT_CHARS).collect();
    let row = SessionRow::insert(
        conn,
        &NewSession {
            public_id: &new_public_id(),
            token_hash: &token_hash(&token),
            user_id,
            user_agent: &user_agent,
            address: &client.address,
            created_at: now,
            last_seen_at: now,
            expires_at: now + SESSION_TTL_MS,
        },
    )?;
    Ok((token, signed_in(&row)))
}

/// The live session of a token's hash, if any.
pub fn verify(conn: &mut DbConnection, hash: &str) -> ServiceResult<Option<SignedIn>> {
    Ok(SessionRow::find_live(conn, hash, now_ms())?.map(|row| signed_in(&row)))
}

/// Ends the session of this token hash (logout); answers its id if it was live.
pub fn end(conn: &mut DbConnection, hash: &str) -> ServiceResult<Option<i64>> {
    Ok(SessionRow::delete_by_hash(conn, hash)?)
}

/// Ends one of the user's own sessions by its public id ("Sign out" on the Profile page).
pub fn end_mine(conn: &mut DbConnection, user_id: i64, public_id: &str) -> ServiceResult<Option<i64>> {
    Ok(SessionRow::delete_of_user(conn, user_id, public_id)?)
}

/// Ends every session of the user except `keep` (the caller's own, when they stay signed in).
pub fn end_all(conn: &mut DbConnection, user_id: i64, keep: Option<i64>) -> ServiceResult<usize> {
    Ok(SessionRow::delete_all_of_user(conn, user_id, keep)?)
}

/// The user's live sessions, most recently seen first.
pub fn list_mine(conn: &mut DbConnection, user_id: i64) -> ServiceResult<Vec<SessionRow>> {
    Ok(SessionRow::of_user(conn, user_id, now_ms())?)
}

/// Records when a session was last seen (batched by the caller: at most once a minute).
pub fn record_seen(conn: &mut DbConnection, session_id: i64, at: i64) -> ServiceResult<()> {
    Ok(SessionRow::touch(conn, session_id, at)?)
}

fn signed_in(row: &SessionRow) -> SignedIn {
    SignedIn { session_id: row.id, user_id: row.user_id, expires_at: row.expires_at }
}
