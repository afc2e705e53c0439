//! Writes: source registration, fetch outcomes, and new items with their hits.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{
    Result, SignalSettings, Store, StoreError, exec, fold_index, from_ts, one, revisions, stories, to_ts,
};
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
    /// Whether any item of this source is stored.
    pub has_items: bool,
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
    /// Of this revision's title and text (`signals::fingerprint`), to notice edits.
    pub fingerprint: String,
    /// Whether `text` is the item's whole text, so a change in it is an edit. Not so for an
    /// item of a `follow` source that was not followed this time (its list entry only).
    pub check_text: bool,
    /// MinHash signature, for items with hits: used to fold copies into stories.
    pub signature: Option<Vec<u32>>,
    /// The document numbers it carries or cites (items with hits): copies join a story by
    /// them first, and different numbers never join.
    pub doc_numbers: Vec<crate::notice::DocNumber>,
    /// What it says of itself as a notice (items with hits; `None`: not read).
    pub notice: Option<crate::notice::Facts>,
    /// The entity and action concepts it names (items with hits): an item without a
    /// document number joins a story by them.
    pub entities: crate::watch::Entities,
}

impl NewItem {
    /// An item with its fingerprint, whose text is whole, without a signature.
    pub fn new(item: Item, text: String, hits: Vec<NewHit>) -> Self {
        let fingerprint = crate::signals::fingerprint(&item.title, &text);
        Self {
            item,
            text,
            hits,
            fingerprint,
            check_text: true,
            signature: None,
            doc_numbers: Vec::new(),
            notice: None,
            entities: Default::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewHit {
    pub hit: Hit,
    /// The version of the watch that found it.
    pub watch_version: std::sync::Arc<str>,
    /// Priority before any status bonus (`signals::base_score`).
    pub score: f64,
}

/// What one save added or noticed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SaveStats {
    pub new_items: u64,
    pub new_hits: u64,
    /// Stored items that came back changed.
    pub edited: u64,
    /// Stored items taken off their list.
    pub withdrawn: u64,
    /// New items folded into a story of another source.
    pub folded: u64,
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

    /// The stored state of every known source, by name, read in one statement (a poll of
    /// 10,000 sources asked for each on its own, a statement compiled and run per source).
    pub fn source_states(&self) -> Result<std::collections::HashMap<String, SourceState>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT name, url, etag, last_modified, consecutive_failures, last_success,
                    EXISTS (SELECT 1 FROM items WHERE items.source_id = sources.id)
             FROM sources",
        )?;
        let states = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                SourceState {
                    url: r.get(1)?,
                    etag: r.get(2)?,
                    last_modified: r.get(3)?,
                    consecutive_failures: r.get(4)?,
                    last_success: r.get::<_, Option<i64>>(5)?.map(from_ts),
                    has_items: r.get(6)?,
                },
            ))
        })?;
        Ok(states.collect::<rusqlite::Result<_>>()?)
    }

    /// The identities of the items stored for a source (empty for an unknown source).
    pub fn item_uids(&self, source: &str) -> Result<std::collections::HashSet<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT uid FROM items WHERE source_id = (SELECT id FROM sources WHERE name = ?1)",
        )?;
        let uids = stmt
            .query_map([source], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(uids)
    }

    /// Records a fetch outcome without items (a 304 or a failure).
    pub fn record_fetch(&mut self, source: &str, record: &FetchRecord, now: DateTime<Utc>) -> Result<()> {
        self.save(source, record, &[], now).map(|_| ())
    }

    /// Stores a fetch outcome and the items that came with it, in one transaction, or as part
    /// of the open batch's. A save that fails inside a batch fails the batch: later saves
    /// in it are refused and [`Store::end_batch`] rolls it back, so that nothing of a save is
    /// ever half-written (the caller stores the batch's sources again one by one).
    ///
    /// Items already stored (same source and identity) are revisited: a changed one keeps its
    /// earlier revision. Hits are stored for new items and for terms new to an edited item;
    /// items that gain their first hit are indexed for search.
    pub fn save(
        &mut self,
        source: &str,
        record: &FetchRecord,
        items: &[NewItem],
        now: DateTime<Utc>,
    ) -> Result<SaveStats> {
        if let Some(why) = &self.batch_failed {
            return Err(StoreError::BatchFailed(why.clone()));
        }
        let in_batch = !self.conn.is_autocommit();
        let result = self.save_now(source, record, items, now);
        if let Err(e) = &result {
            // It may hold signatures that were rolled back, or are about to be.
            self.fold_index = Default::default();
            if in_batch {
                self.batch_failed = Some(e.to_string());
            }
        }
        result
    }

    fn save_now(
        &mut self,
        source: &str,
        record: &FetchRecord,
        items: &[NewItem],
        now: DateTime<Utc>,
    ) -> Result<SaveStats> {
        if items.iter().any(|n| n.signature.is_some()) {
            self.fold_index.ensure(&self.conn, now, &self.signals)?;
        }
        let (index, settings, indexing) = (&mut self.fold_index, &self.signals, self.indexing);
        if !self.conn.is_autocommit() {
            return save_in(&self.conn, index, settings, indexing, source, record, items, now);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let stats = save_in(&tx, index, settings, indexing, source, record, items, now)?;
        tx.commit()?;
        Ok(stats)
    }
}

