use chrono::{Duration, TimeZone, Utc};

use super::*;
use crate::item::Item;
use crate::watch::{Field, Hit};

/// An item with one hit of `rare-earths` in its title (also used by `stories`' and
/// `fold_index`'s tests).
pub(super) fn item(guid: &str, title: &str, text: &str) -> NewItem {
    NewItem::new(
        Item {
            guid: Some(guid.into()),
            link: Some(format!("http://example.test/{guid}")),
            title: title.into(),
            summary: text.into(),
            published: Some(Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap()),
            authors: vec![],
        },
        text.into(),
        vec![NewHit {
            hit: Hit {
                watch: "rare-earths".into(),
                term: "稀土".into(),
                field: Field::Title,
                start: 0,
                end: 2,
                snippet: title.into(),
                snippet_match: (0, 6),
            },
            watch_version: "v1".into(),
            score: 1.0,
        }],
    )
}

/// A fetch that brought a body without validators (also used by `signals`' and `batch`'s
/// tests).
pub(super) fn fetched() -> FetchRecord {
    FetchRecord::Fetched {
        etag: None,
        last_modified: None,
    }
}

/// An item with a hit and a signature; items of one `story` are near copies.
pub(super) fn story_item(guid: &str, story: usize) -> NewItem {
    let title = format!("稀土出口管制新规 第{story}号公告");
    let text = format!("商务部决定对稀土相关物项实施出口管制，第{story}号公告自公布之日起施行 {guid}");
    let mut it = item(guid, &title, &text);
    it.signature = crate::signals::signature(&title, &text);
    it
}

/// A store in a temporary directory with `n` sources, and their names.
pub(super) fn with_sources(n: usize) -> (tempfile::TempDir, Store, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("t.db")).unwrap();
    let names: Vec<String> = (0..n).map(|i| format!("s{i}")).collect();
    store
        .sync_sources(names.iter().map(|n| (n.as_str(), "http://x.test/")))
        .unwrap();
    (dir, store, names)
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("sub/dir/t.db")).unwrap();
    s.sync_sources([("a", "http://a.test/feed")]).unwrap();
    (dir, s)
}

/// The search index's `hashsize`: how much it gathers in memory before writing a segment.
fn fts_hashsize(s: &Store) -> i64 {
    s.conn
        .query_row("SELECT v FROM items_fts_config WHERE k = 'hashsize'", [], |r| {
            r.get(0)
        })
        .unwrap()
}

#[test]
fn migrates_once_and_reopens() {
    let (dir, s) = open();
    assert_eq!(s.schema_version().unwrap(), schema::MIGRATIONS.len() as i64);
    let page_size = |s: &Store| -> i64 {
        s.conn
            .pragma_query_value(None, "page_size", |r| r.get(0))
            .unwrap()
    };
    assert_eq!(page_size(&s), 16384, "a new database's pages");
    assert_eq!(
        fts_hashsize(&s),
        4 << 20,
        "the search index gathers 4 MB before writing a segment"
    );
    drop(s);
    let s = Store::open(&dir.path().join("sub/dir/t.db")).unwrap();
    assert_eq!(s.sources().unwrap().len(), 1);
    drop(s);
    // A database made with SQLite's default pages keeps them.
    let old = dir.path().join("old.db");
    rusqlite::Connection::open(&old)
        .unwrap()
        .execute_batch("CREATE TABLE t(x)")
        .unwrap();
    let s = Store::open(&old).unwrap();
    assert_eq!(page_size(&s), 4096);
    assert_eq!(s.integrity_check().unwrap(), vec!["ok".to_string()]);
}

