//! Events, not term occurrences: one story per event across sources and languages, joined by
//! the document number it carries or cites and led by its official item; near-identical
//! notices of different numbers kept apart. Through the real binary against a local farm.

use serde_json::Value;

use crate::server::{Reply, Server};
use crate::{Env, WATCHES};

const BOILERPLATE: &str = "根据《中华人民共和国出口管制法》等法律法规有关规定，为维护国家安全和利益、履行防扩散等国际义务，经国务院批准，决定对部分中重稀土相关物项实施出口管制。出口经营者应当按照有关规定办理出口许可手续。本公告自公布之日起正式实施。";

/// No. 61's text: the boilerplate and a link to its list of items, relative to the notice.
const N61_TEXT: &str = "根据《中华人民共和国出口管制法》等法律法规有关规定，为维护国家安全和利益、履行防扩散等国际义务，经国务院批准，决定对部分中重稀土相关物项实施出口管制。出口经营者应当按照有关规定办理出口许可手续。本公告自公布之日起正式实施。附件：&lt;a href=\"/files/61-list.pdf\"&gt;管制物项清单&lt;/a&gt;";

/// An item of a feed: guid, title, text.
type Feed<'a> = (&'a str, &'a str, &'a str);

/// A farm of three sources: MOFCOM (official) with notice No. 61, customs (official) with
/// No. 62 in near-identical words, and an English medium citing No. 61. Returns the config.
fn farm(srv: &Server) -> String {
    let feeds: [(&str, &str, Vec<Feed>); 3] = [
        (
            "mofcom",
            "official",
            vec![(
                "n61",
                "商务部公告2026年第61号 关于对部分中重稀土相关物项实施出口管制的决定",
                N61_TEXT,
            )],
        ),
        (
            "gacc",
            "official",
            vec![(
                "n62",
                "商务部公告2026年第62号 关于对部分中重稀土相关物项实施出口管制的决定",
                BOILERPLATE,
            )],
        ),
        (
            "wire",
            "media",
            vec![(
                "r1",
                "China widens export controls to more rare earth items",
                "Beijing will require licences for exports of several medium and heavy rare earth items, the commerce ministry said on Thursday in Announcement No. 61 of 2026, citing national security.",
            )],
        ),
    ];
    let mut cfg = String::new();
    for (name, role, items) in feeds {
        srv.route(
            &format!("/{name}.xml"),
            Reply::ok("application/rss+xml", crate::rss(&items)),
        );
        cfg += &format!(
            "[[source]]\nname = \"{name}\"\nrole = \"{role}\"\nurl = \"{}\"\n",
            srv.url(&format!("/{name}.xml"))
        );
    }
    cfg
}

fn member_item(m: &Value, hits: &[Value], guid: &str) -> bool {
    hits.iter()
        .any(|h| h["item"] == m["item"] && h["link"].as_str().is_some_and(|l| l.ends_with(guid)))
}

