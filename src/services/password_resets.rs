//! Forgotten passwords: a one-time link by mail (its token stored hashed, valid an hour, used
//! once) that sets a new password and ends every session of the account. Asking answers the
//! same whether or not the address has an account; an account gets at most
//! [`PER_ACCOUNT_PER_HOUR`] links an hour (counted under a lock on its row, so simultaneous
//! asks cannot pass the limit together), and the page throttles each client address too.

use diesel::prelude::*;

use crate::db::schema::{password_resets, users};
use crate::db::users::User;
use crate::db::DbConnection;
use crate::domain::{random_token, Email};
use crate::services::mail::{self, Outgoing};
use crate::services::sessions::token_hash;
use crate::services::ServiceResult;

pub const VALID_MS: i64 = 3_600_000;
/// Asks per client address and hour.
pub const PER_ADDRESS_PER_HOUR: u32 = 5;

/// The per-address limit of asks: governor's keyed GCRA, atomic under simultaneous requests
/// (in memory, per instance; the per-account limit is in the database).
pub struct AddressThrottle(governor::DefaultKeyedRateLimiter<std::net::IpAddr>);

impl Default for AddressThrottle {
    fn default() -> Self {
        let burst = std::num::NonZeroU32::new(PER_ADDRESS_PER_HOUR).unwrap_or(std::num::NonZeroU32::MIN);
        Self(governor::RateLimiter::keyed(governor::Quota::per_hour(burst).allow_burst(burst)))
    }
}

impl AddressThrottle {
    /// Whether one more ask from `address` may go through now.
    pub fn admit(&self, address: std::net::IpAddr) -> bool {
        self.0.check_key(&address).is_ok()
    }
}
pub const PER_ACCOUNT_PER_HOUR: i64 = 3;

/// Mails a link to the account of `email`, if there is one and it has not had its links for
/// this hour. Answers whether a mail was queued (never shown to the asker).
pub fn request(conn: &mut DbConnection, email: &Email, base_url: &str, now: i64) -> ServiceResult<bool> {
    let Some(user) = User::find_by_email(conn, email.as_str())? else { return Ok(false) };
    if let DbConnection::Postgresql(pg) = conn {
        // Simultaneous asks for one account count one after another.
        users::table.find(user.id).select(users::id).for_update().first::<i64>(pg)?;
    }
    let recent: i64 = password_resets::table
        .filter(password_resets::user_id.eq(user.id))
        .filter(password_resets::created_at.gt(now - VALID_MS))
        .count()
        .get_result(conn)?;
    if recent >= PER_ACCOUNT_PER_HOUR {
        return Ok(false);
    }
    let token = random_token();
    let hash = token_hash(&token);
    diesel::insert_into(password_resets::table)
        .values((
            password_resets::user_id.eq(user.id),
            password_resets::token_hash.eq(&hash),
            password_resets::created_at.eq(now),
            password_resets::expires_at.eq(now + VALID_MS),
        ))
        .execute(conn)?;
    let body = format!(
        "Someone (we hope you) asked to set a new password for {email} on keyhook.\n\n\
         Set a new password: {base_url}/password/reset/{token}\n\n\
         The link works once, for an hour. Setting a password signs you out everywhere else. \
         If you did not ask, ignore this mail: your password stays as it is.\n",
        email = user.email,
    );
    mail::queue(
        conn,
        vec![Outgoing {
            key: format!("reset:{hash}"),
            to: user.email.clone(),
            subject: "Set a new keyhook password".into(),
            body,
        }],
    )?;
    Ok(true)
}

/// The account a link is for, while it is unused and unexpired.
pub fn open(conn: &mut DbConnection, token: &str, now: i64) -> ServiceResult<Option<User>> {
    let user_id: Option<i64> = password_resets::table
        .filter(password_resets::token_hash.eq(token_hash(token)))
        .filter(password_resets::used_at.is_null())
        .filter(password_resets::expires_at.gt(now))
        .select(password_resets::user_id)
        .first(conn)
        .optional()?;
    match user_id {
        Some(id) => Ok(User::find(conn, id)?),
        None => Ok(None),
    }
}

/// Uses the link: sets the password (already hashed), ends every session of the account and
/// spends its other links. Answers the account, or `None` if the link was used, expired or
/// never existed (the update that marks it used is the one that may set the password).
pub fn complete(conn: &mut DbConnection, token: &str, password_hash: &str, now: i64) -> ServiceResult<Option<i64>> {
    let hash = token_hash(token);
    let Some(user_id) = open(conn, token, now)?.map(|u| u.id) else { return Ok(None) };
    let spent = diesel::update(
        password_resets::table
            .filter(password_resets::token_hash.eq(&hash))
            .filter(password_resets::used_at.is_null())
            .filter(password_resets::expires_at.gt(now)),
    )
    .set(password_resets::used_at.eq(now))
    .execute(conn)?;
    if spent != 1 {
        return Ok(None);
    }
    diesel::update(
        password_resets::table.filter(password_resets::user_id.eq(user_id)).filter(password_resets::used_at.is_null()),
    )
    .set(password_resets::used_at.eq(now))
    .execute(conn)?;
    super::accounts::set_password(conn, user_id, password_hash, None)?;
    Ok(Some(user_id))
}
