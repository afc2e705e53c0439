//! Stories: copies of one story from different sources, folded together as items are saved
//! (by document number, by similar text, or, without a number, by the entities and actions
//! named; the candidates come from the in-memory [`FoldIndex`]), and the queries that read a
//! story back.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::fold_index::{Entry, FoldIndex, Seen, short};
use super::{Result, SignalSettings, Store, to_ts};
use crate::notice::{DocNumber, Identity, identity};
use crate::signals as sig;
use crate::watch::Entities;

/// The story a new item joins: the most similar earlier item of another source.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fold {
    pub story: i64,
    pub folded_into: i64,
    pub similarity: f64,
    /// The entry of that item, when the item is a story of its own not yet marked so.
    unmarked: Option<u32>,
}

/// The story a new item of `source_id` with `signature` (and its LSH `bands`) and document
/// numbers `docs` joins, among items of other sources first seen within the window.
/// Identifiers first: the oldest such item carrying one of its numbers (`notice::identity`
/// Same), whatever their similarity, since a report and the notice it cites share little text
/// (often not even a language). Else the most similar item when the similarity reaches the
/// threshold, unless their numbers differ: official notices share boilerplate, and
/// near-identical text with another number is another event. Last, for an item without a
/// number (a report in another language shares no text with the notice it reports), the item
/// of `entity_window` sharing one of its watches and one of its entities that is most alike
/// in the entities and actions named, when that reaches `entity_threshold`.
#[allow(clippy::too_many_arguments)]
pub(super) fn find_story(
    index: &mut FoldIndex,
    signature: &[u32],
    bands: &[u32; sig::BANDS],
    about: &About<'_>,
    source_id: i64,
    now: DateTime<Utc>,
    s: &SignalSettings,
) -> Option<Fold> {
    if signature.len() != sig::SIG_LEN {
        return None;
    }
    let docs = about.docs;
    let since = to_ts(now - s.fold_window);
    let by_text = |index: &mut FoldIndex| {
        index
            .best(signature, bands, source_id, since)
            .filter(|(sim, _)| *sim >= s.fold_threshold)
            .filter(|(_, at)| {
                index
                    .entries
                    .get(*at as usize)
                    .is_none_or(|e| identity(docs, &e.docs) != Identity::Different)
            })
    };
    let (similarity, at) = match index.same_document(docs, source_id, since) {
        Some(at) => (index.similarity(signature, at), at),
        None => match by_text(index) {
            Some(found) => found,
            None if docs.is_empty() && !about.entities.is_empty() => index
                .most_alike(
                    about.entities,
                    about.watches,
                    docs,
                    source_id,
                    to_ts(now - s.entity_window),
                )
                .filter(|(sim, _)| *sim >= s.entity_threshold)?,
            None => return None,
        },
    };
    let other = index.entries.get(at as usize)?;
    Some(Fold {
        story: if other.story != 0 { other.story } else { other.item },
        folded_into: other.item,
        similarity,
        unmarked: (other.story == 0).then_some(at),
    })
}

