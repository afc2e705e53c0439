//! Feed parsing into [`Item`]s: plain RSS 2.0 by the one-pass reader of `parse/rss2.rs`, and
//! RSS 0.90–2.0, RSS 1.0, Atom 0.3 and 1.0 and JSON Feed by the vendored feed-rs.
//!
//! The body is decoded here (see `decode`) and feed-rs is handed UTF-8 whose XML declaration
//! says so, since feed-rs would otherwise decode by the declaration alone and ignore the HTTP
//! header. Anything that is not a feed is told apart from a broken feed, so users see "this
//! URL serves an HTML page" rather than a parser's complaint. A document that fails as XML is
//! repaired once (`parse/recover.rs`) and its complete items kept, with a warning; one read to
//! no items while it holds item elements is an error, never "ok".

use feed_rs::model::{Entry, Text};
use feed_rs::parser::{Builder, ParseErrorKind, ParseFeedError};

use super::SourceError;
use super::decode::decode;
use super::repair;
use crate::item::Item;
use crate::text::plain_text;
use regex::Regex;
use std::sync::LazyLock;

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
pub fn parse_feed(bytes: &[u8], content_type: Option<&str>, base_url: &str) -> Result<Parsed, SourceError> {
    parse_feed_in(bytes, content_type, base_url, None)
}

/// [`parse_feed`], reading dates written without a zone in `tz` (UTC when `None`).
pub fn parse_feed_in(
    bytes: &[u8],
    content_type: Option<&str>,
    base_url: &str,
    tz: Option<chrono_tz::Tz>,
) -> Result<Parsed, SourceError> {
    parse_feed_with(bytes, content_type, base_url, tz, Reader::Fast)
}

/// Which reader parses an XML feed: [`Reader::Fast`] reads plain RSS 2.0 itself
/// (`parse/rss2.rs`) and hands anything else to feed-rs; [`Reader::FeedRs`] hands everything
/// to feed-rs. The two give the same result; the choice is there so that tests and the fuzz
/// target can check that they do.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Fast,
    FeedRs,
}

/// [`parse_feed_in`] with the choice of [`Reader`].
#[doc(hidden)]
pub fn parse_feed_with(
    bytes: &[u8],
    content_type: Option<&str>,
    base_url: &str,
    tz: Option<chrono_tz::Tz>,
    reader: Reader,
) -> Result<Parsed, SourceError> {
    let decoded = decode(bytes, content_type);
    let mut warnings = Vec::new();
    if let Some(note) = decoded.note {
        warnings.push(note);
    }
    if decoded.had_errors {
        warnings.push(format!("bytes invalid in {} were replaced", decoded.encoding));
    }
    let text = decoded
        .text
        .trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if text.is_empty() {
        return Err(SourceError::NotAFeed("empty body".into()));
    }
    if let Some(kind) = not_a_feed(text) {
        return Err(SourceError::NotAFeed(kind.into()));
    }
    let mut xml = declare_utf8(text);
    // Tolerant repairs for the commonest breakage of real feeds, each a warning.
    let rss_root = root_offset(&xml).filter(|&at| xml[at..].starts_with("<rss"));
    if let Some(at) = rss_root {
        let fixed = repair::normalise_rss_root(&xml, at);
        if fixed != xml {
            warnings.push("<rss> version or namespace unusable; read as RSS 2.0".into());
            xml = fixed.into_owned().into();
        }
    }
    let (utf8, fixed) = repair::fix_markup(&xml);
    if fixed.ampersands > 0 {
        warnings.push(format!("escaped {} bare '&'", fixed.ampersands));
    }
    if fixed.declarations > 0 {
        warnings.push(format!(
            "removed {} XML declaration(s) after the start of the document",
            fixed.declarations
        ));
    }
    let first = read_xml(&utf8, base_url, tz, reader, rss_root.is_some());
    // A damaged document (an unclosed tag in a title, a truncated download) is repaired as
    // browsers and feedparser read it, once, and every complete item kept, with warnings.
    let parsed = match first {
        Err(SourceError::Parse(e)) if e.starts_with("XML:") => {
            let Some(fixed) = recover::recover(&utf8) else {
                return Err(SourceError::Parse(e));
            };
            let p = read_xml(&fixed.text, base_url, tz, reader, rss_root.is_some())
                .map_err(|_| SourceError::Parse(e.clone()))?;
            warnings.push(format!("damaged XML ({e}); {}", fixed.notes.join("; ")));
            p
        }
        other => other?,
    };
    warnings.extend(parsed.warnings);
    Ok(Parsed { warnings, ..parsed })
}