/// The id the next hit will get (the write lock is held, so no other connection adds one).
pub(super) fn next_hit_id(conn: &rusqlite::Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT coalesce(max(id), 0) + 1 FROM hits", [], |r| r.get(0))?)
}

/// When an item that gains its first hit goes into the search index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Indexing {
    /// In the same transaction as the hit.
    Now,
    /// At the end of a bulk load (see [`Store::begin_bulk`]): the item is listed in
    /// `unindexed` until then.
    Deferred,
}

/// Indexes a stored item for search as it gains its first hit (an item is in the index
/// exactly when it has hits), or lists it for the end of the bulk load.
pub(super) fn index_stored_item(conn: &rusqlite::Connection, item_id: i64, indexing: Indexing) -> Result<()> {
    let sql = match indexing {
        Indexing::Now => {
            "INSERT INTO items_fts(rowid, title, text) SELECT id, title, text FROM items WHERE id = ?1"
        }
        Indexing::Deferred => "INSERT OR IGNORE INTO unindexed(item_id) VALUES (?1)",
    };
    conn.prepare_cached(sql)?.execute([item_id])?;
    Ok(())
}

/// Indexes for search the items a bulk load listed in `unindexed`, in one statement, and
/// empties the list.
pub(super) fn index_unindexed(conn: &rusqlite::Connection) -> Result<()> {
    conn.execute(
        "INSERT INTO items_fts(rowid, title, text)
         SELECT i.id, i.title, i.text FROM unindexed u JOIN items i ON i.id = u.item_id ORDER BY i.id",
        [],
    )?;
    conn.execute("DELETE FROM unindexed", [])?;
    Ok(())
}

/// Indexes for search the items that hits from `first_hit` on gave their first hit, in one
/// statement (FTS5 writes an index segment per statement). Only items with hits are indexed:
/// `hits --search` looks for nothing else, and indexing every item was most of a cold poll.
pub(super) fn index_for_search(conn: &rusqlite::Connection, first_hit: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO items_fts(rowid, title, text)
         SELECT i.id, i.title, i.text FROM items i
         WHERE i.id IN (SELECT item_id FROM hits WHERE id >= ?1)
           AND NOT EXISTS (SELECT 1 FROM hits h WHERE h.item_id = i.id AND h.id < ?1)",
    )?
    .execute([first_hit])?;
    Ok(())
}

