//! The command line's manners (issue 31): every command and `--format` either works fully or
//! is refused by the argument parser; exit statuses; `-q`; plurals; journald priorities; man
//! pages that name only pages that exist.

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::process::{Command, Stdio};

use clap::CommandFactory;

use crate::server::{Reply, Server};
use crate::{Env, WATCHES, rss};

/// Every format any command knows: a command refuses those it does not list.
const FORMATS: [&str; 5] = ["table", "text", "json", "jsonl", "csv"];

/// A database with one source, one item with hits, and a queued digest.
fn populated() -> (Server, Env) {
    let srv = Server::start();
    srv.route(
        "/feed.xml",
        Reply::ok(
            "application/rss+xml",
            rss(&[(
                "a1",
                "=HYPERLINK(\"http://evil.test\") rare earth quota",
                "出口管制 chip",
            )]),
        ),
    );
    srv.route("/empty.xml", Reply::ok("application/rss+xml", rss(&[])));
    srv.route("/gone.xml", Reply::status(404));
    let env = Env::new(&format!(
        "[digest]\nmail_backlog = true\n\
         [[source]]\nname = \"feed\"\nurl = \"{}\"\n\
         [[source]]\nname = \"empty\"\nurl = \"{}\"\nenabled = false\n\
         [[source]]\nname = \"gone\"\nurl = \"{}\"\nenabled = false\n{WATCHES}",
        srv.url("/feed.xml"),
        srv.url("/empty.xml"),
        srv.url("/gone.xml"),
    ));
    env.ok(&["poll"]);
    env.ok(&["digest"]);
    (srv, env)
}

/// Every command path (`["db", "backup"]`) with the formats its `--format` offers.
fn commands() -> Vec<(Vec<String>, Option<Vec<String>>)> {
    fn walk(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<(Vec<String>, Option<Vec<String>>)>) {
        let formats = cmd.get_arguments().find(|a| a.get_id() == "format").map(|a| {
            a.get_possible_values()
                .iter()
                .map(|v| v.get_name().to_string())
                .collect()
        });
        if !path.is_empty() {
            out.push((path.clone(), formats));
        }
        for sub in cmd.get_subcommands() {
            let mut p = path.clone();
            p.push(sub.get_name().to_string());
            walk(sub, p, out);
        }
    }
    let mut out = Vec::new();
    walk(&sigwatch::cli::Cli::command(), Vec::new(), &mut out);
    out
}

/// What a command needs besides `--format` to run against [`populated`].
fn required_args(path: &[String]) -> Vec<&'static str> {
    match path.join(" ").as_str() {
        "show" => vec!["1"],
        "digest" => vec!["--status"],
        _ => vec![],
    }
}

fn check_output(format: &str, what: &str, stdout: &str) {
    match format {
        "json" => {
            serde_json::from_str::<serde_json::Value>(stdout)
                .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {stdout}"));
        }
        "jsonl" => {
            assert!(!stdout.trim().is_empty(), "{what}: no lines");
            for line in stdout.lines() {
                serde_json::from_str::<serde_json::Value>(line)
                    .unwrap_or_else(|e| panic!("{what}: line not JSON ({e}): {line}"));
            }
        }
        "csv" => {
            let mut rdr = csv::Reader::from_reader(stdout.as_bytes());
            let header = rdr.headers().unwrap_or_else(|e| panic!("{what}: {e}")).clone();
            assert!(!header.is_empty(), "{what}: no header: {stdout}");
            let rows: Vec<_> = rdr
                .records()
                .collect::<Result<_, _>>()
                .unwrap_or_else(|e| panic!("{what}: bad CSV ({e}): {stdout}"));
            assert!(!rows.is_empty(), "{what}: no rows: {stdout}");
            // Feed text never reaches a spreadsheet as a formula.
            for row in &rows {
                for cell in row {
                    assert!(!cell.starts_with('='), "{what}: formula cell {cell:?}");
                }
            }
        }
        _ => assert!(!stdout.trim().is_empty(), "{what}: printed nothing"),
    }
}

