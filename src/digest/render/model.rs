//! What a digest shows, as events: pending hits grouped by story, each story once, led by its
//! official item with the copies beneath, tagged with its watches, and ordered by severity,
//! then score.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::config::SignalsConfig;
use crate::item::SourceRole;
use crate::signals::status_bonus;
use crate::store::PendingHit;

/// How much a story asks for the reader's attention; a digest shows the highest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Severity {
    /// Reports and commentary: no item of an official source, nothing alerted.
    #[default]
    Report,
    /// The story holds an item of an official source: a decision, not a reaction to one.
    Official,
    /// Mailed as an immediate alert already.
    Alerted,
}

impl Severity {
    /// The heading a digest puts over the stories of this severity.
    pub fn heading(self) -> &'static str {
        match self {
            Severity::Alerted => "Alerted",
            Severity::Official => "Official",
            Severity::Report => "Reports",
        }
    }
}

/// One story (an event): its lead item, the watches it is in, and its other items.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The story's key (its first stored item).
    pub story: i64,
    /// The lead item: the story's official item, else its first.
    pub item: i64,
    pub title: String,
    pub link: Option<String>,
    pub source: String,
    pub role: SourceRole,
    pub date: DateTime<Utc>,
    /// The watches with hits in the story's items, in name order.
    pub watches: Vec<String>,
    /// The term the snippet marks.
    pub term: String,
    pub snippet: String,
    pub snippet_match: (usize, usize),
    /// The source of the snippet when it is not the lead's (the lead had no new hit).
    pub snippet_source: Option<String>,
    /// Other terms found in the story's items.
    pub more_terms: Vec<String>,
    /// Already mailed as an immediate alert.
    pub alerted: bool,
    /// The highest score among its hits, status bonus included.
    pub score: f64,
    pub severity: Severity,
    /// `edited` or `withdrawn`.
    pub status: Option<String>,
    /// One of the digest's highest-scoring stories (`[signals] top`).
    pub top: bool,
    /// What the lead, as a notice, says of itself.
    pub notice: Notice,
    /// The story's other items: the same event from other sources.
    pub copies: Vec<Copy>,
    /// The story's page in the web view, when `[serve] public_url` is set.
    pub story_url: Option<String>,
    /// The machine translation of its title and snippet (see `digest::gloss`).
    pub gloss: Option<crate::store::Gloss>,
}

/// What an analyst needs from a notice: its document numbers with their issuing bodies, the
/// date it takes effect, its attachments. Empty for an item that says none of it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Notice {
    /// `announcement:2026:61 (mofcom, gacc)`.
    pub documents: Vec<String>,
    /// `2026-12-01`, or `on publication`.
    pub effective: Option<String>,
    pub attachments: Vec<String>,
}

impl Notice {
    pub fn is_empty(&self) -> bool {
        self.documents.is_empty() && self.effective.is_none() && self.attachments.is_empty()
    }
}

/// Another item of a story.
#[derive(Debug, Clone, PartialEq)]
pub struct Copy {
    pub item: i64,
    pub source: String,
    pub role: SourceRole,
    pub title: String,
    pub link: Option<String>,
    /// It has hits in this message; one without is shown as earlier (mailed before, or
    /// waiting for the digest while an alert tells of another item of its story).
    pub new: bool,
}

/// How many stories of one watch a digest holds.
#[derive(Debug, Clone, Default)]
pub struct WatchCount {
    pub watch: String,
    pub stories: usize,
    /// Its stories not shown because of `max_per_watch` (nor for another watch).
    pub more: usize,
    /// The oldest date among the watch's hits, for the "list them all" command.
    pub since: Option<DateTime<Utc>>,
}

/// A source to warn about at the end of a digest.
#[derive(Debug, Clone)]
pub struct Warning {
    pub source: String,
    pub health: String,
    pub detail: String,
}

/// An item with hits that was edited or withdrawn since it was first stored.
#[derive(Debug, Clone)]
pub struct Change {
    pub kind: String,
    pub detail: String,
    pub at: DateTime<Utc>,
    pub title: String,
    pub link: Option<String>,
    pub source: String,
    pub role: SourceRole,
    pub watches: Vec<String>,
    /// The command that shows what changed.
    pub show: String,
    /// For an edit, what changed in the title and the text (`[-old-]{+new+}`), by field.
    pub diff: Vec<(String, String)>,
}

