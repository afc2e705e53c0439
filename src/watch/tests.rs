//! The matching rules, each with the traps that would fool a naive matcher.

use super::*;

fn watches(spec: &[(&str, &[&str], &[&str])]) -> Matcher {
    let w: Watches = spec
        .iter()
        .map(|(n, t, x)| {
            let spec = WatchSpec {
                terms: t.iter().map(|s| s.to_string()).collect(),
                exclude: x.iter().map(|s| s.to_string()).collect(),
                case_sensitive: vec![],
                near: vec![],
                ..Default::default()
            };
            (n.to_string(), spec)
        })
        .collect();
    Matcher::new(&w).unwrap()
}

fn terms(m: &Matcher, text: &str) -> Vec<String> {
    m.find(text, "").into_iter().map(|h| h.term).collect()
}

#[test]
fn acronyms_match_whole_words_in_capitals_only() {
    let m = watches(&[("ai", &["AI"], &[])]);
    for miss in [
        "He said so",
        "Thai talks",
        "TAIPEI news",
        "AIIB loan",
        "Ai Weiwei speaks",
        "maintained",
    ] {
        assert!(terms(&m, miss).is_empty(), "{miss}");
    }
    for hit in [
        "AI rules",
        "new AI.",
        "Generative A.I. rules",
        "ＡＩ企業数が増加",
        "生成AI服务",
        "(AI)",
    ] {
        assert_eq!(terms(&m, hit), ["AI"], "{hit}");
    }
}

#[test]
fn latin_terms_are_whole_words_and_star_lifts_the_end() {
    let m = watches(&[("s", &["chip", "chipmaker*"], &[])]);
    assert!(terms(&m, "microchip makers").is_empty());
    assert!(terms(&m, "Chips act").is_empty());
    assert_eq!(terms(&m, "chipmakers rally"), ["chipmaker*"]);
    assert_eq!(terms(&m, "a chip, made"), ["chip"]);
}

#[test]
fn rare_earth_traps() {
    let m = watches(&[("re", &["rare earth", "rare earths"], &[])]);
    assert!(terms(&m, "The earthquake was rarely this strong").is_empty());
    assert!(terms(&m, "a rare earthquake").is_empty());
    for hit in [
        "rare-earth magnets",
        "rare\nearth",
        "Rare&nbsp;earth",
        "<i>Rare</i>-<b>earth</b>",
        "RARE EARTH",
    ] {
        assert_eq!(terms(&m, hit).len(), 1, "{hit}");
    }
}

#[test]
fn cjk_terms_match_as_substrings_across_scripts() {
    let m = watches(&[
        ("semis", &["半导体", "晶片", "芯片"], &[]),
        ("ai", &["人工智能", "人工智慧"], &[]),
    ]);
    assert_eq!(terms(&m, "中国半导体行业"), ["半导体"]);
    assert_eq!(
        terms(&m, "半導體設備進口增加"),
        ["半导体"],
        "traditional folds to simplified"
    );
    assert_eq!(terms(&m, "晶片製造商"), ["晶片"]);
    // 人工智能 now finds the Taiwan word itself (see `vocab`), and is listed first.
    assert_eq!(terms(&m, "人工智慧倫理"), ["人工智能"]);
    assert_eq!(terms(&m, "日本の半導体戦略"), ["半导体"], "Japanese shinjitai");
}

#[test]
fn excludes_veto_what_they_overlap_only() {
    let m = watches(&[
        ("semis", &["chip"], &["blue chip", "potato chip*"]),
        ("pv", &["solar panel*"], &["solar eclipse"]),
    ]);
    assert!(terms(&m, "Blue-chip stocks rally").is_empty());
    assert!(terms(&m, "Potato chips and salsa").is_empty());
    assert_eq!(terms(&m, "Blue-chip firms back a new chip plant"), ["chip"]);
    assert!(terms(&m, "The solar eclipse").is_empty());
}

