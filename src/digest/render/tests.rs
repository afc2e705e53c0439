use std::collections::HashMap;

use chrono::{TimeZone, Utc};

use super::*;
use crate::config::SignalsConfig;
use crate::item::SourceRole;
use crate::store::PendingHit;

/// A small digest with every kind of part, fixed in time.
fn small() -> Content {
    let at = Utc.with_ymd_and_hms(2026, 11, 27, 8, 30, 0).unwrap();
    let entry = |title: &str, link: Option<&str>, term: &str, snippet: &str, alerted| {
        let s = snippet.find(term).unwrap_or(0);
        Entry {
            story: 1,
            item: 1,
            title: title.into(),
            link: link.map(String::from),
            source: "mofcom".into(),
            role: SourceRole::Official,
            date: at,
            watches: vec!["export-controls".into()],
            term: term.into(),
            snippet: snippet.into(),
            snippet_match: (s, s + term.len()),
            snippet_source: None,
            more_terms: vec![],
            alerted,
            score: 1.0,
            severity: if alerted {
                Severity::Alerted
            } else {
                Severity::Report
            },
            status: None,
            top: false,
            notice: Notice::default(),
            copies: vec![],
            story_url: None,
            gloss: None,
        }
    };
    let mut first = entry(
        "关于实施出口管制的公告",
        Some("https://www.mofcom.gov.cn/a/1.html"),
        "出口管制",
        "决定对相关物项实施出口管制。",
        true,
    );
    first.top = true;
    first.score = 2.5;
    first.status = Some("edited".into());
    first.watches.push("rare-earths".into());
    first.notice = Notice {
        documents: vec!["announcement:2026:61 (mofcom, gacc)".into()],
        effective: Some("2026-12-01".into()),
        attachments: vec!["https://www.mofcom.gov.cn/a/list.pdf".into()],
    };
    first.copies = vec![
        Copy {
            item: 2,
            source: "xinhua".into(),
            role: SourceRole::StateMedia,
            title: "China curbs exports".into(),
            link: Some("http://www.news.cn/2026-11/27/c_1.htm".into()),
            new: true,
        },
        Copy {
            item: 3,
            source: "odd".into(),
            role: SourceRole::Media,
            title: "<i>odd</i>".into(),
            link: Some("data:text/html,x".into()),
            new: false,
        },
    ];
    let mut second = entry(
        "<b>Tags</b> & \"quotes\"",
        Some("javascript:alert(1)"),
        "export controls",
        "New export controls <script>x</script>.",
        false,
    );
    second.role = SourceRole::Media;
    second.source = "wire".into();
    Content {
        entries: vec![first, second],
        watches: vec![
            WatchCount {
                watch: "export-controls".into(),
                stories: 3,
                more: 1,
                since: Some(at),
            },
            WatchCount {
                watch: "rare-earths".into(),
                stories: 1,
                more: 0,
                since: Some(at),
            },
        ],
        changes: vec![Change {
            kind: "withdrawn".into(),
            detail: "no longer listed, while older items still are".into(),
            at,
            title: "关于<暂停>出口的通知".into(),
            link: Some("https://www.mofcom.gov.cn/a/0.html".into()),
            source: "mofcom".into(),
            role: SourceRole::Official,
            watches: vec!["export-controls".into()],
            show: "sigwatch show 7".into(),
            diff: vec![],
        }],
        warnings: vec![Warning {
            source: "eu-trade".into(),
            health: "failing".into(),
            detail: "HTTP 403".into(),
        }],
        spikes: vec!["export-controls: 9 items today".into()],
        generated: Utc.with_ymd_and_hms(2026, 11, 28, 7, 0, 0).unwrap(),
        new_items: 4,
        stories: 3,
        zone: None,
        translation: None,
    }
}

#[test]
fn text_snapshot() {
    insta::assert_snapshot!(text(&small()));
}

#[test]
fn html_snapshot() {
    let h = html(&small());
    assert!(!h.contains("<script") && !h.contains("javascript:") && !h.contains("data:"));
    insta::assert_snapshot!(h);
}

#[test]
fn headers_lose_control_characters() {
    assert_eq!(header_safe("a\r\nBcc: x@y\u{0}\tz"), "a Bcc: x@y z");
}

#[test]
fn counts_say_stories() {
    assert_eq!(count(1, "story"), "1 story");
    assert_eq!(count(2, "story"), "2 stories");
    assert_eq!(count(2, "item"), "2 items");
    assert_eq!(count(2, "watch"), "2 watches");
    assert_eq!(count(2, "more story"), "2 more stories");
}