/// [`Store::save`] within `tx`.
#[allow(clippy::too_many_arguments)]
fn save_in(
    tx: &rusqlite::Connection,
    fold_index: &mut fold_index::FoldIndex,
    settings: &SignalSettings,
    indexing: Indexing,
    source: &str,
    record: &FetchRecord,
    items: &[NewItem],
    now: DateTime<Utc>,
) -> Result<SaveStats> {
    let now_ts = to_ts(now);
    let (source_id, never_succeeded): (i64, bool) = one(
        tx,
        "SELECT id, last_success IS NULL FROM sources WHERE name = ?1",
        [source],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?
    .ok_or_else(|| StoreError::UnknownSource(source.to_string()))?;
    match record {
        FetchRecord::NotModified => {
            exec(
                tx,
                "UPDATE sources SET last_fetch = ?2, last_status = 'not-modified', last_error = NULL,
                        consecutive_failures = 0, failing_since = NULL, last_success = ?2 WHERE id = ?1",
                params![source_id, now_ts],
            )?;
        }
        FetchRecord::Fetched { etag, last_modified } => {
            exec(
                tx,
                "UPDATE sources SET last_fetch = ?2, last_status = 'ok', last_error = NULL,
                        consecutive_failures = 0, failing_since = NULL, last_success = ?2, etag = ?3,
                        last_modified = ?4
                 WHERE id = ?1",
                params![source_id, now_ts, etag, last_modified],
            )?;
        }
        FetchRecord::Failed { error } => {
            exec(
                tx,
                "UPDATE sources SET last_fetch = ?2, last_status = 'error', last_error = ?3,
                        consecutive_failures = consecutive_failures + 1,
                        failing_since = coalesce(failing_since, ?2) WHERE id = ?1",
                params![source_id, now_ts, error],
            )?;
        }
    }
    let mut stats = SaveStats::default();
    // The hits of a source's first successful fetch are its backlog: stored, not mailed.
    // A first fetch that held nothing makes the next items news. (Items stored while
    // `last_success` is unset come from a database older than that column: not a backlog.)
    let backlog = never_succeeded
        && !items.is_empty()
        && !one(
            tx,
            "SELECT EXISTS (SELECT 1 FROM items WHERE source_id = ?1)",
            [source_id],
            |r| r.get::<_, bool>(0),
        )?;
    let uids: Vec<String> = items.iter().map(|n| n.item.uid()).collect();
    {
        let mut insert_item = tx.prepare_cached(
            "INSERT INTO items(source_id, uid, guid, link, title, summary, text, published, first_seen,
                               fingerprint, story_id, folded_into, similarity, doc_numbers, notice,
                               entities)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
             ON CONFLICT(source_id, uid) DO NOTHING",
        )?;
        let mut stored =
            tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM items WHERE source_id = ?1 AND uid = ?2)")?;
        for (new, uid) in items.iter().zip(&uids) {
            let it = &new.item;
            // The story a new item with a signature joins is known before it is written, so
            // its row is written once; whether it is new is asked first, so that an item seen
            // before is not compared with the others again (not on a source's first items,
            // none of them stored: a feed listing one twice compares it once more).
            let mut watches: Vec<&str> = new.hits.iter().map(|h| h.hit.watch.as_str()).collect();
            watches.sort();
            watches.dedup();
            let about = stories::About {
                docs: &new.doc_numbers,
                entities: &new.entities,
                watches: &watches,
            };
            let (fold, bands) = match &new.signature {
                Some(signature)
                    if backlog || !stored.query_row(params![source_id, uid], |r| r.get::<_, bool>(0))? =>
                {
                    let bands = crate::signals::bands(signature);
                    let fold =
                        stories::find_story(fold_index, signature, &bands, &about, source_id, now, settings);
                    (fold, bands)
                }
                _ => (None, [0; crate::signals::BANDS]),
            };
            let inserted = insert_item.execute(params![
                source_id,
                uid,
                it.guid,
                it.link,
                it.title,
                it.summary,
                new.text,
                it.published.map(to_ts),
                now_ts,
                new.fingerprint,
                fold.map(|f| f.story),
                fold.map(|f| f.folded_into),
                fold.map(|f| f.similarity),
                (!new.doc_numbers.is_empty()).then(|| crate::notice::encode(&new.doc_numbers)),
                new.notice.as_ref().map(crate::notice::Facts::stored),
                (!new.entities.is_empty()).then(|| new.entities.encode()),
            ])?;
            if inserted == 0 {
                let change = revisions::revisit(tx, source_id, uid, new, now_ts, indexing)?;
                stats.edited += change.edited as u64;
                stats.new_hits += change.new_hits;
                continue;
            }
            stats.new_items += 1;
            let item_id = tx.last_insert_rowid();
            let date = it.published.map_or(now_ts, to_ts);
            stats.new_hits += insert_hits(tx, item_id, &new.hits, now_ts, date, source_id, backlog)? as u64;
            if !new.hits.is_empty() {
                // Only items with hits are indexed for search: `hits --search` looks for
                // nothing else, and indexing every item was most of a cold poll. FTS5 keeps
                // the rows in memory until the transaction commits, then writes one segment.
                match indexing {
                    Indexing::Now => {
                        tx.prepare_cached("INSERT INTO items_fts(rowid, title, text) VALUES (?1, ?2, ?3)")?
                            .execute(params![item_id, it.title, new.text])?;
                    }
                    Indexing::Deferred => index_stored_item(tx, item_id, indexing)?,
                }
            }
            if let Some(signature) = &new.signature {
                stories::remember(
                    tx, fold_index, item_id, source_id, signature, &bands, &about, fold, now,
                )?;
                stats.folded += fold.is_some() as u64;
            }
        }
    }
    if matches!(record, FetchRecord::Fetched { .. }) && !items.is_empty() {
        stats.withdrawn = revisions::withdrawals(tx, source_id, &uids, now, settings)?;
    }
    Ok(stats)
}

