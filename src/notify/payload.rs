//! What one message says, whatever the channel: sigwatch's versioned JSON (the body of a
//! `webhook` channel, documented field by field in docs/notifications.md) from which the
//! chat kinds render theirs.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::escape;
use super::story::{self, Member};
use crate::config::{Config, MessageKind, SourceRole};
use crate::store::{PendingHit, Store, StoreError};

/// The version of the JSON below: raised on any change a receiver could trip over.
pub const VERSION: u32 = 1;

/// The longest title a message carries, in characters.
const TITLE_MAX: usize = 300;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Payload {
    pub version: u32,
    /// `alert`, `digest`, or `test` (from `sigwatch test-notify`).
    pub kind: &'static str,
    /// The idempotency key: the same in every attempt to send this message.
    pub id: String,
    pub channel: String,
    pub created: String,
    /// One line saying what the message is.
    pub title: String,
    /// `urgent` (an alert led by an official source), `high` (another alert), `default`.
    pub severity: &'static str,
    pub watches: Vec<String>,
    pub terms: Vec<String>,
    /// The stories' lead links, in the stories' order.
    pub links: Vec<String>,
    /// Hits (items in watches) and distinct items the message is about.
    pub hits: usize,
    pub items: usize,
    /// The highest story score.
    pub score: f64,
    pub stories: Vec<Story>,
    /// Stories left out past the channel's `max_stories`.
    pub more_stories: usize,
}

/// A story: the items of different sources folded together, led by its official item.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Story {
    /// The story's id (its first item's): `sigwatch show ID` prints it.
    pub story: i64,
    pub title: String,
    pub link: Option<String>,
    /// The newest date among its items with hits.
    pub date: String,
    /// Its hits' highest priority score.
    pub score: f64,
    pub watches: Vec<String>,
    pub terms: Vec<String>,
    pub doc_numbers: Vec<String>,
    pub lead: Member,
    /// Every item of the story, the lead first.
    pub members: Vec<Member>,
}

impl Story {
    /// The line under a story's title in chat messages: the lead's source and role, the
    /// watches and the score, as written (each target escapes it for its own syntax).
    pub fn meta(&self) -> String {
        format!(
            "{} ({}) · {} · score {:.1}",
            self.lead.source,
            self.lead.role,
            self.watches.join(", "),
            self.score
        )
    }
}

/// Hits of one story among the pending ones.
struct Group {
    story: i64,
    score: f64,
    date: DateTime<Utc>,
    watches: Vec<String>,
    terms: Vec<String>,
    first: usize,
}

fn push_new(list: &mut Vec<String>, v: &str) {
    if !list.iter().any(|x| x == v) {
        list.push(v.to_string());
    }
}

