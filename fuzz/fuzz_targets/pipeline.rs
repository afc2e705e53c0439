//! Arbitrary bytes through decode → parse (feed, html list page, JSON API) → normalize →
//! match, the path every fetched body takes. Any panic is a bug.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sigwatch::config::Config;
use sigwatch::source::{HtmlSpec, JsonSpec, parse_feed, parse_html, parse_json};
use sigwatch::watch::Matcher;

fn matcher() -> &'static Matcher {
    static M: OnceLock<Matcher> = OnceLock::new();
    M.get_or_init(|| {
        let text = include_str!("../../config/sigwatch.toml");
        let cfg = Config::parse(text, std::path::Path::new("fuzz.toml")).expect("shipped config");
        Matcher::new(&cfg.watch).expect("shipped watches")
    })
}

fuzz_target!(|data: &[u8]| {
    let m = matcher();
    let types = [None, Some("application/rss+xml; charset=gbk"), Some("text/html")];
    let ct = types[data.first().map_or(0, |b| *b as usize % types.len())];
    let mut items = Vec::new();
    if let Ok(p) = parse_feed(data, ct, "http://127.0.0.1/feed") {
        items.extend(p.items);
    }
    let html = HtmlSpec {
        item: "li",
        title: "a",
        date: Some("span"),
        summary: Some("p"),
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
        let _ = m.find(&it.title, &it.summary);
        let _ = sigwatch::signals::signature(&it.title, &sigwatch::text::plain_text(&it.summary));
    }
    // The raw text as a title and a summary too: matching must take any string.
    let text = String::from_utf8_lossy(data);
    let _ = m.find(&text, &text);
});
