//! Tests of config parsing and validation.

use super::*;
use chrono::TimeZone;

fn parse(t: &str) -> Result<Config, ConfigError> {
    Config::parse(t, Path::new("/etc/sw/test.toml"))
}

#[test]
fn schedules_run_in_the_configured_zone() {
    let at = |h| chrono::Utc.with_ymd_and_hms(2026, 11, 30, h, 0, 0).unwrap();
    let c = parse("timezone = \"Asia/Shanghai\"\n[digest]\nschedule = \"0 7 * * *\"\n").unwrap();
    assert_eq!(c.zone(), chrono_tz::Asia::Shanghai);
    // 07:00 in Beijing is 23:00 UTC the day before.
    assert_eq!(c.digest_schedule().unwrap().next_after(at(12)), Some(at(23)));
    let c = parse(
        "timezone = \"UTC\"\n[[source]]\nname = \"a\"\nurl = \"http://x/\"\nschedule = \"0 7 * * *\"\n",
    )
    .unwrap();
    let s = c.schedule_of(&c.sources[0]);
    assert_eq!(
        s.next_after(at(12)),
        Some(chrono::Utc.with_ymd_and_hms(2026, 12, 1, 7, 0, 0).unwrap())
    );
}

#[test]
fn unknown_key_names_file_line_and_key() {
    let e = parse("[fetch]\ntimeout = \"5s\"\nspeed = 3\n")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("/etc/sw/test.toml:3:1:"), "{e}");
    assert!(e.contains("speed"), "{e}");
}

