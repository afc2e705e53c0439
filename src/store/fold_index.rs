//! The in-memory LSH index of recent signatures, which finds the candidate copies of a new
//! item without a query per band, with the items' document numbers and the entities they name
//! (for items that share no text with their story). `stories` uses it while saving; it reads
//! `signatures` (and the items' numbers, entities and watches) to load itself and writes
//! nothing.

use rustc_hash::FxHashMap;

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Result, SignalSettings, to_ts};
use crate::signals as sig;
use crate::watch::{Entities, entity_similarity};

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
    pub(super) entries: Vec<Entry>,
    /// Each entry's source and first-seen time, which every candidate is checked for: kept
    /// apart, 16 bytes an entry side by side, where an entry is 400 (a cache miss each).
    seen: Vec<Seen>,
    /// Scratch for [`FoldIndex::best`], one count per entry, all 0 between calls.
    shares: Vec<u8>,
    /// Document number key → the entries carrying it, oldest first.
    by_doc: FxHashMap<String, Vec<u32>>,
    /// Entity concept → the entries naming it, oldest first.
    by_entity: FxHashMap<String, Vec<u32>>,
}

#[derive(Debug, PartialEq)]
pub(super) struct Entry {
    pub(super) item: i64,
    /// The story the item is in, 0 while it is in none (it is then a story of its own, not
    /// yet marked so in the database).
    pub(super) story: i64,
    pub(super) sig: [u16; sig::SIG_LEN],
    pub(super) bands: [u32; sig::BANDS],
    /// Its document numbers (most items have none).
    pub(super) docs: Box<[crate::notice::DocNumber]>,
    /// The entities and actions it names (`None`: none), and the watches it has hits in.
    pub(super) entities: Option<Box<Entities>>,
    pub(super) watches: Box<[Box<str>]>,
}

/// Where and when an entry's item was first seen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Seen {
    pub(super) source: i64,
    pub(super) first_seen: i64,
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
/// An entity many items name (rare earths in a busy week) is looked up in its newest this
/// many items only, which bounds the work for one new item.
const ENTITY_CANDIDATES: usize = 64;
/// At most this many candidates (those sharing the most bands) are compared exactly.
const CANDIDATES: usize = 16;

impl FoldIndex {
    /// Loads (or reloads, after a day) the signatures first seen within the window; an index
    /// that has filled up keeps its newest half.
    pub(super) fn ensure(
        &mut self,
        conn: &rusqlite::Connection,
        now: DateTime<Utc>,
        s: &SignalSettings,
    ) -> Result<()> {
        let cutoff = to_ts(now - s.fold_window.max(s.entity_window));
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
                 SELECT g.item_id, g.sig, i.source_id, i.first_seen, coalesce(i.story_id, 0),
                        i.doc_numbers, i.entities,
                        (SELECT group_concat(h.watch, char(31)) FROM hits h WHERE h.item_id = g.item_id)
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
                docs: r
                    .get::<_, Option<String>>(5)?
                    .map(|d| crate::notice::decode(&d).into())
                    .unwrap_or_default(),
                entities: r
                    .get::<_, Option<String>>(6)?
                    .map(|e| Entities::decode(&e))
                    .filter(|e| !e.is_empty())
                    .map(Box::new),
                watches: r
                    .get::<_, Option<String>>(7)?
                    .map(|w| w.split('\u{1f}').map(Box::from).collect())
                    .unwrap_or_default(),
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
        self.by_doc.clear();
        self.by_entity.clear();
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
    pub(super) fn add(&mut self, entry: Entry, seen: Seen) {
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
        for d in entry.docs.iter() {
            let list = self.by_doc.entry(d.key.clone()).or_default();
            if list.last() != Some(&at) {
                list.push(at);
            }
        }
        for t in entry.entities.iter().flat_map(|e| &e.things) {
            self.by_entity.entry(t.clone()).or_default().push(at);
        }
        self.seen.push(seen);
        self.entries.push(entry);
    }

    /// The entry of another source first seen at or after `since` that an item naming
    /// `entities`, with hits in `watches`, is most alike (`watch::entity_similarity`) among
    /// those sharing a watch and an entity with it and whose numbers do not differ from
    /// `docs`; ties go to the older. Returns the similarity and the entry.
    pub(super) fn most_alike(
        &self,
        entities: &Entities,
        watches: &[&str],
        docs: &[crate::notice::DocNumber],
        source: i64,
        since: i64,
    ) -> Option<(f64, u32)> {
        let mut best: Option<(f64, u32)> = None;
        let mut seen_at = rustc_hash::FxHashSet::default();
        let candidates = entities
            .things
            .iter()
            .filter_map(|t| self.by_entity.get(t))
            .flat_map(|list| list.iter().rev().take(ENTITY_CANDIDATES))
            .copied();
        for at in candidates {
            if !seen_at.insert(at) {
                continue;
            }
            let (Some(s), Some(e)) = (self.seen.get(at as usize), self.entries.get(at as usize)) else {
                continue;
            };
            if s.source == source || s.first_seen < since {
                continue;
            }
            if !e.watches.iter().any(|w| watches.contains(&&**w)) {
                continue;
            }
            if crate::notice::identity(docs, &e.docs) == crate::notice::Identity::Different {
                continue;
            }
            let Some(theirs) = &e.entities else { continue };
            let sim = entity_similarity(entities, theirs);
            best = match best {
                Some((b, bat)) if b > sim || (b == sim && bat < at) => best,
                _ => Some((sim, at)),
            };
        }
        best
    }

    /// The oldest entry of another source first seen at or after `since` that carries one of
    /// `docs`' numbers with no issuer ruling it out (`notice::identity` Same).
    pub(super) fn same_document(
        &self,
        docs: &[crate::notice::DocNumber],
        source: i64,
        since: i64,
    ) -> Option<u32> {
        docs.iter()
            .filter_map(|d| self.by_doc.get(&d.key))
            .flatten()
            .copied()
            .filter(|&at| {
                self.seen
                    .get(at as usize)
                    .is_some_and(|s| s.source != source && s.first_seen >= since)
                    && self.entries.get(at as usize).is_some_and(|e| {
                        crate::notice::identity(docs, &e.docs) == crate::notice::Identity::Same
                    })
            })
            .min()
    }

    /// The estimated similarity of `signature` to entry `at`'s.
    pub(super) fn similarity(&self, signature: &[u32], at: u32) -> f64 {
        self.entries.get(at as usize).map_or(0.0, |e| {
            f64::from(agreeing(&short(signature), &e.sig)) / sig::SIG_LEN as f64
        })
    }

    /// The entries with band `b`, oldest first.
    #[cfg(test)]
    fn band(&self, b: u32) -> &[u32] {
        band_entries(&self.bands, &self.lists, b)
    }

    /// The most similar item of another source first seen at or after `since`, among the
    /// candidates sharing the most bands (at most `BAND_CANDIDATES` per band); ties go to
    /// the older item. Returns its entry and the similarity.
    pub(super) fn best(
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
pub(super) fn short(signature: &[u32]) -> [u16; sig::SIG_LEN] {
    let mut out = [0; sig::SIG_LEN];
    for (o, v) in out.iter_mut().zip(signature) {
        *o = *v as u16;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewItem;
    use crate::store::tests::{story_item as item, with_sources};

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
                    docs: Box::default(),
                    entities: None,
                    watches: Box::default(),
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
