//! Store throughput in items/s: new items of 50-item feeds, about a fifth with a hit, saved
//! into a real SQLite file (WAL, full-text index) the way a poll saves them: one save per
//! source, and the same inside one batch of 16 sources. Run with `cargo bench --bench store`.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sigwatch::item::Item;
use sigwatch::store::{FetchRecord, NewHit, NewItem, Store};
use sigwatch::watch::{Field, Hit};

const SOURCES: usize = 16;

fn items(source: usize, round: u64) -> Vec<NewItem> {
    (0..50)
        .map(|k| {
            let hit = k % 5 == 0;
            let title = if hit {
                format!("China tightens rare earth export controls {source} {k}")
            } else {
                format!("The council met on tuesday to discuss the harvest {source} {k}")
            };
            let text = format!(
                "officials said the regional museum opened a new gallery by the river bridge; item {k} of \
                 source {source} in round {round}, with visitors, teachers and farmers in the province"
            );
            let hits = if hit {
                vec![NewHit {
                    hit: Hit {
                        watch: "rare-earths".into(),
                        term: "rare earth".into(),
                        field: Field::Title,
                        start: 15,
                        end: 25,
                        snippet: title.clone(),
                        snippet_match: (15, 25),
                    },
                    watch_version: "v1".into(),
                    score: 1.0,
                }]
            } else {
                vec![]
            };
            // Items with hits carry a signature, as the poller gives them, for folding.
            let signature = if hit {
                sigwatch::signals::signature(&title, &text)
            } else {
                None
            };
            let item = Item {
                guid: Some(format!("r{round}-s{source}-i{k}")),
                link: Some(format!("http://example.test/{source}/{round}/{k}")),
                title,
                summary: format!("<p>{text}</p>"),
                published: Some(chrono::Utc::now()),
                authors: vec![],
            };
            NewItem {
                signature,
                ..NewItem::new(item, text, hits)
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("bench.db")).unwrap();
    let names: Vec<String> = (0..SOURCES).map(|i| format!("s{i}")).collect();
    store
        .sync_sources(names.iter().map(|n| (n.as_str(), "http://example.test/feed")))
        .unwrap();
    let rec = FetchRecord::Fetched {
        etag: Some("\"e\"".into()),
        last_modified: None,
    };
    let mut round = 0u64;
    let mut g = c.benchmark_group("store");
    g.throughput(Throughput::Elements((SOURCES * 50) as u64));
    g.sample_size(20);
    g.bench_function("save per source", |b| {
        b.iter_batched(
            || {
                round += 1;
                (0..SOURCES).map(|s| items(s, round)).collect::<Vec<_>>()
            },
            |feeds| {
                for (name, feed) in names.iter().zip(&feeds) {
                    let stats = store.save(name, &rec, feed, chrono::Utc::now()).unwrap();
                    assert_eq!(stats.new_items, 50);
                }
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("save in a batch of 16 sources", |b| {
        b.iter_batched(
            || {
                round += 1;
                (0..SOURCES).map(|s| items(s, round)).collect::<Vec<_>>()
            },
            |feeds| {
                let batch = store.begin_batch().unwrap();
                for (name, feed) in names.iter().zip(&feeds) {
                    let stats = store.save(name, &rec, feed, chrono::Utc::now()).unwrap();
                    assert_eq!(stats.new_items, 50);
                }
                store.end_batch(batch).unwrap();
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
