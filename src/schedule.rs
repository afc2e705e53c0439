//! Scheduling: cron expressions as people write them, next-run times, backoff, Retry-After,
//! and source health. Pure: every function takes the time it needs from a [`Clock`] or an
//! argument, so tests advance a clock instead of sleeping.

use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use sha2::{Digest, Sha256};

/// Where the current time comes from.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to; for tests.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *t += chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("invalid cron expression {expr:?}: {reason}")]
    Cron { expr: String, reason: String },
}

/// A cron schedule, read the way crontab(5) reads it, in a time zone.
///
/// Five fields (`min hour day month weekday`) or six with seconds first. Weekdays are
/// numbered as in crontab, 0 or 7 for Sunday, and may be names (`MON-FRI`); the `cron`
/// crate underneath numbers them 1–7 from Sunday, so numbers are translated here.
///
/// Two crontab rules the `cron` crate does not follow are kept here:
/// - when both day-of-month and weekday are restricted (neither starts with `*`), crontab
///   fires when either matches, where the crate wants both; such an expression is held as
///   two schedules, one per day field, and the earlier firing wins;
/// - the fields are wall-clock time in the schedule's zone. A local time that a DST change
///   skips fires at the first minute after the gap, and one that occurs twice fires once (at
///   its first occurrence), so a daily digest is neither lost nor doubled.
#[derive(Debug, Clone)]
pub struct CronSchedule {
    expr: String,
    zone: Tz,
    /// Evaluated on the zone's wall clock, written as if it were UTC.
    parts: Vec<cron::Schedule>,
}

impl CronSchedule {
    /// A schedule evaluated in UTC.
    pub fn parse(expr: &str) -> Result<Self, ScheduleError> {
        Self::parse_in(expr, Tz::UTC)
    }

    /// A schedule whose fields are wall-clock time in `zone`.
    pub fn parse_in(expr: &str, zone: Tz) -> Result<Self, ScheduleError> {
        let err = |reason: String| ScheduleError::Cron {
            expr: expr.to_string(),
            reason,
        };
        let fields: Vec<&str> = expr.split_whitespace().collect();
        let (secs, rest) = match fields.as_slice() {
            [one] if one.starts_with('@') => {
                let inner = cron::Schedule::from_str(one).map_err(|e| err(e.to_string()))?;
                return Self::new(expr, zone, vec![inner]);
            }
            [m, h, dom, mon, dow] => ("0", [*m, *h, *dom, *mon, *dow]),
            [s, m, h, dom, mon, dow] => (*s, [*m, *h, *dom, *mon, *dow]),
            _ => {
                return Err(err(format!(
                    "expected 5 fields (or 6 with seconds first), found {}",
                    fields.len()
                )));
            }
        };
        let [m, h, dom, mon, dow] = rest;
        let dow = translate_weekdays(dow).map_err(err)?;
        let restricted = |f: &str| !(f.starts_with('*') || f.starts_with('?'));
        let variants = if restricted(dom) && restricted(&dow) {
            vec![
                format!("{secs} {m} {h} {dom} {mon} *"),
                format!("{secs} {m} {h} * {mon} {dow}"),
            ]
        } else {
            vec![format!("{secs} {m} {h} {dom} {mon} {dow}")]
        };
        let parts = variants
            .iter()
            .map(|v| cron::Schedule::from_str(v).map_err(|e| err(e.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(expr, zone, parts)
    }

    fn new(expr: &str, zone: Tz, parts: Vec<cron::Schedule>) -> Result<Self, ScheduleError> {
        let s = Self {
            expr: expr.to_string(),
            zone,
            parts,
        };
        // A schedule that never fires (e.g. 30 February) would stop its source for good.
        if s.next_after(Utc::now()).is_none() {
            return Err(ScheduleError::Cron {
                expr: expr.to_string(),
                reason: "never fires".into(),
            });
        }
        Ok(s)
    }

    pub fn as_str(&self) -> &str {
        &self.expr
    }

    /// The zone the fields are read in.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The first firing strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut wall = Utc.from_utc_datetime(&t.with_timezone(&self.zone).naive_local());
        // A wall time that occurs twice maps to its first instant, which can lie before `t`
        // when `t` is in the repeated hour; the next wall time then maps after it. Bounded,
        // since a repeated stretch is at most a few hours.
        for _ in 0..1024 {
            let next = self.parts.iter().filter_map(|p| p.after(&wall).next()).min()?;
            let instant = self.instant(next.naive_utc());
            if instant > t {
                return Some(instant);
            }
            wall = next;
        }
        None
    }

    /// The instant a wall-clock time of the zone stands for: the first of two in a repeated
    /// hour, and the end of the gap for one a DST change skipped.
    fn instant(&self, wall: chrono::NaiveDateTime) -> DateTime<Utc> {
        let mut probe = wall;
        // Gaps are at most a few hours; stepping by minutes finds the first valid time.
        for _ in 0..=(24 * 60) {
            if let Some(t) = self.zone.from_local_datetime(&probe).earliest() {
                return if probe == wall {
                    t.with_timezone(&Utc)
                } else {
                    // The gap's end: the first valid minute, at its first second.
                    t.with_timezone(&Utc) - chrono::Duration::seconds(i64::from(probe.second()))
                };
            }
            probe += chrono::Duration::minutes(1);
        }
        Utc.from_utc_datetime(&wall)
    }

    /// The gap between the two firings after `t`: the schedule's period there.
    pub fn period_after(&self, t: DateTime<Utc>) -> Duration {
        match self.next_after(t).and_then(|a| Some((a, self.next_after(a)?))) {
            Some((a, b)) => (b - a).to_std().unwrap_or_default(),
            None => Duration::ZERO,
        }
    }
}

/// Rewrites crontab weekday numbers (0–7, Sunday = 0 or 7) into the cron crate's (1–7,
/// Sunday = 1). Numeric ranges and steps are expanded to lists, since a translated range can
/// wrap (`5-7` is Friday to Sunday); names pass through unchanged.
fn translate_weekdays(field: &str) -> Result<String, String> {
    let mut out: Vec<String> = Vec::new();
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                Some(s.parse::<u32>().map_err(|_| format!("bad weekday step {s:?}"))?),
            ),
            None => (part, None),
        };
        let bounds = if range == "*" || range == "?" {
            if step.is_none() {
                out.push(range.to_string());
                continue;
            }
            Some((0, 6))
        } else if let Some((a, b)) = range.split_once('-') {
            a.parse::<u32>().ok().zip(b.parse::<u32>().ok())
        } else {
            range
                .parse::<u32>()
                .ok()
                .map(|n| (n, if step.is_some() { 6 } else { n }))
        };
        let Some((a, b)) = bounds else {
            out.push(part.to_string()); // names such as MON-FRI or SUN
            continue;
        };
        if a > 7 || b > 7 || a > b {
            return Err(format!(
                "weekday {range:?} is out of range (0-7, Sunday = 0 or 7)"
            ));
        }
        let step = step.unwrap_or(1).max(1) as usize;
        out.extend((a..=b).step_by(step).map(|d| (d % 7 + 1).to_string()));
    }
    out.dedup();
    Ok(out.join(","))
}

