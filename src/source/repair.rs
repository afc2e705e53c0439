//! Tolerant fixes for the commonest breakage of real feeds, applied to decoded text before
//! feed-rs (a strict parser) sees it. Each fix leaves a well-formed document unchanged.

use std::borrow::Cow;

/// Removes the attribute `name="..."` (or `'...'`) from the markup `tag`, with the
/// whitespace before it. `None` when the attribute is absent or too odd to edit.
pub(super) fn remove_attr(tag: &str, name: &str) -> Option<String> {
    let mut from = 0;
    while let Some(found) = tag[from..].find(name) {
        let at = from + found;
        from = at + name.len();
        // A whole attribute name: preceded by whitespace, followed by `=`.
        if !tag[..at].ends_with(|c: char| c.is_whitespace()) {
            continue;
        }
        let Some(value) = tag[from..].trim_start().strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        let quote = value.chars().next().filter(|q| matches!(q, '"' | '\''))?;
        let close = value[1..].find(quote)?;
        let value_end = tag.len() - value.len() + 1 + close + 1;
        return Some(format!("{}{}", tag[..at].trim_end(), &tag[value_end..]));
    }
    None
}

/// Makes an `<rss>` root acceptable to feed-rs, which knows it only with version 2.0, 0.91
/// or 0.92 and with no default namespace: a missing or other version (common in the wild)
/// is read as 2.0, whose elements the others share, and a default `xmlns` (which would put
/// every RSS element in a namespace feed-rs ignores, losing all items) is dropped.
/// `root_at` is the byte offset of the root's `<`.
pub(super) fn normalise_rss_root(text: &str, root_at: usize) -> Cow<'_, str> {
    let Some(tag_len) = text[root_at..].find('>') else {
        return text.into();
    };
    let tag = &text[root_at..root_at + tag_len];
    let Some(attrs) = tag.strip_prefix("<rss") else {
        return text.into();
    };
    let mut attrs = attrs.to_owned();
    let mut changed = false;
    if let Some(without) = remove_attr(&attrs, "xmlns") {
        attrs = without;
        changed = true;
    }
    let accepted = ["2.0", "0.91", "0.92"]
        .iter()
        .any(|v| attrs.contains(&format!("version=\"{v}\"")) || attrs.contains(&format!("version='{v}'")));
    if !accepted {
        let without = remove_attr(&attrs, "version").unwrap_or(attrs);
        attrs = format!(" version=\"2.0\"{without}");
        changed = true;
    }
    if !changed {
        return text.into();
    }
    format!("{}<rss{attrs}{}", &text[..root_at], &text[root_at + tag_len..]).into()
}

/// What [`fix_markup`] changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct MarkupFixes {
    /// Bare `&`s escaped.
    pub ampersands: usize,
    /// XML declarations found after the start of the document, removed.
    pub declarations: usize,
}

/// Escapes each `&` that does not start an entity or character reference (a bare `&` in a
/// link's query string is the commonest fatal error in real feeds), and removes XML
/// declarations anywhere but at the very start (two documents pasted together; the XML
/// parser under feed-rs panics when a later one names another encoding). CDATA sections,
/// comments and other processing instructions are copied as they are.
pub(super) fn fix_markup(text: &str) -> (Cow<'_, str>, MarkupFixes) {
    let late_declaration = text.get(1..).is_some_and(|t| t.contains("<?xml"));
    // The common case, checked by a fast scan: every `&` starts a reference (so none needs
    // escaping, in CDATA or out of it) and there is no later declaration.
    let bare_ampersand = memchr::memchr_iter(b'&', text.as_bytes()).any(|i| !is_reference(&text[i + 1..]));
    if !bare_ampersand && !late_declaration {
        return (text.into(), MarkupFixes::default());
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut fixed = MarkupFixes::default();
    let mut rest = text;
    loop {
        let Some(next) = rest.find(['&', '<']) else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..next]);
        rest = &rest[next..];
        let verbatim_end = [("<![CDATA[", "]]>"), ("<!--", "-->"), ("<?", "?>")]
            .iter()
            .find(|(open, _)| rest.starts_with(open))
            .map(|(open, close)| {
                rest[open.len()..]
                    .find(close)
                    .map_or(rest.len(), |i| open.len() + i + close.len())
            });
        if let Some(end) = verbatim_end {
            if out.is_empty() || !is_declaration(rest) {
                out.push_str(&rest[..end]);
            } else {
                fixed.declarations += 1;
            }
            rest = &rest[end..];
        } else if rest.starts_with('&') {
            if is_reference(&rest[1..]) {
                out.push('&');
            } else {
                out.push_str("&amp;");
                fixed.ampersands += 1;
            }
            rest = &rest[1..];
        } else {
            out.push('<');
            rest = &rest[1..];
        }
    }
    if fixed == MarkupFixes::default() {
        (text.into(), fixed)
    } else {
        (out.into(), fixed)
    }
}

