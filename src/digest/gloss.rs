//! Glosses in digests and alerts: the machine translation under an entry's title and
//! snippet, marked as such, and the one line that says why some entries have none.
//!
//! A gloss came from a service and is untrusted text like a feed's: it was cleaned before it
//! was stored, and is escaped (HTML) or stripped of control characters (text) here again.

use std::collections::HashSet;
use std::fmt::Write;

use html_escape::encode_text as esc;

use super::render::{Entry, header_safe};
use crate::config::Config;
use crate::store::{Gloss, PendingHit, Store, StoreError};

/// The mark before a gloss, naming the service.
fn mark(service: &str) -> String {
    format!("[machine translation, {}]", header_safe(service))
}

/// The title's gloss, as a line of the text part.
pub(super) fn title_text(out: &mut String, e: &Entry) {
    if let Some((g, service)) = title(e) {
        let _ = writeln!(out, "  {} {}", mark(service), header_safe(g));
    }
}

/// The snippet's gloss, as a line of the text part.
pub(super) fn snippet_text(out: &mut String, e: &Entry) {
    if let Some((g, service)) = snippet(e) {
        let _ = writeln!(out, "  {} {}", mark(service), header_safe(g));
    }
}

/// The title's gloss, as a line of the HTML part (empty without one).
pub(super) fn title_html(e: &Entry) -> String {
    title(e).map_or_else(String::new, |(g, service)| line_html(g, service, "2px 0 0"))
}

/// The snippet's gloss, as a line of the HTML part (empty without one).
pub(super) fn snippet_html(e: &Entry) -> String {
    snippet(e).map_or_else(String::new, |(g, service)| line_html(g, service, "4px 0 0"))
}

fn line_html(g: &str, service: &str, margin: &str) -> String {
    format!(
        "<div style=\"font-size:13px;color:#57606a;margin:{margin};line-height:1.4\"><span style=\"font-size:11px;color:#8c959f\">{}</span> <i>{}</i></div>",
        esc(&mark(service)),
        esc(&header_safe(g))
    )
}

fn title(e: &Entry) -> Option<(&str, &str)> {
    let g = e.gloss.as_ref()?;
    Some((g.title.as_deref()?, &g.service))
}

/// The snippet's gloss, unless it says what the title's says.
fn snippet(e: &Entry) -> Option<(&str, &str)> {
    let g = e.gloss.as_ref()?;
    let s = g.snippet.as_deref()?;
    (g.title.as_deref() != Some(s)).then_some((s, &g.service))
}

/// The glosses a story's entry shows: the title's from the lead's own hit (`own`), the
/// snippet's from the hit whose snippet is shown.
pub(super) fn of_story(own: Option<&PendingHit>, shown: &PendingHit) -> Option<Gloss> {
    let title = own.and_then(|h| h.gloss.as_ref());
    let snippet = shown.gloss.as_ref();
    let service = title.or(snippet)?;
    Some(Gloss {
        title: title.and_then(|g| g.title.clone()),
        snippet: snippet.and_then(|g| g.snippet.clone()),
        service: service.service.clone(),
        at: service.at,
    })
    .filter(|g| g.title.is_some() || g.snippet.is_some())
}

/// The digest's line about missing glosses: with `[translate]`, when items in a language it
/// glosses have no gloss of their title, how many and why (the service did not answer, the
/// day's budget is spent, or glossing has not run yet). The digest goes out either way.
pub(super) fn note(
    cfg: &Config,
    store: &Store,
    pending: &[PendingHit],
) -> Result<Option<String>, StoreError> {
    let Some(plan) = crate::translate::Plan::of(cfg) else {
        return Ok(None);
    };
    let missing: HashSet<i64> = pending
        .iter()
        .filter(|h| h.gloss.as_ref().is_none_or(|g| g.title.is_none()))
        .filter(|h| plan.language(&h.source, &h.title).is_some())
        .map(|h| h.item_id)
        .collect();
    if missing.is_empty() {
        return Ok(None);
    }
    let mut refused = 0;
    for h in pending.iter().filter(|h| missing.contains(&h.item_id)) {
        if store
            .item_glosses(h.item_id)?
            .iter()
            .any(|g| g.original == h.title && g.gloss.is_none())
        {
            refused += 1;
        }
    }
    let why = match store.gloss_problem()? {
        Some((problem, _)) => format!("the translation service: {problem}"),
        None if refused > 0 => "the translation service refused them".to_string(),
        None => "not glossed yet".to_string(),
    };
    let n = missing.len();
    Ok(Some(format!(
        "{n} {} without machine translation ({}).",
        if n == 1 { "item" } else { "items" },
        header_safe(&why)
    )))
}

/// The note as a line of the text part.
pub(super) fn note_text(out: &mut String, note: Option<&str>) {
    if let Some(n) = note {
        let _ = writeln!(out, "Note: {n}\n");
    }
}

/// The note as a paragraph of the HTML part.
pub(super) fn note_html(o: &mut String, note: Option<&str>) {
    if let Some(n) = note {
        let _ = write!(
            o,
            "<p style=\"margin:0 0 12px;font-size:13px;color:#57606a\">{}</p>",
            esc(n)
        );
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::store::Gloss;

    fn entry(gloss: Option<Gloss>) -> Entry {
        Entry {
            story: 1,
            item: 1,
            title: "商务部公告".into(),
            link: None,
            source: "mofcom".into(),
            role: crate::item::SourceRole::Official,
            date: Utc::now(),
            watches: vec!["rare-earths".into()],
            term: "稀土".into(),
            snippet: "对部分中重稀土实施出口管制".into(),
            snippet_match: (0, 0),
            snippet_source: None,
            more_terms: vec![],
            alerted: false,
            score: 1.0,
            severity: super::super::render::Severity::Official,
            status: None,
            top: false,
            notice: Default::default(),
            copies: vec![],
            story_url: None,
            gloss,
        }
    }

    #[test]
    fn glosses_are_marked_and_escaped() {
        let e = entry(Some(Gloss {
            title: Some("MOFCOM <b>announcement</b>\r\nBcc: x".into()),
            snippet: Some("Export controls on some rare earths".into()),
            service: "libretranslate".into(),
            at: Utc::now(),
        }));
        let mut t = String::new();
        title_text(&mut t, &e);
        snippet_text(&mut t, &e);
        assert_eq!(
            t,
            "  [machine translation, libretranslate] MOFCOM <b>announcement</b> Bcc: x\n  \
             [machine translation, libretranslate] Export controls on some rare earths\n"
        );
        let h = title_html(&e);
        assert!(h.contains("&lt;b&gt;announcement") && !h.contains("<b>"), "{h}");
        assert!(h.contains("[machine translation, libretranslate]"), "{h}");
        assert!(snippet_html(&e).contains("Export controls"));
        let none = entry(None);
        let mut t = String::new();
        title_text(&mut t, &none);
        assert!(t.is_empty() && title_html(&none).is_empty() && snippet_html(&none).is_empty());
    }

    #[test]
    fn a_snippet_gloss_equal_to_the_title_gloss_is_shown_once() {
        let e = entry(Some(Gloss {
            title: Some("Rare earths".into()),
            snippet: Some("Rare earths".into()),
            service: "deepl".into(),
            at: Utc::now(),
        }));
        assert!(snippet_html(&e).is_empty());
    }
}
