//! The store's side of signals: revisions and edit events when a stored item comes back
//! changed, withdrawal events when an item leaves its list, and folding copies of one story.

use std::collections::{HashMap, HashSet};

use rustc_hash::FxHashMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::write::{Indexing, NewItem, index_stored_item, insert_hit};
use super::{Result, Store, exec, from_ts, one, to_ts};
use crate::config::SignalsConfig;
use crate::signals as sig;

/// The settings the store applies while saving.
#[derive(Debug, Clone)]
pub struct SignalSettings {
    pub withdraw_window: chrono::Duration,
    pub fold_threshold: f64,
    pub fold_window: chrono::Duration,
}

impl Default for SignalSettings {
    fn default() -> Self {
        (&SignalsConfig::default()).into()
    }
}

impl From<&SignalsConfig> for SignalSettings {
    fn from(c: &SignalsConfig) -> Self {
        let d = |x: std::time::Duration| chrono::Duration::from_std(x).unwrap_or(chrono::Duration::MAX);
        Self {
            withdraw_window: d(c.withdraw_window),
            fold_threshold: c.fold_threshold,
            fold_window: d(c.fold_window),
        }
    }
}

/// What revisiting a stored item found.
#[derive(Debug, Default)]
pub(super) struct Revisit {
    pub edited: bool,
    pub new_hits: u64,
}

/// A stored item seen again. When its fingerprint changed, the stored revision moves to
/// `revisions` (with the time it was fetched and the time it was replaced), the item takes
/// the new one, an `edited` event is recorded, and hits of terms the item did not have before
/// are added. An item listed again after a withdrawal gets a `restored` event.
pub(super) fn revisit(
    tx: &rusqlite::Connection,
    source_id: i64,
    uid: &str,
    new: &NewItem,
    now: i64,
    indexing: Indexing,
) -> Result<Revisit> {
    let row = one(
        tx,
        "SELECT id, title, summary, text, fingerprint, status, coalesce(revised, first_seen),
                coalesce(published, first_seen)
             FROM items WHERE source_id = ?1 AND uid = ?2",
        params![source_id, uid],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, i64>(7)?,
            ))
        },
    )
    .optional()?;
    let Some((id, title, summary, text, fingerprint, status, fetched, date)) = row else {
        return Ok(Revisit::default());
    };
    let mut out = Revisit::default();
    if status.as_deref() == Some("withdrawn") {
        exec(
            tx,
            "UPDATE items SET status = CASE WHEN EXISTS (SELECT 1 FROM revisions WHERE item_id = ?1)
                                       THEN 'edited' END WHERE id = ?1",
            [id],
        )?;
        event(tx, id, "restored", now, "listed again after it was withdrawn")?;
    }
    let old = fingerprint.unwrap_or_else(|| sig::fingerprint(&title, &text));
    let Some(what) = sig::changed(&old, &new.fingerprint, new.check_text) else {
        return Ok(out);
    };
    exec(
        tx,
        "INSERT INTO revisions(item_id, title, summary, text, fetched, replaced) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, title, summary, text, fetched, now],
    )?;
    // An item whose text was not compared keeps its stored text (a followed page's).
    let (new_summary, new_text) = if new.check_text {
        (new.item.summary.as_str(), new.text.as_str())
    } else {
        (summary.as_str(), text.as_str())
    };
    let fingerprint = if new.check_text {
        new.fingerprint.clone()
    } else {
        sig::fingerprint(&new.item.title, &text)
    };
    exec(
        tx,
        "UPDATE items SET title = ?2, summary = ?3, text = ?4, fingerprint = ?5, revised = ?6, status = 'edited'
         WHERE id = ?1",
        params![id, new.item.title, new_summary, new_text, fingerprint, now],
    )?;
    event(tx, id, "edited", now, &format!("{what} changed"))?;
    out.edited = true;
    // Hits of terms new to the item are news; the same terms at shifted places are not.
    let mut have: HashSet<(String, String, String)> = HashSet::new();
    {
        let mut stmt = tx.prepare_cached("SELECT watch, term, field FROM hits WHERE item_id = ?1")?;
        for r in stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))? {
            have.insert(r?);
        }
    }
    let had_hits = !have.is_empty();
    for h in &new.hits {
        let key = (
            h.hit.watch.clone(),
            h.hit.term.clone(),
            h.hit.field.as_str().to_string(),
        );
        if (new.check_text || h.hit.field == crate::watch::Field::Title) && have.insert(key) {
            out.new_hits += insert_hit(tx, id, h, now, date, source_id, false)? as u64;
        }
    }
    if !had_hits && out.new_hits > 0 {
        index_stored_item(tx, id, indexing)?;
    }
    Ok(out)
}