/// Reads the repaired UTF-8 XML of a document (or a JSON Feed), with the fast RSS reader
/// where it may and feed-rs elsewhere.
fn read_xml(
    utf8: &str,
    base_url: &str,
    tz: Option<chrono_tz::Tz>,
    reader: Reader,
    rss_root: bool,
) -> Result<Parsed, SourceError> {
    let mut warnings = Vec::new();
    // The one date reader of every source kind; zone-less dates are read in `tz`.
    let read_date = move |t: &str| super::dates::parse_date(t, None, tz);
    if rss_root && reader == Reader::Fast {
        // Ours as much as feed-rs's below: a panic is this source's parse error.
        let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rss2::read(utf8, base_url, &read_date)
        }))
        .map_err(|_| SourceError::Parse("the RSS reader failed on this document (a panic, caught)".into()))?;
        if let Some(channel) = read {
            #[cfg(test)]
            tests::FAST_READS.with(|n| n.set(n.get() + 1));
            return finish(
                Parsed {
                    title: channel.title,
                    items: channel.items,
                    warnings,
                },
                utf8,
            );
        }
    }
    let parser = Builder::new()
        .base_uri(Some(base_url))
        // Entries without an id keep an empty one, so that identity falls back to the link
        // and then to title and date, rather than to an id feed-rs makes up.
        .id_generator(|_, _, _| String::new());
    let parser = parser.timestamp_parser(read_date).build();
    // feed-rs and the XML reader under it are not ours: should either panic on some input
    // the fuzzer has not found yet, that is this source's parse error, not the daemon's end.
    let feed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parser.parse(utf8.as_bytes())))
        .map_err(|_| SourceError::Parse("the feed parser failed on this document (a panic, caught)".into()))?
        .map_err(classify)?;
    let base = url::Url::parse(base_url).ok();
    // A field the parser could not read as text is left out, not the item; the source is told
    // which, so a feed that moved its text into such a field is noticed.
    let mut skipped = unreadable_types(utf8);
    let items = feed
        .entries
        .into_iter()
        .map(|mut e| {
            if let Some(c) = &e.content
                && c.body.is_some()
                && !is_text(c.content_type.as_ref())
            {
                skipped.push(c.content_type.to_string());
                e.content = None;
            }
            to_item(e, base.as_ref())
        })
        .collect();
    if !skipped.is_empty() {
        warnings.push(skipped_fields(skipped));
    }
    finish(
        Parsed {
            title: feed.title.map(|t| text_of(&t)),
            items,
            warnings,
        },
        utf8,
    )
}

/// What every reader's result goes through: a permalink `guid` stands in for a missing link,
/// and a document read to no items while it holds item elements is an error, not "ok".
fn finish(mut parsed: Parsed, xml: &str) -> Result<Parsed, SourceError> {
    for it in &mut parsed.items {
        if it.link.is_none()
            && let Some(g) = it.guid.as_deref()
            && (g.starts_with("http://") || g.starts_with("https://"))
        {
            it.link = Some(g.to_string());
        }
    }
    if parsed.items.is_empty()
        && let Some(tag) = lost_items(xml)
    {
        return Err(SourceError::Parse(format!(
            "read no items, though the document holds {tag} elements"
        )));
    }
    Ok(parsed)
}

