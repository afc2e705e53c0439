//! One date reader for every source kind: RFC 822 and RFC 3339 (and the ways feeds bend
//! them), dates and times without a zone, date-only forms, `2020/1/10 14:33:00`, English forms
//! such as `Sat, Dec 16 2023 02:02:33 PM`, and Chinese forms such as `2026年11月23日`.
//!
//! The rule: an offset written in the date wins; a date written without one is read in the
//! zone the caller gives (the source's `timezone`, else its language's default, see
//! [`default_zone`]), else in UTC.

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use regex::Regex;

/// A date found anywhere in the text: year, month, day, then an optional time, then an
/// optional offset (`Z`, `+08:00`, `+0800`, `GMT`, `UTC`).
static LOOSE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[T\s]*(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,]\d+)?(?:\s*(Z|[+-]\d{2}:?\d{2}|GMT|UTC|UT)\b)?)?",
    )
    .expect("the pattern is valid")
});

/// The zone a source's zone-less dates are read in when its config names none: the one its
/// language nearly always means (`zh` → Asia/Shanghai, `ja` → Asia/Tokyo), else none (UTC).
pub fn default_zone(lang: Option<&str>) -> Option<Tz> {
    let lang = lang?.trim().to_ascii_lowercase();
    let primary = lang.split(['-', '_']).next().unwrap_or_default();
    match primary {
        "zh" => Some(chrono_tz::Asia::Shanghai),
        "ja" => Some(chrono_tz::Asia::Tokyo),
        _ => None,
    }
}

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
    // Most feeds write one of the RFCs' forms as the RFCs say: read at once.
    if let Ok(dt) = DateTime::parse_from_rfc2822(t).or_else(|_| DateTime::parse_from_rfc3339(t)) {
        return Some(dt.with_timezone(&Utc));
    }
    if let Some(dt) = loose(t, tz) {
        return Some(dt);
    }
    lenient::rfc2822(t)
        .or_else(|| lenient::rfc1123(t))
        .or_else(|| english(t, tz))
}

/// Year, month and day first, anywhere in the text, with an optional time and offset.
fn loose(t: &str, tz: Option<Tz>) -> Option<DateTime<Utc>> {
    let c = LOOSE.captures(t)?;
    let n = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    let date = NaiveDate::from_ymd_opt(n(1)? as i32, n(2)?, n(3)?)?;
    let time = NaiveTime::from_hms_opt(n(4).unwrap_or(0), n(5).unwrap_or(0), n(6).unwrap_or(0))?;
    let ndt = date.and_time(time);
    match c.get(7).map(|m| m.as_str()) {
        None => local(ndt, tz),
        Some("Z" | "GMT" | "UTC" | "UT") => Some(Utc.from_utc_datetime(&ndt)),
        Some(offset) => {
            let digits: String = offset[1..].chars().filter(char::is_ascii_digit).collect();
            let (h, m) = (
                digits.get(..2)?.parse::<i32>().ok()?,
                digits.get(2..)?.parse::<i32>().ok()?,
            );
            let secs = (h * 3600 + m * 60) * if offset.starts_with('-') { -1 } else { 1 };
            let off = FixedOffset::east_opt(secs)?;
            off.from_local_datetime(&ndt)
                .single()
                .map(|d| d.with_timezone(&Utc))
        }
    }
}

