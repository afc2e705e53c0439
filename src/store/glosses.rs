//! Machine-translated glosses of items with hits: what is still to be glossed, the glosses
//! stored, the characters sent per UTC day, and why the last run of glossing stopped.
//!
//! A gloss is kept per original text (an item's title, a hit's snippet) and shown only under
//! that text: an item edited since, or a snippet that changed with a rematch, shows none
//! rather than the translation of other words.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Result, Store, exec, from_ts, one, to_ts};

/// The glosses of a hit's title and snippet, as shown under them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Gloss {
    /// The title's gloss.
    pub title: Option<String>,
    /// The snippet's gloss, when the snippet is not the title's.
    pub snippet: Option<String>,
    /// Which kind of service made it (libretranslate, deepl, openai).
    pub service: String,
    pub at: DateTime<Utc>,
}

/// One stored gloss of an item.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoredGloss {
    pub original: String,
    /// `None` when the service refused the text.
    pub gloss: Option<String>,
    pub service: String,
    pub at: DateTime<Utc>,
}

/// An item with hits whose title or snippets have no gloss yet.
#[derive(Debug, Clone, PartialEq)]
pub struct GlossTodo {
    pub item_id: i64,
    pub source: String,
    pub title: String,
    /// The texts to send: the title (when not glossed yet), then each snippet of a hit
    /// outside the title, each once.
    pub texts: Vec<String>,
}

