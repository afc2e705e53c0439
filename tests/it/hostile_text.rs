//! Hostile text, end to end with the real binary, local HTTP servers and the SMTP server of
//! `smtp.rs`: terminal escape sequences from any kind of source (a followed page among them)
//! reach neither the store, nor the terminal, nor a CSV file, nor either part of a mail; CSV
//! cells a spreadsheet would run are neutralized; bidi overrides and zero-width characters
//! leave titles; an RFC 2047 encoded-word in a title arrives as the text it was; a long title
//! makes no header line longer than 998 octets.

use mailparse::{MailHeaderMap, parse_mail};

use crate::server::{Reply, Server};
use crate::smtp::{SmtpServer, part};
use crate::{Env, WATCHES, rss};

/// An OSC window title (ended by BEL), an OSC 8 hyperlink (ended by `ESC \`), SGR colours, a
/// clear screen and a C1 CSI: what a hostile page puts in its text.
const NASTY: &str =
    "\u{1b}]0;pwned\u{7}\u{1b}]8;;http://evil.test/\u{1b}\\\u{1b}[31;1m\u{1b}[2J\u{1b}[H\u{9b}32m";

/// Whether `s` holds anything a terminal would act on: ESC, BEL, a C1 control.
fn has_escapes(s: &str) -> bool {
    s.chars()
        .any(|c| matches!(c, '\u{1b}' | '\u{7}' | '\u{80}'..='\u{9f}'))
}

/// The `[digest]` and `[smtp]` tables for the test SMTP server, and the watches, one of
/// them alerting at once when `alert`.
fn mail_config(smtp: &SmtpServer, alert: bool) -> String {
    let watches = if alert {
        WATCHES.replace(
            "terms = [\"rare earth\", \"稀土\"]\n",
            "terms = [\"rare earth\", \"稀土\"]\nalert = \"immediate\"\n",
        )
    } else {
        WATCHES.to_string()
    };
    format!(
        "[digest]\nfrom = \"sigwatch <alerts@sigwatch.test>\"\nto = [\"analyst@example.com\"]\n\
         mail_backlog = true\nsend_timeout = \"5s\"\n\
         [smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n{watches}",
        smtp.port
    )
}

/// The header block of a raw message, and its text and HTML parts, decoded.
fn mail_parts(raw: &str) -> (String, String, String) {
    let mail = parse_mail(raw.as_bytes()).unwrap();
    let head = raw[..raw.find("\r\n\r\n").unwrap_or(raw.len())].to_string();
    (head, part(&mail, "text/plain"), part(&mail, "text/html"))
}

