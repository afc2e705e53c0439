//! A one-pass reader of plain RSS 2.0, the commonest feed by far, that gives the same items as
//! feed-rs for less work.
//!
//! feed-rs builds an event queue, an element per tag with its attributes as owned strings, and
//! a model of everything a feed can say (media, podcasts, categories) of which sigwatch keeps
//! six fields; on the poll path, where every feed of a cold poll is parsed, building that model
//! is most of the cost. This reader runs the same XML reader (quick-xml,
//! configured as feed-rs configures it) over the same text, takes the fields an [`Item`] needs
//! by the same rules, and reads dates with sigwatch's date reader (as feed-rs is told to) and
//! authors and links with feed-rs's own helpers (copied in `feed_rs_util.rs`).
//!
//! It reads only what it is sure of, and gives way (returns `None`) on anything else, which
//! feed-rs then reads as before: a root other than `<rss version="2.0">`, an `xml:base` or a
//! namespace declared below the root, an
//! element of the media, iTunes or podcast namespaces (feed-rs's handling of those can fail a
//! whole feed), markup inside a text field, and any XML error. `tests.rs` and the fuzz target
//! check that wherever it reads a document, feed-rs reads the same items from it.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::{NamespaceResolver, ResolveResult};

use crate::item::Item;

/// What the reader found: the channel's title and its items.
pub(super) struct Channel {
    pub title: Option<String>,
    pub items: Vec<Item>,
}

/// Namespaces as feed-rs tells them apart (`xml::NS`), with the three it may fail a feed
/// over in one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ns {
    Rss,
    Atom,
    Content,
    DublinCore,
    Comments,
    /// MediaRSS, iTunes, Podcast.
    Media,
    Unknown,
}

fn ns_of(r: &ResolveResult) -> Ns {
    match r {
        ResolveResult::Bound(ns) => match ns.as_ref() {
            "http://purl.org/rss/1.0/" => Ns::Rss,
            "http://www.w3.org/2005/Atom" => Ns::Atom,
            "http://purl.org/rss/1.0/modules/content/" => Ns::Content,
            "http://purl.org/dc/elements/1.1/" => Ns::DublinCore,
            "http://wellformedweb.org/CommentAPI/" => Ns::Comments,
            "http://search.yahoo.com/mrss/"
            | "http://www.itunes.com/dtds/podcast-1.0.dtd"
            | "https://podcastindex.org/namespace/1.0" => Ns::Media,
            _ => Ns::Unknown,
        },
        // An element without a namespace, or with an undeclared prefix, is RSS's.
        ResolveResult::Unbound | ResolveResult::Unknown(_) => Ns::Rss,
    }
}

/// The local name of an element: after the last `:`, as feed-rs takes it.
fn local<'a>(e: &'a BytesStart) -> &'a str {
    let name: &'a str = e.name().0;
    // After the last `:` (an ASCII byte, so a char boundary), by bytes: this runs for
    // every element.
    memchr::memrchr(b':', name.as_bytes()).map_or(name, |colon| &name[colon + 1..])
}

/// Reads `xml` (UTF-8, repaired as for feed-rs), resolving links against `base_url` and
/// reading dates with `date`. `None`: read it with feed-rs.
pub(super) fn read(
    xml: &str,
    base_url: &str,
    date: &dyn Fn(&str) -> Option<DateTime<Utc>>,
) -> Option<Channel> {
    // feed-rs reads a document as XML only when, in its first 8 KiB (the buffer it peeks
    // into), a `<` comes before any `{`.
    let head = &xml.as_bytes()[..xml.len().min(8192)];
    if head.iter().find(|&&b| b == b'<' || b == b'{') != Some(&b'<') {
        return None;
    }
    // feed-rs honours xml:base, which this reader does not.
    if memchr::memmem::find(xml.as_bytes(), b"xml:base").is_some() {
        return None;
    }
    let base = url::Url::parse(base_url).ok()?;
    let mut r = Reader::new(xml);
    // The root: the first element, `<rss>` of version 2.0 (or an empty version).
    let root = loop {
        match r.xml.read_event().ok()? {
            Event::Start(e) => break e,
            Event::End(_) | Event::Eof => return None,
            _ => {}
        }
    };
    if local(&root) != "rss" || !matches!(version(&root)?.as_str(), "2.0" | "") {
        return None;
    }
    // Namespaces are read from the root, where feeds declare them: a document that declares
    // any further in is feed-rs's to read.
    r.ns.push(&root).ok()?;
    let after_root = usize::try_from(r.xml.buffer_position()).ok()?;
    if memchr::memmem::find(xml.as_bytes().get(after_root..)?, b"xmlns").is_some() {
        return None;
    }
    // The first child named `channel`, in any namespace; what comes after it is not read.
    loop {
        match r.next()? {
            (_, Event::Start(e)) if local(&e) == "channel" => return r.channel(&base, date),
            (_, Event::Start(_)) => r.skip()?,
            (_, Event::End(_) | Event::Eof) => return None,
            _ => {}
        }
    }
}

