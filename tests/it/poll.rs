//! `sigwatch poll`, `hits` and `sources` against a local HTTP server.

use std::io::Write;
use std::time::Duration;

use serde_json::Value;

use crate::server::{Reply, Server};
use crate::{Env, WATCHES, rss};

fn config(sources: &[(&str, String)], extra: &str) -> String {
    let mut c = String::from(
        "[fetch]\ntimeout = \"2s\"\nconnect_timeout = \"2s\"\nmax_body = \"1MiB\"\nconcurrency = 4\n",
    );
    c.push_str(extra);
    for (name, url) in sources {
        c.push_str(&format!("\n[[source]]\nname = \"{name}\"\nurl = \"{url}\"\n"));
    }
    c.push_str(WATCHES);
    c
}

fn good_feed() -> String {
    rss(&[
        (
            "a1",
            "China tightens rare earth export controls",
            "Licences now required.",
        ),
        (
            "a2",
            "New chip plant opens",
            "A &lt;b&gt;semiconductor&lt;/b&gt; fab.",
        ),
        ("a3", "Blue-chip stocks rally", "Markets were calm."),
        ("a4", "Weather", "Sunny."),
    ])
}

#[test]
fn poll_stores_items_and_hits_then_gets_304_and_adds_nothing() {
    let srv = Server::start();
    srv.route(
        "/feed.xml",
        Reply::ok("application/rss+xml", good_feed())
            .etag("\"v1\"")
            .header("Last-Modified", "Mon, 23 Nov 2026 00:00:00 GMT"),
    );
    let env = Env::new(&config(&[("good", srv.url("/feed.xml"))], ""));

    let first = env.json(&["poll", "--format", "json"]);
    assert_eq!(first["fetched"], 1, "{first}");
    assert_eq!(first["failed"], 0, "{first}");
    assert_eq!(first["new_items"], 4, "{first}");
    // rare earth + export controls in a1 (two watches), chip + semiconductor in a2 (one
    // watch: one hit listing both terms); a3's blue-chip is vetoed.
    assert_eq!(first["new_hits"], 3, "{first}");
    assert_eq!(env.count("items"), 4);

    let second = env.json(&["poll", "--format", "json"]);
    assert_eq!(second["not_modified"], 1, "{second}");
    assert_eq!(second["new_items"], 0, "{second}");
    assert_eq!(second["new_hits"], 0, "{second}");
    assert_eq!(env.count("items"), 4);
    assert_eq!(env.count("hits"), 3);

    let seen = srv.seen("/feed.xml");
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].headers.get("if-none-match"), None);
    assert_eq!(
        seen[1].headers.get("if-none-match").map(String::as_str),
        Some("\"v1\"")
    );
    assert_eq!(
        seen[1].headers.get("if-modified-since").map(String::as_str),
        Some("Mon, 23 Nov 2026 00:00:00 GMT")
    );
    assert_eq!(seen[1].status, 304);
}

#[test]
fn same_document_without_validators_adds_nothing_the_second_time() {
    let srv = Server::start();
    srv.route("/feed.xml", Reply::ok("application/rss+xml", good_feed()));
    let env = Env::new(&config(&[("good", srv.url("/feed.xml"))], ""));
    assert_eq!(env.json(&["poll", "--format", "json"])["new_items"], 4);
    let again = env.json(&["poll", "--format", "json"]);
    assert_eq!(again["fetched"], 1);
    assert_eq!(again["new_items"], 0);
    assert_eq!(again["new_hits"], 0);
    assert_eq!(env.count("items"), 4);
}

#[test]
fn gbk_feed_with_charset_only_in_the_http_header() {
    let srv = Server::start();
    let xml = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>商务部</title><link>http://x.test/</link><description>d</description>\
               <item><guid>g1</guid><title>商务部公告：对稀土相关物项实施出口管制</title><link>http://x.test/1</link><description>全文</description></item>\
               </channel></rss>";
    let (bytes, _, _) = encoding_rs::GBK.encode(xml);
    srv.route(
        "/gbk.xml",
        Reply::ok("application/rss+xml; charset=GBK", bytes.into_owned()),
    );
    let env = Env::new(&config(&[("mofcom", srv.url("/gbk.xml"))], ""));
    let summary = env.json(&["poll", "--format", "json"]);
    assert_eq!(summary["new_items"], 1, "{summary}");
    let hits = env.json(&["hits", "--format", "json"]);
    let hits = hits.as_array().unwrap();
    let watches: Vec<&str> = hits.iter().map(|h| h["watch"].as_str().unwrap()).collect();
    assert!(
        watches.contains(&"rare-earths") && watches.contains(&"export-controls"),
        "{watches:?}"
    );
    assert_eq!(hits[0]["title"], "商务部公告：对稀土相关物项实施出口管制");
}

