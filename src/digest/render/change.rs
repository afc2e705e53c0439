//! The message that alerts an edit or a withdrawal of an alerted item: what changed, when,
//! and where to read it.

use std::fmt::Write;

use html_escape::encode_text as esc;

use super::{Change, header_safe, safe_link, shown_title, when};

/// "Edited", "Withdrawn".
fn verb(kind: &str) -> String {
    let mut c = kind.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The plain-text part.
pub fn change_text(ch: &Change, zone: Option<chrono_tz::Tz>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}\n", verb(&ch.kind), header_safe(&ch.title));
    let _ = writeln!(
        out,
        "{} ({}) | {} | {}",
        ch.source,
        ch.role.as_str(),
        when(ch.at, zone),
        header_safe(&ch.detail)
    );
    let _ = writeln!(out, "watches: {}", ch.watches.join(", "));
    if let Some(l) = safe_link(ch.link.as_deref()) {
        let _ = writeln!(out, "{l}");
    }
    for (what, d) in &ch.diff {
        let _ = writeln!(out, "\n{what}: {}", header_safe(d));
    }
    let _ = writeln!(out, "\nsee: {}", ch.show);
    out
}

/// The HTML part.
pub fn change_html(ch: &Change, zone: Option<chrono_tz::Tz>) -> String {
    let title = esc(&shown_title(&ch.title)).into_owned();
    let title = match safe_link(ch.link.as_deref()) {
        Some(l) => format!(
            "<a href=\"{}\" style=\"color:#0969da;text-decoration:none\">{title}</a>",
            html_escape::encode_double_quoted_attribute(l)
        ),
        None => title,
    };
    let mut o = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>sigwatch alert</title></head>\
         <body style=\"font-family:sans-serif;color:#1f2328\"><h1 style=\"font-size:18px\">{}: {title}</h1>\
         <p style=\"font-size:13px;color:#57606a\">{} ({}) · {} · {} · {}</p>",
        esc(&verb(&ch.kind)),
        esc(&ch.source),
        esc(ch.role.as_str()),
        esc(&when(ch.at, zone)),
        esc(&ch.detail),
        esc(&ch.watches.join(", "))
    );
    for (what, d) in &ch.diff {
        let _ = write!(
            o,
            "<p style=\"font-size:14px\"><b>{}</b>: <span style=\"font-family:monospace\">{}</span></p>",
            esc(what),
            esc(d)
        );
    }
    let _ = write!(
        o,
        "<p style=\"font-size:12px;color:#57606a\"><code>{}</code></p></body></html>",
        esc(&ch.show)
    );
    o
}