/// True when `pi` starts an XML declaration (`<?xml` then a space or `?`), not another
/// processing instruction such as `<?xml-stylesheet`.
fn is_declaration(pi: &str) -> bool {
    pi.strip_prefix("<?xml")
        .and_then(|r| r.chars().next())
        .is_some_and(|c| c == '?' || c.is_ascii_whitespace())
}

/// True when `after` (the text after a `&`) starts `name;`, `#123;` or `#x1F;`.
fn is_reference(after: &str) -> bool {
    // Searched by byte: `;` is ASCII, so its index is a char boundary even amid CJK text.
    let Some(semi) = after.bytes().take(40).position(|b| b == b';') else {
        return false;
    };
    let body = &after[..semi];
    if let Some(num) = body.strip_prefix('#') {
        return match num.strip_prefix(['x', 'X']) {
            Some(hex) => !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()),
            None => !num.is_empty() && num.chars().all(|c| c.is_ascii_digit()),
        };
    }
    let mut chars = body.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_ampersands_are_escaped_outside_cdata_and_comments() {
        let doc = "<a href=\"/x?a=1&b=2\">A & B &amp; &#160; &#x4E2D; &nbsp;</a>\
                   <![CDATA[R&D]]><!-- Q&A --><?pi x&y?>&中文中文中文中文中文中文中文中文中文中文中文中文&lt;";
        let (fixed, n) = fix_markup(doc);
        assert_eq!(n.ampersands, 3);
        assert_eq!(
            fixed,
            "<a href=\"/x?a=1&amp;b=2\">A &amp; B &amp; &#160; &#x4E2D; &nbsp;</a>\
             <![CDATA[R&D]]><!-- Q&A --><?pi x&y?>&amp;中文中文中文中文中文中文中文中文中文中文中文中文&lt;"
        );
        let (same, n) = fix_markup("<x>&lt;&#1;</x><![CDATA[&");
        assert_eq!(
            (same.as_ref(), n),
            ("<x>&lt;&#1;</x><![CDATA[&", MarkupFixes::default())
        );
    }

    #[test]
    fn only_the_first_xml_declaration_is_kept() {
        let doc = "<?xml version=\"1.0\"?><rss><?xml-stylesheet href=\"s\"?>\
                   <![CDATA[<?xml x?>]]><?xml version='1.0' encoding='iso-8859-1'?><?xml?></rss>";
        let (fixed, n) = fix_markup(doc);
        assert_eq!(n.declarations, 2);
        assert_eq!(
            fixed,
            "<?xml version=\"1.0\"?><rss><?xml-stylesheet href=\"s\"?><![CDATA[<?xml x?>]]></rss>"
        );
        let ok = "<?xml version=\"1.0\"?><rss/>";
        assert_eq!(fix_markup(ok), (ok.into(), MarkupFixes::default()));
    }

    #[test]
    fn rss_root_is_normalised_only_when_feed_rs_would_refuse_it() {
        assert_eq!(
            normalise_rss_root(
                "<rss version=\"2.0\" xmlns=\"http://backend.userland.com/rss2\" xmlns:y=\"y\">",
                0
            ),
            "<rss version=\"2.0\" xmlns:y=\"y\">"
        );
        assert_eq!(
            normalise_rss_root("<rss>\n<channel/></rss>", 0),
            "<rss version=\"2.0\">\n<channel/></rss>"
        );
        assert_eq!(
            normalise_rss_root("<?xml?><rss xmlns:a='x' version='0.94'>", 7),
            "<?xml?><rss version=\"2.0\" xmlns:a='x'>"
        );
        let ok = "<rss version=\"0.91\"><channel/></rss>";
        assert_eq!(normalise_rss_root(ok, 0), ok);
        assert_eq!(normalise_rss_root("<rss", 0), "<rss");
        assert_eq!(remove_attr(" a='1' b=\"2\"", "b").as_deref(), Some(" a='1'"));
        assert_eq!(remove_attr(" ab='1'", "b"), None);
    }
}
