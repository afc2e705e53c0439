//! Dates as real sources write them: RFC 822 and RFC 3339, dates and times without a zone
//! (read in the source's time zone), date-only forms, `2020/1/10 14:33:00`, and Chinese forms
//! such as `2026年11月23日`.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use regex::Regex;

/// A date found anywhere in the text: year, month, day, then an optional time.
static LOOSE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[T\s]*(\d{1,2}):(\d{2})(?::(\d{2}))?)?",
    )
    .expect("the pattern is valid")
});

/// Reads `text` as a point in time. `format` is a chrono format for sources that need one;
/// `tz` is where zone-less dates are read (UTC when `None`).
pub fn parse_date(text: &str, format: Option<&str>, tz: Option<Tz>) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Some(f) = format {
        if let Ok(dt) = DateTime::parse_from_str(t, f) {
            return Some(dt.with_timezone(&Utc));
        }
        if let Ok(ndt) = NaiveDateTime::parse_from_str(t, f) {
            return local(ndt, tz);
        }
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return local(d.and_time(NaiveTime::MIN), tz);
        }
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.with_timezone(&Utc));
    }
    if let Ok(dt) = DateTime::parse_from_rfc2822(t) {
        return Some(dt.with_timezone(&Utc));
    }
    // RFC 822 without the weekday, and RFC 822 without a zone.
    if let Ok(dt) = DateTime::parse_from_str(t, "%d %b %Y %H:%M:%S %z") {
        return Some(dt.with_timezone(&Utc));
    }
    let no_weekday = t.split_once(", ").map_or(t, |(_, rest)| rest);
    if let Ok(ndt) = NaiveDateTime::parse_from_str(no_weekday, "%d %b %Y %H:%M:%S") {
        return local(ndt, tz);
    }
    let c = LOOSE.captures(t)?;
    let n = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    let date = NaiveDate::from_ymd_opt(n(1)? as i32, n(2)?, n(3)?)?;
    let time = NaiveTime::from_hms_opt(n(4).unwrap_or(0), n(5).unwrap_or(0), n(6).unwrap_or(0))?;
    local(date.and_time(time), tz)
}

fn local(ndt: NaiveDateTime, tz: Option<Tz>) -> Option<DateTime<Utc>> {
    match tz {
        Some(tz) => tz
            .from_local_datetime(&ndt)
            .earliest()
            .map(|d| d.with_timezone(&Utc)),
        None => Some(Utc.from_utc_datetime(&ndt)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(text: &str, format: Option<&str>, tz: Option<Tz>) -> String {
        parse_date(text, format, tz)
            .map(|d| d.to_rfc3339())
            .unwrap_or_else(|| "none".into())
    }

    #[test]
    fn forms_sources_write() {
        let sh: Option<Tz> = Some(chrono_tz::Asia::Shanghai);
        assert_eq!(
            iso("Mon, 23 Nov 2026 08:00:00 +0800", None, None),
            "2026-11-23T00:00:00+00:00"
        );
        assert_eq!(iso("2026-11-23T08:00:00Z", None, sh), "2026-11-23T08:00:00+00:00");
        assert_eq!(iso("2020-08-25 16:44:16", None, sh), "2020-08-25T08:44:16+00:00");
        assert_eq!(iso("2020-08-25", None, sh), "2020-08-24T16:00:00+00:00");
        assert_eq!(iso("2020/1/10 14:33:00", None, None), "2020-01-10T14:33:00+00:00");
        assert_eq!(
            iso("发布时间：2026年11月23日", None, sh),
            "2026-11-22T16:00:00+00:00"
        );
        assert_eq!(iso("[2026-11-23]", None, None), "2026-11-23T00:00:00+00:00");
        assert_eq!(
            iso("23/11/2026", Some("%d/%m/%Y"), None),
            "2026-11-23T00:00:00+00:00"
        );
        assert_eq!(iso("no date here", None, None), "none");
        assert_eq!(iso("2026-13-45", None, None), "none");
    }
}
