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
