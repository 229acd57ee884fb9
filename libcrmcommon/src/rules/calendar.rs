//! Calendar arithmetic for date rules, on seconds since the epoch (UTC):
//! `date_spec` fields (Pacemaker's pe_cron_range_satisfied) and the
//! `duration` that ends an `in_range` (pe_parse_xml_duration).

use crate::xml::Element;

const SECONDS_PER_DAY: i64 = 86_400;

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let m = i64::from(month);
    let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date (year, month 1-12, day 1-31) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(month: u32, year: i64) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A moment broken down the ways date_spec fields look at it.
struct Moment {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    minute: i64,
    second: i64,
    /// Day of the year, 1 for January 1st.
    ordinal: i64,
    iso_week_year: i64,
    iso_week: i64,
    /// 1 for Monday to 7 for Sunday.
    iso_weekday: i64,
}

impl Moment {
    fn at(epoch_seconds: i64) -> Moment {
        let days = epoch_seconds.div_euclid(SECONDS_PER_DAY);
        let seconds_of_day = epoch_seconds.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let ordinal = days - days_from_civil(year, 1, 1) + 1;
        // 1970-01-01 was a Thursday.
        let iso_weekday = (days + 3).rem_euclid(7) + 1;
        // An ISO week belongs to the year its Thursday is in.
        let thursday = days - (iso_weekday - 1) + 3;
        let (iso_week_year, _, _) = civil_from_days(thursday);
        let iso_week = (thursday - days_from_civil(iso_week_year, 1, 1)) / 7 + 1;
        Moment {
            year,
            month,
            day,
            hour: seconds_of_day / 3600,
            minute: seconds_of_day % 3600 / 60,
            second: seconds_of_day % 60,
            ordinal,
            iso_week_year,
            iso_week,
            iso_weekday,
        }
    }

    /// Pacemaker's phase_of_the_moon: 0 (new) to 7, from the year and the
    /// day of the year.
    fn moon_phase(&self) -> i64 {
        let golden = self.year.rem_euclid(19) + 1;
        let mut epact = (11 * golden + 18) % 30;
        if (epact == 25 && golden > 11) || epact == 24 {
            epact += 1;
        }
        ((((self.ordinal + epact) * 6) + 11) % 177 / 22) & 7
    }
}

/// A date_spec field's value: "N", "N-M", "N-" or "-M" (Pacemaker's
/// pcmk__parse_ll_range), as (low, high) with open ends as None.
fn parse_range(text: &str) -> Option<(Option<i64>, Option<i64>)> {
    if text.is_empty() || text == "-" {
        return None;
    }
    if let Some(high) = text.strip_prefix('-') {
        return Some((None, Some(high.parse().ok()?)));
    }
    match text.split_once('-') {
        None => {
            let n = text.parse().ok()?;
            Some((Some(n), Some(n)))
        }
        Some((low, "")) => Some((Some(low.parse().ok()?), None)),
        Some((low, high)) => Some((Some(low.parse().ok()?), Some(high.parse().ok()?))),
    }
}

/// Whether `value` satisfies the date_spec field `name` (a missing or
/// unreadable field places no restriction).
fn field_allows(spec: &Element, name: &str, value: i64) -> bool {
    let Some((low, high)) = spec.attr(name).and_then(parse_range) else {
        return true;
    };
    low.map_or(true, |l| value >= l) && high.map_or(true, |h| value <= h)
}

/// Whether the moment `now` matches every field the date_spec gives (an
/// expression without one matches always, as in Pacemaker).
pub(super) fn date_spec_matches(spec: Option<&Element>, now: i64) -> bool {
    let Some(spec) = spec else { return true };
    let m = Moment::at(now);
    let fields = [
        ("years", m.year),
        ("months", i64::from(m.month)),
        ("monthdays", i64::from(m.day)),
        ("hours", m.hour),
        ("minutes", m.minute),
        ("seconds", m.second),
        ("yeardays", m.ordinal),
        ("weekyears", m.iso_week_year),
        ("weeks", m.iso_week),
        ("weekdays", m.iso_weekday),
        ("moon", m.moon_phase()),
    ];
    fields.iter().all(|&(name, value)| field_allows(spec, name, value))
}