#[test]
fn every_command_and_format_works_or_is_refused_by_the_parser() {
    let (_srv, env) = populated();
    let mut with_format = BTreeSet::new();
    for (path, formats) in commands() {
        let name = path.join(" ");
        for format in FORMATS {
            let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
            args.extend(required_args(&path));
            args.extend(["--format", format]);
            let what = format!("sigwatch {}", args.join(" "));
            let offered = formats.as_ref().is_some_and(|f| f.iter().any(|f| f == format));
            let out = env.run(&args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            if offered {
                with_format.insert(name.clone());
                assert!(out.status.success(), "{what}: {}\n{stderr}", out.status);
                check_output(format, &what, &String::from_utf8_lossy(&out.stdout));
            } else {
                assert_eq!(out.status.code(), Some(2), "{what} was not refused: {stderr}");
                assert!(
                    stderr.contains("invalid value") || stderr.contains("unexpected argument"),
                    "{what}: refused, but not by the parser: {stderr}"
                );
            }
        }
    }
    // Every command that prints a table offers the machine formats.
    for listing in ["hits", "sources", "stats", "trends", "digest", "poll", "rematch"] {
        let formats = commands()
            .into_iter()
            .find(|(p, _)| p.join(" ") == listing)
            .and_then(|(_, f)| f)
            .unwrap_or_default();
        for f in ["table", "json", "jsonl", "csv"] {
            assert!(formats.iter().any(|x| x == f), "{listing} lacks --format {f}");
        }
    }
    assert!(with_format.contains("show"), "{with_format:?}");
    // --format without --status is refused by the parser, not ignored.
    let out = env.run(&["digest", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn exit_statuses_are_0_found_1_nothing_2_usage_3_failure() {
    let (_srv, env) = populated();
    let code = |args: &[&str]| env.run(args).status.code();
    assert_eq!(code(&["match", "rare earth prices"]), Some(0));
    assert_eq!(
        code(&["match", "nothing to see"]),
        Some(1),
        "match without a match"
    );
    assert_eq!(code(&["show", "999999"]), Some(1), "show of an unknown item");
    assert_eq!(
        code(&["sources", "test", "empty"]),
        Some(1),
        "sources test that read nothing"
    );
    assert_eq!(code(&["sources", "test", "feed"]), Some(0));
    assert_eq!(code(&["no-such-command"]), Some(2));
    assert_eq!(code(&["hits", "--since", "someday"]), Some(2), "a bad date");
    assert_eq!(code(&["poll", "nosuch"]), Some(2), "an unknown source");
    assert_eq!(code(&["sources", "test", "no such thing"]), Some(2));
    let backup = env.dir.path().join("backup.db");
    assert_eq!(code(&["db", "backup", backup.to_str().unwrap()]), Some(0));
    assert_eq!(
        code(&["db", "backup", backup.to_str().unwrap()]),
        Some(2),
        "backup over a file"
    );
    assert_eq!(code(&["sources", "test", "gone"]), Some(3), "a fetch that fails");
    let no_db = Env::new(&format!(
        "[[source]]\nname = \"a\"\nurl = \"http://127.0.0.1:9/\"\n{WATCHES}"
    ));
    assert_eq!(no_db.run(&["hits"]).status.code(), Some(3), "no database yet");

    let bad = Env::new("[fetch]\ntimeout = \"5 parsecs\"\n");
    let out = bad.run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sigwatch.toml:2") && err.contains("timeout"),
        "{err}"
    );
    let missing = crate::sigwatch(&env.dir.path().join("nope.toml"), &["check"]);
    assert_eq!(missing.status.code(), Some(2));
    let err = String::from_utf8_lossy(&missing.stderr);
    // The cause is said once, not once per layer of the error.
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

#[test]
fn quiet_prints_what_was_asked_and_nothing_else_and_counts_are_singular_for_one() {
    let (_srv, env) = populated();
    let loud = env.run(&["hits"]);
    let note = String::from_utf8_lossy(&loud.stderr);
    // One item in three watches: three hits; one story.
    assert!(note.contains("3 hits;"), "{note}");
    let one = env.run(&["hits", "--watch", "rare-earths"]);
    assert!(String::from_utf8_lossy(&one.stderr).contains("1 hit;"));
    let stories = env.run(&["hits", "--stories"]);
    assert!(String::from_utf8_lossy(&stories.stderr).contains("1 story;"));
    let quiet = env.run(&["-q", "hits"]);
    assert!(quiet.status.success());
    assert_eq!(String::from_utf8_lossy(&quiet.stderr), "", "-q left notes");
    assert_eq!(quiet.stdout, loud.stdout, "-q changed what was asked for");
    assert_eq!(
        env.run(&["-q", "-v", "hits"]).status.code(),
        Some(2),
        "-q with -v"
    );

    let polled = env.ok(&["poll", "feed"]);
    assert!(polled.starts_with("polled 1 source: 1 fetched"), "{polled}");
    assert!(polled.contains("feed: 1 item, 0 new, 0 new hits"), "{polled}");
    let checked = env.ok(&["check"]);
    assert!(checked.contains("(3 sources, 1 enabled; 3 watches;"), "{checked}");
    let one = Env::new(&format!(
        "[[source]]\nname = \"a\"\nurl = \"http://127.0.0.1:9/\"\n{WATCHES}"
    ));
    assert!(one.ok(&["check"]).contains("(1 source, 1 enabled;"));
    // The one item is dated 2026-11-23.
    let pruned = env.ok(&["db", "prune", "--older-than", "1d", "--with-hits"]);
    assert!(pruned.starts_with("deleted 1 item and 3 hits"), "{pruned}");
}

/// Runs `sigwatch` with stderr in a file whose device and inode are in JOURNAL_STREAM (as
/// systemd sets them when stderr is the journal), or not, and returns what it wrote there.
fn stderr_as_journal(env: &Env, args: &[&str], journal: bool) -> String {
    let path = env.dir.path().join("stderr.log");
    let file = std::fs::File::create(&path).unwrap();
    let meta = file.metadata().unwrap();
    let stream = if journal {
        format!("{}:{}", meta.dev(), meta.ino())
    } else {
        format!("{}:{}", meta.dev(), meta.ino() + 1)
    };
    let status = Command::new(env!("CARGO_BIN_EXE_sigwatch"))
        .arg("--config")
        .arg(env.config())
        .args(args)
        .env_remove("RUST_LOG")
        .env("JOURNAL_STREAM", stream)
        .stdout(Stdio::null())
        .stderr(file)
        .status()
        .unwrap();
    let _ = status;
    std::fs::read_to_string(&path).unwrap()
}

#[test]
fn under_journald_each_line_carries_its_priority() {
    let (_srv, env) = populated();
    // A warning: a world-readable database is narrowed when opened for writing.
    std::fs::set_permissions(env.db(), std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let log = stderr_as_journal(&env, &["db", "check"], true);
    assert!(log.starts_with("<4>"), "{log}");
    assert!(!log.contains("\x1b["), "colours in the journal: {log:?}");
    let bad = Env::new("[fetch]\ntimeout = \"5 parsecs\"\n");
    let log = stderr_as_journal(&bad, &["check"], true);
    assert!(log.starts_with("<3>sigwatch: error:"), "{log}");
    // JOURNAL_STREAM inherited by a process whose stderr is elsewhere: no prefixes.
    let log = stderr_as_journal(&bad, &["check"], false);
    assert!(log.starts_with("sigwatch: error:"), "{log}");
    // The daemon's info lines are <6>.
    let log = stderr_as_journal(&env, &["-v", "poll", "feed"], true);
    assert!(
        log.lines().any(|l| l.starts_with("<6>") || l.starts_with("<7>")),
        "{log}"
    );
    assert!(log.lines().all(|l| l.starts_with('<')), "{log}");
}

#[test]
fn man_pages_cover_every_command_and_name_only_pages_that_exist() {
    let env = Env::new(WATCHES);
    let dir = env.dir.path().join("man");
    env.ok(&["man", "--dir", dir.to_str().unwrap()]);
    let files: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for (path, _) in commands() {
        if path.last().is_some_and(|p| p == "help") {
            continue;
        }
        let page = format!("sigwatch-{}.1", path.join("-"));
        assert!(files.contains(&page), "no page {page}: {files:?}");
    }
    assert!(
        files.contains("sigwatch.1") && files.contains("sigwatch.toml.5"),
        "{files:?}"
    );
    let reference = regex::Regex::new(r"([a-z][a-z.\-]*)\((\d)\)").unwrap();
    let mut named = 0;
    for f in &files {
        let text = std::fs::read_to_string(dir.join(f)).unwrap().replace("\\-", "-");
        for c in reference.captures_iter(&text) {
            let page = format!("{}.{}", &c[1], &c[2]);
            if page.starts_with("sigwatch") {
                named += 1;
                assert!(files.contains(&page), "{f} names {page}, which does not exist");
            }
        }
    }
    assert!(named > 20, "the pages name each other: {named}");
    let top = std::fs::read_to_string(dir.join("sigwatch.1")).unwrap();
    for section in ["EXIT STATUS", "ENVIRONMENT", "FILES", "SEE ALSO"] {
        assert!(
            top.contains(&format!(".SH \"{section}\"")) || top.contains(&format!(".SH {section}")),
            "no {section}"
        );
    }
    let config = env.ok(&["man", "sigwatch.toml"]);
    assert!(
        config.contains("[storage]") && config.contains("fail_after"),
        "the reference config"
    );
    assert!(env.ok(&["man", "sigwatch-poll"]).contains("sigwatch\\-poll"));
    assert_eq!(env.run(&["man", "sigwatch-nope"]).status.code(), Some(2));
}
