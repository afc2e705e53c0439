//! Feed parsing: RSS 0.9x/1.0/2.0, Atom and JSON Feed through feed-rs, into [`Item`]s.

use crate::item::Item;

use super::SourceError;

/// The result of parsing one document.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub title: Option<String>,
    pub items: Vec<Item>,
    /// Things worth a log line that did not stop parsing (e.g. invalid bytes replaced).
    pub warnings: Vec<String>,
}

/// Parses raw `bytes` served with `content_type` from `base_url` (relative links are
/// resolved against it). A document that is not a feed is `SourceError::NotAFeed`.
pub fn parse_feed(
    _bytes: &[u8],
    _content_type: Option<&str>,
    _base_url: &str,
) -> Result<Parsed, SourceError> {
    todo!("source helper")
}