/// The message of `kind` about `pending` for `channel`, with its idempotency key `id`.
#[allow(clippy::too_many_arguments)]
pub fn build(
    cfg: &Config,
    store: &Store,
    channel: &str,
    kind: MessageKind,
    id: &str,
    pending: &[PendingHit],
    max_stories: usize,
    now: DateTime<Utc>,
) -> Result<Payload, StoreError> {
    let mut groups: Vec<Group> = Vec::new();
    for (i, h) in pending.iter().enumerate() {
        let g = match groups.iter_mut().position(|g| g.story == h.story) {
            Some(at) => &mut groups[at],
            None => {
                groups.push(Group {
                    story: h.story,
                    score: h.score,
                    date: h.date,
                    watches: Vec::new(),
                    terms: Vec::new(),
                    first: i,
                });
                groups.last_mut().expect("just pushed")
            }
        };
        g.score = g.score.max(h.score);
        g.date = g.date.max(h.date);
        push_new(&mut g.watches, &h.watch);
        for t in std::iter::once(&h.term).chain(&h.terms) {
            push_new(&mut g.terms, t);
        }
    }
    groups.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.date.cmp(&a.date)));
    let more_stories = groups.len().saturating_sub(max_stories);
    let mut stories = Vec::new();
    for g in groups.iter().take(max_stories) {
        let mut members: Vec<Member> = story::members(store, Some(cfg), g.story)?
            .into_iter()
            .map(shown)
            .collect();
        if members.is_empty() {
            // Never so for a stored hit; the hit itself stands for its story then.
            let h = &pending[g.first];
            members.push(shown(Member {
                item: h.item_id,
                source: h.source.clone(),
                role: cfg
                    .source(&h.source)
                    .map_or(SourceRole::default(), |s| s.role)
                    .as_str(),
                title: h.title.clone(),
                link: h.link.clone(),
                doc_numbers: Vec::new(),
                published: None,
                first_seen: None,
            }));
        }
        let lead = members[0].clone();
        stories.push(Story {
            story: g.story,
            title: lead.title.clone(),
            link: lead.link.clone(),
            date: iso(g.date),
            score: g.score,
            watches: g.watches.clone(),
            terms: g.terms.iter().map(|t| escape::line(t, TITLE_MAX)).collect(),
            doc_numbers: story::doc_numbers(&members),
            lead,
            members,
        });
    }
    let mut watches = Vec::new();
    let mut terms = Vec::new();
    for g in &groups {
        g.watches.iter().for_each(|w| push_new(&mut watches, w));
        g.terms
            .iter()
            .for_each(|t| push_new(&mut terms, &escape::line(t, TITLE_MAX)));
    }
    let official = stories
        .iter()
        .any(|s| s.lead.role == SourceRole::Official.as_str());
    let (kind_name, severity) = match kind {
        MessageKind::Alert if official => ("alert", "urgent"),
        MessageKind::Alert => ("alert", "high"),
        MessageKind::Digest => ("digest", "default"),
    };
    let title = match kind {
        // Led, as the mail alert is, by what was decided rather than the reactions to it.
        MessageKind::Alert => {
            let first = stories
                .iter()
                .find(|s| s.lead.role == SourceRole::Official.as_str())
                .or(stories.first());
            let more = if groups.len() > 1 {
                format!(" (+{} more)", groups.len() - 1)
            } else {
                String::new()
            };
            match first {
                Some(s) => format!(
                    "sigwatch alert: {}: {}{more}",
                    s.watches.first().map_or("", String::as_str),
                    s.title
                ),
                None => "sigwatch alert".to_string(),
            }
        }
        MessageKind::Digest => format!(
            "sigwatch digest: {} in {}",
            count(groups.len(), "story", "stories"),
            watches.join(", ")
        ),
    };
    Ok(Payload {
        version: VERSION,
        kind: kind_name,
        id: id.to_string(),
        channel: channel.to_string(),
        created: iso(now),
        title: escape::line(&title, TITLE_MAX),
        severity,
        links: stories.iter().filter_map(|s| s.link.clone()).collect(),
        hits: pending.len(),
        items: pending.iter().map(|h| h.item_id).collect::<HashSet<_>>().len(),
        score: groups.iter().map(|g| g.score).fold(0.0, f64::max),
        watches,
        terms,
        stories,
        more_stories,
    })
}

/// The message `sigwatch test-notify` sends: no stories.
pub fn test(channel: &str, id: &str, now: DateTime<Utc>) -> Payload {
    Payload {
        version: VERSION,
        kind: "test",
        id: id.to_string(),
        channel: channel.to_string(),
        created: iso(now),
        title: format!(
            "sigwatch test message: the channel {} works",
            escape::line(channel, 100)
        ),
        severity: "default",
        watches: Vec::new(),
        terms: Vec::new(),
        links: Vec::new(),
        hits: 0,
        items: 0,
        score: 0.0,
        stories: Vec::new(),
        more_stories: 0,
    }
}

/// A member as a message shows it: one line of text, and a link only when it is http(s).
fn shown(m: Member) -> Member {
    Member {
        source: escape::line(&m.source, 100),
        title: escape::line(&m.title, TITLE_MAX),
        link: escape::link(m.link.as_deref()),
        doc_numbers: m.doc_numbers.iter().map(|d| escape::line(d, 100)).collect(),
        ..m
    }
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// "1 story", "2 stories".
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}
