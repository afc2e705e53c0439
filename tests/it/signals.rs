//! Signals beyond keywords: edits and withdrawals noticed between polls, syndicated copies
//! folded into stories, and hits ordered by priority; all through the real binary against a
//! local server, plus the folding threshold scored on the labelled pairs the tests ship.

use serde_json::Value;

use crate::server::{Reply, Server};
use crate::{Env, WATCHES};

/// One labelled pair of items: the same story from two sources, or two different stories.
#[derive(serde::Deserialize)]
struct Pair {
    id: String,
    /// same-language copies (the default), cross-language reports of a notice (citing its
    /// number), cross-language-entities (reports in two languages of one event that cite no
    /// number, and pairs naming the same strategic entity in different events), or
    /// distinct-notice: near-identical notices with different numbers.
    #[serde(default = "same_language")]
    kind: String,
    same: bool,
    /// How many days apart the two were published, when the texts tell and it matters: the
    /// entity rule looks back `entity_window` only.
    #[serde(default)]
    days_apart: u32,
    a: Side,
    b: Side,
}

#[derive(serde::Deserialize)]
struct Side {
    title: String,
    text: String,
}

fn same_language() -> String {
    "same-language".into()
}

fn pairs() -> Vec<Pair> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/story-pairs.jsonl");
    std::fs::read_to_string(path)
        .expect("tests/data/story-pairs.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a pair"))
        .collect()
}

/// Precision and recall of "same story" at `threshold` over scored pairs.
fn precision_recall(scored: &[(bool, f64)], threshold: f64) -> (f64, f64) {
    let tp = scored.iter().filter(|(same, s)| *same && *s >= threshold).count() as f64;
    let fp = scored
        .iter()
        .filter(|(same, s)| !*same && *s >= threshold)
        .count() as f64;
    let fnn = scored.iter().filter(|(same, s)| *same && *s < threshold).count() as f64;
    let p = if tp + fp == 0.0 { 1.0 } else { tp / (tp + fp) };
    let r = if tp + fnn == 0.0 { 1.0 } else { tp / (tp + fnn) };
    (p, r)
}

/// The shipped config's watches, entity and action concepts included.
fn shipped_matcher() -> sigwatch::watch::Matcher {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/sigwatch.toml");
    let cfg = sigwatch::config::Config::load(&path).expect("the shipped config");
    sigwatch::watch::Matcher::new(&cfg.watch).expect("its watches")
}

/// How the store's third stage scores a pair without numbers: 0 unless the two share a
/// watch and an entity, else how alike their entities and actions are.
fn entity_score(m: &sigwatch::watch::Matcher, a: &Side, b: &Side) -> f64 {
    let watches = |s: &Side| -> std::collections::BTreeSet<String> {
        m.find(&s.title, &s.text).into_iter().map(|h| h.watch).collect()
    };
    let (ea, eb) = (m.entities(&a.title, &a.text), m.entities(&b.title, &b.text));
    if watches(a).is_disjoint(&watches(b)) || !ea.share_entity(&eb) {
        return 0.0;
    }
    sigwatch::watch::entity_similarity(&ea, &eb)
}

