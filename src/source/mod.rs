//! Sources: turns a configured source into [`Item`]s.
//!
//! Three steps, each in its own file:
//!
//! - `fetch`: HTTP with hard limits on time, size and redirects, and conditional GET; `guard`
//!   and `addr` hold it to the addresses the source may reach, through the `proxy` of
//!   `[fetch] proxy`.
//! - `decode`: the charset by BOM, then HTTP header, then XML declaration or HTML meta,
//!   overruled by bytes that prove otherwise.
//! - reading, by the source's `kind`: `parse` for feeds (plain RSS 2.0 by its own one-pass
//!   reader, `parse/rss2.rs`; other RSS, Atom and JSON Feed, and any RSS 2.0 that reader gives
//!   way on, by the vendored feed-rs, after `repair`'s tolerant fixes; damaged XML recovered),
//!   `html` for list pages read with CSS
//!   selectors (`crate::selector`), `json` for JSON APIs read with dotted paths.
//!
//! `follow` fetches items' own pages for sources with `follow = true`, and `dates` is the one
//! date reader of every kind. Every entry of a document leaves here with an identity of its
//! own. This module knows nothing of watches or SQL.

mod addr;
mod dates;
mod decode;
mod fetch;
mod follow;
mod guard;
mod html;
mod json;
mod parse;
mod proxy;
mod repair;

pub use addr::{is_loopback, is_public};
pub use dates::parse_date;
pub use decode::{Decoded, decode};
pub use fetch::{Fetched, Fetcher, Validators};
pub use follow::{article_html, follow_new};
pub use guard::Reach;
pub use html::{HtmlSpec, parse_html};
pub use json::{JsonSpec, parse_json};
pub use parse::{Parsed, Reader, parse_feed, parse_feed_in, parse_feed_with};

use crate::config::{SourceConfig, SourceKind};

/// Why a source produced no items. `Display` is the reason shown to users.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("timed out after {0:?}")]
    Timeout(std::time::Duration),
    #[error("connection failed: {0}")]
    Connect(String),
    #[error("HTTP {status}{}", reason.as_deref().map(|r| format!(" {r}")).unwrap_or_default())]
    Status {
        status: u16,
        reason: Option<String>,
        retry_after: Option<String>,
    },
    #[error("body larger than the {limit}-byte limit")]
    TooLarge { limit: u64 },
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    #[error("not a feed: {0}")]
    NotAFeed(String),
    #[error("unparsable feed: {0}")]
    Parse(String),
    #[error("request failed: {0}")]
    Http(String),
    #[error("bad URL: {0}")]
    Url(String),
    #[error("{0}")]
    Selector(String),
    /// The target is not a public address and the source may not fetch local ones.
    #[error("{0}")]
    Refused(String),
}

/// Parses a fetched body the way the source's kind says.
pub fn parse_source(
    s: &SourceConfig,
    bytes: &[u8],
    content_type: Option<&str>,
    final_url: &str,
) -> Result<Parsed, SourceError> {
    // Validated at load: an unknown zone cannot reach here. Without one, the language's.
    let tz = s
        .timezone
        .as_deref()
        .and_then(|t| t.parse::<chrono_tz::Tz>().ok())
        .or_else(|| dates::default_zone(s.lang.as_deref()));
    let parsed = match s.kind {
        SourceKind::Feed => parse_feed_in(bytes, content_type, final_url, tz),
        SourceKind::Html => {
            let spec = HtmlSpec {
                item: s.item.as_deref().unwrap_or_default(),
                title: s.title.as_deref().unwrap_or_default(),
                link: s.link.as_deref(),
                date: s.date.as_deref(),
                date_format: s.date_format.as_deref(),
                summary: s.summary.as_deref(),
                timezone: tz,
            };
            parse_html(bytes, content_type, final_url, &spec)
        }
        SourceKind::Json => {
            let spec = JsonSpec {
                items: s.items.as_deref().unwrap_or_default(),
                title: s.title.as_deref().unwrap_or_default(),
                link: s.link.as_deref(),
                id: s.id.as_deref(),
                date: s.date.as_deref(),
                date_format: s.date_format.as_deref(),
                summary: s.summary.as_deref(),
                timezone: tz,
            };
            parse_json(bytes, content_type, final_url, &spec)
        }
    };
    parsed.map(|mut p| {
        distinct_identities(&mut p.items);
        p
    })
}

