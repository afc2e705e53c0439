//! Bad configs stop sigwatch before it starts anything: a clear message naming the file, the
//! line and the key, a non-zero exit, and no database created.

use std::os::unix::fs::PermissionsExt;

use crate::Env;

const GOOD_SOURCE: &str = "[[source]]\nname = \"a\"\nurl = \"http://127.0.0.1:9/feed\"\n";

/// (what is wrong, config text, the key the message must name, the line it is on)
fn cases() -> Vec<(&'static str, String, &'static str, usize)> {
    vec![
        (
            "a string for a duration",
            "[fetch]\ntimeout = true\n".into(),
            "timeout",
            2,
        ),
        (
            "a string for a number",
            "[fetch]\nconcurrency = \"many\"\n".into(),
            "concurrency",
            2,
        ),
        (
            "a number for a list",
            format!("{GOOD_SOURCE}tags = 3\n"),
            "tags",
            4,
        ),
        (
            "a table for a string",
            "[storage]\npath = { a = 1 }\n".into(),
            "path",
            2,
        ),
        (
            "a number for a bool",
            format!("{GOOD_SOURCE}enabled = 1\n"),
            "enabled",
            4,
        ),
        (
            "an unknown key",
            "[poll]\nschedul = \"*/5 * * * *\"\n".into(),
            "schedul",
            2,
        ),
        (
            "an unknown source key",
            format!("{GOOD_SOURCE}titel = \"a\"\n"),
            "titel",
            4,
        ),
        (
            "a bad cron",
            "[poll]\nschedule = \"every five minutes\"\n".into(),
            "poll.schedule",
            2,
        ),
        (
            "a bad source cron",
            format!("{GOOD_SOURCE}schedule = \"61 * * * *\"\n"),
            "source.schedule",
            4,
        ),
        (
            "a bad URL",
            "[[source]]\nname = \"a\"\nurl = \"not a url\"\n".into(),
            "url",
            3,
        ),
        (
            "an unknown source role",
            format!("{GOOD_SOURCE}role = \"ministry\"\n"),
            "role",
            4,
        ),
        (
            "an unknown top-level time zone",
            format!("timezone = \"Europe/Atlantis\"\n{GOOD_SOURCE}"),
            "timezone",
            1,
        ),
        (
            "an unknown time zone",
            format!("{GOOD_SOURCE}timezone = \"Mars/Base\"\n"),
            "timezone",
            4,
        ),
        (
            "a bad selector",
            format!("{GOOD_SOURCE}kind = \"html\"\nitem = \"li[\"\ntitle = \"a\"\n"),
            "source.item",
            5,
        ),
        (
            "a bad weight",
            "[watch.x]\nterms = [\"a\"]\nweight = -1.0\n".into(),
            "weight",
            3,
        ),
    ]
}

fn refused(env: &Env, args: &[&str]) -> String {
    let out = env.run(args);
    assert!(!out.status.success(), "sigwatch {args:?} accepted a bad config");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn each_bad_config_is_refused_naming_file_line_and_key_and_nothing_starts() {
    for (what, text, key, line) in cases() {
        let env = Env::new(&text);
        for cmd in [&["check"][..], &["run"][..], &["poll"][..]] {
            let err = refused(&env, cmd);
            assert!(
                err.contains("sigwatch.toml") && err.contains(&format!(":{line}:")) && err.contains(key),
                "{what}, {cmd:?}: the message must name the file, line {line} and {key}: {err}"
            );
        }
        assert!(!env.db().exists(), "{what}: a database was created");
    }
}

fn with_password_file(mode: u32, exists: bool) -> Env {
    let env = Env::new("");
    let pw = env.dir.path().join("smtp-password");
    if exists {
        std::fs::write(&pw, "secret\n").unwrap();
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    std::fs::write(
        env.config(),
        format!(
            "{GOOD_SOURCE}[smtp]\nhost = \"127.0.0.1\"\nport = 2525\nsecurity = \"none\"\nusername = \"u\"\n\
             password_file = \"{}\"\n[digest]\nto = [\"a@example.com\"]\n",
            pw.display()
        ),
    )
    .unwrap();
    env
}

#[test]
fn a_missing_or_world_readable_password_file_stops_check_and_run() {
    for (env, want) in [
        (with_password_file(0o600, false), "cannot read"),
        (with_password_file(0o644, true), "readable by every user"),
    ] {
        for cmd in [&["check"][..], &["run"][..]] {
            let err = refused(&env, cmd);
            assert!(
                err.contains("sigwatch.toml:9:") && err.contains("smtp.password_file") && err.contains(want),
                "{cmd:?}: {err}"
            );
            assert!(!err.contains("secret"), "the password never shows: {err}");
        }
        assert!(!env.db().exists(), "nothing started");
    }
    let ok = with_password_file(0o600, true);
    assert!(ok.run(&["check"]).status.success());
}
