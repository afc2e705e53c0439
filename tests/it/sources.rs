//! Issue 27: sources asked for as sites want them (POST, forms, JSON bodies, headers, cookies,
//! HTML inside JSON), and the shipped source list polled against fixtures of the real sites'
//! structure through a local farm that wants what each site wants.

use std::path::{Path, PathBuf};

use sigwatch::config::{Config, Method, SourceConfig, SourceKind};

use crate::server::{Reply, Seen, Server};
use crate::{Env, rss};

fn shipped_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/sigwatch.toml")
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sources")
}

/// The path and query a request for `url` carries, as the server sees it.
fn path_of(url: &str) -> String {
    let u = url::Url::parse(url).expect("a URL");
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    }
}

/// Items stored for `source`: (title, link, published).
fn stored(env: &Env, source: &str) -> Vec<(String, Option<String>, Option<i64>)> {
    let conn = rusqlite::Connection::open(env.db()).expect("open db");
    let mut st = conn
        .prepare(
            "SELECT i.title, i.link, i.published FROM items i JOIN sources s ON s.id = i.source_id
             WHERE s.name = ?1 ORDER BY i.id",
        )
        .unwrap();
    st.query_map([source], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Whether a request carries what `s` is configured to send: its method, each of its
/// headers (names case-insensitive), its form body, and a form's Content-Type.
fn wanted(s: &SourceConfig, seen: &Seen) -> bool {
    let method = match s.method {
        Method::Get => "GET",
        Method::Post => "POST",
    };
    let headers_ok = s
        .headers
        .0
        .iter()
        .all(|(k, v)| seen.headers.get(&k.to_ascii_lowercase()) == Some(v));
    let body_ok = match &s.body {
        Some(b) => {
            seen.body == b.as_bytes()
                && seen
                    .headers
                    .get("content-type")
                    .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
        }
        None => seen.body.is_empty(),
    };
    seen.method == method && headers_ok && body_ok
}

/// The done-criterion of issue 27: a POST-only endpoint that wants its Referer and form
/// field, answering JSON whose `data.html` holds the list; sigwatch stores its items with
/// absolute links and dates, written in the shipped config's syntax.
#[test]
fn a_post_only_endpoint_with_html_inside_json_is_stored_with_links_and_dates() {
    let server = Server::start();
    let html = r#"<div id="分页列表"><div class="page-content"><ul class="txtList_01">
        <li><a href="/zwgk/zcfb/art/2026/art_aa01.html" title="商务部公告2026年第61号 关于对稀土相关物项实施出口管制的决定">商务部公告2026年第61号…</a><span>[2026-11-24]</span></li>
        <li><a href="art/2026/art_aa02.html" title="商务部新闻发言人答记者问">商务部新闻发言人答记者问</a><span>[2026-11-20]</span></li>
        </ul></div></div>"#;
    let body = serde_json::json!({"success": true, "code": "200", "data": {"html": html}}).to_string();
    let referer = format!("{}/zwgk/zcfb/index.html", server.base);
    let want_referer = referer.clone();
    server.route(
        "/api/unit",
        Reply::ok("application/json; charset=UTF-8", body).only_if(move |s| {
            s.method == "POST"
                && s.headers.get("referer") == Some(&want_referer)
                && s.headers.get("cookie").map(String::as_str) == Some("JSESSIONID=abc")
                && s.headers
                    .get("content-type")
                    .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
                && String::from_utf8_lossy(&s.body)
                    .split('&')
                    .any(|f| f == "pageNo=1")
        }),
    );
    let env = Env::new(&format!(
        r#"
[[source]]
name = "unit"
kind = "html"
role = "official"
url = "{url}"
method = "POST"
body = "pageNo=1&pageSize=15"
headers = {{ referer = "{referer}" }}
cookie_file = "unit.cookie"
html_path = "data.html"
timezone = "Asia/Shanghai"
item = "ul.txtList_01 li"
title = "a@title"
date = "span"
"#,
        url = server.url("/api/unit")
    ));
    let cookie = env.dir.path().join("unit.cookie");
    std::fs::write(&cookie, "JSESSIONID=abc\n").unwrap();
    // As for [smtp] password_file: a cookie every user can read is refused, by `check` too.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cookie, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = env.run(&["check"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("sigwatch.toml:10: source.cookie_file") && err.contains("readable by every user"),
        "{err}"
    );
    std::fs::set_permissions(&cookie, std::fs::Permissions::from_mode(0o600)).unwrap();
    env.ok(&["check"]);
    env.ok(&["poll"]);
    let seen = server.seen("/api/unit");
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].status, 200,
        "the endpoint refused the request: {:?}",
        seen[0]
    );
    let items = stored(&env, "unit");
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(
        items[0].0,
        "商务部公告2026年第61号 关于对稀土相关物项实施出口管制的决定"
    );
    assert_eq!(
        items[0].1.as_deref(),
        Some(server.url("/zwgk/zcfb/art/2026/art_aa01.html").as_str())
    );
    assert_eq!(
        items[1].1.as_deref(),
        Some(server.url("/api/art/2026/art_aa02.html").as_str())
    );
    // 2026-11-24 00:00 in Beijing.
    assert_eq!(items[0].2, Some(1_795_449_600));
    assert!(items[1].2.is_some());
    // `sources test` asks the same way, and shows the role.
    let out = env.run(&["sources", "test", "unit"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.contains("2 items") && out.contains("official"), "{out}");
    // And the cookie never reaches the output or the log.
    assert!(!out.contains("JSESSIONID"), "{out}");
}