/// What a non-feed document is, judged by its first markup after the prolog, however long
/// the whitespace and comments before it.
fn not_a_feed(text: &str) -> Option<&'static str> {
    let first = skip_prolog(text);
    let head = first.as_bytes().get(..14).unwrap_or(first.as_bytes());
    let first = head.to_ascii_lowercase();
    if first.starts_with(b"<!doctype html") || first.starts_with(b"<html") {
        return Some("the server sent an HTML page");
    }
    if !first.starts_with(b"<") && !first.starts_with(b"{") {
        return Some("neither XML nor JSON");
    }
    None
}

/// The kind of item elements (`<item>`, `<entry>`) a document holds though none was read:
/// a reader that lost every item must not pass for a feed that has none.
fn lost_items(text: &str) -> Option<&'static str> {
    let b = text.as_bytes();
    let holds = |tag: &[u8]| {
        memchr::memmem::find_iter(b, tag).any(|at| {
            matches!(
                b.get(at + tag.len()),
                Some(b'>' | b' ' | b'\t' | b'\r' | b'\n' | b'/')
            )
        })
    };
    if holds(b"<item") || holds(b":item") {
        Some("<item>")
    } else if holds(b"<entry") || holds(b":entry") {
        Some("<entry>")
    } else {
        None
    }
}

/// Whether a media type holds text sigwatch can read (plain, HTML or XML).
fn is_text(media_type: &str) -> bool {
    let t = media_type.trim().to_ascii_lowercase();
    t.starts_with("text/") || t.contains("xml") || t.contains("html") || t.contains("json")
}

/// The `type` values of non-empty Atom text fields that are not media types at all: the
/// parser leaves such a field out, and only this scan can say so.
fn unreadable_types(xml: &str) -> Vec<String> {
    static FIELD: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r#"<(?:[A-Za-z][\w.-]*:)?(?:title|subtitle|summary|content|rights)\s[^>]*?\btype\s*=\s*(?:"([^"]*)"|'([^']*)')[^>]*?(/?)>"#,
        )
        .expect("a valid pattern")
    });
    // Atom feeds mostly say type="html" or "text"; the scan runs only where a type could matter.
    if !xml.contains("type=") {
        return Vec::new();
    }
    FIELD
        .captures_iter(xml)
        .filter(|c| c.get(3).is_some_and(|m| m.as_str().is_empty()))
        .filter_map(|c| c.get(1).or(c.get(2)).map(|m| m.as_str().trim()))
        .filter(|t| !matches!(*t, "" | "text" | "html" | "xhtml") && !is_media_type(t))
        .map(String::from)
        .collect()
}

/// `type/subtype`, as a media type is written.
fn is_media_type(t: &str) -> bool {
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    let essence = t.split(';').next().unwrap_or("").trim();
    essence
        .split_once('/')
        .is_some_and(|(ty, sub)| token(ty) && token(sub))
}

/// The warning for fields left out, naming each type once.
fn skipped_fields(mut types: Vec<String>) -> String {
    let n = types.len();
    types.sort();
    types.dedup();
    let shown: Vec<String> = types
        .iter()
        .take(3)
        .map(|t| t.chars().filter(|c| !c.is_control()).take(40).collect())
        .collect();
    format!(
        "skipped {n} field(s) that cannot be read as text (type {})",
        shown.join(", ")
    )
}

/// Skips the XML declaration, comments, processing instructions and whitespace.
fn skip_prolog(s: &str) -> &str {
    let mut s = s.trim_start();
    loop {
        let next = if s.starts_with("<?") {
            s.find("?>").map(|i| &s[i + 2..])
        } else if s.starts_with("<!--") {
            s.find("-->").map(|i| &s[i + 3..])
        } else {
            None
        };
        match next {
            Some(rest) => s = rest.trim_start(),
            None => return s,
        }
    }
}

/// The byte offset of the root element's `<`, after the prolog.
fn root_offset(text: &str) -> Option<usize> {
    let mut i = 0;
    while let Some(rel) = text[i..].find('<') {
        let at = i + rel;
        let rest = &text[at..];
        let skip = if rest.starts_with("<?") {
            rest.find("?>").map(|e| e + 2)
        } else if rest.starts_with("<!--") {
            rest.find("-->").map(|e| e + 3)
        } else if rest.starts_with("<!") {
            rest.find('>').map(|e| e + 1)
        } else {
            return Some(at);
        };
        i = at + skip?;
    }
    None
}