/// What a new item says it is about: its document numbers, the entities and actions it
/// names, and the watches it has hits in.
pub(super) struct About<'a> {
    pub docs: &'a [DocNumber],
    pub entities: &'a Entities,
    pub watches: &'a [&'a str],
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
    about: &About<'_>,
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
            docs: about.docs.into(),
            entities: (!about.entities.is_empty()).then(|| Box::new(about.entities.clone())),
            watches: about.watches.iter().map(|&w| Box::from(w)).collect(),
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
    /// Its document numbers' keys (`announcement:2026:61`).
    pub doc_numbers: Vec<String>,
    /// When it was published, if it says, and first seen.
    pub published: Option<DateTime<Utc>>,
    pub first_seen: DateTime<Utc>,
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
                doc_numbers: r
                    .get::<_, Option<String>>(6)?
                    .map(|d| crate::notice::decode(&d).into_iter().map(|d| d.key).collect())
                    .unwrap_or_default(),
                published: r.get::<_, Option<i64>>(7)?.map(super::from_ts),
                first_seen: super::from_ts(r.get(8)?),
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
    "SELECT i.id, s.name, i.title, i.link, i.folded_into, i.similarity, i.doc_numbers, i.published,
            i.first_seen
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

    /// An item carrying `number` in its title, with a signature of its title and text.
    fn notice(guid: &str, title: &str, text: &str) -> NewItem {
        let mut it = crate::store::tests::item(guid, title, text);
        it.signature = crate::signals::signature(title, text);
        it.doc_numbers = crate::notice::doc_numbers(&format!("{title}\n{text}"));
        it
    }

    const BOILERPLATE: &str = "根据《中华人民共和国出口管制法》等法律法规有关规定，为维护国家安全和利益、\
        履行防扩散等国际义务，经国务院批准，决定对部分中重稀土相关物项实施出口管制。\
        出口经营者应当按照有关规定办理出口许可手续。本公告自公布之日起正式实施。";

    #[test]
    fn copies_join_by_document_number_and_different_numbers_never_join() {
        let (_dir, mut store, names) = with_sources(3);
        let rec = crate::store::tests::fetched();
        let now = Utc::now();
        let n61 = notice(
            "61",
            "商务部公告2026年第61号 关于对部分中重稀土相关物项实施出口管制的决定",
            BOILERPLATE,
        );
        store.save(&names[0], &rec, &[n61], now).unwrap();
        // Near-identical text, another number: another event.
        let n62 = notice(
            "62",
            "商务部公告2026年第62号 关于对部分中重稀土相关物项实施出口管制的决定",
            BOILERPLATE,
        );
        let stats = store.save(&names[1], &rec, &[n62], now).unwrap();
        assert_eq!(stats.folded, 0, "No. 62 must not join No. 61's story");
        // An English report citing No. 61 shares no text with it, and joins it by the number.
        let report = notice(
            "en",
            "China curbs exports of some rare earth items",
            "The Ministry of Commerce said in MOFCOM Announcement No. 61 of 2026 that export controls apply.",
        );
        let stats = store.save(&names[2], &rec, &[report], now).unwrap();
        assert_eq!(stats.folded, 1, "the report joins the notice it cites");
        let members: Vec<(String, Vec<String>)> = store
            .story(1)
            .unwrap()
            .into_iter()
            .map(|m| (m.source, m.doc_numbers))
            .collect();
        assert_eq!(
            members,
            vec![
                (names[0].clone(), vec!["announcement:2026:61".to_string()]),
                (names[2].clone(), vec!["announcement:2026:61".to_string()]),
            ]
        );
        assert_eq!(store.story(2).unwrap().len(), 1, "No. 62 stands alone");
    }

    #[test]
    fn without_the_number_check_near_identical_notices_would_fold() {
        // The reason for the check above: their texts are similar enough to fold.
        let a = crate::signals::signature(
            "商务部公告2026年第61号 关于对部分中重稀土相关物项实施出口管制的决定",
            BOILERPLATE,
        )
        .unwrap();
        let b = crate::signals::signature(
            "商务部公告2026年第62号 关于对部分中重稀土相关物项实施出口管制的决定",
            BOILERPLATE,
        )
        .unwrap();
        assert!(
            crate::signals::similarity(&short(&a), &short(&b)) >= SignalSettings::default().fold_threshold,
            "the pair no longer tests the number check"
        );
    }

    /// `item` naming `things` and `actions`.
    fn naming(mut item: NewItem, things: &[&str], actions: &[&str]) -> NewItem {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        item.entities = Entities {
            things: v(things),
            actions: v(actions),
        };
        item
    }

    #[test]
    fn an_item_without_a_number_joins_by_entities_and_one_with_another_number_never() {
        let (_dir, mut store, names) = with_sources(4);
        let rec = crate::store::tests::fetched();
        let now = Utc::now();
        let n61 = notice(
            "61",
            "商务部公告2026年第61号 关于对镝、铽相关物项实施出口管制的决定",
            BOILERPLATE,
        );
        let n61 = naming(n61, &["dysprosium", "terbium"], &["exporting", "imposing"]);
        store.save(&names[0], &rec, &[n61], now).unwrap();
        // Another number, the same entities and actions, no shared text: never joins.
        let n62 = notice(
            "62",
            "Announcement No. 62 of 2026",
            "Export controls on dysprosium and terbium items take effect.",
        );
        let n62 = naming(n62, &["dysprosium"], &["exporting", "imposing"]);
        let stats = store.save(&names[1], &rec, &[n62], now).unwrap();
        assert_eq!(stats.folded, 0, "No. 62 must not join No. 61's story");
        // The same entities, lifted rather than imposed: another event.
        let lifted = notice("lift", "China lifts dysprosium curbs", "Exports may resume.");
        let lifted = naming(lifted, &["dysprosium"], &["easing", "exporting"]);
        let stats = store.save(&names[2], &rec, &[lifted], now).unwrap();
        assert_eq!(stats.folded, 0, "a ban lifted is not the ban imposed");
        // No number, the same entity and actions, no shared words: joins No. 61.
        let report = notice(
            "en",
            "Beijing curbs dysprosium shipments",
            "Exporters will need licences, the ministry said.",
        );
        let report = naming(report, &["dysprosium"], &["exporting", "imposing"]);
        let stats = store.save(&names[3], &rec, &[report], now).unwrap();
        assert_eq!(stats.folded, 1, "the report joins the notice");
        let members: Vec<String> = store.story(1).unwrap().into_iter().map(|m| m.source).collect();
        assert_eq!(members, vec![names[0].clone(), names[3].clone()]);
        assert_eq!(store.story(2).unwrap().len(), 1);
        assert_eq!(store.story(3).unwrap().len(), 1);
    }
}
