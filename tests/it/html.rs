//! `kind = "html"` sources: ministry list pages read with CSS selectors.

use serde_json::Value;

use crate::server::{Reply, Server};
use crate::{Env, WATCHES};

const MOFCOM: &str = r#"<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>商务部新闻发布</title></head>
<body><div class="listline">导航</div><ul class="txtList_01">
<li><a href="/article/xwfb/202611/20261123.shtml" title="商务部公告2026年第61号 关于对部分稀土相关物项实施出口管制的决定">商务部公告2026年第61号…</a><span>2026年11月23日</span></li>
<li><a href="202611/20261122.shtml" title="商务部召开例行新闻发布会">商务部召开例行新闻发布会</a><span>2026年11月22日</span></li>
</ul></body></html>"#;

const MIIT: &str = r#"<html><head><meta charset="utf-8"><title>工业和信息化部</title></head><body>
<div class="page-content"><ul>
<li><a href="./art/1.html">关于印发《芯片产业高质量发展行动方案》的通知</a><span class="fr">2026-11-20</span></li>
<li><a href="./art/2.html">工业和信息化部办公厅关于开展光伏制造行业规范条件申报的通知</a><span class="fr">2026-11-18</span></li>
</ul></div></body></html>"#;

fn sources(srv: &Server) -> String {
    format!(
        r#"
[[source]]
name = "mofcom"
kind = "html"
url = "{}"
timezone = "Asia/Shanghai"
item = ".txtList_01 li"
title = "a@title"
date = "span"
date_format = "%Y年%m月%d日"

[[source]]
name = "miit"
kind = "html"
url = "{}"
timezone = "Asia/Shanghai"
item = ".page-content li"
title = "a"
date = "span.fr"

[[source]]
name = "redesigned"
kind = "html"
url = "{}"
item = ".old-list li"
title = "a"
"#,
        srv.url("/article/xwfb/"),
        srv.url("/zwgk/zcwj/index.html"),
        srv.url("/zwgk/zcwj/index.html")
    ) + WATCHES
        + "\n[watch.photovoltaics]\nterms = [\"光伏\"]\n"
}

fn server() -> Server {
    let srv = Server::start();
    let (gbk, _, _) = encoding_rs::GBK.encode(MOFCOM);
    srv.route("/article/xwfb/", Reply::ok("text/html", gbk.into_owned()));
    srv.route(
        "/zwgk/zcwj/index.html",
        Reply::ok("text/html; charset=utf-8", MIIT),
    );
    srv
}

#[test]
fn html_list_pages_are_polled_into_items_and_hits() {
    let srv = server();
    let env = Env::new(&sources(&srv));
    let summary = env.json(&["poll", "--format", "json"]);
    assert_eq!(summary["fetched"], 2, "{summary}");
    assert_eq!(summary["failed"], 1, "{summary}");
    assert_eq!(summary["new_items"], 4, "{summary}");

    let hits = env.json(&["hits", "--source", "mofcom", "--format", "json"]);
    let hit = hits
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["watch"] == "export-controls")
        .expect("a hit");
    assert_eq!(
        hit["title"],
        "商务部公告2026年第61号 关于对部分稀土相关物项实施出口管制的决定"
    );
    assert_eq!(hit["link"], srv.url("/article/xwfb/202611/20261123.shtml"));
    assert_eq!(hit["published"], "2026-11-22T16:00:00Z", "Beijing midnight");
    let miit = env.json(&["hits", "--source", "miit", "--format", "json"]);
    let watches: Vec<&str> = miit
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["watch"].as_str().unwrap())
        .collect();
    assert!(
        watches.contains(&"semiconductors") && watches.contains(&"photovoltaics"),
        "{watches:?}"
    );
    assert_eq!(
        miit[0]["link"].as_str().unwrap(),
        srv.url("/zwgk/zcwj/art/1.html")
    );

    // A page redesign is an error for that source, never a quiet day.
    let rows = env.json(&["sources", "--format", "json"]);
    let r: Value = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "redesigned")
        .cloned()
        .unwrap();
    assert_eq!(r["status"], "error");
    assert!(
        r["last_error"]
            .as_str()
            .unwrap()
            .contains("item selector \".old-list li\" matched nothing"),
        "{r}"
    );

    // Polling again adds nothing: list-page items keep their identity by link.
    assert_eq!(env.json(&["poll", "--format", "json"])["new_items"], 0);
}

