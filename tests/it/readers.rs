//! An operator in the service's group queries the database the daemon writes, as another
//! user: the daemon runs as one uid, the operator is a second uid whose supplementary group is
//! the daemon's, and neither the database's folder nor its files are group-writable (0750 and
//! 0640, as systemd's `StateDirectory=` and sigwatch make them). Regression for issue 31:
//! with the daemon stopped, `hits` failed with SQLITE_READONLY_DIRECTORY; with it running,
//! `sources` failed with "attempt to write a readonly database".
//!
//! Switching users needs root and `setpriv`; without them the test says so and does nothing.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::server::{Reply, Server};
use crate::{Env, WATCHES, rss};

const DAEMON_UID: u32 = 64_101;
const OPERATOR_UID: u32 = 64_102;
const GROUP: u32 = 64_100;

/// Whether this process may run commands as other users, with the reason when not.
pub fn can_switch_users() -> Result<(), String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err("not running as root".into());
    }
    match Command::new("setpriv").arg("--version").output() {
        Ok(o) if o.status.success() => Ok(()),
        _ => Err("setpriv (util-linux) is not installed".into()),
    }
}

/// `sigwatch --config … args…` as the daemon's user (its group is the service's).
fn as_daemon(env: &Env, args: &[&str]) -> Command {
    let mut c = Command::new("setpriv");
    c.args([
        &format!("--reuid={DAEMON_UID}"),
        &format!("--regid={GROUP}"),
        "--clear-groups",
        "--",
        env!("CARGO_BIN_EXE_sigwatch"),
    ]);
    c.arg("--config")
        .arg(env.config())
        .args(args)
        .env_remove("RUST_LOG");
    c
}

/// `sigwatch --config … args…` as an operator: a user of its own, in the service's group.
fn as_operator(env: &Env, args: &[&str]) -> Output {
    Command::new("setpriv")
        .args([
            &format!("--reuid={OPERATOR_UID}"),
            &format!("--regid={OPERATOR_UID}"),
            &format!("--groups={GROUP}"),
            "--",
            env!("CARGO_BIN_EXE_sigwatch"),
        ])
        .arg("--config")
        .arg(env.config())
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run setpriv")
}

fn chown(p: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(p, Some(uid), Some(gid))
        .unwrap_or_else(|e| panic!("chown {}: {e}", p.display()));
}

/// Every read-only command an operator runs, each of which must succeed and print `expect`.
fn operator_queries(env: &Env, when: &str) {
    for (args, expect) in [
        (&["hits", "--format", "json"][..], "Rare earth quota cut"),
        (&["sources", "--format", "json"][..], "\"feed\""),
        (&["stats"][..], "rare-earths"),
        (&["show", "1"][..], "Rare earth quota cut"),
        (&["trends", "--format", "json"][..], "rare-earths"),
        (&["digest", "--status", "--format", "json"][..], "["),
        (&["digest", "--preview"][..], "Rare earth quota cut"),
    ] {
        let out = as_operator(env, args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains(expect),
            "{when}: operator `sigwatch {}`: {}\nstdout: {stdout}\nstderr: {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn stop(mut daemon: Child) {
    // SAFETY: our own child's pid.
    unsafe { libc::kill(daemon.id() as i32, libc::SIGTERM) };
    let status = daemon.wait().expect("wait for the daemon");
    assert!(status.success(), "daemon: {status}");
}

#[test]
#[ignore = "needs root and setpriv to run as two users; `cargo test -- --ignored` runs it, saying so without them"]
fn an_operator_in_the_group_queries_with_the_daemon_running_and_stopped() {
    if let Err(why) = can_switch_users() {
        eprintln!("skipped: an operator's queries as a second user need root and setpriv: {why}");
        return;
    }
    let srv = Server::start();
    srv.route(
        "/feed.xml",
        Reply::ok(
            "application/rss+xml",
            rss(&[("r1", "Rare earth quota cut", "稀土")]),
        ),
    );
    let env = Env::new(&format!(
        "[storage]\npath = \"state/sigwatch.db\"\n[poll]\nschedule = \"*/2 * * * * *\"\nspread = \"0s\"\n\
         [digest]\nmail_backlog = true\n[[source]]\nname = \"feed\"\nurl = \"{}\"\n{WATCHES}",
        srv.url("/feed.xml")
    ));
    let dir = env.dir.path();
    // The temporary folder is private to root; the other users must reach the config in it.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(env.config(), std::fs::Permissions::from_mode(0o644)).unwrap();
    // As StateDirectory= makes it: the daemon's, its group may enter and read, not write.
    let state = dir.join("state");
    std::fs::create_dir(&state).unwrap();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o750)).unwrap();
    chown(&state, DAEMON_UID, GROUP);

    let daemon = as_daemon(&env, &["run"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the daemon");
    let start = Instant::now();
    let db = state.join("sigwatch.db");
    loop {
        let out = as_operator(&env, &["hits", "--format", "json"]);
        if out.status.success() && String::from_utf8_lossy(&out.stdout).contains("quota") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the daemon stored nothing"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    operator_queries(&env, "daemon running");
    stop(daemon);

    let (wal, shm) = (state.join("sigwatch.db-wal"), state.join("sigwatch.db-shm"));
    assert!(
        wal.exists() && shm.exists(),
        "the daemon keeps the -wal and -shm files for readers"
    );
    operator_queries(&env, "daemon stopped");

    // A database last closed by an older sigwatch, which removed its -wal and -shm files.
    std::fs::remove_file(&wal).unwrap();
    std::fs::remove_file(&shm).unwrap();
    operator_queries(&env, "daemon stopped, no -wal or -shm");
    assert!(
        !wal.exists() && !shm.exists(),
        "a reader created {}",
        wal.display()
    );

    // Nothing the operator ran wrote to the database: every file is still the daemon's.
    for p in std::fs::read_dir(&state).unwrap() {
        let p = p.unwrap().path();
        let owner = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&p).unwrap());
        assert_eq!(owner, DAEMON_UID, "{} was made by another user", p.display());
    }
    let _ = db;
}

/// A relative `[storage] path` under systemd (`$STATE_DIRECTORY` set) is in the state folder,
/// not beside the config in /etc, which `ProtectSystem=strict` makes read-only.
#[test]
fn a_relative_database_path_is_in_the_state_directory_under_systemd() {
    let env = Env::new(&format!("[storage]\npath = \"sigwatch.db\"\n{WATCHES}"));
    let state = env.dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sigwatch"))
        .arg("--config")
        .arg(env.config())
        .args(["poll"])
        .env("STATE_DIRECTORY", &state)
        .output()
        .expect("run sigwatch");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        state.join("sigwatch.db").exists(),
        "no database in $STATE_DIRECTORY"
    );
    assert!(!env.db().exists(), "a database beside the config");
    let out = Command::new(env!("CARGO_BIN_EXE_sigwatch"))
        .arg("--config")
        .arg(env.config())
        .arg("check")
        .env("STATE_DIRECTORY", &state)
        .output()
        .expect("run sigwatch");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("{}", state.join("sigwatch.db").display())),
        "{stdout}"
    );
}