/// `base` decides where relative links point, and a `json` body goes out as JSON.
#[test]
fn json_bodies_are_sent_as_json_and_links_resolve_against_base() {
    let server = Server::start();
    server.route(
        "/search",
        Reply::ok(
            "application/json",
            r#"{"result":{"list":[{"title":"<em>出口</em>管制 新规","url":"/d/1.html","time":"2026-11-24 10:00:00"}]}}"#,
        )
        .only_if(|s| {
            s.method == "POST"
                && s.headers.get("content-type").map(String::as_str) == Some("application/json")
                && serde_json::from_slice::<serde_json::Value>(&s.body).ok()
                    == Some(serde_json::json!({"pageNo": 1, "searchBy": {"code": "zc"}}))
        }),
    );
    let env = Env::new(&format!(
        r#"
[[source]]
name = "search"
kind = "json"
url = "{url}"
method = "POST"
json = {{ pageNo = 1, searchBy = {{ code = "zc" }} }}
base = "https://www.gov.cn/zhengce/"
items = "result.list"
title = "title"
link = "url"
date = "time"
html = ["title"]
"#,
        url = server.url("/search")
    ));
    env.ok(&["poll"]);
    let items = stored(&env, "search");
    assert_eq!(items.len(), 1, "{:?}", server.seen("/search"));
    assert_eq!(items[0].0, "出口管制 新规");
    assert_eq!(items[0].1.as_deref(), Some("https://www.gov.cn/d/1.html"));
}

/// A 303 after a POST is fetched with GET and no body; a 307 repeats the POST with its body;
/// a hop to another origin loses the cookie but keeps the Referer.
#[test]
fn redirects_of_a_post_follow_the_browser_rules_and_keep_cookies_home() {
    let home = Server::start();
    let other = Server::start();
    let feed = rss(&[("g1", "Export controls on gallium", "d")]);
    home.route("/post303", Reply::status(303).header("Location", "/list.xml"));
    home.route("/list.xml", Reply::ok("application/rss+xml", feed.clone()));
    home.route(
        "/post307",
        Reply::status(307).header("Location", &other.url("/api")),
    );
    other.route("/api", Reply::ok("application/rss+xml", feed));
    let env = Env::new(&format!(
        r#"
[[source]]
name = "see-other"
url = "{a}"
method = "POST"
body = "x=1"
headers = {{ Cookie = "sid=home-only" }}

[[source]]
name = "temporary"
url = "{b}"
method = "POST"
body = "x=2"
headers = {{ Cookie = "sid=home-only", Referer = "https://example.test/" }}
"#,
        a = home.url("/post303"),
        b = home.url("/post307"),
    ));
    env.ok(&["poll"]);
    let got = home.seen("/list.xml");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].method, "GET");
    assert!(got[0].body.is_empty());
    assert!(
        !got[0].headers.contains_key("content-type"),
        "{:?}",
        got[0].headers
    );
    assert_eq!(
        got[0].headers.get("cookie").map(String::as_str),
        Some("sid=home-only")
    );
    let got = other.seen("/api");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].method, "POST");
    assert_eq!(got[0].body, b"x=2");
    assert_eq!(got[0].headers.get("cookie"), None, "the cookie left its origin");
    assert_eq!(
        got[0].headers.get("referer").map(String::as_str),
        Some("https://example.test/")
    );
    assert_eq!(stored(&env, "see-other").len(), 1);
    assert_eq!(stored(&env, "temporary").len(), 1);
}

