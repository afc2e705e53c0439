//! A story as messages and `hits --stories` show it: its items (from the store's story
//! grouping, [`Store::story`]) with their sources' roles, led by the item of an official
//! source, else by the story's first item.

use chrono::{DateTime, Utc};

use crate::config::{Config, SourceRole};
use crate::store::{Store, StoreError};

/// One item of a story.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Member {
    pub item: i64,
    pub source: String,
    /// The source's `role` in the config (`media` when the config does not say).
    pub role: &'static str,
    pub title: String,
    pub link: Option<String>,
    pub doc_numbers: Vec<String>,
    pub published: Option<String>,
    pub first_seen: Option<String>,
}

/// The items of the story of item `story`, the lead first: the first item of an official
/// source, else the story's first item.
pub fn members(store: &Store, cfg: Option<&Config>, story: i64) -> Result<Vec<Member>, StoreError> {
    let role = |source: &str| {
        cfg.and_then(|c| c.source(source))
            .map_or(SourceRole::default(), |s| s.role)
    };
    let iso = |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let mut members: Vec<Member> = store
        .story(story)?
        .into_iter()
        .map(|m| Member {
            item: m.item_id,
            role: role(&m.source).as_str(),
            source: m.source,
            title: m.title,
            link: m.link,
            doc_numbers: m.doc_numbers,
            published: iso(m.published),
            first_seen: iso(Some(m.first_seen)),
        })
        .collect();
    if let Some(at) = members
        .iter()
        .position(|m| m.role == SourceRole::Official.as_str())
    {
        let lead = members.remove(at);
        members.insert(0, lead);
    }
    Ok(members)
}

/// The document numbers the members carry, each once, in order.
pub fn doc_numbers(members: &[Member]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for d in members.iter().flat_map(|m| &m.doc_numbers) {
        if !out.contains(d) {
            out.push(d.clone());
        }
    }
    out
}
