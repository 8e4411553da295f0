//! The gas day: 06:00 to 06:00 Europe/Paris, labelled by the date on which it starts.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Paris;

/// A gas day of the French market, labelled by the calendar date on which it starts.
///
/// Gas day `2024-10-26` runs from 2024-10-26 06:00 to 2024-10-27 06:00, local time in
/// Europe/Paris. Because the clocks change at 03:00 (or 02:00) local time on the last Sunday
/// of March and October, the gas day that *starts on the Saturday before* lasts 23 hours in
/// March and 25 hours in October; every other gas day lasts 24 hours.
///
/// It is written and read as `YYYY-MM-DD`, in JSON and in query strings alike.
///
/// ```
/// use ingrid_types::GasDay;
///
/// let day: GasDay = "2024-10-26".parse()?;
/// assert_eq!(day.hour_count(), 25);
/// assert_eq!(day.start().to_rfc3339(), "2024-10-26T06:00:00+02:00");
/// assert_eq!(day.end().to_rfc3339(), "2024-10-27T06:00:00+01:00");
/// # Ok::<(), ingrid_types::GasDayError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GasDay(NaiveDate);

/// One hour of a gas day, with the offsets that tell repeated local hours apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GasHour {
    /// Position in the gas day, from 1 (06:00 to 07:00 local time) to 23, 24 or 25.
    pub index: u32,
    /// Start of the hour, in local time with its UTC offset.
    pub start: DateTime<FixedOffset>,
    /// End of the hour (exclusive), in local time with its UTC offset.
    pub end: DateTime<FixedOffset>,
}

/// A string that is not a `YYYY-MM-DD` date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasDayError {
    input: String,
}

impl fmt::Display for GasDayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a gas day; expected a date as YYYY-MM-DD",
            self.input
        )
    }
}

impl std::error::Error for GasDayError {}

const START_HOUR: u32 = 6;

impl GasDay {
    /// The gas day that starts on `date`.
    pub fn new(date: NaiveDate) -> Self {
        Self(date)
    }

    /// The gas day that starts on the given calendar date, if the date exists.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Self> {
        NaiveDate::from_ymd_opt(year, month, day).map(Self)
    }

    /// The gas day in progress at `instant`: before 06:00 local time it is the previous
    /// date's gas day.
    pub fn containing<Tz: TimeZone>(instant: &DateTime<Tz>) -> Self {
        let local = instant.with_timezone(&Paris);
        let date = local.date_naive();
        if local.time() < NaiveTime::from_hms_opt(START_HOUR, 0, 0).expect("06:00 is a time") {
            Self(
                date.pred_opt()
                    .expect("dates before year -262143 do not occur"),
            )
        } else {
            Self(date)
        }
    }

    /// The date the gas day is labelled by, which is the date on which it starts.
    pub fn date(&self) -> NaiveDate {
        self.0
    }

    /// The next gas day.
    pub fn next(&self) -> Self {
        Self(
            self.0
                .succ_opt()
                .expect("dates after year 262142 do not occur"),
        )
    }

    /// The previous gas day.
    pub fn previous(&self) -> Self {
        Self(
            self.0
                .pred_opt()
                .expect("dates before year -262143 do not occur"),
        )
    }

    /// Every gas day from `self` to `last`, both included; empty when `last` is earlier.
    pub fn through(self, last: GasDay) -> impl Iterator<Item = GasDay> {
        let count = (last.0 - self.0).num_days().max(-1) + 1;
        (0..count).map(move |offset| Self(self.0 + Duration::days(offset)))
    }

    /// 06:00 local time on the label date, with its offset (`+01:00` or `+02:00`).
    pub fn start(&self) -> DateTime<FixedOffset> {
        six_o_clock(self.0)
    }

    /// 06:00 local time on the next date, the exclusive end of the gas day.
    pub fn end(&self) -> DateTime<FixedOffset> {
        six_o_clock(self.next().0)
    }

    /// How many hours the gas day lasts: 23, 24 or 25.
    pub fn hour_count(&self) -> u32 {
        let seconds = (self.end() - self.start()).num_seconds();
        u32::try_from(seconds / 3600).expect("a gas day lasts 23 to 25 hours")
    }

    /// The hours of the gas day in order, each with its local start and end and their offsets.
    ///
    /// On a 25-hour day the local hour from 02:00 to 03:00 appears twice, first with `+02:00`,
    /// then with `+01:00`; on a 23-hour day it does not appear at all.
    pub fn hours(&self) -> Vec<GasHour> {
        let start = self.start().with_timezone(&Utc);
        (0..self.hour_count())
            .map(|index| {
                let hour_start = start + Duration::hours(i64::from(index));
                GasHour {
                    index: index + 1,
                    start: to_paris(hour_start),
                    end: to_paris(hour_start + Duration::hours(1)),
                }
            })
            .collect()
    }
}