#[test]
fn export_controls_need_the_phrase_or_proximity() {
    let mut w = Watches::new();
    w.insert(
        "ec".into(),
        WatchSpec {
            terms: vec!["export control".into(), "export controls".into()],
            exclude: vec![],
            case_sensitive: vec![],
            near: vec!["export* NEAR/3 ban*".into()],
            ..Default::default()
        },
    );
    let m = Matcher::new(&w).unwrap();
    assert!(terms(&m, "Quality controls at the export zone were tightened").is_empty());
    assert!(terms(&m, "Traffic controls at the export zone").is_empty());
    assert_eq!(terms(&m, "New export controls"), ["export controls"]);
    assert_eq!(terms(&m, "Export ban on antimony"), ["export* NEAR/3 ban*"]);
    assert_eq!(
        terms(&m, "Beijing banned exports of gallium"),
        ["export* NEAR/3 ban*"]
    );
    assert!(
        terms(
            &m,
            "exports rose while the ban on smoking in many public places stayed"
        )
        .is_empty()
    );
}

#[test]
fn offsets_are_characters_of_the_original_and_snippets_mark_the_match() {
    let m = watches(&[("re", &["稀土", "rare earth"], &[])]);
    let title = "<b>中国</b>稀土 &amp; Rare-Earth";
    let hits = m.find(title, "First sentence. China curbs rare earth exports! Done.");
    let t: Vec<(&str, usize, usize)> = hits.iter().map(|h| (h.field.as_str(), h.start, h.end)).collect();
    assert_eq!(t, [("title", 9, 11), ("title", 18, 28), ("summary", 28, 38)]);
    let chars: Vec<char> = title.chars().collect();
    assert_eq!(chars[9..11].iter().collect::<String>(), "稀土");
    assert_eq!(chars[18..28].iter().collect::<String>(), "Rare-Earth");
    let s = &hits[2];
    assert_eq!(s.snippet, "China curbs rare earth exports!");
    assert_eq!(&s.snippet[s.snippet_match.0..s.snippet_match.1], "rare earth");
}

#[test]
fn one_hit_per_watch_and_place_the_longest_term() {
    let m = watches(&[("ec", &["export control", "export controls"], &[])]);
    assert_eq!(terms(&m, "new export controls"), ["export controls"]);
}

#[test]
fn bad_specs_are_named() {
    let mut w = Watches::new();
    w.insert(
        "x".into(),
        WatchSpec {
            terms: vec![],
            exclude: vec![],
            case_sensitive: vec![],
            near: vec![],
            ..Default::default()
        },
    );
    assert!(Matcher::new(&w).unwrap_err().to_string().contains("watch.x"));
    w.insert(
        "x".into(),
        WatchSpec {
            terms: vec!["a".into()],
            exclude: vec![],
            case_sensitive: vec![],
            near: vec!["oops".into()],
            ..Default::default()
        },
    );
    assert!(Matcher::new(&w).unwrap_err().to_string().contains("NEAR"));
}

#[test]
fn hostile_text_never_panics() {
    let m = watches(&[("x", &["AI", "稀土", "rare earth"], &["AI rules"])]);
    for s in [
        "",
        "<",
        "&",
        "&#xFFFFFF;",
        "<<<>>>",
        "A.",
        ".A",
        "A.I",
        "\u{0}\u{7f}稀",
        "ǅ ǈ ß ẞ İ",
        "&nbsp",
        "<script>",
    ] {
        let _ = m.find(s, s);
    }
    let long = "rare earth ".repeat(10_000);
    assert_eq!(m.find(&long, "").len(), 10_000);
}

// ---- Rules over concepts (issue 26) ----

fn parse_watches(toml_text: &str) -> Matcher {
    #[derive(serde::Deserialize)]
    struct W {
        watch: Watches,
    }
    let w: W = toml::from_str(toml_text).unwrap();
    Matcher::new(&w.watch).unwrap()
}

fn spans(m: &Matcher, title: &str, summary: &str) -> Vec<(String, String, usize, usize)> {
    m.find(title, summary)
        .into_iter()
        .map(|h| (h.watch, h.field.as_str().to_string(), h.start, h.end))
        .collect()
}

