//! Matching throughput in MB/s of item text, with the shipped default watchlists and with
//! 1,000 extra terms. Run with `cargo bench --bench matching`.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sigwatch::config::Config;
use sigwatch::watch::{Field, Matcher, WatchSpec, Watches};

const EN: &[&str] = &[
    "The",
    "ministry",
    "said",
    "on",
    "Tuesday",
    "that",
    "trade",
    "talks",
    "with",
    "partners",
    "would",
    "continue",
    "amid",
    "concerns",
    "over",
    "supply",
    "chains",
    "for",
    // Not "critical": "critical minerals" is a term of the shipped lists, and the filler
    // must leave the signals to the one item in five that carries one.
    "key",
    "minerals",
    "and",
    "advanced",
    "technology",
    "officials",
    "market",
    "growth",
    "policy",
    "new",
    "rules",
    "industry",
];
const ZH: &[&str] = &[
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
    "企业",
];
const SIGNALS: &[&str] = &[
    "rare-earth",
    "semiconductor",
    "AI",
    "photovoltaic",
    "export controls",
    "稀土",
    "芯片",
    "光伏",
];

/// About 1 KB items, one in five carrying a watch term, English and Chinese mixed 2:1, some
/// with HTML.
fn items(n: usize) -> Vec<String> {
    let mut seed = 0x2545F4914F6CDD1Du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    (0..n)
        .map(|i| {
            let zh = i % 3 == 0;
            let mut s = String::with_capacity(1100);
            if i % 4 == 0 {
                s.push_str("<p>");
            }
            while s.len() < 1000 {
                let words = if zh { ZH } else { EN };
                s.push_str(words[(next() % words.len() as u64) as usize]);
                if !zh {
                    s.push(' ');
                }
                if next() % 40 == 0 {
                    s.push_str(if zh { "。" } else { ". " });
                }
            }
            if i % 5 == 0 {
                s.push_str(SIGNALS[i / 5 % SIGNALS.len()]);
                s.push_str(" end.");
            }
            s
        })
        .collect()
}

fn default_watches() -> Watches {
    let cfg = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/sigwatch.toml");
    Config::load(&cfg).expect("the default config loads").watch
}

fn bench(c: &mut Criterion) {
    let items = items(2000);
    let bytes: usize = items.iter().map(String::len).sum();
    let mut group = c.benchmark_group("match");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(20);

    let defaults = Matcher::new(&default_watches()).expect("compiles");
    let with_hits = items
        .iter()
        .filter(|t| !defaults.find_in(Field::Summary, t).is_empty())
        .count();
    eprintln!("{with_hits} of {} items have hits", items.len());
    // Criterion times the wall clock, which on a shared machine counts other processes' turns
    // too; the CPU time this thread spends says what one core does.
    let rounds = 20;
    let cpu = thread_cpu_seconds();
    for _ in 0..rounds {
        let n: usize = items
            .iter()
            .map(|t| defaults.find_in(Field::Summary, t).len())
            .sum();
        std::hint::black_box(n);
    }
    let cpu = thread_cpu_seconds() - cpu;
    eprintln!(
        "default watchlists: {:.0} MiB/s of CPU time ({rounds} rounds of {:.1} MiB)",
        (rounds * bytes) as f64 / cpu / (1024.0 * 1024.0),
        bytes as f64 / (1024.0 * 1024.0)
    );
    group.bench_function("default watchlists", |b| {
        b.iter(|| {
            items
                .iter()
                .map(|t| defaults.find_in(Field::Summary, t).len())
                .sum::<usize>()
        })
    });

    let mut many = default_watches();
    let terms: Vec<String> = (0..1000)
        .map(|i| format!("term{i} zq{}", i * 7919 % 1000))
        .collect();
    many.insert(
        "bulk".into(),
        WatchSpec {
            terms,
            exclude: vec![],
            case_sensitive: vec![],
            near: vec![],
            ..Default::default()
        },
    );
    let big = Matcher::new(&many).expect("compiles");
    group.bench_function("defaults + 1000 terms", |b| {
        b.iter(|| {
            items
                .iter()
                .map(|t| big.find_in(Field::Summary, t).len())
                .sum::<usize>()
        })
    });
    group.finish();
}

/// User and system CPU time of this thread so far, in seconds.
fn thread_cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct it is given and reads nothing else.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

criterion_group!(benches, bench);
criterion_main!(benches);
