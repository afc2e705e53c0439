//! Atom feeds of stories: `/feeds/all.atom` and `/feeds/watch/NAME.atom`, one entry per
//! story, newest first, with ids that stay the same from one fetch to the next.

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::view::{link, text};
use super::{App, Failure};
use crate::store::{HitQuery, StoryRow};

/// Entries in a feed.
const ENTRIES: usize = 100;
/// Days of stories a feed covers.
const DAYS: i64 = 30;

pub(crate) async fn all(State(app): State<Arc<App>>) -> Result<Response, Failure> {
    feed(app, None).await
}

pub(crate) async fn watch(
    State(app): State<Arc<App>>,
    Path(file): Path<String>,
) -> Result<Response, Failure> {
    match file.strip_suffix(".atom") {
        Some(name) if app.cfg.watch.contains_key(name) => feed(app, Some(name.to_string())).await,
        _ => Ok((StatusCode::NOT_FOUND, "no such watch\n").into_response()),
    }
}

async fn feed(app: Arc<App>, watch: Option<String>) -> Result<Response, Failure> {
    let q = HitQuery {
        watches: watch.iter().cloned().collect(),
        since: Some(Utc::now() - chrono::Duration::days(DAYS)),
        bonus: (&app.cfg.signals).into(),
        limit: Some(ENTRIES),
        ..Default::default()
    };
    let rows = app.read(move |s, _| s.stories_page(&q)).await?;
    let xml = atom(&app.cfg, watch.as_deref(), &rows);
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        xml,
    )
        .into_response())
}

/// The feed document.
fn atom(cfg: &crate::config::Config, watch: Option<&str>, rows: &[StoryRow]) -> String {
    let serve = cfg.serve.clone().unwrap_or_default();
    let host = serve
        .public_url
        .as_ref()
        .and_then(|u| u.host_str().map(String::from))
        .unwrap_or_else(|| "localhost".into());
    let base = serve
        .public_url
        .as_ref()
        .map(|u| u.as_str().trim_end_matches('/').to_string());
    let at = |path: &str| format!("{}{path}", base.as_deref().unwrap_or(""));
    let (title, path) = match watch {
        Some(w) => (format!("sigwatch: {}", text(w)), format!("/feeds/watch/{w}.atom")),
        None => ("sigwatch: all stories".to_string(), "/feeds/all.atom".to_string()),
    };
    let updated = rows
        .iter()
        .map(|r| r.date)
        .max()
        .unwrap_or(chrono::DateTime::UNIX_EPOCH);
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n",
    );
    let _ = writeln!(x, "  <id>tag:{},2026:{}</id>", esc(&host), esc(&path));
    let _ = writeln!(x, "  <title>{}</title>", esc(&title));
    let _ = writeln!(x, "  <updated>{}</updated>", updated.to_rfc3339());
    let _ = writeln!(x, "  <author><name>sigwatch</name></author>");
    let _ = writeln!(x, "  <generator>sigwatch</generator>");
    let _ = writeln!(x, "  <link rel=\"self\" href=\"{}\"/>", esc(&at(&path)));
    for r in rows {
        let page = crate::config::story_url(cfg, r.story).unwrap_or_else(|| format!("/story/{}", r.story));
        x.push_str("  <entry>\n");
        let _ = writeln!(x, "    <id>tag:{},2026:story/{}</id>", esc(&host), r.story);
        let _ = writeln!(x, "    <title>{}</title>", esc(&text(&r.title)));
        let _ = writeln!(x, "    <updated>{}</updated>", r.date.to_rfc3339());
        if let Some(l) = link(r.link.as_deref()) {
            let _ = writeln!(x, "    <link rel=\"alternate\" href=\"{}\"/>", esc(&l));
            let _ = writeln!(x, "    <link rel=\"related\" href=\"{}\"/>", esc(&page));
        } else {
            let _ = writeln!(x, "    <link rel=\"alternate\" href=\"{}\"/>", esc(&page));
        }
        for w in &r.watches {
            let _ = writeln!(x, "    <category term=\"{}\"/>", esc(&text(w)));
        }
        let sources: Vec<String> = r.sources.iter().map(|s| text(s)).collect();
        let summary = format!(
            "{} item(s) from {}; watches: {}; score {:.1}",
            r.items,
            sources.join(", "),
            r.watches.iter().map(|w| text(w)).collect::<Vec<_>>().join(", "),
            r.score
        );
        let _ = writeln!(x, "    <summary>{}</summary>", esc(&summary));
        x.push_str("  </entry>\n");
    }
    x.push_str("</feed>\n");
    x
}

/// Text as XML character data or attribute value: markup escaped, and the characters XML 1.0
/// does not allow left out.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn xml_text_is_escaped_and_invalid_characters_dropped() {
        assert_eq!(
            super::esc("a<b>&\"'\u{1}\u{ffff}c"),
            "a&lt;b&gt;&amp;&quot;&apos;c"
        );
    }
}
