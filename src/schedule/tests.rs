use chrono::{Datelike, TimeZone, Timelike, Weekday};

use super::*;

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

// 2026-11-28 is a Saturday.
const SAT: (i32, u32, u32) = (2026, 11, 28);

#[test]
fn five_field_cron_fires_on_the_minute() {
    let s = CronSchedule::parse("*/30 * * * *").unwrap();
    let n = s.next_after(at(SAT.0, SAT.1, SAT.2, 10, 5)).unwrap();
    assert_eq!((n.hour(), n.minute(), n.second()), (10, 30, 0));
    assert_eq!(s.period_after(n), Duration::from_secs(1800));
}

#[test]
fn six_field_cron_has_seconds_first() {
    let s = CronSchedule::parse("*/10 * * * * *").unwrap();
    let n = s.next_after(at(SAT.0, SAT.1, SAT.2, 10, 5)).unwrap();
    assert_eq!(n.second(), 10);
    assert_eq!(s.period_after(n), Duration::from_secs(10));
}

#[test]
fn sunday_is_zero_or_seven_as_in_crontab() {
    for expr in ["0 9 * * 0", "0 9 * * 7", "0 9 * * SUN", "0 0 9 * * 0"] {
        let n = CronSchedule::parse(expr)
            .unwrap()
            .next_after(at(SAT.0, SAT.1, SAT.2, 10, 0))
            .unwrap();
        assert_eq!(n.weekday(), Weekday::Sun, "{expr}");
        assert_eq!(n.day(), 29, "{expr}");
    }
}

#[test]
fn weekday_ranges_names_and_wrapping_ranges() {
    let next_days = |expr: &str| -> Vec<Weekday> {
        let s = CronSchedule::parse(expr).unwrap();
        let mut t = at(SAT.0, SAT.1, SAT.2, 12, 0);
        (0..5)
            .map(|_| {
                t = s.next_after(t).unwrap();
                t.weekday()
            })
            .collect()
    };
    use Weekday::*;
    assert_eq!(next_days("0 9 * * 1-5"), [Mon, Tue, Wed, Thu, Fri]);
    assert_eq!(next_days("0 9 * * MON-FRI"), [Mon, Tue, Wed, Thu, Fri]);
    assert_eq!(next_days("0 9 * * 5-7"), [Sun, Fri, Sat, Sun, Fri]);
    assert_eq!(next_days("0 9 * * 0,3"), [Sun, Wed, Sun, Wed, Sun]);
    assert_eq!(next_days("0 9 * * */2"), [Sun, Tue, Thu, Sat, Sun]);
}

#[test]
fn bad_cron_is_rejected_with_the_expression() {
    for bad in [
        "* * *",
        "61 * * * *",
        "0 9 * * 8",
        "0 9 * * 5-2",
        "nonsense a b c d",
    ] {
        let e = CronSchedule::parse(bad).unwrap_err().to_string();
        assert!(e.contains(bad), "{e}");
    }
}

#[test]
fn backoff_doubles_to_the_cap_with_bounded_jitter_and_resets() {
    let base = Duration::from_secs(60);
    let cap = Duration::from_secs(24 * 3600);
    assert_eq!(backoff(0, base, cap, "s"), Duration::ZERO);
    let mut prev = Duration::ZERO;
    for f in 1..=8 {
        let d = backoff(f, base, cap, "s");
        let nominal = base * (1 << (f - 1));
        assert!(
            d >= nominal.mul_f64(0.8) && d < nominal.mul_f64(1.2),
            "failure {f}: {d:?}"
        );
        assert!(d > prev, "grows: {d:?} after {prev:?}");
        prev = d;
    }
    for f in [12, 20, 31, 1000] {
        assert!(backoff(f, base, cap, "s") <= cap);
        assert!(backoff(f, base, cap, "s") >= cap.mul_f64(0.8));
    }
    // Jitter differs between sources, so they do not retry in lockstep.
    let spread: std::collections::HashSet<_> = (0..20)
        .map(|i| backoff(3, base, cap, &format!("src{i}")))
        .collect();
    assert!(spread.len() > 5);
}