/// Everything a digest shows.
#[derive(Debug, Clone, Default)]
pub struct Content {
    /// The stories shown, by severity, then score, then date, newest first.
    pub entries: Vec<Entry>,
    /// Stories per watch, in name order.
    pub watches: Vec<WatchCount>,
    pub changes: Vec<Change>,
    pub warnings: Vec<Warning>,
    pub spikes: Vec<String>,
    pub generated: DateTime<Utc>,
    /// Distinct items with hits: an item in two watches counts once.
    pub new_items: usize,
    /// Stories with hits, shown or not.
    pub stories: usize,
    /// The zone times are shown in (`timezone`); UTC when unset.
    pub zone: Option<chrono_tz::Tz>,
    /// Why entries lack machine translation, when some do (see `digest::gloss::note`).
    pub translation: Option<String>,
}

impl Content {
    /// New items (a hit is an item in a watch; an item in several watches counts once).
    pub fn items(&self) -> usize {
        self.new_items
    }
}

/// The story of each pending hit, as [`entries`] reads it: the items stored in it (in the
/// order they were stored) by story key. A story missing here is made of its pending items.
pub type Members = HashMap<i64, Vec<Copy>>;

/// Groups pending hits into stories: one entry per story, led by its official item (else its
/// first), with every watch it is in and its other items beneath; ordered by severity, then
/// score, then date. A story is shown when it is among the `max_per_watch` first of one of
/// its watches; the others are counted per watch. Then marks the `top` highest-scoring.
/// Returns the entries, the count per watch and the number of stories.
pub fn entries(
    hits: &[PendingHit],
    max_per_watch: usize,
    signals: &SignalsConfig,
    members: &Members,
    role: &dyn Fn(&str) -> SourceRole,
) -> (Vec<Entry>, Vec<WatchCount>, usize) {
    // Hits arrive newest first; a story takes the place of its newest hit among equals.
    let mut stories: Vec<(i64, Vec<&PendingHit>)> = Vec::new();
    for h in hits {
        match stories.iter_mut().find(|(story, _)| *story == h.story) {
            Some((_, group)) => group.push(h),
            None => stories.push((h.story, vec![h])),
        }
    }
    let score = |h: &PendingHit| h.score + status_bonus(signals, h.status.as_deref());
    let mut all: Vec<Entry> = stories
        .iter()
        .map(|(story, group)| story_entry(*story, group, &score, members, role))
        .collect();
    // Stable: among equal severity and score the newest stays first.
    all.sort_by(|a, b| b.severity.cmp(&a.severity).then(b.score.total_cmp(&a.score)));
    let total = all.len();
    let mut by_watch: BTreeMap<&str, (usize, usize, Option<DateTime<Utc>>)> = BTreeMap::new();
    for h in hits {
        let w = by_watch.entry(&h.watch).or_default();
        w.2 = Some(w.2.map_or(h.date, |d: DateTime<Utc>| d.min(h.date)));
    }
    let mut shown = vec![false; all.len()];
    for (i, e) in all.iter().enumerate() {
        for w in &e.watches {
            if let Some(c) = by_watch.get_mut(w.as_str()) {
                if c.0 < max_per_watch {
                    shown[i] = true;
                }
                c.0 += 1;
            }
        }
    }
    for (e, _) in all.iter().zip(&shown).filter(|(_, s)| !**s) {
        for w in &e.watches {
            if let Some(c) = by_watch.get_mut(w.as_str()) {
                c.1 += 1;
            }
        }
    }
    let watches = by_watch
        .into_iter()
        .map(|(watch, (stories, more, since))| WatchCount {
            watch: watch.to_string(),
            stories,
            more,
            since,
        })
        .collect();
    let mut entries: Vec<Entry> = all
        .into_iter()
        .zip(shown)
        .filter_map(|(e, s)| s.then_some(e))
        .collect();
    mark_top(&mut entries, signals.top);
    (entries, watches, total)
}