/// A POST that carried validators and is answered 412 is unchanged, as a 304 is to a GET.
#[test]
fn conditional_requests_apply_to_posts() {
    let server = Server::start();
    let feed = rss(&[("g1", "Export controls", "d")]);
    server.route(
        "/feed",
        Reply::ok("application/rss+xml", feed)
            .header("ETag", "\"v1\"")
            .only_if(|s| !s.headers.contains_key("if-none-match")),
    );
    let env = Env::new(&format!(
        "[[source]]\nname = \"p\"\nurl = \"{}\"\nmethod = \"POST\"\nbody = \"a=1\"\n",
        server.url("/feed")
    ));
    env.ok(&["poll"]);
    // A server whose validator matches answers a POST 412 (RFC 9110, 13.1.2).
    server.route("/feed", Reply::status(412));
    env.ok(&["poll"]);
    let seen = server.seen("/feed");
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[1].headers.get("if-none-match").map(String::as_str),
        Some("\"v1\"")
    );
    let status: String = rusqlite::Connection::open(env.db())
        .unwrap()
        .query_row("SELECT last_status FROM sources WHERE name = 'p'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(status, "not-modified");
}

/// Loads the shipped config, and serves each of its sources at the same path and query on a
/// local server: html, json and POST sources answer their fixture (and refuse a request
/// without the method, headers and form the site wants), feeds a small RSS feed. Returns
/// the server, the config's text pointed at it with every source enabled, and the sources.
fn farm() -> (Server, String, Vec<SourceConfig>) {
    let path = shipped_path();
    let text = std::fs::read_to_string(&path).unwrap();
    let cfg = Config::parse(&text, &path).expect("the shipped config loads");
    let server = Server::start();
    let mut local = text.clone();
    for s in &cfg.sources {
        let at = path_of(&s.url);
        let needs_fixture = s.kind != SourceKind::Feed || s.method != Method::Get;
        let reply = if needs_fixture {
            let ext = if s.kind == SourceKind::Html && s.html_path.is_none() {
                "html"
            } else {
                "json"
            };
            let file = fixture_dir().join(format!("{}.{ext}", s.name));
            let body = std::fs::read(&file).unwrap_or_else(|e| {
                panic!("no fixture {} for shipped source {}: {e}", file.display(), s.name)
            });
            let ct = if ext == "html" {
                "text/html; charset=utf-8"
            } else {
                "application/json; charset=UTF-8"
            };
            let want = s.clone();
            Reply::ok(ct, body).only_if(move |seen| wanted(&want, seen))
        } else {
            Reply::ok(
                "application/rss+xml",
                rss(&[(&s.name, "Item of the farm", "text")]),
            )
        };
        match &s.body {
            Some(b) => server.route_body(&at, b, reply),
            None => server.route(&at, reply),
        }
        // Sources sharing an endpoint (one per form) are all pointed at the farm at once.
        let was = format!("url = \"{}\"", s.url);
        local = local.replace(&was, &format!("url = \"{}{at}\"", server.base));
    }
    let local = local.replace("enabled = false", "enabled = true");
    (server, local, cfg.sources)
}

