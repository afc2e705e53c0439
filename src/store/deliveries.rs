//! The outbox of the channels besides mail: which hits each channel has taken, the messages
//! queued with their rendered body and idempotency key, and the state of each delivery.

use chrono::{DateTime, Utc};
use rusqlite::{TransactionBehavior, params};

use super::outbox::{pending_columns, pending_row};
use super::{PendingHit, Result, Store, from_ts, to_ts};

/// A rendered message for one channel, ready to be queued.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub channel: String,
    /// `alert` or `digest`.
    pub kind: String,
    /// Sent as `Idempotency-Key` (and as Matrix's transaction id) with every attempt.
    pub key: String,
    /// One line saying what it is, for `digest --status`.
    pub summary: String,
    /// Request headers that belong to this message (ntfy's title and priority), as sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A message in a channel's outbox.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Delivery {
    pub id: i64,
    pub channel: String,
    pub kind: String,
    pub created: DateTime<Utc>,
    pub key: String,
    pub summary: String,
    #[serde(skip)]
    pub headers: Vec<(String, String)>,
    #[serde(skip)]
    pub body: Vec<u8>,
    pub hits: u64,
    pub status: String,
    pub attempts: u32,
    pub next_attempt: DateTime<Utc>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Records the channels of the config not seen before: each takes the hits stored after
    /// this moment, not the past.
    pub fn register_channels<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut add = tx.prepare_cached(
                "INSERT OR IGNORE INTO channels(name, kind, after_hit)
                 SELECT ?1, k.kind, (SELECT coalesce(max(id), 0) FROM hits)
                 FROM (SELECT 'alert' AS kind UNION ALL SELECT 'digest') k",
            )?;
            for n in names {
                add.execute([n])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The id of the newest hit: a round of a channel reads the hits up to it, and then
    /// [`Store::pass_channel`] marks them passed.
    pub fn newest_hit(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT coalesce(max(id), 0) FROM hits", [], |r| r.get(0))?)
    }

    /// The hits of `watches` up to `upto` that the channel has not had in a message of
    /// `kind`, newest first (backlog hits only when asked). Nothing for a channel never
    /// registered.
    pub fn channel_pending(
        &self,
        channel: &str,
        kind: &str,
        watches: &[&str],
        with_backlog: bool,
        upto: i64,
    ) -> Result<Vec<PendingHit>> {
        if watches.is_empty() {
            return Ok(Vec::new());
        }
        // Watch names joined with a separator no name contains, so one argument holds them.
        let joined: String = watches.iter().map(|w| format!("\u{1f}{w}\u{1f}")).collect();
        let mut stmt = self.conn.prepare_cached(concat!(
            "SELECT ",
            pending_columns!(),
            " WHERE h.id > (SELECT after_hit FROM channels WHERE name = ?1 AND kind = ?2)
                AND h.id <= ?5
                AND (?3 OR h.backlog = 0)
                AND instr(?4, char(31) || h.watch || char(31)) > 0
                AND NOT EXISTS (SELECT 1 FROM channel_hits c
                                WHERE c.hit_id = h.id AND c.channel = ?1 AND c.kind = ?2)
              ORDER BY h.item_date DESC, h.id DESC"
        ))?;
        let rows = stmt.query_map(params![channel, kind, with_backlog, joined, upto], pending_row)?;
        self.with_glosses(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Marks the hits up to `upto` passed for the channel's messages of `kind`: taken into
    /// one, or not for it. The next round reads only newer ones.
    pub fn pass_channel(&mut self, channel: &str, kind: &str, upto: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE channels SET after_hit = max(after_hit, ?3) WHERE name = ?1 AND kind = ?2",
            params![channel, kind, upto],
        )?;
        Ok(())
    }

    /// Stores a message and takes its hits for its channel and kind, in one transaction:
    /// both happen or neither. When another message took any of them meanwhile (another
    /// process composed from the same hits), neither happens and `None` says so: the hits
    /// are never sent twice to one channel, and the next round composes from what is left.
    pub fn enqueue_delivery(
        &mut self,
        d: &NewDelivery,
        hit_ids: &[i64],
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO deliveries(channel, kind, created, key, summary, headers, body, hits, next_attempt)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?3)",
            params![
                d.channel,
                d.kind,
                to_ts(now),
                d.key,
                d.summary,
                serde_json::to_string(&d.headers).unwrap_or_else(|_| "[]".into()),
                d.body,
                hit_ids.len() as i64
            ],
        )?;
        let id = tx.last_insert_rowid();
        {
            let mut take = tx.prepare_cached(
                "INSERT OR IGNORE INTO channel_hits(hit_id, channel, kind, delivery_id) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for h in hit_ids {
                if take.execute(params![h, d.channel, d.kind, id])? == 0 {
                    // Dropping the transaction rolls it back.
                    return Ok(None);
                }
            }
        }
        tx.commit()?;
        Ok(Some(id))
    }

    /// Queued messages whose next attempt is due at `now`, oldest first.
    pub fn due_deliveries(&self, now: DateTime<Utc>) -> Result<Vec<Delivery>> {
        self.deliveries_where("status = 'queued' AND next_attempt <= ?1", to_ts(now))
    }

    /// Every message of every channel's outbox, newest first.
    pub fn delivery_status(&self) -> Result<Vec<Delivery>> {
        let mut all = self.deliveries_where("?1 = ?1", 0)?;
        all.reverse();
        Ok(all)
    }

    /// When the next queued message of a channel is due, if any is queued.
    pub fn next_delivery_attempt(&self) -> Result<Option<DateTime<Utc>>> {
        let t: Option<i64> = self.conn.query_row(
            "SELECT min(next_attempt) FROM deliveries WHERE status = 'queued'",
            [],
            |r| r.get(0),
        )?;
        Ok(t.map(from_ts))
    }

    fn deliveries_where(&self, cond: &str, arg: i64) -> Result<Vec<Delivery>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT id, channel, kind, created, key, summary, headers, body, hits, status, attempts,
                    next_attempt, last_error, sent_at
             FROM deliveries WHERE {cond} ORDER BY id"
        ))?;
        let rows = stmt.query_map([arg], |r| {
            Ok(Delivery {
                id: r.get(0)?,
                channel: r.get(1)?,
                kind: r.get(2)?,
                created: from_ts(r.get(3)?),
                key: r.get(4)?,
                summary: r.get(5)?,
                headers: serde_json::from_str(&r.get::<_, String>(6)?).unwrap_or_default(),
                body: r.get(7)?,
                hits: r.get(8)?,
                status: r.get(9)?,
                attempts: r.get(10)?,
                next_attempt: from_ts(r.get(11)?),
                last_error: r.get(12)?,
                sent_at: r.get::<_, Option<i64>>(13)?.map(from_ts),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Delivered: the receiver answered 2xx.
    pub fn mark_delivery_sent(&mut self, id: i64, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE deliveries SET status = 'sent', sent_at = ?2, attempts = attempts + 1, last_error = NULL
             WHERE id = ?1",
            params![id, to_ts(now)],
        )?;
        Ok(())
    }

    /// Not delivered this time; try again at `next` (not before: times are kept in whole
    /// seconds, so it is rounded up, and a receiver's Retry-After is honoured).
    pub fn mark_delivery_retry(&mut self, id: i64, error: &str, next: DateTime<Utc>) -> Result<()> {
        let next = to_ts(next) + i64::from(next.timestamp_subsec_nanos() > 0);
        self.conn.execute(
            "UPDATE deliveries SET attempts = attempts + 1, last_error = ?2, next_attempt = ?3 WHERE id = ?1",
            params![id, error, next],
        )?;
        Ok(())
    }

    /// Refused for good (a 4xx other than 429), or retried for longer than allowed.
    pub fn mark_delivery_failed(&mut self, id: i64, error: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE deliveries SET status = 'failed', attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
            params![id, error],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use crate::store::tests::{fetched, item, with_sources};

    use super::*;

    fn message(channel: &str, key: &str) -> NewDelivery {
        NewDelivery {
            channel: channel.into(),
            kind: "alert".into(),
            key: key.into(),
            summary: "s".into(),
            headers: vec![("Title".into(), "t".into())],
            body: b"{}".to_vec(),
        }
    }

    /// A hit taken by one channel stays pending for another; one taken twice for a channel
    /// is refused whole; a channel reads only the hits after its registration and its last
    /// round.
    #[test]
    fn each_channel_takes_each_hit_once_and_reads_only_newer_ones() {
        let (_dir, mut store, names) = with_sources(1);
        let now = Utc::now();
        store
            .save(&names[0], &fetched(), &[item("old", "稀土 old", "")], now)
            .unwrap();
        store.register_channels(["a", "b"]).unwrap();
        store
            .save(
                &names[0],
                &fetched(),
                &[item("n1", "稀土 1", ""), item("n2", "稀土 2", "")],
                now,
            )
            .unwrap();
        let upto = store.newest_hit().unwrap();
        let pending = |s: &Store, ch: &str| -> Vec<i64> {
            s.channel_pending(ch, "alert", &["rare-earths"], true, upto)
                .unwrap()
                .iter()
                .map(|h| h.id)
                .collect()
        };
        let fresh = pending(&store, "a");
        assert_eq!(fresh.len(), 2, "not the hit from before the channel");
        assert!(pending(&store, "never-registered").is_empty());
        let id = store.enqueue_delivery(&message("a", "k1"), &fresh, now).unwrap();
        assert!(id.is_some());
        assert!(pending(&store, "a").is_empty());
        assert_eq!(pending(&store, "b"), fresh, "still pending for the other channel");
        // Another process composed from the same hits: refused, nothing stored.
        assert_eq!(
            store.enqueue_delivery(&message("a", "k2"), &fresh, now).unwrap(),
            None
        );
        assert_eq!(store.delivery_status().unwrap().len(), 1);
        let queued = &store.due_deliveries(now).unwrap()[0];
        assert_eq!((queued.key.as_str(), queued.hits), ("k1", 2));
        assert_eq!(queued.headers, [("Title".to_string(), "t".to_string())]);
        // Passed: the next round of b starts after them.
        store.pass_channel("b", "alert", upto).unwrap();
        assert!(pending(&store, "b").is_empty());
        // A retry is due no sooner than asked, to the second.
        let later = now + chrono::Duration::milliseconds(1500);
        store.mark_delivery_retry(queued.id, "HTTP 503", later).unwrap();
        assert!(
            store
                .due_deliveries(later - chrono::Duration::seconds(1))
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store
                .due_deliveries(later + chrono::Duration::seconds(1))
                .unwrap()
                .len(),
            1
        );
        store.mark_delivery_sent(queued.id, now).unwrap();
        assert!(
            store
                .due_deliveries(later + chrono::Duration::seconds(9))
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.delivery_status().unwrap()[0].attempts, 2);
    }
}