#[test]
fn a_database_of_schema_11_is_upgraded_keeping_its_items() {
    let (dir, mut s) = open();
    let rec = fetched();
    let now = Utc::now();
    s.save("a", &rec, &[item("1", "稀土出口管制", "全文")], now)
        .unwrap();
    // Back to schema 11: migration 12 set the search index's hashsize.
    s.conn
        .execute_batch("DELETE FROM items_fts_config WHERE k = 'hashsize'; PRAGMA user_version = 11;")
        .unwrap();
    drop(s);
    let mut s = Store::open(&dir.path().join("sub/dir/t.db")).unwrap();
    assert_eq!(s.schema_version().unwrap(), schema::MIGRATIONS.len() as i64);
    assert_eq!(fts_hashsize(&s), 4 << 20);
    assert_eq!(s.search_items("稀土", 10).unwrap().len(), 1);
    // Items stored after the upgrade are indexed beside the old ones.
    s.save("a", &rec, &[item("2", "稀土永磁", "全文")], now).unwrap();
    assert_eq!(s.search_items("稀土", 10).unwrap().len(), 2);
    assert_eq!(s.integrity_check().unwrap(), vec!["ok".to_string()]);
}

#[test]
fn saving_the_same_items_twice_adds_nothing() {
    let (_d, mut s) = open();
    let now = Utc::now();
    let rec = FetchRecord::Fetched {
        etag: Some("\"x\"".into()),
        last_modified: None,
    };
    let items = vec![item("1", "稀土出口管制新规", "正文"), item("2", "other", "x")];
    let first = s.save("a", &rec, &items, now).unwrap();
    assert_eq!(
        first,
        SaveStats {
            new_items: 2,
            new_hits: 2,
            ..Default::default()
        }
    );
    let second = s.save("a", &rec, &items, now).unwrap();
    assert_eq!(second, SaveStats::default());
    // A source synced but never saved, beside it, has nothing stored.
    s.sync_sources([("a", "http://a.test/feed"), ("b", "http://b.test/feed")])
        .unwrap();
    let states = s.source_states().unwrap();
    assert_eq!(states.len(), 2);
    let st = &states["a"];
    assert_eq!(st.etag.as_deref(), Some("\"x\""));
    assert!(st.has_items);
    assert_eq!(states["b"].url, "http://b.test/feed");
    assert!(!states["b"].has_items && states["b"].etag.is_none());
}

#[test]
fn failures_count_up_and_success_resets() {
    let (_d, mut s) = open();
    let now = Utc::now();
    s.record_fetch(
        "a",
        &FetchRecord::Failed {
            error: "timed out".into(),
        },
        now,
    )
    .unwrap();
    s.record_fetch(
        "a",
        &FetchRecord::Failed {
            error: "HTTP 404".into(),
        },
        now,
    )
    .unwrap();
    let row = &s.sources().unwrap()[0];
    assert_eq!(row.consecutive_failures, 2);
    assert_eq!(row.last_error.as_deref(), Some("HTTP 404"));
    assert_eq!(row.last_status.as_deref(), Some("error"));
    s.record_fetch("a", &FetchRecord::NotModified, now).unwrap();
    let row = &s.sources().unwrap()[0];
    assert_eq!(row.consecutive_failures, 0);
    assert_eq!(row.last_status.as_deref(), Some("not-modified"));
    assert!(s.record_fetch("nope", &FetchRecord::NotModified, now).is_err());
}

