//! `sigwatch run`: the real binary as a daemon, driven by signals.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::server::{Reply, Server};
use crate::{Env, WATCHES, rss};

fn daemon_config(sources: &[(&str, String)]) -> String {
    // Six-field cron: every two seconds, so a test sees several cycles quickly.
    let mut c =
        String::from("[fetch]\ntimeout = \"5s\"\n[poll]\nschedule = \"*/2 * * * * *\"\nspread = \"0s\"\n");
    for (name, url) in sources {
        c.push_str(&format!("\n[[source]]\nname = \"{name}\"\nurl = \"{url}\"\n"));
    }
    c.push_str(WATCHES);
    c
}

pub fn start(env: &Env) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sigwatch"))
        .arg("--config")
        .arg(env.config())
        .arg("run")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sigwatch run")
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: kill has no memory effects; the pid is our own child's.
    let rc = unsafe { libc::kill(child.id() as i32, sig) };
    assert_eq!(rc, 0, "kill failed");
}

/// Waits up to `limit` for `cond`, checking every 100 ms.
pub fn wait_for(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Sends SIGTERM and expects a clean exit within a few seconds; returns stderr.
pub fn stop(mut child: Child) -> String {
    signal(&child, libc::SIGTERM);
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            panic!("sigwatch did not stop within 5 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        std::io::Read::read_to_string(&mut e, &mut err).ok();
    }
    assert!(status.success(), "exit status {status}; log:\n{err}");
    err
}

#[test]
fn run_polls_on_schedule_gets_304s_and_stops_cleanly_on_sigterm() {
    let srv = Server::start();
    let feed = rss(&[
        ("d1", "Rare earth quota cut", "稀土"),
        ("d2", "Chip fab news", "x"),
    ]);
    srv.route("/feed.xml", Reply::ok("application/rss+xml", feed).etag("\"e1\""));
    let env = Env::new(&daemon_config(&[("feed", srv.url("/feed.xml"))]));
    let child = start(&env);

    wait_for(Duration::from_secs(30), "three polls", || {
        srv.seen("/feed.xml").len() >= 3
    });
    let log = stop(child);

    let seen = srv.seen("/feed.xml");
    assert_eq!(seen[0].status, 200);
    assert!(
        seen[1..].iter().all(|s| s.status == 304),
        "later polls are 304s: {:?}",
        seen.iter().map(|s| s.status).collect::<Vec<_>>()
    );
    assert!(log.contains("poll cycle done"), "{log}");
    // Nothing lost: the items and hits of the first poll are in the database, once.
    assert_eq!(env.count("items"), 2);
    // d1's "Rare earth" and 稀土 are one hit of rare-earths (an item in a watch), d2's chip one.
    assert_eq!(env.count("hits"), 2);
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let status: String = conn
        .query_row("SELECT last_status FROM sources WHERE name = 'feed'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(status, "not-modified");
}

#[test]
fn sighup_reloads_the_config_and_a_bad_config_is_kept_out() {
    let srv = Server::start();
    srv.route(
        "/a.xml",
        Reply::ok("application/rss+xml", rss(&[("a1", "A", "a")])),
    );
    srv.route(
        "/b.xml",
        Reply::ok("application/rss+xml", rss(&[("b1", "B", "b")])),
    );
    let env = Env::new(&daemon_config(&[("a", srv.url("/a.xml"))]));
    let child = start(&env);
    wait_for(Duration::from_secs(20), "the first poll of a", || {
        !srv.seen("/a.xml").is_empty()
    });

    // A broken config is reported and the running one kept: polling goes on.
    std::fs::write(env.config(), "[poll]\nschedule = \"not cron\"\n").unwrap();
    signal(&child, libc::SIGHUP);
    let before = srv.seen("/a.xml").len();
    wait_for(
        Duration::from_secs(20),
        "a still polled after a bad reload",
        || srv.seen("/a.xml").len() > before + 1,
    );

    // A good new config adds source b.
    std::fs::write(
        env.config(),
        daemon_config(&[("a", srv.url("/a.xml")), ("b", srv.url("/b.xml"))]),
    )
    .unwrap();
    signal(&child, libc::SIGHUP);
    wait_for(Duration::from_secs(20), "b polled after the reload", || {
        !srv.seen("/b.xml").is_empty()
    });
    let log = stop(child);
    assert!(log.contains("config reload failed"), "{log}");
    assert!(log.contains("config reloaded"), "{log}");
    assert_eq!(env.count("items"), 2);
}
