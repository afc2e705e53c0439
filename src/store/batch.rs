//! Batches: many saves in one write transaction.
//!
//! A poll of many sources stores each source's result as it arrives. Committing each one on its
//! own made a cold poll spend most of its time in commits (WAL frames for the same index pages
//! written again and again) and in the full-text index, which FTS5 flushes into a new segment
//! at every commit and then merges. In a batch the transaction commits once, and with it the
//! search index of the batch's items with hits, which FTS5 held in memory until then. Saves are
//! not savepoints (journalling each page a save touches was a tenth of the writer's time): a
//! failing save fails the whole batch instead, which the poller then stores source by source.

use super::{Result, Store};

/// An open batch; end it with [`Store::end_batch`].
#[must_use = "a batch holds the write lock until it is ended"]
#[derive(Debug)]
pub struct Batch {
    _open: (),
}

impl Store {
    /// Starts a batch: one `BEGIN IMMEDIATE` transaction holding the write lock until
    /// [`Store::end_batch`]. Keep batches short, since readers of other processes wait for
    /// nothing but writers do.
    pub fn begin_batch(&mut self) -> Result<Batch> {
        self.batch_failed = None;
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(Batch { _open: () })
    }

    /// Commits the batch. When a save of the
    /// batch failed, or the commit does, the whole batch is rolled back and this is an error:
    /// its sources keep their old validators, so storing them again loses nothing.
    pub fn end_batch(&mut self, batch: Batch) -> Result<()> {
        let Batch { _open: () } = batch;
        let done = match self.batch_failed.take() {
            Some(why) => Err(super::StoreError::BatchFailed(why)),
            None => self.conn.execute_batch("COMMIT").map_err(Into::into),
        };
        if let Err(e) = done {
            if !self.conn.is_autocommit() {
                let _ = self.conn.execute_batch("ROLLBACK");
            }
            // Folding's index may hold signatures the rollback took back.
            self.fold_index = Default::default();
            return Err(e);
        }
        Ok(())
    }
}

/// The index of hits by date (item date, watch, source), as the migrations make it.
const HITS_BY_DATE: &str = "CREATE INDEX hits_date ON hits(item_date, watch, source_id)";

impl Store {
    /// Readies the store for a poll that brings the first items of many sources at once (a
    /// first run, a large import). Two kinds of index writes are put off until
    /// [`Store::end_bulk`], which makes each in one pass:
    /// - The index of hits by date is dropped, then built again in one sorted pass. A source's
    ///   first items span its feed's history, so each of their hits lands at a random place in
    ///   that index, which costs more the larger the index grows (see docs/performance.md).
    ///   Meanwhile, queries by date scan the hits.
    /// - Items with hits are listed in `unindexed` rather than indexed for search, then indexed
    ///   in one statement. FTS5 writes a segment at each commit and merges them later, work a
    ///   single statement does not need. Meanwhile, `hits --search` does not find them.
    ///
    /// And this connection stops checking foreign keys until then: every row the load writes
    /// refers to a row the same save wrote or read, and the check costs a B-tree seek for each
    /// item, hit and signature. Deleting (pruning) is another
    /// command's, whose connection checks them; `Store::integrity_check` (`sigwatch db
    /// check`) lists any reference that dangles.
    ///
    /// Should the poll be cut short, the next cycle or the next store opened for writing does
    /// what is left.
    pub fn begin_bulk(&mut self) -> Result<()> {
        self.conn.execute_batch("DROP INDEX IF EXISTS hits_date")?;
        // Outside a transaction, as a load starts; inside one SQLite would ignore it.
        self.conn.pragma_update(None, "foreign_keys", "OFF")?;
        self.indexing = super::write::Indexing::Deferred;
        Ok(())
    }