/// 64 MiB of zeros, gzipped to about 64 KiB.
fn gzip_bomb() -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        enc.write_all(&zeros).unwrap();
    }
    enc.finish().unwrap()
}

#[test]
fn each_failure_is_classified_in_sources_while_the_good_source_is_stored() {
    let srv = Server::start();
    srv.route("/good.xml", Reply::ok("application/rss+xml", good_feed()));
    srv.route(
        "/bomb.xml",
        Reply::ok("application/rss+xml", gzip_bomb()).header("Content-Encoding", "gzip"),
    );
    srv.route("/loop", Reply::status(302).header("Location", "/loop"));
    srv.route(
        "/slow.xml",
        Reply::ok("application/rss+xml", good_feed()).delay(Duration::from_secs(6)),
    );
    srv.route(
        "/page.html",
        Reply::ok(
            "text/html",
            "<!DOCTYPE html><html><head><title>Hi</title></head><body><p>No feed here</p></body></html>",
        ),
    );
    srv.route(
        "/broken.xml",
        Reply::ok(
            "application/rss+xml",
            "<rss version=\"2.0\"><channel><title>x</title><item><title>cut",
        ),
    );
    let sources = [
        ("good", srv.url("/good.xml")),
        ("bomb", srv.url("/bomb.xml")),
        ("loop", srv.url("/loop")),
        ("slow", srv.url("/slow.xml")),
        ("html", srv.url("/page.html")),
        ("gone", srv.url("/missing.xml")),
        ("broken", srv.url("/broken.xml")),
    ];
    let env = Env::new(&config(&sources, ""));
    let (out, peak) = env.run_measured(&["poll", "--format", "json"], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["fetched"], 1, "{summary}");
    assert_eq!(summary["failed"], 6, "{summary}");
    assert_eq!(summary["new_items"], 4, "{summary}");

    let rows = env.json(&["sources", "--format", "json"]);
    let by_name = |n: &str| -> Value {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == n)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_name("good")["status"], "ok");
    assert_eq!(by_name("good")["items"], 4);
    let expect = [
        ("bomb", "limit"),
        ("loop", "redirect"),
        ("slow", "timed out"),
        ("html", "not a feed"),
        ("gone", "404"),
        ("broken", "feed"),
    ];
    for (name, reason) in expect {
        let r = by_name(name);
        assert_eq!(r["status"], "error", "{name}: {r}");
        assert_eq!(r["consecutive_failures"], 1, "{name}: {r}");
        let err = r["last_error"].as_str().unwrap_or_default();
        assert!(err.contains(reason), "{name}: expected {reason:?} in {err:?}");
        assert_eq!(r["items"], 0);
    }
    // The table lists the same reasons for people.
    let table = env.ok(&["sources"]);
    assert!(
        table.contains("not a feed") && table.contains("HTTP 404"),
        "{table}"
    );

    // The 64 MiB bomb was cut off at the 1 MiB cap, not inflated into memory.
    println!("peak RSS of the poll: {:.1} MiB", peak as f64 / (1 << 20) as f64);
    assert!(peak < 48 << 20, "peak RSS of the poll was {} MiB", peak >> 20);
}

