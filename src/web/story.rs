//! The story page: the lead item whole with the watches' terms marked, the notice's
//! document numbers, effective date and attachments, the other members with their
//! similarity, and the lead's edits (word by word) and withdrawals.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use similar::{ChangeTag, TextDiff};

use super::view::{Segment, link, marked, text, time};
use super::{App, Failure};
use crate::store::{HitQuery, HitRow, ItemEvent, ItemRow, Revision, StoryMember};

/// Everything the page shows, read in one go.
struct Read {
    glosses: Vec<crate::store::StoredGloss>,
    lead: ItemRow,
    hits: Vec<HitRow>,
    members: Vec<StoryMember>,
    revisions: Vec<Revision>,
    events: Vec<ItemEvent>,
}

#[derive(serde::Serialize)]
struct MemberOut {
    id: i64,
    source: String,
    title: String,
    link: Option<String>,
    similarity: Option<String>,
    folded_into: Option<i64>,
    docs: Vec<String>,
    date: String,
    lead: bool,
}

#[derive(serde::Serialize)]
struct HitOut {
    watch: String,
    terms: Vec<String>,
    score: String,
}

#[derive(serde::Serialize)]
struct EditOut {
    from: String,
    to: String,
    title: Option<Vec<Change>>,
    text: Option<Vec<Change>>,
}

/// A run of a diff: `k` is `=`, `-` or `+`.
#[derive(serde::Serialize)]
struct Change {
    k: &'static str,
    t: String,
}

pub(crate) async fn story(State(app): State<Arc<App>>, Path(id): Path<i64>) -> Result<Response, Failure> {
    let read = app
        .read(move |s, cfg| {
            let members = s.story(id)?;
            // The story's first item leads it, whichever member was asked for.
            let lead_id = members.first().map_or(id, |m| m.item_id);
            let Some(lead) = s.item(lead_id)? else {
                return Ok(None);
            };
            let hits = s.hits(&HitQuery {
                item: Some(lead_id),
                bonus: (&cfg.signals).into(),
                ..Default::default()
            })?;
            Ok(Some(Read {
                glosses: s.item_glosses(lead_id)?,
                revisions: s.revisions(lead_id)?,
                events: s.events(lead_id)?,
                lead,
                hits,
                members,
            }))
        })
        .await?;
    let Some(r) = read else {
        return Ok((StatusCode::NOT_FOUND, "no such story\n").into_response());
    };
    let zone = app.cfg.zone();
    let lead = &r.lead;
    let (body, body_field) = if lead.text.is_empty() {
        (&lead.summary, "summary")
    } else {
        (&lead.text, "text")
    };
    // Where the terms were found, and every other place their matched text stands.
    let matched: Vec<&str> = r
        .hits
        .iter()
        .flat_map(|h| h.terms.iter())
        .map(|t| t.matched.as_str())
        .filter(|m| !m.trim().is_empty())
        .collect();
    let marks = |field: &str, s: &str| -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = r
            .hits
            .iter()
            .flat_map(|h| h.terms.iter())
            .filter(|t| t.field == field)
            .map(|t| (t.start, t.end))
            .collect();
        for m in &matched {
            out.extend(occurrences(s, m));
        }
        out
    };
    let title: Vec<Segment> = marked(&lead.title, &marks("title", &lead.title));
    let body: Vec<Segment> = marked(body, &marks(body_field, body));
    let hits: Vec<HitOut> = r
        .hits
        .iter()
        .map(|h| {
            let mut terms: Vec<String> = Vec::new();
            for t in h.terms.iter().map(|t| t.term.as_str()).chain([h.term.as_str()]) {
                let t = text(t);
                if !terms.contains(&t) {
                    terms.push(t);
                }
            }
            HitOut {
                watch: text(&h.watch),
                terms,
                score: format!("{:.1}", h.score),
            }
        })
        .collect();
    let members: Vec<MemberOut> = r
        .members
        .iter()
        .map(|m| MemberOut {
            id: m.item_id,
            source: text(&m.source),
            title: text(&m.title),
            link: link(m.link.as_deref()),
            similarity: m.similarity.map(|s| format!("{s:.2}")),
            folded_into: m.folded_into,
            docs: m.doc_numbers.iter().map(|d| text(d)).collect(),
            date: time(m.published.unwrap_or(m.first_seen), zone),
            lead: m.item_id == lead.id,
        })
        .collect();
    let docs: Vec<String> = lead
        .doc_numbers
        .iter()
        .map(|d| {
            if d.issuers.is_empty() {
                text(&d.key)
            } else {
                format!("{} ({})", text(&d.key), d.issuers.join(", "))
            }
        })
        .collect();
    // The facts read at poll time, as digests and `hits` show them; read here only for
    // items stored without them.
    let facts = lead.notice.clone().unwrap_or_else(|| {
        let published = lead.published.map(|p| p.with_timezone(&zone).date_naive());
        crate::notice::facts(
            &lead.title,
            &lead.text,
            &lead.summary,
            lead.link.as_deref(),
            published,
        )
    });
    let effective = facts.effective.map(|e| e.to_string());
    let attachments: Vec<String> = facts.attachments.iter().filter_map(|a| link(Some(a))).collect();
    let events: Vec<(String, String, String)> = r
        .events
        .iter()
        .map(|e| (text(&e.kind), time(e.at, zone), text(&e.detail)))
        .collect();
    Ok(app.page(
        "story.html",
        context! {
            title => text(&lead.title),
            id => lead.id,
            title_segs => title,
            body => body,
            link => link(lead.link.as_deref()),
            source => text(&lead.source),
            status => lead.status.as_deref().map(text),
            published => lead.published.map(|t| time(t, zone)),
            first_seen => time(lead.first_seen, zone),
            docs => docs,
            effective => effective,
            attachments => attachments,
            hits => hits,
            members => members,
            events => events,
            edits => edits(lead, &r.revisions, zone),
            glosses => glosses(lead, &r.glosses),
        },
    ))
}

