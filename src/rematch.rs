//! Re-running the current watchlists over stored items, so a changed watchlist also covers
//! history. New hits are added once; hits the current watchlists would no longer find are
//! counted (and kept: they were true of the watchlist that found them, whose version they
//! record).

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::store::{HitKey, NewHit, Store, StoreError};
use crate::watch::Matcher;

/// Items are read and written in batches of this many, so memory stays flat over any history.
const BATCH: usize = 500;

/// Per-watch figures of one rematch.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct WatchDelta {
    /// Hits the current watchlist finds that are not stored (added unless a dry run).
    pub added: u64,
    /// Stored hits the current watchlist no longer finds.
    pub unmatched: u64,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RematchReport {
    /// Items matched.
    pub items: u64,
    pub dry_run: bool,
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
        for it in &items {
            report.items += 1;
            let stored = store.hit_keys(it.id)?;
            let mut current: HashSet<HitKey> = HashSet::new();
            let source_weight = cfg.source(&it.source).and_then(|s| s.weight).unwrap_or(1.0);
            // Rows stored before the sanitizer existed may hold escape sequences: the new
            // hits' snippets are taken from the text as it is now let in.
            let (title, summary) = (
                crate::sanitize::cleaned(&it.title),
                crate::sanitize::cleaned(&it.summary),
            );
            let found = matcher.find(&title, &summary);
            let scores = crate::signals::scores(matcher, &cfg.signals, source_weight, &found);
            for (hit, score) in found.into_iter().zip(scores) {
                let new = NewHit {
                    watch_version: matcher.version(&hit.watch).unwrap_or_default().to_string(),
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
                    report.watches.entry(hit.watch.clone()).or_default().added += 1;
                    new_hits.push((it.id, new));
                }
            }
            for (watch, ..) in stored.iter().filter(|k| !current.contains(*k)) {
                report.watches.entry(watch.clone()).or_default().unmatched += 1;
            }
        }
        if !dry_run && !new_hits.is_empty() {
            store.add_hits(&new_hits, now)?;
        }
    }
    Ok(report)
}
