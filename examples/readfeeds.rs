//! Prints sigwatch's reading of feed files, one JSON line per file, for the differential test
//! against Python's feedparser (`tests/feedparser/run.sh`).
//!
//!     cargo run --example readfeeds -- ROOT < paths
//!
//! Reads relative paths (one a line) on stdin, and parses each file under ROOT as a feed source
//! with default settings would, given the Content-Type the test's server sends for it
//! (`application/json` for `.json`, `application/xml` otherwise). Each line holds the path, the
//! outcome (`ok` or the error), the warnings, and per item its title, link, id, date (Unix
//! seconds) and the length of its summary in characters.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use serde_json::json;
use sigwatch::config::SourceConfig;
use sigwatch::source::parse_source;

fn main() {
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    let source = SourceConfig::default();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in std::io::stdin().lock().lines() {
        let Ok(path) = line else { break };
        let path = path.trim();
        if path.is_empty() {
            continue;
        }
        let Ok(bytes) = std::fs::read(root.join(path)) else {
            continue;
        };
        let content_type = if path.ends_with(".json") {
            "application/json"
        } else {
            "application/xml"
        };
        let url = format!("http://127.0.0.1/{path}");
        let record = match parse_source(&source, &bytes, Some(content_type), &url) {
            Ok(p) => json!({
                "path": path,
                "status": "ok",
                "warnings": p.warnings,
                "items": p.items.iter().map(|i| json!({
                    "title": i.title,
                    "link": i.link,
                    "id": i.guid,
                    "date": i.published.map(|d| d.timestamp()),
                    "summary_chars": i.summary.chars().count(),
                })).collect::<Vec<_>>(),
            }),
            Err(e) => json!({"path": path, "status": e.to_string(), "warnings": [], "items": []}),
        };
        let _ = writeln!(out, "{record}");
    }
}