/// 06:00 local time is never skipped nor repeated by a clock change in Europe/Paris, which
/// happens at 02:00 or 03:00, so it always has exactly one instant.
fn six_o_clock(date: NaiveDate) -> DateTime<FixedOffset> {
    let local = date.and_hms_opt(START_HOUR, 0, 0).expect("06:00 is a time");

    if date.year() >= EU_RULE_SINCE {
        // Summer time from 01:00 UTC on the last Sunday of March, that is from 03:00 local
        // time, to 01:00 UTC on the last Sunday of October: 06:00 is summer time on the first
        // of those Sundays and winter time on the second.
        let summer = (last_sunday(date.year(), 3)..last_sunday(date.year(), 10)).contains(&date);
        let offset = if summer { SUMMER } else { WINTER };
        return offset_of(offset)
            .from_local_datetime(&local)
            .single()
            .expect("a fixed offset has one reading of every local time");
    }

    let instant = Paris
        .from_local_datetime(&local)
        .earliest()
        .expect("06:00 exists in Europe/Paris on every date");
    instant.fixed_offset()
}

/// `instant` as local time in Europe/Paris, with its offset.
fn to_paris(instant: DateTime<Utc>) -> DateTime<FixedOffset> {
    if instant.year() >= EU_RULE_SINCE {
        let year = instant.year();
        let summer_from = clock_change(year, 3);
        let summer_to = clock_change(year, 10);
        let summer = (summer_from..summer_to).contains(&instant);
        let offset = if summer { SUMMER } else { WINTER };
        return instant.with_timezone(&offset_of(offset));
    }

    instant.with_timezone(&Paris).fixed_offset()
}

/// The first year of the summer-time rule that the European Union has applied since: the tz
/// database of `chrono-tz` has its transitions only up to 2099 and keeps winter time after
/// them, while a rule in force is assumed to go on, as the tz database itself does.
const EU_RULE_SINCE: i32 = 1996;
/// Central European Time, in seconds east of UTC.
const WINTER: i32 = 3600;
/// Central European Summer Time.
const SUMMER: i32 = 7200;

fn offset_of(seconds: i32) -> FixedOffset {
    FixedOffset::east_opt(seconds).expect("one or two hours is a valid offset")
}

/// The last Sunday of `month` in `year`.
fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let last_day =
        NaiveDate::from_ymd_opt(year, month, 31).expect("March and October have 31 days");
    let back = last_day.weekday().num_days_from_sunday();
    last_day - Duration::days(i64::from(back))
}

/// 01:00 UTC on the last Sunday of `month`, when Europe/Paris changes its clocks.
fn clock_change(year: i32, month: u32) -> DateTime<Utc> {
    let at = last_sunday(year, month)
        .and_hms_opt(1, 0, 0)
        .expect("01:00 is a time");
    Utc.from_utc_datetime(&at)
}

impl fmt::Display for GasDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl FromStr for GasDay {
    type Err = GasDayError;

    /// Exactly `YYYY-MM-DD`: chrono alone would also take `2024-1-5` or a leading space.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let bytes = input.as_bytes();
        let shaped = bytes.len() == 10
            && bytes
                .iter()
                .enumerate()
                .all(|(position, byte)| match position {
                    4 | 7 => *byte == b'-',
                    _ => byte.is_ascii_digit(),
                });
        shaped
            .then(|| NaiveDate::parse_from_str(input, "%Y-%m-%d").ok())
            .flatten()
            .map(Self)
            .ok_or_else(|| GasDayError {
                input: input.to_owned(),
            })
    }
}

