//! Rendering a digest as plain text and as HTML that reads well in common mail clients:
//! inline styles only, no scripts, no remote images, every feed string escaped, links only
//! when they are http(s).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use chrono::{DateTime, Utc};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as esc};

use crate::config::SignalsConfig;
use crate::signals::status_bonus;
use crate::store::PendingHit;

/// One story under one watch (an item, and any copies of it other sources carried), with
/// the hit shown for it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub title: String,
    pub link: Option<String>,
    pub source: String,
    pub date: DateTime<Utc>,
    pub term: String,
    pub snippet: String,
    pub snippet_match: (usize, usize),
    /// Other terms of the same watch found in the item.
    pub more_terms: Vec<String>,
    /// Already mailed as an immediate alert.
    pub alerted: bool,
    /// The highest score among its hits, status bonus included.
    pub score: f64,
    /// `edited` or `withdrawn`.
    pub status: Option<String>,
    /// One of the digest's highest-scoring stories (`[signals] top`).
    pub top: bool,
    /// The other items of its story: the same report from other sources.
    pub copies: Vec<Copy>,
    /// The machine translation of its title and snippet (see `gloss`).
    pub gloss: Option<crate::store::Gloss>,
}

/// Another source's copy of a story.
#[derive(Debug, Clone, PartialEq)]
pub struct Copy {
    pub source: String,
    pub link: Option<String>,
}

/// One watch's part of a digest.
#[derive(Debug, Clone, Default)]
pub struct Section {
    pub watch: String,
    /// Entries shown, highest score first (newest first among equals).
    pub entries: Vec<Entry>,
    /// Stories with hits (an item and its folded copies count once).
    pub items: usize,
    pub hits: usize,
    /// Stories not shown because of `max_per_watch`.
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
    pub watches: Vec<String>,
    /// The command that shows what changed.
    pub show: String,
}

/// Everything a digest shows.
#[derive(Debug, Clone, Default)]
pub struct Content {
    pub sections: Vec<Section>,
    pub changes: Vec<Change>,
    pub warnings: Vec<Warning>,
    pub spikes: Vec<String>,
    pub generated: DateTime<Utc>,
    /// Distinct items with hits: an item in two watches counts once.
    pub new_items: usize,
    /// The zone times are shown in (`timezone`); UTC when unset.
    pub zone: Option<chrono_tz::Tz>,
    /// Why entries lack machine translation, when some do (see `gloss::note`).
    pub translation: Option<String>,
}

impl Content {
    /// New items (a hit is an item in a watch; an item in several watches counts once).
    pub fn hits(&self) -> usize {
        self.new_items
    }

    pub fn items(&self) -> usize {
        self.sections.iter().map(|s| s.items).sum()
    }

    /// The entries marked top, highest score first, each story once.
    pub fn top(&self) -> Vec<(&Section, &Entry)> {
        let mut out: Vec<(&Section, &Entry)> = Vec::new();
        for s in &self.sections {
            for e in s.entries.iter().filter(|e| e.top) {
                if !out
                    .iter()
                    .any(|(_, o)| o.title == e.title && o.source == e.source)
                {
                    out.push((s, e));
                }
            }
        }
        out.sort_by(|a, b| b.1.score.total_cmp(&a.1.score).then(b.1.date.cmp(&a.1.date)));
        out
    }
}

