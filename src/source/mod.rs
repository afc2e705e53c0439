//! Sources: turns a configured source into [`Item`]s.
//!
//! Three steps, each in its own file:
//!
//! - `fetch`: HTTP with hard limits on time, size and redirects, and conditional GET; `guard`
//!   and `addr` hold it to the addresses the source may reach, through the `proxy` of
//!   `[fetch] proxy`; `request` builds the method, body and headers a source asks for (none
//!   for a plain GET).
//! - `decode`: the charset by BOM, then HTTP header (or the source's `encoding`, which takes
//!   its place), then XML declaration or HTML meta, overruled by bytes that prove otherwise.
//! - reading, by the source's `kind`: `parse` for feeds (plain RSS 2.0 by its own one-pass
//!   reader, `parse/rss2.rs`; other RSS, Atom and JSON Feed, and any RSS 2.0 that reader gives
//!   way on, by the vendored feed-rs, after `repair`'s tolerant fixes; damaged XML recovered),
//!   `html` for list pages read with CSS selectors (`crate::selector`), from the page or from
//!   a string in a JSON answer (`html_path`), `json` for JSON APIs read with dotted paths.
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
mod links;
mod parse;
mod proxy;
mod repair;
mod request;

pub use addr::{is_loopback, is_public};
pub use dates::parse_date;
pub use decode::{Decoded, decode};
pub use fetch::{Fetched, Fetcher, Validators};
pub use follow::{article_html, follow_new};
pub use guard::Reach;
pub use html::{HtmlSpec, parse_html};
pub use json::{JsonSpec, parse_json};
pub use parse::{Parsed, Reader, parse_feed, parse_feed_in, parse_feed_with};
pub use proxy::install as install_proxy;
pub use request::Request;

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
    /// The source's request could not be made as configured (an unreadable cookie file).
    #[error("{0}")]
    Request(String),
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
    // A forced charset is put where the decoder takes the server's word, above what an XML
    // declaration or a meta tag says; a byte-order mark still counts.
    let forced = s.encoding.as_deref().map(|label| {
        let mime = content_type
            .and_then(|c| c.split(';').next())
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .unwrap_or("text/html");
        format!("{mime}; charset={}", label.trim())
    });
    let content_type = forced.as_deref().or(content_type);
    let final_url = s.base.as_deref().unwrap_or(final_url);
    // Checked at load, so a failure here means a config built without loading it.
    let template = match (&s.link_pattern, &s.link_template) {
        (Some(p), Some(t)) => Some(
            crate::link_template::LinkTemplate::new(p, t)
                .map_err(|e| SourceError::Selector(format!("source {:?}: {e}", s.name)))?,
        ),
        _ => None,
    };
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
                html_path: s.html_path.as_deref(),
                link_template: template.as_ref(),
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
                html: &s.html,
                link_template: template.as_ref(),
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
    // Most feeds give every entry a guid of its own, and a guid is the identity: told apart
    // without making an identity string for each.
    let mut guids = FxHashSet::default();
    let own_guids = items.iter().all(|it| {
        let g = it.guid.as_deref().map(str::trim).filter(|g| !g.is_empty());
        g.is_some_and(|g| guids.insert(g))
    });
    if own_guids {
        return;
    }
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
            SourceError::Request(_) => "request".into(),
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

    #[test]
    fn a_forced_encoding_overrides_what_the_server_and_page_say() {
        // "稀土出口管制" in GBK, on a page that calls itself Latin-1 twice: every byte is
        // valid Latin-1, so nothing but the source's word can tell.
        let (gbk, _, _) = encoding_rs::GBK.encode("稀土出口管制");
        let mut page =
            b"<html><head><meta charset=\"iso-8859-1\"></head><body><ul><li><a href=\"/a\">".to_vec();
        page.extend_from_slice(&gbk);
        page.extend_from_slice(b"</a></li></ul></body></html>");
        let mut s = SourceConfig {
            kind: SourceKind::Html,
            item: Some("li".into()),
            title: Some("a".into()),
            ..Default::default()
        };
        let ct = Some("text/html; charset=iso-8859-1");
        let lied = parse_source(&s, &page, ct, "http://x.test/").unwrap();
        assert_ne!(lied.items[0].title, "稀土出口管制");
        s.encoding = Some("gbk".into());
        let p = parse_source(&s, &page, ct, "http://x.test/").unwrap();
        assert_eq!(p.items[0].title, "稀土出口管制");
        // `base` decides where relative links point.
        s.base = Some("https://www.mofcom.gov.cn/zwgk/".into());
        let p = parse_source(&s, &page, ct, "http://x.test/").unwrap();
        assert_eq!(p.items[0].link.as_deref(), Some("https://www.mofcom.gov.cn/a"));
    }

    #[test]
    fn html_inside_json_is_read_and_a_wrong_path_is_named() {
        let body = r#"{"code":"200","data":{"html":"<ul class=\"txtList_01\"><li><a href=\"/zwgk/zcfb/art/2026/art_1.html\" title=\"公告\">公…</a><span>[2026-11-24]</span></li></ul>"}}"#;
        let mut s = SourceConfig {
            kind: SourceKind::Html,
            item: Some("ul.txtList_01 li".into()),
            title: Some("a@title".into()),
            date: Some("span".into()),
            html_path: Some("data.html".into()),
            timezone: Some("Asia/Shanghai".into()),
            ..Default::default()
        };
        let url = "https://www.mofcom.gov.cn/api-gateway/jpaas-publish-server/front/page/build/unit?x=1";
        let p = parse_source(&s, body.as_bytes(), Some("application/json"), url).unwrap();
        assert_eq!(p.items[0].title, "公告");
        assert_eq!(
            p.items[0].link.as_deref(),
            Some("https://www.mofcom.gov.cn/zwgk/zcfb/art/2026/art_1.html")
        );
        assert_eq!(
            p.items[0].published.unwrap().to_rfc3339(),
            "2026-11-23T16:00:00+00:00"
        );
        s.html_path = Some("data.list".into());
        let e = parse_source(&s, body.as_bytes(), None, url).unwrap_err();
        assert!(e.to_string().contains("\"data.list\" found nothing"), "{e}");
        s.html_path = Some("code".into());
        let e = parse_source(&s, b"{\"code\":200}", None, url).unwrap_err();
        assert!(e.to_string().contains("found no string"), "{e}");
        let e = parse_source(&s, b"<html>", None, url).unwrap_err();
        assert!(e.to_string().contains("not JSON"), "{e}");
    }
}
