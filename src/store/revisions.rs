//! Revisions and events: when a stored item comes back changed, its earlier revision is kept
//! and an `edited` event recorded; when it leaves its list while items listed after it stay,
//! a `withdrawn` event (and `restored` when it comes back). Also the queries that read them.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::write::{Indexing, NewItem, index_stored_item, insert_hits};
use super::{Result, SignalSettings, Store, exec, from_ts, one, to_ts};
use crate::signals as sig;

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
        "UPDATE items SET title = ?2, summary = ?3, text = ?4, fingerprint = ?5, revised = ?6, status = 'edited',
                          notice = CASE WHEN ?7 THEN ?8 ELSE notice END
         WHERE id = ?1",
        params![
            id,
            new.item.title,
            new_summary,
            new_text,
            fingerprint,
            now,
            // The facts of the old text would be stale: the new text's replace them, or
            // none (NULL, read again by whoever needs them) when it has no hits now.
            new.check_text,
            new.notice.as_ref().map(crate::notice::Facts::stored),
        ],
    )?;
    event(tx, id, "edited", now, &format!("{what} changed"))?;
    out.edited = true;
    // Hits of terms new to the item are news; the same terms at shifted places are not.
    let mut have: HashSet<(String, String, String)> = HashSet::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT h.watch, t.value ->> 'term', t.value ->> 'field'
             FROM hits h, json_each(h.terms) t WHERE h.item_id = ?1",
        )?;
        for r in stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))? {
            have.insert(r?);
        }
    }
    let had_hits = !have.is_empty();
    let mut fresh = Vec::new();
    for h in &new.hits {
        let key = (
            h.hit.watch.clone(),
            h.hit.term.clone(),
            h.hit.field.as_str().to_string(),
        );
        if (new.check_text || h.hit.field == crate::watch::Field::Title) && have.insert(key) {
            fresh.push(h);
        }
    }
    out.new_hits += insert_hits(tx, id, fresh, now, date, source_id, false)? as u64;
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

/// An event with what a digest shows of its item.
#[derive(Debug, Clone)]
pub struct PendingEvent {
    pub event: ItemEvent,
    pub source: String,
    pub title: String,
    pub link: Option<String>,
    /// The watches with hits in the item.
    pub watches: Vec<String>,
    /// The item's text as it stands.
    pub text: String,
    /// For an edit, the revision it replaced.
    pub before: Option<Revision>,
}

/// The events a query of [`Store`] reads, with their item, by a condition on `e` and `i`.
macro_rules! event_query {
    ($cond:literal) => {
        concat!(
            "SELECT e.id, e.item_id, e.kind, e.at, e.detail, s.name, i.title, i.link,
                    (SELECT group_concat(DISTINCT watch) FROM hits WHERE item_id = e.item_id), i.text,
                    r.title, r.text, r.fetched, r.replaced
             FROM events e JOIN items i ON i.id = e.item_id JOIN sources s ON s.id = i.source_id
             LEFT JOIN revisions r ON e.kind = 'edited' AND r.id =
                 (SELECT max(id) FROM revisions WHERE item_id = e.item_id AND replaced = e.at)
             WHERE ",
            $cond,
            " ORDER BY e.at, e.id"
        )
    };
}

impl Store {
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

    /// Events not yet mailed, on items that have hits (those are the ones a reader follows).
    pub fn pending_events(&self) -> Result<Vec<PendingEvent>> {
        self.events_where(event_query!(
            "e.digest_id IS NULL AND EXISTS (SELECT 1 FROM hits WHERE item_id = e.item_id)"
        ))
    }

    /// Edits and withdrawals of alerted items not yet alerted: a reader told of a notice is
    /// told when it changes, once per change. (An alert takes the events its items had when
    /// it was queued: those it told of already.)
    pub fn pending_change_alerts(&self) -> Result<Vec<PendingEvent>> {
        self.events_where(event_query!(
            "e.alert_id IS NULL AND e.kind IN ('edited', 'withdrawn') AND EXISTS
                 (SELECT 1 FROM hits h WHERE h.item_id = e.item_id AND h.alert_id IS NOT NULL)"
        ))
    }

    fn events_where(&self, sql: &str) -> Result<Vec<PendingEvent>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map([], |r| {
            let before = match r.get::<_, Option<String>>(10)? {
                Some(title) => Some(Revision {
                    title,
                    text: r.get(11)?,
                    fetched: from_ts(r.get(12)?),
                    replaced: from_ts(r.get(13)?),
                }),
                None => None,
            };
            Ok(PendingEvent {
                event: event_row(r)?,
                source: r.get(5)?,
                title: r.get(6)?,
                link: r.get(7)?,
                watches: r
                    .get::<_, Option<String>>(8)?
                    .map(|w| w.split(',').map(String::from).collect())
                    .unwrap_or_default(),
                text: r.get(9)?,
                before,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

fn event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ItemEvent> {
    Ok(ItemEvent {
        id: r.get(0)?,
        item_id: r.get(1)?,
        kind: r.get(2)?,
        at: from_ts(r.get(3)?),
        detail: r.get(4)?,
    })
}