#[test]
fn sources_test_prints_what_would_be_stored_and_names_empty_selectors() {
    let srv = server();
    let env = Env::new(&sources(&srv));
    let out = env.ok(&["sources", "test", "mofcom"]);
    assert!(out.contains("mofcom") && out.contains("2 items"), "{out}");
    assert!(out.contains("2026-11-22 16:00  商务部公告2026年第61号"), "{out}");
    assert!(out.contains("hit: export-controls / 出口管制"), "{out}");
    let bad = env.run(&["sources", "test", "redesigned"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stdout).contains("matched nothing"));
    assert!(!env.db().exists(), "sources test stores nothing");
    let by_url = env.run(&["sources", "test", &srv.url("/zwgk/zcwj/index.html")]);
    assert!(!by_url.status.success());
    let text = String::from_utf8_lossy(&by_url.stdout);
    assert!(
        text.contains("FAILED [not-a-feed]"),
        "a URL is read as a feed: {text}"
    );
}

#[test]
fn bad_selectors_and_time_zones_are_config_errors() {
    let env = Env::new(
        "[[source]]\nname = \"x\"\nkind = \"html\"\nurl = \"http://127.0.0.1:9/\"\nitem = \"li[\"\ntitle = \"a\"\n",
    );
    let out = env.run(&["check"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("source.item"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env =
        Env::new("[[source]]\nname = \"x\"\nurl = \"http://127.0.0.1:9/\"\ntimezone = \"Mars/Olympus\"\n");
    let err = String::from_utf8_lossy(&env.run(&["check"]).stderr).to_string();
    assert!(err.contains(":4:") && err.contains("timezone"), "{err}");
}

#[test]
fn a_json_api_is_polled_into_items_with_ids() {
    let srv = Server::start();
    let body = r#"{"count":2,"results":[
      {"title":"Additions to the Entity List","document_number":"2026-21001","html_url":"/d/2026-21001","publication_date":"2026-11-24","abstract":"Export controls on 12 entities."},
      {"title":"Rare earth magnet tariff notice","document_number":"2026-21002","html_url":"/d/2026-21002","publication_date":"2026-11-23"}]}"#;
    srv.route("/api/v1/documents.json", Reply::ok("application/json", body));
    let cfg = format!(
        "[[source]]\nname = \"fedreg\"\nkind = \"json\"\nurl = \"{}\"\nitems = \"results\"\ntitle = \"title\"\nlink = \"html_url\"\nid = \"document_number\"\ndate = \"publication_date\"\nsummary = \"abstract\"\n{WATCHES}",
        srv.url("/api/v1/documents.json")
    );
    let env = Env::new(&cfg);
    let summary = env.json(&["poll", "--format", "json"]);
    assert_eq!(summary["new_items"], 2, "{summary}");
    let hits = env.json(&["hits", "--format", "json"]);
    let titles: Vec<&str> = hits
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["title"].as_str().unwrap())
        .collect();
    assert!(titles.contains(&"Rare earth magnet tariff notice"), "{titles:?}");
    let ec = hits
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["watch"] == "export-controls")
        .unwrap();
    assert_eq!(ec["link"], srv.url("/d/2026-21001"));
    assert_eq!(ec["published"], "2026-11-24T00:00:00Z");
    assert_eq!(
        env.json(&["poll", "--format", "json"])["new_items"],
        0,
        "ids keep items from doubling"
    );
}