#[test]
fn hits_filter_and_order() {
    let (_d, mut s) = open();
    let now = Utc::now();
    let rec = fetched();
    let mut older = item("old", "稀土 old", "");
    older.item.published = Some(now - Duration::days(30));
    let mut newer = item("new", "稀土 new", "");
    newer.item.published = Some(now - Duration::days(1));
    s.save("a", &rec, &[older, newer], now).unwrap();
    let all = s.hits(&HitQuery::default()).unwrap();
    assert_eq!(
        all.iter().map(|h| h.title.as_str()).collect::<Vec<_>>(),
        ["稀土 new", "稀土 old"]
    );
    let recent = s
        .hits(&HitQuery {
            since: Some(now - Duration::days(7)),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(recent.len(), 1);
    let none = s
        .hits(&HitQuery {
            watches: vec!["ai".into()],
            ..Default::default()
        })
        .unwrap();
    assert!(none.is_empty());
    let limited = s
        .hits(&HitQuery {
            limit: Some(1),
            sources: vec!["a".into()],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(limited.len(), 1);
}

#[test]
fn full_text_search_finds_chinese_substrings_and_english() {
    let (_d, mut s) = open();
    let rec = fetched();
    s.save(
        "a",
        &rec,
        &[
            item("1", "商务部公告：对部分中重稀土相关物项实施出口管制", "全文"),
            item("2", "New export rules", "on chips"),
        ],
        Utc::now(),
    )
    .unwrap();
    assert_eq!(s.search_items("稀土", 10).unwrap().len(), 1);
    assert_eq!(s.search_items("中重稀土", 10).unwrap().len(), 1);
    assert_eq!(s.search_items("export", 10).unwrap().len(), 1);
    assert_eq!(s.search_items("on chips", 10).unwrap().len(), 1);
    assert!(s.search_items("\"quoted\" OR x", 10).unwrap().is_empty());
    // The index knows no positions: an item with every piece of a needle, though not the
    // needle, is checked and left out.
    s.save(
        "a",
        &rec,
        &[item("3", "稀土 news", "a rare eagle; the earth")],
        Utc::now(),
    )
    .unwrap();
    assert!(s.search_items("rare earth", 10).unwrap().is_empty());
    assert_eq!(s.search_items("RARE EAGLE", 10).unwrap(), vec![3], "case aside");
    assert_eq!(s.search_items("部分中重稀土相关", 10).unwrap(), vec![1]);
    assert!(s.search_items("出口管制稀土", 10).unwrap().is_empty());
}

#[test]
fn read_only_open_sees_writes() {
    let (d, mut s) = open();
    s.save(
        "a",
        &FetchRecord::NotModified,
        &[item("1", "稀土", "")],
        Utc::now(),
    )
    .unwrap();
    let r = Store::open_read_only(&d.path().join("sub/dir/t.db")).unwrap();
    assert_eq!(r.hits(&HitQuery::default()).unwrap().len(), 1);
}

#[test]
fn a_moved_url_survives_sync_until_the_config_url_changes() {
    let (_d, mut s) = open();
    s.move_source("a", "http://a.test/new").unwrap();
    s.disable_source("a", "HTTP 410 Gone").unwrap();
    s.sync_sources([("a", "http://a.test/feed")]).unwrap();
    let row = &s.schedule_rows().unwrap()[0];
    assert_eq!(row.url, "http://a.test/new");
    assert_eq!(row.disabled_reason.as_deref(), Some("HTTP 410 Gone"));
    s.sync_sources([("a", "http://a.test/other")]).unwrap();
    let row = &s.schedule_rows().unwrap()[0];
    assert_eq!(row.url, "http://a.test/other");
    assert_eq!(row.disabled_reason, None);
}

#[test]
fn failing_since_marks_the_first_failure_of_a_streak() {
    let (_d, mut s) = open();
    let t0 = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let fail = FetchRecord::Failed { error: "x".into() };
    s.record_fetch("a", &fail, t0).unwrap();
    s.record_fetch("a", &fail, t0 + Duration::hours(1)).unwrap();
    assert_eq!(s.schedule_rows().unwrap()[0].failing_since, Some(t0));
    s.record_fetch("a", &FetchRecord::NotModified, t0 + Duration::hours(2))
        .unwrap();
    assert_eq!(s.schedule_rows().unwrap()[0].failing_since, None);
    s.set_next_poll("a", t0).unwrap();
    assert_eq!(s.schedule_rows().unwrap()[0].next_poll, Some(t0));
}

#[test]
fn pruning_takes_revisions_events_and_signatures_along() {
    let (_d, mut s) = open();
    s.sync_sources([("b", "http://b.test/feed")]).unwrap();
    let old = Utc::now() - Duration::days(400);
    let rec = fetched();
    let with_sig = |guid: &str, text: &str| {
        let mut it = item(guid, "稀土出口管制新规", text);
        it.item.published = Some(old);
        it.signature = crate::signals::signature(&it.item.title, text);
        it
    };
    s.save("a", &rec, &[with_sig("1", "商务部决定对稀土实施出口管制")], old)
        .unwrap();
    let folded = s
        .save("b", &rec, &[with_sig("2", "商务部决定对稀土实施出口管制")], old)
        .unwrap();
    assert_eq!(folded.folded, 1, "a copy from another source folds");
    let edited = s
        .save(
            "a",
            &rec,
            &[with_sig("1", "商务部决定暂停对稀土实施出口管制")],
            old,
        )
        .unwrap();
    assert_eq!(edited.edited, 1);
    let count = |s: &Store, t: &str| -> i64 {
        s.conn
            .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(count(&s, "revisions"), 1);
    assert_eq!(count(&s, "events"), 1);
    assert_eq!(count(&s, "signatures"), 2);
    assert_eq!(s.story(1).unwrap().len(), 2);
    s.prune(Utc::now() - Duration::days(30), true).unwrap();
    for t in ["items", "hits", "revisions", "events", "signatures"] {
        assert_eq!(count(&s, t), 0, "{t}");
    }
}

#[test]
fn many_copies_of_one_story_fold_into_it_and_a_reopened_store_still_finds_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let names: Vec<String> = (0..60).map(|i| format!("s{i}")).collect();
    let rec = fetched();
    let copy = |guid: &str| {
        let text = "商务部决定对稀土相关物项实施出口管制，自公布之日起施行";
        let mut it = item(guid, "稀土出口管制新规", text);
        it.signature = crate::signals::signature(&it.item.title, text);
        it
    };
    let now = Utc::now();
    let mut folded = 0;
    for (i, n) in names.iter().enumerate() {
        // Each copy is saved by a store opened afresh, which loads the index from disk.
        let mut s = Store::open(&path).unwrap();
        s.sync_sources([(n.as_str(), "http://x.test/")]).unwrap();
        folded += s.save(n, &rec, &[copy(&format!("g{i}"))], now).unwrap().folded;
    }
    assert_eq!(folded, 59);
    let s = Store::open(&path).unwrap();
    assert_eq!(s.story(1).unwrap().len(), 60);
}

#[test]
fn a_copy_of_a_copy_joins_the_first_items_story_before_and_after_a_reload() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let rec = fetched();
    // Signatures set by hand: B shares 88 of 128 values with A (0.69), C shares 88 with B
    // (0.69) but only 48 with A (0.38), D is C again.
    let a: Vec<u32> = (0..128).collect();
    let mut b = a.clone();
    b[88..].iter_mut().for_each(|v| *v += 1000);
    let mut c = b.clone();
    c[..40].iter_mut().for_each(|v| *v += 2000);
    let with = |guid: &str, sig: &[u32]| {
        let mut it = item(guid, "稀土出口管制新规", "text");
        it.signature = Some(sig.to_vec());
        it
    };
    let place = |s: &Store, guid: &str| -> (Option<i64>, Option<i64>) {
        s.conn
            .query_row(
                "SELECT story_id, folded_into FROM items WHERE uid = ?1",
                [format!("guid:{guid}")],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    };
    let now = Utc::now();
    let mut s = Store::open(&path).unwrap();
    s.sync_sources([
        ("a", "http://a.test/"),
        ("b", "http://b.test/"),
        ("c", "http://c.test/"),
        ("d", "http://d.test/"),
    ])
    .unwrap();
    assert_eq!(s.save("a", &rec, &[with("A", &a)], now).unwrap().folded, 0);
    assert_eq!(place(&s, "A"), (None, None), "a story of one is not marked");
    assert_eq!(s.save("b", &rec, &[with("B", &b)], now).unwrap().folded, 1);
    assert_eq!(
        place(&s, "A"),
        (Some(1), None),
        "the first item is marked as its story's"
    );
    assert_eq!(place(&s, "B"), (Some(1), Some(1)));
    assert_eq!(s.save("c", &rec, &[with("C", &c)], now).unwrap().folded, 1);
    assert_eq!(
        place(&s, "C"),
        (Some(1), Some(2)),
        "C is closest to B, in A's story"
    );
    drop(s);
    // A store opened afresh loads the index, stories included, from the database.
    let mut s = Store::open(&path).unwrap();
    assert_eq!(s.save("d", &rec, &[with("D", &c)], now).unwrap().folded, 1);
    assert_eq!(place(&s, "D"), (Some(1), Some(3)));
    assert_eq!(s.story(4).unwrap().len(), 4);
    // Saved again, a stored item is revisited, not folded a second time.
    assert_eq!(s.save("d", &rec, &[with("D", &c)], now).unwrap().folded, 0);
    // A daemon about to nap lets go of the index and SQLite's caches;
    // the next batch brings each back, and a copy still finds its story.
    s.release_memory();
    let batch = s.begin_batch().unwrap();
    let saved = s.save("a", &rec, &[with("E", &c)], now).unwrap();
    s.end_batch(batch).unwrap();
    assert_eq!(saved.folded, 1);
    assert_eq!(place(&s, "E").0, Some(1));
    s.release_memory();
    assert_eq!(s.story(4).unwrap().len(), 5);
}

#[test]
fn an_item_found_by_search_as_soon_as_it_has_a_hit_new_or_edited() {
    let (_d, mut s) = open();
    s.sync_sources([("a", "http://a.test/")]).unwrap();
    let rec = fetched();
    let mut quiet = item("1", "weather report", "sunny spells");
    quiet.hits.clear();
    s.save("a", &rec, &[quiet], Utc::now()).unwrap();
    assert!(
        s.search_items("weather", 10).unwrap().is_empty(),
        "no hit, not indexed"
    );
    // Edited to name a watched term, it gains a hit and is indexed with its new text.
    let edited = item("1", "稀土 weather report", "rare earth quotas");
    assert_eq!(s.save("a", &rec, &[edited], Utc::now()).unwrap().edited, 1);
    assert_eq!(s.search_items("earth quotas", 10).unwrap(), vec![1]);
    assert!(s.search_items("sunny", 10).unwrap().is_empty());
    // A new item with a hit is indexed in the same save, in a batch or not.
    let batch = s.begin_batch().unwrap();
    s.save(
        "a",
        &rec,
        &[item("2", "稀土出口管制", "gallium licences")],
        Utc::now(),
    )
    .unwrap();
    s.end_batch(batch).unwrap();
    assert_eq!(s.search_items("gallium licences", 10).unwrap(), vec![2]);
    assert_eq!(s.integrity_check().unwrap(), vec!["ok".to_string()]);
}

/// Whether the index of hits by date exists, and whether the newest-hits query uses it.
fn hits_by_date(s: &Store) -> (bool, bool) {
    let present = s
        .conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'hits_date')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let plan: Vec<String> = s
        .conn
        .prepare(
            "EXPLAIN QUERY PLAN SELECT id FROM hits WHERE item_date >= 0 ORDER BY item_date DESC LIMIT 5",
        )
        .unwrap()
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    (present, plan.iter().any(|p| p.contains("hits_date")))
}

#[test]
fn a_bulk_load_builds_the_index_of_hits_by_date_at_its_end_or_at_the_next_open() {
    let (dir, mut s) = open();
    assert_eq!(hits_by_date(&s), (true, true));
    let now = Utc::now();
    let rec = fetched();
    s.begin_bulk().unwrap();
    assert_eq!(hits_by_date(&s), (false, false), "dropped for the load");
    let mut older = item("old", "稀土 old", "");
    older.item.published = Some(now - Duration::days(30));
    let newer = item("new", "稀土 new", "");
    let batch = s.begin_batch().unwrap();
    s.save("a", &rec, &[older, newer], now).unwrap();
    s.end_batch(batch).unwrap();
    s.end_bulk().unwrap();
    assert_eq!(
        hits_by_date(&s),
        (true, true),
        "built again, holding the load's hits"
    );
    let titles: Vec<String> = s
        .hits(&HitQuery::default())
        .unwrap()
        .into_iter()
        .map(|h| h.title)
        .collect();
    assert_eq!(titles, ["稀土 new", "稀土 old"]);
    let n: i64 = s
        .conn
        .query_row(
            "SELECT count(*) FROM hits INDEXED BY hits_date WHERE item_date >= 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 2);
    s.end_bulk().unwrap();
    // A load cut short: the next store opened for writing builds it.
    s.begin_bulk().unwrap();
    drop(s);
    let s = Store::open(&dir.path().join("sub/dir/t.db")).unwrap();
    assert_eq!(hits_by_date(&s), (true, true));
}

#[test]
fn a_bulk_load_indexes_its_items_for_search_at_its_end_or_at_the_next_open() {
    let (dir, mut s) = open();
    let path = dir.path().join("sub/dir/t.db");
    let rec = fetched();
    let now = Utc::now();
    let searched = |needle: &str| {
        Store::open_read_only(&path)
            .unwrap()
            .search_items(needle, 10)
            .unwrap()
    };
    let listed = |s: &Store| -> i64 {
        s.conn
            .query_row("SELECT count(*) FROM unindexed", [], |r| r.get(0))
            .unwrap()
    };
    // Stored before the load without hits; the load brings its first hit (an edit).
    let mut quiet = item("edited", "出口许可 weekly", "");
    quiet.hits.clear();
    s.save("a", &rec, &[quiet], now).unwrap();

    s.begin_bulk().unwrap();
    let batch = s.begin_batch().unwrap();
    s.save(
        "a",
        &rec,
        &[
            item("new", "稀土出口管制 new", ""),
            item("edited", "稀土出口管制 edited", ""),
        ],
        now,
    )
    .unwrap();
    s.end_batch(batch).unwrap();
    assert_eq!(listed(&s), 2, "both listed, neither indexed yet");
    assert!(searched("稀土出口管制").is_empty());
    s.end_bulk().unwrap();
    assert_eq!(listed(&s), 0);
    assert_eq!(searched("稀土出口管制").len(), 2);
    // After the load, items are indexed as they are saved.
    s.save("a", &rec, &[item("after", "稀土出口管制 after", "")], now)
        .unwrap();
    assert_eq!(listed(&s), 0);
    assert_eq!(searched("稀土出口管制").len(), 3);

    // Foreign keys go unchecked during a load, and are checked again after it; the integrity
    // check finds a reference that dangles.
    let checks_keys = |s: &Store| -> bool {
        s.conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap()
    };
    assert!(checks_keys(&s));
    s.begin_bulk().unwrap();
    assert!(!checks_keys(&s));
    s.conn
        .execute("INSERT INTO signatures(item_id, sig) VALUES (999999, x'00')", [])
        .unwrap();
    s.end_bulk().unwrap();
    assert!(checks_keys(&s));
    assert_eq!(
        s.integrity_check().unwrap(),
        ["foreign key: row 999999 of signatures refers to a missing row of items"]
    );
    s.conn
        .execute("DELETE FROM signatures WHERE item_id = 999999", [])
        .unwrap();
    assert_eq!(s.integrity_check().unwrap(), ["ok"]);

    // A load cut short: the next store opened for writing indexes what it listed, once.
    s.begin_bulk().unwrap();
    s.save("a", &rec, &[item("cut", "稀土出口管制 cut short", "")], now)
        .unwrap();
    assert_eq!(searched("cut short").len(), 0);
    drop(s);
    let s = Store::open(&path).unwrap();
    assert!(checks_keys(&s));
    assert_eq!(listed(&s), 0);
    assert_eq!(searched("cut short").len(), 1);
    assert_eq!(searched("稀土出口管制").len(), 4);
    assert_eq!(s.integrity_check().unwrap(), vec!["ok".to_string()]);
}
