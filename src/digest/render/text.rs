//! The plain-text part of a digest or an alert.

use std::fmt::Write;

use super::{Content, Entry, count, header_safe, headline, list_command, safe_link, when};

/// The plain-text part.
pub fn text(c: &Content) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "sigwatch digest, {}", when(c.generated, c.zone));
    let _ = writeln!(out, "{}\n", headline(c));
    super::super::gloss::note_text(&mut out, c.translation.as_deref());
    for w in &c.watches {
        let _ = writeln!(out, "  {:<20} {:>10}", w.watch, count(w.stories, "story"));
    }
    for line in &c.spikes {
        let _ = writeln!(out, "  SPIKE {line}");
    }
    let mut severity = None;
    for e in &c.entries {
        if severity != Some(e.severity) {
            severity = Some(e.severity);
            let _ = writeln!(out, "\n== {} ==", e.severity.heading());
        }
        entry(&mut out, e, c.zone);
    }
    let more: Vec<_> = c.watches.iter().filter(|w| w.more > 0).collect();
    if !more.is_empty() {
        let _ = writeln!(out);
        for w in more {
            let _ = writeln!(
                out,
                "  … and {} in {}: {}",
                count(w.more, "more story"),
                w.watch,
                list_command(w)
            );
        }
    }
    if !c.changes.is_empty() {
        let _ = writeln!(out, "\n== Edited or withdrawn ==");
        for ch in &c.changes {
            let _ = writeln!(
                out,
                "\n* [{}] {} ({})",
                ch.kind,
                header_safe(&ch.title),
                ch.watches.join(", ")
            );
            let _ = writeln!(
                out,
                "  {} ({}) | {} | {}",
                ch.source,
                ch.role.as_str(),
                when(ch.at, c.zone),
                header_safe(&ch.detail)
            );
            if let Some(l) = safe_link(ch.link.as_deref()) {
                let _ = writeln!(out, "  {l}");
            }
            for (what, d) in &ch.diff {
                let _ = writeln!(out, "  {what}: {}", header_safe(d));
            }
            let _ = writeln!(out, "  see: {}", ch.show);
        }
    }
    if !c.warnings.is_empty() {
        let _ = writeln!(out, "\n== Sources needing attention ==");
        for w in &c.warnings {
            let _ = writeln!(out, "  {} ({}): {}", w.source, w.health, header_safe(&w.detail));
        }
    }
    out
}

/// One story: its lead item, what it says as a notice, and its copies beneath.
fn entry(out: &mut String, e: &Entry, zone: Option<chrono_tz::Tz>) {
    let star = if e.top { "★ " } else { "" };
    let status = e
        .status
        .as_deref()
        .map(|st| format!("[{st}] "))
        .unwrap_or_default();
    let mark = if e.alerted { " (alerted)" } else { "" };
    let _ = writeln!(out, "\n* {star}{status}{}{mark}", header_safe(&e.title));
    super::super::gloss::title_text(out, e);
    let _ = writeln!(
        out,
        "  {} ({}) | {} | score {:.1}",
        e.source,
        e.role.as_str(),
        when(e.date, zone),
        e.score
    );
    let terms = std::iter::once(&e.term)
        .chain(&e.more_terms)
        .map(|t| header_safe(t))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(out, "  watches: {} | terms: {terms}", e.watches.join(", "));
    if let Some(l) = safe_link(e.link.as_deref()) {
        let _ = writeln!(out, "  {l}");
    }
    if let Some(l) = safe_link(e.story_url.as_deref()) {
        let _ = writeln!(out, "  story: {l}");
    }
    let (a, b) = e.snippet_match;
    if let (Some(pre), Some(m), Some(post)) = (e.snippet.get(..a), e.snippet.get(a..b), e.snippet.get(b..)) {
        let from = e
            .snippet_source
            .as_deref()
            .map(|s| format!("({s}) "))
            .unwrap_or_default();
        let _ = writeln!(out, "  > {from}{pre}[{m}]{post}");
    }
    super::super::gloss::snippet_text(out, e);
    for d in &e.notice.documents {
        let _ = writeln!(out, "  document: {}", header_safe(d));
    }
    if let Some(d) = &e.notice.effective {
        let _ = writeln!(out, "  effective: {d}");
    }
    for l in e.notice.attachments.iter().filter_map(|a| safe_link(Some(a))) {
        let _ = writeln!(out, "  attachment: {l}");
    }
    if !e.copies.is_empty() {
        let _ = writeln!(out, "  also reported by {}:", count(e.copies.len(), "source"));
        for cp in &e.copies {
            let new = if cp.new { "" } else { " (earlier)" };
            let _ = writeln!(
                out,
                "    - {} ({}): {}{new}",
                cp.source,
                cp.role.as_str(),
                header_safe(&cp.title)
            );
            if let Some(l) = safe_link(cp.link.as_deref()) {
                let _ = writeln!(out, "      {l}");
            }
        }
    }
}
