//! File modes: what sigwatch writes (the database and its -wal and -shm files, backups,
//! digests written out, the outbox) is never world-readable, under the common umask of 022.
//! The binary runs as a child whose umask is set to 022 before it starts.

use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::server::{Reply, Server};
use crate::{Env, WATCHES, rss};

/// `sigwatch --config … args…` with a umask of 022.
fn command(env: &Env, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sigwatch"));
    c.arg("--config")
        .arg(env.config())
        .args(args)
        .env_remove("RUST_LOG");
    // SAFETY: umask is async-signal-safe and touches nothing but the child's creation mask.
    unsafe {
        c.pre_exec(|| {
            libc::umask(0o022);
            Ok(())
        });
    }
    c
}

fn run(env: &Env, args: &[&str]) -> Output {
    let out = command(env, args).output().expect("run sigwatch");
    assert!(
        out.status.success(),
        "sigwatch {args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .mode()
        & 0o777
}

#[test]
fn database_wal_shm_backup_preview_and_outbox_are_private_under_umask_022() {
    let srv = Server::start();
    srv.route(
        "/feed.xml",
        Reply::ok(
            "application/rss+xml",
            rss(&[("r1", "Rare earth quota cut", "稀土")]),
        ),
    );
    // The database in a folder sigwatch creates; polled every two seconds by the daemon.
    let env = Env::new(&format!(
        "[storage]\npath = \"state/db/sigwatch.db\"\n[poll]\nschedule = \"*/2 * * * * *\"\nspread = \"0s\"\n\
         [digest]\nmail_backlog = true\noutbox_dir = \"mail/outbox\"\n\
         [[source]]\nname = \"feed\"\nurl = \"{}\"\n{WATCHES}",
        srv.url("/feed.xml")
    ));
    let dir = env.dir.path();
    let db = dir.join("state/db/sigwatch.db");

    // The daemon holds the database open, so its -wal and -shm files exist while it runs.
    let mut daemon = command(&env, &["run"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sigwatch run");
    let start = Instant::now();
    let wal = dir.join("state/db/sigwatch.db-wal");
    let shm = dir.join("state/db/sigwatch.db-shm");
    // Stored, not only fetched: SIGTERM drops a poll whose answer has not reached the writer.
    let stored = || {
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| c.query_row("SELECT count(*) FROM items", [], |r| r.get::<_, i64>(0)))
            .is_ok_and(|n| n > 0)
    };
    while !(!srv.seen("/feed.xml").is_empty() && wal.exists() && shm.exists() && stored()) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the daemon never polled"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let modes = [mode(&db), mode(&wal), mode(&shm)];
    // SAFETY: our own child's pid.
    unsafe { libc::kill(daemon.id() as i32, libc::SIGTERM) };
    daemon.wait().expect("wait for daemon");
    // Operators in the service's group read the database with the CLI: 0640, never 0644.
    assert_eq!(modes, [0o640; 3], "database, -wal, -shm");
    assert_eq!(mode(&dir.join("state")), 0o750);
    assert_eq!(mode(&dir.join("state/db")), 0o750);

    let backup = dir.join("backup.db");
    run(&env, &["db", "backup", backup.to_str().unwrap()]);
    assert_eq!(mode(&backup), 0o600, "db backup");
    let n: i64 = rusqlite::Connection::open(&backup)
        .unwrap()
        .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1, "the backup holds the database");

    let preview = dir.join("preview.eml");
    run(&env, &["digest", "--preview", "--out", preview.to_str().unwrap()]);
    assert_eq!(mode(&preview), 0o600, "digest --preview --out");
    // An existing world-readable file is narrowed before the digest goes into it.
    std::fs::set_permissions(&preview, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    run(&env, &["digest", "--preview", "--out", preview.to_str().unwrap()]);
    assert_eq!(mode(&preview), 0o600, "digest --preview --out over a 0644 file");

    run(&env, &["digest"]);
    let outbox = dir.join("mail/outbox");
    assert_eq!(mode(&dir.join("mail")), 0o700, "outbox parent");
    assert_eq!(mode(&outbox), 0o700, "outbox");
    let emls: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(emls.len(), 1, "{emls:?}");
    assert_eq!(mode(&emls[0]), 0o600, "outbox message");
}

/// A database an older sigwatch made under a umask of 022 (0644, and its -wal) is narrowed to
/// 0640 the next time sigwatch opens it for writing.
#[test]
fn an_existing_world_readable_database_is_narrowed_on_open() {
    let env = Env::new(&format!(
        "[[source]]\nname = \"a\"\nurl = \"http://127.0.0.1:9/\"\n{WATCHES}"
    ));
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.pragma_update(None, "journal_mode", "wal").unwrap();
    conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .unwrap();
    let wal = env.dir.path().join("sigwatch.db-wal");
    for p in [env.db(), wal.clone()] {
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    }
    run(&env, &["db", "check"]);
    // Checked while this connection keeps the -wal file.
    assert_eq!([mode(&env.db()), mode(&wal)], [0o640; 2]);
    drop(conn);
}