fn hit(id: i64, item_id: i64, watch: &str, source: &str, title: &str, term: &str, story: i64) -> PendingHit {
    PendingHit {
        id,
        item_id,
        watch: watch.into(),
        term: term.into(),
        source: source.into(),
        title: title.into(),
        link: None,
        date: Utc.with_ymd_and_hms(2026, 11, 27, 8, 30, 0).unwrap() + chrono::Duration::minutes(id),
        snippet: title.into(),
        snippet_match: (0, 0),
        alerted: false,
        score: 1.0,
        status: None,
        story,
        folded: story != item_id,
        terms: vec![term.into()],
        doc_numbers: vec![],
        effective: None,
        attachments: vec![],
        gloss: None,
    }
}

fn role_of(source: &str) -> SourceRole {
    match source {
        "mofcom" => SourceRole::Official,
        "xinhua" => SourceRole::StateMedia,
        _ => SourceRole::Media,
    }
}

fn member(item: i64, source: &str, title: &str) -> Copy {
    Copy {
        item,
        source: source.into(),
        role: role_of(source),
        title: title.into(),
        link: None,
        new: false,
    }
}

/// A story in two watches is one entry, tagged with both; led by its official item whatever
/// item was stored first or came last; its copies beneath, with their roles.
#[test]
fn a_story_is_one_entry_led_by_its_official_item() {
    // Newest first: the official notice (item 12) folded into a wire report's story (10).
    let hits = [
        hit(
            4,
            12,
            "rare-earths",
            "mofcom",
            "商务部公告2026年第61号",
            "稀土",
            10,
        ),
        hit(
            3,
            12,
            "export-controls",
            "mofcom",
            "商务部公告2026年第61号",
            "出口管制",
            10,
        ),
        hit(
            2,
            11,
            "export-controls",
            "xinhua",
            "China to control rare earths",
            "export",
            10,
        ),
        hit(1, 10, "rare-earths", "wire", "Rare earth curbs", "rare earth", 10),
    ];
    let members: Members = HashMap::from([(
        10,
        vec![
            member(10, "wire", "Rare earth curbs"),
            member(11, "xinhua", "China to control rare earths"),
            member(12, "mofcom", "商务部公告2026年第61号"),
        ],
    )]);
    let (e, watches, total) = entries(&hits, 10, &SignalsConfig::default(), &members, &role_of);
    assert_eq!((e.len(), total), (1, 1));
    let e = &e[0];
    assert_eq!(
        (e.item, e.source.as_str(), e.role),
        (12, "mofcom", SourceRole::Official)
    );
    assert_eq!(e.watches, ["export-controls", "rare-earths"]);
    assert_eq!(e.severity, Severity::Official);
    assert_eq!(e.snippet_source, None, "the snippet is the lead's own");
    let copies: Vec<(&str, SourceRole, bool)> = e
        .copies
        .iter()
        .map(|c| (c.source.as_str(), c.role, c.new))
        .collect();
    assert_eq!(
        copies,
        [
            ("wire", SourceRole::Media, true),
            ("xinhua", SourceRole::StateMedia, true)
        ]
    );
    assert_eq!(
        watches
            .iter()
            .map(|w| (w.watch.as_str(), w.stories))
            .collect::<Vec<_>>(),
        [("export-controls", 1), ("rare-earths", 1)],
        "counts count stories, not hits"
    );
}

/// Stories by severity (alerted, official, reports), then score; `max_per_watch` per watch,
/// a story shown when it is among the first of any of its watches.
#[test]
fn stories_are_ordered_by_severity_then_score_and_cut_per_watch() {
    let mut report = hit(1, 1, "w", "wire", "high-scoring report", "a", 1);
    report.score = 5.0;
    let official = hit(2, 2, "w", "mofcom", "official notice", "a", 2);
    let mut alerted = hit(3, 3, "w", "wire", "alerted report", "a", 3);
    alerted.alerted = true;
    let mut other = hit(4, 4, "v", "wire", "in another watch", "a", 4);
    other.score = 0.5;
    let hits = [other, alerted, official, report];
    let (e, watches, total) = entries(&hits, 2, &SignalsConfig::default(), &Members::new(), &role_of);
    let titles: Vec<&str> = e.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(titles, ["alerted report", "official notice", "in another watch"]);
    assert_eq!(total, 4);
    let w = watches.iter().find(|w| w.watch == "w").unwrap();
    assert_eq!((w.stories, w.more), (3, 1));
    assert!(e[0].top && e[1].top && e[2].top, "three stories, all top");
}

/// A copy with new hits whose official lead was mailed before is shown under that lead.
#[test]
fn a_new_copy_is_shown_under_its_earlier_official_lead() {
    let hits = [hit(5, 20, "w", "wire", "Report citing No. 61", "a", 12)];
    let members: Members = HashMap::from([(
        12,
        vec![
            member(12, "mofcom", "商务部公告2026年第61号"),
            member(20, "wire", "Report citing No. 61"),
        ],
    )]);
    let (e, _, _) = entries(&hits, 10, &SignalsConfig::default(), &members, &role_of);
    assert_eq!(e[0].title, "商务部公告2026年第61号");
    assert_eq!(e[0].snippet_source.as_deref(), Some("wire"));
    assert!(e[0].copies[0].new);
}