fn event(tx: &rusqlite::Connection, item_id: i64, kind: &str, at: i64, detail: &str) -> Result<()> {
    exec(
        tx,
        "INSERT INTO events(item_id, kind, at, detail) VALUES (?1, ?2, ?3, ?4)",
        params![item_id, kind, at, detail],
    )?;
    Ok(())
}

/// Compares this fetch's list (`current`, in the source's order) with the last one. An item
/// missing now while an item listed after it last time is still listed was taken down, not
/// pushed out by newer ones: if it was first seen within the window it is marked withdrawn.
/// Returns how many were.
pub(super) fn withdrawals(
    tx: &rusqlite::Connection,
    source_id: i64,
    current: &[String],
    now: DateTime<Utc>,
    s: &SignalSettings,
) -> Result<u64> {
    let previous: Option<String> = tx
        .prepare_cached("SELECT listed FROM sources WHERE id = ?1")?
        .query_row([source_id], |r| r.get(0))?;
    tx.prepare_cached("UPDATE sources SET listed = ?2 WHERE id = ?1")?
        .execute(params![source_id, current.join("\n")])?;
    let Some(previous) = previous else { return Ok(0) };
    let listed: HashSet<&str> = current.iter().map(String::as_str).collect();
    let before: Vec<&str> = previous.split('\n').filter(|u| !u.is_empty()).collect();
    let Some(last_kept) = before.iter().rposition(|u| listed.contains(u)) else {
        return Ok(0);
    };
    let cutoff = to_ts(now - s.withdraw_window);
    let mut n = 0;
    for uid in before[..last_kept].iter().filter(|u| !listed.contains(*u)) {
        let row: Option<(i64, Option<String>)> = one(
            tx,
            "SELECT id, status FROM items WHERE source_id = ?1 AND uid = ?2 AND first_seen >= ?3",
            params![source_id, uid, cutoff],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
        if let Some((id, status)) = row
            && status.as_deref() != Some("withdrawn")
        {
            exec(tx, "UPDATE items SET status = 'withdrawn' WHERE id = ?1", [id])?;
            event(
                tx,
                id,
                "withdrawn",
                to_ts(now),
                "no longer listed, while older items still are",
            )?;
            n += 1;
        }
    }
    Ok(n)
}

/// Recent signatures in memory, with their LSH bands, so a new item finds its candidate
/// copies without a query per band. Loaded from `signatures` on first use (items first seen
/// within the fold window) and reloaded once a day, so it holds about the window's items with
/// hits; dropped whenever a save fails, since it may then hold rows that were rolled back.
/// When it fills up it keeps its newest half, in memory: the half a reload would read.
///
/// Kept small, since a daemon holds it all day: each signature value is kept as its low 16
/// bits (two values that differ agree there once in 65,536 times, which moves no estimate by
/// a visible amount), items live in one vector, and a band only one item has (most of them)
/// costs one map entry of 8 bytes. About 700 bytes an item.
///
/// Each band is one probe of one map (finding candidates probes 32 for every new item with
/// hits, and the map is megabytes, so each probe is a cache miss).
#[derive(Debug, Default)]
pub struct FoldIndex {
    loaded: Option<DateTime<Utc>>,
    /// Band key → the one entry of `entries` with that band, or `MANY` | the index in `lists`
    /// of the entries with that band when more than one has it.
    bands: FxHashMap<u32, u32>,
    /// The entries of a band more than one has, oldest first, the newest `BAND_CANDIDATES`
    /// only.
    lists: Vec<BandList>,
    /// In the order of their items' ids.
    entries: Vec<Entry>,
    /// Each entry's source and first-seen time, which every candidate is checked for: kept
    /// apart, 16 bytes an entry side by side, where an entry is 400 (a cache miss each).
    seen: Vec<Seen>,
    /// Scratch for [`FoldIndex::best`], one count per entry, all 0 between calls.
    shares: Vec<u8>,
}

#[derive(Debug, PartialEq)]
struct Entry {
    item: i64,
    /// The story the item is in, 0 while it is in none (it is then a story of its own, not
    /// yet marked so in the database).
    story: i64,
    sig: [u16; sig::SIG_LEN],
    bands: [u32; sig::BANDS],
}

/// Where and when an entry's item was first seen.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Seen {
    source: i64,
    first_seen: i64,
}

