//! `show`, `stats`, `trends`, `hits --search` and `db` through the real binary, on a database
//! seeded through the library.

use chrono::{Duration, Utc};
use sigwatch::item::Item;
use sigwatch::store::{FetchRecord, NewHit, NewItem, Store};
use sigwatch::watch::{Field, Hit};

use crate::Env;

const CONFIG: &str = "[[source]]\nname = \"mofcom\"\nurl = \"http://127.0.0.1:9/a.xml\"\nlang = \"zh\"\ntags = [\"ministry\", \"cn\"]\n\
[[source]]\nname = \"cgtn\"\nurl = \"http://127.0.0.1:9/b.xml\"\nlang = \"en\"\ntags = [\"state-media\", \"cn\"]\n\
[watch.rare-earths]\nterms = [\"rare earth\", \"稀土\"]\n[watch.ai]\nterms = [\"artificial intelligence\"]\n";

fn item(guid: &str, title: &str, days_ago: i64, watch: &str, term: &str) -> NewItem {
    let at = title.find(term).unwrap_or(0);
    NewItem::new(
        Item {
            guid: Some(guid.into()),
            link: Some(format!("https://example.test/{guid}")),
            title: title.into(),
            summary: format!("<p>{title}</p>"),
            published: Some(Utc::now() - Duration::days(days_ago) - Duration::minutes(1)),
            authors: vec![],
        },
        title.into(),
        vec![NewHit {
            hit: Hit {
                watch: watch.into(),
                term: term.into(),
                field: Field::Title,
                start: title[..at].chars().count(),
                end: title[..at].chars().count() + term.chars().count(),
                snippet: title.into(),
                snippet_match: (at, at + term.len()),
            },
            watch_version: "v1".into(),
            score: 1.0,
        }],
    )
}

/// Seeds: ai has one hit a day for 20 days (flat); rare-earths one every other day, then 8
/// today (a spike).
fn seeded() -> Env {
    let env = Env::new(CONFIG);
    let mut store = Store::open(&env.db()).unwrap();
    store
        .sync_sources([
            ("mofcom", "http://127.0.0.1:9/a.xml"),
            ("cgtn", "http://127.0.0.1:9/b.xml"),
        ])
        .unwrap();
    let rec = FetchRecord::Fetched {
        etag: None,
        last_modified: None,
    };
    let mut ai = Vec::new();
    let mut re = Vec::new();
    for d in 0..20 {
        ai.push(item(
            &format!("ai{d}"),
            "New artificial intelligence rules",
            d,
            "ai",
            "artificial intelligence",
        ));
        if d % 2 == 1 {
            re.push(item(
                &format!("re{d}"),
                "稀土 output steady",
                d,
                "rare-earths",
                "稀土",
            ));
        }
    }
    for n in 0..8 {
        re.push(item(
            &format!("spike{n}"),
            "商务部公告：对中重稀土相关物项实施出口管制",
            0,
            "rare-earths",
            "稀土",
        ));
    }
    ai.push(item(
        "ex1",
        "China widens export controls on gallium",
        2,
        "ai",
        "export",
    ));
    store.save("cgtn", &rec, &ai, Utc::now()).unwrap();
    store.save("mofcom", &rec, &re, Utc::now()).unwrap();
    env
}

#[test]
fn search_finds_chinese_substrings_and_english_words() {
    let env = seeded();
    let zh = env.json(&[
        "hits",
        "--search",
        "中重稀土",
        "--format",
        "json",
        "--limit",
        "100",
    ]);
    assert_eq!(zh.as_array().unwrap().len(), 8);
    let short = env.json(&["hits", "--search", "稀土", "--format", "json", "--limit", "100"]);
    assert_eq!(short.as_array().unwrap().len(), 18);
    let en = env.json(&[
        "hits",
        "--search",
        "intelligence",
        "--format",
        "json",
        "--limit",
        "100",
    ]);
    assert_eq!(en.as_array().unwrap().len(), 20);
    let export = env.json(&["hits", "--search", "export", "--format", "json"]);
    assert_eq!(export.as_array().unwrap().len(), 1);
    assert_eq!(export[0]["title"], "China widens export controls on gallium");
    let none = env.json(&["hits", "--search", "\"unbalanced OR", "--format", "json"]);
    assert!(none.as_array().unwrap().is_empty());
}