fn watches_hit(m: &Matcher, title: &str, summary: &str) -> Vec<String> {
    let w: std::collections::BTreeSet<String> = m.find(title, summary).into_iter().map(|h| h.watch).collect();
    w.into_iter().collect()
}

const CONCEPTS: &str = r#"
[watch.export-action]
concept = true
terms = ["export*", "shipment*", "出口"]

[watch.strategic-goods]
concept = true
terms = ["gallium", "germanium", "graphite", "镓", "锗"]
exclude = ["gallium nitride charger*"]

[watch.ban]
concept = true
terms = ["ban*", "halt*", "禁止"]
"#;

#[test]
fn all_needs_every_concept_in_the_item() {
    let m = parse_watches(&format!(
        "{CONCEPTS}\n[watch.ec]\nall = [\"@export-action\", \"@strategic-goods\", \"@ban\"]\n"
    ));
    assert_eq!(
        watches_hit(&m, "China halts gallium shipments to the US", ""),
        ["ec"]
    );
    // Across fields: the title and the summary make one item.
    assert_eq!(
        watches_hit(&m, "Beijing bans exports", "The measure covers gallium."),
        ["ec"]
    );
    assert!(watches_hit(&m, "India bans rice exports", "").is_empty());
    assert!(watches_hit(&m, "Gallium prices rise", "").is_empty());
    // Offsets: each element where it stands, in characters of the original field.
    let s = spans(&m, "China halts gallium shipments to the US", "");
    assert_eq!(
        s,
        [
            ("ec".to_string(), "title".to_string(), 6, 11),
            ("ec".to_string(), "title".to_string(), 12, 19),
            ("ec".to_string(), "title".to_string(), 20, 29),
        ]
    );
    // A concept's own exclude holds wherever the concept is used.
    assert!(watches_hit(&m, "Gallium nitride chargers: export ban on parts", "").is_empty());
    // Concepts raise no hits of their own.
    assert!(watches_hit(&m, "gallium exports", "").is_empty());
}

#[test]
fn any_alone_and_with_all() {
    let m = parse_watches(&format!(
        "{CONCEPTS}\n[watch.minerals]\nany = [\"@strategic-goods\", \"antimony\"]\n\
         [watch.ec]\nall = [\"@export-action\"]\nany = [\"@strategic-goods\", \"chips\"]\n"
    ));
    assert_eq!(watches_hit(&m, "Antimony price soars", ""), ["minerals"]);
    assert_eq!(watches_hit(&m, "镓价格上涨", ""), ["minerals"]);
    assert_eq!(watches_hit(&m, "Chips exports fall", ""), ["ec"]);
    assert_eq!(watches_hit(&m, "Graphite exports fall", ""), ["ec", "minerals"]);
    assert!(watches_hit(&m, "Rice exports fall", "").is_empty());
}

#[test]
fn not_silences_a_watch_for_the_whole_item() {
    let m = parse_watches(
        "[watch.ai]\nterms = [\"AI\"]\nnot = [\"Air India\", \"flight AI*\"]\n\
         [watch.ai2]\nterms = [\"AI\"]\n",
    );
    assert_eq!(watches_hit(&m, "AI rules", ""), ["ai", "ai2"]);
    assert_eq!(watches_hit(&m, "AI 302 delayed", "Air India said"), ["ai2"]);
    assert_eq!(watches_hit(&m, "Flight AI171 crash report", ""), ["ai2"]);
    // In a rule, `not` vetoes that rule only.
    let m = parse_watches(&format!(
        "{CONCEPTS}\n[watch.ec]\nterms = [\"export control*\"]\n\
         [[watch.ec.rule]]\nall = [\"@export-action\", \"@ban\"]\nnot = [\"rice\", \"sugar\"]\n"
    ));
    assert_eq!(watches_hit(&m, "Export ban on gallium", ""), ["ec"]);
    assert!(watches_hit(&m, "India bans rice exports", "").is_empty());
    assert_eq!(
        watches_hit(&m, "India bans rice exports", "Export controls elsewhere"),
        ["ec"]
    );
}

