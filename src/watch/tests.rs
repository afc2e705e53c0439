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
                alert: None,
                weight: None,
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
    assert_eq!(terms(&m, "人工智慧倫理"), ["人工智慧"]);
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
            alert: None,
            weight: None,
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
            alert: None,
            weight: None,
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
            alert: None,
            weight: None,
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
