//! Decode + parse throughput in MB/s of feed bytes: generated RSS (UTF-8 and GB18030) and
//! Atom feeds of 50 items, and, when the shared corpus is present (../shared/corpus), every
//! corpus feed that parses; and the sanitizer every polled item passes (`sanitize::item`) over
//! the items of those feeds, which are clean: its fast path. Run with `cargo bench --bench
//! parsing`.

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sigwatch::source::parse_feed;

const WORDS: &[&str] = &[
    "the", "ministry", "said", "on", "tuesday", "that", "trade", "talks", "would", "continue", "amid",
    "concerns", "over", "supply", "chains", "rare", "earth", "export", "controls",
];
const ZH: &[&str] = &[
    "国务院",
    "发布",
    "关于",
    "进一步",
    "加强",
    "稀土",
    "出口管制",
    "管理",
    "的",
    "通知",
];

fn words(seed: usize, n: usize, vocab: &[&str], sep: &str) -> String {
    (0..n)
        .map(|i| vocab[(seed * 31 + i * 7) % vocab.len()])
        .collect::<Vec<_>>()
        .join(sep)
}

fn rss(feed: usize, zh: bool) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>");
    s.push_str(&format!(
        "<title>bench {feed}</title><link>http://example.test/</link>"
    ));
    for k in 0..50 {
        let (v, sep) = if zh { (ZH, "") } else { (WORDS, " ") };
        s.push_str(&format!(
            "<item><title>{}</title><link>http://example.test/{feed}/{k}</link><guid>g-{feed}-{k}</guid>\
             <pubDate>Sat, 28 Nov 2026 08:{:02}:00 +0000</pubDate><description>&lt;p&gt;{}&lt;/p&gt;</description></item>",
            words(feed + k, 8, v, sep),
            k % 60,
            words(feed * 3 + k, 60, v, sep)
        ));
    }
    s.push_str("</channel></rss>");
    s
}

fn atom(feed: usize) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>bench</title><id>urn:bench</id><updated>2026-11-28T08:00:00Z</updated>",
    );
    for k in 0..50 {
        s.push_str(&format!(
            "<entry><title>{}</title><id>urn:e:{feed}:{k}</id><link href=\"http://example.test/{k}\"/>\
             <updated>2026-11-28T08:00:00Z</updated><summary type=\"html\">{}</summary></entry>",
            words(feed + k, 8, WORDS, " "),
            words(feed + 2 * k, 60, WORDS, " ")
        ));
    }
    s.push_str("</feed>");
    s
}

fn generated() -> Vec<(&'static str, Vec<Vec<u8>>)> {
    let utf8: Vec<Vec<u8>> = (0..20).map(|i| rss(i, false).into_bytes()).collect();
    let gb: Vec<Vec<u8>> = (0..20)
        .map(|i| {
            let text = rss(i, true).replace("encoding=\"UTF-8\"", "encoding=\"GB18030\"");
            encoding_rs::GB18030.encode(&text).0.into_owned()
        })
        .collect();
    let atom: Vec<Vec<u8>> = (0..20).map(|i| atom(i).into_bytes()).collect();
    vec![("rss-utf8", utf8), ("rss-gb18030", gb), ("atom", atom)]
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else if p
            .extension()
            .is_some_and(|x| x == "xml" || x == "rss" || x == "atom")
        {
            out.push(p);
        }
    }
}

fn corpus() -> Option<Vec<Vec<u8>>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !dir.is_dir() {
        eprintln!(
            "parsing bench: no corpus at {}, skipping the corpus group",
            dir.display()
        );
        return None;
    }
    let mut paths = Vec::new();
    files_under(&dir, &mut paths);
    paths.sort();
    let feeds: Vec<Vec<u8>> = paths
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .filter(|b| parse_feed(b, None, "http://example.test/").is_ok())
        .collect();
    eprintln!("parsing bench: {} corpus feeds parse", feeds.len());
    Some(feeds)
}

fn bench(c: &mut Criterion) {
    let mut sets = generated();
    if let Some(feeds) = corpus() {
        sets.push(("corpus", feeds));
    }
    let mut g = c.benchmark_group("decode+parse");
    for (name, feeds) in &sets {
        let bytes: usize = feeds.iter().map(Vec::len).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(*name, |b| {
            b.iter(|| {
                let mut items = 0;
                for f in feeds {
                    items += parse_feed(f, None, "http://example.test/").map_or(0, |p| p.items.len());
                }
                assert!(items > 0);
                items
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("sanitize");
    for (name, feeds) in &sets {
        let bytes: usize = feeds.iter().map(Vec::len).sum();
        let mut items: Vec<_> = feeds
            .iter()
            .filter_map(|f| parse_feed(f, None, "http://example.test/").ok())
            .flat_map(|p| p.items)
            .collect();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(*name, |b| {
            b.iter(|| {
                for it in &mut items {
                    sigwatch::sanitize::item(it);
                }
                items.len()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