#[test]
fn near_takes_concepts_and_checks_distance_in_one_field() {
    let m = parse_watches(&format!(
        "{CONCEPTS}\n[watch.ec]\nnear = [\"@export-action NEAR/6 @strategic-goods\"]\n"
    ));
    let s = spans(&m, "China to restrict exports of gallium and germanium", "");
    // From "exports" (18) to the end of "gallium" (36).
    assert_eq!(s, [("ec".to_string(), "title".to_string(), 18, 36)]);
    let h = m.find("China to restrict exports of gallium", "");
    assert_eq!(h[0].term, "@export-action NEAR/6 @strategic-goods");
    assert!(
        watches_hit(
            &m,
            "Exports rose in the first half, the ministry said, and prices of gallium fell",
            ""
        )
        .is_empty()
    );
    // The sides in two fields are not near each other.
    assert!(watches_hit(&m, "Exports", "Gallium").is_empty());
    // Chinese: counted in characters.
    assert_eq!(watches_hit(&m, "禁止对美国出口镓、锗", ""), ["ec"]);
    assert!(watches_hit(&m, "对镓、锗相关物项实施出口管制", "").is_empty());
}

#[test]
fn scope_title_looks_at_the_title_only() {
    let m = parse_watches(&format!(
        "{CONCEPTS}\n[watch.t]\nscope = \"title\"\nterms = [\"gallium\"]\n\
         [watch.r]\nterms = [\"germanium\"]\n[[watch.r.rule]]\nscope = \"title\"\nall = [\"@strategic-goods\", \"@ban\"]\n"
    ));
    assert_eq!(watches_hit(&m, "Gallium prices", ""), ["t"]);
    assert!(watches_hit(&m, "Metal prices", "Gallium prices").is_empty());
    assert_eq!(watches_hit(&m, "Ban on graphite", ""), ["r"]);
    assert!(watches_hit(&m, "Ban on metals", "Graphite").is_empty());
    // The table's own terms keep the default scope.
    assert_eq!(watches_hit(&m, "Metals", "Germanium"), ["r"]);
}

#[test]
fn acronyms_match_before_a_version() {
    let m = watches(&[("s", &["HBM", "DDR", "GB", "EUV"], &[])]);
    for (text, want) in [
        ("CXMT starts HBM3 production", (12, 16)),
        ("SK Hynix ships HBM3E", (15, 20)),
        ("Samsung HBM3e chips", (8, 13)),
        ("DDR5 prices surge", (0, 4)),
        ("Nvidia unveils GB200 superchip", (15, 20)),
        ("HBM chips", (0, 3)),
    ] {
        let h = m.find(text, "");
        assert_eq!(h.len(), 1, "{text}");
        assert_eq!((h[0].start, h[0].end), want, "{text}");
    }
    for miss in [
        "HBMX chips",
        "HBM3ABC",
        "16GB of memory",
        "hbm3 in lower case",
        "EUV2.0",
        "GBP200",
    ] {
        assert!(m.find(miss, "").is_empty() || miss == "EUV2.0", "{miss}");
    }
}

#[test]
fn regional_vocabulary_folds_to_the_mainland_term_with_exact_offsets() {
    let m = watches(&[
        ("s", &["集成电路", "芯片", "光刻", "半导体"], &[]),
        ("re", &["稀土"], &[]),
        ("ec", &["出口管制"], &[]),
    ]);
    for (text, term, want) in [
        ("台積電擴大積體電路產能", "集成电路", (5, 9)),
        ("台積電美國廠量產4奈米晶片", "芯片", (11, 13)),
        ("台灣微影技術人才短缺", "光刻", (2, 4)),
        ("經濟部：半導體產業產值創新高", "半导体", (4, 7)),
        ("自動車各社、レアアース調達を急ぐ", "稀土", (6, 11)),
        ("日本の輸出管理を強化", "出口管制", (3, 7)),
    ] {
        let h = m.find(text, "");
        assert_eq!(h.len(), 1, "{text}: {h:?}");
        assert_eq!(h[0].term, term, "{text}");
        assert_eq!((h[0].start, h[0].end), want, "{text}");
        let chars: Vec<char> = text.chars().collect();
        let got: String = chars[want.0..want.1].iter().collect();
        assert_eq!(&h[0].snippet[h[0].snippet_match.0..h[0].snippet_match.1], got);
    }
}

