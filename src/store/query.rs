//! Reads: hits, sources and full-text search, each a short read transaction.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;

use super::{Result, Store, from_ts, to_ts};

/// Which hits to list. Empty lists mean "any".
#[derive(Debug, Clone, Default)]
pub struct HitQuery {
    pub watches: Vec<String>,
    pub sources: Vec<String>,
    /// Only hits on items dated (published, else first seen) at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only hits on items dated before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only hits on items whose title or text contains this (full-text, CJK substrings too).
    pub search: Option<String>,
    /// Only hits of this item.
    pub item: Option<i64>,
    /// Only hits not yet taken into a digest.
    pub unsent: bool,
    /// Only hits scoring at least this (status bonus included).
    pub min_score: Option<f64>,
    /// Added to the score of hits on edited and on withdrawn items.
    pub bonus: StatusBonus,
    pub limit: Option<usize>,
}

/// What an item's status adds to its hits' scores (`[signals] edited` and `withdrawn`).
#[derive(Debug, Clone, Copy, Default)]
pub struct StatusBonus {
    pub edited: f64,
    pub withdrawn: f64,
}

impl From<&crate::config::SignalsConfig> for StatusBonus {
    fn from(c: &crate::config::SignalsConfig) -> Self {
        Self {
            edited: c.edited,
            withdrawn: c.withdrawn,
        }
    }
}

/// One story: an item and the copies of it that other sources carried, with their hits.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoryRow {
    /// The story's first item.
    pub story: i64,
    pub title: String,
    pub link: Option<String>,
    /// Items and sources in the story that have hits matching the query.
    pub items: u64,
    pub sources: Vec<String>,
    pub watches: Vec<String>,
    pub hits: u64,
    pub score: f64,
    /// The newest date among its hits' items.
    pub date: DateTime<Utc>,
}

/// One stored hit with what a reader needs to judge it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HitRow {
    pub id: i64,
    pub item_id: i64,
    pub watch: String,
    pub term: String,
    pub field: String,
    pub source: String,
    pub title: String,
    pub link: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub first_seen: DateTime<Utc>,
    pub snippet: String,
    /// Byte range of the match inside `snippet`.
    #[serde(skip)]
    pub snippet_match: (usize, usize),
    /// Priority, with the bonus of the item's status.
    pub score: f64,
    /// `edited` or `withdrawn` when the item changed since it was first stored.
    pub status: Option<String>,
    /// The first item of the story this item was folded into (itself when never folded).
    pub story: i64,
    /// Every term of the watch that matched the item (the first is `term`).
    pub terms: Vec<super::TermMatch>,
    /// The keys of the item's document numbers (`announcement:2026:61`).
    pub doc_numbers: Vec<String>,
    /// The bodies its document numbers name as issuing them (`mofcom`), each once.
    pub issuers: Vec<String>,
    /// What it says of itself as a notice (`None`: not read).
    #[serde(skip)]
    pub notice: Option<crate::notice::Facts>,
    /// The machine translation of its title and snippet, once stored.
    pub gloss: Option<super::Gloss>,
}

/// One source with its fetch state and item counts.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceRow {
    pub name: String,
    pub url: String,
    pub last_fetch: Option<DateTime<Utc>>,
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    pub last_success: Option<DateTime<Utc>>,
    pub items: u64,
    pub newest_item: Option<DateTime<Utc>>,
    pub failing_since: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    pub next_poll: Option<DateTime<Utc>>,
}

impl SourceRow {
    /// A source that was never fetched.
    pub fn never(name: &str, url: &str) -> Self {
        Self {
            name: name.to_string(),
            url: url.to_string(),
            last_fetch: None,
            last_status: None,
            last_error: None,
            consecutive_failures: 0,
            last_success: None,
            items: 0,
            newest_item: None,
            failing_since: None,
            disabled_reason: None,
            next_poll: None,
        }
    }
}