/// The root's `version` attribute, unescaped as feed-rs does; `None` when it has none.
fn version(root: &BytesStart) -> Option<String> {
    let a = root
        .attributes()
        .filter_map(Result::ok)
        .find(|a| a.key.0 == "version")?;
    let v: &str = &a.value;
    Some(quick_xml::escape::unescape(v).map_or_else(|_| v.to_string(), Cow::into_owned))
}

/// A link of an item, in the order found, and whether it is an RSS `<comments>` link.
struct Link {
    /// As feed-rs's `Link::new` makes it.
    href: String,
    /// Whether `href` is an http(s) URL as the url crate writes one, which `parse::resolve`
    /// would give back as it is.
    written: bool,
    comments: bool,
}

/// What a reference (`&lt;`, `&#31232;`, `&nbsp;`) stands for in text, as feed-rs reads it: a
/// character, a predefined entity, or else itself as written. `None` (give way) for a
/// character reference to no character.
fn reference(r: &BytesRef) -> Option<Cow<'static, str>> {
    Some(match r.resolve_char_ref().ok()? {
        Some(ch) => Cow::Owned(ch.to_string()),
        None => match quick_xml::escape::resolve_predefined_entity(r) {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(format!("&{};", &**r)),
        },
    })
}

/// An element's text as [`Reader::text`] reads it: `None` when it has none. (`None` around it
/// is giving way to feed-rs.)
type Text<'i> = Option<Cow<'i, str>>;

/// Deeper than this, give way: quick-xml's namespace reader, under feed-rs, refuses a
/// document nested 65,535 deep.
const MAX_DEPTH: usize = 10_000;

struct Reader<'i> {
    /// Reads the document: its input is the part not read yet.
    xml: quick_xml::Reader<&'i [u8]>,
    /// The whole document.
    input: &'i str,
    /// The root's namespace declarations (there are no others).
    ns: NamespaceResolver,
    depth: usize,
}

impl<'i> Reader<'i> {
    fn new(xml: &'i str) -> Self {
        let mut reader = quick_xml::Reader::from_str(xml);
        let config = reader.config_mut();
        config.expand_empty_elements = true;
        config.trim_markup_names_in_closing_tags = true;
        config.trim_text(false);
        Self {
            xml: reader,
            input: xml,
            ns: NamespaceResolver::default(),
            depth: 1,
        }
    }

