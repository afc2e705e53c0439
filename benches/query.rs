//! Query benchmark: fills a database with 1,000,000 items and 100,000 hits, then times
//! `hits --search`, `hits --watch --since` and `stats` through the real binary.
//!
//! Run with `cargo bench --bench query`. The database is built once and kept at
//! `target/bench-query/sigwatch.db` (delete it to rebuild); building takes a few minutes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{Duration as Days, Utc};
use sigwatch::item::Item;
use sigwatch::store::{FetchRecord, NewHit, NewItem, Store};
use sigwatch::watch::{Field, Hit};

const ITEMS: usize = 1_000_000;
const HITS_EVERY: usize = 10; // one item in ten carries a hit: 100,000 hits
const SOURCES: usize = 200;
const BATCH: usize = 5_000;
const WATCHES: [(&str, &str); 5] = [
    ("rare-earths", "稀土"),
    ("semiconductors", "semiconductor"),
    ("ai", "artificial intelligence"),
    ("photovoltaics", "光伏"),
    ("export-controls", "export controls"),
];
const FILLER_EN: &[&str] = &[
    "ministry",
    "said",
    "on",
    "tuesday",
    "that",
    "trade",
    "talks",
    "would",
    "continue",
    "with",
    "partners",
    "officials",
    "market",
    "growth",
    "policy",
    "new",
    "rules",
    "industry",
    "report",
    "quarterly",
];
const FILLER_ZH: &[&str] = &[
    "国务院",
    "发布",
    "关于",
    "进一步",
    "加强",
    "管理",
    "的",
    "通知",
    "经济",
    "发展",
    "会议",
    "部署",
];

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-query");
    std::fs::create_dir_all(&dir).expect("bench folder");
    let db = dir.join("sigwatch.db");
    let config = dir.join("sigwatch.toml");
    std::fs::write(&config, "[storage]\npath = \"sigwatch.db\"\n").expect("config");
    if !db.exists() {
        let t = Instant::now();
        fill(&db);
        println!(
            "filled {} with {ITEMS} items and {} hits in {:.1?}",
            db.display(),
            ITEMS / HITS_EVERY,
            t.elapsed()
        );
    }
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    println!("database: {:.0} MiB", size as f64 / 1048576.0);
    let cases: &[(&str, &[&str])] = &[
        (
            "hits --search 稀土出口",
            &["hits", "--search", "稀土出口", "--format", "json"],
        ),
        (
            "hits --search \"export controls\"",
            &["hits", "--search", "export controls", "--format", "json"],
        ),
        (
            "hits --search 光伏 (2 chars)",
            &["hits", "--search", "光伏", "--format", "json"],
        ),
        (
            "hits --search (rare phrase)",
            &["hits", "--search", "部署通知经济", "--format", "json"],
        ),
        (
            "hits --search (no match)",
            &["hits", "--search", "nowhere-to-be-found", "--format", "json"],
        ),
        (
            "hits --watch ai --since 30d",
            &["hits", "--watch", "ai", "--since", "30d", "--format", "json"],
        ),
        ("hits (newest 50)", &["hits", "--format", "json"]),
        ("stats --by watch", &["stats", "--format", "json"]),
        (
            "stats --by source --since 7d",
            &["stats", "--by", "source", "--since", "7d", "--format", "json"],
        ),
        (
            "stats --by day --since 30d",
            &["stats", "--by", "day", "--since", "30d", "--format", "json"],
        ),
    ];
    println!("{:<36} {:>10} {:>10} {:>10}", "command", "median", "min", "max");
    for (name, args) in cases {
        let mut times = time_runs(&config, args, 7);
        times.sort();
        println!(
            "{name:<36} {:>8.1}ms {:>8.1}ms {:>8.1}ms",
            ms(times[times.len() / 2]),
            ms(times[0]),
            ms(times[times.len() - 1])
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn time_runs(config: &Path, args: &[&str], n: usize) -> Vec<Duration> {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            let out = Command::new(env!("CARGO_BIN_EXE_sigwatch"))
                .arg("--config")
                .arg(config)
                .args(args)
                .output()
                .expect("run sigwatch");
            let d = t.elapsed();
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            d
        })
        .collect()
}

/// A small deterministic generator, so every run builds the same database.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

fn fill(db: &Path) {
    let mut store = Store::open(db).expect("open");
    let names: Vec<String> = (0..SOURCES).map(|i| format!("source-{i:03}")).collect();
    let urls: Vec<String> = names
        .iter()
        .map(|n| format!("http://127.0.0.1:9/{n}.xml"))
        .collect();
    store
        .sync_sources(
            names
                .iter()
                .map(String::as_str)
                .zip(urls.iter().map(String::as_str)),
        )
        .expect("sync");
    let mut rng = Rng(0x9e3779b97f4a7c15);
    let now = Utc::now();
    let rec = FetchRecord::Fetched {
        etag: None,
        last_modified: None,
    };
    let mut n = 0;
    while n < ITEMS {
        let source = &names[(n / BATCH) % SOURCES];
        let batch: Vec<NewItem> = (n..(n + BATCH).min(ITEMS))
            .map(|i| {
                let zh = i % 3 == 0;
                let words: Vec<&str> = (0..12)
                    .map(|_| rng.pick(if zh { FILLER_ZH } else { FILLER_EN }))
                    .collect();
                let sep = if zh { "" } else { " " };
                let mut title = words[..6].join(sep);
                let text = words.join(sep).repeat(3);
                let mut hits = Vec::new();
                if i % HITS_EVERY == 0 {
                    let (watch, term) = WATCHES[(i / HITS_EVERY) % WATCHES.len()];
                    let start = title.chars().count() + 1;
                    title = format!(
                        "{title} {term}{}",
                        if watch == "rare-earths" { "出口" } else { "" }
                    );
                    hits.push(NewHit {
                        hit: Hit {
                            watch: watch.into(),
                            term: term.into(),
                            field: Field::Title,
                            start,
                            end: start + term.chars().count(),
                            snippet: title.clone(),
                            snippet_match: (0, 0),
                        },
                        watch_version: "bench".into(),
                        score: 1.0,
                    });
                }
                // Items spread over the last two years, newest first.
                let published = now - Days::minutes((i as i64) + (rng.next() % 60) as i64);
                NewItem::new(
                    Item {
                        guid: Some(format!("bench-{i}")),
                        link: Some(format!("https://example.test/{i}")),
                        title,
                        summary: text.clone(),
                        published: Some(published),
                        authors: vec![],
                    },
                    text,
                    hits,
                )
            })
            .collect();
        store.save(source, &rec, &batch, now).expect("save");
        n += BATCH;
    }
}
