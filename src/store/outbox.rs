//! The outbox: hits not yet mailed, digests queued with their rendered message, and the
//! state of each delivery.

use chrono::{DateTime, Utc};
use rusqlite::{TransactionBehavior, params};

use super::{Result, Store, from_ts, to_ts};

/// A hit waiting for a digest, with what the digest shows of it.
#[derive(Debug, Clone)]
pub struct PendingHit {
    pub id: i64,
    pub item_id: i64,
    pub watch: String,
    pub term: String,
    pub source: String,
    pub title: String,
    pub link: Option<String>,
    pub date: DateTime<Utc>,
    pub snippet: String,
    pub snippet_match: (usize, usize),
    /// Already mailed as an immediate alert.
    pub alerted: bool,
    /// Priority before the status bonus.
    pub score: f64,
    /// `edited` or `withdrawn` once the item changed since first stored.
    pub status: Option<String>,
    /// The story's first item (the item itself when never folded).
    pub story: i64,
    /// Whether the item belongs to a story of several items.
    pub folded: bool,
    /// Every term of the watch that matched the item (the first is `term`).
    pub terms: Vec<String>,
    /// The item's document numbers, with their issuers.
    pub doc_numbers: Vec<crate::notice::DocNumber>,
    /// The date the item says it takes effect.
    pub effective: Option<crate::notice::Effective>,
    /// Links to its attachments.
    pub attachments: Vec<String>,
    /// The machine translation of its title and snippet, once stored.
    pub gloss: Option<super::Gloss>,
}

/// A message in the outbox.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Queued {
    pub id: i64,
    pub created: DateTime<Utc>,
    pub message_id: String,
    pub subject: String,
    pub sender: String,
    pub recipients: Vec<String>,
    #[serde(skip)]
    pub message: Vec<u8>,
    pub hits: u64,
    pub status: String,
    pub attempts: u32,
    pub next_attempt: DateTime<Utc>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A rendered digest, ready to be queued.
#[derive(Debug, Clone)]
pub struct NewDigest {
    pub message_id: String,
    pub subject: String,
    pub sender: String,
    pub recipients: Vec<String>,
    pub message: Vec<u8>,
}

/// The columns [`pending_row`] reads, and the joins they need, for a query over hits `h`.
macro_rules! pending_columns {
    () => {
        "h.id, h.item_id, h.watch, h.term, s.name, i.title, i.link, h.item_date, h.snippet,
         h.snippet_start, h.snippet_end, h.alert_id IS NOT NULL, h.score, i.status,
         coalesce(i.story_id, i.id), i.story_id IS NOT NULL,
         (SELECT json_group_array(t.value ->> 'term') FROM json_each(h.terms) t),
         i.doc_numbers, i.notice, h.field
         FROM hits h JOIN items i ON i.id = h.item_id JOIN sources s ON s.id = h.source_id"
    };
}
pub(super) use pending_columns;

/// A row of [`pending_columns`] as a [`PendingHit`] (without its gloss), and the field its
/// snippet is from.
pub(super) fn pending_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(PendingHit, String)> {
    let notice = r
        .get::<_, Option<String>>(18)?
        .map(|n| crate::notice::Facts::from_stored(&n))
        .unwrap_or_default();
    let hit = PendingHit {
        id: r.get(0)?,
        item_id: r.get(1)?,
        watch: r.get(2)?,
        term: r.get(3)?,
        source: r.get(4)?,
        title: r.get(5)?,
        link: r.get(6)?,
        date: from_ts(r.get(7)?),
        snippet: r.get(8)?,
        snippet_match: (r.get::<_, i64>(9)? as usize, r.get::<_, i64>(10)? as usize),
        alerted: r.get(11)?,
        score: r.get(12)?,
        status: r.get(13)?,
        story: r.get(14)?,
        folded: r.get(15)?,
        terms: serde_json::from_str(&r.get::<_, String>(16)?).unwrap_or_default(),
        doc_numbers: crate::notice::decode(&r.get::<_, Option<String>>(17)?.unwrap_or_default()),
        effective: notice.effective,
        attachments: notice.attachments,
        gloss: None,
    };
    Ok((hit, r.get::<_, String>(19)?))
}