/// A band's entries, when more than one has it.
#[derive(Debug, Clone, Copy)]
struct BandList {
    at: [u32; BAND_CANDIDATES],
    len: u8,
}

impl BandList {
    fn as_slice(&self) -> &[u32] {
        &self.at[..usize::from(self.len)]
    }

    /// Adds the newest entry, dropping the oldest when full.
    fn push(&mut self, at: u32) {
        if usize::from(self.len) == BAND_CANDIDATES {
            self.at.copy_within(1.., 0);
            self.at[BAND_CANDIDATES - 1] = at;
        } else {
            self.at[usize::from(self.len)] = at;
            self.len += 1;
        }
    }
}

/// Marks a value of `FoldIndex::bands` as an index in `lists`.
const MANY: u32 = 1 << 31;

/// The entries with band `b`, oldest first, in `FoldIndex`'s `bands` and `lists`.
fn band_entries<'a>(bands: &'a FxHashMap<u32, u32>, lists: &'a [BandList], b: u32) -> &'a [u32] {
    match bands.get(&b) {
        None => &[],
        Some(v) if v & MANY == 0 => std::slice::from_ref(v),
        Some(v) => lists[(v & !MANY) as usize].as_slice(),
    }
}

/// The index holds at most about this many items: past it, it keeps the newest half. A few
/// days of real sources have far fewer items with hits; a flood of them must not grow the
/// daemon without bound.
const MAX_INDEXED: usize = 8_000;

/// A band shared by more items than this is common text (boilerplate, a repeated headline);
/// only its newest items are looked at, which bounds the work for one new item.
const BAND_CANDIDATES: usize = 8;
/// At most this many candidates (those sharing the most bands) are compared exactly.
const CANDIDATES: usize = 16;

/// The story a new item joins: the most similar earlier item of another source.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fold {
    pub story: i64,
    pub folded_into: i64,
    pub similarity: f64,
    /// The entry of that item, when the item is a story of its own not yet marked so.
    unmarked: Option<u32>,
}

impl FoldIndex {
    /// Loads (or reloads, after a day) the signatures first seen within the window; an index
    /// that has filled up keeps its newest half.
    pub(super) fn ensure(
        &mut self,
        conn: &rusqlite::Connection,
        now: DateTime<Utc>,
        s: &SignalSettings,
    ) -> Result<()> {
        let cutoff = to_ts(now - s.fold_window);
        if self
            .loaded
            .is_some_and(|t| now - t < chrono::Duration::days(1) && t <= now)
        {
            if self.entries.len() >= MAX_INDEXED {
                self.keep_newest(MAX_INDEXED / 2, cutoff);
            }
            return Ok(());
        }
        self.load(conn, now, cutoff, MAX_INDEXED / 2)
    }

