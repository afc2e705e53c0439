//! `sigwatch rematch`: a changed watchlist re-run over stored items.

use crate::server::{Reply, Server};
use crate::{Env, WATCHES, rss};

#[test]
fn rematch_adds_new_hits_once_and_dry_run_changes_nothing() {
    let srv = Server::start();
    srv.route(
        "/feed.xml",
        Reply::ok(
            "application/rss+xml",
            rss(&[
                ("r1", "Solar panel tariffs rise", "光伏"),
                ("r2", "New chip plant opens", "x"),
            ]),
        ),
    );
    let base = format!("[[source]]\nname = \"f\"\nurl = \"{}\"\n", srv.url("/feed.xml"));
    let env = Env::new(&format!("{base}{WATCHES}"));
    let first = env.json(&["poll", "--format", "json"]);
    assert_eq!(first["new_hits"], 1, "{first}");

    // A new watch for photovoltaics, and "chip" dropped from semiconductors.
    let changed =
        WATCHES.replace("\"chip\", ", "") + "\n[watch.photovoltaics]\nterms = [\"solar panel\", \"光伏\"]\n";
    std::fs::write(env.config(), format!("{base}{changed}")).unwrap();

    let dry = env.json(&["rematch", "--dry-run", "--format", "json"]);
    assert_eq!(dry["items"], 2, "{dry}");
    // r1 is in photovoltaics by two terms (Solar panel, 光伏): one hit, an item in a watch.
    assert_eq!(dry["watches"]["photovoltaics"]["added"], 1, "{dry}");
    assert_eq!(dry["watches"]["semiconductors"]["unmatched"], 1, "{dry}");
    assert_eq!(env.count("hits"), 1, "a dry run changes nothing");
    // It says which items would change, and by which terms.
    let pv = &dry["watches"]["photovoltaics"]["added_items"];
    assert_eq!(pv.as_array().unwrap().len(), 1, "one item, two hits: {dry}");
    assert_eq!(pv[0]["title"], "Solar panel tariffs rise", "{dry}");
    assert_eq!(
        pv[0]["terms"],
        serde_json::json!(["solar panel", "光伏"]),
        "{dry}"
    );
    let gone = &dry["watches"]["semiconductors"]["unmatched_items"];
    assert_eq!(gone[0]["title"], "New chip plant opens", "{dry}");
    assert_eq!(gone[0]["terms"], serde_json::json!(["chip"]), "{dry}");
    let text = String::from_utf8(env.run(&["rematch", "--dry-run"]).stdout).unwrap();
    assert!(
        text.contains("photovoltaics: 1 hit; items that would gain hits:")
            && text.contains("Solar panel tariffs rise  (solar panel, 光伏)")
            && text.contains("semiconductors: 1 hit; items that no longer match:")
            && text.contains("- [")
            && text.contains("New chip plant opens  (chip)"),
        "{text}"
    );
    assert_eq!(env.count("hits"), 1, "a dry run changes nothing");

    let real = env.json(&["rematch", "--format", "json"]);
    assert_eq!(real["watches"]["photovoltaics"]["added"], 1, "{real}");
    assert_eq!(env.count("hits"), 2);
    let pv = env.json(&["hits", "--watch", "photovoltaics", "--format", "json"]);
    assert_eq!(pv.as_array().unwrap().len(), 1);
    assert_eq!(pv[0]["terms"].as_array().unwrap().len(), 2, "{pv}");
    // The item had no hit before, so it was not indexed for search: now it is.
    let found = env.json(&["hits", "--search", "tariffs", "--format", "json"]);
    let found = found.as_array().unwrap();
    assert!(!found.is_empty(), "rematched items are searchable");
    assert!(
        found.iter().all(|h| h["title"] == "Solar panel tariffs rise"),
        "{found:?}"
    );

    let again = env.json(&["rematch", "--format", "json"]);
    assert_eq!(
        again["watches"]["photovoltaics"]["added"].as_u64().unwrap_or(0),
        0,
        "{again}"
    );
    assert_eq!(env.count("hits"), 2, "no duplicates");
}