impl TryFrom<&str> for GasDay {
    type Error = GasDayError;

    fn try_from(input: &str) -> Result<Self, Self::Error> {
        input.parse()
    }
}

impl TryFrom<String> for GasDay {
    type Error = GasDayError;

    fn try_from(input: String) -> Result<Self, Self::Error> {
        input.parse()
    }
}

impl TryFrom<&String> for GasDay {
    type Error = GasDayError;

    fn try_from(input: &String) -> Result<Self, Self::Error> {
        input.parse()
    }
}

impl From<NaiveDate> for GasDay {
    fn from(date: NaiveDate) -> Self {
        Self(date)
    }
}

impl From<GasDay> for NaiveDate {
    fn from(day: GasDay) -> Self {
        day.0
    }
}

impl serde::Serialize for GasDay {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for GasDay {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> GasDay {
        text.parse().unwrap()
    }

    #[test]
    fn the_saturday_before_the_clock_changes_is_23_or_25_hours_long() {
        // The table of shared/domain/INGRID.md §3.1.
        let table = [
            (
                "2023-03-25",
                23,
                "2023-03-25T05:00:00+00:00",
                "2023-03-26T04:00:00+00:00",
            ),
            (
                "2023-10-28",
                25,
                "2023-10-28T04:00:00+00:00",
                "2023-10-29T05:00:00+00:00",
            ),
            (
                "2024-03-30",
                23,
                "2024-03-30T05:00:00+00:00",
                "2024-03-31T04:00:00+00:00",
            ),
            (
                "2024-10-26",
                25,
                "2024-10-26T04:00:00+00:00",
                "2024-10-27T05:00:00+00:00",
            ),
            (
                "2025-03-29",
                23,
                "2025-03-29T05:00:00+00:00",
                "2025-03-30T04:00:00+00:00",
            ),
            (
                "2025-10-25",
                25,
                "2025-10-25T04:00:00+00:00",
                "2025-10-26T05:00:00+00:00",
            ),
            (
                "2026-03-28",
                23,
                "2026-03-28T05:00:00+00:00",
                "2026-03-29T04:00:00+00:00",
            ),
            (
                "2026-10-24",
                25,
                "2026-10-24T04:00:00+00:00",
                "2026-10-25T05:00:00+00:00",
            ),
        ];

        for (label, hours, start_utc, end_utc) in table {
            let gas_day = day(label);
            assert_eq!(gas_day.hour_count(), hours, "{label}");
            assert_eq!(
                gas_day.start().with_timezone(&Utc).to_rfc3339(),
                start_utc,
                "{label}"
            );
            assert_eq!(
                gas_day.end().with_timezone(&Utc).to_rfc3339(),
                end_utc,
                "{label}"
            );
            assert_eq!(
                gas_day.previous().hour_count(),
                24,
                "the Friday before {label}"
            );
            assert_eq!(gas_day.next().hour_count(), 24, "the Sunday after {label}");
        }
    }

    #[test]
    fn the_clocks_go_on_changing_after_the_tz_tables_end() {
        let spring = day("2100-03-27");
        let autumn = day("2100-10-30");
        let summer = day("2150-07-14");

        assert_eq!(spring.hour_count(), 23);
        assert_eq!(autumn.hour_count(), 25);
        assert_eq!(summer.start().to_rfc3339(), "2150-07-14T06:00:00+02:00");
        assert_eq!(
            autumn.hours()[20].start.to_rfc3339(),
            "2100-10-31T02:00:00+02:00"
        );
        assert_eq!(
            autumn.hours()[21].start.to_rfc3339(),
            "2100-10-31T02:00:00+01:00"
        );
    }