    /// Reads the newest `limit` signatures first seen at or after `since` into a new index.
    fn load(
        &mut self,
        conn: &rusqlite::Connection,
        now: DateTime<Utc>,
        since: i64,
        limit: usize,
    ) -> Result<()> {
        *self = FoldIndex {
            loaded: Some(now),
            ..Default::default()
        };
        let mut stmt = conn.prepare_cached(
            "SELECT * FROM (
                 SELECT g.item_id, g.sig, i.source_id, i.first_seen, coalesce(i.story_id, 0)
                 FROM signatures g JOIN items i ON i.id = g.item_id
                 WHERE i.first_seen >= ?1 ORDER BY g.item_id DESC LIMIT ?2)
             ORDER BY item_id",
        )?;
        let rows = stmt.query_map(params![since, limit as i64], |r| {
            let signature = sig::sig_from_blob(&r.get::<_, Vec<u8>>(1)?);
            let entry = Entry {
                item: r.get(0)?,
                story: r.get(4)?,
                sig: short(&signature),
                bands: sig::bands(&signature),
            };
            let seen = Seen {
                source: r.get(2)?,
                first_seen: r.get(3)?,
            };
            Ok((entry, seen, signature.len()))
        })?;
        for row in rows {
            let (entry, seen, len) = row?;
            if len == sig::SIG_LEN {
                self.add(entry, seen);
            }
        }
        Ok(())
    }

    /// Keeps the newest `keep` entries first seen at or after `since`, as a reload would.
    fn keep_newest(&mut self, keep: usize, since: i64) {
        let entries = std::mem::take(&mut self.entries);
        let seen = std::mem::take(&mut self.seen);
        let within = seen.iter().filter(|s| s.first_seen >= since).count();
        self.bands.clear();
        self.lists.clear();
        let kept = entries
            .into_iter()
            .zip(seen)
            .filter(|(_, s)| s.first_seen >= since);
        for (e, s) in kept.skip(within.saturating_sub(keep)) {
            self.add(e, s);
        }
    }

    /// Adds an entry, which must be of a newer item than every entry already here: entries
    /// are kept in the order of their items, so the older of two is the one of lower index.
    /// (`load` reads them in that order; a new item's id is above every stored one.)
    fn add(&mut self, entry: Entry, seen: Seen) {
        debug_assert!(self.entries.last().is_none_or(|e| e.item < entry.item));
        let Some(at) = u32::try_from(self.entries.len()).ok().filter(|&at| at < MANY) else {
            return;
        };
        for &b in &entry.bands {
            match self.bands.entry(b) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(at);
                }
                std::collections::hash_map::Entry::Occupied(mut o) => {
                    let v = *o.get();
                    if v & MANY != 0 {
                        self.lists[(v & !MANY) as usize].push(at);
                    } else if let Ok(i) = u32::try_from(self.lists.len())
                        && i < MANY
                    {
                        let mut list = BandList {
                            at: [0; BAND_CANDIDATES],
                            len: 0,
                        };
                        list.push(v);
                        list.push(at);
                        self.lists.push(list);
                        *o.get_mut() = MANY | i;
                    }
                }
            }
        }
        self.seen.push(seen);
        self.entries.push(entry);
    }

    /// The entries with band `b`, oldest first.
    #[cfg(test)]
    fn band(&self, b: u32) -> &[u32] {
        band_entries(&self.bands, &self.lists, b)
    }

    /// The most similar item of another source first seen at or after `since`, among the
    /// candidates sharing the most bands (at most `BAND_CANDIDATES` per band); ties go to
    /// the older item. Returns its entry and the similarity.
    fn best(
        &mut self,
        signature: &[u32],
        bands: &[u32; sig::BANDS],
        source: i64,
        since: i64,
    ) -> Option<(f64, u32)> {
        let mut ranked = [(0u8, 0u32); sig::BANDS * BAND_CANDIDATES];
        let n = self.candidates(bands, source, since, &mut ranked);
        let mine = short(signature);
        let mut best: Option<(u32, u32)> = None;
        for &(_, at) in &ranked[..n] {
            let agree = agreeing(&mine, &self.entries[at as usize].sig);
            // Entries are in the order of their items: the lower index is the older item.
            best = match best {
                Some((b, bat)) if b > agree || (b == agree && bat < at) => best,
                _ => Some((agree, at)),
            };
        }
        best.map(|(agree, at)| (f64::from(agree) / sig::SIG_LEN as f64, at))
    }

    /// The entries to compare with an item of `source` with `bands`: those of other sources
    /// first seen at or after `since`, the `CANDIDATES` sharing the most bands with it, older
    /// first among equals. Written as (bands shared, entry) into `out`, in no order (which of
    /// them is most similar does not depend on it); returns how many.
    fn candidates(
        &mut self,
        bands: &[u32; sig::BANDS],
        source: i64,
        since: i64,
        out: &mut [(u8, u32); sig::BANDS * BAND_CANDIDATES],
    ) -> usize {
        // How many bands each entry shares, counted in a scratch array by entry, with the
        // entries touched listed. This runs for every new item with hits: no sorting, and no
        // allocation once the scratch array has grown.
        self.shares.resize(self.entries.len(), 0);
        let mut touched = [0u32; sig::BANDS * BAND_CANDIDATES];
        let mut n = 0;
        for b in bands {
            let list = band_entries(&self.bands, &self.lists, *b);
            for &at in list {
                let Some(count) = self.shares.get_mut(at as usize) else {
                    continue;
                };
                if *count == 0 {
                    touched[n] = at;
                    n += 1;
                }
                *count += 1;
            }
        }
        let mut r = 0;
        for &at in &touched[..n] {
            let shared = std::mem::take(&mut self.shares[at as usize]);
            let seen = self.seen[at as usize];
            if seen.source != source && seen.first_seen >= since {
                out[r] = (shared, at);
                r += 1;
            }
        }
        if r > CANDIDATES {
            // Entries are in the order of their items (see `add`), so the older of two is
            // the one of lower index, told without reading either entry.
            out[..r]
                .select_nth_unstable_by_key(CANDIDATES - 1, |&(shared, at)| (std::cmp::Reverse(shared), at));
        }
        r.min(CANDIDATES)
    }
}

