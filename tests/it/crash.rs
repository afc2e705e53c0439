//! kill -9 at random points of polls and digests, again and again: after every restart the
//! database is intact, nothing acknowledged is lost, and in the end every hit is mailed once
//! (a message may be sent twice only as the same message, with the same Message-ID).
//!
//! `SIGWATCH_CRASH_LOOPS=N` sets the number of kills (default 6; the long run uses 25).

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::server::{Reply, Server};
use crate::smtp::SmtpServer;
use crate::{Env, WATCHES, rss};

fn start(env: &Env) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sigwatch"))
        .arg("--config")
        .arg(env.config())
        .arg("run")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sigwatch run")
}

/// Feed `f` with items 0..n, each naming a watch term and a title found nowhere else.
fn feed(f: usize, n: usize) -> Reply {
    // Words drawn per item, so that no two items read as copies of one story (which the
    // digest would fold into one entry).
    const WORDS: [&str; 24] = [
        "quota", "magnet", "harbor", "ledger", "tariff", "smelter", "permit", "cargo", "mine", "audit",
        "border", "vessel", "credit", "survey", "refinery", "licence", "freight", "ore", "budget",
        "ministry", "province", "customs", "reserve", "output",
    ];
    let items: Vec<(String, String)> = (0..n)
        .map(|i| {
            let mut h = ((f * 1000 + i) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            let words: Vec<&str> = (0..6)
                .map(|_| {
                    h ^= h >> 29;
                    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
                    WORDS[(h % 24) as usize]
                })
                .collect();
            (
                format!("f{f}-i{i}"),
                format!("Rare earth {} {f}-{i}", words.join(" ")),
            )
        })
        .collect();
    let items: Vec<(&str, &str, &str)> = items
        .iter()
        .map(|(g, t)| (g.as_str(), t.as_str(), "稀土"))
        .collect();
    Reply::ok("application/rss+xml", rss(&items))
}

struct Seen {
    items: BTreeSet<String>,
    hits: BTreeSet<i64>,
    digests: BTreeSet<String>,
}

fn read(env: &Env) -> Seen {
    let conn = rusqlite::Connection::open(env.db()).expect("open db");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let col = |sql: &str| -> Vec<rusqlite::types::Value> {
        let mut st = conn.prepare(sql).unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let text = |v: rusqlite::types::Value| match v {
        rusqlite::types::Value::Text(t) => t,
        other => format!("{other:?}"),
    };
    Seen {
        items: col("SELECT uid FROM items").into_iter().map(text).collect(),
        hits: col("SELECT id FROM hits")
            .into_iter()
            .map(|v| match v {
                rusqlite::types::Value::Integer(i) => i,
                _ => unreachable!(),
            })
            .collect(),
        digests: col("SELECT message_id FROM digests")
            .into_iter()
            .map(text)
            .collect(),
    }
}

#[test]
fn kill_9_during_polls_and_digests_loses_nothing_and_mails_each_hit_once() {
    let loops: usize = std::env::var("SIGWATCH_CRASH_LOOPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    let srv = Server::start();
    let smtp = SmtpServer::start(&[]);
    let mut cfg =
        String::from("[fetch]\ntimeout = \"5s\"\n[poll]\nschedule = \"* * * * * *\"\nspread = \"0s\"\n");
    for f in 0..4 {
        srv.route(&format!("/f{f}.xml"), feed(f, 1));
        cfg += &format!(
            "[[source]]\nname = \"f{f}\"\nurl = \"{}\"\n",
            srv.url(&format!("/f{f}.xml"))
        );
    }
    cfg += &format!(
        "[digest]\nschedule = \"*/2 * * * * *\"\nfrom = \"s <s@sigwatch.test>\"\nto = [\"a@example.com\"]\n\
         mail_backlog = true\nmax_per_watch = 1000\nsend_timeout = \"3s\"\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n{WATCHES}",
        smtp.port
    );
    let env = Env::new(&cfg);
    let mut before = Seen {
        items: BTreeSet::new(),
        hits: BTreeSet::new(),
        digests: BTreeSet::new(),
    };
    // A fixed pseudo-random sequence of kill times between 0.2 and 3 s.
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for round in 0..loops {
        for f in 0..4 {
            srv.route(&format!("/f{f}.xml"), feed(f, 2 + round * 2));
        }
        let mut child = start(&env);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        std::thread::sleep(Duration::from_millis(200 + x % 2800));
        child.kill().expect("kill -9");
        child.wait().unwrap();
        if !env.db().exists() {
            continue;
        }
        let now = read(&env);
        assert!(
            before.items.is_subset(&now.items),
            "round {round}: a stored item vanished"
        );
        assert!(
            before.hits.is_subset(&now.hits),
            "round {round}: a stored hit vanished"
        );
        assert!(
            before.digests.is_subset(&now.digests),
            "round {round}: a queued digest vanished"
        );
        before = now;
    }
    // A last, clean run mails everything that is left.
    let mut child = start(&env);
    let deadline = Instant::now() + Duration::from_secs(30);
    let done = |env: &Env| {
        let conn = rusqlite::Connection::open(env.db()).unwrap();
        let pending: i64 = conn
            .query_row(
                "SELECT (SELECT count(*) FROM hits WHERE digest_id IS NULL)
                      + (SELECT count(*) FROM digests WHERE status != 'sent')",
                [],
                |r| r.get(0),
            )
            .unwrap_or(1);
        pending == 0
    };
    while !(env.db().exists() && done(&env)) {
        assert!(Instant::now() < deadline, "hits still unmailed after 30 s");
        std::thread::sleep(Duration::from_millis(200));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let last = read(&env);
    assert!(before.items.is_subset(&last.items) && before.hits.is_subset(&last.hits));
    assert_eq!(
        last.items.len(),
        4 * (2 + (loops - 1) * 2),
        "every item stored once"
    );

    // Every message the server took is a digest of the database; a digest arrives at most
    // twice (a resend after a kill between the server's 250 and the mark), as the same message.
    let mut by_id: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in smtp.accepted() {
        let mail = mailparse::parse_mail(m.as_bytes()).unwrap();
        let id =
            mailparse::MailHeaderMap::get_first_value(&mail.headers[..], "Message-ID").expect("Message-ID");
        by_id.entry(id).or_default().push(m);
    }
    let mut titles: BTreeMap<String, String> = BTreeMap::new();
    for (id, copies) in &by_id {
        assert!(last.digests.contains(id), "{id} is not a digest of the database");
        assert!(
            copies.len() <= 2 && copies.iter().all(|c| *c == copies[0]),
            "{id} sent {} times",
            copies.len()
        );
        let mail = mailparse::parse_mail(copies[0].as_bytes()).unwrap();
        let body = mail
            .subparts
            .iter()
            .find(|p| p.ctype.mimetype == "text/plain")
            .map(|p| p.get_body().unwrap())
            .unwrap_or_default();
        let body = body.replace("\r\n", "\n");
        for line in body.lines().filter_map(|l| l.trim().strip_prefix("* ")) {
            let line = line.trim_start_matches("★ ");
            if let Some(other) = titles.insert(line.to_string(), id.clone()) {
                panic!("{line:?} mailed in two messages: {other} and {id}");
            }
        }
    }
    // Copies of one story from several feeds are one entry: at least one title per story.
    let stories: usize = rusqlite::Connection::open(env.db())
        .unwrap()
        .query_row(
            "SELECT count(DISTINCT coalesce(story_id, id)) FROM items",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        titles.len() >= stories,
        "{} titles mailed for {stories} stories",
        titles.len()
    );
    println!(
        "{loops} kill -9 rounds: {} items, {} hits, {} digests, {} messages received",
        last.items.len(),
        last.hits.len(),
        by_id.len(),
        smtp.accepted().len()
    );
}

#[test]
fn a_locked_database_is_reported_and_the_daemon_catches_up_when_it_is_released() {
    let srv = Server::start();
    srv.route("/f.xml", feed(0, 2));
    let env = Env::new(&format!(
        "[fetch]\ntimeout = \"5s\"\n[poll]\nschedule = \"* * * * * *\"\nspread = \"0s\"\n\
         [[source]]\nname = \"f\"\nurl = \"{}\"\n{WATCHES}",
        srv.url("/f.xml")
    ));
    let mut child = Command::new(env!("CARGO_BIN_EXE_sigwatch"))
        .arg("--config")
        .arg(env.config())
        .arg("run")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let count = |env: &Env| -> i64 {
        rusqlite::Connection::open(env.db())
            .and_then(|c| c.query_row("SELECT count(*) FROM items", [], |r| r.get(0)))
            .unwrap_or(0)
    };
    let wait = |what: &str, n: i64| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while count(&env) < n {
            assert!(Instant::now() < deadline, "{what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    wait("the first poll", 2);
    // Another process holds the write lock for longer than sigwatch's 10 s busy wait.
    let holder = rusqlite::Connection::open(env.db()).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    srv.route("/f.xml", feed(0, 4));
    std::thread::sleep(Duration::from_secs(13));
    assert!(child.try_wait().unwrap().is_none(), "the daemon keeps running");
    holder.execute_batch("COMMIT").unwrap();
    drop(holder);
    wait("catching up after the lock is released", 4);
    assert!(child.try_wait().unwrap().is_none(), "the daemon keeps running");
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    let mut log = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut log).unwrap();
    assert!(status.success(), "{log}");
    assert!(log.contains("locked"), "the lock is logged: {log}");
}

/// Kills the daemon however the test ends.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Unmounts the test's small filesystem however the test ends.
struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
#[ignore = "needs root to mount a tmpfs; `cargo test -- --ignored` runs it, saying so without root"]
fn a_full_disk_is_reported_and_the_daemon_catches_up_when_there_is_room_again() {
    // A real full disk: a 4 MiB tmpfs under the database. Mounting needs root; elsewhere the
    // test says so and skips.
    let env = Env::new("");
    let dir = env.dir.path().join("small");
    std::fs::create_dir_all(&dir).unwrap();
    let mounted = unsafe { libc::geteuid() } == 0
        && Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
            .arg(&dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: mounting a small tmpfs needs root (and mount), which this run lacks");
        return;
    }
    let _mount = Mount(dir.clone());
    let srv = Server::start();
    // Items of about 8 KiB each, one hit in the title: 800 of them cannot fit in 4 MiB.
    let big = |n: usize| {
        let pad = "lorem ipsum dolor sit amet ".repeat(300);
        let items: Vec<(String, String, String)> = (0..n)
            .map(|i| {
                (
                    format!("b{i}"),
                    format!("Rare earth notice {i}"),
                    format!("{pad}{i}"),
                )
            })
            .collect();
        let items: Vec<(&str, &str, &str)> = items
            .iter()
            .map(|(g, t, d)| (g.as_str(), t.as_str(), d.as_str()))
            .collect();
        Reply::ok("application/rss+xml", rss(&items))
    };
    srv.route("/f.xml", big(2));
    std::fs::write(
        env.config(),
        format!(
            "[storage]\npath = \"{}\"\n[fetch]\ntimeout = \"10s\"\nmax_body = \"64MiB\"\n[poll]\nschedule = \"* * * * * *\"\nspread = \"0s\"\n\
             [[source]]\nname = \"f\"\nurl = \"{}\"\n{WATCHES}",
            dir.join("sigwatch.db").display(),
            srv.url("/f.xml")
        ),
    )
    .unwrap();
    let mut child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_sigwatch"))
            .arg("--config")
            .arg(env.config())
            .arg("run")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let child = &mut child.0;
    // The log, read as it comes.
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    {
        let (log, mut err) = (log.clone(), child.stderr.take().unwrap());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = std::io::Read::read(&mut err, &mut buf) {
                if n == 0 {
                    break;
                }
                log.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
    }
    let db = dir.join("sigwatch.db");
    let count = || -> i64 {
        rusqlite::Connection::open(&db)
            .and_then(|c| c.query_row("SELECT count(*) FROM items", [], |r| r.get(0)))
            .unwrap_or(0)
    };
    let wait = |what: &str, n: i64| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while count() < n {
            assert!(
                Instant::now() < deadline,
                "{what}: {} items; log:\n{}",
                count(),
                log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    wait("the first poll", 2);
    srv.route("/f.xml", big(800));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !log.lock().unwrap().contains("full") {
        assert!(
            Instant::now() < deadline,
            "no full disk logged: {}",
            log.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the daemon keeps running on a full disk"
    );
    assert!(count() < 800, "800 items cannot fit");
    // Room again.
    let grown = Command::new("mount")
        .args(["-o", "remount,size=64m"])
        .arg(&dir)
        .status()
        .unwrap();
    assert!(grown.success());
    wait("catching up once there is room", 800);
    assert!(child.try_wait().unwrap().is_none(), "the daemon keeps running");
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert!(status.success(), "{}", log.lock().unwrap());
    let check: String = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}