#[test]
fn retry_after_in_seconds_and_as_http_date() {
    let now = at(2026, 11, 28, 12, 0);
    assert_eq!(parse_retry_after("3600", now), Some(at(2026, 11, 28, 13, 0)));
    assert_eq!(
        parse_retry_after("Sat, 28 Nov 2026 14:30:00 GMT", now),
        Some(at(2026, 11, 28, 14, 30))
    );
    // A date in the past means "now", never earlier.
    assert_eq!(parse_retry_after("Sat, 28 Nov 2026 10:00:00 GMT", now), Some(now));
    assert_eq!(parse_retry_after("soon", now), None);
}

#[test]
fn stale_and_failing_detection() {
    let now = at(2026, 11, 28, 12, 0);
    let day = Duration::from_secs(86400);
    let fresh = HealthInput {
        ever_fetched: true,
        newest_item: Some(now - chrono::Duration::days(1)),
        last_success: Some(now),
        ..Default::default()
    };
    assert_eq!(health(&fresh, now, day, 14 * day), Health::Ok);
    let frozen = HealthInput {
        newest_item: Some(at(2022, 12, 30, 0, 0)),
        ..fresh
    };
    assert_eq!(health(&frozen, now, day, 14 * day), Health::Stale);
    let empty = HealthInput {
        newest_item: None,
        ..fresh
    };
    assert_eq!(health(&empty, now, day, 14 * day), Health::Stale);
    let briefly = HealthInput {
        failing_since: Some(now - chrono::Duration::hours(2)),
        ..fresh
    };
    assert_eq!(health(&briefly, now, day, 14 * day), Health::Ok);
    let long = HealthInput {
        failing_since: Some(now - chrono::Duration::days(2)),
        ..fresh
    };
    assert_eq!(health(&long, now, day, 14 * day), Health::Failing);
    assert_eq!(health(&HealthInput::default(), now, day, 14 * day), Health::New);
    assert_eq!(
        health(
            &HealthInput {
                disabled: true,
                ..fresh
            },
            now,
            day,
            day
        ),
        Health::Disabled
    );
}

#[test]
fn spread_is_stable_and_inside_the_window() {
    let p = Duration::from_secs(1800);
    let max = Duration::from_secs(600);
    let a = spread("cgtn", p, max);
    assert_eq!(a, spread("cgtn", p, max));
    assert!(a < max);
    let offsets: std::collections::HashSet<_> = (0..50).map(|i| spread(&format!("s{i}"), p, max)).collect();
    assert!(offsets.len() > 40);
    assert_eq!(spread("x", Duration::ZERO, max), Duration::ZERO);
}

#[test]
fn manual_clock_advances() {
    let c = ManualClock::new(at(2026, 1, 1, 0, 0));
    c.advance(Duration::from_secs(90));
    assert_eq!(c.now(), Utc.with_ymd_and_hms(2026, 1, 1, 0, 1, 30).unwrap());
}

fn in_zone(expr: &str, zone: &str) -> CronSchedule {
    CronSchedule::parse_in(expr, zone.parse().unwrap()).unwrap()
}

#[test]
fn fields_are_wall_clock_time_in_the_schedules_zone() {
    // 07:00 in Beijing is 23:00 UTC the evening before.
    let s = in_zone("0 7 * * *", "Asia/Shanghai");
    assert_eq!(
        s.next_after(at(2026, 11, 30, 12, 0)),
        Some(at(2026, 11, 30, 23, 0))
    );
    // In Brussels, 07:00 is 06:00 UTC in winter and 05:00 UTC in summer.
    let s = in_zone("0 7 * * *", "Europe/Brussels");
    assert_eq!(s.next_after(at(2026, 12, 1, 0, 0)), Some(at(2026, 12, 1, 6, 0)));
    assert_eq!(s.next_after(at(2026, 7, 1, 0, 0)), Some(at(2026, 7, 1, 5, 0)));
}

