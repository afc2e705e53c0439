//! The path every fetched body takes, as one function over arbitrary bytes: decode, parse as
//! a feed, an html list page and a JSON API, then normalize and match every item, and the raw
//! text too. The fuzz target (`fuzz/`) and the replay of its past crashes
//! (`tests/fuzz-regressions/`) both run this, so they test the same thing.

use crate::source::{HtmlSpec, JsonSpec, Reader, parse_feed, parse_feed_with, parse_html, parse_json};
use crate::watch::Matcher;

/// Runs `data` through every parser and `matcher`; returns how many items were read. Any
/// panic is a bug.
pub fn pipeline(data: &[u8], matcher: &Matcher) -> usize {
    let types = [None, Some("application/rss+xml; charset=gbk"), Some("text/html")];
    let ct = types[data.first().map_or(0, |b| *b as usize % types.len())];
    let mut items = Vec::new();
    let feed = parse_feed(data, ct, "http://127.0.0.1/feed");
    // The one-pass RSS 2.0 reader must read whatever it reads as feed-rs does.
    let by_feed_rs = parse_feed_with(data, ct, "http://127.0.0.1/feed", None, Reader::FeedRs);
    match (&feed, &by_feed_rs) {
        (Ok(a), Ok(b)) => assert!(
            a.title == b.title && a.items == b.items && a.warnings == b.warnings,
            "the RSS reader and feed-rs read this differently: {a:?} against {b:?}"
        ),
        (Err(_), Err(_)) => {}
        _ => panic!("the RSS reader and feed-rs disagree: {feed:?} against {by_feed_rs:?}"),
    }
    if let Ok(p) = feed {
        items.extend(p.items);
    }
    // Links that are script calls go through a template, as on Korea's ministry boards.
    let template = crate::link_template::LinkTemplate::new(r"view\('([^']*)'\)", "http://127.0.0.1/view/{1}")
        .expect("the template is valid");
    let html = HtmlSpec {
        item: "li",
        title: "a",
        date: Some("span"),
        summary: Some("p"),
        link_template: Some(&template),
        ..Default::default()
    };
    if let Ok(p) = parse_html(data, ct, "http://127.0.0.1/list", &html) {
        items.extend(p.items);
    }
    let json = JsonSpec {
        items: "results",
        title: "title",
        link: Some("html_url"),
        date: Some("publication_date"),
        ..Default::default()
    };
    if let Ok(p) = parse_json(data, Some("application/json"), "http://127.0.0.1/api", &json) {
        items.extend(p.items);
    }
    for it in &items {
        let _ = matcher.find(&it.title, &it.summary);
        let _ = crate::signals::signature(&it.title, &crate::text::plain_text(&it.summary));
    }
    // The raw text as a title and a summary too: matching must take any string.
    let text = String::from_utf8_lossy(data);
    let _ = matcher.find(&text, &text);
    items.len()
}
