//! A user's display preferences.

use crate::db::users::{PreferencesChange, User};
use crate::db::DbConnection;
use crate::domain::DisplayPrefs;

use super::ServiceResult;

pub fn save(conn: &mut DbConnection, user_id: i64, prefs: &DisplayPrefs) -> ServiceResult<()> {
    User::update_preferences(
        conn,
        user_id,
        &PreferencesChange {
            time_zone: prefs.time_zone.as_str(),
            date_format: prefs.date_format.as_str(),
            time_format: prefs.time_format.as_str(),
        },
    )?;
    Ok(())
}

/// Whether health alerts are mailed to the user.
pub fn set_alert_mails(conn: &mut DbConnection, user_id: i64, on: bool) -> ServiceResult<()> {
    use crate::db::schema::users;
    use diesel::prelude::*;
    diesel::update(users::table.find(user_id)).set(users::alert_mails.eq(on)).execute(conn)?;
    Ok(())
}

pub fn of(user: &User) -> DisplayPrefs {
    DisplayPrefs::from_stored(&user.time_zone, &user.date_format, &user.time_format)
}