/// The end of a range given by its start and a `<duration>`: years (the
/// day of the year kept, as Pacemaker does), months (the day of the month
/// kept where the month has it), weeks, days, hours, minutes, seconds.
pub(super) fn add_duration(start: i64, duration: &Element) -> i64 {
    let amount = |name: &str| -> i64 {
        duration
            .attr(name)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|&n| n != 0 && i32::try_from(n).is_ok())
            .unwrap_or(0)
    };
    let mut days = start.div_euclid(SECONDS_PER_DAY);
    let seconds_of_day = start.rem_euclid(SECONDS_PER_DAY);
    let years = amount("years");
    if years != 0 {
        let (year, _, _) = civil_from_days(days);
        let ordinal = days - days_from_civil(year, 1, 1);
        days = days_from_civil(year + years, 1, 1) + ordinal;
    }
    let months = amount("months");
    if months != 0 {
        let (year, month, day) = civil_from_days(days);
        let index = year * 12 + i64::from(month) - 1 + months;
        let (new_year, new_month) = (index.div_euclid(12), (index.rem_euclid(12) + 1) as u32);
        days = days_from_civil(new_year, new_month, day.min(days_in_month(new_month, new_year)));
    }
    days += amount("weeks") * 7 + amount("days");
    days * SECONDS_PER_DAY + seconds_of_day + amount("hours") * 3600 + amount("minutes") * 60 + amount("seconds")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::parse_iso8601;
    use crate::xml::parse;

    fn at(text: &str) -> i64 {
        parse_iso8601(text).expect("test date parses")
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in [-800_000, -1, 0, 59, 365, 11_016, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn iso_weeks_follow_thursdays() {
        // 2021-01-03 (a Sunday) is in week 53 of 2020; 2021-01-04 starts week 1.
        let sunday = Moment::at(at("2021-01-03T12:00:00Z"));
        assert_eq!((sunday.iso_week_year, sunday.iso_week, sunday.iso_weekday), (2020, 53, 7));
        let monday = Moment::at(at("2021-01-04T00:00:00Z"));
        assert_eq!((monday.iso_week_year, monday.iso_week, monday.iso_weekday), (2021, 1, 1));
    }

    #[test]
    fn date_spec_fields_and_ranges() {
        let spec = parse(r#"<date_spec id="s" hours="9-16" weekdays="1-5"/>"#).expect("xml");
        assert!(date_spec_matches(Some(&spec), at("2024-03-13T10:30:00Z")));
        assert!(!date_spec_matches(Some(&spec), at("2024-03-13T17:00:00Z")));
        assert!(!date_spec_matches(Some(&spec), at("2024-03-16T10:30:00Z")));
        let open = parse(r#"<date_spec id="s" years="2025-"/>"#).expect("xml");
        assert!(!date_spec_matches(Some(&open), at("2024-12-31T23:59:59Z")));
        assert!(date_spec_matches(Some(&open), at("2030-01-01T00:00:00Z")));
        assert!(date_spec_matches(None, at("2030-01-01T00:00:00Z")));
    }

    #[test]
    fn durations_add_calendar_units() {
        let month = parse(r#"<duration id="d" months="1"/>"#).expect("xml");
        assert_eq!(add_duration(at("2024-01-31T08:00:00Z"), &month), at("2024-02-29T08:00:00Z"));
        let mixed = parse(r#"<duration id="d" weeks="1" days="1" hours="2"/>"#).expect("xml");
        assert_eq!(add_duration(at("2024-01-01T00:00:00Z"), &mixed), at("2024-01-09T02:00:00Z"));
        // Pacemaker keeps the day of the year, so March 1st becomes Feb 29th in a leap year.
        let year = parse(r#"<duration id="d" years="1"/>"#).expect("xml");
        assert_eq!(add_duration(at("2023-03-01T00:00:00Z"), &year), at("2024-02-29T00:00:00Z"));
    }
}
