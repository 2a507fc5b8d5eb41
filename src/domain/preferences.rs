//! A user's display preferences, and the one function that formats an instant for them.
//! Every page that shows a time calls [`DisplayPrefs::format_instant`].

use jiff::tz::TimeZone;
use jiff::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFormat {
    MonthDayYearSlash,
    DayMonthYearSlash,
    YearMonthDayDash,
    DayMonthYearDot,
    DayMonthYearDash,
    MonthDayYearDash,
}

impl DateFormat {
    pub const ALL: [DateFormat; 6] = [
        DateFormat::MonthDayYearSlash,
        DateFormat::DayMonthYearSlash,
        DateFormat::YearMonthDayDash,
        DateFormat::DayMonthYearDot,
        DateFormat::DayMonthYearDash,
        DateFormat::MonthDayYearDash,
    ];

    pub fn parse(input: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == input.trim())
            .ok_or_else(|| "Choose a date format from the list.".to_owned())
    }

    /// The stored and API spelling, as Clockify's `dateFormat`.
    pub fn as_str(self) -> &'static str {
        match self {
            DateFormat::MonthDayYearSlash => "MM/DD/YYYY",
            DateFormat::DayMonthYearSlash => "DD/MM/YYYY",
            DateFormat::YearMonthDayDash => "YYYY-MM-DD",
            DateFormat::DayMonthYearDot => "DD.MM.YYYY",
            DateFormat::DayMonthYearDash => "DD-MM-YYYY",
            DateFormat::MonthDayYearDash => "MM-DD-YYYY",
        }
    }

    fn strftime(self) -> &'static str {
        match self {
            DateFormat::MonthDayYearSlash => "%m/%d/%Y",
            DateFormat::DayMonthYearSlash => "%d/%m/%Y",
            DateFormat::YearMonthDayDash => "%Y-%m-%d",
            DateFormat::DayMonthYearDot => "%d.%m.%Y",
            DateFormat::DayMonthYearDash => "%d-%m-%Y",
            DateFormat::MonthDayYearDash => "%m-%d-%Y",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFormat {
    Hour12,
    Hour24,
}

impl TimeFormat {
    pub const ALL: [TimeFormat; 2] = [TimeFormat::Hour12, TimeFormat::Hour24];

    pub fn parse(input: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == input.trim())
            .ok_or_else(|| "Choose 12-hour or 24-hour.".to_owned())
    }

    /// The stored and API spelling, as Clockify's `timeFormat`.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeFormat::Hour12 => "HOUR12",
            TimeFormat::Hour24 => "HOUR24",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TimeFormat::Hour12 => "12-hour",
            TimeFormat::Hour24 => "24-hour",
        }
    }

    fn strftime(self) -> &'static str {
        // Seconds matter on an attempts log, where several tries can fall in one minute.
        match self {
            TimeFormat::Hour12 => "%-I:%M:%S %p",
            TimeFormat::Hour24 => "%H:%M:%S",
        }
    }
}

/// An IANA time zone name known to the bundled time-zone database.
#[derive(Debug, Clone)]
pub struct TimeZoneName {
    name: String,
    zone: TimeZone,
}

impl TimeZoneName {
    pub fn parse(input: &str) -> Result<Self, String> {
        let name = input.trim();
        // `TimeZone::get` also accepts odd spellings (case, legacy links); keep the canonical
        // list's spelling so that what is stored is what the dropdown shows.
        if !Self::all().iter().any(|known| known == name) {
            return Err("Choose a time zone from the list.".into());
        }
        let zone = TimeZone::get(name).map_err(|_| "Choose a time zone from the list.".to_owned())?;
        Ok(Self { name: name.to_owned(), zone })
    }

    pub fn utc() -> Self {
        Self { name: "UTC".into(), zone: TimeZone::UTC }
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// Every time zone name, sorted, computed once.
    pub fn all() -> &'static [String] {
        static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        NAMES.get_or_init(|| {
            let mut names: Vec<String> = jiff::tz::db().available().map(|n| n.as_str().to_owned()).collect();
            names.sort();
            names
        })
    }
}

/// How one user wants instants shown.
#[derive(Debug, Clone)]
pub struct DisplayPrefs {
    pub time_zone: TimeZoneName,
    pub date_format: DateFormat,
    pub time_format: TimeFormat,
}

impl DisplayPrefs {
    /// Reads stored preferences, falling back to defaults for any value the current build no
    /// longer knows (a time zone renamed in a tzdata update must not break every page).
    pub fn from_stored(time_zone: &str, date_format: &str, time_format: &str) -> Self {
        Self {
            time_zone: TimeZoneName::parse(time_zone).unwrap_or_else(|_| TimeZoneName::utc()),
            date_format: DateFormat::parse(date_format).unwrap_or(DateFormat::MonthDayYearSlash),
            time_format: TimeFormat::parse(time_format).unwrap_or(TimeFormat::Hour12),
        }
    }

