//! Stored items read back in batches, and hits added to them later: what re-running the
//! watchlists over history needs.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::{TransactionBehavior, params};

use super::{Result, Store, to_ts};
use crate::store::NewHit;

/// A stored item's matchable text.
#[derive(Debug, Clone)]
pub struct StoredItem {
    pub id: i64,
    pub title: String,
    pub summary: String,
    /// The name of its source.
    pub source: String,
    pub link: Option<String>,
    pub published: Option<DateTime<Utc>>,
    /// Whether its notice facts were read (`notice::facts`), and its document numbers.
    pub notice_read: bool,
    pub docs_read: bool,
}

/// What identifies a hit within its item: (watch, term, field, start).
pub type HitKey = (String, String, String, i64);

impl Store {
    /// Up to `limit` items with ids above `after`, dated (published, else first seen) at or
    /// after `since`, in id order; for walking history in bounded memory.
    pub fn items_after(
        &self,
        after: i64,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<StoredItem>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT i.id, i.title, i.summary, s.name, i.link, i.published, i.notice IS NOT NULL,
                    i.doc_numbers IS NOT NULL
             FROM items i JOIN sources s ON s.id = i.source_id
             WHERE i.id > ?1 AND coalesce(i.published, i.first_seen) >= ?2 ORDER BY i.id LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![after, since.map_or(i64::MIN, to_ts), limit as i64], |r| {
            Ok(StoredItem {
                id: r.get(0)?,
                title: r.get(1)?,
                summary: r.get(2)?,
                source: r.get(3)?,
                link: r.get(4)?,
                published: r.get::<_, Option<i64>>(5)?.map(super::from_ts),
                notice_read: r.get(6)?,
                docs_read: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The keys of the hits stored for one item.
    pub fn hit_keys(&self, item_id: i64) -> Result<HashSet<HitKey>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT h.watch, t.value ->> 'term', t.value ->> 'field', t.value ->> 'start'
                 FROM hits h, json_each(h.terms) t WHERE h.item_id = ?1",
        )?;
        let rows = stmt.query_map([item_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Adds hits to stored items in one transaction; hits already stored are skipped. They
    /// are found in history, not news, so digests leave them out (as a backlog).
    /// Returns how many were added.
    pub fn add_hits(&mut self, hits: &[(i64, NewHit)], now: DateTime<Utc>) -> Result<u64> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let first_hit = super::write::next_hit_id(&tx)?;
        let mut added = 0;
        // Each item's hits together, so that its watches get a row each with all their terms.
        let mut by_item: std::collections::BTreeMap<i64, Vec<&NewHit>> = Default::default();
        for (item_id, h) in hits {
            by_item.entry(*item_id).or_default().push(h);
        }
        for (item_id, list) in by_item {
            added += super::write::insert_hits_on_stored(&tx, item_id, list, to_ts(now), true)? as u64;
        }
        // Items that had no hit before were not indexed for search.
        super::write::index_for_search(&tx, first_hit)?;
        tx.commit()?;
        Ok(added)
    }

    /// Stores what items say of themselves as notices, read after they were stored (by
    /// `rematch`), in one transaction. Document numbers are set only on items that have none
    /// stored: an item's story was joined by the numbers it had, and stays so.
    pub fn set_notices(
        &mut self,
        notices: &[(i64, Vec<crate::notice::DocNumber>, crate::notice::Facts)],
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut set = tx.prepare_cached(
                "UPDATE items SET notice = ?2, doc_numbers = coalesce(doc_numbers, ?3) WHERE id = ?1",
            )?;
            for (id, docs, facts) in notices {
                let docs = (!docs.is_empty()).then(|| crate::notice::encode(docs));
                set.execute(params![id, facts.stored(), docs])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Stores the entity and action concepts items name (`rematch`), in one transaction;
    /// an item that names none is left with none.
    pub fn set_entities(&mut self, entities: &[(i64, crate::watch::Entities)]) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut set = tx.prepare_cached("UPDATE items SET entities = ?2 WHERE id = ?1")?;
            for (id, e) in entities {
                set.execute(params![id, (!e.is_empty()).then(|| e.encode())])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}