fn err_of(toml_text: &str) -> String {
    #[derive(serde::Deserialize)]
    struct W {
        watch: Watches,
    }
    let w: W = toml::from_str(toml_text).unwrap();
    Matcher::new(&w.watch).unwrap_err().to_string()
}

#[test]
fn bad_rules_name_the_watch_and_the_token() {
    let e = err_of("[watch.a]\nall = [\"@nothing\"]\n");
    assert!(e.contains("watch.a") && e.contains("@nothing"), "{e}");
    let e = err_of("[watch.a]\nnear = [\"x NEAR/0 y\"]\n");
    assert!(e.contains("x NEAR/0 y"), "{e}");
    let e = err_of("[watch.a]\nterms = [\"@b\"]\n[watch.b]\nany = [\"@a\"]\n");
    assert!(e.contains("cycle") && e.contains("a → b → a"), "{e}");
    let e = err_of("[watch.a]\nterms = [\"x\"]\nexclude = [\"@a\"]\n");
    assert!(e.contains("exclude takes terms"), "{e}");
    let e = err_of("[watch.a]\nterms = [\"x\"]\n[[watch.a.rule]]\nnot = [\"y\"]\n");
    assert!(e.contains("a rule needs"), "{e}");
}

/// A hostile item packed with rule parts and excludes: evaluation must not be quadratic in
/// the number of places found (near pairs, exclude overlaps), or one item stalls a poll.
#[test]
fn items_packed_with_rule_parts_stay_cheap() {
    let m = parse_watches(&format!(
        "{CONCEPTS}\n[watch.ec]\nterms = [\"chip\"]\nexclude = [\"blue chip\"]\n\
         near = [\"@export-action NEAR/2 @strategic-goods\"]\n"
    ));
    let packed = "exports one two three gallium blue chip ".repeat(20_000) + "gallium exports";
    let hits = m.find(&packed, "");
    assert_eq!(hits.len(), 1, "only the near pair at the end");
    assert_eq!(hits[0].term, "@export-action NEAR/2 @strategic-goods");
}

/// Items holding only a concept's terms skip evaluation; the shortcut must never lose a hit
/// that a rule would raise through any of its parts.
#[test]
fn the_evaluation_shortcut_keeps_every_rule() {
    let m = parse_watches(&format!(
        "{CONCEPTS}\n[watch.ec]\nnear = [\"@export-action NEAR/6 @strategic-goods\"]\n\
         all = [\"@ban\", \"@strategic-goods\"]\n[watch.any]\nany = [\"@strategic-goods\", \"@ban\"]\n"
    ));
    assert!(watches_hit(&m, "exports", "").is_empty());
    assert_eq!(watches_hit(&m, "ban", ""), ["any"]);
    assert_eq!(watches_hit(&m, "germanium", ""), ["any"]);
    assert_eq!(watches_hit(&m, "germanium exports ban", ""), ["any", "ec"]);
}