/// English forms the RFCs do not allow: month before day, a 12-hour clock, a weekday
/// without its comma, the month's full name (`Tue 11 Jan 2011 10:00:00 GMT`,
/// `Sat, Dec 16 2023 02:02:33 PM`, `November 24, 2026` as BIS's pages write it). `%B` reads
/// the full name and the three-letter one.
fn english(t: &str, tz: Option<Tz>) -> Option<DateTime<Utc>> {
    let mut words: Vec<&str> = t.split([' ', ',']).filter(|w| !w.is_empty()).collect();
    if words
        .first()
        .is_some_and(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_alphabetic()) && is_weekday(w))
    {
        words.remove(0);
    }
    let rest = words.join(" ");
    if let Ok(dt) = DateTime::parse_from_rfc2822(&rest) {
        return Some(dt.with_timezone(&Utc));
    }
    for f in [
        "%d %B %Y %H:%M:%S %z",
        "%B %d %Y %H:%M:%S %z",
        "%B %d %Y %I:%M:%S %p %z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(&rest, f) {
            return Some(dt.with_timezone(&Utc));
        }
    }
    let (no_zone, utc) = match rest.rsplit_once(' ') {
        Some((head, "GMT" | "UTC" | "UT" | "Z")) => (head, true),
        _ => (rest.as_str(), false),
    };
    for f in [
        "%d %B %Y %H:%M:%S",
        "%d %B %Y %H:%M",
        "%B %d %Y %H:%M:%S",
        "%B %d %Y %I:%M:%S %p",
        "%B %d %Y %I:%M %p",
        "%B %d %Y %H:%M",
        "%d %B %Y",
        "%B %d %Y",
    ] {
        let read = NaiveDateTime::parse_from_str(no_zone, f)
            .or_else(|_| NaiveDate::parse_from_str(no_zone, f).map(|d| d.and_time(NaiveTime::MIN)));
        if let Ok(ndt) = read {
            return if utc {
                Some(Utc.from_utc_datetime(&ndt))
            } else {
                local(ndt, tz)
            };
        }
    }
    None
}