/// The store's rule on a pair: document numbers first (one shared: the same event; only
/// different ones: different events), similarity of the text at the threshold second, and
/// for items without numbers the entities and actions they name (at their own threshold).
#[test]
fn folding_by_numbers_then_similarity_is_right_on_every_kind_of_pair() {
    use sigwatch::config::{DEFAULT_ENTITY_THRESHOLD, DEFAULT_FOLD_THRESHOLD};
    use sigwatch::notice::{Identity, doc_numbers, identity};
    use sigwatch::signals::{signature, similarity};
    let m = shipped_matcher();
    let mut by_kind: std::collections::BTreeMap<String, Vec<(bool, f64)>> = Default::default();
    // Pairs without numbers that the text does not join: their entity scores.
    let mut by_entities = Vec::new();
    for p in pairs() {
        let text = |s: &Side| sigwatch::text::plain_text(&s.text);
        let docs = |s: &Side| doc_numbers(&format!("{}\n{}", s.title, text(s)));
        let a = signature(&p.a.title, &text(&p.a)).expect("words");
        let b = signature(&p.b.title, &text(&p.b)).expect("words");
        let sim = similarity(&a, &b);
        let id = identity(&docs(&p.a), &docs(&p.b));
        let (da, db) = (docs(&p.a), docs(&p.b));
        let window = sigwatch::config::SignalsConfig::default().entity_window;
        let within = u64::from(p.days_apart) * 86_400 <= window.as_secs();
        let entities = if within && (da.is_empty() || db.is_empty()) {
            entity_score(&m, &p.a, &p.b)
        } else {
            0.0
        };
        // As a score against the threshold: 1 joins, 0 never does.
        let decided = match id {
            Identity::Same => 1.0,
            Identity::Different => 0.0,
            Identity::Unknown if sim >= DEFAULT_FOLD_THRESHOLD => 1.0,
            Identity::Unknown if entities >= DEFAULT_ENTITY_THRESHOLD => 1.0,
            Identity::Unknown => 0.0,
        };
        if id == Identity::Unknown && sim < DEFAULT_FOLD_THRESHOLD {
            by_entities.push((p.kind.clone(), p.same, entities));
        }
        println!(
            "{:>4} {:<23} {:<5} text {sim:.3} entities {entities:.3} {id:?}",
            p.id, p.kind, p.same
        );
        by_kind.entry(p.kind.clone()).or_default().push((p.same, decided));
    }
    println!("entity threshold  precision  recall   (pairs the text does not join, by kind)");
    for t in [0.3, 0.4, 0.5, 0.6, 0.67, 0.75, 0.8, 0.9, 1.0] {
        let line: Vec<String> = ["cross-language-entities", "same-language"]
            .iter()
            .map(|k| {
                let scored: Vec<(bool, f64)> = by_entities
                    .iter()
                    .filter(|(kind, ..)| kind == k)
                    .map(|(_, same, s)| (*same, *s))
                    .collect();
                let (p, r) = precision_recall(&scored, t);
                format!("{k} {p:.3} {r:.3}")
            })
            .collect();
        println!("{t:>16.2}  {}", line.join("   "));
    }
    println!("kind                     pairs  precision  recall");
    let mut all = Vec::new();
    for (kind, scored) in &by_kind {
        let (p, r) = precision_recall(scored, 0.5);
        println!("{kind:<24} {:>5}  {p:>9.3}  {r:>6.3}", scored.len());
        all.extend_from_slice(scored);
    }
    assert!(
        by_kind.len() >= 4,
        "every kind of pair is labelled: {:?}",
        by_kind.keys()
    );
    let traps = by_kind["cross-language-entities"]
        .iter()
        .filter(|(same, _)| !same)
        .count();
    assert!(traps >= 12, "same-entity traps labelled: {traps}");
    let (p, r) = precision_recall(&by_kind["cross-language-entities"], 0.5);
    assert!(
        p >= 0.95 && r >= 0.6,
        "reports of one event without a number in two languages: precision {p}, recall {r}"
    );
    let (p, r) = precision_recall(&by_kind["distinct-notice"], 0.5);
    assert!(
        p >= 0.99 && r >= 0.99,
        "distinct notices: precision {p}, recall {r}"
    );
    let (p, r) = precision_recall(&by_kind["cross-language"], 0.5);
    assert!(
        p >= 0.99 && r >= 0.99,
        "cross-language reports: precision {p}, recall {r}"
    );
    let (p, r) = precision_recall(&by_kind["same-language"], 0.5);
    assert!(p >= 0.99, "folding different events together: precision {p}");
    assert!(r >= 0.85, "copies left unfolded: recall {r}");
    let (p, _) = precision_recall(&all, 0.5);
    assert!(p >= 0.95, "joining different events: precision {p}");
}