/// Entity and action concepts are reported under their names, in any language, and only
/// alongside hits unless asked for alone; an entity that is not a concept is an error.
#[test]
fn entities_are_reported_by_concept_whatever_the_language() {
    let spec = |terms: &[&str], entity: bool, action: bool, not: &[&str]| WatchSpec {
        terms: terms.iter().map(|s| s.to_string()).collect(),
        not: not.iter().map(|s| s.to_string()).collect(),
        concept: entity || action,
        entity,
        action,
        ..Default::default()
    };
    let mut w: Watches = Watches::new();
    w.insert(
        "rare-earths".into(),
        spec(&["dysprosium", "稀土", "镝"], false, false, &[]),
    );
    w.insert(
        "dysprosium".into(),
        spec(&["dysprosium", "镝", "ジスプロシウム"], true, false, &[]),
    );
    w.insert(
        "easing".into(),
        spec(&["lift", "lifts", "解除"], false, true, &[]),
    );
    w.insert(
        "imposing".into(),
        spec(
            &["control", "controls", "管制", "規制"],
            false,
            true,
            &["@easing"],
        ),
    );
    let m = Matcher::new(&w).unwrap();
    let names = |e: &Entities| (e.things.clone(), e.actions.clone());
    let (hits, zh) = m.find_with_entities("对镝实施出口管制", "");
    assert!(!hits.is_empty());
    assert_eq!(names(&zh), (vec!["dysprosium".into()], vec!["imposing".into()]));
    let (_, en) = m.find_with_entities("Dysprosium export controls", "");
    assert_eq!(en, zh);
    // No action word: the Japanese names the entity alone.
    let ja = m.entities("ジスプロシウムの輸出", "");
    assert_eq!(names(&ja), (vec!["dysprosium".into()], vec![]));
    let (_, lifted) = m.find_with_entities("China lifts controls on dysprosium", "");
    assert_eq!(lifted.actions, vec!["easing".to_string()]);
    // No hits: no entities, unless asked for alone.
    let mut only = w.clone();
    only.remove("rare-earths");
    let m = Matcher::new(&only).unwrap();
    assert_eq!(m.find_with_entities("镝", "").1, Entities::default());
    assert_eq!(m.entities("镝", "").things, vec!["dysprosium".to_string()]);
    let mut bad = w.clone();
    bad.get_mut("dysprosium").unwrap().concept = false;
    let err = Matcher::new(&bad).unwrap_err().to_string();
    assert!(
        err.contains("watch.dysprosium") && err.contains("concept"),
        "{err}"
    );
}

/// An entity concept that a watch's rule names bears on hits and is searched with the hit
/// terms; one that nothing names is searched only in items with hits, and reported the same.
#[test]
fn entity_concepts_are_found_whether_or_not_a_rule_names_them() {
    let entity = |term: &str| WatchSpec {
        terms: vec![term.to_string()],
        concept: true,
        entity: true,
        ..Default::default()
    };
    let mut w: Watches = Watches::new();
    w.insert("gallium".into(), entity("gallium"));
    w.insert("germanium".into(), entity("锗"));
    w.insert(
        "bans".into(),
        WatchSpec {
            all: vec!["@gallium".into(), "ban*".into()],
            ..Default::default()
        },
    );
    let m = Matcher::new(&w).unwrap();
    let (hits, e) = m.find_with_entities("China bans gallium exports", "and 锗 too");
    let watches: Vec<&str> = hits.iter().map(|h| h.watch.as_str()).collect();
    assert!(
        !watches.is_empty() && watches.iter().all(|&w| w == "bans"),
        "{watches:?}"
    );
    assert_eq!(e.things, vec!["gallium".to_string(), "germanium".to_string()]);
    assert!(m.find_with_entities("Gallium prices rise", "锗").0.is_empty());
    assert_eq!(m.entities("Gallium prices rise", "锗").things.len(), 2);
}

/// Evaluating only the watches an item's terms wake gives what evaluating every watch gives,
/// on the shipped watchlists over both labelled sets.
#[test]
fn waking_only_the_watches_of_found_terms_changes_no_hit() {
    // The shipped watches, read here rather than by `config`, which stands before `watch`.
    #[derive(serde::Deserialize)]
    struct Shipped {
        watch: Watches,
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("config/sigwatch.toml")).unwrap();
    let shipped: Shipped = toml::from_str(&text).unwrap();
    let woken = Matcher::new(&shipped.watch).unwrap();
    let every = woken.clone().waking_every_watch();
    let mut items = 0;
    for set in ["watch-labels.jsonl", "watch-labels-holdout.jsonl"] {
        let text = std::fs::read_to_string(root.join("tests/data").join(set)).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let (title, summary) = (
                v["title"].as_str().unwrap_or(""),
                v["summary"].as_str().unwrap_or(""),
            );
            let (a, b) = (
                woken.find_with_entities(title, summary),
                every.find_with_entities(title, summary),
            );
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "{title}");
            items += 1;
        }
    }
    assert!(items >= 400, "{items} items");
}