fn is_weekday(w: &str) -> bool {
    let w = w.to_ascii_lowercase();
    ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        .iter()
        .any(|d| w.starts_with(d))
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

/// The fixes feed-rs 3.0.0 applies to RFC 822 and RFC 1123 dates that bend the RFCs, copied
/// from its `src/parser/util/mod.rs` (MIT, Copyright (c) 2019 feed-rs developers; see
/// `vendor/feed-rs/LICENSE-MIT`), so that sigwatch reads dates as feed-rs would without
/// reaching into its internals. Only dates the strict readers refuse come here.
mod lenient {
    use std::sync::LazyLock;

    use chrono::{DateTime, Utc};
    use regex::Regex;

    struct PatSub(Regex, &'static str);

    fn pat(re: &str, sub: &'static str) -> PatSub {
        PatSub(Regex::new(re).expect("the pattern is valid"), sub)
    }

    static RFC2822: LazyLock<Vec<PatSub>> = LazyLock::new(|| {
        vec![
            // "UTC" or "-0000" for an offset
            pat("(UTC|-0000$)", "+0000"),
            // a wrong or long weekday, which says nothing the date does not
            pat("(Sun|Mon|Tue|Wed|Thu|Fri|Sat)[a-z]*, ", ""),
            // long month names
            pat("(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*", "$1"),
            // month before day
            pat(
                "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\\d{1,2}) (\\d{4})",
                "$2 $1 $3",
            ),
            // an hour of 24 on the same day
            pat(" 24:", " 00:"),
            // a one-digit hour
            pat(" ([0-9]):", " 0${1}:"),
        ]
    });

    static RFC1123: LazyLock<Vec<PatSub>> = LazyLock::new(|| {
        vec![
            // " Z" for an offset
            pat(" Z$", " +0000"),
            // the weekday
            pat("^[[:alpha:]]{3}, ", ""),
        ]
    });

    fn cleaned(t: &str, fixes: &[PatSub]) -> String {
        let mut s = t.trim().to_string();
        for PatSub(re, sub) in fixes {
            s = re.replace(&s, *sub).into_owned();
        }
        s
    }

    pub(super) fn rfc2822(t: &str) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc2822(&cleaned(t, &RFC2822))
            .map(|d| d.with_timezone(&Utc))
            .ok()
    }

    pub(super) fn rfc1123(t: &str) -> Option<DateTime<Utc>> {
        DateTime::parse_from_str(&cleaned(t, &RFC1123), "%d %b %Y %H:%M:%S %z")
            .map(|d| d.with_timezone(&Utc))
            .ok()
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
        let ny: Option<Tz> = Some(chrono_tz::America::New_York);
        assert_eq!(iso("November 24, 2026", None, ny), "2026-11-24T05:00:00+00:00");
        assert_eq!(iso("Nov 5, 2026", None, None), "2026-11-05T00:00:00+00:00");
        assert_eq!(iso("5 September 2026", None, None), "2026-09-05T00:00:00+00:00");
        assert_eq!(
            iso("23/11/2026", Some("%d/%m/%Y"), None),
            "2026-11-23T00:00:00+00:00"
        );
        assert_eq!(iso("no date here", None, None), "none");
        assert_eq!(iso("2026-13-45", None, None), "none");
    }

    #[test]
    fn case_2_common_cjk_and_english_forms_and_the_zone_rule() {
        let sh = default_zone(Some("zh-CN"));
        assert_eq!(sh, Some(chrono_tz::Asia::Shanghai));
        assert_eq!(default_zone(Some("ja")), Some(chrono_tz::Asia::Tokyo));
        assert_eq!(default_zone(Some("en")), None);
        assert_eq!(default_zone(None), None);
        // Zone-less: the source's zone, else UTC.
        assert_eq!(
            iso("2020-04-06 10:43:40", None, None),
            "2020-04-06T10:43:40+00:00"
        );
        assert_eq!(iso("2020-04-06 10:43:40", None, sh), "2020-04-06T02:43:40+00:00");
        assert_eq!(iso("2020/1/10 14:33:00", None, sh), "2020-01-10T06:33:00+00:00");
        // An explicit offset wins over the source's zone.
        for tz in [None, sh, Some(chrono_tz::America::New_York)] {
            assert_eq!(
                iso("2019-12-31 21:34:22 +08:00", None, tz),
                "2019-12-31T13:34:22+00:00"
            );
            assert_eq!(
                iso("2019-12-31T21:34:22+0800", None, tz),
                "2019-12-31T13:34:22+00:00"
            );
            assert_eq!(
                iso("2019-12-31 13:34:22 GMT", None, tz),
                "2019-12-31T13:34:22+00:00"
            );
            assert_eq!(
                iso("Tue 11 Jan 2011 10:00:00 GMT", None, tz),
                "2011-01-11T10:00:00+00:00"
            );
            assert_eq!(
                iso("Thurs, 13 Jul 2011 07:38:00 GMT", None, tz),
                "2011-07-13T07:38:00+00:00"
            );
        }
        assert_eq!(
            iso("Sat, Dec 16 2023 02:02:33 PM", None, None),
            "2023-12-16T14:02:33+00:00"
        );
        assert_eq!(
            iso("Sat, Dec 16 2023 02:02:33 PM", None, sh),
            "2023-12-16T06:02:33+00:00"
        );
        assert_eq!(
            iso("2020-04-06T10:43:40.123", None, None),
            "2020-04-06T10:43:40+00:00"
        );
    }

    #[test]
    fn case_2_a_feed_reads_zone_less_dates_in_its_language_zone() {
        use crate::config::SourceConfig;
        let doc = r#"<rss version="2.0"><channel><title>t</title>
            <item><title>a</title><link>http://a.cn/1</link><pubDate>2020-04-06 10:43:40</pubDate></item>
            <item><title>b</title><link>http://a.cn/2</link><pubDate>2019-12-31 21:34:22 +08:00</pubDate></item>
            </channel></rss>"#;
        let read = |lang: Option<&str>, tz: Option<&str>| {
            let s = SourceConfig {
                lang: lang.map(String::from),
                timezone: tz.map(String::from),
                ..Default::default()
            };
            let p = crate::source::parse_source(&s, doc.as_bytes(), None, "http://a.cn/").unwrap();
            p.items
                .iter()
                .map(|i| i.published.unwrap().to_rfc3339())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            read(None, None),
            ["2020-04-06T10:43:40+00:00", "2019-12-31T13:34:22+00:00"]
        );
        assert_eq!(
            read(Some("zh"), None),
            ["2020-04-06T02:43:40+00:00", "2019-12-31T13:34:22+00:00"]
        );
        assert_eq!(
            read(Some("zh"), Some("Europe/London")),
            ["2020-04-06T09:43:40+00:00", "2019-12-31T13:34:22+00:00"]
        );
    }
}