/// Groups pending hits into sections: by watch, one entry per story (an item and the copies
/// of it that `copies` lists by story), highest score first, at most `max_per_watch` entries
/// per watch; then marks the `top` highest-scoring stories.
pub fn sections(
    hits: &[PendingHit],
    max_per_watch: usize,
    signals: &SignalsConfig,
    copies: &HashMap<i64, Vec<Copy>>,
) -> Vec<Section> {
    let mut by_watch: BTreeMap<&str, Vec<&PendingHit>> = BTreeMap::new();
    for h in hits {
        by_watch.entry(&h.watch).or_default().push(h);
    }
    let mut out: Vec<Section> = by_watch
        .into_iter()
        .map(|(watch, hs)| {
            // One entry per story, in the order of its newest hit (hits arrive newest first),
            // shown as the story's first item (the one its copies were folded into) when that
            // has a hit here, else as that newest hit: which copy heads the entry must not
            // depend on which feed answered first.
            let mut stories: Vec<(i64, Vec<&PendingHit>)> = Vec::new();
            for h in &hs {
                match stories.iter_mut().find(|(story, _)| *story == h.story) {
                    Some((_, group)) => group.push(h),
                    None => stories.push((h.story, vec![h])),
                }
            }
            let score = |h: &PendingHit| h.score + status_bonus(signals, h.status.as_deref());
            let entries: Vec<Entry> = stories
                .iter()
                .map(|(story, group)| {
                    let lead = group.iter().find(|h| h.item_id == *story).unwrap_or(&group[0]);
                    let mut e = entry(lead, score(lead), copies);
                    for h in group {
                        for t in std::iter::once(&h.term).chain(&h.terms) {
                            if e.term != *t && !e.more_terms.contains(t) {
                                e.more_terms.push(t.clone());
                            }
                        }
                        e.score = e.score.max(score(h));
                        e.alerted |= h.alerted;
                    }
                    e
                })
                .collect();
            let items = entries.len();
            let mut shown = entries;
            // Stable: among equal scores the newest stays first.
            shown.sort_by(|a, b| b.score.total_cmp(&a.score));
            shown.truncate(max_per_watch);
            Section {
                watch: watch.to_string(),
                items,
                hits: hs.len(),
                more: items.saturating_sub(max_per_watch),
                since: hs.iter().map(|h| h.date).min(),
                entries: shown,
            }
        })
        .collect();
    mark_top(&mut out, signals.top);
    out
}

/// A digest entry for hit `h`, listing the story's other copies.
fn entry(h: &PendingHit, score: f64, copies: &HashMap<i64, Vec<Copy>>) -> Entry {
    let own = Copy {
        source: h.source.clone(),
        link: h.link.clone(),
    };
    let others = copies
        .get(&h.story)
        .map(|c| c.iter().filter(|c| **c != own).cloned().collect())
        .unwrap_or_default();
    // Stored text is sanitized on its way in; rows stored before that are cleaned here too,
    // so no escape sequence reaches either part of a message. A title hit's snippet is the
    // title: it loses what the title loses.
    let (snippet, snippet_match) = crate::sanitize::shown_marked(&h.snippet, h.snippet_match);
    Entry {
        title: shown_title(&h.title),
        link: h.link.clone(),
        source: h.source.clone(),
        date: h.date,
        term: h.term.clone(),
        snippet,
        snippet_match,
        more_terms: Vec::new(),
        alerted: h.alerted,
        score,
        status: h.status.clone(),
        top: false,
        copies: others,
        gloss: h.gloss.clone(),
    }
}

/// Marks the `n` highest-scoring stories (by title and source), wherever they appear.
fn mark_top(sections: &mut [Section], n: usize) {
    let mut all: Vec<(f64, DateTime<Utc>, String, String)> = Vec::new();
    for e in sections.iter().flat_map(|s| &s.entries) {
        if !all.iter().any(|(_, _, t, s)| *t == e.title && *s == e.source) {
            all.push((e.score, e.date, e.title.clone(), e.source.clone()));
        }
    }
    all.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    all.truncate(n);
    for e in sections.iter_mut().flat_map(|s| &mut s.entries) {
        e.top = all.iter().any(|(_, _, t, s)| *t == e.title && *s == e.source);
    }
}

/// A title as a message shows it: without escape sequences and control characters, and
/// without the bidi overrides and zero-width characters that would make it read otherwise.
pub fn shown_title(title: &str) -> String {
    crate::sanitize::without_invisible(&crate::sanitize::cleaned(title)).into_owned()
}

