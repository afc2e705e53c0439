//! Reports over stored hits and items: one item whole, counts, daily series, and database
//! upkeep (backup, prune, integrity check).

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Result, Store, from_ts, to_ts};

/// One stored item, whole.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ItemRow {
    pub id: i64,
    pub source: String,
    pub guid: Option<String>,
    pub link: Option<String>,
    pub title: String,
    pub summary: String,
    pub text: String,
    pub published: Option<DateTime<Utc>>,
    pub first_seen: DateTime<Utc>,
    /// `edited` or `withdrawn` once the item changed since first stored.
    pub status: Option<String>,
    /// When the current revision was first fetched, once there was an edit.
    pub revised: Option<DateTime<Utc>>,
    /// The document numbers it carries or cites, as stored with it.
    pub doc_numbers: Vec<crate::notice::DocNumber>,
    /// Its effective date and attachments as read at poll time; `None` when not read (items
    /// stored before that was kept, or without hits). Not part of `show --json`.
    #[serde(skip)]
    pub notice: Option<crate::notice::Facts>,
}

/// What hits are counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StatsBy {
    Watch,
    Source,
    Day,
}

impl Store {
    pub fn item(&self, id: i64) -> Result<Option<ItemRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT i.id, s.name, i.guid, i.link, i.title, i.summary, i.text, i.published, i.first_seen,
                        i.status, i.revised, i.doc_numbers, i.notice
                 FROM items i JOIN sources s ON s.id = i.source_id WHERE i.id = ?1",
                [id],
                |r| {
                    Ok(ItemRow {
                        id: r.get(0)?,
                        source: r.get(1)?,
                        guid: r.get(2)?,
                        link: r.get(3)?,
                        title: r.get(4)?,
                        summary: r.get(5)?,
                        text: r.get(6)?,
                        published: r.get::<_, Option<i64>>(7)?.map(from_ts),
                        first_seen: from_ts(r.get(8)?),
                        status: r.get(9)?,
                        revised: r.get::<_, Option<i64>>(10)?.map(from_ts),
                        doc_numbers: r
                            .get::<_, Option<String>>(11)?
                            .map(|d| crate::notice::decode(&d))
                            .unwrap_or_default(),
                        notice: r
                            .get::<_, Option<String>>(12)?
                            .map(|n| crate::notice::Facts::from_stored(&n)),
                    })
                },
            )
            .optional()?)
    }

    /// Hit counts grouped by watch, source or day (UTC) of the item's date, largest first
    /// (days in date order).
    pub fn hit_counts(&self, by: StatsBy, since: Option<DateTime<Utc>>) -> Result<Vec<(String, u64)>> {
        let (key, order) = match by {
            StatsBy::Watch => ("h.watch", "2 DESC, 1"),
            StatsBy::Source => ("s.name", "2 DESC, 1"),
            StatsBy::Day => ("date(h.item_date, 'unixepoch')", "1"),
        };
        // Grouping by source id first and naming it after keeps the scan on the covering index.
        let sql = if by == StatsBy::Source {
            "SELECT s.name, c.n FROM (SELECT h.source_id AS sid, count(DISTINCT h.item_id) AS n FROM hits h
             WHERE h.item_date >= ?1 GROUP BY 1) c JOIN sources s ON s.id = c.sid ORDER BY 2 DESC, 1"
                .to_string()
        } else {
            // A hit is an item in a watch: a source or a day counts each item once.
            format!(
                "SELECT {key}, count(DISTINCT h.item_id) FROM hits h WHERE h.item_date >= ?1 GROUP BY 1 ORDER BY {order}"
            )
        };
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([since.map_or(i64::MIN, to_ts)], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Daily hit counts per watch since `since`: (watch, day, count), sparse.
    pub fn daily_hits(&self, since: DateTime<Utc>) -> Result<Vec<(String, NaiveDate, u64)>> {
        let mut stmt = self.conn.prepare(
            "SELECT h.watch, date(h.item_date, 'unixepoch'), count(*)
             FROM hits h WHERE h.item_date >= ?1 GROUP BY 1, 2 ORDER BY 1, 2",
        )?;
        let rows = stmt.query_map([to_ts(since)], |r| {
            let day: String = r.get(1)?;
            Ok((r.get::<_, String>(0)?, day, r.get::<_, u64>(2)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (w, day, n) = row?;
            if let Ok(d) = NaiveDate::parse_from_str(&day, "%Y-%m-%d") {
                out.push((w, d, n));
            }
        }
        Ok(out)
    }

    /// Writes a consistent copy of the database to `dest` (which must not exist), safe while
    /// another process writes.
    /// The copy is readable by its owner only.
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        // VACUUM INTO fills an empty file it finds, keeping its mode; made by SQLite it would
        // be 0644 less the umask.
        crate::private::create_new(dest, crate::private::Share::Owner).map_err(|source| {
            super::StoreError::Create {
                path: dest.to_path_buf(),
                source,
            }
        })?;
        if let Err(e) = self.conn.execute("VACUUM INTO ?1", [dest.to_string_lossy()]) {
            let _ = std::fs::remove_file(dest);
            return Err(e.into());
        }
        Ok(())
    }

    /// Deletes items dated before `cutoff`; items with hits are kept unless `with_hits`.
    /// Returns (items, hits) deleted.
    pub fn prune(&mut self, cutoff: DateTime<Utc>, with_hits: bool) -> Result<(u64, u64)> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let keep = if with_hits {
            ""
        } else {
            "AND NOT EXISTS (SELECT 1 FROM hits h WHERE h.item_id = items.id)"
        };
        let hits = if with_hits {
            tx.execute(
                "DELETE FROM hits WHERE item_id IN
                 (SELECT id FROM items WHERE coalesce(published, first_seen) < ?1)",
                params![to_ts(cutoff)],
            )?
        } else {
            0
        };
        let items = tx.execute(
            &format!("DELETE FROM items WHERE coalesce(published, first_seen) < ?1 {keep}"),
            params![to_ts(cutoff)],
        )?;
        tx.commit()?;
        // Folding's index may hold items that are gone now.
        self.fold_index = Default::default();
        Ok((items as u64, hits as u64))
    }

    /// SQLite's integrity check, its check of foreign keys and the full-text index's own;
    /// `["ok"]` when all is well.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let mut out: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        // References that dangle (a bulk load writes without checking them).
        let mut stmt = self.conn.prepare("PRAGMA foreign_key_check")?;
        let dangling: Vec<String> = stmt
            .query_map([], |r| {
                Ok(format!(
                    "foreign key: row {} of {} refers to a missing row of {}",
                    r.get::<_, Option<i64>>(1)?.unwrap_or_default(),
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(2)?
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        if !dangling.is_empty() {
            out.retain(|l| l != "ok");
            out.extend(dangling);
        }
        if let Err(e) = self
            .conn
            .execute("INSERT INTO items_fts(items_fts) VALUES ('integrity-check')", [])
        {
            out.retain(|l| l != "ok");
            out.push(format!("full-text index: {e}"));
        }
        Ok(out)
    }
}