/// The item ids of the stored hits.
fn hit_items(env: &Env) -> Vec<i64> {
    let mut ids: Vec<i64> = env
        .json(&["hits", "--format", "json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["item"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Every text column of every item, read from the database file itself.
fn stored_texts(env: &Env) -> Vec<String> {
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT coalesce(title, '') || '|' || coalesce(summary, '') || '|' || coalesce(text, '') || '|' ||
                    coalesce(link, '') || '|' || coalesce(guid, '') FROM items
             UNION ALL SELECT snippet FROM hits",
        )
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn escape_sequences_from_a_followed_page_a_list_and_an_api_reach_no_terminal_csv_or_mail() {
    let srv = Server::start();
    // A feed whose item is followed: the page's text replaces the summary.
    srv.route(
        "/feed.xml",
        Reply::ok(
            "application/rss+xml",
            rss(&[("f1", "Notice on exports", "See the notice.")])
                .replace("http://example.test/f1", &srv.url("/page/1.html")),
        ),
    );
    srv.route(
        "/page/1.html",
        Reply::ok(
            "text/html; charset=utf-8",
            format!(
                "<html><body><p>New {NASTY}export controls on rare earth{NASTY} magnets.</p></body></html>"
            ),
        ),
    );
    // An HTML list page and a JSON API carrying the same in their titles.
    srv.route(
        "/list.html",
        Reply::ok(
            "text/html; charset=utf-8",
            format!("<ul class=list><li><a href=\"/l/1\">Rare earth{NASTY} quota list</a></li></ul>"),
        ),
    );
    let json = serde_json::json!({ "results": [
        { "id": "j1", "title": format!("Chip{NASTY} tariffs"), "url": "http://api.test/j1", "body": "semiconductor" }
    ]});
    srv.route("/api.json", Reply::ok("application/json", json.to_string()));
    let smtp = SmtpServer::start(&[]);
    let cfg = format!(
        "[[source]]\nname = \"feed\"\nurl = \"{}\"\nfollow = true\nallow_local = true\n\
         [[source]]\nname = \"list\"\nkind = \"html\"\nurl = \"{}\"\nitem = \"ul.list li\"\ntitle = \"a\"\nlink = \"a\"\n\
         [[source]]\nname = \"api\"\nkind = \"json\"\nurl = \"{}\"\nitems = \"results\"\ntitle = \"title\"\nlink = \"url\"\nid = \"id\"\nsummary = \"body\"\n{}",
        srv.url("/feed.xml"),
        srv.url("/list.html"),
        srv.url("/api.json"),
        mail_config(&smtp, false)
    );
    let env = Env::new(&cfg);
    env.ok(&["poll"]);
    assert_eq!(
        srv.seen("/page/1.html").len(),
        1,
        "the feed's item page was followed"
    );

    // Nothing of it is stored, from any of the three.
    let stored = stored_texts(&env);
    assert!(stored.len() >= 6, "{stored:?}");
    for s in &stored {
        assert!(!has_escapes(s), "stored: {s:?}");
    }
    assert!(
        stored
            .iter()
            .any(|s| s.contains("export controls on rare earth magnets")),
        "the page's text is kept: {stored:?}"
    );

    let items = hit_items(&env);
    assert_eq!(items.len(), 3, "one item with hits per source");
    for id in &items {
        let shown = env.ok(&["show", &id.to_string()]);
        assert!(!has_escapes(&shown), "show {id}: {shown:?}");
    }
    for args in [
        &["hits"][..],
        &["hits", "--format", "csv"],
        &["hits", "--stories"],
        &["hits", "--stories", "--format", "csv"],
    ] {
        let out = env.ok(args);
        assert!(!has_escapes(&out), "{args:?}: {out:?}");
    }

    env.ok(&["digest"]);
    let got = smtp.accepted();
    assert_eq!(got.len(), 1);
    let (head, text, html) = mail_parts(&got[0]);
    for (name, s) in [("header", &head), ("text part", &text), ("html part", &html)] {
        assert!(!has_escapes(s), "{name}: {s:?}");
    }
    assert!(text.contains("magnets"), "{text}");
}

#[test]
fn rows_stored_with_escapes_are_shown_escaped_and_rematched_clean() {
    let srv = Server::start();
    srv.route(
        "/feed.xml",
        Reply::ok(
            "application/rss+xml",
            rss(&[("r1", "Rare earth quota", "Quota for rare earth and gallium.")]),
        ),
    );
    let smtp = SmtpServer::start(&[]);
    let cfg = format!(
        "[[source]]\nname = \"news\"\nurl = \"{}\"\n{}",
        srv.url("/feed.xml"),
        mail_config(&smtp, false)
    );
    let env = Env::new(&cfg);
    env.ok(&["poll"]);
    // A row as a version without the sanitizer stored it.
    let dirty = format!("Rare earth{NASTY} quota");
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute(
        "UPDATE items SET title = ?1, summary = ?2, text = ?2",
        [&dirty, &format!("Quota for rare earth and {NASTY} gallium.")],
    )
    .unwrap();
    conn.execute("UPDATE hits SET snippet = ?1", [&dirty]).unwrap();
    drop(conn);

    let id = hit_items(&env)[0].to_string();
    let shown = env.ok(&["show", &id]);
    assert!(!has_escapes(&shown), "{shown:?}");
    assert!(
        shown.contains("\\x1b]0;pwned"),
        "what is left is shown, not acted on: {shown}"
    );
    let table = env.ok(&["hits"]);
    assert!(!has_escapes(&table), "{table:?}");

    // A new watch finds gallium in the stored text: its hit's snippet is clean.
    std::fs::write(
        env.config(),
        format!("{cfg}\n[watch.minerals]\nterms = [\"gallium\"]\n"),
    )
    .unwrap();
    env.ok(&["rematch"]);
    let hits = env.json(&["hits", "--watch", "minerals", "--format", "json"]);
    let snippet = hits[0]["snippet"].as_str().unwrap();
    assert!(
        snippet.contains("gallium") && !has_escapes(snippet),
        "{snippet:?}"
    );

    // Neither part of the digest carries what the old rows hold.
    env.ok(&["digest"]);
    let (head, text, html) = mail_parts(&smtp.accepted()[0]);
    for (name, s) in [("header", &head), ("text part", &text), ("html part", &html)] {
        assert!(!has_escapes(s), "{name}: {s:?}");
    }
}

#[test]
fn csv_cells_a_spreadsheet_would_run_are_neutralized() {
    let srv = Server::start();
    let titles = [
        ("c1", "=HYPERLINK(\"http://evil.test\",\"rare earth\")"),
        ("c2", "+rare earth+cmd|' /C calc'!A0"),
        ("c3", "-2+3 rare earth"),
        ("c4", "@SUM(1) rare earth"),
    ];
    let items: Vec<(&str, &str, &str)> = titles.iter().map(|(g, t)| (*g, *t, "-")).collect();
    srv.route("/feed.xml", Reply::ok("application/rss+xml", rss(&items)));
    let env = Env::new(&format!(
        "[[source]]\nname = \"news\"\nurl = \"{}\"\n{WATCHES}",
        srv.url("/feed.xml")
    ));
    env.ok(&["poll"]);
    let cells = |args: &[&str], column: &str| -> Vec<String> {
        let out = env.ok(args);
        let mut r = csv::Reader::from_reader(out.as_bytes());
        let at = r.headers().unwrap().iter().position(|h| h == column).unwrap();
        r.records().map(|rec| rec.unwrap()[at].to_string()).collect()
    };
    for args in [
        &["hits", "--format", "csv"][..],
        &["hits", "--stories", "--format", "csv"],
    ] {
        let mut got = cells(args, "title");
        got.sort();
        got.dedup();
        let mut want: Vec<String> = titles.iter().map(|(_, t)| format!("'{t}")).collect();
        want.sort();
        assert_eq!(got, want, "{args:?}");
    }
    // No cell of any CSV output starts a formula.
    for args in [
        &["hits", "--format", "csv"][..],
        &["hits", "--stories", "--format", "csv"],
        &["stats", "--by", "source", "--format", "csv"],
        &["sources", "--format", "csv"],
    ] {
        let out = env.ok(args);
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(out.as_bytes());
        for rec in r.records() {
            for cell in rec.unwrap().iter() {
                let number = cell.parse::<f64>().is_ok();
                assert!(
                    number || !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{args:?}: {cell:?}"
                );
            }
        }
    }
    // JSON stays as it was: it is not for spreadsheets.
    let json = env.json(&["hits", "--format", "json"]);
    assert!(json.as_array().unwrap().iter().any(|h| h["title"] == titles[0].1));
}

/// Bidi overrides and isolates, and zero-width characters.
const INVISIBLE: [char; 9] = [
    '\u{202a}', '\u{202b}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2068}', '\u{2069}', '\u{200b}',
    '\u{feff}',
];

#[test]
fn bidi_overrides_and_zero_width_characters_leave_subjects_and_titles() {
    let title = "Rare earth \u{202e}fdp.exe\u{202c} \u{2066}quota\u{2069} \u{200b}notice\u{feff}\u{200d}";
    let (_srv, smtp, env) = poll_one_item_with_alerts("b1", title, "稀土");
    env.ok(&["digest"]);
    let got = smtp.accepted();
    assert_eq!(got.len(), 2, "an alert and a digest");
    let clean = |what: &str, s: &str| {
        assert!(!s.contains(INVISIBLE) && !s.contains('\u{202c}'), "{what}: {s:?}");
    };
    for raw in &got {
        let mail = parse_mail(raw.as_bytes()).unwrap();
        let subject = mail.headers.get_first_value("Subject").unwrap();
        clean("subject", &subject);
        let (_, text, html) = mail_parts(raw);
        clean("text part", &text);
        clean("html part", &html);
        assert!(text.contains("fdp.exe quota notice"), "{text}");
    }
    let alert = parse_mail(got[0].as_bytes()).unwrap();
    assert!(
        alert
            .headers
            .get_first_value("Subject")
            .unwrap()
            .contains("Rare earth fdp.exe quota notice"),
        "the title is still there"
    );
    let id = hit_items(&env)[0].to_string();
    clean("show", &env.ok(&["show", &id]));
    clean("hits", &env.ok(&["hits"]));
    clean("stories", &env.ok(&["hits", "--stories"]));
}

#[test]
fn an_encoded_word_in_a_title_arrives_as_the_text_it_was() {
    // Decoded, it would end the subject and add a header.
    let word = "=?utf-8?b?WA0KQmNjOiB2aWN0aW1AZXhhbXBsZS5jb20=?=";
    let title = format!("Rare earth {word} quota");
    let (_srv, smtp, _env) = poll_one_item_with_alerts("e1", &title, "稀土");
    let got = smtp.accepted();
    assert_eq!(got.len(), 1, "the alert");
    let mail = parse_mail(got[0].as_bytes()).unwrap();
    // What a mail client shows, decoded as it decodes.
    let subject = mail.headers.get_first_value("Subject").unwrap();
    assert_eq!(subject, format!("sigwatch alert: rare-earths: {title}"));
    assert!(!subject.contains("victim@"), "{subject:?}");
    let (head, ..) = mail_parts(&got[0]);
    assert!(
        !head.contains(word),
        "the word is not passed through as one: {head}"
    );
}

#[test]
fn a_five_thousand_character_title_makes_no_header_line_over_998_octets() {
    let title = format!("Rare earth {}", "x".repeat(5_000));
    let (_srv, smtp, env) = poll_one_item_with_alerts("t1", &title, "-");
    env.ok(&["digest"]);
    let got = smtp.accepted();
    assert_eq!(got.len(), 2, "an alert and a digest");
    for raw in &got {
        let (head, ..) = mail_parts(raw);
        for line in head.split("\r\n") {
            assert!(line.len() <= 998, "{} octets: {}…", line.len(), &line[..80]);
        }
        let mail = parse_mail(raw.as_bytes()).unwrap();
        let subject = mail.headers.get_first_value("Subject").unwrap();
        assert!(subject.chars().count() <= 200, "{subject}");
    }
    let alert = parse_mail(got[0].as_bytes()).unwrap();
    let subject = alert.headers.get_first_value("Subject").unwrap();
    assert!(subject.ends_with('…'), "cut, and saying so: {subject}");
}

/// Polls a feed of one item (`guid`, `title`, `summary`) from a source whose hits are alerted
/// through a local SMTP server, as the header tests need.
fn poll_one_item_with_alerts(guid: &str, title: &str, summary: &str) -> (Server, SmtpServer, Env) {
    let srv = Server::start();
    srv.route(
        "/feed.xml",
        Reply::ok("application/rss+xml", rss(&[(guid, title, summary)])),
    );
    let smtp = SmtpServer::start(&[]);
    let env = Env::new(&format!(
        "[[source]]\nname = \"news\"\nurl = \"{}\"\n{}",
        srv.url("/feed.xml"),
        mail_config(&smtp, true)
    ));
    env.ok(&["poll"]);
    (srv, smtp, env)
}