#[test]
fn hits_as_json_and_csv_parse_back() {
    let srv = Server::start();
    srv.route("/feed.xml", Reply::ok("application/rss+xml", good_feed()));
    let env = Env::new(&config(&[("good", srv.url("/feed.xml"))], ""));
    env.ok(&["poll"]);

    let json = env.json(&["hits", "--format", "json"]);
    let arr = json.as_array().expect("an array");
    // A hit is an item in a watch: a2's chip and semiconductor make one hit with two terms.
    assert_eq!(arr.len(), 3);
    let mut pairs = std::collections::HashSet::new();
    for h in arr {
        assert!(
            pairs.insert((h["item"].as_i64().unwrap(), h["watch"].to_string())),
            "two rows of one item and watch: {json}"
        );
        let terms = h["terms"].as_array().expect("terms");
        assert!(!terms.is_empty(), "{h}");
        for t in terms {
            for key in ["term", "field", "matched", "start", "end"] {
                assert!(t.get(key).is_some(), "missing {key} in {t}");
            }
        }
    }
    for h in arr {
        for key in [
            "watch",
            "term",
            "source",
            "title",
            "link",
            "published",
            "first_seen",
            "snippet",
        ] {
            assert!(h.get(key).is_some(), "missing {key} in {h}");
        }
        assert_eq!(h["source"], "good");
    }
    let semis = env.json(&["hits", "--format", "json", "--watch", "semiconductors"]);
    assert_eq!(semis.as_array().unwrap().len(), 1);
    let terms: Vec<&str> = semis[0]["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["matched"].as_str().unwrap())
        .collect();
    assert_eq!(terms, ["chip", "semiconductor"], "{semis}");
    assert!(
        semis
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["title"] == "New chip plant opens")
    );

    let csv_out = env.ok(&["hits", "--format", "csv"]);
    let mut rdr = csv::Reader::from_reader(csv_out.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    for key in ["watch", "term", "source", "title", "link", "published", "snippet"] {
        assert!(
            headers.iter().any(|h| h == key),
            "csv header lacks {key}: {headers:?}"
        );
    }
    let records: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 3);

    // --since with a date before the items, and a duration after them (items are dated 2026-11-23).
    assert_eq!(
        env.json(&["hits", "--format", "json", "--since", "2026-11-01"])
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        env.json(&["hits", "--format", "json", "--limit", "1"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let bad = env.run(&["hits", "--since", "whenever"]);
    assert!(!bad.status.success());
}

#[test]
fn bad_config_is_rejected_with_file_line_and_key() {
    let env = Env::new("[fetch]\ntimeout = \"2s\"\ncolour = \"blue\"\n");
    let out = env.run(&["check"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let want = format!("{}:3:1", env.config().display());
    assert!(err.contains(&want) && err.contains("colour"), "{err}");
    // Nothing was started: no database was created.
    assert!(!env.db().exists());
}

#[test]
fn polling_an_unknown_source_name_fails_clearly() {
    let env = Env::new(&config(&[("good", "http://127.0.0.1:9/feed.xml".into())], ""));
    let out = env.run(&["poll", "nosuch"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nosuch"));
}

#[test]
fn a_source_named_twice_is_polled_once() {
    let srv = Server::start();
    srv.route("/a.xml", Reply::ok("application/rss+xml", good_feed()));
    srv.route("/b.xml", Reply::ok("application/rss+xml", good_feed()));
    let env = Env::new(&config(&[("a", srv.url("/a.xml")), ("b", srv.url("/b.xml"))], ""));
    let s = env.json(&["poll", "a", "a", "--format", "json"]);
    assert_eq!(s["fetched"], 1, "{s}");
    assert_eq!(s["sources"].as_array().map(Vec::len), Some(1), "{s}");
    assert_eq!(srv.order(), ["/a.xml"]);
}

#[test]
fn permanent_redirect_moves_the_source_410_disables_it_and_retry_after_is_honoured() {
    let srv = Server::start();
    srv.route("/old.xml", Reply::status(301).header("Location", "/new.xml"));
    srv.route("/new.xml", Reply::ok("application/rss+xml", good_feed()));
    srv.route("/temp.xml", Reply::status(302).header("Location", "/new.xml"));
    srv.route("/gone.xml", Reply::status(410));
    srv.route("/busy.xml", Reply::status(429).header("Retry-After", "3600"));
    let sources = [
        ("moved", srv.url("/old.xml")),
        ("temp", srv.url("/temp.xml")),
        ("gone", srv.url("/gone.xml")),
        ("busy", srv.url("/busy.xml")),
    ];
    let env = Env::new(&config(&sources, ""));
    env.ok(&["poll"]);
    let rows = env.json(&["sources", "--format", "json"]);
    let by_name = |n: &str| -> Value {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == n)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        by_name("moved")["url"],
        srv.url("/new.xml"),
        "301 updates the stored URL"
    );
    assert_eq!(by_name("temp")["url"], srv.url("/temp.xml"), "302 does not");
    assert_eq!(by_name("gone")["health"], "disabled");
    assert!(
        by_name("gone")["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("410")
    );
    let next = chrono::DateTime::parse_from_rfc3339(by_name("busy")["next_poll"].as_str().unwrap()).unwrap();
    assert!(
        next >= chrono::Utc::now() + chrono::Duration::seconds(3590),
        "Retry-After honoured: {next}"
    );

    // The next poll fetches the new URL directly.
    env.ok(&["poll", "moved"]);
    assert_eq!(srv.seen("/old.xml").len(), 1);
    assert_eq!(srv.seen("/new.xml").len(), 3);
}

#[test]
fn non_public_targets_are_refused_before_any_request() {
    let srv = Server::start();
    srv.route("/feed.xml", Reply::ok("application/rss+xml", good_feed()));
    let port = srv.base.rsplit(':').next().unwrap().to_string();
    // 0.0.0.0 is this machine by another name: not the loopback URL a local RSSHub has.
    let env = Env::new(&config(
        &[("sneaky", format!("http://0.0.0.0:{port}/feed.xml"))],
        "",
    ));
    let summary = env.json(&["poll", "--format", "json"]);
    assert_eq!(summary["failed"], 1, "{summary}");
    assert_eq!(summary["sources"][0]["class"], "refused", "{summary}");
    assert!(srv.seen("/feed.xml").is_empty(), "no request was made");
}

/// A save that fails (here: a trigger of the test's own that refuses one title) fails that
/// source alone, though it was written in a batch with others: the batch is rolled back and
/// its sources stored one by one, and the failed one keeps its old validators, so the next
/// poll stores what it missed.
#[test]
fn a_source_whose_save_fails_loses_nothing_and_spares_the_others() {
    let srv = Server::start();
    // Four sources, fetched at once (the test server serves four connections at a time).
    let names: Vec<String> = (0..4).map(|i| format!("s{i}")).collect();
    let serve = |round: usize| {
        for (i, name) in names.iter().enumerate() {
            let mut items: Vec<(String, String, String)> = (0..=round)
                .map(|r| {
                    (
                        format!("{name}-{r}"),
                        format!("{name} rare earth report {r}"),
                        "text".into(),
                    )
                })
                .collect();
            if round > 0 && i == 3 {
                items.push((format!("{name}-boom"), "BOOM".into(), "refused".into()));
            }
            // s0 answers at once with an item whose insert is slow (a trigger below): the
            // writer is busy with it while the others answer, so they pile up and are stored
            // in one batch after it.
            let mut reply_delay = Duration::from_millis(100);
            if i == 0 && round > 0 {
                reply_delay = Duration::ZERO;
                items.push((format!("{name}-slow"), "SLOW".into(), "slow to store".into()));
            }
            let items: Vec<(&str, &str, &str)> = items
                .iter()
                .map(|(g, t, d)| (g.as_str(), t.as_str(), d.as_str()))
                .collect();
            srv.route(
                &format!("/{name}.xml"),
                Reply::ok("application/rss+xml", rss(&items))
                    .etag(&format!("\"{round}\""))
                    .delay(reply_delay),
            );
        }
    };
    let sources: Vec<(&str, String)> = names
        .iter()
        .map(|n| (n.as_str(), srv.url(&format!("/{n}.xml"))))
        .collect();
    let env = Env::new(&config(&sources, "[poll]\nper_host = 4\n"));
    serve(0);
    let s = env.json(&["poll", "--format", "json"]);
    assert_eq!(s["new_items"], 4, "{s}");

    let db = rusqlite::Connection::open(env.db()).unwrap();
    db.execute_batch(
        "CREATE TRIGGER refuse BEFORE INSERT ON items WHEN new.title = 'BOOM'
         BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;
         CREATE TRIGGER slow BEFORE INSERT ON items WHEN new.title = 'SLOW'
         BEGIN SELECT count(*) FROM (WITH RECURSIVE c(x) AS
             (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) SELECT x FROM c); END;",
    )
    .unwrap();
    serve(1);
    let (out, _) = env.run_measured(&["poll", "--format", "json"], &[("RUST_LOG", "warn")]);
    let log = String::from_utf8_lossy(&out.stderr);
    let rolled_back = log
        .lines()
        .find(|l| l.contains("rolled back; storing its sources one by one"))
        .unwrap_or_else(|| panic!("no batch was rolled back: {log}"));
    let sources: usize = rolled_back
        .split("sources=")
        .nth(1)
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(
        sources >= 2,
        "s3 was stored in a batch with others: {rolled_back}"
    );
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["new_items"], 4, "each other source stored its new items: {s}");
    assert_eq!(s["failed"], 1, "{s}");
    let failed = s["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["source"] == "s3")
        .unwrap();
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["class"], "store", "{failed}");
    let items_of = |name: &str| -> i64 {
        db.query_row(
            "SELECT count(*) FROM items i JOIN sources s ON s.id = i.source_id WHERE s.name = ?1",
            [name],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(items_of("s3"), 1, "nothing of the failed save was kept");
    assert_eq!(items_of("s2"), 2);

    // The condition cleared, the next poll fetches s3 again in full (its validators were not
    // advanced) and stores what it missed.
    db.execute_batch("DROP TRIGGER refuse; DROP TRIGGER slow")
        .unwrap();
    let s = env.json(&["poll", "--format", "json"]);
    assert_eq!(s["failed"], 0, "{s}");
    assert_eq!(items_of("s3"), 3, "{s}");
    assert_eq!(s["new_items"], 2, "only s3 had anything new: {s}");
    assert_eq!(items_of("s0"), 3);
    let check = db
        .query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0))
        .unwrap();
    assert_eq!(check, "ok");
}

/// Sources wait for their host's turn (`per_host`) before they take one of the `concurrency`
/// slots, so a busy host never holds up the sources of another.
#[test]
fn a_busy_host_does_not_hold_up_another() {
    let srv = Server::start();
    let slow = Reply::ok("application/rss+xml", good_feed()).delay(Duration::from_millis(600));
    for a in ["/a1.xml", "/a2.xml", "/a3.xml"] {
        srv.route(a, slow.clone());
    }
    srv.route("/b1.xml", Reply::ok("application/rss+xml", good_feed()));
    // Host A is 127.0.0.1, host B is localhost: the same server, two hosts to the poller.
    let b1 = srv.url("/b1.xml").replace("127.0.0.1", "localhost");
    let sources = [
        ("a1", srv.url("/a1.xml")),
        ("a2", srv.url("/a2.xml")),
        ("a3", srv.url("/a3.xml")),
        ("b1", b1),
    ];
    let cfg = config(&sources, "[poll]\nper_host = 1\n").replace("concurrency = 4", "concurrency = 2");
    let env = Env::new(&cfg);
    let s = env.json(&["poll", "--format", "json"]);
    assert_eq!(s["fetched"], 4, "{s}");
    let order = srv.order();
    assert_eq!(
        order.first().map(String::as_str),
        Some("/b1.xml"),
        "b1 was answered first, not after host A's queue: {order:?}"
    );
}

/// A first poll of 64 new sources is a bulk load: the index of hits by date is dropped for it
/// and built at its end, as is the search index of its items with hits; a later poll of the
/// same sources is not.
#[test]
fn a_first_poll_of_many_sources_builds_the_index_of_hits_by_date_at_its_end() {
    let srv = Server::start();
    let mut sources = Vec::new();
    for i in 0..64 {
        let path = format!("/feed/{i}.xml");
        srv.route(
            &path,
            Reply::ok("application/rss+xml", good_feed()).etag("\"v1\""),
        );
        sources.push((format!("s{i}"), srv.url(&path)));
    }
    let named: Vec<(&str, String)> = sources.iter().map(|(n, u)| (n.as_str(), u.clone())).collect();
    let env = Env::new(&config(&named, ""));
    let has_index = || {
        let db = rusqlite::Connection::open(env.db()).unwrap();
        db.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'hits_date')",
            [],
            |r| r.get::<_, bool>(0),
        )
        .unwrap()
    };
    let (out, _) = env.run_measured(&["poll"], &[("RUST_LOG", "sigwatch=debug")]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("bulk load: index of hits by date built"), "{log}");
    assert!(has_index());
    // Each good feed has three hits: an item in a watch, however many of its terms match.
    assert_eq!(env.count("hits"), 64 * 3);
    let newest = env.json(&["hits", "--format", "json", "--limit", "3"]);
    assert_eq!(newest.as_array().map(Vec::len), Some(3), "{newest}");
    // Searchable once the load has ended, every source's copy; and whole (foreign keys,
    // unchecked during the load, included).
    let found = env.json(&[
        "hits",
        "--search",
        "semiconductor",
        "--format",
        "json",
        "--limit",
        "500",
    ]);
    let sources: std::collections::BTreeSet<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["source"].as_str())
        .collect();
    assert_eq!(sources.len(), 64, "{found}");
    let check = env.run(&["db", "check"]);
    assert!(
        check.status.success() && String::from_utf8_lossy(&check.stdout).ends_with(": ok\n"),
        "{check:?}"
    );

    let (out, _) = env.run_measured(&["poll"], &[("RUST_LOG", "sigwatch=debug")]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(
        !log.contains("bulk load"),
        "not a bulk load the second time: {log}"
    );
    assert!(has_index());
}

/// A body too large to parse in place goes to a blocking thread; it is stored and matched as
/// completely as the small one beside it, in the same poll.
#[test]
fn a_large_feed_is_parsed_off_the_runtime_and_stored_whole_beside_a_small_one() {
    let srv = Server::start();
    let filler = "Officials met to discuss the quarterly outlook for regional trade. ".repeat(6);
    let rows: Vec<(String, String, String)> = (0..400)
        .map(|i| {
            let title = if i % 4 == 0 {
                format!("Ministry note {i} on rare earth exports")
            } else {
                format!("Ministry note {i}")
            };
            (format!("big{i}"), title, filler.clone())
        })
        .collect();
    let items: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|(g, t, d)| (g.as_str(), t.as_str(), d.as_str()))
        .collect();
    let big = rss(&items);
    assert!(big.len() > 128 * 1024, "the large feed is {} bytes", big.len());
    srv.route("/big.xml", Reply::ok("application/rss+xml", big));
    srv.route("/small.xml", Reply::ok("application/rss+xml", good_feed()));
    let env = Env::new(&config(
        &[("big", srv.url("/big.xml")), ("small", srv.url("/small.xml"))],
        "",
    ));
    let (out, _) = env.run_measured(&["poll", "--format", "json"], &[("RUST_LOG", "sigwatch=debug")]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    let large: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("parsed on a blocking thread"))
        .collect();
    assert_eq!(large.len(), 1, "{log}");
    assert!(large[0].contains("big"), "{log}");
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["fetched"], 2, "{summary}");
    assert_eq!(summary["new_items"], 404, "{summary}");
    assert_eq!(env.count("items"), 404);
    // A hundred rare-earth titles in the large feed, three hits (items in watches) in the
    // small one.
    assert_eq!(summary["new_hits"], 103, "{summary}");
}

/// Each source's next poll follows its own schedule, else `[poll] schedule`, however many
/// sources share one (each expression is parsed once per poller).
#[test]
fn next_polls_follow_each_sources_schedule() {
    use chrono::Datelike;
    let srv = Server::start();
    srv.route("/feed.xml", Reply::ok("application/rss+xml", good_feed()));
    let mut cfg = config(
        &[("first", srv.url("/feed.xml")), ("second", srv.url("/feed.xml"))],
        "[poll]\nschedule = \"*/30 * * * *\"\nspread = \"0s\"\n",
    );
    cfg.push_str(&format!(
        "\n[[source]]\nname = \"yearly\"\nurl = \"{}\"\nschedule = \"0 0 1 1 *\"\n",
        srv.url("/feed.xml")
    ));
    let env = Env::new(&cfg);
    let before = chrono::Utc::now();
    let table = env.ok(&["poll"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    assert!(lines[0].starts_with("polled 3 sources: 3 fetched"), "{table}");
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.starts_with("  ok ") && l.contains(": 4 items, ")),
        "{table}"
    );
    let rows = env.json(&["sources", "--format", "json"]);
    let next = |n: &str| {
        let row = rows.as_array().unwrap().iter().find(|r| r["name"] == n).unwrap();
        chrono::DateTime::parse_from_rfc3339(row["next_poll"].as_str().unwrap()).unwrap()
    };
    for name in ["first", "second"] {
        let at = next(name);
        assert!(
            at > before && at <= before + chrono::Duration::minutes(31),
            "{name}: {at}"
        );
        assert_eq!(at.timestamp() % 1800, 0, "{name}: {at}");
    }
    let yearly = next("yearly").with_timezone(&chrono::Utc);
    assert_eq!((yearly.month(), yearly.day()), (1, 1), "{yearly}");
    assert!(yearly > before, "{yearly}");
}
