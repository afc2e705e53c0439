//! Human-written sizes and durations in the config ("30s", "10MiB", "7d"), and the serde
//! deserializers that read them as numbers or strings.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Deserializer};

/// Parses a duration such as "30s", "5m", "2h 30m", "7d" or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if let Ok(n) = t.parse::<u64>() {
        return Ok(Duration::from_secs(n));
    }
    humantime::parse_duration(t)
        .map_err(|e| format!("invalid duration {s:?}: {e} (write e.g. \"30s\", \"5m\", \"7d\")"))
}

/// Parses a size such as "10MiB", "512 KiB", "5MB" or a bare number of bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if let Ok(n) = t.parse::<u64>() {
        return Ok(n);
    }
    t.parse::<bytesize::ByteSize>()
        .map(|b| b.as_u64())
        .map_err(|e| format!("invalid size {s:?}: {e} (write e.g. \"10MiB\", \"512KiB\")"))
}

/// Parses a point in time as people write it on the command line: a date (`2026-11-01`,
/// midnight UTC), an RFC 3339 time, or a duration back from `now` (`7d`, `12h`).
pub fn parse_since(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d.and_time(NaiveTime::MIN).and_utc());
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Utc));
    }
    let d = humantime::parse_duration(t)
        .map_err(|_| format!("invalid time {s:?}: write a date (2026-11-01), a time (2026-11-01T08:00:00Z) or a duration (7d, 12h)"))?;
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| now.checked_sub_signed(d))
        .ok_or_else(|| format!("invalid time {s:?}: too far back"))
}

/// Deserializes a duration written as a number of seconds or as [`parse_duration`] reads it.
pub fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    match NumOrStr::deserialize(d)? {
        NumOrStr::Num(n) => Ok(Duration::from_secs(n)),
        NumOrStr::Str(s) => parse_duration(&s).map_err(serde::de::Error::custom),
    }
}

/// Deserializes a size written as a number of bytes or as [`parse_size`] reads it.
pub fn de_size<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match NumOrStr::deserialize(d)? {
        NumOrStr::Num(n) => Ok(n),
        NumOrStr::Str(s) => parse_size(&s).map_err(serde::de::Error::custom),
    }
}

#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "expected a number, or a string such as \"30s\" or \"10MiB\""
)]
enum NumOrStr {
    Num(u64),
    Str(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_dates_times_and_durations() {
        let now = DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_since("2026-11-01", now).unwrap().to_rfc3339(),
            "2026-11-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_since("7d", now).unwrap().to_rfc3339(),
            "2026-11-21T12:00:00+00:00"
        );
        assert_eq!(
            parse_since("12h", now).unwrap().to_rfc3339(),
            "2026-11-28T00:00:00+00:00"
        );
        assert_eq!(
            parse_since("2026-11-02T03:04:05+08:00", now)
                .unwrap()
                .to_rfc3339(),
            "2026-11-01T19:04:05+00:00"
        );
        assert!(parse_since("yesterday-ish", now).is_err());
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(7 * 86400));
        assert_eq!(parse_duration("12").unwrap(), Duration::from_secs(12));
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_size("10MiB").unwrap(), 10 * 1024 * 1024);
        assert_eq!(parse_size("1KiB").unwrap(), 1024);
        assert_eq!(parse_size("77").unwrap(), 77);
        assert!(parse_size("big").is_err());
    }
}