    /// The next event below the root, with the namespace of an element that starts (`Rss`
    /// for other events); `None` on an XML error.
    fn next(&mut self) -> Option<(Ns, Event<'i>)> {
        let event = self.xml.read_event().ok()?;
        let ns = match &event {
            Event::Start(e) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return None;
                }
                ns_of(&self.ns.resolve_element(e.name()).0)
            }
            Event::End(_) => {
                self.depth = self.depth.saturating_sub(1);
                Ns::Rss
            }
            _ => Ns::Rss,
        };
        Some((ns, event))
    }

    /// Skips what is left of the element just started, through its end.
    fn skip(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match self.next()?.1 {
                Event::Start(_) => depth += 1,
                Event::End(_) if depth == 0 => return Some(()),
                Event::End(_) => depth -= 1,
                Event::Eof => return None,
                _ => {}
            }
        }
    }

    /// The text of the element just started, through its end: text, CDATA and character
    /// references joined as feed-rs joins them (`Some(None)` when there is none). `None`
    /// (give way) when the element holds markup.
    fn text(&mut self) -> Option<Text<'i>> {
        match self.text_in_one_piece() {
            Some(read) => read,
            None => self.text_by_events(),
        }
    }

    /// [`Reader::text`] for the commonest case, an element holding only text and references
    /// (`&lt;p&gt;…`, every RSS description): its raw text is the input up to the next `<`,
    /// which starts its end tag. That is resolved in one pass and the reader moved past it,
    /// where quick-xml made an event of each piece (a description of three paragraphs is
    /// two dozen). `None`, with nothing read, when the element holds anything else, or a `&`
    /// that starts no reference: [`Reader::text_by_events`] reads it.
    fn text_in_one_piece(&mut self) -> Option<Option<Text<'i>>> {
        let rest: &'i [u8] = self.xml.get_ref();
        let end = memchr::memchr(b'<', rest)?;
        // `rest` is the end of `input`, and `end` is at an ASCII byte, so both are char
        // boundaries.
        let at = self.input.len() - rest.len();
        // An empty element (`<title/>`, whose end quick-xml makes up) holds nothing, and
        // what follows is its parent's.
        if rest.get(end + 1) != Some(&b'/') || self.input.as_bytes()[..at].ends_with(b"/>") {
            return None;
        }
        let raw = self.input.get(at..at + end)?;
        let text = match memchr::memchr(b'&', raw.as_bytes()) {
            None => (!raw.is_empty()).then_some(Cow::Borrowed(raw)),
            Some(first) => {
                let mut out = String::with_capacity(raw.len());
                out.push_str(&raw[..first]);
                let mut tail = &raw[first..];
                while let Some(after) = tail.strip_prefix('&') {
                    // A reference as quick-xml reads one: up to a `;` before any `&`.
                    let semi = memchr::memchr2(b';', b'&', after.as_bytes())?;
                    if after.as_bytes()[semi] != b';' {
                        return None;
                    }
                    // `Some(None)`: the reference is one the events' path gives way on.
                    let Some(piece) = reference(&BytesRef::new(&after[..semi])) else {
                        return Some(None);
                    };
                    out.push_str(&piece);
                    tail = &after[semi + 1..];
                    let next = memchr::memchr(b'&', tail.as_bytes()).unwrap_or(tail.len());
                    out.push_str(&tail[..next]);
                    tail = &tail[next..];
                }
                Some(Cow::Owned(out))
            }
        };
        *self.xml.get_mut() = &rest[end..];
        match self.next() {
            Some((_, Event::End(_))) => Some(Some(text)),
            _ => Some(None),
        }
    }

    /// [`Reader::text`] event by event.
    fn text_by_events(&mut self) -> Option<Text<'i>> {
        let mut text: Text<'i> = None;
        fn push<'i>(text: &mut Text<'i>, piece: Cow<'i, str>) {
            match text {
                None => *text = Some(piece),
                Some(t) => t.to_mut().push_str(&piece),
            }
        }
        loop {
            match self.next()?.1 {
                Event::Text(t) if !t.is_empty() => push(&mut text, t.into_inner()),
                Event::CData(t) if !t.is_empty() => push(&mut text, t.into_inner()),
                Event::GeneralRef(r) => push(&mut text, reference(&r)?),
                Event::End(_) => return Some(text),
                Event::Start(_) | Event::Eof => return None,
                _ => {}
            }
        }
    }

    /// The channel just started: its title and items.
    fn channel(&mut self, base: &url::Url, date: &dyn Fn(&str) -> Option<DateTime<Utc>>) -> Option<Channel> {
        let mut out = Channel {
            title: None,
            items: Vec::new(),
        };
        loop {
            match self.next()? {
                (Ns::Rss, Event::Start(e)) if local(&e) == "title" => {
                    out.title = self.text()?.map(|t| t.trim().to_string());
                }
                (Ns::Rss, Event::Start(e)) if local(&e) == "item" => out.items.push(self.item(base, date)?),
                (Ns::Media, Event::Start(_)) => return None,
                (_, Event::Start(_)) => self.skip()?,
                (_, Event::End(_)) => return Some(out),
                (_, Event::Eof) => return None,
                _ => {}
            }
        }
    }

    /// The item just started, as feed-rs reads it and `parse::to_item` makes it an [`Item`].
    fn item(&mut self, base: &url::Url, date: &dyn Fn(&str) -> Option<DateTime<Utc>>) -> Option<Item> {
        let mut title = None;
        let mut id = String::new();
        let mut summary: Option<String> = None;
        let mut content: Option<Cow<'i, str>> = None;
        let (mut published, mut updated) = (None, None);
        let mut links: Vec<Link> = Vec::new();
        let mut authors = Vec::new();
        loop {
            let (ns, e) = match self.next()? {
                (ns, Event::Start(e)) => (ns, e),
                (_, Event::End(_)) => break,
                (_, Event::Eof) => return None,
                _ => continue,
            };
            match (ns, local(&e)) {
                (Ns::Rss, "title") => title = self.text()?.map(|t| t.trim().to_string()),
                (Ns::Rss, "link") | (Ns::Rss, "comments") | (Ns::Comments, "commentRss" | "commentRSS") => {
                    let comments = ns == Ns::Rss && local(&e) == "comments";
                    if let Some(t) = self.text()? {
                        let (href, written) = feed_rs_link(&t, base);
                        links.push(Link {
                            href,
                            written,
                            comments,
                        });
                    }
                }
                (Ns::Rss, "description") => summary = self.text()?.map(|t| t.trim().to_string()),
                // Dublin Core stands in for a title or description the item has not given.
                (Ns::DublinCore, "title") if title.is_none() => {
                    title = self.text()?.map(|t| t.trim().to_string())
                }
                (Ns::DublinCore, "description") if summary.is_none() => {
                    summary = self.text()?.map(|t| t.trim().to_string())
                }
                (Ns::Rss, "author") | (Ns::DublinCore, "creator") => {
                    if let Some(t) = self.text()? {
                        authors.extend(
                            super::feed_rs_util::person_name(&t)
                                .map(|n| n.trim().to_string())
                                .filter(|n| !n.is_empty()),
                        );
                    }
                }
                (Ns::Rss, "guid") => {
                    if let Some(t) = self.text()? {
                        id = t.trim().to_string();
                    }
                }
                (Ns::Rss, "pubDate") | (Ns::DublinCore, "date") => {
                    published = self.text()?.and_then(|t| date(&t))
                }
                (Ns::Rss, "updated") | (Ns::Atom, "updated") => updated = self.text()?.and_then(|t| date(&t)),
                (Ns::Content, "encoded") => content = self.text()?.filter(|t| !t.is_empty()),
                (Ns::Media, _) => return None,
                _ => self.skip()?,
            }
        }
        // feed-rs drops a comments link that is also another link of the item.
        let others: Vec<&str> = links
            .iter()
            .filter(|l| !l.comments)
            .map(|l| l.href.as_str())
            .collect();
        let link = links
            .iter()
            .find(|l| !l.comments || !others.contains(&l.href.as_str()))
            .map(|l| match l.written {
                true => l.href.clone(),
                false => super::resolve(&l.href, Some(base)),
            });
        let summary = summary.unwrap_or_default();
        let content = content.unwrap_or_default();
        let summary = if content.len() > summary.len() {
            content.into_owned()
        } else {
            summary
        };
        let id = id.trim();
        Some(Item {
            guid: (!id.is_empty()).then(|| id.to_string()),
            link,
            title: title.unwrap_or_default(),
            summary,
            published: published.or(updated),
            authors,
        })
    }
}