#[test]
fn fold_threshold_separates_the_labelled_pairs() {
    use sigwatch::config::DEFAULT_FOLD_THRESHOLD;
    use sigwatch::signals::{signature, similarity};
    let mut scored = Vec::new();
    // Similarity alone, on the pairs that numbers do not decide.
    for p in pairs().into_iter().filter(|p| p.kind == "same-language") {
        let text = |s: &Side| sigwatch::text::plain_text(&s.text);
        let a = signature(&p.a.title, &text(&p.a)).expect("words");
        let b = signature(&p.b.title, &text(&p.b)).expect("words");
        let sim = similarity(&a, &b);
        println!("{:>4} {:<5} {sim:.3}", p.id, p.same);
        scored.push((p.same, sim));
    }
    println!("threshold  precision  recall");
    for t in [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7] {
        let (p, r) = precision_recall(&scored, t);
        println!("{t:>9.2}  {p:>9.3}  {r:>6.3}");
    }
    let (p, r) = precision_recall(&scored, DEFAULT_FOLD_THRESHOLD);
    println!(
        "default {DEFAULT_FOLD_THRESHOLD}: precision {p:.3}, recall {r:.3} on {} pairs",
        scored.len()
    );
    assert!(p >= 0.99, "folding different stories together: precision {p}");
    assert!(r >= 0.85, "copies left unfolded: recall {r}");
}

/// Mails a digest to the outbox (no [smtp]) and returns its text part.
fn digest_text(env: &Env) -> String {
    let before: Vec<_> = outbox_files(env);
    env.ok(&["digest"]);
    let after = outbox_files(env);
    let new: Vec<_> = after.iter().filter(|f| !before.contains(f)).collect();
    assert_eq!(new.len(), 1, "one new message in the outbox");
    let raw = std::fs::read(new[0]).unwrap();
    let mail = mailparse::parse_mail(&raw).unwrap();
    mail.subparts
        .iter()
        .find(|p| p.ctype.mimetype == "text/plain")
        .expect("a text part")
        .get_body()
        .unwrap()
        .replace("\r\n", "\n")
}

fn outbox_files(env: &Env) -> Vec<std::path::PathBuf> {
    let dir = env.dir.path().join("outbox");
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

const DIGEST: &str =
    "[digest]\nfrom = \"sigwatch <a@sigwatch.test>\"\nto = [\"analyst@example.com\"]\nmail_backlog = true\n";

fn hits(env: &Env, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["hits", "--format", "json"];
    args.extend_from_slice(extra);
    env.json(&args).as_array().unwrap().clone()
}

#[test]
fn an_edited_item_keeps_its_revisions_and_is_marked() {
    let srv = Server::start();
    let feed = |text: &str| {
        Reply::ok(
            "application/rss+xml",
            crate::rss(&[
                ("n1", "MOFCOM notice on rare earth items", text),
                ("n2", "Weekly briefing", "Nothing of note."),
            ]),
        )
    };
    srv.route(
        "/feed.xml",
        feed("Export of the listed items requires a licence. See https://mofcom.test/n1?id=1"),
    );
    let env = Env::new(&format!(
        "[[source]]\nname = \"mofcom\"\nurl = \"{}\"\n{DIGEST}{WATCHES}",
        srv.url("/feed.xml")
    ));
    env.ok(&["poll"]);
    let first = digest_text(&env);
    assert!(first.contains("MOFCOM notice on rare earth items"), "{first}");

    // Whitespace and a tracking parameter are not edits.
    srv.route(
        "/feed.xml",
        feed("Export of the  listed items\n requires a licence. See https://mofcom.test/n1?id=1&amp;utm_source=rss"),
    );
    let s = env.json(&["poll", "--format", "json"]);
    assert_eq!(s["edited"], 0, "{s}");

    // A real change of the text is an edit: the old revision is kept, the item is marked,
    // and the new term in it is a new hit.
    srv.route(
        "/feed.xml",
        feed(
            "Export of the listed items is suspended under export controls. See https://mofcom.test/n1?id=1",
        ),
    );
    let s = env.json(&["poll", "--format", "json"]);
    assert_eq!(s["edited"], 1, "{s}");
    assert_eq!(s["new_hits"], 1, "{s}");
    let h = hits(&env, &["--watch", "export-controls"]);
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["status"], "edited");
    let id = h[0]["item"].as_i64().unwrap().to_string();
    let shown = env.ok(&["show", &id]);
    assert!(shown.contains("status:     edited"), "{shown}");
    assert!(
        shown.contains("edited") && shown.contains("text changed"),
        "{shown}"
    );
    assert!(
        shown.contains("items [-requires a licence-]{+is suspended under export controls+}."),
        "{shown}"
    );
    let json = env.json(&["show", &id, "--format", "json"]);
    assert_eq!(json["revisions"].as_array().unwrap().len(), 1);
    assert!(
        json["revisions"][0]["text"]
            .as_str()
            .unwrap()
            .contains("requires a licence")
    );

    // The next digest carries the new hit, marked, and lists the edit of an item already mailed.
    let second = digest_text(&env);
    assert!(
        second.contains("[edited] MOFCOM notice on rare earth items"),
        "{second}"
    );
    assert!(second.contains("== Edited or withdrawn =="), "{second}");
    assert!(second.contains(&format!("sigwatch show {id}")), "{second}");
    assert_eq!(env.count("revisions"), 1);
}