/// How many positions two short signatures agree in (over `SIG_LEN`, the estimated
/// similarity).
fn agreeing(a: &[u16; sig::SIG_LEN], b: &[u16; sig::SIG_LEN]) -> u32 {
    a.iter().zip(b).map(|(x, y)| u32::from(x == y)).sum()
}

/// A signature's values cut to their low 16 bits, as the index keeps them.
fn short(signature: &[u32]) -> [u16; sig::SIG_LEN] {
    let mut out = [0; sig::SIG_LEN];
    for (o, v) in out.iter_mut().zip(signature) {
        *o = *v as u16;
    }
    out
}

/// The story a new item of `source_id` with `signature` (and its LSH `bands`) joins: that of
/// the most similar item of another source first seen within the window, when the similarity
/// reaches the threshold.
pub(super) fn find_story(
    index: &mut FoldIndex,
    signature: &[u32],
    bands: &[u32; sig::BANDS],
    source_id: i64,
    now: DateTime<Utc>,
    s: &SignalSettings,
) -> Option<Fold> {
    if signature.len() != sig::SIG_LEN {
        return None;
    }
    let (similarity, at) = index
        .best(signature, bands, source_id, to_ts(now - s.fold_window))
        .filter(|(sim, _)| *sim >= s.fold_threshold)?;
    let other = index.entries.get(at as usize)?;
    Some(Fold {
        story: if other.story != 0 { other.story } else { other.item },
        folded_into: other.item,
        similarity,
        unmarked: (other.story == 0).then_some(at),
    })
}

/// Records a new item's signature (with the `bands` [`find_story`] was given), after the
/// item was stored (folded into `fold`'s story when it has one): the story's first item is
/// marked as the story's, and the item joins the index.
#[allow(clippy::too_many_arguments)]
pub(super) fn remember(
    tx: &rusqlite::Connection,
    index: &mut FoldIndex,
    item_id: i64,
    source_id: i64,
    signature: &[u32],
    bands: &[u32; sig::BANDS],
    fold: Option<Fold>,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.prepare_cached("INSERT INTO signatures(item_id, sig) VALUES (?1, ?2)")?
        .execute(params![item_id, sig::sig_to_blob(signature)])?;
    if let Some(f) = fold
        && let Some(at) = f.unmarked
    {
        tx.prepare_cached("UPDATE items SET story_id = ?1 WHERE id = ?1 AND story_id IS NULL")?
            .execute([f.story])?;
        if let Some(e) = index.entries.get_mut(at as usize) {
            e.story = f.story;
        }
    }
    if signature.len() == sig::SIG_LEN {
        let entry = Entry {
            item: item_id,
            story: fold.map_or(0, |f| f.story),
            sig: short(signature),
            bands: *bands,
        };
        let seen = Seen {
            source: source_id,
            first_seen: to_ts(now),
        };
        index.add(entry, seen);
    }
    Ok(())
}

/// An earlier revision of an item.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Revision {
    pub title: String,
    pub text: String,
    pub fetched: DateTime<Utc>,
    pub replaced: DateTime<Utc>,
}

/// An edit, withdrawal or restoration of an item.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ItemEvent {
    pub id: i64,
    pub item_id: i64,
    pub kind: String,
    pub at: DateTime<Utc>,
    pub detail: String,
}

/// One item of a story, with how it joined.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoryMember {
    pub item_id: i64,
    pub source: String,
    pub title: String,
    pub link: Option<String>,
    /// The item it was found similar to, and the estimated similarity.
    pub folded_into: Option<i64>,
    pub similarity: Option<f64>,
}

/// An event with what a digest shows of its item.
#[derive(Debug, Clone)]
pub struct PendingEvent {
    pub event: ItemEvent,
    pub source: String,
    pub title: String,
    pub link: Option<String>,
    /// The watches with hits in the item.
    pub watches: Vec<String>,
}

impl Store {
    /// Sets what saving applies: the withdrawal window and the folding threshold and window.
    pub fn set_signals(&mut self, cfg: &SignalsConfig) {
        self.signals = cfg.into();
    }