#[test]
fn rsshub_routes_are_fetched_from_the_configured_instance() {
    let srv = Server::start();
    srv.route(
        "/gov/mofcom/article/xwfb",
        Reply::ok(
            "application/rss+xml",
            crate::rss(&[("r1", "商务部：稀土出口管制", "x")]),
        ),
    );
    let cfg = format!(
        "[rsshub]\nbase = \"{}\"\n[[source]]\nname = \"mofcom\"\nrsshub = \"/gov/mofcom/article/xwfb\"\n{WATCHES}",
        srv.base
    );
    let env = Env::new(&cfg);
    assert_eq!(env.json(&["poll", "--format", "json"])["new_items"], 1);
    assert_eq!(srv.seen("/gov/mofcom/article/xwfb").len(), 1);
}

/// A list page whose entries say little; the notices' pages carry the signal.
fn follow_server() -> Server {
    let srv = Server::start();
    srv.route("/list.html", list_page(3));
    let page = |body: &str| {
        format!(
            "<html><head><meta charset=gbk><title>商务部</title></head><body><div id=nav>稀土 在导航里</div>\
             <div id=zoom><p>{body}</p></div></body></html>"
        )
    };
    let gbk = |s: String| encoding_rs::GBK.encode(&s).0.into_owned();
    srv.route(
        "/art/1.html",
        Reply::ok("text/html", gbk(page("决定对镓、锗相关物项实施出口管制。"))),
    );
    srv.route("/art/2.html", Reply::status(404));
    srv.route(
        "/art/3.html",
        Reply::ok("text/html", gbk(page("关于芯片产业的通知。"))),
    );
    srv.route(
        "/art/4.html",
        Reply::ok("text/html", gbk(page("芯片出口管制的补充说明。"))),
    );
    srv
}

fn follow_config(srv: &Server, limit: usize) -> String {
    format!(
        "[[source]]\nname = \"mofcom\"\nkind = \"html\"\nurl = \"{}\"\nitem = \"ul.list li\"\ntitle = \"a\"\n\
         follow = true\nfollow_limit = {limit}\ncontent = \"#zoom\"\nallow_local = true\n{WATCHES}",
        srv.url("/list.html")
    )
}

