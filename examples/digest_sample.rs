//! Renders a realistic sample digest (English and Chinese items, several watches, a story
//! carried by several sources, an edited notice, a withdrawal, a spike, a failing and a stale
//! source) to `docs/digest-sample.html` and `.txt`, for looking at the layout:
//! `cargo run --example digest_sample`, then screenshot the HTML.

use chrono::{TimeZone, Utc};
use sigwatch::digest::{Change, Content, Copy, Entry, Section, Warning};

fn entry(title: &str, source: &str, day: u32, term: &str, snippet: &str, score: f64) -> Entry {
    let at = snippet.find(term).unwrap_or(0);
    Entry {
        title: title.into(),
        link: Some(format!("https://example.gov/{}", title.len())),
        source: source.into(),
        date: Utc.with_ymd_and_hms(2026, 11, day, 8, 30, 0).unwrap(),
        term: term.into(),
        snippet: snippet.into(),
        snippet_match: (at, at + term.len()),
        more_terms: vec![],
        alerted: false,
        score,
        status: None,
        top: false,
        copies: vec![],
        gloss: None,
    }
}

fn copy(source: &str, link: &str) -> Copy {
    Copy {
        source: source.into(),
        link: Some(link.into()),
    }
}

/// The sample content.
pub fn sample() -> Content {
    let mut mofcom = entry(
        "商务部 海关总署公告2026年第61号 关于对部分中重稀土相关物项实施出口管制的决定",
        "mofcom",
        27,
        "出口管制",
        "为维护国家安全和利益，履行防扩散等国际义务，决定对部分中重稀土相关物项实施出口管制。",
        3.0,
    );
    mofcom.alerted = true;
    mofcom.top = true;
    mofcom.more_terms = vec!["稀土".into()];
    let mut xinhua = entry(
        "China announces export controls on some medium and heavy rare earth items",
        "xinhua-en",
        27,
        "export controls",
        "China will impose export controls on some medium and heavy rare earth items, the Ministry of Commerce said Thursday.",
        3.0,
    );
    xinhua.top = true;
    xinhua.copies = vec![
        copy("globaltimes", "https://www.globaltimes.cn/page/202611/1.shtml"),
        copy("chinadaily", "https://www.chinadaily.com.cn/a/202611/27/1.html"),
        copy("cgtn-business", "https://news.cgtn.com/news/2026-11-27/1.html"),
    ];
    let mut entity = entry(
        "Additions to the Entity List",
        "fedreg-bis",
        26,
        "Entity List",
        "The Bureau of Industry and Security amends the Export Administration Regulations by adding 12 entities to the Entity List.",
        1.5,
    );
    entity.status = Some("edited".into());
    entity.top = true;
    let sections = vec![
        Section {
            watch: "export-controls".into(),
            entries: vec![mofcom.clone(), xinhua.clone(), entity],
            items: 3,
            hits: 8,
            more: 0,
            since: None,
        },
        Section {
            watch: "rare-earths".into(),
            entries: vec![
                mofcom,
                xinhua,
                entry(
                    "Rare earth prices climb as China tightens supply",
                    "mining-com",
                    27,
                    "Rare earth",
                    "Rare earth oxide prices rose for a third week as exporters awaited licences.",
                    1.0,
                ),
            ],
            items: 31,
            hits: 44,
            more: 28,
            since: Some(Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap()),
        },
        Section {
            watch: "semiconductors".into(),
            entries: vec![entry(
                "China's chip output rises 12% in October",
                "cgtn-business",
                26,
                "chip",
                "Integrated circuit and chip output rose 12 percent year on year, the statistics bureau said.",
                0.5,
            )],
            items: 1,
            hits: 2,
            more: 0,
            since: None,
        },
    ];
    Content {
        sections,
        changes: vec![Change {
            kind: "withdrawn".into(),
            detail: "no longer listed, while older items still are".into(),
            at: Utc.with_ymd_and_hms(2026, 11, 27, 14, 0, 0).unwrap(),
            title: "关于暂停部分镓锗物项出口许可审批的通知".into(),
            link: Some("https://example.gov/notice/0.html".into()),
            source: "mofcom".into(),
            watches: vec!["export-controls".into()],
            show: "sigwatch show 4107".into(),
        }],
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
            "rare-earths: 14 hits today against a daily mean of 2.1 (sd 1.3) over the previous 14 days"
                .into(),
        ],
        generated: Utc.with_ymd_and_hms(2026, 11, 28, 7, 0, 0).unwrap(),
        new_items: 3,
        zone: None,
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
