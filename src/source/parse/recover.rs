//! Recovery of damaged XML, tried once when a document fails to parse: what browsers and
//! feedparser do, so that one bad byte never loses a whole feed.
//!
//! Two kinds of damage are repaired, in one pass over the tags:
//! - markup that is really text: a start tag never closed before its parent closes (`<title>
//!   ‹草根网<草根网></title>`), an end tag that closes nothing, a `<` that starts no tag. Its
//!   `<` is escaped, so the text reads as written.
//! - a document cut short (a truncated download, an unclosed CDATA section or comment): it is
//!   cut after the last complete `</item>` or `</entry>` and the elements open there closed,
//!   so every complete item is kept.
//!
//! Each repair is named in the notes, which become the source's warning.

/// A repaired document and what was done to it.
pub(super) struct Recovered {
    pub text: String,
    pub notes: Vec<String>,
}

/// Open elements beyond which a document is not repaired.
const MAX_DEPTH: usize = 1_000;

/// An element open at some point: its name, and where its start tag's `<` is.
struct Open<'a> {
    name: &'a str,
    at: usize,
}

/// Repairs `xml`; `None` when there is nothing this can repair, or nothing worth keeping.
pub(super) fn recover(xml: &str) -> Option<Recovered> {
    let b = xml.as_bytes();
    let mut stack: Vec<Open> = Vec::new();
    // Positions of `<` that are text.
    let mut escapes: Vec<usize> = Vec::new();
    // After the last complete item: where it ends, and the names then open.
    let mut last_item: Option<(usize, Vec<&str>)> = None;
    let mut i = 0;
    let cut = loop {
        let Some(rel) = memchr::memchr(b'<', &b[i..]) else {
            break (!stack.is_empty()).then_some(xml.len());
        };
        let at = i + rel;
        let rest = &xml[at..];
        let close = |end: &str, from: usize| rest[from..].find(end).map(|e| at + from + e + end.len());
        let next = if rest.starts_with("<!--") {
            close("-->", 4)
        } else if rest.starts_with("<![CDATA[") {
            close("]]>", 9)
        } else if rest.starts_with("<?") {
            close("?>", 2)
        } else if rest.starts_with("<!") {
            close(">", 2)
        } else if let Some(end) = rest.strip_prefix("</") {
            match tag_end(end.as_bytes()) {
                TagEnd::Cut => None,
                TagEnd::Text => {
                    escapes.push(at);
                    Some(at + 1)
                }
                TagEnd::At(len) => {
                    let name = end[..len - 1].trim();
                    match stack.iter().rposition(|o| o.name == name) {
                        Some(depth) => {
                            // Elements opened inside and never closed were text.
                            escapes.extend(stack.drain(depth + 1..).map(|o| o.at));
                            stack.pop();
                            let local = name.rsplit(':').next().unwrap_or(name);
                            if local == "item" || local == "entry" {
                                let open = stack.iter().map(|o| o.name).collect();
                                last_item = Some((at + 2 + len, open));
                            }
                        }
                        None => escapes.push(at),
                    }
                    Some(at + 2 + len)
                }
            }
        } else if rest[1..].starts_with(|c: char| c.is_alphabetic() || c == '_' || c == ':') {
            match tag_end(&rest.as_bytes()[1..]) {
                TagEnd::Cut => None,
                TagEnd::Text => {
                    escapes.push(at);
                    Some(at + 1)
                }
                TagEnd::At(len) => {
                    let tag = &rest[1..len];
                    if !tag.ends_with('/') {
                        // Deeper than any feed: not worth the search for a match of each
                        // end tag through the open elements.
                        if stack.len() >= MAX_DEPTH {
                            return None;
                        }
                        let name_len = tag
                            .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
                            .unwrap_or(tag.len());
                        stack.push(Open {
                            name: &tag[..name_len],
                            at,
                        });
                    }
                    Some(at + 1 + len)
                }
            }
        } else {
            escapes.push(at);
            Some(at + 1)
        };
        match next {
            Some(n) => i = n,
            None => break Some(at),
        }
    };
    let mut notes = Vec::new();
    let (end, closing) = match cut {
        None => (xml.len(), Vec::new()),
        Some(at) => {
            let (end, open) = last_item?;
            notes.push(format!(
                "the document is cut short at byte {at}; kept what comes before the end of its last complete item"
            ));
            (end, open)
        }
    };
    let escapes: Vec<usize> = escapes.into_iter().filter(|&e| e < end).collect();
    if escapes.is_empty() && cut.is_none() {
        return None;
    }
    if !escapes.is_empty() {
        notes.push(format!("read {} stray '<' as text", escapes.len()));
    }
    let mut text = String::with_capacity(end + escapes.len() * 3 + 64);
    let mut sorted = escapes;
    sorted.sort_unstable();
    let mut from = 0;
    for e in sorted {
        text.push_str(&xml[from..e]);
        text.push_str("&lt;");
        from = e + 1;
    }
    text.push_str(&xml[from..end]);
    for name in closing.iter().rev() {
        text.push_str("</");
        text.push_str(name);
        text.push('>');
    }
    Some(Recovered { text, notes })
}

/// How a tag ends.
enum TagEnd {
    /// Its length through its `>`.
    At(usize),
    /// It runs into the next `<`: it was text.
    Text,
    /// The document ends first.
    Cut,
}

/// Where the tag whose inside starts `b` ends, quotes respected.
fn tag_end(b: &[u8]) -> TagEnd {
    let mut quote = None;
    for (k, &c) in b.iter().enumerate() {
        match (quote, c) {
            (None, b'"' | b'\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, b'>') => return TagEnd::At(k + 1),
            (None, b'<') => return TagEnd::Text,
            _ => {}
        }
    }
    TagEnd::Cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unclosed_tag_in_a_title_is_text() {
        let doc = "<rss><channel><item><title>a<草根网></title></item></channel></rss>";
        let r = recover(doc).unwrap();
        assert_eq!(
            r.text,
            "<rss><channel><item><title>a&lt;草根网></title></item></channel></rss>"
        );
    }

    #[test]
    fn a_truncated_document_keeps_its_complete_items() {
        let doc = "<rss><channel><item><title>1</title></item><item><title>2</title></item><item><title>3<![CDATA[x";
        let r = recover(doc).unwrap();
        assert_eq!(
            r.text,
            "<rss><channel><item><title>1</title></item><item><title>2</title></item></channel></rss>"
        );
        assert!(
            recover("<rss><channel><item><title>1").is_none(),
            "nothing complete to keep"
        );
    }

    #[test]
    fn a_lone_less_than_sign_is_text() {
        let doc = "<rss><channel><item><title>1 < 2 <and</title></item></channel></rss>";
        let r = recover(doc).unwrap();
        assert!(r.text.contains("<title>1 &lt; 2 &lt;and</title>"), "{}", r.text);
    }

    #[test]
    fn a_document_nested_beyond_reason_is_not_repaired() {
        let doc = format!("<rss>{}</x>", "<a>".repeat(MAX_DEPTH + 1));
        assert!(recover(&doc).is_none());
    }

    #[test]
    fn a_well_formed_document_needs_nothing() {
        assert!(recover("<rss><channel><item/></channel></rss>").is_none());
    }
}