impl Store {
    /// Hits not yet taken into a digest, newest first (backlog hits only when asked).
    pub fn pending_hits(&self, with_backlog: bool) -> Result<Vec<PendingHit>> {
        self.pending(with_backlog, "")
    }

    /// Hits of the named watches not yet alerted nor taken into a digest.
    pub fn pending_alerts(&self, with_backlog: bool, watches: &[&str]) -> Result<Vec<PendingHit>> {
        if watches.is_empty() {
            return Ok(Vec::new());
        }
        // Watch names joined with a separator no name contains, so one argument can hold them.
        let joined: String = watches.iter().map(|w| format!("\u{1f}{w}\u{1f}")).collect();
        self.pending(with_backlog, &joined)
    }

    fn pending(&self, with_backlog: bool, alert_watches: &str) -> Result<Vec<PendingHit>> {
        let mut stmt = self.conn.prepare_cached(concat!(
            "SELECT ",
            pending_columns!(),
            " WHERE h.digest_id IS NULL AND (?1 OR h.backlog = 0) AND (?2 = '' OR
                   (h.alert_id IS NULL AND instr(?2, char(31) || h.watch || char(31)) > 0))
             ORDER BY h.item_date DESC, h.id DESC"
        ))?;
        let rows = stmt.query_map(params![with_backlog, alert_watches], pending_row)?;
        self.with_glosses(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Pending hits with the glosses of their titles and snippets (looked up only when some
    /// gloss is stored at all).
    pub(super) fn with_glosses(&self, rows: Vec<(PendingHit, String)>) -> Result<Vec<PendingHit>> {
        let glossed = !rows.is_empty() && self.has_glosses()?;
        let mut out = Vec::with_capacity(rows.len());
        for (mut h, field) in rows {
            if glossed {
                let snippet = (field != "title").then_some(h.snippet.as_str());
                h.gloss = self.gloss_of(h.item_id, &h.title, snippet)?;
            }
            out.push(h);
        }
        Ok(out)
    }

    /// Stores a rendered digest and takes its hits, in one transaction: either both happen
    /// or neither. Hits another digest took meanwhile are left to it.
    /// The digest's edit and withdrawal events (`event_ids`) are taken the same way.
    pub fn enqueue_digest(
        &mut self,
        d: &NewDigest,
        hit_ids: &[i64],
        event_ids: &[i64],
        now: DateTime<Utc>,
    ) -> Result<i64> {
        self.enqueue(d, hit_ids, event_ids, now, false)
    }

    /// Stores a rendered alert and marks its hits alerted (they stay for the digest).
    pub fn enqueue_alert(&mut self, d: &NewDigest, hit_ids: &[i64], now: DateTime<Utc>) -> Result<i64> {
        self.enqueue(d, hit_ids, &[], now, true)
    }

    /// Stores the rendered alert of an edit or withdrawal and marks the event alerted, in one
    /// transaction (the event stays for the digest). `None` when another alert took it.
    pub fn enqueue_change_alert(
        &mut self,
        d: &NewDigest,
        event_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let open: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM events WHERE id = ?1 AND alert_id IS NULL)",
            [event_id],
            |r| r.get(0),
        )?;
        if !open {
            return Ok(None);
        }
        let id = insert_digest(&tx, d, 0, now, "alert")?;
        tx.execute(
            "UPDATE events SET alert_id = ?1 WHERE id = ?2",
            params![id, event_id],
        )?;
        tx.commit()?;
        Ok(Some(id))
    }