/// Strips CR, LF and other control characters, for anything that becomes a header, and bidi
/// overrides and zero-width characters.
pub fn header_safe(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .filter(|&c| !crate::sanitize::is_invisible(c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The longest subject, in characters: a title can be any length, and a header line may not
/// pass 998 octets (RFC 5322). Even four-byte characters, encoded, stay below that.
pub const SUBJECT_MAX: usize = 200;

/// A subject made of `s`: [`header_safe`], and cut to [`SUBJECT_MAX`] characters with an
/// ellipsis.
pub fn subject(s: &str) -> String {
    let safe = header_safe(s);
    match safe.char_indices().nth(SUBJECT_MAX - 1) {
        Some((cut, _)) => format!("{}…", &safe[..cut]),
        None => safe,
    }
}

/// The link when it is http(s); anything else (javascript:, data:, file:) is not a link.
pub fn safe_link(link: Option<&str>) -> Option<&str> {
    let l = link?.trim();
    let lower = l.get(..8).unwrap_or(l).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")).then_some(l)
}

fn list_command(s: &Section) -> String {
    let since = s
        .since
        .map(|d| format!(" --since {}", d.format("%Y-%m-%d")))
        .unwrap_or_default();
    format!("sigwatch hits --watch {}{since} --limit {}", s.watch, s.items)
}

/// "1 item", "2 items".
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// A time as people read it, in the digest's zone, which is named.
fn when(d: DateTime<Utc>, zone: Option<chrono_tz::Tz>) -> String {
    match zone {
        Some(z) => format!("{} {}", d.with_timezone(&z).format("%Y-%m-%d %H:%M"), z.name()),
        None => d.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// The plain-text part.
pub fn text(c: &Content) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "sigwatch digest, {}", when(c.generated, c.zone));
    let _ = writeln!(
        out,
        "{} in {}\n",
        count(c.hits(), "new item"),
        count(c.sections.len(), "watch")
    );
    super::gloss::note_text(&mut out, c.translation.as_deref());
    for s in &c.sections {
        let _ = writeln!(out, "  {:<20} {:>10}", s.watch, count(s.items, "item"));
    }
    for line in &c.spikes {
        let _ = writeln!(out, "  SPIKE {line}");
    }
    let top = c.top();
    if !top.is_empty() {
        let _ = writeln!(out, "\nTop");
        for (s, e) in &top {
            let _ = writeln!(out, "  ★ {:.1}  {} ({})", e.score, header_safe(&e.title), s.watch);
        }
    }
    for s in &c.sections {
        let _ = writeln!(out, "\n== {} ({}) ==", s.watch, count(s.items, "item"));
        for e in &s.entries {
            let star = if e.top { "★ " } else { "" };
            let status = e
                .status
                .as_deref()
                .map(|st| format!("[{st}] "))
                .unwrap_or_default();
            let mark = if e.alerted { " (alerted)" } else { "" };
            let _ = writeln!(out, "\n* {star}{status}{}{mark}", header_safe(&e.title));
            super::gloss::title_text(&mut out, e);
            let terms = std::iter::once(&e.term)
                .chain(&e.more_terms)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(
                out,
                "  {} | {} | term: {terms} | score {:.1}",
                e.source,
                when(e.date, c.zone),
                e.score
            );
            if let Some(l) = safe_link(e.link.as_deref()) {
                let _ = writeln!(out, "  {l}");
            }
            let (a, b) = e.snippet_match;
            if let (Some(pre), Some(m), Some(post)) =
                (e.snippet.get(..a), e.snippet.get(a..b), e.snippet.get(b..))
            {
                let _ = writeln!(out, "  > {pre}[{m}]{post}");
            }
            super::gloss::snippet_text(&mut out, e);
            if !e.copies.is_empty() {
                let names: Vec<&str> = std::iter::once(e.source.as_str())
                    .chain(e.copies.iter().map(|c| c.source.as_str()))
                    .collect();
                let _ = writeln!(
                    out,
                    "  reported by {}: {}",
                    count(names.len(), "source"),
                    names.join(", ")
                );
                for cp in &e.copies {
                    if let Some(l) = safe_link(cp.link.as_deref()) {
                        let _ = writeln!(out, "    {}: {l}", cp.source);
                    }
                }
            }
        }
        if s.more > 0 {
            let _ = writeln!(out, "\n  … and {} more: {}", s.more, list_command(s));
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
                "  {} | {} | {}",
                ch.source,
                when(ch.at, c.zone),
                header_safe(&ch.detail)
            );
            if let Some(l) = safe_link(ch.link.as_deref()) {
                let _ = writeln!(out, "  {l}");
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

const FONT: &str = "font-family:-apple-system,'Segoe UI',Roboto,'Noto Sans','Noto Sans CJK SC','PingFang SC','Microsoft YaHei',Arial,sans-serif";

/// The HTML part.
pub fn html(c: &Content) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>sigwatch digest</title></head>\
         <body style=\"margin:0;padding:0;background:#f4f5f7;{FONT};color:#1f2328\">\
         <div style=\"max-width:720px;margin:0 auto;padding:24px 16px\">\
         <h1 style=\"font-size:20px;margin:0 0 4px\">sigwatch digest</h1>\
         <p style=\"margin:0 0 16px;color:#57606a;font-size:13px\">{} · {} in {}</p>",
        esc(&when(c.generated, c.zone)),
        count(c.hits(), "new item"),
        count(c.sections.len(), "watch")
    );
    super::gloss::note_html(&mut o, c.translation.as_deref());
    o.push_str(
        "<table role=\"presentation\" style=\"border-collapse:collapse;margin:0 0 16px;font-size:14px\">",
    );
    for s in &c.sections {
        let _ = write!(
            o,
            "<tr><td style=\"padding:2px 16px 2px 0\"><a href=\"#{}\" style=\"color:#0969da;text-decoration:none\">{}</a></td>\
             <td style=\"padding:2px 8px;text-align:right\">{}</td></tr>",
            attr(&s.watch),
            esc(&s.watch),
            count(s.items, "item")
        );
    }
    o.push_str("</table>");
    for line in &c.spikes {
        let _ = write!(
            o,
            "<p style=\"margin:0 0 8px;padding:8px 12px;background:#fff8c5;border-left:4px solid #bf8700;font-size:14px\"><b>Spike</b> · {}</p>",
            esc(line)
        );
    }
    let top = c.top();
    if !top.is_empty() {
        o.push_str("<div style=\"margin:0 0 8px;padding:8px 12px;background:#ddf4ff;border-left:4px solid #0969da;font-size:14px\"><b>Top</b><ul style=\"margin:4px 0 0;padding-left:20px\">");
        for (s, e) in &top {
            let _ = write!(
                o,
                "<li>★ {:.1} · {} <span style=\"color:#57606a\">({})</span></li>",
                e.score,
                esc(&e.title),
                esc(&s.watch)
            );
        }
        o.push_str("</ul></div>");
    }
    for s in &c.sections {
        let _ = write!(
            o,
            "<h2 id=\"{}\" style=\"font-size:17px;margin:24px 0 8px;padding-bottom:4px;border-bottom:2px solid #d0d7de\">{} <span style=\"font-weight:normal;color:#57606a;font-size:14px\">{}</span></h2>",
            attr(&s.watch),
            esc(&s.watch),
            count(s.items, "item")
        );
        for e in &s.entries {
            entry_html(&mut o, e, c.zone);
        }
        if s.more > 0 {
            let _ = write!(
                o,
                "<p style=\"margin:8px 0;font-size:13px;color:#57606a\">… and {} more. List them with <code style=\"background:#eaeef2;padding:1px 4px;border-radius:3px\">{}</code></p>",
                s.more,
                esc(&list_command(s))
            );
        }
    }
    if !c.changes.is_empty() {
        o.push_str("<h2 style=\"font-size:17px;margin:24px 0 8px;padding-bottom:4px;border-bottom:2px solid #d0d7de\">Edited or withdrawn</h2>");
        for ch in &c.changes {
            let title = linked_title(&ch.title, ch.link.as_deref());
            let _ = write!(
                o,
                "<div style=\"background:#ffffff;border:1px solid #d0d7de;border-radius:6px;padding:10px 12px;margin:0 0 8px\">\
                 <div style=\"font-size:15px;font-weight:600;line-height:1.35\">{} {title}</div>\
                 <div style=\"font-size:12px;color:#57606a;margin:2px 0 0\">{} · {} · {} · {} · <code>{}</code></div></div>",
                badge(&ch.kind),
                esc(&ch.source),
                esc(&when(ch.at, c.zone)),
                esc(&ch.detail),
                esc(&ch.watches.join(", ")),
                esc(&ch.show)
            );
        }
    }
    if !c.warnings.is_empty() {
        o.push_str("<h2 style=\"font-size:17px;margin:24px 0 8px;color:#9a6700\">Sources needing attention</h2><ul style=\"padding-left:20px;font-size:14px\">");
        for w in &c.warnings {
            let _ = write!(
                o,
                "<li><b>{}</b> ({}): {}</li>",
                esc(&w.source),
                esc(&w.health),
                esc(&w.detail)
            );
        }
        o.push_str("</ul>");
    }
    o.push_str("<p style=\"margin:24px 0 0;font-size:12px;color:#8c959f\">Sent by sigwatch. Query hits any time with <code>sigwatch hits</code>.</p></div></body></html>");
    o
}

/// A title, escaped, linked when its link is http(s).
fn linked_title(title: &str, link: Option<&str>) -> String {
    let title = shown_title(title);
    let title = esc(&title);
    match safe_link(link) {
        Some(l) => format!(
            "<a href=\"{}\" style=\"color:#0969da;text-decoration:none\">{title}</a>",
            attr(l)
        ),
        None => title.into_owned(),
    }
}

fn entry_html(o: &mut String, e: &Entry, zone: Option<chrono_tz::Tz>) {
    let title = linked_title(&e.title, e.link.as_deref());
    let title = if e.alerted {
        format!("{title} {}", badge("alerted"))
    } else {
        title
    };
    let title = match &e.status {
        Some(st) => format!("{} {title}", badge(st)),
        None => title,
    };
    let title = if e.top { format!("★ {title}") } else { title };
    let (a, b) = e.snippet_match;
    let snippet = match (e.snippet.get(..a), e.snippet.get(a..b), e.snippet.get(b..)) {
        (Some(pre), Some(m), Some(post)) => format!(
            "{}<mark style=\"background:#fff1a8;padding:0 1px\">{}</mark>{}",
            esc(pre),
            esc(m),
            esc(post)
        ),
        _ => esc(&e.snippet).into_owned(),
    };
    let terms = std::iter::once(&e.term)
        .chain(&e.more_terms)
        .map(|t| esc(t).into_owned())
        .collect::<Vec<_>>()
        .join(", ");
    let copies = if e.copies.is_empty() {
        String::new()
    } else {
        let list = e
            .copies
            .iter()
            .map(|c| match safe_link(c.link.as_deref()) {
                Some(l) => format!(
                    "<a href=\"{}\" style=\"color:#0969da\">{}</a>",
                    attr(l),
                    esc(&c.source)
                ),
                None => esc(&c.source).into_owned(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "<div style=\"font-size:12px;color:#57606a;margin:6px 0 0\">Reported by {}: {}, {list}</div>",
            count(e.copies.len() + 1, "source"),
            esc(&e.source)
        )
    };
    let (title_gloss, snippet_gloss) = (super::gloss::title_html(e), super::gloss::snippet_html(e));
    let _ = write!(
        o,
        "<div style=\"background:#ffffff;border:1px solid #d0d7de;border-radius:6px;padding:10px 12px;margin:0 0 8px\">\
         <div style=\"font-size:15px;font-weight:600;line-height:1.35\">{title}</div>{title_gloss}\
         <div style=\"font-size:12px;color:#57606a;margin:2px 0 6px\">{} · {} · {terms} · score {:.1}</div>\
         <div style=\"font-size:14px;line-height:1.5\">{snippet}</div>{snippet_gloss}{copies}</div>",
        esc(&e.source),
        esc(&when(e.date, zone)),
        e.score
    );
}

/// A small coloured label: alerted, edited, withdrawn, restored.
fn badge(what: &str) -> String {
    let bg = match what {
        "alerted" | "withdrawn" => "#cf222e",
        "edited" => "#9a6700",
        _ => "#57606a",
    };
    format!(
        "<span style=\"font-size:11px;font-weight:normal;color:#ffffff;background:{bg};border-radius:3px;padding:1px 5px\">{}</span>",
        esc(what)
    )
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    /// A small digest with every kind of part, fixed in time.
    fn small() -> Content {
        let at = Utc.with_ymd_and_hms(2026, 11, 27, 8, 30, 0).unwrap();
        let entry = |title: &str, link: Option<&str>, term: &str, snippet: &str, alerted| {
            let s = snippet.find(term).unwrap_or(0);
            Entry {
                title: title.into(),
                link: link.map(String::from),
                source: "mofcom".into(),
                date: at,
                term: term.into(),
                snippet: snippet.into(),
                snippet_match: (s, s + term.len()),
                more_terms: vec![],
                alerted,
                score: 1.0,
                status: None,
                top: false,
                copies: vec![],
                gloss: None,
            }
        };
        let mut first = entry(
            "关于实施出口管制的公告",
            Some("https://www.mofcom.gov.cn/a/1.html"),
            "出口管制",
            "决定对相关物项实施出口管制。",
            true,
        );
        first.top = true;
        first.score = 2.5;
        first.status = Some("edited".into());
        first.copies = vec![
            Copy {
                source: "xinhua".into(),
                link: Some("http://www.news.cn/2026-11/27/c_1.htm".into()),
            },
            Copy {
                source: "odd".into(),
                link: Some("data:text/html,x".into()),
            },
        ];
        Content {
            sections: vec![Section {
                watch: "export-controls".into(),
                entries: vec![
                    first,
                    entry(
                        "<b>Tags</b> & \"quotes\"",
                        Some("javascript:alert(1)"),
                        "export controls",
                        "New export controls <script>x</script>.",
                        false,
                    ),
                ],
                items: 3,
                hits: 4,
                more: 1,
                since: Some(at),
            }],
            changes: vec![Change {
                kind: "withdrawn".into(),
                detail: "no longer listed, while older items still are".into(),
                at,
                title: "关于<暂停>出口的通知".into(),
                link: Some("https://www.mofcom.gov.cn/a/0.html".into()),
                source: "mofcom".into(),
                watches: vec!["export-controls".into()],
                show: "sigwatch show 7".into(),
            }],
            warnings: vec![Warning {
                source: "eu-trade".into(),
                health: "failing".into(),
                detail: "HTTP 403".into(),
            }],
            spikes: vec!["export-controls: 9 items today".into()],
            generated: Utc.with_ymd_and_hms(2026, 11, 28, 7, 0, 0).unwrap(),
            new_items: 3,
            zone: None,
            translation: None,
        }
    }

    #[test]
    fn text_snapshot() {
        insta::assert_snapshot!(text(&small()));
    }

    #[test]
    fn html_snapshot() {
        let h = html(&small());
        assert!(!h.contains("<script") && !h.contains("javascript:"));
        insta::assert_snapshot!(h);
    }

    #[test]
    fn headers_lose_control_characters() {
        assert_eq!(header_safe("a\r\nBcc: x@y\u{0}\tz"), "a Bcc: x@y z");
    }

    #[test]
    fn a_story_is_shown_as_its_first_item_whatever_copy_came_last() {
        let at = Utc.with_ymd_and_hms(2026, 11, 27, 8, 30, 0).unwrap();
        let hit = |id: i64, item_id: i64, source: &str, title: &str, term: &str| PendingHit {
            id,
            item_id,
            watch: "export-controls".into(),
            term: term.into(),
            source: source.into(),
            title: title.into(),
            link: None,
            date: at,
            snippet: title.into(),
            snippet_match: (0, 0),
            alerted: false,
            score: 1.0,
            status: None,
            story: 10,
            folded: true,
            terms: vec![term.into()],
            gloss: None,
        };
        // Newest first: two copies (items 12 and 11) before the story's first item (10).
        let hits = [
            hit(
                3,
                12,
                "chinadaily",
                "Gallium export controls to take effect",
                "export controls",
            ),
            hit(2, 11, "globaltimes", "China imposes gallium controls", "gallium"),
            hit(1, 10, "xinhua", "China to control gallium exports", "export"),
        ];
        let copies = HashMap::from([(
            10,
            ["xinhua", "globaltimes", "chinadaily"]
                .map(|s| Copy {
                    source: s.into(),
                    link: None,
                })
                .to_vec(),
        )]);
        let sections = sections(&hits, 10, &SignalsConfig::default(), &copies);
        let e = &sections[0].entries;
        assert_eq!(e.len(), 1);
        assert_eq!(
            (e[0].source.as_str(), e[0].title.as_str()),
            ("xinhua", "China to control gallium exports")
        );
        assert_eq!(e[0].more_terms, ["export controls", "gallium"]);
        assert_eq!(e[0].copies.len(), 2);
    }
}