/// The entry of one story from its pending hits (`group`, newest first).
fn story_entry(
    story: i64,
    group: &[&PendingHit],
    score: &dyn Fn(&PendingHit) -> f64,
    members: &Members,
    role: &dyn Fn(&str) -> SourceRole,
) -> Entry {
    let pending = |item: i64| group.iter().any(|h| h.item_id == item);
    // The story's items: as stored, else those with pending hits, once each.
    let mut items: Vec<Copy> = match members.get(&story) {
        Some(m) if !m.is_empty() => m.clone(),
        _ => {
            let mut own: Vec<Copy> = Vec::new();
            for h in group.iter().rev() {
                if !own.iter().any(|c| c.item == h.item_id) {
                    own.push(Copy {
                        item: h.item_id,
                        source: h.source.clone(),
                        role: role(&h.source),
                        title: h.title.clone(),
                        link: h.link.clone(),
                        new: true,
                    });
                }
            }
            own.sort_by_key(|c| c.item);
            own
        }
    };
    for c in &mut items {
        c.new = pending(c.item);
    }
    // The lead: the official item (the first stored, when several), else the story's first
    // item: which copy leads must not depend on which feed answered first.
    let lead_at = items
        .iter()
        .position(|c| c.role == SourceRole::Official)
        .or_else(|| items.iter().position(|c| c.item == story))
        .unwrap_or(0);
    let lead = if items.is_empty() {
        None
    } else {
        Some(items.remove(lead_at))
    };
    // The hit shown: the lead's best, else the story's best.
    let best = |only: Option<i64>| -> Option<&PendingHit> {
        let mut best: Option<&PendingHit> = None;
        for h in group
            .iter()
            .copied()
            .filter(|h| only.is_none_or(|i| h.item_id == i))
        {
            if best.is_none_or(|b| score(h) > score(b)) {
                best = Some(h);
            }
        }
        best
    };
    let lead_item = lead.as_ref().map_or(group[0].item_id, |l| l.item);
    let own = best(Some(lead_item));
    let shown = own.or_else(|| best(None)).unwrap_or(group[0]);
    let (snippet, snippet_match) = crate::sanitize::shown_marked(&shown.snippet, shown.snippet_match);
    let mut watches: Vec<String> = group.iter().map(|h| h.watch.clone()).collect();
    watches.sort();
    watches.dedup();
    let mut more_terms: Vec<String> = Vec::new();
    for h in group {
        for t in std::iter::once(&h.term).chain(&h.terms) {
            if *t != shown.term && !more_terms.contains(t) {
                more_terms.push(t.clone());
            }
        }
    }
    let alerted = group.iter().any(|h| h.alerted);
    let official = lead.as_ref().is_some_and(|l| l.role == SourceRole::Official)
        || group.iter().any(|h| role(&h.source) == SourceRole::Official);
    let severity = if alerted {
        Severity::Alerted
    } else if official {
        Severity::Official
    } else {
        Severity::Report
    };
    let lead_hit = own.unwrap_or(shown);
    let (title, link, source) = match &lead {
        Some(l) => (l.title.clone(), l.link.clone(), l.source.clone()),
        None => (shown.title.clone(), shown.link.clone(), shown.source.clone()),
    };
    Entry {
        story,
        item: lead_item,
        title: super::shown_title(&title),
        link,
        role: role(&source),
        snippet_source: own.is_none().then(|| shown.source.clone()),
        source,
        date: lead_hit.date,
        watches,
        term: shown.term.clone(),
        snippet,
        snippet_match,
        more_terms,
        alerted,
        score: group.iter().map(|h| score(h)).fold(f64::MIN, f64::max),
        severity,
        status: own
            .and_then(|h| h.status.clone())
            .or_else(|| group.iter().find_map(|h| h.status.clone())),
        top: false,
        notice: own.map(notice_of).unwrap_or_default(),
        copies: items,
        story_url: None,
        gloss: super::super::gloss::of_story(own, shown),
    }
}

/// What the item of `h` says of itself as a notice.
fn notice_of(h: &PendingHit) -> Notice {
    Notice {
        documents: h
            .doc_numbers
            .iter()
            .map(|d| match d.issuers.as_slice() {
                [] => d.key.clone(),
                is => format!("{} ({})", d.key, is.join(", ")),
            })
            .collect(),
        effective: h.effective.map(|e| e.to_string()),
        attachments: h.attachments.clone(),
    }
}

/// Marks the `n` highest-scoring stories (newest first among equals).
fn mark_top(entries: &mut [Entry], n: usize) {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&a, &b| {
        entries[b]
            .score
            .total_cmp(&entries[a].score)
            .then(entries[b].date.cmp(&entries[a].date))
    });
    for i in order.into_iter().take(n) {
        entries[i].top = true;
    }
}