/// Gives every entry of one document its own identity. Entries that share one (the same
/// `guid` twice, or no guid, link or title at all) would be stored as one item that flips
/// between them, a false "edited" on every fetch. An exact repeat is dropped; entries that
/// differ keep the shared identity with a hash of their content after it, the same on every
/// fetch while they do not change.
fn distinct_identities(items: &mut Vec<crate::item::Item>) {
    use rustc_hash::{FxHashMap, FxHashSet};
    let uids: Vec<String> = items.iter().map(crate::item::Item::uid).collect();
    let mut seen = FxHashMap::<&str, usize>::default();
    for u in &uids {
        *seen.entry(u.as_str()).or_default() += 1;
    }
    if seen.values().all(|&n| n == 1) {
        return;
    }
    let shared: FxHashSet<String> = seen
        .into_iter()
        .filter(|&(_, n)| n > 1)
        .map(|(u, _)| u.to_string())
        .collect();
    let mut kept = FxHashSet::default();
    let mut i = 0;
    items.retain_mut(|it| {
        let uid = &uids[i];
        i += 1;
        if !shared.contains(uid) {
            return true;
        }
        let content = xxhash_rust::xxh3::xxh3_64(
            format!(
                "{}\0{}\0{}\0{:?}",
                it.title,
                it.link.as_deref().unwrap_or_default(),
                it.summary,
                it.published
            )
            .as_bytes(),
        );
        if !kept.insert((uid.clone(), content)) {
            return false;
        }
        let base = it
            .guid
            .as_deref()
            .or(it.link.as_deref())
            .unwrap_or_default()
            .trim();
        it.guid = Some(format!("{base}#{content:016x}"));
        true
    });
}

impl SourceError {
    /// A short, stable class name for summaries and JSON (`timeout`, `http-404`, …).
    pub fn class(&self) -> String {
        match self {
            SourceError::Timeout(_) => "timeout".into(),
            SourceError::Connect(_) => "connect".into(),
            SourceError::Status { status, .. } => format!("http-{status}"),
            SourceError::TooLarge { .. } => "too-large".into(),
            SourceError::TooManyRedirects(_) => "redirects".into(),
            SourceError::NotAFeed(_) => "not-a-feed".into(),
            SourceError::Parse(_) => "parse".into(),
            SourceError::Http(_) => "http".into(),
            SourceError::Url(_) => "url".into(),
            SourceError::Selector(_) => "selector".into(),
            SourceError::Refused(_) => "refused".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_3_entries_sharing_an_identity_stay_apart_and_stable() {
        // rss092.xml: items without guid, title or link; two entries sharing a guid.
        let xml = "<rss version=\"0.92\"><channel><title>t</title>\
                   <item><description>one</description></item><item><description>two</description></item>\
                   <item><description>two</description></item>\
                   <item><guid>g</guid><title>A</title></item><item><guid>g</guid><title>B</title></item>\
                   <item><guid>h</guid><title>C</title></item></channel></rss>";
        let s = SourceConfig::default();
        let read = || {
            parse_source(&s, xml.as_bytes(), None, "http://x.test/")
                .unwrap()
                .items
        };
        let items = read();
        let uids: Vec<String> = items.iter().map(crate::item::Item::uid).collect();
        // The exact repeat of "two" is one item; every other entry is its own.
        assert_eq!(items.len(), 5, "{uids:?}");
        let distinct: std::collections::HashSet<&String> = uids.iter().collect();
        assert_eq!(distinct.len(), 5, "{uids:?}");
        assert_eq!(
            uids[4], "guid:h",
            "an identity no other entry shares is kept as it is"
        );
        assert!(uids[2].starts_with("guid:g#") && uids[3].starts_with("guid:g#"));
        // The same on the next fetch.
        assert_eq!(
            read().iter().map(crate::item::Item::uid).collect::<Vec<_>>(),
            uids
        );
    }
}