#[test]
fn a_time_skipped_by_spring_forward_fires_at_the_end_of_the_gap() {
    // New York, 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00 UTC); 02:30 never happens.
    let s = in_zone("30 2 * * *", "America/New_York");
    let first = s.next_after(at(2026, 3, 7, 17, 0)).unwrap();
    assert_eq!(
        first,
        at(2026, 3, 8, 7, 0),
        "03:00 EDT, the first minute after the gap"
    );
    // The next day it is 02:30 EDT again, 06:30 UTC.
    assert_eq!(s.next_after(first), Some(at(2026, 3, 9, 6, 30)));
}

#[test]
fn a_time_repeated_by_fall_back_fires_once() {
    // New York, 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice.
    let s = in_zone("30 1 * * *", "America/New_York");
    let first = s.next_after(at(2026, 10, 31, 16, 0)).unwrap();
    assert_eq!(first, at(2026, 11, 1, 5, 30), "01:30 EDT, the first occurrence");
    let second = s.next_after(first).unwrap();
    assert_eq!(
        second,
        at(2026, 11, 2, 6, 30),
        "the next day at 01:30 EST, not 01:30 EST today"
    );
    // Asked from inside the repeated hour, it still does not fire again that day.
    assert_eq!(s.next_after(at(2026, 11, 1, 6, 10)), Some(at(2026, 11, 2, 6, 30)));
    // A period spanning the change is measured in real time.
    let daily = in_zone("0 12 * * *", "America/New_York");
    assert_eq!(
        daily.period_after(at(2026, 10, 31, 15, 0)),
        Duration::from_secs(25 * 3600)
    );
}

#[test]
fn restricted_day_of_month_or_weekday_fires_as_crontab_does() {
    // Crontab: "on the 1st, and on Mondays". 2026-11-28 is a Saturday.
    let s = CronSchedule::parse("0 9 1 * MON").unwrap();
    let mut t = at(SAT.0, SAT.1, SAT.2, 12, 0);
    let days: Vec<(u32, u32)> = (0..4)
        .map(|_| {
            t = s.next_after(t).unwrap();
            (t.month(), t.day())
        })
        .collect();
    assert_eq!(days, [(11, 30), (12, 1), (12, 7), (12, 14)]);
    // With one day field unrestricted, the other alone decides, as before.
    let s = CronSchedule::parse("0 9 * * 1").unwrap();
    assert_eq!(s.next_after(at(SAT.0, SAT.1, SAT.2, 12, 0)).unwrap().day(), 30);
    let s = CronSchedule::parse("0 9 1 * *").unwrap();
    assert_eq!(s.next_after(at(SAT.0, SAT.1, SAT.2, 12, 0)).unwrap().day(), 1);
}

#[test]
fn restricted_day_fields_are_or_across_a_dst_change() {
    // The 1st of the month or Sundays, at 01:30 in New York, across the fall-back of
    // Sunday 2026-11-01 (the 1st as well): one firing that day, at its first 01:30.
    let s = in_zone("30 1 1 * SUN", "America/New_York");
    let first = s.next_after(at(2026, 10, 31, 12, 0)).unwrap();
    assert_eq!(first, at(2026, 11, 1, 5, 30));
    assert_eq!(s.next_after(first), Some(at(2026, 11, 8, 6, 30)));
}

/// Issue 31: a source whose every fetch failed showed `ok` for its first `fail_after`, beside
/// its error. With no success ever, the first failure is enough.
#[test]
fn a_source_that_never_succeeded_is_failing_from_its_first_failure() {
    let now = at(2026, 11, 28, 12, 0);
    let day = Duration::from_secs(86400);
    let never_ok = HealthInput {
        ever_fetched: true,
        failing_since: Some(now - chrono::Duration::minutes(1)),
        last_success: None,
        ..Default::default()
    };
    assert_eq!(health(&never_ok, now, day, 14 * day), Health::Failing);
}
