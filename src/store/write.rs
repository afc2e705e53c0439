//! Writes: source registration, fetch outcomes, and new items with their hits.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{Result, Store, StoreError, from_ts, to_ts};
use crate::item::Item;
use crate::watch::Hit;

/// What the store remembers about a source between polls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceState {
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub consecutive_failures: u32,
    pub last_success: Option<DateTime<Utc>>,
    /// How many items of this source are stored.
    pub items: u64,
}

/// The outcome of one fetch, as recorded in the source's row.
#[derive(Debug, Clone)]
pub enum FetchRecord {
    /// 304: only timestamps change.
    NotModified,
    /// A body was fetched and parsed; new validators replace the old ones.
    Fetched {
        etag: Option<String>,
        last_modified: Option<String>,
    },
    Failed {
        error: String,
    },
}

/// One item to store, with its plain text (for search) and the hits found in it.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub item: Item,
    pub text: String,
    pub hits: Vec<NewHit>,
}

#[derive(Debug, Clone)]
pub struct NewHit {
    pub hit: Hit,
    /// The version of the watch that found it.
    pub watch_version: String,
}

/// What one save added.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SaveStats {
    pub new_items: u64,
    pub new_hits: u64,
}

impl Store {
    /// Makes sure each `(name, url)` has a row.
    ///
    /// A URL that a permanent redirect moved is kept until the config's URL itself changes;
    /// a changed config URL also re-enables a source that a 410 had disabled.
    pub fn sync_sources<'a>(&mut self, sources: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut upsert = tx.prepare(
                "INSERT INTO sources(name, url, config_url) VALUES (?1, ?2, ?2)
                 ON CONFLICT(name) DO UPDATE SET url = excluded.url, config_url = excluded.config_url,
                        disabled_reason = NULL, next_poll = NULL
                 WHERE config_url IS NOT excluded.config_url",
            )?;
            for (name, url) in sources {
                upsert.execute(params![name, url])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The stored state of a source; the source must have been synced.
    pub fn source_state(&self, name: &str) -> Result<SourceState> {
        self.conn
            .query_row(
                "SELECT url, etag, last_modified, consecutive_failures, last_success,
                        (SELECT count(*) FROM items WHERE items.source_id = sources.id)
                 FROM sources WHERE name = ?1",
                [name],
                |r| {
                    Ok(SourceState {
                        url: r.get(0)?,
                        etag: r.get(1)?,
                        last_modified: r.get(2)?,
                        consecutive_failures: r.get(3)?,
                        last_success: r.get::<_, Option<i64>>(4)?.map(from_ts),
                        items: r.get(5)?,
                    })
                },
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownSource(name.to_string()))
    }

    /// Records a fetch outcome without items (a 304 or a failure).
    pub fn record_fetch(&mut self, source: &str, record: &FetchRecord, now: DateTime<Utc>) -> Result<()> {
        self.save(source, record, &[], now).map(|_| ())
    }

    /// Stores a fetch outcome and the items that came with it, in one transaction.
    ///
    /// Items already stored (same source and identity) are left as they are, so saving the
    /// same document twice adds nothing. Hits are stored only for items that are new.
    pub fn save(
        &mut self,
        source: &str,
        record: &FetchRecord,
        items: &[NewItem],
        now: DateTime<Utc>,
    ) -> Result<SaveStats> {
        // Inside a batch (see Store::begin_batch) each save is a savepoint of the batch's
        // transaction, so a failing save still undoes only itself; the batch indexes its new
        // items for search once, when it commits.
        if self.conn.is_autocommit() {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let stats = save_in(&tx, source, record, items, now, true)?;
            tx.commit()?;
            Ok(stats)
        } else {
            let sp = self.conn.savepoint()?;
            let stats = save_in(&sp, source, record, items, now, false)?;
            sp.commit()?;
            Ok(stats)
        }
    }
}

