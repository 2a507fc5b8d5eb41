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

pub fn of(user: &User) -> DisplayPrefs {
    DisplayPrefs::from_stored(&user.time_zone, &user.date_format, &user.time_format)
}