/// The character ranges where `needle` stands in `s`.
fn occurrences(s: &str, needle: &str) -> Vec<(usize, usize)> {
    let len = needle.chars().count();
    let (mut chars, mut last) = (0, 0);
    s.match_indices(needle)
        .map(|(at, _)| {
            chars += s[last..at].chars().count();
            last = at;
            (chars, chars + len)
        })
        .collect()
}

/// Each revision against the next, the last against the item as it stands.
fn edits(item: &ItemRow, revisions: &[Revision], zone: chrono_tz::Tz) -> Vec<EditOut> {
    let mut versions: Vec<(&str, &str, chrono::DateTime<chrono::Utc>)> = revisions
        .iter()
        .map(|r| (r.title.as_str(), r.text.as_str(), r.fetched))
        .collect();
    versions.push((&item.title, &item.text, item.revised.unwrap_or(item.first_seen)));
    versions
        .windows(2)
        .map(|w| EditOut {
            from: time(w[0].2, zone),
            to: time(w[1].2, zone),
            title: diff(w[0].0, w[1].0),
            text: diff(w[0].1, w[1].1),
        })
        .collect()
}

/// The word-by-word difference (each CJK character a word), or `None` when equal.
fn diff(old: &str, new: &str) -> Option<Vec<Change>> {
    if old == new {
        return None;
    }
    let d = TextDiff::configure()
        .timeout(std::time::Duration::from_secs(1))
        .diff_unicode_words(old, new);
    let mut out: Vec<Change> = Vec::new();
    for c in d.iter_all_changes() {
        let k = match c.tag() {
            ChangeTag::Equal => "=",
            ChangeTag::Delete => "-",
            ChangeTag::Insert => "+",
        };
        match out.last_mut() {
            Some(last) if last.k == k => last.t.push_str(c.value()),
            _ => out.push(Change {
                k,
                t: c.value().to_string(),
            }),
        }
    }
    for c in &mut out {
        c.t = text(&c.t);
    }
    Some(out)
}

/// The stored machine translations of the lead's title and snippets, title first, each with
/// its service: `(original, gloss, service)`.
fn glosses(lead: &ItemRow, stored: &[crate::store::StoredGloss]) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = stored
        .iter()
        .filter_map(|g| Some((text(&g.original), text(g.gloss.as_deref()?), text(&g.service))))
        .collect();
    // The title's gloss leads; the snippets follow in the order they were stored.
    out.sort_by_key(|(o, ..)| *o != text(&lead.title));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn occurrences_are_counted_in_characters() {
        assert_eq!(super::occurrences("稀土 and 稀土", "稀土"), vec![(0, 2), (7, 9)]);
        assert_eq!(super::occurrences("abc", "x"), vec![]);
    }
}