fn list_page(items: &[u32]) -> Reply {
    let mut s = String::from("<html><head><meta charset=utf-8></head><body><ul class=list>");
    for i in items {
        s += &format!("<li><a href=\"/art/{i}.html\">关于稀土出口管制的第{i}号公告</a></li>");
    }
    Reply::ok("text/html", s + "</ul></body></html>")
}

#[test]
fn an_item_taken_off_its_list_is_withdrawn_and_one_pushed_out_is_not() {
    let srv = Server::start();
    srv.route("/list.html", list_page(&[5, 4, 3, 2, 1]));
    let env = Env::new(&format!(
        "[[source]]\nname = \"mofcom\"\nkind = \"html\"\nurl = \"{}\"\nitem = \"ul.list li\"\ntitle = \"a\"\n{DIGEST}{WATCHES}",
        srv.url("/list.html")
    ));
    env.ok(&["poll"]);
    digest_text(&env);
    // A new notice on top pushes the oldest off the end: that is not a withdrawal.
    srv.route("/list.html", list_page(&[6, 5, 4, 3, 2]));
    let s = env.json(&["poll", "--format", "json"]);
    assert_eq!(
        (s["new_items"].as_i64(), s["withdrawn"].as_i64()),
        (Some(1), Some(0)),
        "{s}"
    );
    // Notice 4 disappears while older ones stay: withdrawn.
    srv.route("/list.html", list_page(&[6, 5, 3, 2]));
    let s = env.json(&["poll", "--format", "json"]);
    assert_eq!(s["withdrawn"], 1, "{s}");
    let withdrawn: Vec<Value> = hits(&env, &[])
        .into_iter()
        .filter(|h| h["status"] == "withdrawn")
        .collect();
    assert!(!withdrawn.is_empty());
    assert!(
        withdrawn
            .iter()
            .all(|h| h["title"] == "关于稀土出口管制的第4号公告"),
        "{withdrawn:?}"
    );
    let text = digest_text(&env);
    assert!(text.contains("[withdrawn] 关于稀土出口管制的第4号公告"), "{text}");
    // Polling the same list again records nothing more; listing it again restores it.
    assert_eq!(env.json(&["poll", "--format", "json"])["withdrawn"], 0);
    srv.route("/list.html", list_page(&[6, 5, 4, 3, 2]));
    env.ok(&["poll"]);
    let id = withdrawn[0]["item"].as_i64().unwrap().to_string();
    let shown = env.ok(&["show", &id]);
    assert!(
        shown.contains("withdrawn") && shown.contains("restored"),
        "{shown}"
    );
}