    /// An item's earlier revisions, oldest first.
    pub fn revisions(&self, item_id: i64) -> Result<Vec<Revision>> {
        let mut stmt = self.conn.prepare(
            "SELECT title, text, fetched, replaced FROM revisions WHERE item_id = ?1 ORDER BY fetched, id",
        )?;
        let rows = stmt.query_map([item_id], |r| {
            Ok(Revision {
                title: r.get(0)?,
                text: r.get(1)?,
                fetched: from_ts(r.get(2)?),
                replaced: from_ts(r.get(3)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// An item's events, oldest first.
    pub fn events(&self, item_id: i64) -> Result<Vec<ItemEvent>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, item_id, kind, at, detail FROM events WHERE item_id = ?1 ORDER BY at, id")?;
        let rows = stmt.query_map([item_id], event_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The items of the story `item_id` belongs to (just itself when it was never folded),
    /// in the order they were stored.
    pub fn story(&self, item_id: i64) -> Result<Vec<StoryMember>> {
        let mut stmt = self.conn.prepare(STORY_MEMBERS)?;
        let rows = stmt.query_map([item_id], |r| {
            Ok(StoryMember {
                item_id: r.get(0)?,
                source: r.get(1)?,
                title: r.get(2)?,
                link: r.get(3)?,
                folded_into: r.get(4)?,
                similarity: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Events not yet mailed, on items that have hits (those are the ones a reader follows).
    pub fn pending_events(&self) -> Result<Vec<PendingEvent>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.id, e.item_id, e.kind, e.at, e.detail, s.name, i.title, i.link,
                    (SELECT group_concat(DISTINCT watch) FROM hits WHERE item_id = e.item_id)
             FROM events e JOIN items i ON i.id = e.item_id JOIN sources s ON s.id = i.source_id
             WHERE e.digest_id IS NULL AND EXISTS (SELECT 1 FROM hits WHERE item_id = e.item_id)
             ORDER BY e.at, e.id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(PendingEvent {
                event: event_row(r)?,
                source: r.get(5)?,
                title: r.get(6)?,
                link: r.get(7)?,
                watches: r
                    .get::<_, Option<String>>(8)?
                    .map(|w| w.split(',').map(String::from).collect())
                    .unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Counts of stored items per story key, for the items given (1 when never folded).
    pub fn story_sizes(&self, item_ids: &[i64]) -> Result<HashMap<i64, u64>> {
        let mut out = HashMap::new();
        let mut stmt = self.conn.prepare_cached(STORY_SIZE)?;
        for &id in item_ids {
            out.insert(id, stmt.query_row([id], |r| r.get(0))?);
        }
        Ok(out)
    }
}

/// A query over the items `i` of the story item ?1 belongs to: `$select` (which joins `k`,
/// the story's key), the members' condition, then `$tail`. A story's key is its first item's
/// id: that item's `story_id` once another joined it, and every other member's. Asked as
/// "`story_id` is the key, or the item is the key and was never folded", which the index by
/// story and the primary key answer; `coalesce(story_id, id) = key`, as it was asked before,
/// made SQLite read every item.
macro_rules! story_query {
    ($select:literal, $tail:literal) => {
        concat!(
            "WITH k(key) AS (SELECT coalesce(story_id, id) FROM items WHERE id = ?1) ",
            $select,
            " WHERE i.story_id = k.key OR (i.id = k.key AND i.story_id IS NULL)",
            $tail
        )
    };
}

/// The items of the story item ?1 belongs to, for [`Store::story`].
const STORY_MEMBERS: &str = story_query!(
    "SELECT i.id, s.name, i.title, i.link, i.folded_into, i.similarity
     FROM k, items i JOIN sources s ON s.id = i.source_id",
    " ORDER BY i.id"
);

/// How many items the story of item ?1 has, for [`Store::story_sizes`].
const STORY_SIZE: &str = story_query!("SELECT count(*) FROM k, items i", "");

fn event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ItemEvent> {
    Ok(ItemEvent {
        id: r.get(0)?,
        item_id: r.get(1)?,
        kind: r.get(2)?,
        at: from_ts(r.get(3)?),
        detail: r.get(4)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An item with a hit and a signature; items of one `story` are near copies.
    fn item(guid: &str, story: usize) -> NewItem {
        let title = format!("稀土出口管制新规 第{story}号公告");
        let text = format!("商务部决定对稀土相关物项实施出口管制，第{story}号公告自公布之日起施行 {guid}");
        let mut it = crate::store::tests::item(guid, &title, &text);
        it.signature = sig::signature(&title, &text);
        it
    }

    /// A store in a temporary directory with `n` sources, and their names.
    fn with_sources(n: usize) -> (tempfile::TempDir, Store, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("t.db")).unwrap();
        let names: Vec<String> = (0..n).map(|i| format!("s{i}")).collect();
        store
            .sync_sources(names.iter().map(|n| (n.as_str(), "http://x.test/")))
            .unwrap();
        (dir, store, names)
    }

    /// A band and the items of its entries.
    type BandItems = (u32, Vec<i64>);

    /// What an index holds, comparable: its entries, and its band maps in entry terms.
    fn contents(ix: &FoldIndex) -> (Vec<(&Entry, &Seen)>, Vec<BandItems>) {
        let mut bands: Vec<BandItems> = ix
            .bands
            .keys()
            .map(|&b| {
                (
                    b,
                    ix.band(b)
                        .iter()
                        .map(|at| ix.entries[*at as usize].item)
                        .collect(),
                )
            })
            .collect();
        bands.sort();
        (ix.entries.iter().zip(&ix.seen).collect(), bands)
    }

    /// `FoldIndex::best` as first written (every candidate sorted, then ranked by sorting),
    /// with the candidates it compared, sorted by entry.
    fn best_by_sorting(
        ix: &FoldIndex,
        signature: &[u32],
        source: i64,
        since: i64,
    ) -> (Option<(f64, u32)>, Vec<u32>) {
        let mut seen: Vec<u32> = Vec::new();
        for b in sig::bands(signature) {
            seen.extend(ix.band(b).iter().rev());
        }
        seen.sort_unstable();
        let mut ranked: Vec<(usize, u32, &Entry)> = seen
            .chunk_by(|a, b| a == b)
            .filter_map(|run| Some((run.len(), run[0], ix.entries.get(run[0] as usize)?)))
            .filter(|(_, at, _)| {
                let s = ix.seen[*at as usize];
                s.source != source && s.first_seen >= since
            })
            .collect();
        ranked.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.2.item.cmp(&b.2.item)));
        let mut compared: Vec<u32> = ranked.iter().take(CANDIDATES).map(|r| r.1).collect();
        compared.sort_unstable();
        let mine = short(signature);
        let best = ranked
            .into_iter()
            .take(CANDIDATES)
            .map(|(_, at, e)| (sig::similarity(&mine, &e.sig), at, e.item))
            .fold(None, |best: Option<(f64, u32, i64)>, (sim, at, id)| match best {
                Some((b, _, bid)) if b > sim || (b == sim && bid < id) => best,
                _ => Some((sim, at, id)),
            })
            .map(|(sim, at, _)| (sim, at));
        (best, compared)
    }

    #[test]
    fn the_best_candidate_is_the_one_ranking_by_sorting_finds() {
        // Texts from a few words, so that many items share bands: more candidates than are
        // compared, and ties.
        let words = [
            "稀土",
            "出口",
            "管制",
            "镓",
            "锗",
            "公告",
            "商务部",
            "export",
            "controls",
            "gallium",
        ];
        let mut seed = 5u64;
        // A few stories told with a word or two of difference.
        let stories = [
            "商务部 公告 对稀土相关物项实施出口管制",
            "export controls on gallium and germanium take effect",
            "镓 锗 出口管制 公告 自公布之日起施行",
        ];
        let mut text = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let mut t = stories[(seed >> 33) as usize % stories.len()].to_string();
            for _ in 0..n {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                t.push(' ');
                t.push_str(words[(seed >> 33) as usize % words.len()]);
            }
            t
        };
        let mut ix = FoldIndex::default();
        for k in 0..600i64 {
            let Some(signature) = sig::signature(&text(0), &text(2)) else {
                continue;
            };
            ix.add(
                Entry {
                    // Ids in the entries' order, as `add` requires, but not their indices:
                    // the reference breaks ties by id, `candidates` and `best` by index.
                    item: 10_000 + k * 7 + k % 3,
                    story: 0,
                    sig: short(&signature),
                    bands: sig::bands(&signature),
                },
                Seen {
                    source: k % 5,
                    first_seen: k,
                },
            );
        }
        let (mut compared, mut crowded) = (0, 0);
        for q in 0..400i64 {
            let Some(signature) = sig::signature(&text(0), &text(2)) else {
                continue;
            };
            let (source, since) = (q % 6, q % 300);
            let (expected, expected_set) = best_by_sorting(&ix, &signature, source, since);
            let bands = sig::bands(&signature);
            let mut out = [(0u8, 0u32); sig::BANDS * BAND_CANDIDATES];
            let n = ix.candidates(&bands, source, since, &mut out);
            crowded += (expected_set.len() == CANDIDATES) as usize;
            let mut set: Vec<u32> = out[..n].iter().map(|c| c.1).collect();
            set.sort_unstable();
            assert_eq!(set, expected_set, "query {q}");
            let got = ix.best(&signature, &bands, source, since);
            assert_eq!(got, expected, "query {q}");
            compared += expected.is_some() as usize;
        }
        assert!(compared > 150, "most queries find a candidate: {compared}");
        assert!(
            crowded > 100,
            "most queries have more candidates than are compared: {crowded}"
        );
        assert!(
            ix.shares.iter().all(|&c| c == 0),
            "the scratch counts are left at 0"
        );
    }

    /// Story members are found through the index by story, and are those whose story key,
    /// `coalesce(story_id, id)`, is the item's: folded items, the story's first item, and an
    /// item never folded alone.
    #[test]
    fn a_storys_items_are_found_through_the_index_by_story() {
        let (_dir, mut store, names) = with_sources(4);
        let rec = crate::store::tests::fetched();
        let now = Utc::now();
        for (i, n) in names.iter().enumerate() {
            let mut items: Vec<NewItem> = (0..6).map(|k| item(&format!("{n}-{k}"), (i + k) % 3)).collect();
            items.push(crate::store::tests::item(
                &format!("{n}-alone"),
                "alone",
                "nothing alike",
            ));
            store.save(n, &rec, &items, now).unwrap();
        }
        // Column `col` of the rows `sql` gives for item ?1 = `id`.
        fn column<T: rusqlite::types::FromSql>(
            conn: &rusqlite::Connection,
            sql: &str,
            id: i64,
            col: usize,
        ) -> Vec<T> {
            let mut stmt = conn.prepare(sql).unwrap();
            let rows = stmt.query_map([id], |r| r.get(col)).unwrap();
            rows.collect::<rusqlite::Result<_>>().unwrap()
        }
        let by_scan = |id: i64| -> Vec<i64> {
            let scan = "SELECT id FROM items WHERE coalesce(story_id, id) =
                          (SELECT coalesce(story_id, id) FROM items WHERE id = ?1) ORDER BY id";
            column(&store.conn, scan, id, 0)
        };
        let ids: Vec<i64> = column(&store.conn, "SELECT id FROM items WHERE ?1 ORDER BY id", 1, 0);
        assert_eq!(ids.len(), 28);
        let sizes = store.story_sizes(&ids).unwrap();
        let mut largest = 0;
        for &id in &ids {
            let members: Vec<i64> = store.story(id).unwrap().iter().map(|m| m.item_id).collect();
            assert_eq!(members, by_scan(id), "item {id}");
            assert!(members.contains(&id), "item {id}");
            assert_eq!(sizes[&id], members.len() as u64, "item {id}");
            largest = largest.max(members.len());
        }
        assert!(largest >= 6, "copies were folded into stories: {largest}");
        for sql in [STORY_MEMBERS, STORY_SIZE] {
            let plan: Vec<String> = column(&store.conn, &format!("EXPLAIN QUERY PLAN {sql}"), 1, 3);
            assert!(plan.iter().any(|p| p.contains("items_story")), "{plan:?}");
            assert!(!plan.iter().any(|p| p.starts_with("SCAN i")), "{plan:?}");
        }
    }

    #[test]
    fn an_index_that_keeps_its_newest_half_holds_what_a_reload_reads() {
        let (_dir, mut store, names) = with_sources(12);
        let rec = crate::store::tests::fetched();
        let now = Utc::now();
        let mut folded = 0;
        for (i, n) in names.iter().enumerate() {
            let items: Vec<NewItem> = (0..20).map(|k| item(&format!("{n}-{k}"), (i + k) % 7)).collect();
            folded += store.save(n, &rec, &items, now).unwrap().folded;
        }
        assert!(folded > 100, "copies of the seven stories fold: {folded}");
        let since = to_ts(now - store.signals.fold_window);
        let mut kept = std::mem::take(&mut store.fold_index);
        assert_eq!(kept.entries.len(), 240);
        kept.keep_newest(90, since);
        let mut reloaded = FoldIndex::default();
        reloaded.load(&store.conn, now, since, 90).unwrap();
        assert_eq!(contents(&kept), contents(&reloaded));
        assert_eq!(kept.entries.len(), 90);
        // Entries first seen before the window are dropped too.
        kept.keep_newest(90, to_ts(now) + 1);
        assert!(kept.entries.is_empty() && kept.bands.is_empty() && kept.lists.is_empty());
    }
}
