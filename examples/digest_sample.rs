//! Renders a realistic sample digest (English and Chinese items, stories in several watches,
//! an official notice leading the reports of it, an edited notice, a withdrawal, a spike, a
//! failing and a stale source) to `docs/digest-sample.html` and `.txt`, for looking at the
//! layout: `cargo run --example digest_sample`, then screenshot the HTML (with a CJK font
//! installed): `chromium --headless --hide-scrollbars --window-size=760,1330
//! --screenshot=docs/digest.png docs/digest-sample.html`.

use chrono::{TimeZone, Utc};
use sigwatch::digest::{Change, Content, Copy, Entry, Notice, Severity, Warning, WatchCount};
use sigwatch::item::SourceRole;

#[allow(clippy::too_many_arguments)]
fn entry(
    title: &str,
    source: &str,
    role: SourceRole,
    day: u32,
    watches: &[&str],
    term: &str,
    snippet: &str,
    score: f64,
) -> Entry {
    let at = snippet.find(term).unwrap_or(0);
    Entry {
        story: 0,
        item: 0,
        title: title.into(),
        link: Some(format!("https://example.gov/{}", title.len())),
        source: source.into(),
        role,
        date: Utc.with_ymd_and_hms(2026, 11, day, 8, 30, 0).unwrap(),
        watches: watches.iter().map(|w| w.to_string()).collect(),
        term: term.into(),
        snippet: snippet.into(),
        snippet_match: (at, at + term.len()),
        snippet_source: None,
        more_terms: vec![],
        alerted: false,
        score,
        severity: if role == SourceRole::Official {
            Severity::Official
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
}

fn copy(source: &str, role: SourceRole, title: &str, link: &str) -> Copy {
    Copy {
        item: 0,
        source: source.into(),
        role,
        title: title.into(),
        link: Some(link.into()),
        new: true,
    }
}

/// The sample content.
pub fn sample() -> Content {
    let mut mofcom = entry(
        "商务部 海关总署公告2026年第61号 关于对部分中重稀土相关物项实施出口管制的决定",
        "mofcom",
        SourceRole::Official,
        27,
        &["export-controls", "rare-earths"],
        "出口管制",
        "为维护国家安全和利益，履行防扩散等国际义务，决定对部分中重稀土相关物项实施出口管制。",
        3.0,
    );
    mofcom.alerted = true;
    mofcom.severity = Severity::Alerted;
    mofcom.top = true;
    mofcom.more_terms = vec!["稀土".into(), "export controls".into()];
    mofcom.notice = Notice {
        documents: vec!["announcement:2026:61 (mofcom, gacc)".into()],
        effective: Some("2026-12-01".into()),
        attachments: vec!["https://example.gov/files/2026-61-list.pdf".into()],
    };
    mofcom.copies = vec![
        copy(
            "xinhua-en",
            SourceRole::StateMedia,
            "China announces export controls on some medium and heavy rare earth items",
            "http://english.news.cn/20261127/1/c.html",
        ),
        copy(
            "globaltimes",
            SourceRole::StateMedia,
            "China's new rare earth controls aim at security, not trade: experts",
            "https://www.globaltimes.cn/page/202611/1.shtml",
        ),
        copy(
            "reuters-commodities",
            SourceRole::Media,
            "China tightens grip on heavy rare earths with new export curbs",
            "https://www.reuters.example/markets/commodities/1",
        ),
    ];
    let mut entity = entry(
        "Additions to the Entity List",
        "fedreg-bis",
        SourceRole::Official,
        26,
        &["export-controls", "semiconductors"],
        "Entity List",
        "The Bureau of Industry and Security amends the Export Administration Regulations by adding 12 entities to the Entity List.",
        2.0,
    );
    entity.status = Some("edited".into());
    entity.top = true;
    entity.notice = Notice {
        documents: vec!["fr-doc:2026-21417 (bis)".into(), "rin:0694-AJ74 (bis)".into()],
        effective: Some("2026-11-26".into()),
        attachments: vec![],
    };
    let mut prices = entry(
        "Rare earth prices climb as China tightens supply",
        "mining-com",
        SourceRole::Media,
        27,
        &["rare-earths"],
        "Rare earth",
        "Rare earth oxide prices rose for a third week as exporters awaited licences.",
        1.0,
    );
    prices.top = true;
    let chips = entry(
        "China's chip output rises 12% in October",
        "cgtn-business",
        SourceRole::StateMedia,
        26,
        &["semiconductors"],
        "chip",
        "Integrated circuit and chip output rose 12 percent year on year, the statistics bureau said.",
        0.5,
    );
    Content {
        entries: vec![mofcom, entity, prices, chips],
        watches: vec![
            WatchCount {
                watch: "export-controls".into(),
                stories: 2,
                more: 0,
                since: None,
            },
            WatchCount {
                watch: "rare-earths".into(),
                stories: 30,
                more: 28,
                since: Some(Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap()),
            },
            WatchCount {
                watch: "semiconductors".into(),
                stories: 2,
                more: 0,
                since: None,
            },
        ],
        changes: vec![
            Change {
                kind: "withdrawn".into(),
                detail: "no longer listed, while older items still are".into(),
                at: Utc.with_ymd_and_hms(2026, 11, 27, 14, 0, 0).unwrap(),
                title: "关于暂停部分镓锗物项出口许可审批的通知".into(),
                link: Some("https://example.gov/notice/0.html".into()),
                source: "mofcom".into(),
                role: SourceRole::Official,
                watches: vec!["export-controls".into()],
                show: "sigwatch show 4107".into(),
                diff: vec![],
            },
            Change {
                kind: "edited".into(),
                detail: "text changed".into(),
                at: Utc.with_ymd_and_hms(2026, 11, 27, 16, 0, 0).unwrap(),
                title: "关于对镓、锗相关物项实施出口管制的公告".into(),
                link: Some("https://example.gov/notice/3.html".into()),
                source: "mofcom".into(),
                role: SourceRole::Official,
                watches: vec!["export-controls".into(), "critical-minerals".into()],
                show: "sigwatch show 4093".into(),
                diff: vec![(
                    "text".into(),
                    "…本公告自[-公布之-]{+2026年12月1+}日起正式实施。".into(),
                )],
            },
        ],
        warnings: vec![
            Warning {
                source: "people-politics".into(),
                health: "stale".into(),
                detail: "answers, but its newest item is from 2025-06-05".into(),
            },
            Warning {
                source: "eu-trade".into(),
                health: "failing".into(),
                detail: "failing since 2026-11-25 06:00 UTC: HTTP 403 Forbidden".into(),
            },
        ],
        spikes: vec![
            "rare-earths: 14 items today against a daily mean of 2.1 (sd 1.3) over the previous 14 days"
                .into(),
        ],
        generated: Utc.with_ymd_and_hms(2026, 11, 28, 7, 0, 0).unwrap(),
        new_items: 38,
        stories: 32,
        zone: Some(chrono_tz::Asia::Shanghai),
        translation: None,
    }
}

fn main() -> std::io::Result<()> {
    let c = sample();
    std::fs::create_dir_all("docs")?;
    std::fs::write("docs/digest-sample.html", sigwatch::digest::html(&c))?;
    std::fs::write("docs/digest-sample.txt", sigwatch::digest::text(&c))?;
    println!("wrote docs/digest-sample.html and docs/digest-sample.txt");
    Ok(())
}