    #[test]
    fn the_rule_agrees_with_the_tz_database_wherever_it_has_transitions() {
        let mut gas_day = day("1996-01-01");
        while gas_day.date().year() < 2100 {
            let from_the_database = Paris
                .from_local_datetime(&gas_day.date().and_hms_opt(6, 0, 0).unwrap())
                .single()
                .unwrap()
                .fixed_offset();
            // Compared as text: DateTime's equality looks at the instant, not the offset.
            assert_eq!(
                gas_day.start().to_rfc3339(),
                from_the_database.to_rfc3339(),
                "{gas_day}"
            );
            for hour in gas_day.hours() {
                let instant = hour.start.with_timezone(&Utc);
                let expected = instant.with_timezone(&Paris).fixed_offset();
                assert_eq!(hour.start.to_rfc3339(), expected.to_rfc3339());
            }
            gas_day = gas_day.next();
        }
    }

    #[test]
    fn a_25_hour_day_repeats_two_o_clock_with_both_offsets() {
        let hours = day("2025-10-25").hours();

        assert_eq!(hours.len(), 25);
        let starts: Vec<String> = hours[19..22]
            .iter()
            .map(|hour| hour.start.to_rfc3339())
            .collect();
        assert_eq!(
            starts,
            [
                "2025-10-26T01:00:00+02:00",
                "2025-10-26T02:00:00+02:00",
                "2025-10-26T02:00:00+01:00"
            ]
        );
        assert_eq!(hours[24].end.to_rfc3339(), "2025-10-26T06:00:00+01:00");
    }

    #[test]
    fn hours_are_continuous_and_numbered_from_one() {
        for label in ["2024-03-30", "2024-07-01", "2024-10-26"] {
            let gas_day = day(label);
            let hours = gas_day.hours();

            assert_eq!(hours.first().unwrap().start, gas_day.start());
            assert_eq!(hours.last().unwrap().end, gas_day.end());
            for (position, pair) in hours.windows(2).enumerate() {
                assert_eq!(pair[0].end, pair[1].start, "{label} hour {}", position + 1);
                assert_eq!(pair[0].index as usize, position + 1);
            }
        }
    }

    #[test]
    fn a_23_hour_day_skips_two_o_clock() {
        let hours = day("2024-03-30").hours();

        let local_starts: Vec<String> = hours
            .iter()
            .map(|hour| hour.start.format("%H:%M%:z").to_string())
            .collect();
        assert!(local_starts.contains(&"01:00+01:00".to_owned()));
        assert!(local_starts.contains(&"03:00+02:00".to_owned()));
        assert!(!local_starts.iter().any(|start| start.starts_with("02:")));
    }

    #[test]
    fn the_gas_day_in_progress_changes_at_six_local_time() {
        let before = "2025-01-15T05:59:59+01:00"
            .parse::<DateTime<FixedOffset>>()
            .unwrap();
        let after = "2025-01-15T06:00:00+01:00"
            .parse::<DateTime<FixedOffset>>()
            .unwrap();

        assert_eq!(GasDay::containing(&before), day("2025-01-14"));
        assert_eq!(GasDay::containing(&after), day("2025-01-15"));
    }

    #[test]
    fn ranges_include_both_ends() {
        let days: Vec<String> = day("2024-10-25")
            .through(day("2024-10-27"))
            .map(|day| day.to_string())
            .collect();

        assert_eq!(days, ["2024-10-25", "2024-10-26", "2024-10-27"]);
        assert_eq!(day("2024-10-27").through(day("2024-10-25")).count(), 0);
    }

    #[test]
    fn it_reads_and_writes_the_wire_format_and_names_bad_input() {
        let parsed: GasDay = serde_json::from_str("\"2025-01-15\"").unwrap();

        assert_eq!(serde_json::to_string(&parsed).unwrap(), "\"2025-01-15\"");
        let error = "15/01/2025".parse::<GasDay>().unwrap_err();
        assert!(error.to_string().contains("`15/01/2025`"), "{error}");
        assert!(serde_json::from_str::<GasDay>("\"2025-02-30\"").is_err());
        for loose in [
            "2024-1-5",
            " 2024-01-05",
            "2024-01-05 ",
            "+2024-01-05",
            "2024/01/05",
        ] {
            assert!(loose.parse::<GasDay>().is_err(), "{loose:?}");
        }
    }
}