    /// Formats Unix milliseconds as date and time in the user's zone and formats.
    pub fn format_instant(&self, unix_ms: i64) -> String {
        let Ok(timestamp) = Timestamp::from_millisecond(unix_ms) else {
            return "—".into();
        };
        let zoned = timestamp.to_zoned(self.time_zone.zone.clone());
        format!("{} {}", zoned.strftime(self.date_format.strftime()), zoned.strftime(self.time_format.strftime()))
    }

    /// The instant as a `datetime-local` field's value in the user's zone (`2024-01-31T09:30`).
    pub fn local_input(&self, unix_ms: i64) -> String {
        Timestamp::from_millisecond(unix_ms)
            .map(|t| t.to_zoned(self.time_zone.zone.clone()).strftime("%Y-%m-%dT%H:%M").to_string())
            .unwrap_or_default()
    }

    /// Reads a `datetime-local` field's value as a time in the user's zone, as Unix ms.
    pub fn parse_local(&self, input: &str) -> Result<i64, String> {
        let civil: jiff::civil::DateTime =
            input.trim().parse().map_err(|_| "Enter a date and time, like 2024-01-31 09:30.".to_owned())?;
        civil
            .to_zoned(self.time_zone.zone.clone())
            .map(|zoned| zoned.timestamp().as_millisecond())
            .map_err(|_| "That time does not exist in your time zone.".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefs(tz: &str, date: &str, time: &str) -> DisplayPrefs {
        DisplayPrefs {
            time_zone: TimeZoneName::parse(tz).expect("zone"),
            date_format: DateFormat::parse(date).expect("date"),
            time_format: TimeFormat::parse(time).expect("time"),
        }
    }

    // 2022-11-30T02:06:04.500Z
    const INSTANT: i64 = 1_669_773_964_500;

    #[test]
    fn local_inputs_round_trip_in_the_users_zone() {
        let kolkata = prefs("Asia/Kolkata", "DD-MM-YYYY", "HOUR24");
        assert_eq!(kolkata.local_input(INSTANT), "2022-11-30T07:36");
        assert_eq!(kolkata.parse_local("2022-11-30T07:36"), Ok(INSTANT - 4_500));
        assert!(kolkata.parse_local("yesterday").is_err());
        assert!(kolkata.parse_local("").is_err());
    }

    #[test]
    fn formats_in_the_users_zone_and_formats() {
        assert_eq!(prefs("UTC", "MM/DD/YYYY", "HOUR12").format_instant(INSTANT), "11/30/2022 2:06:04 AM");
        assert_eq!(prefs("UTC", "YYYY-MM-DD", "HOUR24").format_instant(INSTANT), "2022-11-30 02:06:04");
        assert_eq!(prefs("America/New_York", "DD.MM.YYYY", "HOUR12").format_instant(INSTANT), "29.11.2022 9:06:04 PM");
        assert_eq!(prefs("Asia/Kolkata", "DD-MM-YYYY", "HOUR24").format_instant(INSTANT), "30-11-2022 07:36:04");
        assert_eq!(prefs("UTC", "DD/MM/YYYY", "HOUR24").format_instant(INSTANT), "30/11/2022 02:06:04");
        assert_eq!(prefs("UTC", "MM-DD-YYYY", "HOUR24").format_instant(INSTANT), "11-30-2022 02:06:04");
    }

    #[test]
    fn daylight_saving_is_followed() {
        // 2022-07-01T12:00:00Z is 14:00 in Berlin (CEST), 2022-01-01T12:00:00Z is 13:00 (CET).
        let berlin = prefs("Europe/Berlin", "YYYY-MM-DD", "HOUR24");
        assert_eq!(berlin.format_instant(1_656_676_800_000), "2022-07-01 14:00:00");
        assert_eq!(berlin.format_instant(1_641_038_400_000), "2022-01-01 13:00:00");
    }

    #[test]
    fn refuses_unknown_values() {
        assert!(TimeZoneName::parse("Mars/Olympus").is_err());
        assert!(TimeZoneName::parse("europe/berlin").is_err());
        assert!(DateFormat::parse("YYYY/DD/MM").is_err());
        assert!(TimeFormat::parse("HOUR13").is_err());
        assert!(TimeZoneName::all().len() > 300);
    }

    #[test]
    fn stored_garbage_falls_back_to_defaults() {
        let p = DisplayPrefs::from_stored("Nowhere/Gone", "??", "");
        assert_eq!(p.format_instant(INSTANT), "11/30/2022 2:06:04 AM");
    }
}
