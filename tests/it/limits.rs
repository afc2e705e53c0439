//! Config bounds: a duration, size or count outside its range (docs/configuration-limits.md)
//! stops every command with the file, the line and the key, before anything starts.

use crate::Env;

/// Regression: `timeout = "0s"` passed `check` and then every fetch failed;
/// `max_body = "99999999PiB"` passed and removed the cap on a body.
#[test]
fn out_of_range_durations_and_sizes_are_refused_with_file_line_and_key() {
    for (text, line, key) in [
        ("# fetch limits\n[fetch]\ntimeout = \"0s\"\n", 3, "fetch.timeout"),
        ("[fetch]\nmax_body = \"99999999PiB\"\n", 2, "fetch.max_body"),
        (
            "[poll]\nspread = \"1m\"\nbackoff_cap = \"1s\"\n",
            3,
            "poll.backoff_cap",
        ),
        ("[digest]\nsend_timeout = \"0s\"\n", 2, "digest.send_timeout"),
        (
            "[[source]]\nname = \"a\"\nurl = \"http://127.0.0.1:9/\"\nfollow_limit = 100000\n",
            4,
            "source.follow_limit",
        ),
    ] {
        let env = Env::new(text);
        for cmd in [&["check"][..], &["poll"][..], &["run"][..]] {
            let out = env.run(cmd);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{text:?} {cmd:?} was accepted");
            let at = format!("{}:{line}:", env.config().display());
            assert!(
                err.contains(&at) && err.contains(key) && err.contains("out of range"),
                "{text:?} {cmd:?}: want {at} and {key}: {err}"
            );
        }
        assert!(!env.db().exists(), "{text:?}: a database was created");
    }
    // The edges themselves are fine.
    let env = Env::new("[fetch]\ntimeout = \"1s\"\nmax_body = \"64MiB\"\n");
    env.ok(&["check"]);
}
