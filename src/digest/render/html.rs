//! The HTML part of a digest or an alert: inline styles only, every feed string escaped,
//! links only when they are http(s).

use std::fmt::Write;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as esc};

use super::{Content, Entry, count, headline, list_command, safe_link, shown_title, when};

const FONT: &str = "font-family:-apple-system,'Segoe UI',Roboto,'Noto Sans','Noto Sans CJK SC','PingFang SC','Microsoft YaHei',Arial,sans-serif";
const H2: &str = "font-size:17px;margin:24px 0 8px;padding-bottom:4px;border-bottom:2px solid #d0d7de";
const CARD: &str =
    "background:#ffffff;border:1px solid #d0d7de;border-radius:6px;padding:10px 12px;margin:0 0 8px";
const META: &str = "font-size:12px;color:#57606a";
const LINK: &str = "color:#0969da;text-decoration:none";

/// The HTML part.
pub fn html(c: &Content) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>sigwatch digest</title></head>\
         <body style=\"margin:0;padding:0;background:#f4f5f7;{FONT};color:#1f2328\">\
         <div style=\"max-width:720px;margin:0 auto;padding:24px 16px\">\
         <h1 style=\"font-size:20px;margin:0 0 4px\">sigwatch digest</h1>\
         <p style=\"margin:0 0 16px;color:#57606a;font-size:13px\">{} · {}</p>",
        esc(&when(c.generated, c.zone)),
        esc(&headline(c))
    );
    super::super::gloss::note_html(&mut o, c.translation.as_deref());
    o.push_str(
        "<table role=\"presentation\" style=\"border-collapse:collapse;margin:0 0 16px;font-size:14px\">",
    );
    for w in &c.watches {
        let _ = write!(
            o,
            "<tr><td style=\"padding:2px 16px 2px 0\">{}</td><td style=\"padding:2px 8px;text-align:right\">{}</td></tr>",
            tag(&w.watch),
            count(w.stories, "story")
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
    let mut severity = None;
    for e in &c.entries {
        if severity != Some(e.severity) {
            severity = Some(e.severity);
            let _ = write!(o, "<h2 style=\"{H2}\">{}</h2>", esc(e.severity.heading()));
        }
        entry(&mut o, e, c.zone);
    }
    for w in c.watches.iter().filter(|w| w.more > 0) {
        let _ = write!(
            o,
            "<p style=\"margin:8px 0;font-size:13px;color:#57606a\">… and {} in {}. List them with <code style=\"background:#eaeef2;padding:1px 4px;border-radius:3px\">{}</code></p>",
            count(w.more, "more story"),
            esc(&w.watch),
            esc(&list_command(w))
        );
    }
    if !c.changes.is_empty() {
        let _ = write!(o, "<h2 style=\"{H2}\">Edited or withdrawn</h2>");
        for ch in &c.changes {
            let title = linked_title(&ch.title, ch.link.as_deref());
            let diff: String = ch
                .diff
                .iter()
                .map(|(what, d)| {
                    format!(
                        "<div style=\"font-size:13px;margin:4px 0 0\"><b>{}</b>: <span style=\"font-family:monospace\">{}</span></div>",
                        esc(what),
                        esc(d)
                    )
                })
                .collect();
            let _ = write!(
                o,
                "<div style=\"{CARD}\">\
                 <div style=\"font-size:15px;font-weight:600;line-height:1.35\">{} {title}</div>\
                 <div style=\"{META};margin:2px 0 0\">{} {} · {} · {} · {} · <code>{}</code></div>{diff}</div>",
                badge(&ch.kind),
                esc(&ch.source),
                role(ch.role),
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
        Some(l) => format!("<a href=\"{}\" style=\"{LINK}\">{title}</a>", attr(l)),
        None => title.into_owned(),
    }
}

/// One story: its lead, what it says as a notice, and its copies beneath.
fn entry(o: &mut String, e: &Entry, zone: Option<chrono_tz::Tz>) {
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
    let title = match safe_link(e.story_url.as_deref()) {
        Some(l) => format!(
            "{title} <a href=\"{}\" style=\"{LINK};font-size:12px\">story</a>",
            attr(l)
        ),
        None => title,
    };
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
    let snippet = match &e.snippet_source {
        Some(s) => format!("<span style=\"color:#57606a\">({})</span> {snippet}", esc(s)),
        None => snippet,
    };
    let terms = std::iter::once(&e.term)
        .chain(&e.more_terms)
        .map(|t| esc(t).into_owned())
        .collect::<Vec<_>>()
        .join(", ");
    let tags: String = e.watches.iter().map(|w| tag(w)).collect::<Vec<_>>().join(" ");
    let (title_gloss, snippet_gloss) = (
        super::super::gloss::title_html(e),
        super::super::gloss::snippet_html(e),
    );
    let _ = write!(
        o,
        "<div style=\"{CARD}\">\
         <div style=\"font-size:15px;font-weight:600;line-height:1.35\">{title}</div>{title_gloss}\
         <div style=\"{META};margin:2px 0 6px\">{} {} · {} · score {:.1}</div>\
         <div style=\"margin:0 0 6px\">{tags} <span style=\"{META}\">{terms}</span></div>\
         <div style=\"font-size:14px;line-height:1.5\">{snippet}</div>{snippet_gloss}",
        esc(&e.source),
        role(e.role),
        esc(&when(e.date, zone)),
        e.score
    );
    if !e.notice.is_empty() {
        let mut facts: Vec<String> = e
            .notice
            .documents
            .iter()
            .map(|d| format!("Document {}", esc(d)))
            .collect();
        if let Some(d) = &e.notice.effective {
            facts.push(format!("effective {}", esc(d)));
        }
        for l in e.notice.attachments.iter().filter_map(|a| safe_link(Some(a))) {
            let name = l.rsplit('/').next().unwrap_or(l);
            facts.push(format!(
                "attachment <a href=\"{}\" style=\"{LINK}\">{}</a>",
                attr(l),
                esc(name)
            ));
        }
        let _ = write!(
            o,
            "<div style=\"{META};margin:6px 0 0\">{}</div>",
            facts.join(" · ")
        );
    }
    if !e.copies.is_empty() {
        let _ = write!(
            o,
            "<div style=\"{META};margin:8px 0 0;padding-left:10px;border-left:3px solid #d0d7de\">Also reported by {}:",
            count(e.copies.len(), "source")
        );
        for cp in &e.copies {
            let new = if cp.new { "" } else { " (earlier)" };
            let _ = write!(
                o,
                "<div style=\"margin:2px 0 0\">{} {} · {}{new}</div>",
                esc(&cp.source),
                role(cp.role),
                linked_title(&cp.title, cp.link.as_deref())
            );
        }
        o.push_str("</div>");
    }
    o.push_str("</div>");
}

/// A watch as a tag.
fn tag(watch: &str) -> String {
    format!(
        "<span style=\"font-size:12px;color:#0969da;background:#ddf4ff;border-radius:10px;padding:1px 8px\">{}</span>",
        esc(watch)
    )
}

/// A source's role as a small label: official stands out.
fn role(r: crate::item::SourceRole) -> String {
    let (fg, bg) = match r {
        crate::item::SourceRole::Official => ("#ffffff", "#1a7f37"),
        crate::item::SourceRole::StateMedia => ("#ffffff", "#8250df"),
        _ => ("#57606a", "#eaeef2"),
    };
    format!(
        "<span style=\"font-size:11px;color:{fg};background:{bg};border-radius:3px;padding:0 4px\">{}</span>",
        r.as_str()
    )
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