    fn enqueue(
        &mut self,
        d: &NewDigest,
        hit_ids: &[i64],
        event_ids: &[i64],
        now: DateTime<Utc>,
        alert: bool,
    ) -> Result<i64> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = insert_digest(&tx, d, hit_ids.len(), now, if alert { "alert" } else { "digest" })?;
        {
            let sql = if alert {
                "UPDATE hits SET alert_id = ?1 WHERE id = ?2 AND alert_id IS NULL"
            } else {
                "UPDATE hits SET digest_id = ?1 WHERE id = ?2 AND digest_id IS NULL"
            };
            let mut take = tx.prepare_cached(sql)?;
            for h in hit_ids {
                take.execute(params![id, h])?;
            }
            if alert {
                // The item as alerted is the item with its changes so far: only later ones
                // are news to the reader.
                let mut known = tx.prepare_cached(
                    "UPDATE events SET alert_id = ?1
                     WHERE alert_id IS NULL AND item_id = (SELECT item_id FROM hits WHERE id = ?2)",
                )?;
                for h in hit_ids {
                    known.execute(params![id, h])?;
                }
            }
            let mut take =
                tx.prepare_cached("UPDATE events SET digest_id = ?1 WHERE id = ?2 AND digest_id IS NULL")?;
            for e in event_ids {
                take.execute(params![id, e])?;
            }
        }
        tx.commit()?;
        Ok(id)
    }

    /// Queued messages whose next attempt is due at `now` (all queued ones when `now` is
    /// `None`), oldest first.
    pub fn due_digests(&self, now: Option<DateTime<Utc>>) -> Result<Vec<Queued>> {
        self.digests_where(
            "status = 'queued' AND next_attempt <= ?1",
            now.map_or(i64::MAX, to_ts),
        )
    }

    /// Every message in the outbox, newest first.
    pub fn digest_status(&self) -> Result<Vec<Queued>> {
        let mut all = self.digests_where("?1 = ?1", 0)?;
        all.reverse();
        Ok(all)
    }

    /// When the next queued message is due, if any is queued.
    pub fn next_digest_attempt(&self) -> Result<Option<DateTime<Utc>>> {
        let t: Option<i64> = self.conn.query_row(
            "SELECT min(next_attempt) FROM digests WHERE status = 'queued'",
            [],
            |r| r.get(0),
        )?;
        Ok(t.map(from_ts))
    }

    fn digests_where(&self, cond: &str, arg: i64) -> Result<Vec<Queued>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT id, created, message_id, subject, sender, recipients, message, hits, status, attempts,
                    next_attempt, last_error, sent_at
             FROM digests WHERE {cond} ORDER BY id"
        ))?;
        let rows = stmt.query_map([arg], |r| {
            Ok(Queued {
                id: r.get(0)?,
                created: from_ts(r.get(1)?),
                message_id: r.get(2)?,
                subject: r.get(3)?,
                sender: r.get(4)?,
                recipients: r.get::<_, String>(5)?.split(", ").map(String::from).collect(),
                message: r.get(6)?,
                hits: r.get(7)?,
                status: r.get(8)?,
                attempts: r.get(9)?,
                next_attempt: from_ts(r.get(10)?),
                last_error: r.get(11)?,
                sent_at: r.get::<_, Option<i64>>(12)?.map(from_ts),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Delivered: the server's final answer was 250 (or the .eml was written).
    pub fn mark_digest_sent(&mut self, id: i64, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE digests SET status = 'sent', sent_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1",
            params![id, to_ts(now)],
        )?;
        Ok(())
    }

    /// Not delivered this time; try again at `next`.
    pub fn mark_digest_retry(&mut self, id: i64, error: &str, next: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE digests SET attempts = attempts + 1, last_error = ?2, next_attempt = ?3 WHERE id = ?1",
            params![id, error, to_ts(next)],
        )?;
        Ok(())
    }

    /// Refused for good (5xx), or retried for longer than allowed.
    pub fn mark_digest_failed(&mut self, id: i64, error: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE digests SET status = 'failed', attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
            params![id, error],
        )?;
        Ok(())
    }
}

/// Puts a rendered message of `kind` (digest, alert) in the outbox; returns its id.
fn insert_digest(
    tx: &rusqlite::Connection,
    d: &NewDigest,
    hits: usize,
    now: DateTime<Utc>,
    kind: &str,
) -> Result<i64> {
    tx.execute(
        "INSERT INTO digests(created, message_id, subject, sender, recipients, message, hits, next_attempt, kind)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?1, ?8)",
        params![
            to_ts(now),
            d.message_id,
            d.subject,
            d.sender,
            d.recipients.join(", "),
            d.message,
            hits as i64,
            kind
        ],
    )?;
    Ok(tx.last_insert_rowid())
}