/// A link's href as feed-rs's `Link::new` makes it, and whether it is an http(s) URL as the
/// url crate writes one (parsing that again gives it back unchanged).
fn feed_rs_link(text: &str, base: &url::Url) -> (String, bool) {
    // Parsing a URL costs more than the rest of a link's handling; most links are written as
    // the url crate would write them, and those are kept as they are.
    if is_written_http_url(text) {
        return (text.to_string(), true);
    }
    match super::feed_rs_util::parse_uri(text, Some(base)) {
        Some(u) => {
            let written = matches!(u.scheme(), "http" | "https");
            (String::from(u).trim().to_string(), written)
        }
        None => (text.trim().to_string(), false),
    }
}

/// Whether `text` is an absolute http(s) URL that `url::Url::parse` gives back as it is, by a
/// rule strict enough to be plainly right: `http://` or `https://`, a host of lower-case
/// letters, digits, hyphens and dots whose last label starts with a letter (and no label an
/// IDNA `xn--` one), or a dotted IPv4 address as the url crate writes one; an optional port
/// other than the scheme's own; then a path of letters, digits and `-._~/` without `.` or
/// `..` segments, and an optional query of letters, digits and `-._~=&/+,;:@!$*()%?`. Anything
/// else (upper case, spaces, escapes in the path, a fragment, user info) is parsed.
fn is_written_http_url(text: &str) -> bool {
    let (rest, default_port) = if let Some(r) = text.strip_prefix("http://") {
        (r, "80")
    } else if let Some(r) = text.strip_prefix("https://") {
        (r, "443")
    } else {
        return false;
    };
    // Split by bytes (memchr, and byte slices' split): this runs for every item's link, where
    // str's char searchers cost more than the rest of the check.
    let Some(slash) = memchr::memchr(b'/', rest.as_bytes()) else {
        return false;
    };
    let (authority, rest) = rest.split_at(slash);
    let (path, query) = match memchr::memchr(b'?', rest.as_bytes()) {
        Some(q) => (&rest[..q], Some(&rest[q + 1..])),
        None => (rest, None),
    };
    let (host, port) = match memchr::memchr(b':', authority.as_bytes()) {
        Some(c) => (&authority[..c], Some(&authority[c + 1..])),
        None => (authority, None),
    };
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && !p.starts_with('0')
            && p.parse::<u32>().is_ok_and(|n| n <= 65_535)
            && p != default_port
    });
    let path_ok = path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/'))
        && path
            .as_bytes()
            .split(|&b| b == b'/')
            .all(|seg| seg != b"." && seg != b"..");
    let query_ok = query.is_none_or(|q| {
        q.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'-' | b'.'
                        | b'_'
                        | b'~'
                        | b'='
                        | b'&'
                        | b'/'
                        | b'+'
                        | b','
                        | b';'
                        | b':'
                        | b'@'
                        | b'!'
                        | b'$'
                        | b'*'
                        | b'('
                        | b')'
                        | b'%'
                        | b'?'
                )
        })
    });
    port_ok && path_ok && query_ok && (is_plain_domain(host) || is_written_ipv4(host))
}

