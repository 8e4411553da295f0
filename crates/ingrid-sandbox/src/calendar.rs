//! The gas-day calendar (INGRID.md §3.1).
//!
//! A gas day runs from 06:00 to 06:00 Europe/Paris and is labelled by the date on which it
//! starts. The gas day that starts on the Saturday before a clock change therefore lasts 23 hours
//! (last Saturday of March) or 25 hours (last Saturday of October); every other one lasts 24.
//! Hours are computed in UTC and shown in Paris time, so that the repeated local 02:00 of a
//! 25-hour day gets its two different offsets. The calendar itself is `ingrid_types::GasDay`,
//! the one the SDK's users have: the sandbox cannot disagree with it.

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat};
use ingrid_types::GasDay;

/// One hour of a gas day.
pub(crate) use ingrid_types::GasHour;

/// Parses a `YYYY-MM-DD` date strictly: four-digit year, two-digit month and day, nothing else.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    text.parse::<GasDay>().ok().map(|day| day.date())
}

/// Formats a date as `YYYY-MM-DD`.
pub(crate) fn format_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// Formats an instant as RFC 3339 with its Paris offset and whole seconds
/// (`2025-01-15T06:00:00+01:00`).
pub(crate) fn format_date_time(instant: DateTime<FixedOffset>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// When the gas day labelled `day` starts. (Dates come from [`parse_date`], whose four-digit
/// years are far inside what the calendar represents; the `Option` keeps it so for any date.)
pub(crate) fn gas_day_start(day: NaiveDate) -> Option<DateTime<FixedOffset>> {
    Some(GasDay::new(day).start())
}

/// Start (inclusive) and end (exclusive) of the gas day labelled `day`.
pub(crate) fn gas_day_bounds(
    day: NaiveDate,
) -> Option<(DateTime<FixedOffset>, DateTime<FixedOffset>)> {
    let start = gas_day_start(day)?;
    let end = gas_day_start(day.succ_opt()?)?;
    Some((start, end))
}

/// The hours of the gas day labelled `day`: 23, 24 or 25 of them, continuous.
pub(crate) fn gas_day_hours(day: NaiveDate) -> Option<Vec<GasHour>> {
    day.succ_opt()?;
    Some(GasDay::new(day).hours())
}

/// The gas days from `from` to `to`, both inclusive; empty when `to` is before `from`.
pub(crate) fn gas_days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |day| *day <= to)
}

/// How many gas days the inclusive range from `from` to `to` covers.
pub(crate) fn gas_day_count(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        parse_date(text).expect("test dates are valid")
    }

    #[test]
    fn gas_days_last_23_24_or_25_hours() {
        let lengths: Vec<(&str, usize)> = [
            "2024-10-26",
            "2025-03-29",
            "2025-01-15",
            "2025-10-25",
            "2026-03-28",
            "2100-10-30",
        ]
        .into_iter()
        .map(|day| (day, gas_day_hours(date(day)).map_or(0, |hours| hours.len())))
        .collect();

        assert_eq!(
            lengths,
            [
                ("2024-10-26", 25),
                ("2025-03-29", 23),
                ("2025-01-15", 24),
                ("2025-10-25", 25),
                ("2026-03-28", 23),
                ("2100-10-30", 25),
            ]
        );
    }

    #[test]
    fn a_25_hour_gas_day_repeats_local_two_oclock_with_two_offsets() {
        let hours = gas_day_hours(date("2024-10-26")).unwrap_or_default();
        let shown: Vec<String> = hours
            .iter()
            .map(|hour| format_date_time(hour.start))
            .collect();

        assert_eq!(
            shown.first().map(String::as_str),
            Some("2024-10-26T06:00:00+02:00")
        );
        assert!(shown.contains(&"2024-10-27T02:00:00+02:00".to_owned()));
        assert!(shown.contains(&"2024-10-27T02:00:00+01:00".to_owned()));
        assert_eq!(
            hours.last().map(|hour| format_date_time(hour.end)),
            Some("2024-10-27T06:00:00+01:00".to_owned())
        );
    }

    #[test]
    fn hours_are_continuous_and_numbered_from_one() {
        let hours = gas_day_hours(date("2025-03-29")).unwrap_or_default();

        for (position, pair) in hours.windows(2).enumerate() {
            assert_eq!(pair[0].end, pair[1].start);
            assert_eq!(pair[0].index as usize, position + 1);
        }
        assert_eq!(
            hours.first().map(|hour| format_date_time(hour.start)),
            Some("2025-03-29T06:00:00+01:00".to_owned())
        );
        assert_eq!(
            hours.last().map(|hour| format_date_time(hour.end)),
            Some("2025-03-30T06:00:00+02:00".to_owned())
        );
    }

    #[test]
    fn dates_parse_strictly() {
        assert!(parse_date("2025-01-15").is_some());
        assert!(parse_date("2025-1-15").is_none());
        assert!(parse_date("2025-02-30").is_none());
        assert!(parse_date("15/01/2025").is_none());
        assert!(parse_date("+2025-01-15").is_none());
    }
}