/// One story in English and one in Chinese, each carried by three feeds in other words,
/// and an unrelated story on the same topic.
fn syndicated(srv: &Server) -> String {
    let en = [
        (
            "China to impose export controls on gallium, germanium",
            "China will impose export controls on gallium and germanium related items starting from Aug. 1 to safeguard national security and interests, the Ministry of Commerce and the General Administration of Customs said in a joint statement on Monday.",
        ),
        (
            "China imposes export controls on gallium, germanium items from August 1",
            "China will impose export controls on gallium and germanium related items from August 1 in order to safeguard national security and interests, the Ministry of Commerce and the General Administration of Customs said in a joint statement on Monday.",
        ),
        (
            "Gallium, germanium export controls to take effect Aug 1",
            "The Ministry of Commerce and the General Administration of Customs on Monday announced export controls on gallium and germanium related items, effective Aug 1, to safeguard national security and interests.",
        ),
    ];
    let zh = [
        (
            "商务部 海关总署公告 对镓、锗相关物项实施出口管制",
            "为维护国家安全和利益，经国务院批准，决定对镓、锗相关物项实施出口管制。本公告自2023年8月1日起正式实施。",
        ),
        (
            "商务部 海关总署：8月1日起对镓、锗相关物项实施出口管制",
            "据商务部网站消息，为维护国家安全和利益，经国务院批准，决定对镓、锗相关物项实施出口管制。公告自2023年8月1日起正式实施。",
        ),
        (
            "8月1日起 我国对镓、锗相关物项实施出口管制",
            "记者从商务部获悉，为维护国家安全和利益，经国务院批准，决定对镓、锗相关物项实施出口管制，公告自2023年8月1日起正式实施。",
        ),
    ];
    let mut cfg = String::new();
    for (i, name) in ["xinhua", "globaltimes", "chinadaily"].iter().enumerate() {
        let mut items = vec![
            (format!("{name}-en"), en[i].0, en[i].1),
            (format!("{name}-zh"), zh[i].0, zh[i].1),
        ];
        if i == 2 {
            items.push((
                "cd-graphite".into(),
                "China to require export permits for some graphite products",
                "China will require export permits for some graphite products from Dec. 1 to protect national security, the Ministry of Commerce said on Friday, in a step on export controls.",
            ));
        }
        let items: Vec<(&str, &str, &str)> = items.iter().map(|(g, t, d)| (g.as_str(), *t, *d)).collect();
        srv.route(
            &format!("/{name}.xml"),
            Reply::ok("application/rss+xml", crate::rss(&items)),
        );
        cfg += &format!(
            "[[source]]\nname = \"{name}\"\nurl = \"{}\"\n",
            srv.url(&format!("/{name}.xml"))
        );
    }
    cfg
}