/// [`Store::save`] within `tx`; with `index_now`, the new items are indexed for search too.
fn save_in(
    tx: &rusqlite::Connection,
    source: &str,
    record: &FetchRecord,
    items: &[NewItem],
    now: DateTime<Utc>,
    index_now: bool,
) -> Result<SaveStats> {
    let now_ts = to_ts(now);
    let source_id: i64 = tx
        .query_row("SELECT id FROM sources WHERE name = ?1", [source], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::UnknownSource(source.to_string()))?;
    match record {
        FetchRecord::NotModified => {
            tx.execute(
                "UPDATE sources SET last_fetch = ?2, last_status = 'not-modified', last_error = NULL,
                        consecutive_failures = 0, failing_since = NULL, last_success = ?2 WHERE id = ?1",
                params![source_id, now_ts],
            )?;
        }
        FetchRecord::Fetched { etag, last_modified } => {
            tx.execute(
                "UPDATE sources SET last_fetch = ?2, last_status = 'ok', last_error = NULL,
                        consecutive_failures = 0, failing_since = NULL, last_success = ?2, etag = ?3,
                        last_modified = ?4
                 WHERE id = ?1",
                params![source_id, now_ts, etag, last_modified],
            )?;
        }
        FetchRecord::Failed { error } => {
            tx.execute(
                "UPDATE sources SET last_fetch = ?2, last_status = 'error', last_error = ?3,
                        consecutive_failures = consecutive_failures + 1,
                        failing_since = coalesce(failing_since, ?2) WHERE id = ?1",
                params![source_id, now_ts, error],
            )?;
        }
    }
    let mut stats = SaveStats::default();
    // The id of the first item this save adds: new items are indexed for search together.
    let mut first_new: Option<i64> = None;
    // Hits of a source's first fetch with items are its backlog: stored, not mailed.
    let backlog = !items.is_empty()
        && !tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM items WHERE source_id = ?1)",
            [source_id],
            |r| r.get::<_, bool>(0),
        )?;
    {
        let mut insert_item = tx.prepare_cached(
            "INSERT INTO items(source_id, uid, guid, link, title, summary, text, published, first_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT(source_id, uid) DO NOTHING",
        )?;
        for new in items {
            let it = &new.item;
            let inserted = insert_item.execute(params![
                source_id,
                it.uid(),
                it.guid,
                it.link,
                it.title,
                it.summary,
                new.text,
                it.published.map(to_ts),
                now_ts
            ])?;
            if inserted == 0 {
                continue;
            }
            stats.new_items += 1;
            let item_id = tx.last_insert_rowid();
            first_new.get_or_insert(item_id);
            for h in &new.hits {
                stats.new_hits += insert_hit(tx, item_id, h, now_ts, backlog)? as u64;
            }
        }
    }
    if let Some(first) = first_new.filter(|_| index_now) {
        // One statement for all of them: FTS5 writes an index segment per statement.
        tx.prepare_cached(
            "INSERT INTO items_fts(rowid, title, text)
             SELECT id, title, text FROM items WHERE source_id = ?1 AND id >= ?2",
        )?
        .execute(params![source_id, first])?;
    }
    Ok(stats)
}

/// Inserts one hit unless the same (item, watch, term, field, start) is stored already;
/// returns the number of rows added (0 or 1).
pub(super) fn insert_hit(
    conn: &rusqlite::Connection,
    item_id: i64,
    h: &NewHit,
    now_ts: i64,
    backlog: bool,
) -> rusqlite::Result<usize> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO hits(item_id, watch, term, field, start, end, snippet, snippet_start,
                          snippet_end, watch_version, created, item_date, source_id, backlog)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, coalesce(i.published, i.first_seen), i.source_id, ?12
         FROM items i WHERE i.id = ?1
         ON CONFLICT DO NOTHING",
    )?;
    let hit = &h.hit;
    stmt.execute(params![
        item_id,
        hit.watch,
        hit.term,
        hit.field.as_str(),
        hit.start as i64,
        hit.end as i64,
        hit.snippet,
        hit.snippet_match.0 as i64,
        hit.snippet_match.1 as i64,
        h.watch_version,
        now_ts,
        backlog
    ])
}