/// Lower-case letters, digits and hyphens in dot-separated labels, none empty or `xn--`, the
/// last starting with a letter (else the url crate reads the host as an IPv4 number).
fn is_plain_domain(host: &str) -> bool {
    let mut labels = host.as_bytes().split(|&b| b == b'.').peekable();
    while let Some(label) = labels.next() {
        let ok = !label.is_empty()
            && !label.starts_with(b"xn--")
            && label
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
        let last_ok = labels.peek().is_some() || label.first().is_some_and(u8::is_ascii_lowercase);
        if !ok || !last_ok {
            return false;
        }
    }
    true
}

/// Four decimal numbers up to 255 without leading zeros, as the url crate writes IPv4.
fn is_written_ipv4(host: &str) -> bool {
    let mut parts = 0;
    host.as_bytes().split(|&b| b == b'.').all(|p| {
        parts += 1;
        parts <= 4
            && (1..=3).contains(&p.len())
            && p.iter().all(u8::is_ascii_digit)
            && (p.len() == 1 || p[0] != b'0')
            && p.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')) <= 255
    }) && parts == 4
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The title of the first item of `doc` read by [`Reader::text`] or event by event, and
    /// the event after it (what the reader left) when it was read.
    fn first_title(doc: &str, by_events: bool) -> (Option<Option<String>>, String) {
        let mut r = Reader::new(doc);
        loop {
            match r.next() {
                Some((_, Event::Start(e))) if local(&e) == "title" => break,
                Some((_, Event::Eof)) | None => panic!("no title in {doc}"),
                _ => {}
            }
        }
        let text = if by_events { r.text_by_events() } else { r.text() };
        // After `None` the document is feed-rs's, and the reader is dropped.
        let after = match text {
            Some(_) => format!("{:?}", r.next().map(|e| e.1)),
            None => String::new(),
        };
        (text.map(|t| t.map(Cow::into_owned)), after)
    }

    /// Reading a text in one piece gives what reading it event by event gives, and leaves
    /// the reader where that leaves it.
    #[test]
    fn a_text_read_in_one_piece_is_the_text_read_by_events() {
        let pieces = [
            "Rare earth",
            " ",
            "稀土",
            "&lt;",
            "&gt;",
            "&amp;",
            "&quot;",
            "&apos;",
            "&#31232;",
            "&#x41;",
            "&#X41;",
            "&#0;",
            "&#xD800;",
            "&#;",
            "&#xZZ;",
            "&nbsp;",
            "&bogus;",
            "&;",
            "&",
            "&amp",
            ";",
            "\r\n",
            "<![CDATA[a&b]]>",
            "<b>bold</b>",
            "<!-- c -->",
            "<br/>",
            "<?pi x?>",
            "&lt;p&gt;",
            "’",
        ];
        for content in crate::testing::mixes(&pieces, 0x9E37_79B9_7F4A_7C15, 4000, 9) {
            let doc = format!(
                "<rss version=\"2.0\"><channel><item><title>{content}</title><link>http://a.cn/</link></item></channel></rss>"
            );
            assert_eq!(first_title(&doc, false), first_title(&doc, true), "{doc}");
        }
        for doc in [
            "<rss><channel><item><title/>after</item></channel></rss>",
            "<rss><channel><item><title/></item></channel></rss>",
            "<rss><channel><item><title a=\"/\">x</title></item></channel></rss>",
            "<rss><channel><item><title>x</tit le></item></channel></rss>",
            "<rss><channel><item><title>x</item></channel></rss>",
            "<rss><channel><item><title>x",
        ] {
            assert_eq!(first_title(doc, false), first_title(doc, true), "{doc}");
        }
    }

    /// Every URL the quick rule passes is one `Url::parse` writes back as it is.
    #[test]
    fn a_link_kept_as_written_is_what_the_url_crate_writes() {
        let schemes = ["http://", "https://", "HTTP://", "ftp://", "http:/", ""];
        let hosts = [
            "example.com",
            "news.cn",
            "a-b.c9",
            "127.0.0.1",
            "10.0.0.255",
            "1.2.3",
            "1.2.3.256",
            "01.2.3.4",
            "0.0.0.0",
            "EXAMPLE.com",
            "xn--fiqs8s.cn",
            "a..b",
            ".a",
            "a.",
            "a.1",
            "a.0x1",
            "中国.cn",
            "a_b.c",
            "user@a.com",
            "",
            "a.com.",
            "-a.com",
            "a-.com",
            "ab--cd.com",
        ];
        let ports = [
            "", ":8080", ":80", ":443", ":0", ":08080", ":65535", ":65536", ":",
        ];
        let paths = [
            "/",
            "",
            "/a/b.html",
            "/./a",
            "/a/..",
            "/a/../b",
            "/%41",
            "/a b",
            "/a\\b",
            "/A~_-.z",
            "//x",
            "/.",
            "/..",
            "/.a",
            "/a.",
            "/é",
            "/a#f",
        ];
        let queries = [
            "",
            "?",
            "?id=3&x=y",
            "?a=%zz",
            "?q=a b",
            "?q='",
            "?q=\"",
            "?a?b",
            "?x=(1)",
            "?#",
        ];
        let (mut checked, mut kept) = (0, 0);
        for s in schemes {
            for h in hosts {
                for p in ports {
                    for path in paths {
                        for q in queries {
                            let u = format!("{s}{h}{p}{path}{q}");
                            checked += 1;
                            if is_written_http_url(&u) {
                                kept += 1;
                                let parsed = url::Url::parse(&u).map(String::from);
                                assert_eq!(parsed.as_deref(), Ok(u.as_str()), "{u}");
                            }
                        }
                    }
                }
            }
        }
        assert!(kept > 1_000, "{kept} of {checked} kept as written");
        assert!(is_written_http_url("http://127.0.0.1:41055/site/8/0.html"));
        assert!(is_written_http_url(
            "https://www.mofcom.gov.cn/zwgk/zcfb/art/2026/art_1.html?id=7"
        ));
        for u in [
            "http://Example.com/",
            "http://example.com",
            "http://example.com:80/",
            "http://127.1/",
            "http://example.com/a/../b",
            "http://example.com/a b",
            "http://example.com/#top",
            "http://xn--fiqs8s.cn/",
        ] {
            assert!(!is_written_http_url(u), "{u}");
        }
    }
}