/// Issue 27, item 6: every shipped html, json and POST source, polled with its own settings
/// against a fixture of its site's structure, gives titles, absolute links and (where its
/// list has dates) dates.
#[test]
fn every_shipped_source_reads_its_fixture_with_its_own_settings() {
    let (server, config, sources) = farm();
    let env = Env::new(&config);
    let out = env.run(&["poll"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut checked = 0;
    for s in &sources {
        let items = stored(&env, &s.name);
        let seen = server.seen(&path_of(&s.url));
        assert!(
            !items.is_empty(),
            "{}: nothing stored; the farm saw {seen:?}\n{stderr}",
            s.name
        );
        if s.kind == SourceKind::Feed && s.method == Method::Get {
            continue;
        }
        checked += 1;
        assert!(items.len() >= 2, "{}: {items:?}", s.name);
        for (title, link, published) in &items {
            assert!(
                !title.trim().is_empty() && !title.contains('<'),
                "{}: {title:?}",
                s.name
            );
            let link = link
                .as_deref()
                .unwrap_or_else(|| panic!("{}: {title} has no link", s.name));
            let u = url::Url::parse(link).unwrap_or_else(|e| panic!("{}: {link:?}: {e}", s.name));
            assert!(matches!(u.scheme(), "http" | "https"), "{}: {link}", s.name);
            assert!(
                !link.contains("/api-gateway/"),
                "{}: {link} resolved against the endpoint's path",
                s.name
            );
            if s.date.is_some() {
                assert!(published.is_some(), "{}: {title} has no date", s.name);
            }
        }
    }
    assert!(
        checked >= 12,
        "only {checked} html/json/POST sources were checked"
    );
}

/// The sources that reach Korea's trade ministry, BIS's press releases and MOFCOM's press
/// conferences, each polled from its fixture on the farm with its shipped settings: titles,
/// links (the ministry's script calls turned into its pages, on the template's host however
/// the farm is reached), dates in the source's zone, and the official role.
#[test]
fn the_ministry_board_bis_and_press_conference_sources_read_their_fixtures() {
    let (server, config, _) = farm();
    let env = Env::new(&config);
    env.ok(&["poll", "motir-press", "bis-press", "mofcom-lxxwfbh"]);
    let want: [(&str, &str, &str, i64); 3] = [
        (
            "motir-press",
            "반도체 수출통제 대응 민관 합동 점검회의 개최",
            "https://www.motir.go.kr/kor/article/ATCL3f49a5a8c/171830/view",
            // 2026-12-01 00:00 in Seoul.
            1_796_050_800,
        ),
        (
            "bis-press",
            "Commerce Adds Entities to the Entity List for Diversion of Advanced Computing Items",
            "/press-release/commerce-adds-entities-entity-list-diversion-advanced-computing-items",
            // November 24, 2026 00:00 in Washington.
            1_795_496_400,
        ),
        (
            "mofcom-lxxwfbh",
            "商务部召开例行新闻发布会（2026年11月26日）",
            "/xwfbzt/2026/swbzklxxwfbh2026n11y26r/index.html",
            // 2026-11-26 00:00 in Beijing, read from the title.
            1_795_622_400,
        ),
    ];
    for (name, title, link, published) in want {
        let items = stored(&env, name);
        assert_eq!(items.len(), 3, "{name}: {items:?}");
        let (t, l, p) = &items[0];
        assert_eq!(t, title, "{name}");
        let l = l.as_deref().unwrap_or_default();
        if link.starts_with('/') {
            assert_eq!(l, server.url(link), "{name}");
        } else {
            assert_eq!(l, link, "{name}");
        }
        assert_eq!(*p, Some(published), "{name}");
        assert!(
            items.iter().all(|(_, l, p)| l.is_some() && p.is_some()),
            "{name}: {items:?}"
        );
    }
    let motir: Vec<String> = stored(&env, "motir-press")
        .into_iter()
        .filter_map(|(_, l, _)| l)
        .collect();
    assert_eq!(
        motir[1..],
        [
            "https://www.motir.go.kr/kor/article/ATCL3f49a5a8c/171826/view",
            "https://www.motir.go.kr/kor/article/ATCL3f49a5a8c/171801/view"
        ]
    );
    // The navigation's links to /news-updates and the sidebar's to other sites make no items.
    let bis = stored(&env, "bis-press");
    assert!(
        bis.iter()
            .all(|(_, l, _)| l.as_deref().unwrap().contains("/press-release/")),
        "{bis:?}"
    );
    let rows = env.json(&["sources", "--format", "json"]);
    for name in ["motir-press", "bis-press", "mofcom-lxxwfbh"] {
        let row = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap();
        assert_eq!(row["role"], "official", "{row}");
    }
}

/// A link template turns script calls into pages on the template's host only: a row whose
/// call would climb out of the path or carry a host is percent-encoded into one segment, an
/// empty or dot-segment id gives no link (and a warning), and a template that would let the
/// page choose the host is refused at load with the file, line and key.
#[test]
fn link_templates_keep_content_off_the_host() {
    let server = Server::start();
    server.route(
        "/board",
        Reply::ok(
            "text/html; charset=utf-8",
            r#"<table><tbody>
            <tr><td><a href="javascript:article.view('42');"><i>Plain</i></a></td><td>2026-12-01</td></tr>
            <tr><td><a href="javascript:article.view('../../evil.test/x?y=1#z');"><i>Climbing</i></a></td><td>2026-12-01</td></tr>
            <tr><td><a href="javascript:article.view('..');"><i>Dots</i></a></td><td>2026-12-01</td></tr>
            <tr><td><a href="javascript:void(0)"><i>No call</i></a></td><td>2026-12-01</td></tr>
            </tbody></table>"#,
        ),
    );
    let source = |template: &str| {
        format!(
            r#"
[[source]]
name = "board"
kind = "html"
url = "{url}"
item = "tbody tr"
title = "a i"
link = "a"
link_pattern = "article\\.view\\('([^']*)'\\)"
link_template = "{template}"
"#,
            url = server.url("/board")
        )
    };
    let env = Env::new(&source("https://ministry.test/view/{1}/page"));
    let out = env.ok(&["sources", "test", "board"]);
    assert!(
        out.contains("link_pattern matched 1 link values whose link was refused"),
        "{out}"
    );
    env.ok(&["poll"]);
    let links: Vec<(String, Option<String>)> = stored(&env, "board")
        .into_iter()
        .map(|(t, l, _)| (t, l))
        .collect();
    assert_eq!(
        links,
        [
            ("Plain".into(), Some("https://ministry.test/view/42/page".into())),
            (
                "Climbing".into(),
                Some("https://ministry.test/view/..%2F..%2Fevil.test%2Fx%3Fy%3D1%23z/page".into())
            ),
            ("Dots".into(), None),
            ("No call".into(), None),
        ]
    );
    for (template, why) in [
        ("https://{1}/view", "host"),
        ("https://ministry.test{1}", "part of the host"),
        ("{1}", "http or https URL"),
        ("https://ministry.test/view/{2}", "capture group"),
    ] {
        let env = Env::new(&source(template));
        let out = env.run(&["check"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{template}");
        assert!(
            err.contains("sigwatch.toml:10:1: source.link_template") && err.contains(why),
            "{template}: {err}"
        );
    }
}

/// Issue 27, item 4: `sources test --all` on the farm prints one line per enabled source,
/// stores nothing, and exits non-zero once one source yields nothing (3 when one cannot be
/// read, 1 when one lists no items).
#[test]
fn sources_test_all_prints_a_line_per_source_and_fails_on_an_empty_one() {
    let (server, config, sources) = farm();
    let env = Env::new(&config);
    let out = env.run(&["sources", "test", "--all"]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), sources.len(), "{stdout}");
    for (s, line) in sources.iter().zip(&lines) {
        assert!(line.starts_with(&s.name), "{line}");
        assert!(line.contains("fetched") && line.contains("items"), "{line}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("mofcom-zcfb") && l.contains("newest 2026-11-24")),
        "{stdout}"
    );
    assert!(
        !env.db().exists() || env.count("items") == 0,
        "sources test stored items"
    );

    // A redesign: MOFCOM's fragment loses its list class. The line names the selector.
    let zcfb = sources.iter().find(|s| s.name == "mofcom-zcfb").unwrap();
    let want = zcfb.clone();
    server.route(
        &path_of(&zcfb.url),
        Reply::ok(
            "application/json",
            r#"{"code":"200","data":{"html":"<div class=\"new-list\"><a href=\"/x\">x</a></div>"}}"#,
        )
        .only_if(move |seen| wanted(&want, seen)),
    );
    let out = env.run(&["sources", "test", "--all"]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    let line = stdout.lines().find(|l| l.starts_with("mofcom-zcfb")).unwrap();
    assert!(
        line.contains("not read") && line.contains("ul.txtList_01 li"),
        "{line}"
    );
    assert_eq!(stdout.lines().count(), sources.len());
}

/// `sigwatch check` accepts the shipped config as it is.
#[test]
fn the_shipped_config_passes_check() {
    let out = crate::sigwatch(&shipped_path(), &["check"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Issue 27, item 3: a source's role is shown by `sources` (table and JSON), `sources test`
/// and `hits` (JSON key `role`).
#[test]
fn roles_show_in_sources_and_hits() {
    let server = Server::start();
    server.route(
        "/mofcom.xml",
        Reply::ok(
            "application/rss+xml",
            rss(&[("m1", "Export controls on gallium", "d")]),
        ),
    );
    server.route(
        "/cgtn.xml",
        Reply::ok(
            "application/rss+xml",
            rss(&[("c1", "China explains export controls", "d")]),
        ),
    );
    let env = Env::new(&format!(
        r#"
[[source]]
name = "mofcom"
url = "{a}"
role = "official"

[[source]]
name = "cgtn"
url = "{b}"
role = "state-media"

[[source]]
name = "blog"
url = "{b}"

[watch.ec]
terms = ["export controls"]
"#,
        a = server.url("/mofcom.xml"),
        b = server.url("/cgtn.xml"),
    ));
    env.ok(&["poll"]);
    let rows = env.json(&["sources", "--format", "json"]);
    let role = |name: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .map(|r| r["role"].clone())
    };
    assert_eq!(role("mofcom"), Some("official".into()));
    assert_eq!(role("cgtn"), Some("state-media".into()));
    assert_eq!(role("blog"), Some("media".into()));
    let table = env.ok(&["sources"]);
    assert!(
        table.to_lowercase().contains("role") && table.contains("state-media"),
        "{table}"
    );
    let hits = env.json(&["hits", "--format", "json"]);
    let hits = hits.as_array().unwrap();
    assert_eq!(hits.len(), 3, "{hits:?}");
    for h in hits {
        let want = match h["source"].as_str().unwrap() {
            "mofcom" => "official",
            "cgtn" => "state-media",
            _ => "media",
        };
        assert_eq!(h["role"], want, "{h}");
    }
    let out = env.ok(&["sources", "test", "mofcom"]);
    assert!(out.lines().next().unwrap().contains("official"), "{out}");
}

/// The examples of docs/sources.md are configs that load.
#[test]
fn the_cookbook_examples_load() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/sources.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let blocks: Vec<&str> = doc
        .split("```toml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert!(blocks.len() >= 5, "{}", blocks.len());
    for b in blocks {
        if let Err(e) = Config::parse(b, &path) {
            panic!("{e}\n{b}");
        }
    }
}

/// The address guard holds a POST and its redirects as it holds a GET: a 307 that would
/// repeat the POST, form and cookie at the cloud metadata address is refused, and the size
/// cap applies to the answer of a POST.
#[test]
fn the_guard_and_the_limits_hold_posts_too() {
    let server = Server::start();
    server.route(
        "/to-metadata",
        Reply::status(307).header("Location", "http://169.254.169.254/latest/meta-data/"),
    );
    server.route("/big", Reply::ok("application/rss+xml", vec![b' '; 64 * 1024]));
    let env = Env::new(&format!(
        "[fetch]\nmax_body = \"16KiB\"\n\
         [[source]]\nname = \"steered\"\nurl = \"{}\"\nmethod = \"POST\"\nbody = \"a=1\"\nheaders = {{ Cookie = \"sid=1\" }}\n\
         [[source]]\nname = \"big\"\nurl = \"{}\"\nmethod = \"POST\"\nbody = \"a=1\"\n",
        server.url("/to-metadata"),
        server.url("/big"),
    ));
    let out = env.run(&["sources", "test", "--all"]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    let line = |name: &str| stdout.lines().find(|l| l.starts_with(name)).unwrap().to_string();
    assert!(
        line("steered").contains("[refused]") && line("steered").contains("169.254.169.254"),
        "{stdout}"
    );
    assert!(line("big").contains("[too-large]"), "{stdout}");
    assert_eq!(server.seen("/big")[0].method, "POST");
}

/// `sources test --all` exits 1, "nothing found", when every source was read but one listed
/// no items.
#[test]
fn sources_test_all_says_nothing_found_for_an_empty_list() {
    let server = Server::start();
    server.route("/empty.xml", Reply::ok("application/rss+xml", rss(&[])));
    server.route(
        "/full.xml",
        Reply::ok("application/rss+xml", rss(&[("g", "t", "d")])),
    );
    let env = Env::new(&format!(
        "[[source]]\nname = \"empty\"\nurl = \"{}\"\n[[source]]\nname = \"full\"\nurl = \"{}\"\n",
        server.url("/empty.xml"),
        server.url("/full.xml"),
    ));
    let out = env.run(&["sources", "test", "--all"]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("empty  fetched  0 items  newest -"), "{stdout}");
    assert!(stdout.contains("full   fetched  1 items"), "{stdout}");
}
