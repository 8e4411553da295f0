//! The gas-day calendar (INGRID.md §3.1).
//!
//! A gas day runs from 06:00 to 06:00 Europe/Paris and is labelled by the date on which it
//! starts. The gas day that starts on the Saturday before a clock change therefore lasts 23 hours
//! (last Saturday of March) or 25 hours (last Saturday of October); every other one lasts 24.
//! Hours are computed in UTC and shown in Paris time, so that the repeated local 02:00 of a
//! 25-hour day gets its two different offsets.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, SecondsFormat, TimeZone, Utc};
use chrono_tz::{Europe::Paris, Tz};

/// Local time at which every gas day starts.
const GAS_DAY_START: NaiveTime = match NaiveTime::from_hms_opt(6, 0, 0) {
    Some(time) => time,
    None => panic!("06:00:00 is a valid time"),
};

/// One hour of a gas day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GasHour {
    /// Position in the gas day, from 1 (06:00 to 07:00 local time).
    pub(crate) index: u32,
    /// Start of the hour, inclusive.
    pub(crate) start: DateTime<Tz>,
    /// End of the hour, exclusive; equal to the next hour's start.
    pub(crate) end: DateTime<Tz>,
}

/// Parses a `YYYY-MM-DD` date strictly: four-digit year, two-digit month and day, nothing else.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(position, byte)| position == 4 || position == 7 || byte.is_ascii_digit());
    if !shaped {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Formats a date as `YYYY-MM-DD`.
pub(crate) fn format_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// Formats an instant as RFC 3339 with its Paris offset and whole seconds
/// (`2025-01-15T06:00:00+01:00`).
pub(crate) fn format_date_time(instant: DateTime<Tz>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// When the gas day labelled `day` starts, or `None` for dates the calendar cannot represent.
pub(crate) fn gas_day_start(day: NaiveDate) -> Option<DateTime<Tz>> {
    // 06:00 is never inside a Paris clock change, but the historical tz database has odd years;
    // the earliest reading is the one that starts the day.
    Paris
        .from_local_datetime(&day.and_time(GAS_DAY_START))
        .earliest()
}

/// Start (inclusive) and end (exclusive) of the gas day labelled `day`.
pub(crate) fn gas_day_bounds(day: NaiveDate) -> Option<(DateTime<Tz>, DateTime<Tz>)> {
    let start = gas_day_start(day)?;
    let end = gas_day_start(day.succ_opt()?)?;
    Some((start, end))
}

/// The hours of the gas day labelled `day`: 23, 24 or 25 of them, continuous.
pub(crate) fn gas_day_hours(day: NaiveDate) -> Option<Vec<GasHour>> {
    let (start, end) = gas_day_bounds(day)?;
    let start = start.with_timezone(&Utc);
    let count = (end.with_timezone(&Utc) - start).num_hours();

    let hours = (0..count)
        .filter_map(|offset| {
            let index = u32::try_from(offset + 1).ok()?;
            let hour_start = start.checked_add_signed(Duration::hours(offset))?;
            let hour_end = hour_start.checked_add_signed(Duration::hours(1))?;
            Some(GasHour {
                index,
                start: hour_start.with_timezone(&Paris),
                end: hour_end.with_timezone(&Paris),
            })
        })
        .collect();
    Some(hours)
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