/// The text with any XML declaration replaced by one that says UTF-8; a declaration that
/// says so already, or names no encoding (UTF-8 by default), is kept without a copy.
fn declare_utf8(text: &str) -> std::borrow::Cow<'_, str> {
    if let Some(rest) = text.strip_prefix("<?xml")
        && let Some(end) = rest.find("?>")
    {
        if says_utf8(&rest[..end]) {
            return text.into();
        }
        return format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>{}", &rest[end + 2..]).into();
    }
    text.into()
}

/// Whether the inside of an XML declaration names UTF-8 as its encoding, or none.
fn says_utf8(declaration: &str) -> bool {
    let Some(at) = declaration.find("encoding") else {
        return true;
    };
    let value = declaration[at + "encoding".len()..].trim_start();
    let Some(value) = value.strip_prefix('=').map(str::trim_start) else {
        return false;
    };
    // The quoted value, by bytes (no char boundary to respect).
    let b = value.as_bytes();
    b.len() >= 7 && matches!(b[0], b'"' | b'\'') && b[1..6].eq_ignore_ascii_case(b"utf-8") && b[6] == b[0]
}

fn classify(e: ParseFeedError) -> SourceError {
    match e {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => {
            SourceError::NotAFeed("no RSS, Atom or JSON Feed root element".into())
        }
        ParseFeedError::JsonSerde(e) => SourceError::Parse(format!("JSON: {e}")),
        ParseFeedError::JsonUnsupportedVersion(v) => {
            SourceError::NotAFeed(format!("unsupported JSON Feed version {v}"))
        }
        ParseFeedError::XmlReader(e) => SourceError::Parse(format!("XML: {}", short(&e.to_string()))),
        other => SourceError::Parse(short(&other.to_string())),
    }
}

/// A parser message cut to a readable length.
fn short(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn text_of(t: &Text) -> String {
    if t.content_type.to_string().contains("html") {
        plain_text(&t.content)
    } else {
        t.content.trim().to_string()
    }
}

fn to_item(e: Entry, base: Option<&url::Url>) -> Item {
    let link = e
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| e.links.first())
        .map(|l| resolve(&l.href, base));
    let summary = e.summary.as_ref().map(|t| t.content.as_str()).unwrap_or("");
    let content = e.content.as_ref().and_then(|c| c.body.as_deref()).unwrap_or("");
    let summary = if content.len() > summary.len() {
        content
    } else {
        summary
    };
    // YouTube's Atom and podcasts describe an entry in media:description or itunes:summary.
    let summary = match summary.is_empty() {
        true => e
            .media
            .iter()
            .find_map(|m| m.description.as_ref())
            .map_or("", |t| t.content.as_str()),
        false => summary,
    };
    Item {
        guid: Some(e.id.trim().to_string()).filter(|g| !g.is_empty()),
        link,
        title: e.title.as_ref().map(text_of).unwrap_or_default(),
        summary: summary.to_string(),
        published: e.published.or(e.updated),
        authors: e
            .authors
            .iter()
            .filter_map(|p| p.name.as_deref())
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(String::from)
            .collect(),
    }
}

/// `href` made absolute against `base` when it is relative; kept as given otherwise.
pub(super) fn resolve(href: &str, base: Option<&url::Url>) -> String {
    let href = href.trim();
    match (url::Url::parse(href), base) {
        (Ok(u), _) => u.to_string(),
        (Err(_), Some(b)) => b
            .join(href)
            .map(|u| u.to_string())
            .unwrap_or_else(|_| href.to_string()),
        (Err(_), None) => href.to_string(),
    }
}

#[cfg(test)]
mod cases;
mod feed_rs_util;
mod recover;
mod rss2;
#[cfg(test)]
mod tests;