impl Store {
    /// Hits matching `q`, newest first.
    pub fn hits(&self, q: &HitQuery) -> Result<Vec<HitRow>> {
        let (mut sql, mut args) = self.hits_sql(q)?;
        sql.push_str(" ORDER BY h.item_date DESC, h.id DESC");
        if let Some(limit) = q.limit {
            sql.push_str(" LIMIT ?");
            args.push(Value::Integer(limit.min(i64::MAX as usize) as i64));
        }
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
            let docs = crate::notice::decode(&r.get::<_, Option<String>>(18)?.unwrap_or_default());
            Ok(HitRow {
                id: r.get(0)?,
                item_id: r.get(1)?,
                watch: r.get(2)?,
                term: r.get(3)?,
                field: r.get(4)?,
                source: r.get(5)?,
                title: r.get(6)?,
                link: r.get(7)?,
                published: r.get::<_, Option<i64>>(8)?.map(from_ts),
                first_seen: from_ts(r.get(9)?),
                snippet: r.get(10)?,
                snippet_match: (r.get::<_, i64>(11)? as usize, r.get::<_, i64>(12)? as usize),
                score: r.get(13)?,
                status: r.get(14)?,
                story: r.get(15)?,
                terms: serde_json::from_str(&r.get::<_, String>(17)?).unwrap_or_default(),
                doc_numbers: docs.iter().map(|d| d.key.clone()).collect(),
                issuers: issuers(&docs),
                notice: r
                    .get::<_, Option<String>>(19)?
                    .map(|n| crate::notice::Facts::from_stored(&n)),
                gloss: None,
            })
        })?;
        let mut rows: Vec<HitRow> = rows.collect::<rusqlite::Result<_>>()?;
        let glossed = !rows.is_empty() && self.has_glosses()?;
        for h in rows.iter_mut().filter(|_| glossed) {
            let snippet = (h.field != "title").then_some(h.snippet.as_str());
            h.gloss = self.gloss_of(h.item_id, &h.title, snippet)?;
        }
        Ok(rows)
    }

    /// Stories with hits matching `q` (each item alone when it was never folded), by newest
    /// hit first.
    pub fn stories(&self, q: &HitQuery) -> Result<Vec<StoryRow>> {
        self.stories_by(q, false)
    }

    /// [`Store::stories`] for a page of them: the same stories in the same order, with only
    /// the hits the page needs read. Hits are walked newest first through the index of hits
    /// by date until `q.limit` distinct stories are found (the order of a story is that of its
    /// newest hit, so those are the page), then only those stories' hits are grouped.
    pub fn stories_page(&self, q: &HitQuery) -> Result<Vec<StoryRow>> {
        let Some(limit) = q.limit else {
            return self.stories(q);
        };
        let (inner, args) = self.hits_sql(q)?;
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT story FROM ({inner}) ORDER BY item_date DESC"))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut keys: Vec<i64> = Vec::with_capacity(limit);
        while keys.len() < limit {
            let Some(r) = rows.next()? else { break };
            let key: i64 = r.get(0)?;
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let q = HitQuery {
            limit: None,
            ..q.clone()
        };
        self.grouped(&q, &keys, false)
    }

    /// [`Store::stories`], by highest score first when `by_score`.
    pub fn stories_by(&self, q: &HitQuery, by_score: bool) -> Result<Vec<StoryRow>> {
        self.grouped(q, &[], by_score)
    }

    /// The stories of `q` (of the stories `only` when not empty), grouped and ordered.
    fn grouped(&self, q: &HitQuery, only: &[i64], by_score: bool) -> Result<Vec<StoryRow>> {
        let (inner, mut args) = self.hits_sql_of(q, only)?;
        let order = if by_score {
            "g.score DESC, g.date DESC, g.story DESC"
        } else {
            "g.date DESC, g.story DESC"
        };
        let mut sql = format!(
            "SELECT g.story, st.title, st.link, g.items, g.sources, g.watches, g.hits, g.score, g.date
             FROM (SELECT story, count(DISTINCT item_id) AS items, group_concat(DISTINCT source) AS sources,
                          group_concat(DISTINCT watch) AS watches, count(*) AS hits, max(score) AS score,
                          max(item_date) AS date
                   FROM ({inner}) GROUP BY story) g
             JOIN items st ON st.id = g.story
             ORDER BY {order}"
        );
        if let Some(limit) = q.limit {
            sql.push_str(" LIMIT ?");
            args.push(Value::Integer(limit.min(i64::MAX as usize) as i64));
        }
        let mut stmt = self.conn.prepare(&sql)?;
        // group_concat's order is SQLite's to choose; a list people read is sorted.
        let split = |s: Option<String>| -> Vec<String> {
            let mut v: Vec<String> = s
                .map(|s| s.split(',').map(String::from).collect())
                .unwrap_or_default();
            v.sort();
            v
        };
        let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
            Ok(StoryRow {
                story: r.get(0)?,
                title: r.get(1)?,
                link: r.get(2)?,
                items: r.get(3)?,
                sources: split(r.get(4)?),
                watches: split(r.get(5)?),
                hits: r.get(6)?,
                score: r.get(7)?,
                date: from_ts(r.get(8)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The filtered hits of `q` as SQL (no order or limit) and its arguments.
    fn hits_sql(&self, q: &HitQuery) -> Result<(String, Vec<Value>)> {
        self.hits_sql_of(q, &[])
    }

    /// [`Store::hits_sql`], only of the items of the stories `only` when it is not empty.
    fn hits_sql_of(&self, q: &HitQuery, only: &[i64]) -> Result<(String, Vec<Value>)> {
        let mut args: Vec<Value> = vec![Value::Real(q.bonus.edited), Value::Real(q.bonus.withdrawn)];
        let mut sql = String::from(
            "SELECT h.id, h.item_id, h.watch, h.term, h.field, s.name AS source, i.title, i.link, i.published,
                    i.first_seen, h.snippet, h.snippet_start, h.snippet_end,
                    h.score + CASE i.status WHEN 'edited' THEN ?1 WHEN 'withdrawn' THEN ?2 ELSE 0 END AS score,
                    i.status, coalesce(i.story_id, i.id) AS story, h.item_date, h.terms, i.doc_numbers,
                    i.notice
             FROM hits h JOIN items i ON i.id = h.item_id JOIN sources s ON s.id = h.source_id
             WHERE 1 = 1",
        );
        in_list(&mut sql, &mut args, "h.watch", &q.watches);
        in_list(&mut sql, &mut args, "s.name", &q.sources);
        // The stories' items are found through the index by story, then their hits by item;
        // the dates are then only checked (`+` keeps SQLite from reading hits by date instead).
        let date = if only.is_empty() {
            "h.item_date"
        } else {
            "+h.item_date"
        };
        if !only.is_empty() {
            let keys = vec!["?"; only.len()].join(", ");
            sql.push_str(&format!(
                " AND h.item_id IN (SELECT id FROM items WHERE story_id IN ({keys})
                                    UNION ALL SELECT id FROM items WHERE id IN ({keys}) AND story_id IS NULL)"
            ));
            for _ in 0..2 {
                args.extend(only.iter().map(|&k| Value::Integer(k)));
            }
        }
        if let Some(since) = q.since {
            sql.push_str(&format!(" AND {date} >= ?"));
            args.push(Value::Integer(to_ts(since)));
        }
        if let Some(until) = q.until {
            sql.push_str(&format!(" AND {date} < ?"));
            args.push(Value::Integer(to_ts(until)));
        }
        if q.unsent {
            sql.push_str(" AND h.digest_id IS NULL");
        }
        if let Some(item) = q.item {
            sql.push_str(" AND h.item_id = ?");
            args.push(Value::Integer(item));
        }
        if let Some(needle) = q.search.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            if self.is_common(needle)? {
                // Many items match: walking hits newest first and testing each item's text
                // stops as soon as the limit is reached.
                sql.push_str(" AND sigwatch_contains(i.title || char(10) || i.text, ?)");
                args.push(Value::Text(needle.to_string()));
            } else {
                // Few items match: the index finds them all, then they are ordered.
                let (cond, cond_args) = text_condition(needle);
                sql.push_str(&format!(" AND h.item_id IN ({cond})"));
                args.extend(cond_args);
            }
        }
        if let Some(min) = q.min_score {
            sql.push_str(
                " AND h.score + CASE i.status WHEN 'edited' THEN ?1 WHEN 'withdrawn' THEN ?2 ELSE 0 END >= ?",
            );
            args.push(Value::Real(min));
        }
        Ok((sql, args))
    }

    /// Every known source, by name.
    pub fn sources(&self) -> Result<Vec<SourceRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT s.name, s.url, s.last_fetch, s.last_status, s.last_error, s.consecutive_failures,
                    s.last_success,
                    (SELECT count(*) FROM items i WHERE i.source_id = s.id),
                    (SELECT max(coalesce(i.published, i.first_seen)) FROM items i WHERE i.source_id = s.id),
                    s.failing_since, s.disabled_reason, s.next_poll
             FROM sources s ORDER BY s.name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(SourceRow {
                name: r.get(0)?,
                url: r.get(1)?,
                last_fetch: r.get::<_, Option<i64>>(2)?.map(from_ts),
                last_status: r.get(3)?,
                last_error: r.get(4)?,
                consecutive_failures: r.get(5)?,
                last_success: r.get::<_, Option<i64>>(6)?.map(from_ts),
                items: r.get(7)?,
                newest_item: r.get::<_, Option<i64>>(8)?.map(from_ts),
                failing_since: r.get::<_, Option<i64>>(9)?.map(from_ts),
                disabled_reason: r.get(10)?,
                next_poll: r.get::<_, Option<i64>>(11)?.map(from_ts),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Ids of items whose title or text contains `needle`, newest first.
    pub fn search_items(&self, needle: &str, limit: usize) -> Result<Vec<i64>> {
        let needle = needle.trim();
        if needle.is_empty() {
            return Ok(Vec::new());
        }
        let (cond, mut args) = text_condition(needle);
        let sql = format!(
            "SELECT i.id FROM items i WHERE i.id IN ({cond})
             ORDER BY coalesce(i.published, i.first_seen) DESC LIMIT ?"
        );
        args.push(Value::Integer(limit.min(i64::MAX as usize) as i64));
        let mut stmt = self.conn.prepare(&sql)?;
        let ids = stmt.query_map(rusqlite::params_from_iter(args), |r| r.get(0))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    }
}

impl Store {
    /// Whether 5,000 items or more may contain `needle` (by the index, before each is
    /// checked). Below that, fetching them all through the index is cheap; above, walking
    /// hits newest first finds enough soon. Needles too short for the trigram index count as
    /// common, since only a scan can find them.
    fn is_common(&self, needle: &str) -> Result<bool> {
        const COMMON: i64 = 5000;
        let Some(query) = trigram_query(needle) else {
            return Ok(true);
        };
        let n: i64 = self.conn.query_row(
            &format!(
                "SELECT count(*) FROM (SELECT rowid FROM items_fts WHERE items_fts MATCH ? LIMIT {COMMON})"
            ),
            [query],
            |r| r.get(0),
        )?;
        Ok(n >= COMMON)
    }
}

/// A subquery of item ids whose title or text contains `needle` (case aside), and its
/// arguments (plain `?`s, so that it composes with other positional arguments).
///
/// The trigram index (which also finds Chinese substrings) keeps no positions, so it finds
/// the items having every three-character piece of the needle, and each of those is then
/// checked for the needle itself. A needle under three characters has no such piece and is
/// looked for by a scan.
fn text_condition(needle: &str) -> (String, Vec<Value>) {
    const CHECK: &str = "sigwatch_contains(c.title || char(10) || c.text, ?)";
    match trigram_query(needle) {
        Some(query) => (
            format!(
                "SELECT c.id FROM items c
                 WHERE c.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?) AND {CHECK}"
            ),
            vec![Value::Text(query), Value::Text(needle.to_string())],
        ),
        None => (
            format!("SELECT c.id FROM items c WHERE {CHECK}"),
            vec![Value::Text(needle.to_string())],
        ),
    }
}

/// The FTS5 query for the items having every three-character piece of `needle`: each piece
/// quoted (so that FTS5 syntax in the needle is taken literally) and all of them required.
/// `None` for a needle under three characters.
fn trigram_query(needle: &str) -> Option<String> {
    let chars: Vec<char> = needle.chars().collect();
    if chars.len() < 3 {
        return None;
    }
    let mut pieces: Vec<String> = chars
        .windows(3)
        .map(|w| format!("\"{}\"", w.iter().collect::<String>().replace('"', "\"\"")))
        .collect();
    pieces.sort_unstable();
    pieces.dedup();
    Some(pieces.join(" AND "))
}

/// Appends `AND col IN (?, …)` for a non-empty list.
fn in_list(sql: &mut String, args: &mut Vec<Value>, col: &str, values: &[String]) {
    if values.is_empty() {
        return;
    }
    sql.push_str(&format!(" AND {col} IN ({})", vec!["?"; values.len()].join(", ")));
    args.extend(values.iter().map(|v| Value::Text(v.clone())));
}

/// The issuers named by document numbers, each once, in order.
pub(super) fn issuers(docs: &[crate::notice::DocNumber]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in docs.iter().flat_map(|d| &d.issuers) {
        if !out.iter().any(|o| o == i) {
            out.push(i.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;
    use crate::store::tests::{fetched, story_item, with_sources};

    /// A page of stories read by walking hits newest first holds the same stories, in the same
    /// order and with the same counts, as grouping every hit; and its second query reads the
    /// stories' items through the index by story.
    #[test]
    fn a_page_of_stories_is_the_start_of_all_of_them() {
        let (_dir, mut store, names) = with_sources(4);
        let base = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let mut minute = 0;
        for (i, n) in names.iter().enumerate() {
            let items: Vec<_> = (0..12)
                .map(|k| {
                    let mut it = story_item(&format!("{n}-{k}"), (i * 5 + k) % 7);
                    minute += 1;
                    it.item.published = Some(base + Duration::minutes((minute * 37) % 500));
                    it
                })
                .collect();
            store.save(n, &fetched(), &items, base).unwrap();
        }
        let key = |r: &StoryRow| {
            (
                r.story,
                r.items,
                r.hits,
                r.sources.clone(),
                r.watches.clone(),
                r.date,
            )
        };
        for search in [None, Some("稀土出口"), Some("第3号")] {
            let all = store
                .stories(&HitQuery {
                    search: search.map(String::from),
                    ..Default::default()
                })
                .unwrap();
            assert!(!all.is_empty(), "{search:?}");
            for limit in 1..all.len() + 2 {
                let q = HitQuery {
                    search: search.map(String::from),
                    since: Some(base - Duration::days(1)),
                    limit: Some(limit),
                    ..Default::default()
                };
                let page: Vec<_> = store.stories_page(&q).unwrap().iter().map(key).collect();
                let want: Vec<_> = all.iter().take(limit).map(key).collect();
                assert_eq!(page, want, "{search:?}, limit {limit}");
            }
        }
        let (sql, _) = store
            .hits_sql_of(
                &HitQuery {
                    since: Some(base),
                    ..Default::default()
                },
                &[1, 2],
            )
            .unwrap();
        let mut stmt = store.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let plan: Vec<String> = stmt
            .query_map(rusqlite::params![0.0, 0.0, 1, 2, 1, 2, 0], |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(plan.iter().any(|p| p.contains("items_story")), "{plan:?}");
        assert!(!plan.iter().any(|p| p.contains("hits_date")), "{plan:?}");
    }
}
