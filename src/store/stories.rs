//! Stories: copies of one story from different sources, folded together as items are saved
//! (the candidates come from the in-memory [`FoldIndex`]), and the queries that read a story
//! back.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::fold_index::{Entry, FoldIndex, Seen, short};
use super::{Result, SignalSettings, Store, to_ts};
use crate::signals as sig;

/// The story a new item joins: the most similar earlier item of another source.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fold {
    pub story: i64,
    pub folded_into: i64,
    pub similarity: f64,
    /// The entry of that item, when the item is a story of its own not yet marked so.
    unmarked: Option<u32>,
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

impl Store {
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
#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewItem;
    use crate::store::tests::{story_item as item, with_sources};

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
}