#[test]
fn a_notice_and_a_report_citing_its_number_are_one_story_and_its_twin_another() {
    let srv = Server::start();
    let env = Env::new(&format!("{}{WATCHES}", farm(&srv)));
    env.ok(&["poll"]);
    let hits = env.json(&["hits", "--format", "json"]);
    let hits = hits.as_array().unwrap();
    let mut pairs = std::collections::HashSet::new();
    for h in hits {
        assert!(
            pairs.insert((h["item"].clone().to_string(), h["watch"].to_string())),
            "two rows of one item in one watch: {hits:?}"
        );
        assert!(h["terms"].as_array().is_some_and(|t| !t.is_empty()), "{h}");
    }

    let stories = env.json(&["hits", "--stories", "--format", "json"]);
    let stories = stories.as_array().unwrap();
    assert_eq!(stories.len(), 2, "{stories:#?}");
    for s in stories {
        for key in ["story", "lead", "members", "watches", "doc_numbers", "score"] {
            assert!(s.get(key).is_some(), "no {key} in {s}");
        }
        for m in s["members"].as_array().unwrap().iter().chain([&s["lead"]]) {
            for key in ["item", "source", "role", "title", "link"] {
                assert!(m.get(key).is_some(), "no {key} in {m}");
            }
        }
    }
    let of = |n: &str| {
        stories
            .iter()
            .find(|s| s["doc_numbers"].as_array().unwrap().iter().any(|d| d == n))
            .unwrap_or_else(|| panic!("no story with {n}: {stories:#?}"))
    };
    let s61 = of("announcement:2026:61");
    assert_eq!(
        s61["lead"]["source"], "mofcom",
        "led by the official notice: {s61}"
    );
    assert_eq!(s61["lead"]["role"], "official");
    assert!(member_item(&s61["lead"], hits, "n61"), "{s61}");
    let members = s61["members"].as_array().unwrap();
    assert_eq!(members.len(), 2, "{s61}");
    assert_eq!(members[0], s61["lead"], "the lead comes first");
    assert_eq!(members[1]["source"], "wire");
    assert_eq!(members[1]["role"], "media");

    // show reads the notice out for the analyst.
    let shown = env.ok(&["show", &s61["lead"]["item"].to_string()]);
    assert!(
        shown.contains("document:   announcement:2026:61 (mofcom)"),
        "{shown}"
    );
    assert!(shown.contains("effective:  on publication"), "{shown}");
    assert!(
        hits.iter()
            .filter(|h| h["item"] == s61["lead"]["item"])
            .all(|h| h["doc_numbers"][0] == "announcement:2026:61"),
        "{hits:?}"
    );

    let s62 = of("announcement:2026:62");
    assert_eq!(s62["members"].as_array().unwrap().len(), 1, "{s62}");
    assert_eq!(s62["lead"]["source"], "gacc");
    assert!(
        !s62["doc_numbers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "announcement:2026:61"),
        "{s62}"
    );
}

#[test]
fn times_read_and_print_in_the_configured_zone_and_json_stays_utc() {
    let srv = Server::start();
    let feed = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>T</title>\
        <link>http://example.test/</link><description>d</description>\
        <item><guid>bj</guid><title>稀土配额公告</title><link>http://example.test/bj</link>\
        <description>稀土</description><pubDate>Tue, 01 Dec 2026 07:30:00 +0800</pubDate></item>\
        </channel></rss>";
    srv.route("/f.xml", Reply::ok("application/rss+xml", feed));
    let env = Env::new(&format!(
        "timezone = \"Asia/Shanghai\"\n[digest]\nfrom = \"sigwatch <a@sigwatch.test>\"\n\
         to = [\"analyst@example.com\"]\nmail_backlog = true\n\
         [[source]]\nname = \"mofcom\"\nurl = \"{}\"\n{WATCHES}",
        srv.url("/f.xml")
    ));
    env.ok(&["poll"]);
    // 07:30 in Beijing on 1 December is 23:30 UTC on 30 November: a date means midnight in
    // the configured zone, so the item is on or after 2026-12-01.
    let json = env.json(&["hits", "--since", "2026-12-01", "--format", "json"]);
    let rows = json.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{json}");
    assert_eq!(rows[0]["published"], "2026-11-30T23:30:00Z", "JSON keeps UTC");
    assert!(
        env.json(&["hits", "--since", "2026-12-02", "--format", "json"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    let table = env.ok(&["hits", "--since", "2026-12-01"]);
    assert!(table.contains("2026-12-01 07:30"), "{table}");
    assert!(table.contains("ASIA/SHANGHAI"), "the zone is labelled: {table}");
    let shown = env.ok(&["show", &rows[0]["item"].to_string()]);
    assert!(
        shown.contains("published:  2026-12-01 07:30 Asia/Shanghai"),
        "{shown}"
    );
    assert!(shown.contains("first seen: "), "{shown}");
    // The digest reads in the zone too, and says which.
    let preview = env.ok(&["digest", "--preview"]);
    assert!(preview.contains("2026-12-01 07:30 Asia/Shanghai"), "{preview}");
}

/// An RSS feed of one item published at `date` (RFC 2822).
fn dated_feed(guid: &str, title: &str, text: &str, date: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>T</title>\
         <link>http://example.test/</link><description>d</description><item><guid>{guid}</guid>\
         <title>{title}</title><link>http://example.test/{guid}</link><description>{text}</description>\
         <pubDate>{date}</pubDate></item></channel></rss>"
    )
}

/// A MOFCOM notice (official) and a newer foreign-ministry reaction (other), both in the
/// immediate watch rare-earths with `alert_line` added to it; polled once. Returns the
/// subjects of the alerts written to the outbox.
fn alerts_after_notice_and_reaction(alert_line: &str) -> (Env, Vec<String>) {
    let srv = Server::start();
    srv.route(
        "/mofcom.xml",
        Reply::ok(
            "application/rss+xml",
            dated_feed(
                "n61",
                "商务部公告2026年第61号 关于对部分中重稀土相关物项实施出口管制的决定",
                BOILERPLATE,
                "Mon, 23 Nov 2026 08:00:00 +0800",
            ),
        ),
    );
    srv.route(
        "/mfa.xml",
        Reply::ok(
            "application/rss+xml",
            dated_feed(
                "r1",
                "外交部发言人就稀土出口管制答记者问",
                "外交部发言人表示，中方依法对稀土相关物项实施出口管制。",
                "Tue, 24 Nov 2026 15:00:00 +0800",
            ),
        ),
    );
    let cfg = format!(
        "[digest]\nfrom = \"sigwatch <a@sigwatch.test>\"\nto = [\"analyst@example.com\"]\nmail_backlog = true\n\
         [[source]]\nname = \"mofcom\"\nrole = \"official\"\nurl = \"{}\"\n\
         [[source]]\nname = \"mfa-briefings\"\nrole = \"other\"\nurl = \"{}\"\n{}",
        srv.url("/mofcom.xml"),
        srv.url("/mfa.xml"),
        WATCHES.replace(
            "[watch.rare-earths]\nterms = [\"rare earth\", \"稀土\"]\n",
            &format!(
                "[watch.rare-earths]\nterms = [\"rare earth\", \"稀土\"]\nalert = \"immediate\"\n{alert_line}"
            ),
        )
    );
    let env = Env::new(&cfg);
    env.ok(&["poll"]);
    let outbox = env.dir.path().join("outbox");
    let subjects: Vec<String> = std::fs::read_dir(&outbox)
        .unwrap()
        .flatten()
        .map(|f| {
            let raw = std::fs::read(f.path()).unwrap();
            let mail = mailparse::parse_mail(&raw).unwrap();
            mailparse::MailHeaderMap::get_first_value(mail.headers.as_slice(), "Subject").unwrap_or_default()
        })
        .filter(|s| s.starts_with("sigwatch alert"))
        .collect();
    (env, subjects)
}

#[test]
fn an_alert_leads_with_the_official_notice_not_the_newer_reaction() {
    let (_env, subjects) = alerts_after_notice_and_reaction("");
    assert_eq!(subjects.len(), 1, "{subjects:?}");
    assert!(
        subjects[0].starts_with("sigwatch alert: rare-earths: 商务部公告2026年第61号"),
        "the official notice leads, not the newer reaction: {subjects:?}"
    );
    assert!(subjects[0].ends_with("(+1 more)"), "{subjects:?}");
}

#[test]
fn alert_roles_keep_reactions_for_the_digest() {
    let (env, subjects) = alerts_after_notice_and_reaction("alert_roles = [\"official\"]\n");
    assert_eq!(subjects.len(), 1, "{subjects:?}");
    assert!(
        subjects[0].starts_with("sigwatch alert: rare-earths: 商务部公告2026年第61号")
            && !subjects[0].contains("more"),
        "only the official notice is alerted: {subjects:?}"
    );
    // The reaction is not lost: it waits, unsent, for the digest.
    let unsent = env.json(&["hits", "--unsent", "--watch", "rare-earths", "--format", "json"]);
    assert!(
        unsent
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["source"] == "mfa-briefings"),
        "{unsent}"
    );
}

/// An alert rule in the watch language keeps the alert to new measures (here: a title that
/// announces or decides, through a concept), whatever the source's role; the reaction waits,
/// unsent, for the digest.
#[test]
fn an_alert_rule_alerts_new_measures_and_leaves_reactions_to_the_digest() {
    let (env, subjects) = alerts_after_notice_and_reaction(
        "[[watch.rare-earths.alert_rule]]\nscope = \"title\"\nall = [\"@new-measure\"]\n\
         [watch.new-measure]\nconcept = true\nterms = [\"公告\", \"决定\", \"additions to the Entity List\"]\n",
    );
    assert_eq!(subjects.len(), 1, "{subjects:?}");
    assert!(
        subjects[0].starts_with("sigwatch alert: rare-earths: 商务部公告2026年第61号")
            && !subjects[0].contains("more"),
        "only the notice meets the rule: {subjects:?}"
    );
    let unsent = env.json(&["hits", "--unsent", "--watch", "rare-earths", "--format", "json"]);
    let reaction = unsent
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["source"] == "mfa-briefings")
        .cloned()
        .unwrap_or_else(|| panic!("{unsent}"));
    // Still not alerted after another cycle: the rule is asked again, and still says no.
    env.ok(&["poll"]);
    let preview = env.ok(&["digest", "--preview"]);
    assert!(
        preview.contains(reaction["title"].as_str().unwrap()) && preview.contains("== Reports =="),
        "{preview}"
    );
}

/// The digest reads as events: the notice No. 61 once, led by its official item and tagged
/// with both its watches, the English report citing it beneath with its role; No. 62 apart;
/// the header counts stories and items. Both parts, through the real SMTP server.
#[test]
fn the_digest_shows_each_story_once_led_by_its_official_item() {
    use crate::smtp::{SmtpServer, part};
    let srv = Server::start();
    let smtp = SmtpServer::start(&[]);
    let env = Env::new(&format!(
        "[digest]\nfrom = \"sigwatch <a@sigwatch.test>\"\nto = [\"analyst@example.com\"]\nmail_backlog = true\n\
         send_timeout = \"2s\"\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n{}{WATCHES}",
        smtp.port,
        farm(&srv)
    ));
    env.ok(&["poll"]);
    env.ok(&["digest"]);
    let got = smtp.accepted();
    assert_eq!(got.len(), 1);
    let mail = mailparse::parse_mail(got[0].as_bytes()).unwrap();
    let text = part(&mail, "text/plain").replace("\r\n", "\n");
    assert!(text.contains("2 stories (3 new items) in 2 watches"), "{text}");
    let entries: Vec<&str> = text
        .split("\n* ")
        .skip(1)
        .map(|e| e.trim_start_matches("★ "))
        .collect();
    assert_eq!(entries.len(), 2, "one entry per story: {text}");
    let n61 = entries
        .iter()
        .find(|e| e.starts_with("商务部公告2026年第61号"))
        .unwrap_or_else(|| panic!("No. 61 leads its story: {text}"));
    assert!(n61.contains("mofcom (official)"), "{n61}");
    assert!(n61.contains("watches: export-controls, rare-earths"), "{n61}");
    assert!(n61.contains("document: announcement:2026:61 (mofcom)"), "{n61}");
    assert!(n61.contains("effective: on publication"), "{n61}");
    assert!(
        n61.contains("also reported by 1 source:\n    - wire (media): China widens export controls"),
        "the report beneath, with its source's role: {n61}"
    );
    assert!(
        entries.iter().any(|e| e.starts_with("商务部公告2026年第62号")),
        "No. 62 is its own story: {text}"
    );
    assert_eq!(text.matches("China widens export controls").count(), 1, "{text}");
    assert!(text.contains("== Official =="), "{text}");
    let html = part(&mail, "text/html");
    assert_eq!(
        html.matches("href=\"http://example.test/n61\"").count(),
        1,
        "{html}"
    );
    assert_eq!(
        html.matches("href=\"http://example.test/r1\"").count(),
        1,
        "{html}"
    );
    assert!(
        html.contains(">official</span>") && html.contains(">media</span>"),
        "{html}"
    );
    assert!(html.contains("Also reported by 1 source"), "{html}");
}

/// What a notice says of itself is stored with it at poll time and shown by `hits` (JSON keys,
/// a compact table column) and the digest; an item stored before that is read by `rematch`.
#[test]
fn a_notices_issuer_effective_date_and_attachments_are_stored_and_listed() {
    let srv = Server::start();
    let env = Env::new(&format!(
        "[digest]\nfrom = \"sigwatch <a@sigwatch.test>\"\nto = [\"analyst@example.com\"]\nmail_backlog = true\n{}{WATCHES}",
        farm(&srv)
    ));
    env.ok(&["poll"]);
    let n61 = |env: &Env| -> Vec<Value> {
        let hits = env.json(&["hits", "--source", "mofcom", "--format", "json"]);
        hits.as_array().unwrap().clone()
    };
    let check = |rows: &[Value]| {
        assert!(!rows.is_empty());
        for h in rows {
            assert_eq!(h["issuers"], serde_json::json!(["mofcom"]), "{h}");
            assert_eq!(h["effective"], "on-publication", "{h}");
            assert_eq!(
                h["attachments"],
                serde_json::json!(["http://example.test/files/61-list.pdf"]),
                "resolved against the notice's link: {h}"
            );
        }
    };
    check(&n61(&env));
    let table = env.ok(&["hits", "--source", "mofcom"]);
    assert!(
        table.contains("mofcom; effective on publication; 1 file"),
        "{table}"
    );
    let preview = env.ok(&["digest", "--preview"]);
    assert!(
        preview.contains("attachment: http://example.test/files/61-list.pdf"),
        "{preview}"
    );
    // As if stored before sigwatch read notices: rematch reads them.
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute("UPDATE items SET notice = NULL", []).unwrap();
    drop(conn);
    assert_eq!(n61(&env)[0]["effective"], Value::Null);
    let out = env.ok(&["rematch"]);
    assert!(out.contains("read the notice facts"), "{out}");
    check(&n61(&env));
    let csv = env.ok(&["hits", "--source", "mofcom", "--format", "csv"]);
    assert!(csv.contains("http://example.test/files/61-list.pdf"), "{csv}");
}