/// A stable offset in `[0, min(period / 2, max))` for one source, so that sources sharing a
/// schedule do not all fire at the same second.
pub fn spread(name: &str, period: Duration, max: Duration) -> Duration {
    let window = (period / 2).min(max);
    if window.is_zero() {
        return Duration::ZERO;
    }
    let h = Sha256::digest(name.as_bytes());
    let n = u64::from_le_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
    Duration::from_millis(n % window.as_millis().max(1) as u64)
}

/// Exponential backoff for a failing source: `base · 2^(failures-1)`, capped, with up to
/// ±20 % jitter derived from `seed` so that failing sources do not retry in lockstep.
pub fn backoff(failures: u32, base: Duration, cap: Duration, seed: &str) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    let exp = failures.saturating_sub(1).min(30);
    let raw = base.saturating_mul(1u32 << exp).min(cap);
    let h = Sha256::digest(format!("{seed}/{failures}").as_bytes());
    // A factor in [0.8, 1.2).
    let factor = 0.8 + (h[0] as f64 / 256.0) * 0.4;
    raw.mul_f64(factor).min(cap)
}

/// Reads a Retry-After header: delay-seconds or an HTTP date. `None` when it is neither.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return now.checked_add_signed(chrono::Duration::seconds(secs.min(i64::MAX as u64) as i64));
    }
    DateTime::parse_from_rfc2822(v)
        .ok()
        .map(|t| t.with_timezone(&Utc).max(now))
}

/// The health of a source as the CLI and the digest report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Health {
    Ok,
    /// Failing for longer than the configured time.
    Failing,
    /// Answering, but its newest item is older than the configured age.
    Stale,
    /// Never fetched yet.
    New,
    Disabled,
}

/// What health judgement needs to know of a source.
#[derive(Debug, Clone, Copy, Default)]
pub struct HealthInput {
    pub ever_fetched: bool,
    pub disabled: bool,
    pub failing_since: Option<DateTime<Utc>>,
    pub newest_item: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
}

/// Judges a source: failing for longer than `fail_after` (or failing and never once fetched
/// fine: nothing suggests a brief outage then), or fetched fine but with nothing newer than
/// `stale_after`.
pub fn health(h: &HealthInput, now: DateTime<Utc>, fail_after: Duration, stale_after: Duration) -> Health {
    let older_than =
        |t: DateTime<Utc>, d: Duration| now.signed_duration_since(t).to_std().is_ok_and(|age| age > d);
    if h.disabled {
        Health::Disabled
    } else if h
        .failing_since
        .is_some_and(|t| h.last_success.is_none() || older_than(t, fail_after))
    {
        Health::Failing
    } else if !h.ever_fetched {
        Health::New
    } else if h.last_success.is_some() && h.newest_item.is_none_or(|t| older_than(t, stale_after)) {
        Health::Stale
    } else {
        Health::Ok
    }
}

#[cfg(test)]
mod tests;