#[test]
fn wrong_type_is_located() {
    let e = parse("[fetch]\nconcurrency = \"many\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("/etc/sw/test.toml:2:"), "{e}");
}

#[test]
fn bad_url_and_duplicate_names_are_located() {
    let e = parse("[[source]]\nname = \"a\"\nurl = \"ftp://x/y\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains(":3:") && e.contains("source.url"), "{e}");
    let e = parse(
        "[[source]]\nname = \"a\"\nurl = \"http://x/\"\n[[source]]\nname = \"a\"\nurl = \"http://y/\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("duplicate"), "{e}");
}

#[test]
fn bad_cron_names_the_key_and_line() {
    let e = parse("[poll]\nschedule = \"every day\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains(":2:") && e.contains("poll.schedule"), "{e}");
    let e = parse("[[source]]\nname = \"a\"\nurl = \"http://x/\"\nschedule = \"0 9 * * 9\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains(":4:") && e.contains("source.schedule"), "{e}");
}

#[test]
fn rsshub_routes_become_urls_on_the_base() {
    let c = parse("[rsshub]\nbase = \"http://127.0.0.1:1200/\"\n[[source]]\nname = \"m\"\nrsshub = \"/gov/mofcom/article/xwfb\"\n").unwrap();
    assert_eq!(c.sources[0].url, "http://127.0.0.1:1200/gov/mofcom/article/xwfb");
    let e = parse("[[source]]\nname = \"m\"\nrsshub = \"/gov/x\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains(":3:") && e.contains("[rsshub] base"), "{e}");
    let e = parse("[[source]]\nname = \"m\"\n").unwrap_err().to_string();
    assert!(e.contains("needs a url"), "{e}");
}

#[test]
fn defaults_and_relative_db_path() {
    let c = parse("[fetch]\ntimeout = \"12s\"\nmax_body = \"1MiB\"\n").unwrap();
    assert_eq!(c.fetch.timeout, Duration::from_secs(12));
    assert_eq!(c.fetch.max_body, 1024 * 1024);
    assert_eq!(c.fetch.max_redirects, 5);
    assert_eq!(c.storage.path, PathBuf::from("/etc/sw/sigwatch.db"));
}

#[test]
fn bad_watch_rule_names_file_line_and_token() {
    let e = parse("[watch.a]\nterms = [\"x\"]\n\n[watch.b]\nterms = [\"y\"]\nall = [\"@a\", \"@nope\"]\n")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("/etc/sw/test.toml:6:15:"), "{e}");
    assert!(e.contains("watch.b") && e.contains("@nope"), "{e}");
    let long = "z".repeat(1_001);
    let e = parse(&format!("[watch.a]\nterms = [\"x\",\n  \"{long}\"]\n"))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("/etc/sw/test.toml:3:4:"), "{e}");
    assert!(e.contains("at most 1000"), "{e}");
}

#[test]
fn the_mail_channel_can_be_named_and_routed_and_channels_are_checked() {
    let base = "[watch.a]\nterms = [\"x\"]\n[watch.b]\nterms = [\"y\"]\nnotify = [\"mail\", \"chat\"]\n";
    let c = parse(&format!(
        "{base}[[notify]]\nname = \"mail\"\nkind = \"email\"\nwatches = [\"a\"]\ndigests_only = true\n\
         [[notify]]\nname = \"chat\"\nkind = \"ntfy\"\nserver = \"https://ntfy.test\"\ntopic = \"t\"\n"
    ))
    .unwrap();
    assert_eq!(c.email_name(), "mail");
    assert!(c.routes("mail", "a", MessageKind::Digest));
    assert!(!c.routes("mail", "a", MessageKind::Alert), "digests only");
    assert!(
        c.routes("mail", "b", MessageKind::Digest),
        "an explicit route wins"
    );
    assert!(c.routes("chat", "b", MessageKind::Alert));
    assert!(
        c.routes("chat", "a", MessageKind::Alert),
        "without `watches`, every unrouted watch"
    );
    // Once mail is named otherwise, "email" names nothing.
    let e = parse(&format!(
        "{}[[notify]]\nname = \"mail\"\nkind = \"email\"\n",
        base.replace("\"mail\", \"chat\"", "\"email\"")
    ))
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("/etc/sw/test.toml:5:"), "{e}");
    assert!(e.contains("watch.b.notify: no channel named \"email\""), "{e}");
    // A setting another kind has, and a URL that is not http(s), are refused at their line.
    let e = parse(&format!(
        "{base}[[notify]]\nname = \"chat\"\nkind = \"slack\"\nurl = \"https://h.test/x\"\ntopic = \"t\"\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("/etc/sw/test.toml:10:") && e.contains("notify.topic"),
        "{e}"
    );
    let e = parse(&format!(
        "{base}[[notify]]\nname = \"chat\"\nkind = \"webhook\"\nurl = \"file:///etc/passwd\"\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("/etc/sw/test.toml:9:") && e.contains("not an http or https URL"),
        "{e}"
    );
}

#[test]
fn bad_alert_rule_names_file_line_and_token() {
    let base = "[watch.a]\nterms = [\"x\"]\n\n[watch.b]\nterms = [\"y\"]\n";
    let e = parse(&format!("{base}[[watch.b.alert_rule]]\nall = [\"@a\"]\n"))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("/etc/sw/test.toml:6:1:"), "{e}");
    assert!(e.contains("watch.b.alert_rule: needs alert"), "{e}");
    let e = parse(&format!(
        "{base}alert = \"immediate\"\n[[watch.b.rule]]\nall = [\"@nope\"]\n[[watch.b.alert_rule]]\nall = [\"@a\", \"@gone\"]\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(e.contains("@nope"), "the watch's own rules first: {e}");
    let e = parse(&format!(
        "{base}alert = \"immediate\"\n[[watch.b.alert_rule]]\nall = [\"@a\", \"@gone\"]\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("/etc/sw/test.toml:8:15:"), "{e}");
    assert!(e.contains("watch.b.alert_rule:") && e.contains("@gone"), "{e}");
    let ok = parse(&format!(
        "{base}alert = \"immediate\"\n[[watch.b.alert_rule]]\nall = [\"@a\"]\nscope = \"title\"\n"
    ));
    assert!(ok.is_ok(), "{:?}", ok.err());
}
