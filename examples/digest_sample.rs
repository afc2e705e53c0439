//! Renders a realistic sample digest (English and Chinese items, several watches, a spike, a
//! failing and a stale source) to `docs/digest-sample.html` and `.txt`, for looking at the
//! layout: `cargo run --example digest_sample`, then screenshot the HTML.

use chrono::{TimeZone, Utc};
use sigwatch::digest::{Content, Entry, Section, Warning};

fn entry(title: &str, source: &str, day: u32, term: &str, snippet: &str, alerted: bool) -> Entry {
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
        alerted,
    }
}

/// The sample content, shared with the snapshot test.
pub fn sample() -> Content {
    let sections = vec![
        Section {
            watch: "export-controls".into(),
            by_source: vec![
                (
                    "mofcom".into(),
                    vec![entry(
                        "商务部 海关总署公告2026年第61号 关于对部分中重稀土相关物项实施出口管制的决定",
                        "mofcom",
                        27,
                        "出口管制",
                        "为维护国家安全和利益，履行防扩散等国际义务，决定对部分中重稀土相关物项实施出口管制。",
                        true,
                    )],
                ),
                (
                    "fedreg-bis".into(),
                    vec![entry(
                        "Additions to the Entity List",
                        "fedreg-bis",
                        26,
                        "Entity List",
                        "The Bureau of Industry and Security amends the Export Administration Regulations by adding 12 entities to the Entity List.",
                        false,
                    )],
                ),
            ],
            items: 2,
            hits: 3,
            more: 0,
            since: None,
        },
        Section {
            watch: "rare-earths".into(),
            by_source: vec![(
                "mining-com".into(),
                vec![
                    entry(
                        "Rare earth prices climb as China tightens supply",
                        "mining-com",
                        27,
                        "Rare earth",
                        "Rare earth oxide prices rose for a third week as exporters awaited licences.",
                        false,
                    ),
                    entry(
                        "Lynas lifts heavy rare earths output",
                        "mining-com",
                        25,
                        "rare earths",
                        "The company said separated heavy rare earths production rose 40% in the quarter.",
                        false,
                    ),
                ],
            )],
            items: 31,
            hits: 44,
            more: 29,
            since: Some(Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap()),
        },
        Section {
            watch: "semiconductors".into(),
            by_source: vec![(
                "cgtn-business".into(),
                vec![entry(
                    "China's chip output rises 12% in October",
                    "cgtn-business",
                    26,
                    "chip",
                    "Integrated circuit and chip output rose 12 percent year on year, the statistics bureau said.",
                    false,
                )],
            )],
            items: 1,
            hits: 2,
            more: 0,
            since: None,
        },
    ];
    Content {
        sections,
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