    /// Checks foreign keys again, indexes for search the items a bulk load listed, and builds
    /// the index of hits by date if it is missing (see [`Store::begin_bulk`]).
    pub fn end_bulk(&mut self) -> Result<()> {
        self.indexing = super::write::Indexing::Now;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        // Asked first without the write lock: every store opened for writing asks.
        let (listed, present) = bulk_left(&self.conn)?;
        if !listed && present {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have done it meanwhile.
        let (listed, present) = bulk_left(&tx)?;
        if listed {
            super::write::index_unindexed(&tx)?;
        }
        if !present {
            tx.execute_batch(HITS_BY_DATE)?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// Whether items are listed for search indexing, and whether the index of hits by date is
/// present.
fn bulk_left(conn: &rusqlite::Connection) -> Result<(bool, bool)> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM unindexed),
                EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'hits_date')",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use crate::item::Item;
    use crate::store::{FetchRecord, NewHit, NewItem, Store, StoreError};
    use crate::watch::{Field, Hit};

    /// An item with one hit on its whole title, so that it is indexed for search.
    fn item(guid: &str, title: &str) -> NewItem {
        let hit = NewHit {
            hit: Hit {
                watch: "w".into(),
                term: title.into(),
                field: Field::Title,
                start: 0,
                end: title.chars().count(),
                snippet: title.into(),
                snippet_match: (0, title.len()),
            },
            watch_version: "v".into(),
            score: 1.0,
        };
        NewItem::new(
            Item {
                guid: Some(guid.into()),
                title: title.into(),
                ..Default::default()
            },
            format!("text of {title}"),
            vec![hit],
        )
    }

    #[test]
    fn a_batch_commits_once_indexes_its_items_and_a_failed_save_rolls_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.db");
        let mut s = Store::open(&path).unwrap();
        s.sync_sources([("a", "http://a.test/"), ("b", "http://b.test/")])
            .unwrap();
        let rec = FetchRecord::Fetched {
            etag: Some("\"1\"".into()),
            last_modified: None,
        };
        // One item stored outside any batch, indexed at once.
        s.save("a", &rec, &[item("0", "稀土出口管制")], Utc::now())
            .unwrap();
        let batch = s.begin_batch().unwrap();
        s.save("a", &rec, &[item("1", "半导体设备出口")], Utc::now())
            .unwrap();
        s.save("b", &rec, &[item("2", "photovoltaic tariffs")], Utc::now())
            .unwrap();
        // Another connection sees nothing of the batch before it ends.
        let other = Store::open_read_only(&path).unwrap();
        assert_eq!(other.search_items("半导体", 10).unwrap().len(), 0);
        s.end_batch(batch).unwrap();
        assert_eq!(other.search_items("稀土出口", 10).unwrap().len(), 1);
        assert_eq!(other.search_items("半导体", 10).unwrap().len(), 1);
        assert_eq!(other.search_items("photovoltaic", 10).unwrap().len(), 1);

        // A failed save fails its batch: later saves are refused, and ending it rolls back
        // everything, the saves before the failure too.
        let batch = s.begin_batch().unwrap();
        s.save("a", &rec, &[item("4", "gallium export licences")], Utc::now())
            .unwrap();
        let failed = s.save("nowhere", &rec, &[item("x", "lost item")], Utc::now());
        assert!(matches!(failed, Err(StoreError::UnknownSource(_))), "{failed:?}");
        let refused = s.save("b", &rec, &[item("5", "germanium quotas")], Utc::now());
        assert!(matches!(refused, Err(StoreError::BatchFailed(_))), "{refused:?}");
        let ended = s.end_batch(batch);
        assert!(matches!(ended, Err(StoreError::BatchFailed(_))), "{ended:?}");
        for gone in ["gallium", "germanium", "lost item"] {
            assert_eq!(other.search_items(gone, 10).unwrap().len(), 0, "{gone}");
        }
        // The store goes on as before: stored again, on their own, they are kept.
        s.save("a", &rec, &[item("4", "gallium export licences")], Utc::now())
            .unwrap();
        s.save("b", &rec, &[item("5", "germanium quotas")], Utc::now())
            .unwrap();
        assert_eq!(other.search_items("gallium", 10).unwrap().len(), 1);
        assert_eq!(other.search_items("germanium", 10).unwrap().len(), 1);
        // An item without hits is stored but not indexed: `hits --search` never needs it.
        let mut quiet = item("3", "weather report");
        quiet.hits.clear();
        s.save("b", &rec, &[quiet], Utc::now()).unwrap();
        assert_eq!(other.search_items("weather", 10).unwrap().len(), 0);
        assert_eq!(s.integrity_check().unwrap(), vec!["ok".to_string()]);
    }

    #[test]
    fn the_log_is_copied_back_by_the_writer_and_written_again_from_its_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let mut s = Store::open(&path).unwrap();
        s.sync_sources([("a", "http://a.test/")]).unwrap();
        // The log starts empty: making the schema wrote every table's first pages to it, which
        // is not what is measured here (and grows with each migration).
        s.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
        // The shipped threshold is 1,000 pages (16 MB); 16 pages keeps the test small.
        s.conn.pragma_update(None, "wal_autocheckpoint", 16).unwrap();
        let rec = crate::store::tests::fetched();
        let mut wal = path.clone().into_os_string();
        wal.push("-wal");
        // Forty batches of about 200 KB each: 8 MB through the log.
        for b in 0..40 {
            let batch = s.begin_batch().unwrap();
            let items: Vec<NewItem> = (0..100)
                .map(|i| {
                    let n = b * 100 + i;
                    item(&n.to_string(), &format!("稀土出口管制 {n} {}", "x".repeat(1500)))
                })
                .collect();
            s.save("a", &rec, &items, Utc::now()).unwrap();
            s.end_batch(batch).unwrap();
        }
        let log = std::fs::metadata(&wal).unwrap().len();
        let db = std::fs::metadata(&path).unwrap().len();
        // Each checkpoint came before the next batch began, so the log never held more than
        // a batch past the threshold; the items are in the database file itself.
        assert!(log < 2_000_000, "the log grew to {log} bytes");
        assert!(db > 6_000_000, "the database file is {db} bytes");
        assert_eq!(s.integrity_check().unwrap(), vec!["ok".to_string()]);
    }
}
