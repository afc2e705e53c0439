//! Poll cycles as they ended, and the counts an operator's metrics and health check read:
//! what `sigwatch serve` shows at `/healthz` and `/metrics`.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Result, Store, from_ts, to_ts};

/// How many of the last cycles are kept; the totals keep counting past them.
const KEEP: i64 = 1000;

/// The figures of one finished cycle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CycleRecord {
    pub started: DateTime<Utc>,
    pub finished: DateTime<Utc>,
    pub duration_ms: u64,
    pub fetched: u64,
    pub not_modified: u64,
    pub failed: u64,
    pub new_items: u64,
    pub new_hits: u64,
}

/// Counts since the database was made, and of what it holds now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub cycles: u64,
    pub fetched: u64,
    pub not_modified: u64,
    pub failed: u64,
    pub items: u64,
    pub hits: u64,
    /// Messages waiting in the outbox, by kind (`digest`, `alert`).
    pub queued: Vec<(String, u64)>,
}

impl Store {
    /// Records a finished cycle and adds it to the totals.
    pub fn record_cycle(&mut self, c: &CycleRecord) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO cycles(started, finished, duration_ms, fetched, not_modified, failed, new_items, new_hits)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                to_ts(c.started),
                to_ts(c.finished),
                c.duration_ms as i64,
                c.fetched as i64,
                c.not_modified as i64,
                c.failed as i64,
                c.new_items as i64,
                c.new_hits as i64
            ],
        )?;
        tx.execute(
            "INSERT INTO cycle_totals(id, cycles, fetched, not_modified, failed) VALUES (1, 1, ?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET cycles = cycles + 1, fetched = fetched + ?1,
                 not_modified = not_modified + ?2, failed = failed + ?3",
            params![c.fetched as i64, c.not_modified as i64, c.failed as i64],
        )?;
        tx.execute(
            "DELETE FROM cycles WHERE id <= (SELECT max(id) FROM cycles) - ?1",
            [KEEP],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The last cycle recorded, if any.
    pub fn last_cycle(&self) -> Result<Option<CycleRecord>> {
        Ok(self
            .conn
            .query_row(
                "SELECT started, finished, duration_ms, fetched, not_modified, failed, new_items, new_hits
                 FROM cycles ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    Ok(CycleRecord {
                        started: from_ts(r.get(0)?),
                        finished: from_ts(r.get(1)?),
                        duration_ms: r.get(2)?,
                        fetched: r.get(3)?,
                        not_modified: r.get(4)?,
                        failed: r.get(5)?,
                        new_items: r.get(6)?,
                        new_hits: r.get(7)?,
                    })
                },
            )
            .optional()?)
    }

    /// The totals of every cycle, and the items, hits and queued messages stored.
    pub fn counts(&self) -> Result<Counts> {
        let mut c: Counts = self
            .conn
            .query_row(
                "SELECT cycles, fetched, not_modified, failed FROM cycle_totals WHERE id = 1",
                [],
                |r| {
                    Ok(Counts {
                        cycles: r.get(0)?,
                        fetched: r.get(1)?,
                        not_modified: r.get(2)?,
                        failed: r.get(3)?,
                        ..Default::default()
                    })
                },
            )
            .optional()?
            .unwrap_or_default();
        c.items = self
            .conn
            .query_row("SELECT count(*) FROM items", [], |r| r.get(0))?;
        c.hits = self
            .conn
            .query_row("SELECT count(*) FROM hits", [], |r| r.get(0))?;
        let mut stmt = self.conn.prepare(
            "SELECT kind, count(*) FROM digests WHERE status = 'queued' GROUP BY kind ORDER BY kind",
        )?;
        c.queued = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(c)
    }

    /// Items of `source` per day (UTC) of their date (published, else first seen) since
    /// `since`, in date order, sparse.
    pub fn items_per_day(&self, source: &str, since: DateTime<Utc>) -> Result<Vec<(String, u64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT date(coalesce(i.published, i.first_seen), 'unixepoch'), count(*)
             FROM items i WHERE i.source_id = (SELECT id FROM sources WHERE name = ?1)
               AND coalesce(i.published, i.first_seen) >= ?2
             GROUP BY 1 ORDER BY 1",
        )?;
        let rows = stmt.query_map(params![source, to_ts(since)], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_are_recorded_kept_to_a_number_and_totalled() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("t.db")).unwrap();
        assert_eq!(s.last_cycle().unwrap(), None);
        assert_eq!(s.counts().unwrap().cycles, 0);
        let t = Utc::now();
        for n in 0..(KEEP + 5) {
            let c = CycleRecord {
                started: t,
                finished: t + chrono::Duration::seconds(n),
                duration_ms: n as u64,
                fetched: 2,
                not_modified: 1,
                failed: 1,
                ..Default::default()
            };
            s.record_cycle(&c).unwrap();
        }
        let last = s.last_cycle().unwrap().unwrap();
        assert_eq!(last.duration_ms, KEEP as u64 + 4);
        let kept: i64 = s
            .conn
            .query_row("SELECT count(*) FROM cycles", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kept, KEEP);
        let c = s.counts().unwrap();
        assert_eq!(
            (c.cycles, c.fetched, c.not_modified, c.failed),
            (1005, 2010, 1005, 1005)
        );
    }
}
