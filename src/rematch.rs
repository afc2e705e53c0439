//! Re-running the current watchlists over stored items, so a changed watchlist also covers
//! history. New hits are added once; hits the current watchlists would no longer find are
//! counted (and kept: they were true of the watchlist that found them, whose version they
//! record).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::store::{HitKey, NewHit, Store, StoreError};
use crate::watch::Matcher;

/// Items are read and written in batches of this many, so memory stays flat over any history.
const BATCH: usize = 500;

/// Items shown per watch and direction, so an analyst sees what a change does before it
/// lands; the counts cover the rest.
pub const EXAMPLES: usize = 5;

/// Per-watch figures of one rematch.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct WatchDelta {
    /// Hits the current watchlist finds that are not stored (added unless a dry run).
    pub added: u64,
    /// Stored hits the current watchlist no longer finds.
    pub unmatched: u64,
    /// The first few items that gain hits of this watch.
    pub added_items: Vec<Example>,
    /// The first few items with stored hits of this watch that it no longer finds.
    pub unmatched_items: Vec<Example>,
}

/// An item a rematch changes, with the terms concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Example {
    pub item: i64,
    pub title: String,
    pub terms: Vec<String>,
}

/// Notes `term` of item `id` among a watch's examples (one entry per item).
fn note(list: &mut Vec<Example>, id: i64, title: &str, term: &str) {
    if let Some(last) = list.last_mut().filter(|l| l.item == id) {
        if !last.terms.iter().any(|t| t == term) {
            last.terms.push(term.to_string());
        }
    } else if list.len() < EXAMPLES {
        list.push(Example {
            item: id,
            title: title.to_string(),
            terms: vec![term.to_string()],
        });
    }
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RematchReport {
    /// Items matched.
    pub items: u64,
    pub dry_run: bool,
    /// Items with hits whose notice facts (effective date, attachments, document numbers)
    /// were read now: those stored before sigwatch read them.
    pub notices: u64,
    pub watches: BTreeMap<String, WatchDelta>,
}

/// Matches every stored item dated at or after `since` against `matcher`.
pub fn rematch(
    store: &mut Store,
    matcher: &Matcher,
    cfg: &Config,
    since: Option<DateTime<Utc>>,
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<RematchReport, StoreError> {
    let mut report = RematchReport {
        dry_run,
        ..Default::default()
    };
    let mut after = 0;
    loop {
        let items = store.items_after(after, since, BATCH)?;
        let Some(last) = items.last() else { break };
        after = last.id;
        let mut new_hits = Vec::new();
        let mut notices = Vec::new();
        let mut entities = Vec::new();
        for it in &items {
            report.items += 1;
            let stored = store.hit_keys(it.id)?;
            let watches =
                |keys: &HashSet<HitKey>| -> BTreeSet<String> { keys.iter().map(|k| k.0.clone()).collect() };
            let had = watches(&stored);
            let mut current: HashSet<HitKey> = HashSet::new();
            let source_weight = cfg.source(&it.source).and_then(|s| s.weight).unwrap_or(1.0);
            // Rows stored before the sanitizer existed may hold escape sequences: the new
            // hits' snippets are taken from the text as it is now let in.
            let (title, summary) = (
                crate::sanitize::cleaned(&it.title),
                crate::sanitize::cleaned(&it.summary),
            );
            let (found, named) = matcher.find_with_entities(&title, &summary);
            let scores = crate::signals::scores(matcher, &cfg.signals, source_weight, &found);
            for (hit, score) in found.into_iter().zip(scores) {
                let new = NewHit {
                    watch_version: matcher.version(&hit.watch).cloned().unwrap_or_default(),
                    score,
                    hit,
                };
                let hit = &new.hit;
                let key = (
                    hit.watch.clone(),
                    hit.term.clone(),
                    hit.field.as_str().to_string(),
                    hit.start as i64,
                );
                let is_new = !stored.contains(&key);
                if current.insert(key) && is_new {
                    if !had.contains(&hit.watch) {
                        let d = report.watches.entry(hit.watch.clone()).or_default();
                        note(&mut d.added_items, it.id, &it.title, &hit.term);
                    }
                    new_hits.push((it.id, new));
                }
            }
            // A hit is an item in a watch: counted once per watch, whatever its terms.
            let has = watches(&current);
            // The entities an item with hits names, for stories joined later (items stored
            // before they were read have none; a changed config may name others).
            if !has.is_empty() {
                entities.push((it.id, named));
            }
            // Items with hits stored before notices were read out, or found only now.
            let with_hits = !has.is_empty() || !had.is_empty();
            if !it.notice_read && with_hits {
                let text = crate::watch::plain_text(&summary);
                let docs = if it.docs_read {
                    Vec::new()
                } else {
                    crate::notice::item_numbers(&title, &text)
                };
                let facts = crate::notice::facts(
                    &title,
                    &text,
                    &summary,
                    it.link.as_deref(),
                    it.published.map(|p| p.date_naive()),
                );
                notices.push((it.id, docs, facts));
            }
            for w in has.difference(&had) {
                report.watches.entry(w.clone()).or_default().added += 1;
            }
            for w in had.difference(&has) {
                report.watches.entry(w.clone()).or_default().unmatched += 1;
            }
            let mut gone: Vec<&HitKey> = stored
                .iter()
                .filter(|k| !current.contains(*k) && !has.contains(&k.0))
                .collect();
            gone.sort();
            for (watch, term, ..) in gone {
                let d = report.watches.entry(watch.clone()).or_default();
                note(&mut d.unmatched_items, it.id, &it.title, term);
            }
        }
        if !dry_run && !new_hits.is_empty() {
            store.add_hits(&new_hits, now)?;
        }
        if !dry_run && !notices.is_empty() {
            report.notices += notices.len() as u64;
            store.set_notices(&notices)?;
        }
        if !dry_run && !entities.is_empty() {
            store.set_entities(&entities)?;
        }
    }
    Ok(report)
}