impl Store {
    /// Items with hits whose texts are not all glossed: the hits not yet taken into a
    /// digest (backlog hits only when `with_backlog`), and with `since`, also the hits on
    /// items dated since then. Newest hit first, at most `limit` items.
    pub fn gloss_todo(
        &self,
        with_backlog: bool,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<GlossTodo>> {
        // Without `since`, the condition is the one the index of untaken hits serves.
        let widen = if since.is_some() {
            "OR h.item_date >= ?2"
        } else {
            "AND ?2 = ?2"
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT h.item_id, s.name, i.title, h.snippet, h.field
             FROM hits h JOIN items i ON i.id = h.item_id JOIN sources s ON s.id = h.source_id
             WHERE (h.digest_id IS NULL AND (?1 OR h.backlog = 0)) {widen}
             ORDER BY h.id DESC"
        ))?;
        let since = since.map_or(i64::MAX, to_ts);
        let rows = stmt.query_map(params![with_backlog, since], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out: Vec<GlossTodo> = Vec::new();
        for row in rows {
            let (item_id, source, title, snippet, field) = row?;
            let at = match out.iter().position(|t| t.item_id == item_id) {
                Some(at) => at,
                None if out.len() >= limit => continue,
                None => {
                    out.push(GlossTodo {
                        item_id,
                        source,
                        texts: vec![title.clone()],
                        title,
                    });
                    out.len() - 1
                }
            };
            // A title hit's snippet is the title, which its gloss covers.
            if field != "title" && !out[at].texts.contains(&snippet) {
                out[at].texts.push(snippet);
            }
        }
        for t in &mut out {
            let mut keep = Vec::with_capacity(t.texts.len());
            for text in std::mem::take(&mut t.texts) {
                if !text.trim().is_empty() && !self.has_gloss(t.item_id, &text)? {
                    keep.push(text);
                }
            }
            t.texts = keep;
        }
        out.retain(|t| !t.texts.is_empty());
        Ok(out)
    }

    fn has_gloss(&self, item_id: i64, original: &str) -> Result<bool> {
        Ok(one(
            &self.conn,
            "SELECT count(*) FROM glosses WHERE item_id = ?1 AND original = ?2",
            params![item_id, original],
            |r| r.get::<_, i64>(0),
        )? > 0)
    }

    /// Stores the gloss of `original` (`None`: the service refused it). A text glossed
    /// already keeps its first gloss; returns whether this one was stored.
    pub fn save_gloss(
        &mut self,
        item_id: i64,
        original: &str,
        gloss: Option<&str>,
        service: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        Ok(exec(
            &self.conn,
            "INSERT OR IGNORE INTO glosses(item_id, original, gloss, service, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![item_id, original, gloss, service, to_ts(at)],
        )? > 0)
    }

    /// Whether any gloss is stored: without `[translate]` none is, and listings skip the
    /// lookups of each row's.
    pub fn has_glosses(&self) -> Result<bool> {
        Ok(one(
            &self.conn,
            "SELECT EXISTS (SELECT 1 FROM glosses)",
            [],
            |r| r.get(0),
        )?)
    }

    /// The glosses of a hit: its item's title, and its snippet unless it is a title hit.
    pub fn gloss_of(&self, item_id: i64, title: &str, snippet: Option<&str>) -> Result<Option<Gloss>> {
        let find = |original: &str| -> Result<Option<(Option<String>, String, i64)>> {
            Ok(one(
                &self.conn,
                "SELECT gloss, service, at FROM glosses WHERE item_id = ?1 AND original = ?2",
                params![item_id, original],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?)
        };
        let title = find(title)?.filter(|(g, ..)| g.is_some());
        let snippet = match snippet {
            Some(s) => find(s)?.filter(|(g, ..)| g.is_some()),
            None => None,
        };
        let Some((_, service, at)) = title.clone().or_else(|| snippet.clone()) else {
            return Ok(None);
        };
        Ok(Some(Gloss {
            title: title.and_then(|t| t.0),
            snippet: snippet.and_then(|s| s.0),
            service,
            at: from_ts(at),
        }))
    }

    /// Every gloss stored for an item, in the order they were made.
    pub fn item_glosses(&self, item_id: i64) -> Result<Vec<StoredGloss>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT original, gloss, service, at FROM glosses WHERE item_id = ?1 ORDER BY at, original",
        )?;
        let rows = stmt.query_map([item_id], |r| {
            Ok(StoredGloss {
                original: r.get(0)?,
                gloss: r.get(1)?,
                service: r.get(2)?,
                at: from_ts(r.get(3)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Characters sent for glossing on `day` (UTC).
    pub fn gloss_chars(&self, day: NaiveDate) -> Result<u64> {
        let n: Option<i64> = one(
            &self.conn,
            "SELECT chars FROM gloss_days WHERE day = ?1",
            [day.to_string()],
            |r| r.get(0),
        )
        .optional()?;
        Ok(n.unwrap_or(0).max(0) as u64)
    }

    /// Counts `chars` more sent on `day` (UTC).
    pub fn add_gloss_chars(&mut self, day: NaiveDate, chars: u64) -> Result<()> {
        exec(
            &self.conn,
            "INSERT INTO gloss_days(day, chars) VALUES (?1, ?2)
             ON CONFLICT(day) DO UPDATE SET chars = chars + excluded.chars",
            params![day.to_string(), chars.min(i64::MAX as u64) as i64],
        )?;
        Ok(())
    }

    /// Records how the last run of glossing ended: `None` when it glossed all it had to.
    pub fn set_gloss_problem(&mut self, problem: Option<&str>, at: DateTime<Utc>) -> Result<()> {
        exec(
            &self.conn,
            "INSERT INTO gloss_status(id, at, problem) VALUES (1, ?1, ?2)
             ON CONFLICT(id) DO UPDATE SET at = excluded.at, problem = excluded.problem",
            params![to_ts(at), problem],
        )?;
        Ok(())
    }

    /// Why the last run of glossing stopped, and when; `None` when it did not.
    pub fn gloss_problem(&self) -> Result<Option<(String, DateTime<Utc>)>> {
        let row: Option<(Option<String>, i64)> = one(
            &self.conn,
            "SELECT problem, at FROM gloss_status WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
        Ok(row.and_then(|(p, at)| Some((p?, from_ts(at)))))
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::super::tests::{fetched, item, with_sources};

    #[test]
    fn a_text_is_glossed_once_counted_and_gone_with_its_item() {
        let (_dir, mut s, names) = with_sources(1);
        s.save(
            &names[0],
            &fetched(),
            &[item("1", "稀土出口管制", "全文")],
            Utc::now(),
        )
        .unwrap();
        assert!(!s.has_glosses().unwrap());
        let todo = s.gloss_todo(true, None, 10).unwrap();
        assert_eq!(todo.len(), 1);
        // A title hit's snippet is the title: sent once.
        assert_eq!(todo[0].texts, ["稀土出口管制"]);
        let id = todo[0].item_id;
        assert!(
            s.save_gloss(
                id,
                "稀土出口管制",
                Some("Rare earth export controls"),
                "deepl",
                Utc::now()
            )
            .unwrap()
        );
        assert!(
            !s.save_gloss(id, "稀土出口管制", Some("Other"), "deepl", Utc::now())
                .unwrap(),
            "kept once"
        );
        assert!(s.gloss_todo(true, None, 10).unwrap().is_empty());
        let g = s.gloss_of(id, "稀土出口管制", None).unwrap().unwrap();
        assert_eq!(g.title.as_deref(), Some("Rare earth export controls"));
        assert_eq!(
            s.gloss_of(id, "另一个标题", None).unwrap(),
            None,
            "only under its original"
        );
        // Backlog hits wait for `mail_backlog`.
        assert!(s.gloss_todo(false, None, 10).unwrap().is_empty());

        let day = Utc::now().date_naive();
        s.add_gloss_chars(day, 6).unwrap();
        s.add_gloss_chars(day, 4).unwrap();
        assert_eq!(s.gloss_chars(day).unwrap(), 10);
        assert_eq!(s.gloss_chars(day.pred_opt().unwrap()).unwrap(), 0);

        s.set_gloss_problem(Some("HTTP 503"), Utc::now()).unwrap();
        assert_eq!(s.gloss_problem().unwrap().unwrap().0, "HTTP 503");
        s.set_gloss_problem(None, Utc::now()).unwrap();
        assert!(s.gloss_problem().unwrap().is_none());

        s.prune(Utc::now() + chrono::Duration::days(1), true).unwrap();
        assert!(!s.has_glosses().unwrap(), "pruned with the item");
    }
}