#[test]
fn hits_filters_by_tag_lang_and_until_and_prints_jsonl() {
    let env = seeded();
    let lines = env.ok(&["hits", "--tag", "ministry", "--format", "jsonl", "--limit", "100"]);
    let parsed: Vec<serde_json::Value> = lines.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(parsed.len(), 18);
    assert!(parsed.iter().all(|h| h["source"] == "mofcom"));
    let en = env.json(&["hits", "--lang", "en", "--format", "json", "--limit", "100"]);
    assert!(en.as_array().unwrap().iter().all(|h| h["source"] == "cgtn"));
    let old = env.json(&["hits", "--until", "10d", "--format", "json", "--limit", "100"]);
    assert_eq!(old.as_array().unwrap().len(), 10 + 5);
    let bad = env.run(&["hits", "--tag", "nosuchtag"]);
    assert!(!bad.status.success());
}

#[test]
fn show_prints_one_item_with_its_hits() {
    let env = seeded();
    let hits = env.json(&["hits", "--search", "中重稀土", "--format", "json", "--limit", "1"]);
    let id = hits[0]["item"].as_i64().unwrap().to_string();
    let out = env.ok(&["show", &id]);
    assert!(
        out.contains("商务部公告") && out.contains("source:     mofcom"),
        "{out}"
    );
    assert!(out.contains("rare-earths") && out.contains("[稀土]"), "{out}");
    let json = env.json(&["show", &id, "--format", "json"]);
    assert_eq!(json["item"]["source"], "mofcom");
    assert_eq!(json["hits"].as_array().unwrap().len(), 1);
    assert!(!env.run(&["show", "999999"]).status.success());
}

#[test]
fn stats_count_by_watch_source_and_day() {
    let env = seeded();
    let by_watch = env.json(&["stats", "--format", "json"]);
    let get = |v: &serde_json::Value, k: &str| {
        v.as_array().unwrap().iter().find(|r| r["key"] == k).unwrap()["hits"].clone()
    };
    assert_eq!(get(&by_watch, "ai"), 21);
    assert_eq!(get(&by_watch, "rare-earths"), 18);
    let by_source = env.json(&["stats", "--by", "source", "--format", "json"]);
    assert_eq!(get(&by_source, "mofcom"), 18);
    let by_day = env.json(&["stats", "--by", "day", "--since", "3d", "--format", "json"]);
    let today = Utc::now().date_naive().to_string();
    assert_eq!(get(&by_day, &today), 9);
    let csv_out = env.ok(&["stats", "--format", "csv"]);
    assert!(csv_out.starts_with("key,hits"), "{csv_out}");
}

#[test]
fn trends_flags_the_seeded_spike_and_not_the_flat_series() {
    let env = seeded();
    let t = env.json(&["trends", "--format", "json"]);
    let get = |w: &str| {
        t.as_array()
            .unwrap()
            .iter()
            .find(|r| r["watch"] == w)
            .unwrap()
            .clone()
    };
    assert_eq!(get("rare-earths")["spike"], true);
    assert_eq!(get("ai")["spike"], false);
    let table = env.ok(&["trends"]);
    assert!(table.contains("SPIKE rare-earths: 8 items today"), "{table}");
    assert!(table.contains("spike: today's items"), "{table}");
}

#[test]
fn db_backup_check_and_prune() {
    let env = seeded();
    let copy = env.dir.path().join("copy.db");
    env.ok(&["db", "backup", copy.to_str().unwrap()]);
    let c = rusqlite::Connection::open(&copy).unwrap();
    let n: i64 = c
        .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 39);
    assert!(
        !env.run(&["db", "backup", copy.to_str().unwrap()])
            .status
            .success(),
        "never overwrites"
    );
    assert!(env.ok(&["db", "check"]).contains(": ok"));
    // Items with hits are kept unless asked.
    assert!(
        env.ok(&["db", "prune", "--older-than", "5d"])
            .contains("deleted 0 items")
    );
    let out = env.ok(&["db", "prune", "--older-than", "5d", "--with-hits"]);
    assert!(out.contains("deleted 23 items and 23 hits"), "{out}");
    assert_eq!(env.count("items"), 16);
}

#[test]
fn completions_and_man_page() {
    let env = seeded();
    assert!(env.ok(&["completions", "bash"]).contains("sigwatch"));
    assert!(env.ok(&["completions", "zsh"]).contains("#compdef sigwatch"));
    assert!(env.ok(&["man"]).contains(".TH sigwatch 1"));
}