#[test]
fn copies_from_three_feeds_fold_into_one_story() {
    let srv = Server::start();
    let env = Env::new(&format!("{}{DIGEST}{WATCHES}", syndicated(&srv)));
    let s = env.json(&["poll", "--format", "json"]);
    assert_eq!(s["new_items"], 7, "{s}");
    assert_eq!(
        s["folded"], 4,
        "two copies of each story fold into its first: {s}"
    );
    let stories = env.json(&["hits", "--stories", "--format", "json"]);
    let stories = stories.as_array().unwrap();
    assert_eq!(stories.len(), 3, "{stories:?}");
    let mut sizes: Vec<(u64, usize)> = stories
        .iter()
        .map(|s| {
            (
                s["items"].as_u64().unwrap(),
                s["sources"].as_array().unwrap().len(),
            )
        })
        .collect();
    sizes.sort();
    assert_eq!(sizes, [(1, 1), (3, 3), (3, 3)], "{stories:?}");
    let table = env.ok(&["hits", "--stories"]);
    assert!(table.contains("3 (") && table.contains("graphite"), "{table}");

    // show explains the folding: which item each copy joined, and how similar it was.
    let gallium = stories
        .iter()
        .find(|s| s["items"] == 3 && s["title"].as_str().unwrap().to_lowercase().contains("gallium"))
        .unwrap();
    let shown = env.ok(&["show", &gallium["story"].to_string()]);
    assert!(shown.contains("story of 3 items from 3 sources"), "{shown}");
    assert!(
        shown.contains("folded into") && shown.contains("similarity 0."),
        "{shown}"
    );

    // The digest shows each story once, with the two other sources that reported it beneath.
    let text = digest_text(&env);
    assert_eq!(text.matches("also reported by 2 sources").count(), 2, "{text}");
    // Each story shows once, under one of its three headlines (whichever feed was stored
    // first: the feeds are polled at once, so that varies from run to run), the other two
    // beneath it as copies.
    let headlines = [
        "China to impose export controls on gallium, germanium",
        "China imposes export controls on gallium, germanium items",
        "Gallium, germanium export controls to take effect",
    ];
    let leads = headlines
        .iter()
        .filter(|t| text.lines().any(|l| l.starts_with("* ") && l.contains(*t)))
        .count();
    assert_eq!(leads, 1, "copies are folded: {text}");
    let copies = headlines
        .iter()
        .filter(|t| text.lines().any(|l| l.starts_with("    - ") && l.contains(*t)))
        .count();
    assert_eq!(copies, 2, "the copies beneath: {text}");
    assert!(
        text.contains("China to require export permits for some graphite products"),
        "{text}"
    );
    // Folding is deterministic: the same feeds into a new database fold the same way.
    let again = Env::new(&format!("{}{DIGEST}{WATCHES}", syndicated(&srv)));
    assert_eq!(again.json(&["poll", "--format", "json"])["folded"], 4);
}

#[test]
fn hits_are_scored_filtered_and_the_digest_puts_the_strongest_first() {
    let srv = Server::start();
    srv.route(
        "/feed.xml",
        Reply::ok(
            "application/rss+xml",
            crate::rss(&[
                (
                    "a",
                    "Weekly market notes",
                    "Prices of rare earth oxides were flat.",
                ),
                (
                    "b",
                    "Export controls on rare earth magnets and chip tools",
                    "Details follow.",
                ),
                ("c", "Semiconductor output rises", "Fabs ran at capacity."),
            ]),
        ),
    );
    let env = Env::new(&format!(
        "[[source]]\nname = \"news\"\nurl = \"{}\"\nweight = 2.0\n{DIGEST}{WATCHES}",
        srv.url("/feed.xml")
    ));
    env.ok(&["poll"]);
    let score_of = |title: &str| -> f64 {
        hits(&env, &[])
            .iter()
            .filter(|h| h["title"] == title)
            .map(|h| h["score"].as_f64().unwrap())
            .fold(0.0, f64::max)
    };
    // weight 2 × (title 1 + 0.5 for each of two other watches) = 4; title alone 2; summary 1.
    assert_eq!(
        score_of("Export controls on rare earth magnets and chip tools"),
        4.0
    );
    assert_eq!(score_of("Semiconductor output rises"), 2.0);
    assert_eq!(score_of("Weekly market notes"), 1.0);
    let strong = hits(&env, &["--min-score", "2"]);
    assert!(
        strong.iter().all(|h| h["score"].as_f64().unwrap() >= 2.0),
        "{strong:?}"
    );
    assert!(!strong.iter().any(|h| h["title"] == "Weekly market notes"));
    // Stories of one severity by score: the strongest first, starred; the title hit before
    // the summary hit.
    let text = digest_text(&env);
    let entries: Vec<&str> = text.split("\n* ").skip(1).collect();
    assert!(
        entries[0].starts_with("★ Export controls on rare earth magnets") && entries[0].contains("score 4.0"),
        "{text}"
    );
    assert!(
        text.find("Export controls on rare earth magnets").unwrap()
            < text.find("Weekly market notes").unwrap(),
        "{text}"
    );
}
