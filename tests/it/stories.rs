//! Stories without document numbers: a Chinese and an English report of one event join by
//! the entities and actions they name (镝 and dysprosium are one concept of the shipped
//! config), and a report naming the same entity in another event (a ban lifted, not imposed)
//! stays apart. Through the real binary against a local farm, with the shipped watches.

use serde_json::Value;

use crate::Env;
use crate::server::{Reply, Server};

/// The watches and concepts of the shipped config (everything from its concepts on).
fn shipped_watches() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/sigwatch.toml");
    let text = std::fs::read_to_string(path).expect("config/sigwatch.toml");
    let at = text
        .find("# ---- Concepts")
        .expect("the shipped config's concepts");
    text[at..].to_string()
}

/// An item of a feed: guid, title, text.
type Feed<'a> = (&'a str, &'a str, &'a str);

/// Two sources without numbers in their items: Chinese state media (dysprosium controls,
/// antimony controls) and an English wire (dysprosium controls, an antimony ban lifted).
fn farm(srv: &Server) -> String {
    let feeds: [(&str, Vec<Feed>); 2] = [
        (
            "xinhua-zh",
            vec![
                (
                    "zh-dy",
                    "商务部：对镝、铽等中重稀土相关物项实施出口管制",
                    "商务部、海关总署发布公告，决定对钐、钆、铽、镝、镥、钪、钇等中重稀土相关物项实施出口管制，出口经营者应当依法申请出口许可。",
                ),
                (
                    "zh-sb",
                    "中方宣布对锑相关物项实施出口管制",
                    "商务部、海关总署发布公告，对锑矿及原料、金属锑及制品等锑相关物项实施出口管制，未经许可不得出口。",
                ),
            ],
        ),
        (
            "wire-en",
            vec![
                (
                    "en-dy",
                    "China puts dysprosium and terbium under export controls",
                    "China will restrict exports of medium and heavy rare earths including dysprosium and terbium, requiring exporters to apply for licences, the commerce ministry said.",
                ),
                (
                    "en-sb",
                    "China lifts ban on antimony exports to the United States",
                    "China suspended its ban on exports of antimony to the United States for a year, the commerce ministry said, after trade talks.",
                ),
            ],
        ),
    ];
    let mut cfg = String::new();
    for (name, items) in feeds {
        srv.route(
            &format!("/{name}.xml"),
            Reply::ok("application/rss+xml", crate::rss(&items)),
        );
        cfg += &format!(
            "[[source]]\nname = \"{name}\"\nrole = \"media\"\nurl = \"{}\"\n",
            srv.url(&format!("/{name}.xml"))
        );
    }
    cfg
}

/// The guids (the end of their links) of a story's members.
fn guids(story: &Value) -> Vec<String> {
    let mut v: Vec<String> = story["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            m["link"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    v.sort();
    v
}

#[test]
fn reports_in_two_languages_join_by_entity_and_a_lifted_ban_stays_apart() {
    let srv = Server::start();
    let env = Env::new(&format!("{}{}", farm(&srv), shipped_watches()));
    // One process per source: the second finds the first's items through what was stored
    // (entities and watches read back), not what it holds in memory.
    env.ok(&["poll", "xinhua-zh"]);
    env.ok(&["poll", "wire-en"]);
    let stories = env.json(&["hits", "--stories", "--format", "json"]);
    let stories = stories.as_array().unwrap();
    let mut all: Vec<Vec<String>> = stories.iter().map(guids).collect();
    all.sort();
    assert_eq!(
        all,
        vec![
            vec!["en-dy".to_string(), "zh-dy".to_string()],
            vec!["en-sb".to_string()],
            vec!["zh-sb".to_string()],
        ],
        "{stories:#?}"
    );
    let dy = stories.iter().find(|s| guids(s).len() == 2).unwrap();
    assert!(dy["doc_numbers"].as_array().unwrap().is_empty(), "{dy}");
    assert!(
        dy["watches"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == "rare-earths"),
        "{dy}"
    );
}

/// Items stored without their entities (by an older sigwatch) have them read by `rematch`.
#[test]
fn rematch_reads_the_entities_of_items_stored_without_them() {
    let srv = Server::start();
    let env = Env::new(&format!("{}{}", farm(&srv), shipped_watches()));
    env.ok(&["poll"]);
    let entities = || -> Vec<(String, Option<String>)> {
        let conn = rusqlite::Connection::open(env.db()).expect("open db");
        let mut stmt = conn
            .prepare("SELECT guid, entities FROM items ORDER BY guid")
            .unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        rows.collect::<rusqlite::Result<_>>().unwrap()
    };
    let stored = entities();
    let zh_dy = &stored.iter().find(|(g, _)| g == "zh-dy").unwrap().1;
    let zh_dy = zh_dy.as_deref().expect("entities stored with the item");
    assert!(
        zh_dy.contains("\"dysprosium\"") && zh_dy.contains("\"imposing\""),
        "{zh_dy}"
    );
    let en_sb = stored
        .iter()
        .find(|(g, _)| g == "en-sb")
        .unwrap()
        .1
        .clone()
        .unwrap();
    assert!(
        en_sb.contains("\"antimony\"") && en_sb.contains("\"easing\""),
        "{en_sb}"
    );
    assert!(
        !en_sb.contains("\"imposing\""),
        "a lifted ban imposes nothing: {en_sb}"
    );
    {
        let conn = rusqlite::Connection::open(env.db()).expect("open db");
        conn.execute("UPDATE items SET entities = NULL", []).unwrap();
    }
    env.ok(&["rematch"]);
    assert_eq!(entities(), stored);
}