fn watches_of(env: &Env) -> Vec<(String, String)> {
    let hits = env.json(&["hits", "--format", "json"]);
    let mut v: Vec<(String, String)> = hits
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["title"].as_str().unwrap().to_string(),
                h["watch"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn follow_fetches_new_item_pages_within_the_limit() {
    let srv = follow_server();
    let env = Env::new(&follow_config(&srv, 2));
    let summary = env.json(&["poll", "--format", "json"]);
    assert_eq!(summary["new_items"], 3, "{summary}");
    // Item 1's page (GBK, the article in #zoom) matches; the navigation's 稀土 does not count.
    // Item 2's page is a 404: the item is kept with its list entry. Item 3 is over the limit.
    assert_eq!(
        watches_of(&env),
        vec![("商务部公告2026年第1号".to_string(), "export-controls".to_string())]
    );
    assert_eq!(srv.seen("/art/1.html").len(), 1);
    assert_eq!(srv.seen("/art/2.html").len(), 1);
    assert_eq!(srv.seen("/art/3.html").len(), 0, "over the per-poll limit");

    // The next poll follows only the item that is new, and never refetches known ones.
    srv.route("/list.html", list_page(4));
    let summary = env.json(&["poll", "--format", "json"]);
    assert_eq!(summary["new_items"], 1, "{summary}");
    assert_eq!(srv.seen("/art/1.html").len(), 1);
    assert_eq!(srv.seen("/art/4.html").len(), 1);
    let w = watches_of(&env);
    assert!(
        w.contains(&("商务部公告2026年第4号".into(), "semiconductors".into())),
        "{w:?}"
    );
    assert!(
        w.contains(&("商务部公告2026年第4号".into(), "export-controls".into())),
        "{w:?}"
    );
}

fn list_page(n: usize) -> Reply {
    let mut s = String::from("<html><head><meta charset=utf-8></head><body><ul class=list>");
    for i in 1..=n {
        s += &format!("<li><a href=\"/art/{i}.html\">商务部公告2026年第{i}号</a></li>");
    }
    Reply::ok("text/html", s + "</ul></body></html>")
}

#[test]
fn sources_test_follows_item_pages_and_names_an_empty_content_selector() {
    let srv = follow_server();
    let env = Env::new(&follow_config(&srv, 5).replace("#zoom", ".article"));
    let out = env.ok(&["sources", "test", "mofcom"]);
    assert!(
        out.contains("content selector \".article\" matched nothing"),
        "{out}"
    );
    let env = Env::new(&follow_config(&srv, 5));
    let out = env.ok(&["sources", "test", "mofcom"]);
    assert!(out.contains("hit: export-controls / 出口管制 (summary)"), "{out}");
    assert!(
        out.contains("could not follow") && out.contains("http-404"),
        "{out}"
    );
    assert!(!env.db().exists(), "sources test stores nothing");
}

#[test]
fn opml_import_adds_polled_sources_and_export_lists_them() {
    let srv = Server::start();
    srv.route(
        "/cgtn.xml",
        Reply::ok(
            "application/rss+xml",
            crate::rss(&[("c1", "China tightens rare earth export controls", "x")]),
        ),
    );
    srv.route(
        "/xinhua.xml",
        Reply::ok("application/rss+xml", crate::rss(&[("x1", "芯片产业政策", "y")])),
    );
    let opml = format!(
        r#"<?xml version="1.0"?><opml version="2.0"><head><title>Reader</title></head><body>
<outline text="State media"><outline text="CGTN China" type="rss" xmlUrl="{}"/>
<outline text="新华 时政" type="rss" xmlUrl="{}" language="zh"/></outline>
<outline text="Dup" type="rss" xmlUrl="{}"/></body></opml>"#,
        srv.url("/cgtn.xml"),
        srv.url("/xinhua.xml"),
        srv.url("/cgtn.xml")
    );
    let env = Env::new(&format!("# my config\n{WATCHES}"));
    let file = env.dir.path().join("reader.opml");
    std::fs::write(&file, opml).unwrap();
    let file = file.to_str().unwrap();

    // The feeds are on loopback here, as RSSHub beside sigwatch would be.
    let dry = env.ok(&["sources", "import", "--allow-local", "--dry-run", file]);
    assert!(dry.contains("name = \"cgtn-china\""), "{dry}");
    assert!(
        !std::fs::read_to_string(env.config()).unwrap().contains("cgtn"),
        "dry run writes nothing"
    );

    let out = env.ok(&["sources", "import", "--allow-local", file]);
    assert!(out.contains("cgtn-china") && out.contains("新华-时政"), "{out}");
    let text = std::fs::read_to_string(env.config()).unwrap();
    assert!(
        text.starts_with("# my config\n"),
        "the file's own text is kept: {text}"
    );
    assert!(text.contains("tags = [\"state-media\"]"), "{text}");
    let summary = env.json(&["poll", "--format", "json"]);
    assert_eq!(summary["new_items"], 2, "{summary}");
    assert_eq!(
        env.json(&["hits", "--format", "json"]).as_array().unwrap().len(),
        3
    );

    // A second import of the same file adds nothing.
    env.ok(&["sources", "import", "--allow-local", file]);
    assert_eq!(std::fs::read_to_string(env.config()).unwrap(), text);

    let exported = env.ok(&["sources", "export"]);
    assert!(exported.contains("<opml version=\"2.0\">"), "{exported}");
    assert!(
        exported.contains(&format!("xmlUrl=\"{}\"", srv.url("/xinhua.xml"))),
        "{exported}"
    );

    // Something that is not OPML is an error naming the file, and the config is untouched.
    std::fs::write(env.dir.path().join("bad.opml"), "<html>not opml</html>").unwrap();
    let bad = env.run(&[
        "sources",
        "import",
        env.dir.path().join("bad.opml").to_str().unwrap(),
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("bad.opml"));
    assert_eq!(std::fs::read_to_string(env.config()).unwrap(), text);
}