/// One matched term of a hit as stored in its `terms` JSON (and printed by `hits`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TermMatch {
    pub term: String,
    /// `title`, `summary` or `text`.
    pub field: String,
    /// Start and end of the match, in characters of the field's text.
    pub start: usize,
    pub end: usize,
    /// The matched text as it stands in the item.
    pub matched: String,
}

/// A [`TermMatch`] as written: borrowed from the hit it describes, so that storing a hit
/// copies none of its strings.
#[derive(PartialEq, serde::Serialize)]
struct Matched<'a> {
    term: &'a str,
    field: &'static str,
    start: usize,
    end: usize,
    matched: &'a str,
}

impl<'a> From<&'a NewHit> for Matched<'a> {
    fn from(h: &'a NewHit) -> Self {
        let hit = &h.hit;
        Matched {
            term: &hit.term,
            field: hit.field.as_str(),
            start: hit.start,
            end: hit.end,
            matched: hit
                .snippet
                .get(hit.snippet_match.0..hit.snippet_match.1)
                .unwrap_or_default(),
        }
    }
}

/// Stores the hits of item `item_id` (of source `source_id`, dated `item_date`: published,
/// else first seen) as one row per watch, holding every matched term. A watch the item
/// already has a row for gets the terms it lacked added to that row. Returns the number of
/// rows added: a hit is an item in a watch, so a new term of a known pair adds none.
#[allow(clippy::too_many_arguments)]
pub(super) fn insert_hits<'a>(
    conn: &rusqlite::Connection,
    item_id: i64,
    hits: impl IntoIterator<Item = &'a NewHit>,
    now_ts: i64,
    item_date: i64,
    source_id: i64,
    backlog: bool,
) -> rusqlite::Result<usize> {
    // Grouped by watch in the order of each watch's first hit, which leads its row.
    let mut groups: Vec<(&'a NewHit, Vec<Matched<'a>>, f64)> = Vec::new();
    for h in hits {
        match groups.iter_mut().find(|g| g.0.hit.watch == h.hit.watch) {
            Some(g) => {
                let t = Matched::from(h);
                if !g.1.contains(&t) {
                    g.1.push(t);
                }
                g.2 = g.2.max(h.score);
            }
            None => groups.push((h, vec![Matched::from(h)], h.score)),
        }
    }
    let mut added = 0;
    for (h, terms, score) in groups {
        // Serializing strings and numbers cannot fail.
        let json = serde_json::to_string(&terms).unwrap_or_else(|_| "[]".into());
        let mut stmt = conn.prepare_cached(
            "INSERT INTO hits(item_id, watch, term, field, start, end, snippet, snippet_start,
                              snippet_end, watch_version, created, item_date, source_id, backlog, score,
                              terms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
             ON CONFLICT DO NOTHING",
        )?;
        let hit = &h.hit;
        let n = stmt.execute(params![
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
            item_date,
            source_id,
            backlog,
            score,
            json
        ])?;
        if n == 0 {
            // Known pair: add the terms it lacks, keeping its own first.
            conn.prepare_cached(
                "UPDATE hits SET terms = (
                     SELECT json_group_array(json(v) ORDER BY k) FROM (
                         SELECT value AS v, key AS k FROM json_each(hits.terms)
                         UNION ALL
                         SELECT n.value, 1000000 + n.key FROM json_each(?3) n
                         WHERE NOT EXISTS (SELECT 1 FROM json_each(hits.terms) o
                                           WHERE o.value ->> 'term' = n.value ->> 'term'
                                             AND o.value ->> 'field' = n.value ->> 'field'
                                             AND o.value ->> 'start' = n.value ->> 'start'))),
                     score = max(score, ?4)
                 WHERE item_id = ?1 AND watch = ?2",
            )?
            .execute(params![item_id, hit.watch, json, score])?;
        }
        added += n;
    }
    Ok(added)
}

/// [`insert_hits`] for an item stored earlier: its date and source are read from its row.
/// Returns 0 when there is no such item.
pub(super) fn insert_hits_on_stored<'a>(
    conn: &rusqlite::Connection,
    item_id: i64,
    hits: impl IntoIterator<Item = &'a NewHit>,
    now_ts: i64,
    backlog: bool,
) -> Result<usize> {
    let place = one(
        conn,
        "SELECT coalesce(published, first_seen), source_id FROM items WHERE id = ?1",
        [item_id],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
    )
    .optional()?;
    Ok(match place {
        Some((date, source_id)) => insert_hits(conn, item_id, hits, now_ts, date, source_id, backlog)?,
        None => 0,
    })
}
