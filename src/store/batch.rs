//! Batches: many saves in one write transaction.
//!
//! A poll of many sources stores each source's result as it arrives. Committing each one on its
//! own made a cold poll spend most of its time in commits (WAL frames for the same index pages
//! written again and again) and in the full-text index, which FTS5 flushes into a new segment
//! at every commit and then merges. In a batch, each save is a savepoint (a failing save still
//! undoes only itself), the transaction commits once, and the batch's new items are indexed
//! for search by one statement just before it does.

use super::{Result, Store};

/// An open batch; end it with [`Store::end_batch`].
#[must_use = "a batch holds the write lock until it is ended"]
#[derive(Debug)]
pub struct Batch {
    /// Items with this id or higher were added in the batch (the write lock is held, so no
    /// other connection adds any).
    first_item: i64,
}

impl Store {
    /// Starts a batch: one `BEGIN IMMEDIATE` transaction holding the write lock until
    /// [`Store::end_batch`]. Keep batches short, since readers of other processes wait for
    /// nothing but writers do.
    pub fn begin_batch(&mut self) -> Result<Batch> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let first_item = self
            .conn
            .query_row("SELECT coalesce(max(id), 0) + 1 FROM items", [], |r| r.get(0));
        match first_item {
            Ok(first_item) => Ok(Batch { first_item }),
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e.into())
            }
        }
    }

    /// Indexes the batch's new items for search and commits. On failure the whole batch is
    /// rolled back: its sources keep their old validators and are fetched again next time.
    pub fn end_batch(&mut self, batch: Batch) -> Result<()> {
        let done = self
            .conn
            .execute(
                "INSERT INTO items_fts(rowid, title, text) SELECT id, title, text FROM items WHERE id >= ?1",
                [batch.first_item],
            )
            .and_then(|_| self.conn.execute_batch("COMMIT"));
        if let Err(e) = done {
            if !self.conn.is_autocommit() {
                let _ = self.conn.execute_batch("ROLLBACK");
            }
            return Err(e.into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use crate::item::Item;
    use crate::store::{FetchRecord, NewItem, Store, StoreError};

    fn item(guid: &str, title: &str) -> NewItem {
        NewItem {
            item: Item {
                guid: Some(guid.into()),
                link: None,
                title: title.into(),
                summary: String::new(),
                published: None,
                authors: vec![],
            },
            text: format!("text of {title}"),
            hits: vec![],
        }
    }

    #[test]
    fn a_batch_commits_once_indexes_its_items_and_a_failed_save_undoes_only_itself() {
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
        let failed = s.save("nowhere", &rec, &[item("x", "lost item")], Utc::now());
        assert!(matches!(failed, Err(StoreError::UnknownSource(_))), "{failed:?}");
        s.save("b", &rec, &[item("2", "photovoltaic tariffs")], Utc::now())
            .unwrap();
        // Another connection sees nothing of the batch before it ends.
        let other = Store::open_read_only(&path).unwrap();
        assert_eq!(other.search_items("半导体", 10).unwrap().len(), 0);
        s.end_batch(batch).unwrap();
        assert_eq!(other.search_items("稀土出口", 10).unwrap().len(), 1);
        assert_eq!(other.search_items("半导体", 10).unwrap().len(), 1);
        assert_eq!(other.search_items("photovoltaic", 10).unwrap().len(), 1);
        assert_eq!(other.search_items("lost item", 10).unwrap().len(), 0);
        // The index agrees with the table.
        assert_eq!(s.integrity_check().unwrap(), vec!["ok".to_string()]);
    }
}
